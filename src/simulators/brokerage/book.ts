import type {
  SimExecution,
  SimOrder,
  SimOrderChange,
  SimOrderRefStats,
  SimOrderStatus,
  SimQuote,
  SimSession,
  SimSide,
} from "./brokerage.types";
import type { BookEvents } from "./book-events";
import type { SimInstrument } from "./instruments";

/** An order as the book keeps it: the public fields plus the matching engine's bookkeeping. */
export interface OrderState extends SimOrder {
  /** Order sequence of this book, part of the execution ids. */
  seq: number;
  fillCount: number;
  /** A fill sequence is scheduled. */
  filling: boolean;
  timers: Set<NodeJS.Timeout>;
}

export interface PositionState {
  account: string;
  instrument: SimInstrument;
  quantity: number;
  /** Per unit, price terms, commissions folded in. */
  avgPrice: number;
  realizedPnl: number;
}

/**
 * The mutable state of one simulated book, shared by the accounts, orders, matching and prices modules. `reset`
 * replaces the collections on this same object, so every module sees the fresh ones.
 */
export interface BookState {
  quotes: Map<number, SimQuote>;
  cash: Map<string, number>;
  orders: Map<number, OrderState>;
  executions: SimExecution[];
  /** Keyed by `posKey(account, conid)`; closed positions stay (quantity 0) for their realized PnL. */
  positions: Map<string, PositionState>;
  refStats: Map<string, SimOrderRefStats>;
  nextPermId: number;
  orderSeq: number;
  /** The simulated trading session (advanced by hand through `/sim/clock`). */
  session: SimSession;
}

/** What every module of the book needs: its state, its event queue and its clock. */
export interface BookContext {
  state: BookState;
  events: BookEvents;
  now: () => number;
}

/** Money rounded to 1e-6, so sums of fills do not print binary noise. */
export const money = (x: number): number => Math.round(x * 1e6) / 1e6;
export const sign = (side: SimSide): 1 | -1 => (side === "BUY" ? 1 : -1);
export const posKey = (account: string, conid: number): string => `${account}:${conid}`;

export function lastPrice(state: BookState, conid: number): number {
  return state.quotes.get(conid)!.last;
}

/** The midpoint of the quote, where MIDPRICE orders fill. */
export function midPrice(state: BookState, conid: number): number {
  const q = state.quotes.get(conid)!;
  return (q.bid + q.ask) / 2;
}

export function isWorking(o: OrderState): boolean {
  return o.status === "PreSubmitted" || o.status === "Submitted";
}

/** The copy handed out: callers never hold the book's own object. */
export function snapshotOrder(o: OrderState): SimOrder {
  return {
    permId: o.permId,
    account: o.account,
    instrument: o.instrument,
    side: o.side,
    orderType: o.orderType,
    quantity: o.quantity,
    limitPrice: o.limitPrice,
    stopPrice: o.stopPrice,
    tif: o.tif,
    outsideRth: o.outsideRth,
    trailingAmount: o.trailingAmount,
    trailingPercent: o.trailingPercent,
    trailStopPrice: o.trailStopPrice,
    limitOffset: o.limitOffset,
    triggerPrice: o.triggerPrice,
    goodTillDate: o.goodTillDate,
    ocaGroup: o.ocaGroup,
    parentPermId: o.parentPermId,
    ...(o.legs ? { legs: o.legs.map((l) => ({ ...l })) } : {}),
    orderRef: o.orderRef,
    api: o.api,
    twsClientId: o.twsClientId,
    twsOrderId: o.twsOrderId,
    status: o.status,
    triggered: o.triggered,
    filled: o.filled,
    remaining: o.remaining,
    avgFillPrice: o.avgFillPrice,
    lastFillPrice: o.lastFillPrice,
    commission: o.commission,
    statusMessage: o.statusMessage,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
  };
}

export function setOrderStatus(
  ctx: BookContext,
  o: OrderState,
  status: SimOrderStatus,
  change: SimOrderChange,
  message?: string,
): void {
  o.status = status;
  if (message !== undefined) o.statusMessage = message;
  o.updatedAt = ctx.now();
  ctx.events.emit("order", { order: snapshotOrder(o), change });
}
