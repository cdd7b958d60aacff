import { GraphQLError } from "graphql";

/** The one enum every GraphQL error's `extensions.code` comes from. */
export const ErrorCode = {
  BAD_USER_INPUT: "BAD_USER_INPUT",
  UNAUTHENTICATED: "UNAUTHENTICATED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  /** A contract input that names several IB contracts; `extensions.candidates` lists them. */
  AMBIGUOUS_CONTRACT: "AMBIGUOUS_CONTRACT",
  SESSION_NOT_READY: "SESSION_NOT_READY",
  BROKER_UNAVAILABLE: "BROKER_UNAVAILABLE",
  RATE_LIMITED: "RATE_LIMITED",
  MARKET_DATA_UNAVAILABLE: "MARKET_DATA_UNAVAILABLE",
  ORDER_REJECTED: "ORDER_REJECTED",
  OUTCOME_UNKNOWN: "OUTCOME_UNKNOWN",
  READ_ONLY: "READ_ONLY",
  LIVE_TRADING_DISABLED: "LIVE_TRADING_DISABLED",
  IDEMPOTENCY_CONFLICT: "IDEMPOTENCY_CONFLICT",
  INTERNAL_SERVER_ERROR: "INTERNAL_SERVER_ERROR",
  /** A request whose `Host` header is not this server's (DNS rebinding): HTTP 403. */
  HOST_NOT_ALLOWED: "HOST_NOT_ALLOWED",
  /** A WebSocket upgrade from a browser page on another origin: HTTP 403. */
  ORIGIN_NOT_ALLOWED: "ORIGIN_NOT_ALLOWED",
  /** WebSocket connections over the per-address or total limit: HTTP 429 on the upgrade. */
  TOO_MANY_CONNECTIONS: "TOO_MANY_CONNECTIONS",
  /** Operations in flight on one graphql-ws connection over the limit. */
  TOO_MANY_SUBSCRIPTIONS: "TOO_MANY_SUBSCRIPTIONS",
  /** A resume position (`after` cursor or `afterSequence`) the journal cannot honour; bounds in extensions. */
  CURSOR_INVALID: "CURSOR_INVALID",
  /**
   * A shared deployment has no leader able to take the mutation right now (a failover is under way, or the
   * leader is starting): nothing was sent to IB. `extensions.retryable` is true; retry with the same
   * clientOrderId.
   */
  LEADER_UNAVAILABLE: "LEADER_UNAVAILABLE",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * An error the product means to show to API clients. The broker layer throws these; Apollo and graphql-ws
 * pass them through with `extensions.code` and `details` intact.
 */
export class AppError extends GraphQLError {
  constructor(
    public readonly code: ErrorCode,
    message: string,
    public readonly details: Record<string, unknown> = {},
  ) {
    super(message, { extensions: { code, ...details } });
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = "AppError";
  }
}

export const badInput = (message: string, details?: Record<string, unknown>) =>
  new AppError(ErrorCode.BAD_USER_INPUT, message, details);

export const notFound = (message: string, details?: Record<string, unknown>) =>
  new AppError(ErrorCode.NOT_FOUND, message, details);

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** Unwraps GraphQL's located errors to the thrown value. */
export function originalError(e: unknown): unknown {
  let cur = e;
  while (cur instanceof GraphQLError && cur.originalError && cur.originalError !== cur)
    cur = cur.originalError;
  return cur;
}
