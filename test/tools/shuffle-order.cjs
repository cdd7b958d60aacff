// Preload: registers each describe's tests in a seeded shuffled order (SEED, default 1), to check that tests do not depend on earlier ones.
/* global require, process, console */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS preload (node --require)
const t = require("node:test");
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
    for (const args of shuffle(mine)) origIt(...args);
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
// Seeded shuffle (SEED env), so a failing order can be replayed.
let seed = Number(process.env.SEED ?? 1) >>> 0;
function rnd() {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 2 ** 32;
}
function shuffle(a) {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
