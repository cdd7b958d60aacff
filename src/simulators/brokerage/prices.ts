import type { BookContext } from "./book";
import type { SimQuote } from "./brokerage.types";
import type { SimInstrument } from "./instruments";
import { valueOption } from "./option-pricing";
import { createPrng, gaussian, roundToTick } from "./price-process";

export interface PricesOptions {
  instruments: readonly SimInstrument[];
  /** Seed of the price process. */
  seed: number;
  /** Relative standard deviation of one tick. */
  volatility: number;
  /** Called with each new quote before the `price` event, so that listeners read consistent market data. */
  onQuote?(quote: SimQuote): void;
  /** Called after each price change, so resting orders and positions react. */
  onMove(instrument: SimInstrument): void;
  /** Conids something watches (orders, positions): their option re-marks are announced, the others kept quiet. */
  watched?(): Set<number>;
}

/** Last, bid and ask of every instrument: set by hand or moved by a seeded random walk. */
export interface Prices {
  quote(conid: number): SimQuote | undefined;
  setPrice(conid: number, price: number): SimQuote;
  tick(): void;
  startTicking(intervalMs: number): void;
  stopTicking(): void;
  /** Re-marks every option after the clock moved (time value decays): watched ones at once, others when read. */
  remarkOptions(): void;
  /** Every price back to its initial one (also the new close), the random walk back to its seed. */
  reset(): void;
}

/** A one-tick-wide market around the last price: enough for clients that read bid/ask, and always on tick. */
function makeQuote(i: SimInstrument, last: number, close: number, time: number): SimQuote {
  return {
    conid: i.conid,
    last,
    bid: roundToTick(last - i.minTick, i.minTick),
    ask: roundToTick(last + i.minTick, i.minTick),
    close,
    time,
  };
}

export function createPrices(ctx: BookContext, options: PricesOptions): Prices {
  const { state, events, now } = ctx;
  const { instruments, seed, volatility } = options;
  const byConid = new Map(instruments.map((i) => [i.conid, i]));
  // Options are priced from their underlying (Black-Scholes over the surface), not walked on their own.
  const optionsOf = new Map<number, SimInstrument[]>();
  for (const i of instruments) {
    if (i.underlyingConid === undefined) continue;
    const list = optionsOf.get(i.underlyingConid) ?? [];
    list.push(i);
    optionsOf.set(i.underlyingConid, list);
  }
  const isOption = (i: SimInstrument): boolean => i.underlyingConid !== undefined;
  let random = createPrng(seed);
  let tickTimer: NodeJS.Timeout | undefined;

  function applyPrice(i: SimInstrument, price: number): SimQuote {
    const prev = state.quotes.get(i.conid)!;
    const last = Math.max(i.minTick, roundToTick(price, i.minTick));
    const q = makeQuote(i, last, prev.close, now());
    state.quotes.set(i.conid, q);
    options.onQuote?.(q);
    events.emit("price", { quote: q });
    options.onMove(i);
    if (isOption(i)) pricedVersion.set(i.conid, underlyingVersion.get(i.underlyingConid!) ?? 0);
    else repriceOptions(i.conid);
    return q;
  }

  function modelPrice(o: SimInstrument, underlying: number, t: number): number {
    return Math.max(o.minTick, roundToTick(valueOption(o, underlying, t).price, o.minTick));
  }

  // Option quotes are re-marked lazily: a move bumps its underlying's version; a watched option (orders,
  // positions) is re-marked at once, any other when it is next read. A chain is thousands of contracts.
  const underlyingVersion = new Map<number, number>();
  const pricedVersion = new Map<number, number>();

  function markOption(o: SimInstrument, t: number): SimQuote {
    const u = state.quotes.get(o.underlyingConid!);
    const prev = state.quotes.get(o.conid);
    const q = makeQuote(o, modelPrice(o, u?.last ?? o.initialPrice, t), prev?.close ?? 0, t);
    state.quotes.set(o.conid, q);
    // The market-data book (sizes, high/low) follows every re-mark, lazy ones included.
    options.onQuote?.(q);
    pricedVersion.set(o.conid, underlyingVersion.get(o.underlyingConid!) ?? 0);
    return q;
  }

  /** The option's quote, re-marked first when its underlying moved since. */
  function freshOption(o: SimInstrument): void {
    if (pricedVersion.get(o.conid) !== (underlyingVersion.get(o.underlyingConid!) ?? 0)) markOption(o, now());
  }

  function repriceOptions(underlyingConid: number): void {
    if (!optionsOf.has(underlyingConid)) return;
    underlyingVersion.set(underlyingConid, (underlyingVersion.get(underlyingConid) ?? 0) + 1);
    const t = now();
    for (const conid of options.watched?.() ?? []) {
      const o = byConid.get(conid);
      if (o?.underlyingConid !== underlyingConid) continue;
      events.emit("price", { quote: markOption(o, t) });
      options.onMove(o);
    }
  }

  function stopTicking(): void {
    if (tickTimer) clearInterval(tickTimer);
    tickTimer = undefined;
  }

  function tick(): void {
    for (const i of instruments) {
      if (isOption(i)) continue;
      const last = state.quotes.get(i.conid)!.last;
      // Geometric random walk: prices stay positive and move in proportion to their level.
      applyPrice(i, last * Math.exp(volatility * gaussian(random)));
    }
  }

  return {
    quote(conid) {
      const o = byConid.get(conid);
      if (o && isOption(o)) freshOption(o);
      const q = state.quotes.get(conid);
      return q ? { ...q } : undefined;
    },
    setPrice(conid, price) {
      const i = byConid.get(conid);
      if (!i) throw new Error(`Unknown conid ${conid}`);
      if (!Number.isFinite(price) || price <= 0) throw new Error(`Price must be positive (got ${price})`);
      return applyPrice(i, price);
    },
    tick,
    startTicking(intervalMs) {
      stopTicking();
      if (intervalMs <= 0) return;
      tickTimer = setInterval(tick, intervalMs);
      tickTimer.unref();
    },
    stopTicking,
    remarkOptions() {
      for (const underlying of optionsOf.keys()) repriceOptions(underlying);
    },
    reset() {
      random = createPrng(seed);
      const t = now();
      state.quotes = new Map(
        instruments
          .filter((i) => !isOption(i))
          .map((i) => [i.conid, makeQuote(i, i.initialPrice, i.initialPrice, t)]),
      );
      underlyingVersion.clear();
      pricedVersion.clear();
      for (const i of instruments) {
        if (!isOption(i)) continue;
        const u = byConid.get(i.underlyingConid!);
        const p = modelPrice(i, u?.initialPrice ?? i.initialPrice, t);
        state.quotes.set(i.conid, makeQuote(i, p, p, t));
        pricedVersion.set(i.conid, 0);
      }
    },
  };
}
