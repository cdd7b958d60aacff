/**
 * Orders at TWS: placing, modifying and cancelling them, and hearing what TWS says about them.
 *
 * The whole order path runs over the connection's socket-level API (`conn.raw`, the IBApi under IBApiNext):
 * - sending: placeOrder / cancelOrder, and the list requests reqAllOpenOrders, reqCompletedOrders,
 *   reqExecutions and (as client 0) reqAutoOpenOrders (tws-requests.ts, `subscribe` below). IBApiNext's
 *   order methods are thin wrappers over the same calls, and its open-order subscriptions keep their own
 *   copy of every order (getAutoOpenOrders's is never pruned); it still serves the next valid order id.
 * - hearing: one set of listeners per connection (`attach`) hands every openOrder, orderStatus,
 *   completedOrder, live execDetails and commissionReport to the TwsOrderStream, the only way into the
 *   OrderTracker (which so gets each order state once, however often TWS repeats it), and the
 *   openOrder/orderStatus/error frames of this client's order ids to the exchanges waiting on them
 *   (`awaitOrder`).
 * - settling: an exchange ends on TWS's answer, the loss of the connection it was sent on, or a deadline.
 *   A placement that got no answer is OUTCOME_UNKNOWN and never resent; its clientOrderId is remembered
 *   with the connection it went out on, so `findByClientOrderId` can tell "never arrived" (a later
 *   connection's lists lack it) from "TWS may still hold it" (the same connection's lists lack it).
 */
import {
  EventName,
  type CommissionReport as IbCommissionReport,
  type Contract as IbContract,
  type Execution as IbExecution,
  type Order as IbOrder,
  type OrderState as IbOrderState,
} from "@stoqey/ib";
import { AppError, ErrorCode, notFound } from "../../errors";
import type { Logger } from "../../logger";
import type { Contract } from "../../schema/contract.type";
import { OrderStatus } from "../../schema/enums";
import type { ModifyOrderInput } from "../../schema/order.input";
import type { Order, OrderPreview } from "../../schema/order.type";
import { REQUEST_ID_BASE } from "../../session/tws-client";
import type { TwsConnection } from "../../session/tws-supervisor";
import type { OrderRequest, PlaceOutcome } from "../api-broker";
import { bracketChildren, termsAfterModify } from "../order-terms";
import type { TwsConnectionPart } from "./tws-connection";
import {
  TwsErrorCode,
  cancelError,
  isFatalForOrder,
  modifyError,
  outcomeUnknown,
  placementError,
  type TwsErrorFrame,
} from "./tws-errors";
import {
  ibNumber,
  ibText,
  toContract,
  toIbComboContract,
  toIbOrder,
  toIbOrderContract,
  toOrder,
  toPreview,
  toTimeInForce,
  type TwsOrderView,
} from "./tws-mapping";
import type { TwsOrderStream } from "./tws-order-stream";
import type { TwsReconciler } from "./tws-reconcile";
import {
  DEFAULT_REQUEST_TIMEOUT_MS,
  fetchOpenOrders,
  withDeadline,
  type TwsRequestOptions,
} from "./tws-requests";

/** How long order exchanges wait for TWS. */
export interface TwsOrdersOptions extends TwsRequestOptions {
  /**
   * How long a placement or modification waits for TWS's openOrder acknowledgement; after that its outcome
   * is OUTCOME_UNKNOWN (never resent). @default 10_000
   */
  ackTimeoutMs?: number;
  /** How long cancelOrder waits for IB's confirmation or refusal before answering PENDING_CANCEL. @default 3000 */
  cancelWaitMs?: number;
  /**
   * An acknowledgement in state Inactive/Cancelled waits this long for the error frame that says why, so a
   * rejection is reported as ORDER_REJECTED rather than as an inactive order. @default 250
   */
  rejectGraceMs?: number;
}

/** What the orders part needs of the rest of the adapter. */
export interface TwsOrdersDeps {
  stream: TwsOrderStream;
  reconciler: TwsReconciler;
  log: Logger;
  /** The connection while CONNECTED, and the error that says why there is none. */
  link: { current(): TwsConnection | undefined; notReady(): AppError };
}

