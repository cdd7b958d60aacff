/**
 * Market data through TWS: reqMktData lines (streaming) and snapshots, the market data type
 * (reqMarketDataType: live, frozen, delayed, delayed-frozen), and reqHistoricalData bars. Lines live across
 * reconnects: every open line is requested again on each new connection, so the core never notices a drop
 * beyond the pause. Errors 354 / 10089 / 10090 / 10186 end a line as MARKET_DATA_UNAVAILABLE; 10167 (IB
 * shows delayed data instead) is a warning, and the delayed ticks that follow mark the quote `delayed`.
 */
import {
  IBApiNextError,
  IBApiTickType,
  MarketDataType,
  IBApiNextTickType as NextTickType,
  type BarSizeSetting,
  type Bar as IbBar,
  type MarketDataTicks,
  type WhatToShow,
} from "@stoqey/ib";
import type { Subscription } from "rxjs";
import { AppError, ErrorCode } from "../../errors";
import type { Logger } from "../../logger";
import type { Bar } from "../../schema/bar.type";
import type { Contract } from "../../schema/contract.type";
import { BrokerApi } from "../../schema/enums";
import type { TwsConnection } from "../../session/tws-supervisor";
import { TWS_BAR_SIZE, TWS_WHAT_TO_SHOW } from "../market-data/bar-spec";
import type {
  BarQuery,
  MarketDataFeed,
  QuoteSink,
  QuoteUpdate,
  QuoteValues,
} from "../market-data/market-data.types";
import type { TwsConnectionPart } from "./tws-connection";
import { toIbOrderContract } from "./tws-mapping";
import { DEFAULT_REQUEST_TIMEOUT_MS, withDeadline } from "./tws-requests";

/** MARKET_DATA_TYPE: what reqMarketDataType asks for on every connection. */
export type TwsMarketDataType = "live" | "frozen" | "delayed" | "delayed-frozen";

export interface TwsMarketDataOptions {
  /** @default "live" */
  marketDataType?: TwsMarketDataType;
  /** A snapshot or a bars request fails after this long. @default 12_000 (IB's snapshots take up to 11 s) */
  marketDataTimeoutMs?: number;
}

const IB_TYPE: Record<TwsMarketDataType, MarketDataType> = {
  live: MarketDataType.REALTIME,
  frozen: MarketDataType.FROZEN,
  delayed: MarketDataType.DELAYED,
  "delayed-frozen": MarketDataType.DELAYED_FROZEN,
};

/** TWS tick type → Quote field; the delayed variants mark the quote delayed. */
const TICKS: ReadonlyMap<number, { field: keyof QuoteValues; delayed: boolean }> = new Map<
  number,
  { field: keyof QuoteValues; delayed: boolean }
>([
  [IBApiTickType.BID, { field: "bid", delayed: false }],
  [IBApiTickType.ASK, { field: "ask", delayed: false }],
  [IBApiTickType.LAST, { field: "last", delayed: false }],
  [IBApiTickType.BID_SIZE, { field: "bidSize", delayed: false }],
  [IBApiTickType.ASK_SIZE, { field: "askSize", delayed: false }],
  [IBApiTickType.LAST_SIZE, { field: "lastSize", delayed: false }],
  [IBApiTickType.VOLUME, { field: "volume", delayed: false }],
  [IBApiTickType.OPEN, { field: "open", delayed: false }],
  [IBApiTickType.HIGH, { field: "high", delayed: false }],
  [IBApiTickType.LOW, { field: "low", delayed: false }],
  [IBApiTickType.CLOSE, { field: "close", delayed: false }],
  [IBApiTickType.MARK_PRICE, { field: "mark", delayed: false }],
  [IBApiTickType.DELAYED_BID, { field: "bid", delayed: true }],
  [IBApiTickType.DELAYED_ASK, { field: "ask", delayed: true }],
  [IBApiTickType.DELAYED_LAST, { field: "last", delayed: true }],
  [IBApiTickType.DELAYED_BID_SIZE, { field: "bidSize", delayed: true }],
  [IBApiTickType.DELAYED_ASK_SIZE, { field: "askSize", delayed: true }],
  [IBApiTickType.DELAYED_LAST_SIZE, { field: "lastSize", delayed: true }],
  [IBApiTickType.DELAYED_VOLUME, { field: "volume", delayed: true }],
  [IBApiTickType.DELAYED_OPEN, { field: "open", delayed: true }],
  [IBApiTickType.DELAYED_HIGH, { field: "high", delayed: true }],
  [IBApiTickType.DELAYED_LOW, { field: "low", delayed: true }],
  [IBApiTickType.DELAYED_CLOSE, { field: "close", delayed: true }],
  // Option computations (tick 13 / 83 as IBApiNext splits them): the hook for options.
  [NextTickType.MODEL_OPTION_IV, { field: "impliedVolatility", delayed: false }],
  [NextTickType.MODEL_OPTION_DELTA, { field: "delta", delayed: false }],
  [NextTickType.MODEL_OPTION_GAMMA, { field: "gamma", delayed: false }],
  [NextTickType.MODEL_OPTION_VEGA, { field: "vega", delayed: false }],
  [NextTickType.MODEL_OPTION_THETA, { field: "theta", delayed: false }],
  [NextTickType.OPTION_UNDERLYING, { field: "underlyingPrice", delayed: false }],
  [NextTickType.DELAYED_MODEL_OPTION_IV, { field: "impliedVolatility", delayed: true }],
  [NextTickType.DELAYED_MODEL_OPTION_DELTA, { field: "delta", delayed: true }],
  [NextTickType.DELAYED_MODEL_OPTION_GAMMA, { field: "gamma", delayed: true }],
  [NextTickType.DELAYED_MODEL_OPTION_VEGA, { field: "vega", delayed: true }],
  [NextTickType.DELAYED_MODEL_OPTION_THETA, { field: "theta", delayed: true }],
]);

