export {
  startClientPortalSimulator,
  type ClientPortalSimulatorOptions,
  type CpRequestLogEntry,
  type CpSessionInfo,
  type CpSimulator,
  type CpSimulatorControl,
} from "./cp-simulator";
export type { CpSessionState } from "./cp-session";
export {
  DEFAULT_ENDPOINT_LIMITS,
  RATE_LIMIT_PROFILES,
  type CpEndpointLimit,
  type CpRateLimitOptions,
  type CpRateLimitProfile,
  type CpRateLimitSettings,
} from "./cp-rate-limiter";
export type { CpQuestionOptions } from "./cp-orders";
export type { CpIdentity } from "./cp-responses";
export { generateLocalhostCertificate, type CpTlsMaterial, type CpTlsOptions } from "./cp-tls";
