/**
 * Market data requests of a TWS client: reqMktData (1) streaming and snapshot, cancelMktData (2), and
 * reqHistoricalData (20), answered from the brokerage's quotes and seeded bars in the layouts of the
 * negotiated server version (tws-protocol-derivatives.md §6–7). The market data type set with
 * reqMarketDataType decides live or delayed ticks (66–76) and frozen (one answer, no updates); a contract
 * without a market-data permission answers 10089 for live data, and 10167 plus delayed ticks for delayed.
 * Every reqMktData is logged, so tests can count the lines a client opened.
 */
import type { Brokerage, InstrumentQuery, SimInstrument, SimMarketData } from "../brokerage";
import type { TwsHandlerContext } from "./tws-handler-context";
import { NO_VALID_ID, TwsError } from "./tws-protocol";
import type { TwsSession } from "./tws-session";
import { ServerVersion as V } from "./tws-versions";

/** tickOptionComputation loses its version field and gains tickAttrib here. */
const PRICE_BASED_VOLATILITY = 156;

const MSG = {
  TICK_PRICE: 1,
  TICK_SIZE: 2,
  TICK_OPTION_COMPUTATION: 21,
  HISTORICAL_DATA: 17,
  TICK_SNAPSHOT_END: 57,
  MARKET_DATA_TYPE: 58,
} as const;

/** Live tick ids and their delayed twins. */
const TICK = {
  bid: [1, 66],
  ask: [2, 67],
  last: [4, 68],
  high: [6, 72],
  low: [7, 73],
  volume: [8, 74],
  close: [9, 75],
  open: [14, 76],
} as const;

const BAR_SECONDS: Record<string, number> = {
  "1 secs": 1,
  "5 secs": 5,
  "10 secs": 10,
  "15 secs": 15,
  "30 secs": 30,
  "1 min": 60,
  "2 mins": 120,
  "3 mins": 180,
  "5 mins": 300,
  "10 mins": 600,
  "15 mins": 900,
  "20 mins": 1200,
  "30 mins": 1800,
  "1 hour": 3600,
  "2 hours": 7200,
  "3 hours": 10800,
  "4 hours": 14400,
  "8 hours": 28800,
  "1 day": 86400,
  "1 week": 604800,
  "1 month": 2592000,
};
const UNIT_SECONDS: Record<string, number> = { S: 1, D: 86400, W: 604800, M: 2592000, Y: 31536000 };

export interface TwsMarketDataRequest {
  clientId: number | null;
  reqId: number;
  conid: number;
  snapshot: boolean;
  /** reqMarketDataType in force: 1 live, 2 frozen, 3 delayed, 4 delayed frozen. */
  marketDataType: number;
  at: string;
}

interface Line {
  session: TwsSession;
  reqId: number;
  instrument: SimInstrument;
  delayed: boolean;
  /** Tick id → the value last sent. */
  sent: Map<number, string>;
}

const num = (v: number): string => String(Number(v.toFixed(8)));

export class TwsMarketDataHandlers {
  private readonly brokerage: Brokerage;
  private readonly lines = new Map<TwsSession, Map<number, Line>>();
  private readonly log: TwsMarketDataRequest[] = [];
  private readonly stopPrices: () => void;

  constructor(ctx: TwsHandlerContext) {
    this.brokerage = ctx.options.brokerage;
    this.stopPrices = this.brokerage.on("price", ({ quote }) => this.onPrice(quote.conid));
  }

  /** Every reqMktData received, oldest first (at most the last 10,000). */
  requests(): TwsMarketDataRequest[] {
    return [...this.log];
  }

  /** Streaming lines open now, across every connection. */
  openLines(): number {
    let n = 0;
    for (const [session, m] of this.lines) if (!session.isClosed) n += m.size;
    return n;
  }

  close(): void {
    this.stopPrices();
    this.lines.clear();
  }