/** Errors that end a market-data request: no permission (354, 10089, 10090), no delayed data (10186), … */
const UNAVAILABLE = new Set([354, 10089, 10090, 10168, 10186, 10197]);

/** Ticks as a quote update; null when none of them is a quote field. */
export function ticksToUpdate(ticks: MarketDataTicks): QuoteUpdate | null {
  const values: QuoteValues = {};
  let delayed: boolean | undefined;
  let at = 0;
  for (const [type, tick] of ticks) {
    const m = TICKS.get(type as number);
    if (!m) continue;
    values[m.field] = tick.value ?? null;
    delayed = (delayed ?? false) || m.delayed;
    at = Math.max(at, tick.ingressTm);
  }
  if (delayed === undefined) return null;
  return { values, delayed, at: at ? new Date(at) : undefined };
}

function toAppError(e: unknown, conid: number): AppError {
  if (e instanceof AppError) return e;
  if (e instanceof IBApiNextError) {
    const reason = e.error.message;
    const code = e.code as number;
    if (UNAVAILABLE.has(code)) {
      return new AppError(
        ErrorCode.MARKET_DATA_UNAVAILABLE,
        `TWS has no market data for conid ${conid} (${e.code}): ${reason}`,
        { api: BrokerApi.TWS, conid, ibCode: e.code },
      );
    }
    if (code === 162 && /pacing/i.test(reason)) {
      return new AppError(ErrorCode.RATE_LIMITED, `TWS historical data pacing violation: ${reason}`, {
        api: BrokerApi.TWS,
        ibCode: e.code,
        retryAt: new Date(Date.now() + 15_000).toISOString(),
      });
    }
    if (code === 200) {
      return new AppError(ErrorCode.NOT_FOUND, `TWS knows no contract with conid ${conid}.`, {
        api: BrokerApi.TWS,
        conid,
      });
    }
    return new AppError(ErrorCode.BROKER_UNAVAILABLE, `TWS refused the request (${e.code}): ${reason}`, {
      api: BrokerApi.TWS,
      ibCode: e.code,
    });
  }
  return new AppError(ErrorCode.BROKER_UNAVAILABLE, `TWS market data failed: ${String(e)}`, {
    api: BrokerApi.TWS,
  });
}

/** `yyyyMMdd-HH:mm:ss` (UTC), the endDateTime form TWS takes without a time zone name. */
function ibEndTime(d: Date): string {
  const t = d.toISOString();
  return `${t.slice(0, 4)}${t.slice(5, 7)}${t.slice(8, 10)}-${t.slice(11, 19)}`;
}

/** A bar's time as TWS sends it with formatDate 2: epoch seconds, or `yyyyMMdd` for daily and longer bars. */
export function barTime(text: string | undefined): Date | null {
  if (!text) return null;
  const t = text.trim();
  if (/^\d{8}$/.test(t)) return new Date(Date.UTC(+t.slice(0, 4), +t.slice(4, 6) - 1, +t.slice(6, 8)));
  if (/^\d+$/.test(t)) return new Date(Number(t) * 1000);
  const m = /^(\d{4})(\d{2})(\d{2})[-\s]+(\d{2}):(\d{2}):(\d{2})/.exec(t);
  if (m) return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  return null;
}

