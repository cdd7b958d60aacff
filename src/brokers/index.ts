export type {
  ApiBroker,
  BrokerEventSink,
  ClientPortalBroker,
  ComponentReadiness,
  OrderObservation,
  OrderRequest,
  PlaceOutcome,
  TwsBroker,
} from "./api-broker";
export {
  createBrokerService,
  type BrokerService,
  type BrokerServiceOptions,
  type Caller,
  type OrderHistory,
  type OrdersFilter,
  type Readiness,
  type TradingGuards,
} from "./broker-service";
export { MemoryIdempotencyStore, type IdempotencyRecord, type IdempotencyStore } from "./idempotency";
export { accountTypeOf } from "./order-terms";
export type { OrderEventData, OrderHistoryWriter } from "./order-tracker";
