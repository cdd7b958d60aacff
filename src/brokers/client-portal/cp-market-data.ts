/**
 * Market data through Client Portal: snapshots with IB's pre-flight (the first call for a conid only
 * subscribes and answers without values), open lines followed on the WebSocket's `smd` topic (only changed
 * fields arrive) and, for lines the socket does not stream (down, stale, not confirmed yet), by polling one
 * snapshot call for all of them; `/iserver/marketdata/history` bars. Field ids are mapped in one table.
 * Client Portal has no field for an option's underlying price: an option's quote takes its underlying's
 * last (31), asked for in the same snapshot call, and on a stream from the underlying's own line.
 */
import { AppError, ErrorCode, badInput } from "../../errors";
import type { Logger } from "../../logger";
import type { Bar } from "../../schema/bar.type";
import type { Contract } from "../../schema/contract.type";
import { BrokerApi, SecType } from "../../schema/enums";
import { BarSize } from "../../schema/market-data.enums";
import { CP_BAR_SIZE } from "../market-data/bar-spec";
import type {
  BarQuery,
  MarketDataFeed,
  QuoteSink,
  QuoteUpdate,
  QuoteValues,
} from "../market-data/market-data.types";
import type { CpConnection } from "./cp-connection";
import type { CpErrors } from "./cp-errors";
import { arr, isObject, num } from "./cp-parse";
import type { CpWebSocket } from "./cp-websocket";

/** Client Portal field id → Quote field (client-portal-derivatives.md §4.2). */
export const CP_QUOTE_FIELDS: Readonly<Record<string, keyof QuoteValues>> = {
  "31": "last",
  "84": "bid",
  "86": "ask",
  "88": "bidSize",
  "85": "askSize",
  "7059": "lastSize",
  "7762": "volume",
  "7295": "open",
  "70": "high",
  "71": "low",
  "7741": "close",
  "7635": "mark",
  "7633": "impliedVolatility",
  "7308": "delta",
  "7309": "gamma",
  "7310": "theta",
  "7311": "vega",
};

/** Market data availability (`R` real-time, `D` delayed, `Z` frozen, `Y` frozen delayed, `N` none). */
export const CP_AVAILABILITY_FIELD = "6509";

export const CP_SNAPSHOT_FIELDS = [...Object.keys(CP_QUOTE_FIELDS), CP_AVAILABILITY_FIELD].join(",");

export interface CpMarketDataOptions {
  /** How often open lines are polled while the WebSocket does not stream them. @default 1_000 */
  quotePollMs?: number;
  /** Snapshot calls after the pre-flight before a snapshot gives up waiting for values. @default 4 */
  snapshotAttempts?: number;
  /** Pause between snapshot attempts. @default 250 */
  snapshotRetryMs?: number;
}

export interface CpMarketDataDeps {
  connection: CpConnection;
  errors: CpErrors;
  /** Lines follow its `smd` topic while it streams. */
  socket?: CpWebSocket;
  logger?: Logger;
}

/** One snapshot row as a quote update, or null when it carries no values yet (pre-flight). */
export function parseSnapshotRow(row: Record<string, unknown>): QuoteUpdate | null {
  const values: QuoteValues = {};
  let any = false;
  for (const [id, field] of Object.entries(CP_QUOTE_FIELDS)) {
    const raw = row[id];
    if (raw === undefined || raw === null || raw === "") continue;
    // `31` comes as "C193.18" (prior close) or "H193.18" (halted); greeks and IV may carry a `%`.
    const text = String(raw).replace(/^[CH]/, "").replace(/[,%]/g, "");
    const n = num(text);
    if (n === null) continue;
    values[field] = field === "impliedVolatility" && String(raw).includes("%") ? n / 100 : n;
    any = true;
  }
  const availability = typeof row[CP_AVAILABILITY_FIELD] === "string" ? row[CP_AVAILABILITY_FIELD] : null;
  if (!any) return null;
  const updated = num(row._updated);
  return {
    values,
    // Streamed rows carry 6509 only when it changes: absent means "as before".
    delayed: availability === null ? undefined : availability.startsWith("D") || availability.startsWith("Y"),
    at: updated !== null ? new Date(updated) : undefined,
  };
}

function notSubscribed(conid: number): AppError {
  return new AppError(
    ErrorCode.MARKET_DATA_UNAVAILABLE,
    `IB has no market data for conid ${conid} on this login (Client Portal 6509 "N": not subscribed).`,
    { conid, api: BrokerApi.CLIENT_PORTAL },
  );
}

