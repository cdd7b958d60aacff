import type { ClientPortalClient, CpResult } from "../brokers/client-portal/client-portal-client";
import {
  parseAuthStatus,
  tickleAuthStatus,
  isObject,
  type AuthStatus,
} from "../brokers/client-portal/cp-parse";
import { CpTransportError } from "../brokers/client-portal/http-client";
import { RequestPriority } from "../brokers/client-portal/request-scheduler";
import { isAppError, ErrorCode } from "../errors";

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

const SESSION_CALL = { raw: true, priority: RequestPriority.SESSION, deadlineMs: 5_000, retries: 0 } as const;

/** The session API over the real client: every call paced with SESSION priority, never cached. */
export function createClientPortalSessionApi(client: ClientPortalClient): ClientPortalSessionApi {
  const probe = async (call: () => Promise<CpResult>, brokerage: boolean): Promise<SessionProbe> => {
    try {
      return toProbe(await call(), brokerage);
    } catch (e) {
      return errorProbe(e);
    }
  };
  return {
    tickle: () =>
      probe(async () => {
        const r = await client.post("/tickle", {}, SESSION_CALL);
        return r.status === 200 && r.error === null ? { ...r, json: withTickleAuth(r.json) } : r;
      }, false),
    authStatus: () => probe(() => client.post("/iserver/auth/status", {}, SESSION_CALL), true),
    ssodhInit: (compete) =>
      probe(() => client.post("/iserver/auth/ssodh/init", { publish: true, compete }, SESSION_CALL), true),
    reauthenticate: () => probe(() => client.post("/iserver/reauthenticate", {}, SESSION_CALL), true),
    ssoValidate: () => probe(() => client.get("/sso/validate", { ...SESSION_CALL, fresh: true }), false),
    portfolioCheck: () =>
      probe(() => client.get("/portfolio/accounts", { ...SESSION_CALL, cacheTtlMs: 0 }), false),
  };
}

/** The tickle's nested `iserver.authStatus` lifted to the top, so one parser reads both answers. */
function withTickleAuth(json: unknown): unknown {
  const auth = tickleAuthStatus(json);
  return auth ? { ...(isObject(json) ? json : {}), ...auth } : { tickle: json };
}

function toProbe(r: CpResult, brokerage: boolean): SessionProbe {
  const noBridge = r.error !== null && /no bridge/i.test(r.error);
  if (brokerage && noBridge) {
    // SSO is fine, only the brokerage session is missing.
    return {
      kind: "ok",
      auth: { authenticated: false, connected: true, competing: false, established: false, message: r.error },
      raw: r.json,
    };
  }
  if (r.status === 401 || r.status === 403) return { kind: "noSso", message: r.error ?? "not logged in" };
  if (r.status === 302 || r.status === 303) {
    if (r.location && /sso|login/i.test(r.location))
      return { kind: "noSso", message: "redirected to the login page" };
    return { kind: "error", status: r.status, message: `redirected to ${r.location ?? "?"}` };
  }
  if (r.status === 200 && r.error !== null) {
    if (/no session/i.test(r.error)) return { kind: "noSso", message: r.error };
    return { kind: "error", status: r.status, message: r.error };
  }
  if (r.status < 200 || r.status >= 300)
    return { kind: "error", status: r.status, message: r.error ?? `HTTP ${r.status}` };
  return { kind: "ok", auth: parseAuthStatus(r.json), raw: r.json };
}

function errorProbe(e: unknown): SessionProbe {
  if (e instanceof CpTransportError) return { kind: "unreachable", message: e.message };
  if (isAppError(e) && e.code === ErrorCode.RATE_LIMITED) {
    const retryAt = Date.parse(String(e.details.retryAt ?? ""));
    return {
      kind: "rateLimited",
      retryAt: Number.isFinite(retryAt) ? retryAt : Date.now() + 1_000,
      message: e.message,
      penalty: e.details.reason === "penalty",
    };
  }
  if (isAppError(e)) return { kind: "unreachable", message: e.message };
  return { kind: "unreachable", message: e instanceof Error ? e.message : String(e) };
}