/** How a pending order exchange settles (see awaitOrder). */
interface Settle<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
  /** A timer that is cleared when the exchange settles. */
  later(ms: number, fn: () => void): void;
}

/** An exchange waiting for TWS's answer about one of our order ids. */
interface Waiter {
  /** The connection it was sent on; only that connection's loss settles it. */
  generation: number;
  onOpenOrder?(rec: TwsOrderView): void;
  onStatus?(rec: TwsOrderView): void;
  onError?(f: TwsErrorFrame): void;
  /** A what-if answer: an openOrder that is no order, only IB's margin and commission estimate. */
  onWhatIf?(state: IbOrderState): void;
  onLost(reason: string): void;
}

/** A cancel that TWS confirms leaves the order in one of these. */
const CANCELLED_IB = ["Cancelled", "ApiCancelled"];

export class TwsOrders implements TwsConnectionPart {
  private readonly o: Required<TwsOrdersOptions>;
  private readonly stream: TwsOrderStream;
  private readonly log: Logger;
  private readonly waiters = new Map<number, Set<Waiter>>();
  private nextOrderId = 0;
  /** clientOrderIds sent on a connection, for reconciliation: connection generation by key. */
  private readonly sent = new Map<string, { generation: number }>();

  constructor(
    options: TwsOrdersOptions,
    private readonly deps: TwsOrdersDeps,
  ) {
    this.o = {
      ackTimeoutMs: options.ackTimeoutMs ?? 10_000,
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      cancelWaitMs: options.cancelWaitMs ?? 3000,
      rejectGraceMs: options.rejectGraceMs ?? 250,
    };
    this.stream = deps.stream;
    this.log = deps.log;
  }

  // ---- hearing ----

  /** The raw order messages, for the whole life of this connection. */
  attach(conn: TwsConnection): void {
    this.nextOrderId = Math.max(this.nextOrderId, conn.nextValidId);
    const { raw } = conn;
    const live = () => conn.alive;
    raw.on(
      EventName.openOrder,
      (orderId: number, contract: IbContract, order: IbOrder, state: IbOrderState) => {
        if (!live()) return;
        if (order.whatIf) {
          // Nothing was placed: kept out of the order stream, so no preview ever shows up as an order.
          this.notify(orderId, (w) => w.onWhatIf?.(state));
          return;
        }
        const rec = this.stream.onOpenOrder(orderId, contract, order, state);
        if (rec && rec.clientId === conn.clientId) this.notify(orderId, (w) => w.onOpenOrder?.(rec));
      },
    );
    raw.on(
      EventName.orderStatus,
      (
        orderId: number,
        status: string,
        filled: number,
        remaining: number,
        avgFillPrice: number,
        permId?: number,
        _parentId?: number,
        _lastFillPrice?: number,
        clientId?: number,
        whyHeld?: string,
      ) => {
        if (!live()) return;
        const rec = this.stream.onOrderStatus(
          orderId,
          status,
          filled,
          remaining,
          avgFillPrice,
          permId,
          clientId,
          whyHeld,
        );
        if (rec && rec.clientId === conn.clientId) this.notify(orderId, (w) => w.onStatus?.(rec));
      },
    );
    raw.on(EventName.completedOrder, (contract: IbContract, order: IbOrder, state: IbOrderState) => {
      if (live()) this.stream.onCompletedOrder(contract, order, state);
    });
    raw.on(EventName.execDetails, (reqId: number, contract: IbContract, execution: IbExecution) => {
      // Snapshot answers (our reqId) are collected by fetchExecutions and reported in order by reconcile.
      if (live() && reqId === -1) this.stream.onExecution(contract, execution);
    });
    raw.on(EventName.commissionReport, (report: IbCommissionReport) => {
      if (live()) this.stream.onCommission(report);
    });
    raw.on(EventName.nextValidId, (id: number) => {
      if (live()) this.nextOrderId = Math.max(this.nextOrderId, id);
    });
    raw.on(EventName.error, (err: Error, code: number, id: number) => {
      // Request ids start at REQUEST_ID_BASE: anything below is an order id.
      if (!live() || id == null || id < 0 || id >= REQUEST_ID_BASE) return;
      const frame: TwsErrorFrame = { code, message: err?.message ?? String(err), id };
      if (
        isFatalForOrder(code, frame.message) ||
        code === TwsErrorCode.CANCEL_NOT_FOUND ||
        code === TwsErrorCode.CANCEL_NOT_POSSIBLE
      ) {
        this.stream.noteError(conn.clientId, id, frame.message);
      }
      this.notify(id, (w) => w.onError?.(frame));
    });
  }

