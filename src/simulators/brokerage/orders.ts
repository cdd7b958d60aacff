import type { Accounts } from "./accounts";
import {
  isWorking,
  lastPrice,
  money,
  setOrderStatus,
  sign,
  snapshotOrder,
  type BookContext,
  type OrderState,
} from "./book";
import {
  TERMINAL_SIM_STATUSES,
  type SimChangeResult,
  type SimComboLeg,
  type SimExecution,
  type SimModifyRequest,
  type SimOrder,
  type SimOrderRefStats,
  type SimPlaceOrderRequest,
  type SimPlaceResult,
  type SimReject,
  type SimRejectCode,
  type SimSession,
} from "./brokerage.types";
import { matchInstrument, type SimInstrument } from "./instruments";
import { expiryEpochMs } from "./option-pricing";
import type { Matching } from "./matching";
import { checkOrderTerms, checkPrices, checkQuantity } from "./order-validation";
import { checkComboPrice, comboReserve, resolveComboLegs } from "./combos";

const LIMIT_TYPES = new Set(["LMT", "STP LMT", "LOC", "LIT", "MIDPRICE"]);
const TRAIL_TYPES = new Set(["TRAIL", "TRAIL LIMIT"]);
const TOUCH_TYPES = new Set(["MIT", "LIT"]);
/** Types IB holds as PreSubmitted until something happens (a stop or touch price, the close). */
const WAITING_TYPES = new Set(["STP", "STP LMT", "TRAIL", "TRAIL LIMIT", "MIT", "LIT", "MOC", "LOC"]);

export interface OrdersOptions {
  accountIds: readonly string[];
  instruments: readonly SimInstrument[];
  baseCurrency: string;
  /** Delay from placement (PendingSubmit) to acknowledgement (Submitted/PreSubmitted). */
  ackDelayMs: number;
  /** Delay from PendingCancel to Cancelled. */
  cancelDelayMs: number;
}

export interface SimOrderFilter {
  account?: string;
  api?: "TWS" | "CP";
  /** Include Filled / Cancelled / Inactive orders. @default true */
  includeTerminal?: boolean;
}

/** The order lifecycle (place, acknowledge, modify, cancel) and the reads of orders and executions. */
export interface Orders {
  placeOrder(request: SimPlaceOrderRequest): SimPlaceResult;
  modifyOrder(permId: number, changes: SimModifyRequest): SimChangeResult;
  cancelOrder(permId: number): SimChangeResult;
  cancelAll(account?: string): SimOrder[];
  /**
   * Moves the simulated trading day: `close` runs the closing auction (MOC fills at the last price, LOC when
   * its limit allows, unfilled LOC is cancelled), expires DAY orders that cannot trade after hours, and leaves
   * only outsideRth orders working; `open` starts regular hours again and lets waiting orders trade.
   */
  advanceSession(to: "close" | "open"): SimSession;
  getOrder(permId: number): SimOrder | undefined;
  findOrderByRef(orderRef: string): SimOrder | undefined;
  findOrderByTwsId(clientId: number, orderId: number): SimOrder | undefined;
  listOrders(filter?: SimOrderFilter): SimOrder[];
  orderRefStats(): SimOrderRefStats[];
  executions(filter?: { account?: string; sinceMs?: number }): SimExecution[];
  /** Ends a working order with a reason (an expired contract), taking its bracket children along. */
  expireOrder(permId: number, why: string): void;
}

function reject(code: SimRejectCode, reason: string): { reject: SimReject } {
  return { reject: { code, reason } };
}

