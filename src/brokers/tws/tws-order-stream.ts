import type {
  CommissionReport as IbCommissionReport,
  Contract as IbContract,
  Execution as IbExecution,
  Order as IbOrder,
  OrderState as IbOrderState,
} from "@stoqey/ib";
import type { Logger } from "../../logger";
import { OrderStatus, TERMINAL_ORDER_STATUSES } from "../../schema/enums";
import type { Order } from "../../schema/order.type";
import type { OrderObservation } from "../api-broker";
import { ibNumber, ibText, parseIbTime, toFill, toOrder, type TwsOrderView } from "./tws-mapping";

/** One observation waiting to be reported, rendered when it arrived. */
interface Item {
  permId: number;
  order: Order;
  fill?: { execution: IbExecution; contract: IbContract };
  /** A live fill waits for its commission report until then (epoch ms). */
  waitUntil?: number;
  catchUp: boolean;
}

/** An execution as a reqExecutions snapshot returns it. */
export interface ExecutionSnapshot {
  contract: IbContract;
  execution: IbExecution;
}

/** Timing of the order stream. */
export interface TwsOrderStreamOptions {
  /** How long a fill waits for its commissionReport before it is reported without commission. @default 1000 */
  commissionWaitMs?: number;
  /**
   * Whether this order is in the journal of an earlier run of this server. On the first connection, fills
   * of such an order are reported (as catch-up; the tracker drops those it already journaled) instead of
   * remembered silently: they happened while the server was down, not before it was ever started.
   */
  knownOrder?: (orderId: string, clientOrderId: string | null) => boolean;
}

const TERMINAL_IB = new Set(["Filled", "Cancelled", "ApiCancelled", "Inactive"]);
const MAX_REMEMBERED = 50_000;

/**
 * Turns TWS's order messages into OrderObservations, in TWS's order per order, with three guarantees the
 * OrderTracker cannot give on its own:
 * - a fill goes out with its commission when the commissionReport follows within `commissionWaitMs`
 *   (IB sends it a few frames after the execution); later observations of that order wait behind it;
 * - during a reconciliation, live messages are held so that fills found by the snapshot (which happened
 *   first) are reported before anything that arrived live meanwhile;
 * - a status rendered before a fill that was already reported is dropped instead of moving the order back;
 * - a state the OrderTracker already has is not sent again: TWS follows each openOrder with an orderStatus
 *   that usually says the same, and repeats every open order whenever the open orders are listed.
 */
export class TwsOrderStream {
  /** Every order seen today, by permId. */
  readonly records = new Map<number, TwsOrderView>();
  private readonly byTwsId = new Map<string, number>();
  private readonly queues = new Map<number, Item[]>();
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private readonly commissions = new Map<string, IbCommissionReport>();
  private readonly reported = new Set<string>();
  /** The last order reported per permId, and the most filled quantity reported (fills may come late). */
  private readonly lastReported = new Map<number, { order: Order; filled: number }>();
  private readonly commissionWaitMs: number;
  private held: Item[] | null = null;
  private holds = 0;
  private closed = false;

  constructor(
    private readonly options: TwsOrderStreamOptions & {
      emit: (obs: OrderObservation) => void;
      logger: Logger;
    },
  ) {
    this.commissionWaitMs = options.commissionWaitMs ?? 1000;
  }

  get(permId: number): TwsOrderView | undefined {
    return this.records.get(permId);
  }

  byOrderId(clientId: number, orderId: number): TwsOrderView | undefined {
    const permId = this.byTwsId.get(`${clientId}:${orderId}`);
    return permId === undefined ? undefined : this.records.get(permId);
  }

  byClientOrderId(ref: string): TwsOrderView | undefined {
    let found: TwsOrderView | undefined;
    for (const r of this.records.values()) {
      if (ibText(r.order.orderRef) === ref && (!found || r.createdAt >= found.createdAt)) found = r;
    }
    return found;
  }

  // ---- TWS messages ----

  onOpenOrder(
    orderId: number,
    contract: IbContract,
    order: IbOrder,
    state: IbOrderState,
  ): TwsOrderView | undefined {
    const permId = ibNumber(order.permId);
    if (!permId) return undefined;
    const rec = this.upsert(permId, orderId, ibNumber(order.clientId), contract, order);
    // A bracket child names its parent by TWS orderId; the domain links orders by permId.
    const parentId = ibNumber(order.parentId);
    if (parentId && parentId > 0 && rec.clientId != null) {
      rec.parentPermId = this.byOrderId(rec.clientId, parentId)?.permId ?? rec.parentPermId ?? null;
    }
    if (state?.status) this.setStatus(rec, state.status);
    const warning = ibText(state?.warningText);
    if (warning) rec.statusMessage = warning;
    this.enqueueState(rec);
    return rec;
  }

