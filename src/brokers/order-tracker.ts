import { SequencedLog } from "../events";
import { OrderEventType, OrderStatus, TERMINAL_ORDER_STATUSES } from "../schema/enums";
import type { Order, OrderEvent } from "../schema/order.type";
import type { OrderObservation } from "./api-broker";

const SUBMITTED_LIKE = new Set([OrderStatus.PRE_SUBMITTED, OrderStatus.SUBMITTED]);

/**
 * The one place where raw observations from both APIs become `OrderEvent`s. IB repeats openOrder /
 * orderStatus freely and both APIs may report the same order, so an event is emitted only for a real change:
 * a new order, a new execution id, a changed status, or changed terms.
 */
export class OrderTracker {
  readonly log: SequencedLog<OrderEvent>;
  private readonly orders = new Map<string, Order>();
  private readonly executions = new Set<string>();

  constructor(
    bufferSize: number,
    private readonly onEvent: (e: OrderEvent) => void = () => {},
  ) {
    this.log = new SequencedLog<OrderEvent>({ bufferSize });
  }

  get(id: string): Order | undefined {
    return this.orders.get(id);
  }

  all(): Order[] {
    return [...this.orders.values()];
  }

  observe(obs: OrderObservation): OrderEvent[] {
    const prev = this.orders.get(obs.order.id);
    const order = merge(prev, obs.order);
    this.orders.set(order.id, order);
    const at = new Date();
    const catchUp = obs.catchUp ?? false;
    const out: OrderEvent[] = [];
    const emit = (type: OrderEventType, fill?: OrderObservation["fill"]) =>
      out.push(this.log.append({ type, order: { ...order }, fill: fill ?? null, at, catchUp }));

    if (!prev) {
      emit(OrderEventType.NEW);
      if (SUBMITTED_LIKE.has(order.status)) emit(OrderEventType.SUBMITTED);
    } else if (termsChanged(prev, order)) {
      emit(OrderEventType.MODIFIED);
    }
    if (obs.fill && !this.executions.has(obs.fill.executionId)) {
      this.executions.add(obs.fill.executionId);
      emit(order.remainingQuantity <= 0 ? OrderEventType.FILL : OrderEventType.PARTIAL_FILL, obs.fill);
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
    for (const e of out) this.onEvent(e);
    return out;
  }
}

/**
 * Keeps what one API knows and the other may not (clientOrderId, the placing API's id) and never lets a late
 * or repeated report move an order backwards (less filled, or out of a terminal state).
 */
function merge(prev: Order | undefined, next: Order): Order {
  if (!prev) return { ...next };
  const prevTerminal = TERMINAL_ORDER_STATUSES.has(prev.status);
  const stale = next.filledQuantity < prev.filledQuantity;
  return {
    ...prev,
    ...next,
    clientOrderId: next.clientOrderId ?? prev.clientOrderId,
    permId: next.permId ?? prev.permId,
    brokerOrderId:
      prev.source === next.source ? (next.brokerOrderId ?? prev.brokerOrderId) : prev.brokerOrderId,
    source: prev.source,
    status: prevTerminal && !TERMINAL_ORDER_STATUSES.has(next.status) ? prev.status : next.status,
    filledQuantity: stale ? prev.filledQuantity : next.filledQuantity,
    remainingQuantity: stale ? prev.remainingQuantity : next.remainingQuantity,
    averageFillPrice: stale ? prev.averageFillPrice : (next.averageFillPrice ?? prev.averageFillPrice),
    createdAt: prev.createdAt,
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
