export {
  createClientPortalBroker,
  type ClientPortalAdapter,
  type ClientPortalBrokerOptions,
} from "./cp-broker";
export {
  DEFAULT_ENDPOINT_RULES,
  endpointTemplate,
  type EndpointLimit,
  type EndpointRule,
} from "./endpoint-limits";
export {
  createCpHttpClient,
  CpTransportError,
  type CpHttpClient,
  type CpHttpOptions,
  type CpResponse,
} from "./http-client";
export type { SchedulerEvent, SchedulerStats } from "./request-scheduler";