  /**
   * Client 0 hears about orders entered in TWS itself as they change. autoBind=false: we watch them but do
   * not take them over (binding would give the user's manual orders API ids owned by this server).
   */
  subscribe(conn: TwsConnection): void {
    if (conn.clientId === 0) conn.raw.reqAutoOpenOrders(false);
  }

  lost(conn: TwsConnection, reason: string): void {
    for (const set of [...this.waiters.values()]) {
      for (const w of [...set]) if (w.generation === conn.generation) w.onLost(reason);
    }
  }

  // ---- placing, modifying, cancelling ----

  async placeOrder(conn: TwsConnection, request: OrderRequest, contract: Contract): Promise<PlaceOutcome> {
    if (conn.accounts.length > 0 && !conn.accounts.includes(request.accountId)) {
      throw notFound(
        `Account ${request.accountId} is not managed by this TWS login (${conn.accounts.join(", ")}).`,
        {
          field: "accountId",
          api: "TWS",
        },
      );
    }
    const ibContract = request.combo
      ? toIbComboContract(contract, request.combo.legs)
      : toIbOrderContract(contract, request.contract.exchange);
    const ibOrder = toIbOrder(request);
    if (request.bracket) return this.placeBracket(conn, request, ibContract, ibOrder);
    for (let attempt = 0; ; attempt++) {
      const orderId = this.nextOrderId++;
      try {
        const rec = await this.send(conn, orderId, ibContract, ibOrder, request.clientOrderId);
        return { order: toOrder(rec) };
      } catch (e) {
        // 103: the id was taken (another program on this client id). Nothing was placed; take a fresh id.
        if (e instanceof AppError && e.details.ibCode === TwsErrorCode.DUPLICATE_ORDER_ID && attempt === 0) {
          const fresh = await withDeadline(
            conn.api.getNextValidOrderId(),
            this.o.requestTimeoutMs,
            "reqIds",
            conn,
          );
          this.nextOrderId = Math.max(this.nextOrderId, fresh, orderId + 1);
          continue;
        }
        throw e;
      }
    }
  }

  /**
   * A bracket as IB's samples place it: consecutive order ids, the entry and all but the last exit with
   * transmit false, the exits naming the entry as parentId; the last one's transmit sends the group, so TWS
   * takes all of it or none. Each order is awaited by its own acknowledgement; the entry's is the answer,
   * the exits reach the tracker through the stream (linked by parentId).
   */
  private async placeBracket(
    conn: TwsConnection,
    request: OrderRequest,
    contract: IbContract,
    entry: IbOrder,
  ): Promise<PlaceOutcome> {
    const children = bracketChildren(request);
    const parentId = this.nextOrderId;
    this.nextOrderId += 1 + children.length;
    const sends: Promise<TwsOrderView>[] = [];
    sends.push(this.send(conn, parentId, contract, { ...entry, transmit: false }, request.clientOrderId));
    children.forEach((c, i) => {
      const order: IbOrder = {
        ...toIbOrder(c.request),
        parentId,
        transmit: i === children.length - 1,
      };
      sends.push(this.send(conn, parentId + 1 + i, contract, order, c.request.clientOrderId));
    });
    const settled = await Promise.allSettled(sends);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
    const parent = (settled[0] as PromiseFulfilledResult<TwsOrderView>).value;
    return { order: toOrder(parent) };
  }

