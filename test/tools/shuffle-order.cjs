// Preload: registers each describe's tests in a seeded shuffled order (SEED, default 1), to check that tests do not depend on earlier ones.
/* global require, process */
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
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS preload (node --require)
require("./reorder.cjs")(shuffle);
