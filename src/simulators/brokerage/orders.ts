import type { Accounts } from "./accounts";
import {
  isWorking,
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
  type SimExecution,
  type SimModifyRequest,
  type SimOrder,
  type SimOrderRefStats,
  type SimPlaceOrderRequest,
  type SimPlaceResult,
  type SimReject,
  type SimRejectCode,
} from "./brokerage.types";
import { matchInstrument, type SimInstrument } from "./instruments";
import { expiryEpochMs } from "./option-pricing";
import type { Matching } from "./matching";
import { checkPrices, checkQuantity } from "./order-validation";

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
  getOrder(permId: number): SimOrder | undefined;
  findOrderByRef(orderRef: string): SimOrder | undefined;
  findOrderByTwsId(clientId: number, orderId: number): SimOrder | undefined;
  listOrders(filter?: SimOrderFilter): SimOrder[];
  orderRefStats(): SimOrderRefStats[];
  executions(filter?: { account?: string; sinceMs?: number }): SimExecution[];
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
    const instrument = matchInstrument(instruments, req.contract);
    if (!instrument)
      return reject("UNKNOWN_CONTRACT", "No security definition has been found for the request.");
    // IB refuses orders on an expired option (TWS 392). Futures of the base universe are exempt: tests trade the
    // fixed-date ESZ6 by conid whatever the day.
    if (instrument.secType === "OPT" && expiryEpochMs(instrument.lastTradeDate ?? "") <= now())
      return reject("UNKNOWN_CONTRACT", "Invalid order: contract expired.");
    const badQty = checkQuantity(instrument, req.quantity);
    if (badQty) return { reject: badQty };
    const limitPrice = req.limitPrice ?? null;
    const stopPrice = req.stopPrice ?? null;
    const badPrice = checkPrices(instrument, req.orderType, limitPrice, stopPrice);
    if (badPrice) return { reject: badPrice };

    const t = now();
    const o: OrderState = {
      permId: state.nextPermId++,
      account: req.account,
      instrument,
      side: req.side,
      orderType: req.orderType,
      quantity: req.quantity,
      limitPrice: req.orderType === "LMT" || req.orderType === "STP LMT" ? limitPrice : null,
      stopPrice: req.orderType === "STP" || req.orderType === "STP LMT" ? stopPrice : null,
      tif: req.tif ?? "DAY",
      outsideRth: req.outsideRth ?? false,
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
    const reserved = accounts.reservedFunds(o.account, {
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
    // IB shows a stop that waits for its trigger as PreSubmitted, everything else as Submitted.
    const waitsForTrigger = o.orderType === "STP" || o.orderType === "STP LMT";
    setOrderStatus(ctx, o, waitsForTrigger ? "PreSubmitted" : "Submitted", "acknowledged");
    matching.evaluate(o);
    if (o.tif === "IOC" && !o.filling && isWorking(o)) {
      setOrderStatus(ctx, o, "Cancelled", "cancelled", "Immediate-or-cancel order could not be filled.");
    }
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
    const limitPrice =
      o.orderType === "LMT" || o.orderType === "STP LMT"
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
    const badPrice = checkPrices(o.instrument, o.orderType, limitPrice, stopPrice);
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
      if (o.status === "PendingCancel") setOrderStatus(ctx, o, "Cancelled", "cancelled");
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