  /**
   * IB's what-if: the order with whatIf set, answered by one openOrder carrying the margin and commission
   * estimate. It uses up an order id like any placement (IB's rule) but no orderRef reaches IB's order list.
   */
  async previewOrder(conn: TwsConnection, request: OrderRequest, contract: Contract): Promise<OrderPreview> {
    const ibContract = toIbOrderContract(contract, request.contract.exchange);
    const ibOrder: IbOrder = { ...toIbOrder(request), whatIf: true, orderRef: undefined };
    const orderId = this.nextOrderId++;
    const state = await this.awaitOrder<IbOrderState>(conn, orderId, {
      deadlineMs: this.o.ackTimeoutMs,
      atDeadline: (s) =>
        s.reject(
          new AppError(
            ErrorCode.BROKER_UNAVAILABLE,
            `TWS did not answer the what-if within ${this.o.ackTimeoutMs} ms.`,
            {
              api: "TWS",
            },
          ),
        ),
      lost: (reason) =>
        new AppError(
          ErrorCode.BROKER_UNAVAILABLE,
          `The TWS connection was lost during the what-if (${reason}).`,
          {
            api: "TWS",
          },
        ),
      handlers: (s) => ({
        onWhatIf: (st) => s.resolve(st),
        onError: (f) => {
          if (isFatalForOrder(f.code, f.message)) s.reject(placementError(f, request.clientOrderId));
        },
      }),
      send: () => {
        this.log.info({ orderId, clientId: conn.clientId }, "what-if order");
        conn.raw.placeOrder(orderId, ibContract, ibOrder);
      },
    });
    return toPreview(state);
  }

  /** placeOrder and the wait for TWS's openOrder acknowledgement, which carries the permId. */
  private send(
    conn: TwsConnection,
    orderId: number,
    contract: IbContract,
    order: IbOrder,
    clientOrderId: string,
  ): Promise<TwsOrderView> {
    let acked: TwsOrderView | undefined;
    let grace = false;
    const unknown = (why: string) =>
      outcomeUnknown(
        `${why}; it may or may not be at IB. It will not be resent; retry with the same clientOrderId to reconcile.`,
        { clientOrderId, brokerOrderId: String(orderId) },
      );
    return this.awaitOrder<TwsOrderView>(conn, orderId, {
      deadlineMs: this.o.ackTimeoutMs,
      atDeadline: (s) =>
        s.reject(unknown(`TWS did not acknowledge order ${orderId} within ${this.o.ackTimeoutMs} ms`)),
      lost: (reason) =>
        unknown(`The TWS connection was lost before order ${orderId} was acknowledged (${reason})`),
      handlers: (s) => ({
        onOpenOrder: (rec) => {
          if (acked) return;
          acked = rec;
          const status = toOrder(rec).status;
          if ((status === OrderStatus.INACTIVE || status === OrderStatus.CANCELLED) && rec.filled === 0) {
            // Usually an error frame with IB's reason follows; wait for it briefly.
            grace = true;
            s.later(this.o.rejectGraceMs, () => s.resolve(rec));
            return;
          }
          s.resolve(rec);
        },
        onError: (f) => {
          if (acked && !grace) return;
          if (!isFatalForOrder(f.code, f.message)) return;
          s.reject(placementError(f, clientOrderId));
        },
      }),
      send: (s) => {
        if (!conn.alive || this.deps.link.current() !== conn) {
          // Lost between the readiness check and here: nothing went out, so the key may be used again.
          s.reject(this.deps.link.notReady());
          return;
        }
        this.sent.delete(clientOrderId);
        this.sent.set(clientOrderId, { generation: conn.generation });
        if (this.sent.size > 10_000) this.sent.delete(this.sent.keys().next().value!);
        this.log.info({ orderId, clientOrderId, clientId: conn.clientId }, "placing order");
        try {
          conn.raw.placeOrder(orderId, contract, order);
        } catch (e) {
          s.reject(outcomeUnknown(`Sending order ${orderId} to TWS failed: ${String(e)}`, { clientOrderId }));
        }
      },
    });
  }