  reqMktData(session: TwsSession, fields: string[]): void {
    const reqId = intOr(fields[2], NO_VALID_ID);
    const conid = intOr(fields[3], 0);
    const secType = fields[5] ?? "";
    // Non-BAG layout: … tradingClass (14), deltaNeutral flag (15) [+3 when set], generic ticks, snapshot.
    let at = 15;
    if (secType === "BAG") at += 1 + 4 * intOr(fields[15], 0);
    if (fields[at] === "1") at += 3;
    const snapshot = fields[at + 2] === "1";
    const type = session.subscriptions.marketDataType ?? 1;
    this.log.push({
      clientId: session.clientId,
      reqId,
      conid: this.instrument(fields, 3)?.conid ?? conid,
      snapshot,
      marketDataType: type,
      at: new Date().toISOString(),
    });
    if (this.log.length > 10_000) this.log.splice(0, this.log.length - 10_000);
    const instrument = this.instrument(fields, 3);
    if (!instrument) {
      session.sendError(
        reqId,
        TwsError.NO_SECURITY_DEFINITION,
        "No security definition has been found for the request",
      );
      return;
    }
    const permitted = this.brokerage.marketDataPermitted(instrument.conid);
    const wantsDelayed = type === 3 || type === 4;
    if (!permitted && !wantsDelayed) {
      session.sendError(
        reqId,
        10089,
        "Requested market data requires additional subscription for API. See link in 'Market Data " +
          "Connections' dialog for more details.Delayed market data is available.",
      );
      return;
    }
    const delayed = !permitted;
    if (delayed) {
      session.sendError(
        reqId,
        10167,
        "Requested market data is not subscribed. Displaying delayed market data.",
      );
    }
    // IB tells a ticker its data type when it is not live.
    if (delayed || type !== 1) {
      session.send([MSG.MARKET_DATA_TYPE, 1, reqId, delayed ? (type === 4 ? 4 : 3) : type === 2 ? 2 : 1]);
    }
    const line: Line = { session, reqId, instrument, delayed, sent: new Map() };
    this.sendTicks(line, true);
    if (snapshot) {
      session.send([MSG.TICK_SNAPSHOT_END, 1, reqId]);
      return;
    }
    // Frozen data is the last value and stays as it is.
    if (type === 2 || type === 4) return;
    let m = this.lines.get(session);
    if (!m) this.lines.set(session, (m = new Map()));
    m.set(reqId, line);
  }

  cancelMktData(session: TwsSession, fields: string[]): void {
    this.lines.get(session)?.delete(intOr(fields[2], NO_VALID_ID));
  }

  reqHistoricalData(session: TwsSession, fields: string[]): void {
    // Without a version field from SYNT_REALTIME_BARS on.
    const base = session.serverVersion >= V.SYNT_REALTIME_BARS ? 1 : 2;
    const reqId = intOr(fields[base], NO_VALID_ID);
    const endText = fields[base + 14] ?? "";
    const barSize = fields[base + 15] ?? "";
    const duration = fields[base + 16] ?? "";
    const whatToShow = (fields[base + 18] ?? "TRADES").toUpperCase();
    const formatDate = intOr(fields[base + 19], 1);
    const instrument = this.instrument(fields, base + 1);
    if (!instrument) {
      session.sendError(
        reqId,
        TwsError.NO_SECURITY_DEFINITION,
        "No security definition has been found for the request",
      );
      return;
    }
    const conid = instrument.conid;
    const barSeconds = BAR_SECONDS[barSize];
    if (!barSeconds) {
      session.sendError(
        reqId,
        TwsError.ERROR_VALIDATING_REQUEST,
        `Error validating request.-'bB' : cause - Historical data bar size setting is invalid. Legal ones are: ${Object.keys(BAR_SECONDS).join(", ")}`,
      );
      return;
    }
    const d = /^(\d+) ([SDWMY])$/.exec(duration.trim());
    if (!d) {
      session.sendError(
        reqId,
        TwsError.ERROR_VALIDATING_REQUEST,
        `Error validating request.-'bB' : cause - Historical data query duration is invalid: ${duration}`,
      );
      return;
    }
    if (!this.brokerage.marketDataPermitted(conid)) {
      session.sendError(
        reqId,
        TwsError.HISTORICAL_DATA_ERROR,
        `Historical Market Data Service error message:No market data permissions for ${instrument.exchange} ${instrument.secType}`,
      );
      return;
    }
    const seconds = Number(d[1]) * UNIT_SECONDS[d[2]!]!;
    const count = Math.min(10_000, Math.max(1, Math.floor(seconds / barSeconds)));
    const endMs = parseEnd(endText) ?? Date.now();
    const source =
      whatToShow === "BID" || whatToShow === "ASK" || whatToShow === "MIDPOINT" ? whatToShow : "TRADES";
    const bars = this.brokerage.bars(conid, { barSeconds, count, endMs, source });
    const daily = barSeconds >= 86_400;
    const time = (ms: number) =>
      daily ? ymd(ms) : formatDate === 2 ? String(Math.floor(ms / 1000)) : ibUtc(ms);
    const startMs = endMs - seconds * 1000;
    const out: (string | number)[] = [MSG.HISTORICAL_DATA];
    if (base === 2) out.push(3);
    out.push(reqId, ibUtc(startMs), ibUtc(endMs), bars.length);
    for (const b of bars) {
      const wap = (b.high + b.low + b.close) / 3;
      out.push(
        time(b.time),
        num(b.open),
        num(b.high),
        num(b.low),
        num(b.close),
        b.volume === null ? -1 : b.volume,
        b.volume === null ? -1 : num(wap),
        b.volume === null ? -1 : Math.max(1, Math.round(b.volume / 100)),
      );
    }
    session.send(out);
  }