interface Line {
  contract: Contract;
  sink: QuoteSink;
  sub: Subscription | null;
}

export class TwsMarketData implements MarketDataFeed, TwsConnectionPart {
  readonly api = BrokerApi.TWS;
  private readonly type: MarketDataType;
  private readonly timeoutMs: number;
  private readonly lines = new Set<Line>();
  private conn: TwsConnection | undefined;

  constructor(
    options: TwsMarketDataOptions,
    private readonly link: { current(): TwsConnection | undefined; notReady(): AppError },
    private readonly log: Logger,
  ) {
    this.type = IB_TYPE[options.marketDataType ?? "live"];
    this.timeoutMs = options.marketDataTimeoutMs ?? Math.max(DEFAULT_REQUEST_TIMEOUT_MS, 12_000);
  }

  // ---- connection ----

  attach(conn: TwsConnection): void {
    this.conn = conn;
    if (this.type !== MarketDataType.REALTIME) conn.api.setMarketDataType(this.type);
    for (const line of this.lines) this.request(line, conn);
  }

  lost(conn: TwsConnection): void {
    if (this.conn !== conn) return;
    this.conn = undefined;
    for (const line of this.lines) {
      line.sub?.unsubscribe();
      line.sub = null;
    }
  }

  // ---- feed ----

  isReady(): boolean {
    return this.link.current() !== undefined;
  }

  async snapshot(contract: Contract): Promise<QuoteUpdate> {
    const conn = this.ready();
    const data = await withDeadline(
      conn.api.getMarketDataSnapshot(toIbOrderContract(contract), "", false),
      this.timeoutMs,
      "a market data snapshot",
      conn,
    ).catch((e: unknown) => {
      throw toAppError(e, contract.conid);
    });
    const update = ticksToUpdate(data);
    if (!update) {
      throw new AppError(
        ErrorCode.MARKET_DATA_UNAVAILABLE,
        `TWS sent no prices for conid ${contract.conid} in its snapshot.`,
        { api: BrokerApi.TWS, conid: contract.conid },
      );
    }
    return update;
  }

  open(contract: Contract, sink: QuoteSink): () => void {
    const line: Line = { contract, sink, sub: null };
    this.lines.add(line);
    const conn = this.link.current();
    if (conn) this.request(line, conn);
    return () => {
      this.lines.delete(line);
      line.sub?.unsubscribe();
      line.sub = null;
    };
  }

  async bars(contract: Contract, query: BarQuery): Promise<Bar[]> {
    const conn = this.ready();
    const bars = await withDeadline(
      conn.api.getHistoricalData(
        toIbOrderContract(contract),
        query.end ? ibEndTime(query.end) : undefined,
        query.ibDuration,
        TWS_BAR_SIZE[query.barSize] as BarSizeSetting,
        TWS_WHAT_TO_SHOW[query.source] as WhatToShow,
        query.outsideRth ? 0 : 1,
        2,
      ),
      this.timeoutMs,
      "historical data",
      conn,
    ).catch((e: unknown) => {
      throw toAppError(e, contract.conid);
    });
    return bars.flatMap((b: IbBar): Bar[] => {
      const time = barTime(b.time);
      if (!time || b.open == null || b.high == null || b.low == null || b.close == null) return [];
      const volume = b.volume == null || b.volume < 0 ? null : b.volume;
      return [{ time, open: b.open, high: b.high, low: b.low, close: b.close, volume }];
    });
  }

  // ---- helpers ----

  private ready(): TwsConnection {
    const conn = this.link.current();
    if (!conn) throw this.link.notReady();
    return conn;
  }

  private request(line: Line, conn: TwsConnection): void {
    line.sub?.unsubscribe();
    line.sub = conn.api.getMarketData(toIbOrderContract(line.contract), "", false, false).subscribe({
      next: (u) => {
        const update = ticksToUpdate(u.changed ?? u.all);
        if (update) line.sink.data(update);
      },
      error: (e: unknown) => {
        line.sub = null;
        if (!conn.alive) return;
        this.log.debug({ err: e, conid: line.contract.conid }, "tws market data: line ended");
        this.lines.delete(line);
        line.sink.error(toAppError(e, line.contract.conid));
      },
    });
  }
}