  async modifyOrder(conn: TwsConnection, order: Order, changes: ModifyOrderInput): Promise<Order> {
    const rec = await this.ownOrder(conn, order, "modify");
    const terms = termsAfterModify(toOrder(rec), changes);
    const ibOrder = toIbOrder(terms);
    // TWS replaces the whole order: a combo is sent again with the legs its openOrder echoed.
    const contract =
      (rec.contract.secType as string | undefined) === "BAG"
        ? { ...rec.contract, conId: undefined, exchange: rec.contract.exchange ?? "SMART" }
        : toIbOrderContract(toContract(rec.contract), ibText(rec.contract.exchange));
    const matches = (r: TwsOrderView) =>
      ibNumber(r.order.totalQuantity) === terms.quantity &&
      (terms.limitPrice == null || ibNumber(r.order.lmtPrice) === terms.limitPrice) &&
      (terms.stopPrice == null || ibNumber(r.order.auxPrice) === terms.stopPrice) &&
      toTimeInForce(r.order.tif) === terms.timeInForce;
    const orderId = rec.orderId;
    const updated = await this.awaitOrder<TwsOrderView>(conn, orderId, {
      deadlineMs: this.o.ackTimeoutMs,
      atDeadline: (s) =>
        s.reject(
          outcomeUnknown(
            `TWS did not confirm the modification within ${this.o.ackTimeoutMs} ms; re-read the order.`,
            { orderId: order.id },
          ),
        ),
      lost: (reason) =>
        outcomeUnknown(`The TWS connection was lost before the modification was confirmed (${reason}).`, {
          orderId: order.id,
        }),
      handlers: (s) => ({
        onOpenOrder: (r) => {
          if (matches(r)) s.resolve(r);
        },
        onError: (f) => {
          if (isFatalForOrder(f.code, f.message) || f.code >= 10_000) s.reject(modifyError(f, order.id));
        },
      }),
      send: () => {
        this.log.info({ orderId, permId: rec.permId }, "modifying order");
        // TWS modifies an order when it gets placeOrder again with the same id and the whole new terms.
        conn.raw.placeOrder(orderId, contract, ibOrder);
      },
    });
    return toOrder(updated);
  }

  async cancelOrder(conn: TwsConnection, order: Order): Promise<Order> {
    const rec = await this.ownOrder(conn, order, "cancel");
    const orderId = rec.orderId;
    const cancelled = (r: TwsOrderView) => CANCELLED_IB.includes(r.ibStatus);
    const result = await this.awaitOrder<TwsOrderView>(conn, orderId, {
      // No answer yet is not a failure: the cancel is on its way and the stream will show the outcome.
      deadlineMs: this.o.cancelWaitMs,
      atDeadline: (s) => s.resolve(rec),
      lost: (reason) =>
        outcomeUnknown(
          `The TWS connection was lost before the cancel was confirmed (${reason}); re-read the order.`,
          { orderId: order.id },
        ),
      handlers: (s) => ({
        onStatus: (r) => {
          if (cancelled(r)) s.resolve(r);
        },
        onError: (f) => {
          if (f.code === TwsErrorCode.ORDER_CANCELLED) s.resolve(rec);
          else if (
            f.code === TwsErrorCode.CANCEL_NOT_FOUND ||
            f.code === TwsErrorCode.CANCEL_NOT_POSSIBLE ||
            f.code === TwsErrorCode.ORDER_NOT_CANCELLABLE
          )
            s.reject(cancelError(f, order.id));
        },
      }),
      send: () => {
        this.log.info({ orderId, permId: rec.permId }, "cancelling order");
        conn.raw.cancelOrder(orderId);
      },
    });
    const out = toOrder(result);
    if (cancelled(result) || out.status === OrderStatus.FILLED) return out;
    return { ...out, status: OrderStatus.PENDING_CANCEL, updatedAt: new Date() };
  }

  /**
   * TWS lets only the placing client id change an order. Unknown orders count as changeable (ownOrder
   * reads the open orders and says why when it is not).
   */
  canChange(conn: TwsConnection | undefined, order: Order): boolean {
    const rec = this.stream.get(Number(order.permId ?? order.id));
    if (!conn || !rec) return true;
    return rec.orderId > 0 && rec.clientId === conn.clientId;
  }