  /** The contract of a request (conId, symbol, secType, …, exchange at +7, currency at +9), by conid or symbol. */
  private instrument(fields: string[], at: number): SimInstrument | undefined {
    const conid = intOr(fields[at], 0);
    if (conid > 0) return this.brokerage.findInstrument({ conid });
    const symbol = fields[at + 1];
    if (!symbol) return undefined;
    const query: InstrumentQuery = {
      symbol,
      secType: fields[at + 2] || null,
      currency: fields[at + 9] || null,
    };
    return this.brokerage.findInstrument(query);
  }

  // ---- ticks ----

  /** A move of `conid`: its lines' ticks, and the option computation of lines on options over it. */
  private onPrice(conid: number): void {
    for (const [session, m] of this.lines) {
      if (session.isClosed) {
        this.lines.delete(session);
        continue;
      }
      for (const line of m.values()) {
        const i = line.instrument;
        if (i.conid === conid || i.underlyingConid === conid) this.sendTicks(line, false);
      }
    }
  }

  /** The quote's ticks; after the first answer only the ones that changed. */
  private sendTicks(line: Line, all: boolean): void {
    // An option is re-marked from its underlying when read (brokerage.quote); its market data follows.
    if (line.instrument.underlyingConid !== undefined) this.brokerage.quote(line.instrument.conid);
    const d = this.brokerage.marketData(line.instrument.conid);
    if (!d) return;
    const k = line.delayed ? 1 : 0;
    const price = (tick: readonly [number, number], value: number, size: number) => {
      const id = tick[k];
      const text = `${num(value)}|${size}`;
      if (!all && line.sent.get(id) === text) return;
      line.sent.set(id, text);
      line.session.send([MSG.TICK_PRICE, 6, line.reqId, id, num(value), size, 0]);
    };
    const size = (tick: readonly [number, number], value: number) => {
      const id = tick[k];
      const text = String(value);
      if (!all && line.sent.get(id) === text) return;
      line.sent.set(id, text);
      line.session.send([MSG.TICK_SIZE, 6, line.reqId, id, value]);
    };
    price(TICK.bid, d.bid, d.bidSize);
    // TWS also sends sizes on their own when only they change. @stoqey/ib 1.6.10 never derives the bid size
    // (tick 0) from a bid tickPrice (it tests the size tick type for truthiness), so it goes out on its own too.
    if (!line.delayed) size([0, 69], d.bidSize);
    price(TICK.ask, d.ask, d.askSize);
    price(TICK.last, d.last, d.lastSize);
    size(TICK.volume, d.volume);
    price(TICK.high, d.high, 0);
    price(TICK.low, d.low, 0);
    price(TICK.close, d.close, 0);
    price(TICK.open, d.open, 0);
    this.sendOptionComputation(line, d);
  }

  /** The option model tick (13, delayed 83) for an option: the brokerage's model at the underlying's price. */
  private sendOptionComputation(line: Line, d: SimMarketData): void {
    const g = this.brokerage.optionQuote(d.conid);
    if (!g) return;
    const tickType = line.delayed ? 83 : 13;
    const values = [g.impliedVolatility, g.delta, d.last, 0, g.gamma, g.vega, g.theta, g.underlyingPrice].map(
      num,
    );
    const text = values.join("|");
    if (line.sent.get(tickType) === text) return;
    line.sent.set(tickType, text);
    const head =
      line.session.serverVersion >= PRICE_BASED_VOLATILITY
        ? [MSG.TICK_OPTION_COMPUTATION, line.reqId, tickType, 0]
        : [MSG.TICK_OPTION_COMPUTATION, 6, line.reqId, tickType];
    line.session.send([...head, ...values]);
  }
}

function intOr(text: string | undefined, fallback: number): number {
  const n = Number.parseInt(text ?? "", 10);
  return Number.isNaN(n) ? fallback : n;
}

/** `yyyyMMdd-HH:mm:ss` or `yyyyMMdd HH:mm:ss[ zone]` (read as UTC); empty = now. */
function parseEnd(text: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})[- ]+(\d{2}):(\d{2}):(\d{2})/.exec(text.trim());
  if (!m) return null;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

function ibUtc(ms: number): string {
  const t = new Date(ms).toISOString();
  return `${t.slice(0, 4)}${t.slice(5, 7)}${t.slice(8, 10)}-${t.slice(11, 19)}`;
}

function ymd(ms: number): string {
  const t = new Date(ms).toISOString();
  return `${t.slice(0, 4)}${t.slice(5, 7)}${t.slice(8, 10)}`;
}