export class CpMarketData implements MarketDataFeed {
  readonly api = BrokerApi.CLIENT_PORTAL;
  private readonly connection: CpConnection;
  private readonly errors: CpErrors;
  private readonly pollMs: number;
  private readonly attempts: number;
  private readonly retryMs: number;
  private readonly lines = new Map<number, Set<QuoteSink>>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  /** Conids the current socket has sent `smd` frames for: not polled while it streams. */
  private readonly streamed = new Set<number>();
  /** Option conid → the close of the line on its underlying that feeds its `underlyingPrice`. */
  private readonly underlyingLines = new Map<number, () => void>();

  constructor(
    options: CpMarketDataOptions,
    private readonly deps: CpMarketDataDeps,
  ) {
    this.connection = deps.connection;
    this.errors = deps.errors;
    this.pollMs = options.quotePollMs ?? 1_000;
    this.attempts = options.snapshotAttempts ?? 4;
    this.retryMs = options.snapshotRetryMs ?? 250;
    const socket = deps.socket;
    if (socket) {
      socket.onUp(() => this.streamed.clear());
      socket.on("smd+", (frame) => this.onStreamed(frame));
    }
  }

  isReady(): boolean {
    return !this.connection.readOnly && this.connection.isReady();
  }

  async snapshot(contract: Contract): Promise<QuoteUpdate> {
    this.connection.assertReady();
    const underlying = underlyingOf(contract);
    let pending: QuoteUpdate | null = null;
    for (let i = 0; i <= this.attempts; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, i === 1 ? 0 : this.retryMs));
      const rows = await this.fetch(underlying ? [contract.conid, underlying] : [contract.conid], i > 0);
      const row = rows.get(contract.conid);
      if (row && String(row[CP_AVAILABILITY_FIELD] ?? "").startsWith("N"))
        throw notSubscribed(contract.conid);
      const update = row ? parseSnapshotRow(row) : null;
      if (!update) continue;
      if (!underlying) return update;
      const und = rows.get(underlying);
      const last = und ? parseSnapshotRow(und)?.values.last : undefined;
      if (last != null) return { ...update, values: { ...update.values, underlyingPrice: last } };
      // The underlying's row may still be in its pre-flight: one more call, else the option without it.
      if (pending) return pending;
      pending = update;
    }
    if (pending) return pending;
    throw new AppError(
      ErrorCode.MARKET_DATA_UNAVAILABLE,
      `Client Portal sent no values for conid ${contract.conid} after its pre-flight; retry shortly.`,
      { conid: contract.conid, api: BrokerApi.CLIENT_PORTAL },
    );
  }

  open(contract: Contract, sink: QuoteSink): () => void {
    let sinks = this.lines.get(contract.conid);
    if (!sinks) {
      this.lines.set(contract.conid, (sinks = new Set()));
      const fields = JSON.stringify({ fields: CP_SNAPSHOT_FIELDS.split(",") });
      this.deps.socket?.subscribe(
        `smd:${contract.conid}`,
        `smd+${contract.conid}+${fields}`,
        `umd+${contract.conid}+{}`,
      );
    }
    sinks.add(sink);
    this.followUnderlying(contract);
    this.ensurePolling();
    void this.poll();
    return () => {
      const s = this.lines.get(contract.conid);
      if (!s) return;
      s.delete(sink);
      if (s.size > 0) return;
      this.lines.delete(contract.conid);
      this.underlyingLines.get(contract.conid)?.();
      this.underlyingLines.delete(contract.conid);
      this.streamed.delete(contract.conid);
      this.deps.socket?.unsubscribe(`smd:${contract.conid}`);
      if (this.lines.size === 0) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
      if (this.isReady()) {
        this.connection.client
          .post("/iserver/marketdata/unsubscribe", { conid: contract.conid })
          .catch(() => undefined);
      }
    };
  }

  async bars(contract: Contract, query: BarQuery): Promise<Bar[]> {
    this.connection.assertReady();
    if (query.barSize === BarSize.SECONDS_5) {
      throw badInput(
        "Client Portal serves bars of 1 minute and longer; 5-second bars need TWS (IB_TWS_PORT).",
        { field: "barSize", barSize: query.barSize, api: BrokerApi.CLIENT_PORTAL },
      );
    }
    const params = new URLSearchParams({
      conid: String(contract.conid),
      period: cpPeriod(query.ibDuration),
      bar: CP_BAR_SIZE[query.barSize],
      outsideRth: String(query.outsideRth),
      source: query.source.toLowerCase(),
    });
    if (query.end) params.set("startTime", ibTime(query.end.getTime() - query.durationSeconds * 1000));
    const r = await this.errors.readOk("historical data", () =>
      this.connection.client.get(`/iserver/marketdata/history?${params.toString()}`, { fresh: true }),
    );
    const body = isObject(r.json) ? r.json : {};
    const factor = num(body.volumeFactor) ?? 1;
    const out: Bar[] = [];
    for (const row of arr(body.data)) {
      if (!isObject(row)) continue;
      const t = num(row.t);
      const o = num(row.o);
      const h = num(row.h);
      const l = num(row.l);
      const c = num(row.c);
      if (t === null || o === null || h === null || l === null || c === null) continue;
      const v = num(row.v);
      out.push({
        time: new Date(t),
        open: o,
        high: h,
        low: l,
        close: c,
        volume: v === null ? null : v * factor,
      });
    }
    return out;
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.lines.clear();
    this.underlyingLines.clear();
  }

  /** An option line's `underlyingPrice` follows the last price of a line on its underlying. */
  private followUnderlying(contract: Contract): void {
    const underlying = underlyingOf(contract);
    if (!underlying || this.underlyingLines.has(contract.conid)) return;
    const forward: QuoteSink = {
      data: (u) => {
        const last = u.values.last;
        if (last == null) return;
        for (const s of this.lines.get(contract.conid) ?? []) s.data({ values: { underlyingPrice: last } });
      },
      // The option's own line reports its errors; a missing underlying price stays null.
      error: () => undefined,
    };
    this.underlyingLines.set(
      contract.conid,
      this.open({ ...contract, conid: underlying, underlyingConid: null }, forward),
    );
  }

  private onStreamed(frame: Record<string, unknown>): void {
    const conid = num(frame.conid);
    const sinks = conid === null ? undefined : this.lines.get(conid);
    if (conid === null || !sinks) return;
    this.streamed.add(conid);
    if (String(frame[CP_AVAILABILITY_FIELD] ?? "").startsWith("N")) {
      for (const s of [...sinks]) s.error(notSubscribed(conid));
      return;
    }
    const update = parseSnapshotRow(frame);
    if (update) for (const s of sinks) s.data(update);
  }

  private ensurePolling(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.poll(), this.pollMs);
    this.timer.unref();
  }

  /** One snapshot call for every open conid; rows without values (pre-flight, restored session) are skipped. */
  private async poll(): Promise<void> {
    if (this.polling || this.lines.size === 0 || !this.isReady()) return;
    const streaming = this.deps.socket?.streaming() ?? false;
    const conids = [...this.lines.keys()].filter((c) => !(streaming && this.streamed.has(c)));
    if (conids.length === 0) return;
    this.polling = true;
    try {
      const rows = await this.fetch(conids, true);
      for (const [conid, row] of rows) {
        const sinks = this.lines.get(conid);
        if (!sinks) continue;
        if (String(row[CP_AVAILABILITY_FIELD] ?? "").startsWith("N")) {
          for (const s of [...sinks]) s.error(notSubscribed(conid));
          continue;
        }
        const update = parseSnapshotRow(row);
        if (update) for (const s of sinks) s.data(update);
      }
    } catch (e) {
      this.deps.logger?.debug({ err: e }, "cp market data: poll failed, retrying on the next tick");
    } finally {
      this.polling = false;
    }
  }

  private async fetch(conids: number[], fresh: boolean): Promise<Map<number, Record<string, unknown>>> {
    const path = `/iserver/marketdata/snapshot?conids=${conids.join(",")}&fields=${CP_SNAPSHOT_FIELDS}`;
    const r = await this.errors.readOk("market data", () => this.connection.client.get(path, { fresh }));
    const out = new Map<number, Record<string, unknown>>();
    for (const row of arr(r.json)) {
      if (!isObject(row)) continue;
      const conid = num(row.conid);
      if (conid !== null) out.set(conid, row);
    }
    return out;
  }
}

/** The underlying conid of an option or a future option, else null. */
function underlyingOf(contract: Contract): number | null {
  const derivative = contract.secType === SecType.OPT || contract.secType === SecType.FOP;
  return derivative && contract.underlyingConid ? contract.underlyingConid : null;
}

/** IB's duration (`3600 S`, `5 D`, `2 W`, `1 M`, `1 Y`) as a history `period` (`60min`, `5d`, `2w`, `1m`, `1y`). */
export function cpPeriod(ibDuration: string): string {
  const [n, unit] = ibDuration.split(" ") as [string, string];
  const count = Number(n);
  switch (unit) {
    case "S":
      return count % 3600 === 0 ? `${count / 3600}h` : `${Math.ceil(count / 60)}min`;
    case "D":
      return `${count}d`;
    case "W":
      return `${count}w`;
    case "M":
      return `${count}m`;
    default:
      return `${count}y`;
  }
}

/** `YYYYMMDD-HH:mm:ss`, UTC. */
function ibTime(ms: number): string {
  const d = new Date(ms).toISOString();
  return `${d.slice(0, 4)}${d.slice(5, 7)}${d.slice(8, 10)}-${d.slice(11, 19)}`;
}
