// Shared by the order preloads (reverse-order.cjs, shuffle-order.cjs): patches node:test so each describe
// registers its tests in the order `arrange(tests)` returns, to check that tests do not depend on earlier ones.
/* global require, module, console */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS preload (node --require)
const t = require("node:test");

module.exports = function reorderTests(arrange) {
  const origDescribe = t.describe,
    origIt = t.it;
  let buffer = null;
  function it(...args) {
    if (buffer) buffer.push(args);
    else origIt(...args);
  }
  function describe(name, ...rest) {
    const fn = rest.pop();
    return origDescribe(name, ...rest, function (...a) {
      const saved = buffer;
      buffer = [];
      const r = fn.apply(this, a);
      const mine = buffer;
      buffer = saved;
      for (const args of arrange(mine)) origIt(...args);
      return r;
    });
  }
  for (const [k, v] of [
    ["describe", describe],
    ["it", it],
    ["test", it],
    ["suite", describe],
  ]) {
    try {
      Object.defineProperty(t, k, { value: v, writable: true, configurable: true });
    } catch (e) {
      console.error("cannot patch", k, e.message);
    }
  }
};
