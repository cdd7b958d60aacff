import type { BookContext } from "./book";
import type { SimQuote } from "./brokerage.types";
import type { SimInstrument } from "./instruments";
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
}

/** Last, bid and ask of every instrument: set by hand or moved by a seeded random walk. */
export interface Prices {
  quote(conid: number): SimQuote | undefined;
  setPrice(conid: number, price: number): SimQuote;
  tick(): void;
  startTicking(intervalMs: number): void;
  stopTicking(): void;
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
    return q;
  }

  function stopTicking(): void {
    if (tickTimer) clearInterval(tickTimer);
    tickTimer = undefined;
  }

  function tick(): void {
    for (const i of instruments) {
      const last = state.quotes.get(i.conid)!.last;
      // Geometric random walk: prices stay positive and move in proportion to their level.
      applyPrice(i, last * Math.exp(volatility * gaussian(random)));
    }
  }

  return {
    quote(conid) {
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
    reset() {
      random = createPrng(seed);
      const t = now();
      state.quotes = new Map(
        instruments.map((i) => [i.conid, makeQuote(i, i.initialPrice, i.initialPrice, t)]),
      );
    },
  };
}
