import { SequencedLog } from "../events";
import { OrderEventType, OrderStatus, TERMINAL_ORDER_STATUSES, type BrokerApi } from "../schema/enums";
import type { Fill, Order, OrderEvent } from "../schema/order.type";
import type { OrderObservation } from "./api-broker";

/** An event as the tracker makes it; the journal gives it its sequence and cursor. */
export type OrderEventData = Omit<OrderEvent, "sequence" | "cursor">;

/**
 * Where orders and fills are kept beyond this process (the store). Writes are queued, not awaited: the
 * store commits them in call order, so an order's row is written before the event published after it.
 */
export interface OrderHistoryWriter {
  saveOrder(order: Order): void;
  /** A fill with its order's identity (`orderId`, `accountId`, `side`, `contract`, `source`, `time`). */
  saveFill(fill: Fill): void;
}

const SUBMITTED_LIKE = new Set([OrderStatus.PRE_SUBMITTED, OrderStatus.SUBMITTED]);

export interface OrderTrackerOptions {
  /** Events kept for `afterSequence` replays. */
  bufferSize: number;
  onEvent?: (e: OrderEventData) => void;
  /**
   * How long a finished order (and its execution ids) is remembered. It must outlive anything IB may still
   * report about it (Client Portal trades go back up to 7 days), or a late report would look new and repeat
   * its events. @default 7 days
   */
  retentionMs?: number;
  now?: () => number;
  /**
   * The API this server placed an order through, if it did. Both APIs report every order and either may
   * report first; the placing API's identity and order id win over whichever came first.
   */
  placedVia?: (order: Order) => BrokerApi | undefined;
  /**
   * Where events go (the journaled log). Without it they go to `log`, an in-memory sequenced log (unit
   * tests, the in-memory broker).
   */
  publish?: (e: OrderEventData) => void;
  history?: OrderHistoryWriter;
}

/**
 * The one place where raw observations from both APIs become `OrderEvent`s. IB repeats openOrder /
 * orderStatus freely and both APIs may report the same order, so an event is emitted only for a real change:
 * a new order, a new execution id, a changed status, or changed terms.
 */
export class OrderTracker {
  readonly log: SequencedLog<OrderEventData & { sequence: number }>;
  private readonly orders = new Map<string, Order>();
  /** Execution id → order id, so a repeated or reconciled fill is recognized. */
  private readonly executions = new Map<string, string>();
  private lastPrune: number;
  private readonly onEvent: (e: OrderEventData) => void;
  private readonly retentionMs: number;
  private readonly now: () => number;
  private readonly placedVia: (order: Order) => BrokerApi | undefined;
  private readonly publish: (e: OrderEventData) => void;
  private readonly history?: OrderHistoryWriter;

  constructor(options: OrderTrackerOptions) {
    this.log = new SequencedLog({ bufferSize: options.bufferSize });
    this.publish = options.publish ?? ((e) => this.log.append(e));
    this.history = options.history;
    this.onEvent = options.onEvent ?? (() => {});
    this.retentionMs = options.retentionMs ?? 7 * 24 * 3600_000;
    this.now = options.now ?? Date.now;
    this.placedVia = options.placedVia ?? (() => undefined);
    this.lastPrune = this.now();
  }

  get(id: string): Order | undefined {
    return this.orders.get(id);
  }

  all(): Order[] {
    return [...this.orders.values()];
  }

  /**
   * What an earlier run of the server journaled: its orders and execution ids, known again without an event,
   * so the first reports after a restart emit only what changed meanwhile (and a fill already journaled is
   * not journaled twice).
   */
  restore(orders: readonly Order[], executions: readonly { executionId: string; orderId: string }[]): void {
    for (const o of orders) if (!this.orders.has(o.id)) this.orders.set(o.id, o);
    for (const e of executions) this.executions.set(e.executionId, e.orderId);
  }