  onOrderStatus(
    orderId: number,
    status: string,
    filled: number | undefined,
    remaining: number | undefined,
    avgFillPrice: number | undefined,
    permId: number | undefined,
    clientId: number | undefined,
    whyHeld: string | undefined,
  ): TwsOrderView | undefined {
    const rec =
      (permId ? this.records.get(permId) : undefined) ??
      (clientId != null ? this.byOrderId(clientId, orderId) : undefined);
    // IB always sends openOrder first; a status for an order never opened carries no terms to show.
    if (!rec) return undefined;
    const f = ibNumber(filled) ?? 0;
    if (f >= rec.filled) {
      rec.filled = f;
      rec.remaining = ibNumber(remaining);
      rec.avgFillPrice = ibNumber(avgFillPrice) ?? rec.avgFillPrice;
    }
    this.setStatus(rec, status);
    const held = ibText(whyHeld);
    if (held) rec.statusMessage = `held: ${held}`;
    rec.updatedAt = new Date();
    this.enqueueState(rec);
    return rec;
  }

  /** reqCompletedOrders: how an order ended (filled, cancelled, rejected), also for orders we never saw. */
  onCompletedOrder(contract: IbContract, order: IbOrder, state: IbOrderState): TwsOrderView | undefined {
    const permId = ibNumber(order.permId);
    if (!permId) return undefined;
    const rec = this.upsert(permId, ibNumber(order.orderId) ?? 0, ibNumber(order.clientId), contract, order);
    const filled = ibNumber(order.filledQuantity);
    if (filled != null && filled >= rec.filled) {
      rec.filled = filled;
      const total = ibNumber(order.totalQuantity);
      rec.remaining = total != null ? Math.max(0, total - filled) : rec.remaining;
    }
    if (state?.status) this.setStatus(rec, state.status);
    const why = ibText(state?.completedStatus);
    if (why && rec.ibStatus !== "Filled") rec.statusMessage = why;
    const at = parseIbTime(state?.completedTime);
    if (at) rec.updatedAt = at;
    this.enqueueState(rec);
    return rec;
  }

  /** A live execution (reqId -1). Snapshot executions go through `catchUpFills`. */
  onExecution(contract: IbContract, execution: IbExecution): void {
    const execId = ibText(execution.execId);
    if (!execId || this.reported.has(execId)) return;
    // A combo's BAG-level execution only repeats its legs' at the net price: the legs are the fills.
    if ((contract.secType as string | undefined) === "BAG") return;
    const rec = this.applyExecution(contract, execution);
    if (!rec) return;
    const waitUntil = this.commissions.has(execId) ? undefined : Date.now() + this.commissionWaitMs;
    this.enqueue({
      permId: rec.permId,
      order: renderFill(rec, execution),
      fill: { execution, contract },
      waitUntil,
      catchUp: false,
    });
  }

  onCommission(report: IbCommissionReport): void {
    const execId = ibText(report.execId);
    if (!execId) return;
    remember(this.commissions, execId, report);
    for (const [permId, queue] of this.queues) {
      const head = queue[0];
      if (head?.fill?.execution.execId === execId) this.pump(permId);
    }
  }

  /** An error frame about one of our orders: kept as the order's status message. */
  noteError(clientId: number, orderId: number, message: string): void {
    const rec = this.byOrderId(clientId, orderId);
    if (rec) rec.statusMessage = message;
  }

  // ---- reconciliation ----

  /** Holds live messages until `release`; nests, so overlapping reconciliations release once. */
  hold(): void {
    this.holds++;
    this.held ??= [];
  }

