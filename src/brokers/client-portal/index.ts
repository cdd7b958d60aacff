export {
  createClientPortalBroker,
  type ClientPortalAdapter,
  type ClientPortalBrokerOptions,
} from "./client-portal-broker";
export {
  DEFAULT_ENDPOINT_RULES,
  endpointTemplate,
  type EndpointLimit,
  type EndpointRule,
} from "./endpoint-limits";
export type { SchedulerEvent, SchedulerStats } from "./request-scheduler";
