import type { BrokerService, Caller } from "../brokers";

export interface AppContext {
  broker: BrokerService;
  caller: Caller;
}