  /**
   * Reports the fills a snapshot found that were never reported, oldest first, marked catch-up. With
   * `silently` (the first connection) they are only remembered: fills from before this server started are
   * history, visible in the orders' filled quantities.
   */
  catchUpFills(executions: ExecutionSnapshot[], silently: boolean): void {
    const fresh = executions
      .filter((e) => {
        const id = ibText(e.execution.execId);
        return id != null && !this.reported.has(id);
      })
      .sort((a, b) => {
        const ta = parseIbTime(a.execution.time)?.getTime() ?? 0;
        const tb = parseIbTime(b.execution.time)?.getTime() ?? 0;
        return ta - tb || (ibNumber(a.execution.cumQty) ?? 0) - (ibNumber(b.execution.cumQty) ?? 0);
      });
    for (const e of fresh) {
      const rec = this.applyExecution(e.contract, e.execution);
      if (!rec) continue;
      if (silently && !this.options.knownOrder?.(String(rec.permId), ibText(rec.order.orderRef))) {
        remember(this.reported, e.execution.execId!);
        continue;
      }
      // Straight into the order's queue, ahead of whatever is held: these happened before it.
      this.queueOf(rec.permId).push({
        permId: rec.permId,
        order: renderFill(rec, e.execution),
        fill: e,
        catchUp: true,
      });
      this.pump(rec.permId);
    }
  }

  /** Ends one `hold`; held state changes go out marked catch-up, held live fills as they were. */
  release(): void {
    if (this.holds === 0) return;
    this.holds--;
    if (this.holds > 0 || !this.held) return;
    const items = this.held;
    this.held = null;
    for (const item of items) this.enqueue(item.fill ? item : { ...item, catchUp: true });
  }

  /** Work orders of other client ids: their live messages do not reach this connection. */
  workingOrders(): TwsOrderView[] {
    return [...this.records.values()].filter((r) => !TERMINAL_IB.has(r.ibStatus));
  }

