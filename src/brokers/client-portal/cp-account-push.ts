/**
 * Account values and PnL as the Client Portal WebSocket pushes them: `spl` (PnL of every account, always
 * subscribed) and `ssd+{account}` (the account summary: net liquidation, cash, margins, …), subscribed while
 * someone follows account changes (the account streams) for every account the gateway's `act` frame or a
 * summary read named. While the socket streams, a summary read is answered from what `ssd` pushed, so an
 * `accountUpdates` stream through Client Portal is pushed, not polled: no `/portfolio/{id}/summary` request
 * per event. Socket down or no frame yet: the caller reads over REST as before.
 */
import type { AccountSummary } from "../../schema/account.type";
import { BrokerApi } from "../../schema/enums";
import { arr, isObject, num, str } from "./cp-parse";
import { pnlRows, type AccountPnl } from "./cp-portfolio";
import type { CpFrame, CpWebSocket } from "./cp-websocket";

/** `ssd` keys (lower case, segment suffix removed) → AccountSummary fields. */
const SSD_KEYS: Readonly<Record<string, keyof PushedValues>> = {
  netliquidation: "netLiquidation",
  totalcashvalue: "totalCash",
  buyingpower: "buyingPower",
  availablefunds: "availableFunds",
  excessliquidity: "excessLiquidity",
  initmarginreq: "initMarginReq",
  maintmarginreq: "maintMarginReq",
  equitywithloanvalue: "equityWithLoan",
  grosspositionvalue: "grossPositionValue",
};

type PushedValues = Pick<
  AccountSummary,
  | "netLiquidation"
  | "totalCash"
  | "buyingPower"
  | "availableFunds"
  | "excessLiquidity"
  | "initMarginReq"
  | "maintMarginReq"
  | "equityWithLoan"
  | "grossPositionValue"
  | "currency"
>;

interface Pushed {
  values: PushedValues;
  /** Keys already taken from the account total (no segment suffix): a segment's row does not overwrite them. */
  totals: Set<string>;
  asOf: Date;
}

/**
 * An `ssd` frame's `result` rows as summary values. IB keys a row by name and segment (`NetLiquidation-S`
 * for securities, `-C` commodities, none for the total): the total wins, else the securities segment.
 */
export function ssdValues(result: unknown, into?: Pushed): Pushed {
  const out: Pushed = into ?? { values: {}, totals: new Set(), asOf: new Date(0) };
  for (const row of arr(result)) {
    if (!isObject(row)) continue;
    const key = str(row.key);
    if (!key) continue;
    const m = /^(.*?)(?:-([scp]))?$/.exec(key.toLowerCase())!;
    const name = m[1]!;
    const segment = m[2];
    const field = SSD_KEYS[name];
    if (!field || (segment !== undefined && segment !== "s")) continue;
    if (segment !== undefined && out.totals.has(name)) continue;
    if (segment === undefined) out.totals.add(name);
    const value = num(row.monetaryValue) ?? num(row.value);
    if (value === null) continue;
    (out.values as Record<string, unknown>)[field] = value;
    const currency = str(row.currency);
    if (currency) out.values.currency = currency;
    const at = num(row.timestamp);
    if (at !== null && at > out.asOf.getTime()) out.asOf = new Date(at);
  }
  return out;
}

export class CpAccountPush {
  private readonly pnl = new Map<string, AccountPnl>();
  private readonly summaries = new Map<string, Pushed>();
  private readonly listeners = new Set<() => void>();
  private readonly accounts = new Set<string>();

  constructor(private readonly socket: CpWebSocket) {
    socket.on("spl", (frame) => {
      for (const [account, pnl] of pnlRows(frame.args)) this.pnl.set(account, pnl);
      this.changed();
    });
    socket.subscribe("spl", "spl+{}", "upl+{}");
    socket.on("ssd+", (frame) => this.onSummary(frame));
    socket.on("act", (frame) => {
      const args = isObject(frame.args) ? frame.args : {};
      for (const a of arr(args.accounts)) if (typeof a === "string") this.know(a);
    });
    // A new socket sends each summary again on its subscription; until then the old values may be stale.
    socket.onUp(() => this.summaries.clear());
  }

  /** Calls `listener` on every push; the first listener subscribes the summaries, the last one's leaving ends them. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) for (const a of this.accounts) this.subscribeSummary(a);
    return () => {
      if (!this.listeners.delete(listener) || this.listeners.size > 0) return;
      for (const a of this.accounts) this.socket.unsubscribe(`ssd:${a}`);
      this.summaries.clear();
    };
  }

  /** An account the adapter has seen: its summary is followed while someone listens. */
  know(accountId: string): void {
    if (this.accounts.has(accountId)) return;
    this.accounts.add(accountId);
    if (this.listeners.size > 0) this.subscribeSummary(accountId);
  }

  /** The account's summary as `ssd` pushed it on the current socket; undefined when there is none to trust. */
  summary(accountId: string): AccountSummary | undefined {
    const pushed = this.socket.streaming() ? this.summaries.get(accountId) : undefined;
    if (!pushed || pushed.values.netLiquidation == null) return undefined;
    return {
      ...pushed.values,
      ...this.pnl.get(accountId),
      source: BrokerApi.CLIENT_PORTAL,
      asOf: pushed.asOf,
    };
  }

  /** PnL as `spl` last pushed it (any socket). */
  lastPnl(accountId: string): AccountPnl | undefined {
    return this.pnl.get(accountId);
  }

  /** PnL as `spl` pushed it, only while the socket streams (else it may be stale). */
  streamedPnl(accountId: string): AccountPnl | undefined {
    return this.socket.streaming() ? this.pnl.get(accountId) : undefined;
  }

  private subscribeSummary(accountId: string): void {
    const a = encodeURIComponent(accountId);
    this.socket.subscribe(`ssd:${accountId}`, `ssd+${a}+{}`, `usd+${a}+{}`);
  }

  private onSummary(frame: CpFrame): void {
    const topic = typeof frame.topic === "string" ? frame.topic : "";
    const accountId = decodeURIComponent(topic.slice("ssd+".length));
    if (!accountId || frame.error !== undefined || !Array.isArray(frame.result)) return;
    const prev = this.summaries.get(accountId);
    this.summaries.set(accountId, ssdValues(frame.result, prev));
    this.changed();
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}
