/**
 * What the Client Portal supervisor needs of a gateway session, as interfaces only: the supervisor decides on
 * these answers and knows nothing of HTTP, the scheduler or the adapter. The implementation over the real
 * client lives with the adapter (`brokers/client-portal/cp-connection.ts`), so adapters depend on session and
 * never the reverse.
 */

/** IB's `{authenticated, connected, competing, established, message, fail}`, wherever it is nested. */
export interface AuthStatus {
  authenticated: boolean;
  connected: boolean;
  competing: boolean;
  established: boolean | null;
  message: string | null;
}

/** What one session call told us, reduced to what the supervisor decides on. */
export type SessionProbe =
  | { kind: "ok"; auth: AuthStatus | null; raw: unknown }
  /** No SSO session: a person must log in through the gateway's page (HTTP 401, redirect to /sso). */
  | { kind: "noSso"; message: string }
  | { kind: "unreachable"; message: string }
  /** `penalty`: IB answered 429 and all traffic is paused; otherwise only our own pacing held the call. */
  | { kind: "rateLimited"; retryAt: number; message: string; penalty: boolean }
  /** The gateway answered but not usefully (5xx during IB's nightly reset, maintenance pages). */
  | { kind: "error"; status: number; message: string };

/** The session endpoints, as the supervisor uses them. */
export interface ClientPortalSessionApi {
  /** `POST /tickle`: keeps the session alive and reports the brokerage auth status. */
  tickle(): Promise<SessionProbe>;
  /** `POST /iserver/auth/status`. */
  authStatus(): Promise<SessionProbe>;
  /** `POST /iserver/auth/ssodh/init` `{publish: true, compete}`. */
  ssodhInit(compete: boolean): Promise<SessionProbe>;
  /** `POST /iserver/reauthenticate` (deprecated by IB; the fallback when ssodh/init does not help). */
  reauthenticate(): Promise<SessionProbe>;
  /** `GET /sso/validate`: extends the SSO token; 401 when the login is gone. */
  ssoValidate(): Promise<SessionProbe>;
  /** Read-only users: proves the portfolio side works (`GET /portfolio/accounts`). */
  portfolioCheck(): Promise<SessionProbe>;
}