export function createOrders(
  ctx: BookContext,
  accounts: Accounts,
  matching: Matching,
  options: OrdersOptions,
): Orders {
  const { state, events, now } = ctx;
  const { accountIds, instruments, baseCurrency, ackDelayMs, cancelDelayMs } = options;
  const byConid = new Map(instruments.map((i) => [i.conid, i]));

  function placeOrder(req: SimPlaceOrderRequest): SimPlaceResult {
    if (req.orderRef) {
      // Counted before any check: tests of idempotent clients look at how often a cOID reached the gateway.
      const stats = state.refStats.get(req.orderRef) ?? {
        orderRef: req.orderRef,
        submissions: 0,
        permIds: [],
      };
      stats.submissions++;
      state.refStats.set(req.orderRef, stats);
      if (req.rejectDuplicateOrderRef && stats.permIds.length > 0) {
        // Client Portal's answer to a reused cOID.
        return reject("DUPLICATE_ORDER_REF", `Local order ID=${req.orderRef} is already registered.`);
      }
    }
    if (!accountIds.includes(req.account)) {
      return reject("UNKNOWN_ACCOUNT", `Account ${req.account} is not managed by this login.`);
    }
    let instrument: SimInstrument | undefined;
    let legs: SimComboLeg[] | undefined;
    if (req.legs) {
      const combo = resolveComboLegs(req, (conid) => byConid.get(conid), now());
      if ("reject" in combo) return combo;
      ({ instrument, legs } = combo);
    } else {
      instrument = matchInstrument(instruments, req.contract);
      if (!instrument)
        return reject("UNKNOWN_CONTRACT", "No security definition has been found for the request.");
      // IB refuses orders on an expired option (TWS 392). Futures of the base universe are exempt: tests trade
      // the fixed-date ESZ6 by conid whatever the day.
      if (instrument.secType === "OPT" && expiryEpochMs(instrument.lastTradeDate ?? "") <= now())
        return reject("UNKNOWN_CONTRACT", "Invalid order: contract expired.");
    }
    const badQty = checkQuantity(instrument, req.quantity);
    if (badQty) return { reject: badQty };
    const limitPrice = req.limitPrice ?? null;
    const stopPrice = req.stopPrice ?? null;
    const badPrice = legs
      ? (checkComboPrice(req.orderType, limitPrice) ??
        (req.parentPermId != null || req.ocaGroup
          ? { code: "BAD_COMBO" as const, reason: "Smart-combo order does not support OCA group or parent." }
          : undefined))
      : (checkPrices(instrument, req.orderType, limitPrice, stopPrice) ??
        checkOrderTerms(instrument, req, now()));
    if (badPrice) return { reject: badPrice };
    const parent = req.parentPermId != null ? state.orders.get(req.parentPermId) : undefined;
    if (req.parentPermId != null && (!parent || TERMINAL_SIM_STATUSES.has(parent.status))) {
      // TWS error 10006's text; IB refuses a child whose parent it does not hold (or holds no more).
      return reject("UNKNOWN_ORDER", "Missing parent order.");
    }

    const t = now();
    const o: OrderState = {
      permId: state.nextPermId++,
      account: req.account,
      instrument,
      side: req.side,
      orderType: req.orderType,
      quantity: req.quantity,
      limitPrice: LIMIT_TYPES.has(req.orderType) ? limitPrice : null,
      stopPrice: req.orderType === "STP" || req.orderType === "STP LMT" ? stopPrice : null,
      tif: req.tif ?? "DAY",
      outsideRth: req.outsideRth ?? false,
      trailingAmount: TRAIL_TYPES.has(req.orderType) ? (req.trailingAmount ?? null) : null,
      trailingPercent: TRAIL_TYPES.has(req.orderType) ? (req.trailingPercent ?? null) : null,
      trailStopPrice: TRAIL_TYPES.has(req.orderType) ? (req.trailStopPrice ?? null) : null,
      limitOffset: req.orderType === "TRAIL LIMIT" ? (req.limitOffset ?? 0) : null,
      triggerPrice: TOUCH_TYPES.has(req.orderType) ? (req.triggerPrice ?? null) : null,
      goodTillDate: req.tif === "GTD" ? (req.goodTillDate ?? null) : null,
      ocaGroup: req.ocaGroup || null,
      parentPermId: parent?.permId ?? null,
      ...(legs ? { legs } : {}),
      orderRef: req.orderRef ?? null,
      api: req.api,
      twsClientId: req.twsClientId ?? null,
      twsOrderId: req.twsOrderId ?? null,
      status: "PendingSubmit",
      triggered: false,
      filled: 0,
      remaining: req.quantity,
      avgFillPrice: 0,
      lastFillPrice: 0,
      commission: 0,
      statusMessage: null,
      createdAt: t,
      updatedAt: t,
      seq: ++state.orderSeq,
      fillCount: 0,
      filling: false,
      timers: new Set(),
    };
    const available = accounts.computeAccount(o.account).availableFunds;
    const reserved = legs
      ? accounts.reservedFunds(o.account) + comboReserve(o)
      : accounts.reservedFunds(o.account, {
          instrument,
          signedQty: sign(o.side) * o.quantity,
          price: accounts.referencePrice(o),
        });
    const bpReject =
      reserved > available + 1e-9
        ? {
            code: "INSUFFICIENT_BUYING_POWER" as const,
            reason:
              `Your account has insufficient funds: this order needs ${money(reserved).toFixed(2)} ${baseCurrency} ` +
              `and ${money(available).toFixed(2)} ${baseCurrency} is available.`,
          }
        : undefined;

    state.orders.set(o.permId, o);
    if (o.orderRef) state.refStats.get(o.orderRef)!.permIds.push(o.permId);
    if (bpReject) {
      // IB books the order and makes it Inactive with the reason.
      o.status = "Inactive";
      o.statusMessage = bpReject.reason;
      events.emit("order", { order: snapshotOrder(o), change: "rejected" });
      return { reject: bpReject, order: snapshotOrder(o) };
    }
    events.emit("order", { order: snapshotOrder(o), change: "new" });
    events.schedule(ackDelayMs, () => acknowledge(o), o);
    return { order: snapshotOrder(o) };
  }

  function acknowledge(o: OrderState): void {
    if (o.status !== "PendingSubmit") return;
    // IB shows an order that waits for a trigger (a stop, a touch, the close, a bracket's parent) as
    // PreSubmitted, everything else as Submitted.
    const waits = WAITING_TYPES.has(o.orderType) || childWaiting(o);
    setOrderStatus(ctx, o, waits ? "PreSubmitted" : "Submitted", "acknowledged");
    if (o.goodTillDate != null) {
      events.schedule(
        Math.max(0, o.goodTillDate - now()),
        () => expire(o, "Good-till-date order expired."),
        o,
      );
    }
    matching.evaluate(o);
    if ((o.tif === "IOC" || o.tif === "FOK") && !o.filling && isWorking(o)) {
      const what = o.tif === "IOC" ? "Immediate-or-cancel" : "Fill-or-kill";
      setOrderStatus(ctx, o, "Cancelled", "cancelled", `${what} order could not be filled.`);
    }
  }

  /** A bracket child waits while its parent has not filled. */
  function childWaiting(o: OrderState): boolean {
    if (o.parentPermId == null) return false;
    return state.orders.get(o.parentPermId)?.status !== "Filled";
  }

  function expire(o: OrderState, why: string): void {
    if (o.status !== "PendingSubmit" && !isWorking(o)) return;
    events.cancelTimersOf(o);
    o.filling = false;
    setOrderStatus(ctx, o, "Cancelled", "cancelled", why);
    afterDone(o);
  }

  /**
   * What a finished order does to others, as IB does it: a filled parent activates its children; a
   * cancelled parent takes its children with it; a fill in an OCA group (type 1) cancels the others.
   */
  function afterDone(o: OrderState): void {
    for (const other of state.orders.values()) {
      if (other === o || (other.status !== "PendingSubmit" && !isWorking(other))) continue;
      if (other.parentPermId === o.permId) {
        if (o.status === "Filled") {
          setOrderStatus(
            ctx,
            other,
            WAITING_TYPES.has(other.orderType) ? "PreSubmitted" : "Submitted",
            "acknowledged",
          );
          matching.evaluate(other);
        } else if (o.status === "Cancelled" || o.status === "Inactive") {
          expire(other, "Parent order cancelled.");
        }
      } else if (o.parentPermId != null && other.parentPermId === o.parentPermId && o.filled > 0) {
        // A bracket's exits are one OCA group: one fills, the other goes.
        expire(other, "OCA group: the other exit of the bracket filled.");
      } else if (o.ocaGroup && other.ocaGroup === o.ocaGroup && other.account === o.account && o.filled > 0) {
        expire(other, `OCA group ${o.ocaGroup}: another order of the group filled.`);
      }
    }
  }
  matching.onFilled((o) => afterDone(o));

  function advanceSession(to: "close" | "open"): SimSession {
    if (to === "open") {
      state.session = "REGULAR";
      for (const o of state.orders.values()) matching.evaluate(o);
      return state.session;
    }
    // The closing auction: at-the-close orders execute at the closing (last) price, in full or not at all.
    for (const o of [...state.orders.values()]) {
      if (!isWorking(o) || (o.orderType !== "MOC" && o.orderType !== "LOC")) continue;
      const last = lastPrice(state, o.instrument.conid);
      if (o.orderType === "LOC" && sign(o.side) * (o.limitPrice! - last) < 0) {
        expire(o, "Limit-on-close order was not executed in the closing auction.");
        continue;
      }
      matching.fillNow(o, last);
    }
    state.session = "CLOSED";
    for (const q of state.quotes.values()) q.close = q.last;
    for (const o of [...state.orders.values()]) {
      // Day orders end with the regular session unless they may trade outside it.
      if (isWorking(o) && o.tif === "DAY" && !o.outsideRth) expire(o, "Day order expired at the close.");
    }
    return state.session;
  }

  function modifyOrder(permId: number, changes: SimModifyRequest): SimChangeResult {
    const o = state.orders.get(permId);
    if (!o) return reject("UNKNOWN_ORDER", `Order ${permId} is not found.`);
    if (!(o.status === "PendingSubmit" || isWorking(o))) {
      return reject("NOT_MODIFIABLE", `Order ${permId} cannot be modified, state: ${o.status}.`);
    }
    const quantity = changes.quantity ?? o.quantity;
    const badQty = checkQuantity(o.instrument, quantity);
    if (badQty) return { reject: badQty };
    if (quantity < o.filled) {
      return reject("BAD_QUANTITY", `New quantity ${quantity} is below the filled quantity ${o.filled}.`);
    }
    const limitPrice = LIMIT_TYPES.has(o.orderType)
      ? changes.limitPrice !== undefined
        ? changes.limitPrice
        : o.limitPrice
      : null;
    const stopPrice =
      o.orderType === "STP" || o.orderType === "STP LMT"
        ? changes.stopPrice !== undefined
          ? changes.stopPrice
          : o.stopPrice
        : null;
    const badPrice = o.legs
      ? checkComboPrice(o.orderType, limitPrice)
      : checkPrices(o.instrument, o.orderType, limitPrice, stopPrice);
    if (badPrice) return { reject: badPrice };
    o.quantity = quantity;
    o.remaining = quantity - o.filled;
    o.limitPrice = limitPrice;
    o.stopPrice = stopPrice;
    if (changes.tif) o.tif = changes.tif;
    if (o.remaining <= 0) {
      // Reducing the quantity to what already filled completes the order.
      setOrderStatus(ctx, o, "Filled", "modified");
    } else {
      setOrderStatus(ctx, o, o.status, "modified");
      matching.evaluate(o);
    }
    return { order: snapshotOrder(o) };
  }

  function cancelOrder(permId: number): SimChangeResult {
    const o = state.orders.get(permId);
    // The texts of TWS error 10147 / 10148, which Client Portal repeats.
    if (!o) return reject("UNKNOWN_ORDER", `OrderId ${permId} that needs to be cancelled is not found.`);
    if (o.status === "PendingCancel") return { order: snapshotOrder(o) };
    if (TERMINAL_SIM_STATUSES.has(o.status)) {
      return reject(
        "NOT_CANCELLABLE",
        `OrderId ${permId} that needs to be cancelled cannot be cancelled, state: ${o.status}.`,
      );
    }
    events.cancelTimersOf(o);
    o.filling = false;
    setOrderStatus(ctx, o, "PendingCancel", "pendingCancel");
    events.schedule(cancelDelayMs, () => {
      if (o.status !== "PendingCancel") return;
      setOrderStatus(ctx, o, "Cancelled", "cancelled");
      afterDone(o);
    });
    return { order: snapshotOrder(o) };
  }

  function cancelAll(account?: string): SimOrder[] {
    const out: SimOrder[] = [];
    for (const o of state.orders.values()) {
      if (account && o.account !== account) continue;
      if (o.status === "PendingSubmit" || isWorking(o)) {
        const r = cancelOrder(o.permId);
        if (r.order) out.push(r.order);
      }
    }
    return out;
  }

  return {
    placeOrder,
    modifyOrder,
    cancelOrder,
    cancelAll,
    advanceSession,
    getOrder(permId) {
      const o = state.orders.get(permId);
      return o ? snapshotOrder(o) : undefined;
    },
    findOrderByRef(orderRef) {
      const ids = state.refStats.get(orderRef)?.permIds;
      const last = ids?.[ids.length - 1];
      const o = last === undefined ? undefined : state.orders.get(last);
      return o ? snapshotOrder(o) : undefined;
    },
    findOrderByTwsId(clientId, orderId) {
      for (const o of state.orders.values()) {
        if (o.twsClientId === clientId && o.twsOrderId === orderId) return snapshotOrder(o);
      }
      return undefined;
    },
    listOrders(filter = {}) {
      const includeTerminal = filter.includeTerminal ?? true;
      return [...state.orders.values()]
        .filter(
          (o) =>
            (!filter.account || o.account === filter.account) &&
            (!filter.api || o.api === filter.api) &&
            (includeTerminal || !TERMINAL_SIM_STATUSES.has(o.status)),
        )
        .map(snapshotOrder);
    },
    expireOrder(permId, why) {
      const o = state.orders.get(permId);
      if (o) expire(o, why);
    },
    orderRefStats: () => [...state.refStats.values()].map((s) => ({ ...s, permIds: [...s.permIds] })),
    executions(filter = {}) {
      return state.executions.filter(
        (e) =>
          (!filter.account || e.account === filter.account) &&
          (filter.sinceMs === undefined || e.time >= filter.sinceMs),
      );
    },
  };
}
