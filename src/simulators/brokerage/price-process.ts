/** mulberry32: tiny, fast, good enough for a simulator, and identical on every platform for a seed. */
export function createPrng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draw (Box–Muller) from a uniform source. */
export function gaussian(next: () => number): number {
  const u = Math.max(next(), 1e-12);
  const v = next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Rounds to the instrument's tick, avoiding binary noise like 190.01000000000002. */
export function roundToTick(price: number, tick: number): number {
  const ticks = Math.round(price / tick);
  const decimals = Math.max(0, Math.ceil(-Math.log10(tick)) + 1);
  return Number((ticks * tick).toFixed(decimals));
}

export function isOnTick(price: number, tick: number): boolean {
  const ticks = price / tick;
  return Math.abs(ticks - Math.round(ticks)) < 1e-6;
}
