import type { Accounts } from "./accounts";
import {
  isWorking,
  lastPrice,
  money,
  posKey,
  setOrderStatus,
  sign,
  snapshotOrder,
  type BookContext,
  type OrderState,
} from "./book";
import type { SimCommissionReport, SimExecution } from "./brokerage.types";
import { commissionFor, type SimCommissionSchedule } from "./commissions";

export interface MatchingOptions {
  commission: SimCommissionSchedule;
  /** Delay from an order becoming executable to its first fill. */
  fillDelayMs: number;
  /** Split each fill sequence into this many executions. */
  partialFills: number;
  partialFillIntervalMs: number;
}

/** The execution engine: when a working order trades, at what price, in how many executions. */
export interface Matching {
  /** Starts a fill sequence when `o` is executable at the current price; a no-op otherwise. */
  evaluate(o: OrderState): void;
}

export function createMatching(ctx: BookContext, accounts: Accounts, options: MatchingOptions): Matching {
  const { state, events, now } = ctx;
  const { fillDelayMs, partialFills, partialFillIntervalMs } = options;

  function executable(o: OrderState): boolean {
    if (!isWorking(o)) return false;
    const last = lastPrice(state, o.instrument.conid);
    const s = sign(o.side);
    if ((o.orderType === "STP" || o.orderType === "STP LMT") && !o.triggered) {
      const stop = o.stopPrice!;
      if (s * (last - stop) >= 0) {
        // IB holds an untriggered stop as PreSubmitted and shows it Submitted once the stop price is crossed.
        o.triggered = true;
        setOrderStatus(ctx, o, "Submitted", "triggered");
      } else {
        return false;
      }
    }
    if (o.orderType === "LMT" || o.orderType === "STP LMT") return s * (o.limitPrice! - last) >= 0;
    return true;
  }

  function evaluate(o: OrderState): void {
    if (o.filling || !executable(o)) return;
    o.filling = true;
    const parts = o.orderType === "MKT" || o.remaining >= partialFills ? partialFills : 1;
    const plan = splitQuantity(o.remaining, parts, o.instrument.secType !== "CASH");
    let step = 0;
    const next = (): void => {
      if (!isWorking(o)) {
        o.filling = false;
        return;
      }
      if (o.orderType !== "MKT" && o.orderType !== "STP" && !executable(o)) {
        // A limit that was marketable is not any more: it rests again.
        o.filling = false;
        return;
      }
      const qty = step === plan.length - 1 ? o.remaining : Math.min(plan[step]!, o.remaining);
      fill(o, qty);
      step++;
      if (o.remaining > 0 && step < plan.length) {
        events.schedule(partialFillIntervalMs, next, o);
      } else {
        o.filling = false;
      }
    };
    events.schedule(fillDelayMs, next, o);
  }

  function fill(o: OrderState, qty: number): void {
    const last = lastPrice(state, o.instrument.conid);
    // A limit fills at the last price or better for the order, never through its limit.
    let price = last;
    if (o.limitPrice != null && (o.orderType === "LMT" || o.orderType === "STP LMT")) {
      price = o.side === "BUY" ? Math.min(last, o.limitPrice) : Math.max(last, o.limitPrice);
    }
    const prevValue = o.avgFillPrice * o.filled;
    const cumQty = o.filled + qty;
    const cumValue = (prevValue + price * qty) * o.instrument.multiplier;
    const fee = commissionFor(options.commission, o, cumQty, cumValue);
    const realized = accounts.bookFill(o, qty, price, fee);
    o.fillCount++;
    o.filled = cumQty;
    o.remaining = o.quantity - cumQty;
    o.avgFillPrice = Number(((prevValue + price * qty) / cumQty).toFixed(8));
    o.lastFillPrice = price;
    o.commission = Math.round((o.commission + fee) * 1e4) / 1e4;
    const time = now();
    // IB's execution id layout: `0000e0d5.<order, hex>.<fill number, hex>.01`.
    const execId = `0000e0d5.${(0x6571a1b2 + o.seq).toString(16).padStart(8, "0")}.${o.fillCount
      .toString(16)
      .padStart(2, "0")}.01`;
    const report: SimCommissionReport = {
      execId,
      commission: fee,
      currency: o.instrument.currency,
      realizedPnl: realized === null ? null : money(realized),
    };
    const execution: SimExecution = {
      execId,
      permId: o.permId,
      account: o.account,
      instrument: o.instrument,
      side: o.side,
      quantity: qty,
      price,
      cumQty,
      avgPrice: o.avgFillPrice,
      orderRef: o.orderRef,
      api: o.api,
      twsClientId: o.twsClientId,
      twsOrderId: o.twsOrderId,
      time,
      commission: report,
    };
    state.executions.push(execution);
    o.status = o.remaining <= 0 ? "Filled" : o.status;
    o.updatedAt = time;
    const snap = snapshotOrder(o);
    // TWS order: execDetails, then orderStatus with the new filled quantity, then commissionReport.
    events.emit("execution", { execution, order: snap });
    events.emit("order", { order: snap, change: "fill" });
    events.emit("commission", { report, execution });
    events.emit("position", {
      position: accounts.positionSnapshot(state.positions.get(posKey(o.account, o.instrument.conid))!),
    });
    accounts.emitAccount(o.account);
  }

  return { evaluate };
}

/** `total` in `parts` executions; whole units unless fractional (FX); the last part takes the remainder. */
function splitQuantity(total: number, parts: number, whole: boolean): number[] {
  if (parts <= 1) return [total];
  const base = whole ? Math.floor(total / parts) : total / parts;
  if (base <= 0) return [total];
  const out = Array.from({ length: parts }, () => base);
  out[parts - 1] = total - base * (parts - 1);
  return out;
}
