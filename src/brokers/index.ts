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
  type Readiness,
  type TradingGuards,
} from "./broker-service";
export { MemoryIdempotencyStore, type IdempotencyRecord, type IdempotencyStore } from "./idempotency";
export { accountTypeOf } from "./order-terms";