  observe(obs: OrderObservation): OrderEventData[] {
    const prev = this.orders.get(obs.order.id);
    const order = merge(prev, obs.order, this.placedVia(obs.order));
    this.orders.set(order.id, order);
    const at = new Date(this.now());
    const catchUp = obs.catchUp ?? false;
    const out: OrderEventData[] = [];
    const emit = (type: OrderEventType, fill?: Fill) =>
      out.push({ type, order: { ...order }, fill: fill ?? null, at, catchUp });
    let newFill: Fill | undefined;

    if (!prev) {
      emit(OrderEventType.NEW);
      if (SUBMITTED_LIKE.has(order.status)) emit(OrderEventType.SUBMITTED);
    } else if (termsChanged(prev, order)) {
      emit(OrderEventType.MODIFIED);
    }
    if (obs.fill && !this.executions.has(obs.fill.executionId)) {
      this.executions.set(obs.fill.executionId, order.id);
      newFill = {
        ...obs.fill,
        orderId: order.id,
        accountId: order.accountId,
        // A combo's fill is one leg's: the adapter gives the leg's contract and side.
        side: obs.fill.side ?? order.side,
        contract: obs.fill.contract ?? order.contract,
        // The API that reported the execution, which is not always the one that placed the order.
        source: obs.order.source,
        time: obs.fill.at,
      };
      // The order as of this execution decides: the merged order may already show later fills (the other
      // API, or an orders poll, reported them first), which would make every fill of a poll round a FILL.
      emit(obs.order.remainingQuantity <= 0 ? OrderEventType.FILL : OrderEventType.PARTIAL_FILL, newFill);
    }
    if (prev && prev.status !== order.status) {
      if (order.status === OrderStatus.CANCELLED) emit(OrderEventType.CANCELLED);
      else if (order.status === OrderStatus.REJECTED || order.status === OrderStatus.INACTIVE)
        emit(OrderEventType.REJECTED);
      else if (SUBMITTED_LIKE.has(order.status) && !SUBMITTED_LIKE.has(prev.status))
        emit(OrderEventType.SUBMITTED);
      else if (order.status !== OrderStatus.FILLED && order.status !== OrderStatus.PARTIALLY_FILLED)
        emit(OrderEventType.STATUS);
    } else if (!prev && (order.status === OrderStatus.CANCELLED || order.status === OrderStatus.REJECTED)) {
      emit(order.status === OrderStatus.CANCELLED ? OrderEventType.CANCELLED : OrderEventType.REJECTED);
    }
    // Stored before the events are journaled: one queue commits both in order, so a subscriber that saw an
    // event finds its order and fill in `orders` / `executions`.
    if (this.history && (out.length > 0 || !prev || prev.status !== order.status)) {
      this.history.saveOrder(order);
      if (newFill) this.history.saveFill(newFill);
    }
    for (const e of out) {
      this.publish(e);
      this.onEvent(e);
    }
    this.pruneFinished(at.getTime());
    return out;
  }

  /** Keeps memory bounded on a server that runs for weeks: forgets long-finished orders, hourly. */
  private pruneFinished(now: number): void {
    if (now - this.lastPrune < 3600_000) return;
    this.lastPrune = now;
    const gone = new Set<string>();
    for (const [id, o] of this.orders) {
      if (TERMINAL_ORDER_STATUSES.has(o.status) && now - o.updatedAt.getTime() > this.retentionMs)
        gone.add(id);
    }
    for (const id of gone) this.orders.delete(id);
    for (const [exec, id] of this.executions) if (gone.has(id)) this.executions.delete(exec);
  }
}

/**
 * Keeps what one API knows and the other may not (clientOrderId, the placing API's id) and never lets a late
 * or repeated report move an order backwards (less filled, or out of a terminal state).
 */
function merge(prev: Order | undefined, next: Order, placedVia: BrokerApi | undefined): Order {
  const source = placedVia ?? prev?.source ?? next.source;
  // An order id means something only in the API that issued it.
  const reporterPlaced = next.source === source;
  if (!prev) return { ...next, source, brokerOrderId: reporterPlaced ? next.brokerOrderId : null };
  const prevTerminal = TERMINAL_ORDER_STATUSES.has(prev.status);
  const stale = next.filledQuantity < prev.filledQuantity;
  return {
    ...prev,
    ...next,
    clientOrderId: next.clientOrderId ?? prev.clientOrderId,
    legs: next.legs ?? prev.legs,
    permId: next.permId ?? prev.permId,
    brokerOrderId: reporterPlaced ? (next.brokerOrderId ?? prev.brokerOrderId) : prev.brokerOrderId,
    source,
    status: prevTerminal && !TERMINAL_ORDER_STATUSES.has(next.status) ? prev.status : next.status,
    filledQuantity: stale ? prev.filledQuantity : next.filledQuantity,
    remainingQuantity: stale ? prev.remainingQuantity : next.remainingQuantity,
    averageFillPrice: stale ? prev.averageFillPrice : (next.averageFillPrice ?? prev.averageFillPrice),
    createdAt: prev.createdAt,
    // Never backwards either: the stored copy keeps the latest (its upsert ignores an older one).
    updatedAt: next.updatedAt.getTime() < prev.updatedAt.getTime() ? prev.updatedAt : next.updatedAt,
  };
}

function termsChanged(a: Order, b: Order): boolean {
  return (
    a.quantity !== b.quantity ||
    (a.limitPrice ?? null) !== (b.limitPrice ?? null) ||
    (a.stopPrice ?? null) !== (b.stopPrice ?? null) ||
    a.timeInForce !== b.timeInForce
  );
}
