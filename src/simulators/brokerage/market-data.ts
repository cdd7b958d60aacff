/**
 * The simulated brokerage's market data over its shared price process: a full quote per instrument (bid and
 * ask with sizes, last with size, the day's volume, open, high, low and the previous close), seeded
 * historical bars consistent with the current price, and a per-contract market-data permission (what makes
 * the gateways answer 354 / 10089 or fall back to delayed data).
 */
import type { SimQuote } from "./brokerage.types";
import type { SimInstrument } from "./instruments";
import { valueOption } from "./option-pricing";
import { createPrng, gaussian, roundToTick } from "./price-process";

export interface SimMarketData {
  conid: number;
  bid: number;
  ask: number;
  last: number;
  bidSize: number;
  askSize: number;
  lastSize: number;
  /** Today's volume (shares or contracts). */
  volume: number;
  open: number;
  high: number;
  low: number;
  /** Previous close. */
  close: number;
  /** Epoch ms of the last change. */
  time: number;
}

export type SimBarSource = "TRADES" | "MIDPOINT" | "BID" | "ASK";

export interface SimBarRequest {
  /** Seconds per bar. */
  barSeconds: number;
  /** Bars up to this time (epoch ms); now when absent. */
  endMs?: number;
  /** How many bars, newest last. */
  count: number;
  /** @default "TRADES" */
  source?: SimBarSource;
}

export interface SimBar {
  /** Start of the bar, epoch ms. */
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Null for MIDPOINT, BID and ASK bars. */
  volume: number | null;
}

/** Greeks of an option from the option model at the underlying's last price (undefined for anything else). */
export interface SimOptionComputation {
  impliedVolatility: number;
  delta: number;
  gamma: number;
  vega: number;
  theta: number;
  underlyingPrice: number;
}

export interface MarketDataBook {
  get(conid: number): SimMarketData | undefined;
  /** Called by the price process after every move of an instrument. */
  onPrice(quote: SimQuote): void;
  bars(instrument: SimInstrument, request: SimBarRequest): SimBar[];
  /** Whether the market-data subscription covers this contract (live data); true unless switched off. */
  permitted(conid: number): boolean;
  setPermission(conid: number, allowed: boolean): void;
  optionComputation(conid: number): SimOptionComputation | undefined;
  reset(quotes: Iterable<SimQuote>): void;
}

/** Daily relative volatility of the historical bars. */
const DAILY_VOL = 0.015;

export function createMarketDataBook(options: {
  instruments: readonly SimInstrument[];
  seed: number;
  quote: (conid: number) => SimQuote | undefined;
  now: () => number;
}): MarketDataBook {
  const byConid = new Map(options.instruments.map((i) => [i.conid, i]));
  const data = new Map<number, SimMarketData>();
  const denied = new Set<number>();
  let random = createPrng(options.seed ^ 0x5eed);

  const size = (lots: number) => 100 * (1 + Math.floor(random() * lots));

  function fresh(q: SimQuote): SimMarketData {
    return {
      conid: q.conid,
      bid: q.bid,
      ask: q.ask,
      last: q.last,
      bidSize: size(10),
      askSize: size(10),
      lastSize: 100,
      volume: 0,
      open: q.last,
      high: q.last,
      low: q.last,
      close: q.close,
      time: q.time,
    };
  }

  return {
    get(conid) {
      const d = data.get(conid);
      if (d) return { ...d };
      const q = options.quote(conid);
      if (!q) return undefined;
      const f = fresh(q);
      data.set(conid, f);
      return { ...f };
    },
    onPrice(q) {
      const prev = data.get(q.conid) ?? fresh(q);
      const lastSize = size(5);
      data.set(q.conid, {
        ...prev,
        bid: q.bid,
        ask: q.ask,
        last: q.last,
        bidSize: size(10),
        askSize: size(10),
        lastSize,
        volume: prev.volume + lastSize,
        high: Math.max(prev.high, q.last),
        low: Math.min(prev.low, q.last),
        close: q.close,
        time: q.time,
      });
    },
    bars(instrument, request) {
      const q = options.quote(instrument.conid);
      if (!q) return [];
      const stepMs = request.barSeconds * 1000;
      const endMs = Math.min(request.endMs ?? options.now(), options.now());
      const lastStart = Math.floor(endMs / stepMs) * stepMs;
      // Seeded by contract, size and end: the same request gives the same bars while the price stands.
      const rnd = createPrng(
        (instrument.conid * 31 + request.barSeconds * 7919 + Math.floor(lastStart / 1000)) ^ options.seed,
      );
      const sigma = DAILY_VOL * Math.sqrt(request.barSeconds / 86_400);
      const source = request.source ?? "TRADES";
      const shift = source === "BID" ? -instrument.minTick : source === "ASK" ? instrument.minTick : 0;
      const tick = (p: number) => Math.max(instrument.minTick, roundToTick(p + shift, instrument.minTick));
      const out: SimBar[] = [];
      let close = q.last;
      for (let k = 0; k < request.count; k++) {
        const open = close * Math.exp(-sigma * gaussian(rnd));
        const high = Math.max(open, close) * (1 + (Math.abs(gaussian(rnd)) * sigma) / 2);
        const low = Math.min(open, close) * (1 - (Math.abs(gaussian(rnd)) * sigma) / 2);
        const volume =
          source === "TRADES"
            ? Math.round(50 * Math.pow(request.barSeconds, 0.8) * (0.5 + rnd())) * 100
            : null;
        out.push({
          time: lastStart - k * stepMs,
          open: tick(open),
          high: tick(high),
          low: tick(low),
          close: tick(close),
          volume,
        });
        close = open;
      }
      return out.reverse();
    },
    permitted: (conid) => !denied.has(conid),
    setPermission(conid, allowed) {
      if (!byConid.has(conid)) throw new Error(`Unknown conid ${conid}`);
      if (allowed) denied.delete(conid);
      else denied.add(conid);
    },
    optionComputation(conid) {
      const o = byConid.get(conid);
      const s = o?.underlyingConid === undefined ? undefined : options.quote(o.underlyingConid)?.last;
      if (!o || s === undefined) return undefined;
      const { impliedVolatility, delta, gamma, vega, theta, underlyingPrice } = valueOption(
        o,
        s,
        options.now(),
      );
      return { impliedVolatility, delta, gamma, vega, theta, underlyingPrice };
    },
    reset(quotes) {
      random = createPrng(options.seed ^ 0x5eed);
      data.clear();
      denied.clear();
      for (const q of quotes) data.set(q.conid, fresh(q));
    },
  };
}
