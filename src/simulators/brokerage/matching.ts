import type { Accounts } from "./accounts";
import {
  isWorking,
  lastPrice,
  midPrice,
  money,
  posKey,
  setOrderStatus,
  sign,
  snapshotOrder,
  type BookContext,
  type OrderState,
} from "./book";
import type { SimCommissionReport, SimExecution, SimQuote } from "./brokerage.types";
import { commissionFor, type SimCommissionSchedule } from "./commissions";
import { createComboMatching } from "./combos";

export interface MatchingOptions {
  commission: SimCommissionSchedule;
  /** Delay from an order becoming executable to its first fill. */
  fillDelayMs: number;
  /** Split each fill sequence into this many executions. */
  partialFills: number;
  partialFillIntervalMs: number;
  /** A fresh quote (options are re-marked lazily): what combo legs are priced at. */
  quote?(conid: number): SimQuote | undefined;
}

/** The execution engine: when a working order trades, at what price, in how many executions. */
export interface Matching {
  /** Starts a fill sequence when `o` is executable at the current price; a no-op otherwise. */
  evaluate(o: OrderState): void;
  /** Fills the whole remainder at `price` at once (the closing auction). */
  fillNow(o: OrderState, price: number): void;
  /** Called after every fill that completes an order, and after any fill of an OCA member. */
  onFilled(listener: (o: OrderState) => void): void;
}

export function createMatching(ctx: BookContext, accounts: Accounts, options: MatchingOptions): Matching {
  const { state, events, now } = ctx;
  const { fillDelayMs, partialFills, partialFillIntervalMs } = options;

  const filledListeners: ((o: OrderState) => void)[] = [];
  // Combos fill as one unit over their legs' quotes (combos.ts).
  const combos = createComboMatching(ctx, accounts, {
    quote: (conid) => options.quote?.(conid) ?? state.quotes.get(conid),
    fillDelayMs,
    onFilled: (o) => {
      for (const l of filledListeners) l(o);
    },
  });

  /**
   * A trailing stop follows the market in the order's favour only: a SELL's stop rises with the price (last −
   * trail), a BUY's falls with it (last + trail). Returns whether the stop moved.
   */
  function ratchet(o: OrderState, last: number): boolean {
    const s = sign(o.side);
    const trail = o.trailingPercent != null ? (last * o.trailingPercent) / 100 : (o.trailingAmount ?? 0);
    const candidate = roundTo(last + s * trail, o.instrument.minTick);
    const current = o.trailStopPrice;
    if (current == null || s * (candidate - current) < 0) {
      o.trailStopPrice = candidate;
      return current != null;
    }
    return false;
  }

  function executable(o: OrderState): boolean {
    if (!isWorking(o)) return false;
    // A bracket child waits for its parent's fill; orders without outsideRth wait for regular hours.
    if (o.parentPermId != null && state.orders.get(o.parentPermId)?.status !== "Filled") return false;
    if (state.session !== "REGULAR" && !o.outsideRth) return false;
    // At-the-close orders trade only in the closing auction.
    if (o.orderType === "MOC" || o.orderType === "LOC") return false;
    const last = lastPrice(state, o.instrument.conid);
    const s = sign(o.side);
    if (!o.triggered) {
      let crossed: boolean | null = null;
      if (o.orderType === "STP" || o.orderType === "STP LMT") crossed = s * (last - o.stopPrice!) >= 0;
      else if (o.orderType === "MIT" || o.orderType === "LIT") {
        // If-touched: a BUY activates when the price falls to the trigger, a SELL when it rises to it.
        crossed = s * (o.triggerPrice! - last) >= 0;
      } else if (o.orderType === "TRAIL" || o.orderType === "TRAIL LIMIT") {
        const moved = ratchet(o, last);
        crossed = s * (last - o.trailStopPrice!) >= 0;
        if (moved && !crossed) setOrderStatus(ctx, o, o.status, "modified");
      }
      if (crossed === false) return false;
      if (crossed === true) {
        // IB holds a waiting order as PreSubmitted and shows it Submitted once triggered.
        o.triggered = true;
        if (o.orderType === "TRAIL LIMIT") {
          o.limitPrice = roundTo(o.trailStopPrice! + s * (o.limitOffset ?? 0), o.instrument.minTick);
        }
        setOrderStatus(ctx, o, "Submitted", "triggered");
      }
    }
    if (o.orderType === "MIDPRICE") {
      return o.limitPrice == null || s * (o.limitPrice - midPrice(state, o.instrument.conid)) >= 0;
    }
    if (o.limitPrice != null && LIMITED.has(o.orderType)) return s * (o.limitPrice - last) >= 0;
    return true;
  }

  function evaluate(o: OrderState): void {
    if (o.legs) return combos.evaluate(o);
    if (o.filling || !executable(o)) return;
    o.filling = true;
    // Fill-or-kill: all of it in one execution.
    const parts =
      o.tif === "FOK" ? 1 : o.orderType === "MKT" || o.remaining >= partialFills ? partialFills : 1;
    const plan = splitQuantity(o.remaining, parts, o.instrument.secType !== "CASH");
    let step = 0;
    const next = (): void => {
      if (!isWorking(o)) {
        o.filling = false;
        return;
      }
      if (!MARKETABLE.has(o.orderType) && !executable(o)) {
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

  function fill(o: OrderState, qty: number, at?: number): void {
    const last =
      at ??
      (o.orderType === "MIDPRICE"
        ? midPrice(state, o.instrument.conid)
        : lastPrice(state, o.instrument.conid));
    // A limit fills at the last price or better for the order, never through its limit.
    let price = last;
    if (o.limitPrice != null && LIMITED.has(o.orderType)) {
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
    if (o.status === "Filled" || o.ocaGroup || o.parentPermId != null) for (const l of filledListeners) l(o);
  }

  return {
    evaluate,
    fillNow(o, price) {
      if (o.legs) return;
      events.cancelTimersOf(o);
      o.filling = false;
      fill(o, o.remaining, price);
    },
    onFilled(listener) {
      filledListeners.push(listener);
    },
  };
}

/** Types that execute at the market once they may trade at all. */
const MARKETABLE = new Set(["MKT", "STP", "TRAIL", "MIT"]);
/** Types with a limit that caps the fill price (TRAIL LIMIT's is set when it triggers). */
const LIMITED = new Set(["LMT", "STP LMT", "TRAIL LIMIT", "LOC", "LIT", "MIDPRICE"]);

function roundTo(x: number, tick: number): number {
  return Number((Math.round(x / tick) * tick).toFixed(10));
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