  /** The record of an order this connection may change: TWS lets only the placing client id do that. */
  private async ownOrder(conn: TwsConnection, order: Order, what: string): Promise<TwsOrderView> {
    const permId = Number(order.permId ?? order.id);
    let rec = Number.isFinite(permId) ? this.stream.get(permId) : undefined;
    if (!rec) {
      await fetchOpenOrders(conn, this.o.requestTimeoutMs);
      rec = this.stream.get(permId);
    }
    if (!rec) throw notFound(`TWS does not show order ${order.id}.`, { id: order.id, api: "TWS" });
    if (rec.orderId <= 0 || rec.clientId !== conn.clientId) {
      throw new AppError(
        ErrorCode.ORDER_REJECTED,
        rec.orderId <= 0
          ? `Order ${order.id} was entered outside the TWS API (Client Portal, the website or TWS's own window); TWS lets no API client ${what} it. Use via: CLIENT_PORTAL.`
          : `Order ${order.id} was placed by TWS client ${rec.clientId ?? "?"}; this server is client ${conn.clientId} and TWS only lets the placing client ${what} it. Use TWS, or the Client Portal API (via: CLIENT_PORTAL).`,
        { id: order.id, clientId: rec.clientId, api: "TWS" },
      );
    }
    return rec;
  }

  // ---- reads ----

  async listOrders(conn: TwsConnection): Promise<Order[]> {
    await fetchOpenOrders(conn, this.o.requestTimeoutMs);
    return [...this.stream.records.values()].map(toOrder);
  }

  async findByClientOrderId(conn: TwsConnection, clientOrderId: string): Promise<Order | null> {
    await this.deps.reconciler.reconcile(conn, "catch-up");
    const rec = this.stream.byClientOrderId(clientOrderId);
    if (rec) return toOrder(rec);
    if (this.sent.get(clientOrderId)?.generation === conn.generation) {
      // Sent on this very connection and not listed: TWS may still hold it (an order precaution dialog
      // waiting in TWS, a gateway that hung and may process its input later), so absence proves nothing.
      // Only a later connection's lists can say it never arrived.
      throw outcomeUnknown(
        `Order "${clientOrderId}" was sent to TWS on the current connection but TWS does not show it; it will ` +
          "not be resent. If TWS shows an order dialog, answer it there; otherwise the outcome is settled after " +
          "the next reconnect.",
        { clientOrderId },
      );
    }
    return null;
  }

  // ---- waiting for TWS's answer ----

  /**
   * The one pattern behind placing, modifying and cancelling: send a message about `orderId`, then settle
   * on TWS's answer (from `handlers`), the loss of the connection it went out on, or a deadline. `later`
   * timers die with the settlement.
   */
  private awaitOrder<T>(
    conn: TwsConnection,
    orderId: number,
    spec: {
      deadlineMs: number;
      atDeadline: (s: Settle<T>) => void;
      lost: (reason: string) => Error;
      handlers: (s: Settle<T>) => Omit<Waiter, "generation" | "onLost">;
      send: (s: Settle<T>) => void;
    },
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timers: NodeJS.Timeout[] = [];
      let done = false;
      const finish = (fn: () => void) => {
        if (done) return;
        done = true;
        for (const t of timers) clearTimeout(t);
        this.unwait(orderId, waiter);
        fn();
      };
      const settle: Settle<T> = {
        resolve: (v) => finish(() => resolve(v)),
        reject: (e) => finish(() => reject(e)),
        later: (ms, fn) => {
          timers.push(setTimeout(fn, ms));
        },
      };
      const waiter: Waiter = {
        generation: conn.generation,
        ...spec.handlers(settle),
        onLost: (reason) => settle.reject(spec.lost(reason)),
      };
      settle.later(spec.deadlineMs, () => spec.atDeadline(settle));
      this.wait(orderId, waiter);
      spec.send(settle);
    });
  }

  private wait(orderId: number, w: Waiter): void {
    let set = this.waiters.get(orderId);
    if (!set) {
      set = new Set();
      this.waiters.set(orderId, set);
    }
    set.add(w);
  }

  private unwait(orderId: number, w: Waiter): void {
    const set = this.waiters.get(orderId);
    set?.delete(w);
    if (set?.size === 0) this.waiters.delete(orderId);
  }

  private notify(orderId: number, fn: (w: Waiter) => void): void {
    const set = this.waiters.get(orderId);
    if (set) for (const w of [...set]) fn(w);
  }
}