  /** Reports everything still queued (fills without waiting for commissions), then stops. */
  close(): void {
    for (const permId of [...this.queues.keys()]) this.pump(permId, true);
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  // ---- internals ----

  private upsert(
    permId: number,
    orderId: number,
    clientId: number | null,
    contract: IbContract,
    order: IbOrder,
  ): TwsOrderView {
    const now = new Date();
    let rec = this.records.get(permId);
    if (!rec) {
      rec = {
        permId,
        orderId,
        clientId,
        contract,
        order,
        ibStatus: "PendingSubmit",
        filled: 0,
        remaining: null,
        avgFillPrice: null,
        statusMessage: null,
        createdAt: now,
        updatedAt: now,
      };
      this.records.set(permId, rec);
      this.forgetFinished();
    } else {
      if (orderId > 0) rec.orderId = orderId;
      rec.clientId = clientId ?? rec.clientId;
      rec.contract = { ...rec.contract, ...contract };
      // Keep the orderRef and account even when a message leaves them empty.
      rec.order = {
        ...rec.order,
        ...order,
        orderRef: ibText(order.orderRef) ?? rec.order.orderRef,
        account: ibText(order.account) ?? rec.order.account,
      };
      rec.updatedAt = now;
    }
    if (rec.clientId != null && rec.orderId > 0) this.byTwsId.set(`${rec.clientId}:${rec.orderId}`, permId);
    return rec;
  }

  /**
   * Keeps a server that runs for weeks bounded: past MAX_REMEMBERED orders, the oldest finished ones are
   * forgotten (never a working one). The OrderTracker keeps its own week of history for deduplication.
   */
  private forgetFinished(): void {
    if (this.records.size <= MAX_REMEMBERED) return;
    for (const [permId, rec] of this.records) {
      if (this.records.size <= MAX_REMEMBERED * 0.9) break;
      if (!TERMINAL_IB.has(rec.ibStatus) || this.queues.has(permId)) continue;
      this.records.delete(permId);
      this.lastReported.delete(permId);
      if (rec.clientId != null) this.byTwsId.delete(`${rec.clientId}:${rec.orderId}`);
    }
  }

  private setStatus(rec: TwsOrderView, status: string): void {
    // Never out of a terminal state: IB may repeat an older status after a fill or cancel.
    if (TERMINAL_IB.has(rec.ibStatus) && !TERMINAL_IB.has(status)) return;
    rec.ibStatus = status;
  }

  private applyExecution(contract: IbContract, e: IbExecution): TwsOrderView | undefined {
    const permId = ibNumber(e.permId);
    if (!permId) return undefined;
    let rec = this.records.get(permId);
    if (!rec) {
      // A fill of an order we never saw opened (placed elsewhere, already done): terms from the execution.
      rec = this.upsert(permId, ibNumber(e.orderId) ?? 0, ibNumber(e.clientId), contract, {
        action: e.side === "BOT" ? ("BUY" as never) : ("SELL" as never),
        totalQuantity: ibNumber(e.cumQty) ?? undefined,
        orderType: "MKT" as never,
        account: e.acctNumber,
        orderRef: e.orderRef,
      });
    }
    const cum = ibNumber(e.cumQty);
    if (cum != null && cum >= rec.filled) {
      rec.filled = cum;
      rec.avgFillPrice = ibNumber(e.avgPrice) ?? rec.avgFillPrice;
      const total = ibNumber(rec.order.totalQuantity);
      if (total != null) rec.remaining = Math.max(0, total - cum);
    }
    rec.updatedAt = new Date();
    return rec;
  }

  private enqueueState(rec: TwsOrderView): void {
    this.enqueue({ permId: rec.permId, order: toOrder(rec), catchUp: false });
  }

  private enqueue(item: Item): void {
    if (this.closed) return;
    if (this.held) {
      this.held.push(item);
      return;
    }
    this.queueOf(item.permId).push(item);
    this.pump(item.permId);
  }

  private queueOf(permId: number): Item[] {
    let q = this.queues.get(permId);
    if (!q) {
      q = [];
      this.queues.set(permId, q);
    }
    return q;
  }

  private pump(permId: number, force = false): void {
    const queue = this.queues.get(permId);
    clearTimeout(this.timers.get(permId));
    this.timers.delete(permId);
    while (queue && queue.length > 0) {
      const head = queue[0]!;
      const execId = head.fill?.execution.execId;
      if (!force && execId && head.waitUntil !== undefined && !this.commissions.has(execId)) {
        const left = head.waitUntil - Date.now();
        if (left > 0) {
          this.timers.set(
            permId,
            setTimeout(() => this.pump(permId), left),
          );
          return;
        }
      }
      queue.shift();
      this.report(head);
    }
    this.queues.delete(permId);
  }

  private report(item: Item): void {
    const last = this.lastReported.get(item.permId);
    const lastFilled = last?.filled ?? 0;
    let fill: OrderObservation["fill"];
    if (item.fill) {
      const execId = item.fill.execution.execId!;
      if (this.reported.has(execId)) return;
      remember(this.reported, execId);
      // A combo order's executions are its legs': the fill carries the leg's contract and side.
      const leg = item.order.legs ? item.fill.contract : undefined;
      fill = toFill(item.fill.execution, this.commissions.get(execId), leg);
    } else if (item.order.filledQuantity < lastFilled) {
      return; // rendered before a fill that is already out: it would move the order back
    } else if (last && sameState(last.order, item.order)) {
      return; // the tracker has this state already
    }
    this.lastReported.set(item.permId, {
      order: item.order,
      filled: Math.max(lastFilled, item.order.filledQuantity),
    });
    try {
      this.options.emit(
        fill
          ? { order: item.order, fill, catchUp: item.catchUp }
          : { order: item.order, catchUp: item.catchUp },
      );
    } catch (e) {
      this.options.logger.warn({ err: e, permId: item.permId }, "order observation handler failed");
    }
  }
}

/** The order as it was right after this execution: its cumulative quantity and average price. */
function renderFill(rec: TwsOrderView, e: IbExecution): Order {
  const base = toOrder(rec);
  const cum = ibNumber(e.cumQty) ?? base.filledQuantity;
  const quantity = base.quantity > 0 ? base.quantity : cum;
  const done = cum >= quantity;
  return {
    ...base,
    filledQuantity: cum,
    remainingQuantity: Math.max(0, quantity - cum),
    averageFillPrice: ibNumber(e.avgPrice) ?? base.averageFillPrice,
    status: done
      ? OrderStatus.FILLED
      : TERMINAL_ORDER_STATUSES.has(base.status) && base.status !== OrderStatus.FILLED
        ? base.status
        : OrderStatus.PARTIALLY_FILLED,
  };
}

/** Equal but for the time of the message that rendered them. */
function sameState(a: Order, b: Order): boolean {
  return JSON.stringify({ ...a, updatedAt: null }) === JSON.stringify({ ...b, updatedAt: null });
}

function remember<K, V>(store: Map<K, V> | Set<K>, key: K, value?: V): void {
  if (store instanceof Map) store.set(key, value as V);
  else store.add(key);
  if (store.size > MAX_REMEMBERED) {
    const oldest = store.keys().next().value as K;
    store.delete(oldest);
  }
}
