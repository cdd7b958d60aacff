import { randomBytes } from "node:crypto";

/**
 * The gateway's session tiers (client-portal-api.md §10.3): no SSO login at all, SSO login without a brokerage
 * session (after an idle timeout, or while another platform competes), and a usable brokerage session.
 */
export type CpSessionState = "NO_SSO" | "SSO_ONLY" | "AUTHENTICATED";

/** The paper/live switch of the browser login; null for logins without the page (auto start, `/sim`). */
export type CpSessionMode = "paper" | "live" | null;

export interface CpSessionOptions {
  /** `auto` starts logged in; `manual` starts logged out, waiting for a browser login. @default "auto" */
  login?: "auto" | "manual";
  /** The brokerage session dies after this long without a request. @default 300_000 */
  idleTimeoutMs?: number;
  /** The SSO login dies after this long without a request (every request renews it). @default 600_000 */
  ssoTimeoutMs?: number;
  /** Hard limit of one SSO login. @default 86_400_000 (24 h) */
  maxSessionMs?: number;
  /** Delay from ssodh/init or reauthenticate to a usable brokerage session. @default 1_000 */
  reauthDelayMs?: number;
}

export interface CpSessionSnapshot {
  state: CpSessionState;
  competing: boolean;
  /** A reauthentication is under way. */
  reauthenticating: boolean;
  /** Changes with every SSO login; what `/tickle` calls `session`. */
  sessionId: string | null;
  /** Milliseconds until the SSO login expires without further requests. */
  ssoExpiresMs: number;
  loginAt: number | null;
  lastRequestAt: number | null;
  /** Why the session was last lost, for the control API. */
  lastLoss: string | null;
  /** Which accounts the login sees: paper (DU…), live, or (null) all of the book's. */
  mode: CpSessionMode;
}

/** Per-brokerage-session facts the must-call-first quirks depend on. */
export interface CpSessionFlags {
  iserverAccountsQueried: boolean;
  /** The live-orders cache was primed by a first (empty) call. */
  ordersPrimed: boolean;
  portfolioAccountsQueried: boolean;
}

export interface CpSession {
  snapshot(now: number): CpSessionSnapshot;
  /** Applies idle and SSO expiry as of `now`, then records a request. */
  onRequest(now: number): CpSessionSnapshot;
  flags: CpSessionFlags;
  login(now: number, mode?: CpSessionMode): void;
  logout(reason?: string): void;
  /** The brokerage session idles out (SSO stays). */
  expire(now: number): void;
  /** Another platform takes the brokerage session. */
  compete(now: number): void;
  /** ssodh/init or reauthenticate. Returns false when no SSO login exists or `compete` is needed. */
  reauthenticate(now: number, options: { compete: boolean }): boolean;
  /** Subscribes to new brokerage sessions (for clearing per-session state such as suppressed questions). */
  onBrokerageSession(listener: () => void): void;
  reset(now: number): void;
  close(): void;
}

export function createCpSession(options: CpSessionOptions, clock: () => number): CpSession {
  const idleTimeoutMs = options.idleTimeoutMs ?? 300_000;
  const ssoTimeoutMs = options.ssoTimeoutMs ?? 600_000;
  const maxSessionMs = options.maxSessionMs ?? 86_400_000;
  const reauthDelayMs = options.reauthDelayMs ?? 1_000;
  const loginMode = options.login ?? "auto";

  let state: CpSessionState = "NO_SSO";
  let competing = false;
  let sessionId: string | null = null;
  let loginAt: number | null = null;
  let lastRequestAt: number | null = null;
  let lastLoss: string | null = null;
  let mode: CpSessionMode = null;
  let reauthTimer: NodeJS.Timeout | undefined;
  const listeners: (() => void)[] = [];
  const flags: CpSessionFlags = {
    iserverAccountsQueried: false,
    ordersPrimed: false,
    portfolioAccountsQueried: false,
  };

  function cancelReauth(): void {
    if (reauthTimer) clearTimeout(reauthTimer);
    reauthTimer = undefined;
  }

  function openBrokerage(): void {
    cancelReauth();
    state = "AUTHENTICATED";
    competing = false;
    flags.iserverAccountsQueried = false;
    flags.ordersPrimed = false;
    for (const l of listeners) l();
  }

  function dropBrokerage(reason: string, asCompeting: boolean): void {
    if (state === "NO_SSO") return;
    cancelReauth();
    state = "SSO_ONLY";
    competing = asCompeting;
    lastLoss = reason;
    flags.iserverAccountsQueried = false;
    flags.ordersPrimed = false;
  }

  function logout(reason = "logout"): void {
    cancelReauth();
    state = "NO_SSO";
    competing = false;
    sessionId = null;
    loginAt = null;
    lastLoss = reason;
    flags.iserverAccountsQueried = false;
    flags.ordersPrimed = false;
    flags.portfolioAccountsQueried = false;
  }

  function login(now: number, chosen: CpSessionMode = null): void {
    logout("login");
    lastLoss = null;
    mode = chosen;
    state = "SSO_ONLY";
    sessionId = randomBytes(16).toString("hex");
    loginAt = now;
    lastRequestAt = now;
    // The gateway opens the brokerage session by itself right after a browser login.
    openBrokerage();
  }

  /** Lazy expiry: deterministic and timer-free; every observer sees the same answer for the same clock. */
  function evaluate(now: number): void {
    if (state === "NO_SSO") return;
    const idle = lastRequestAt === null ? 0 : now - lastRequestAt;
    if (loginAt !== null && now - loginAt >= maxSessionMs) {
      logout("session reached its maximum life");
    } else if (idle >= ssoTimeoutMs) {
      logout("SSO login expired");
    } else if (state === "AUTHENTICATED" && idle >= idleTimeoutMs) {
      dropBrokerage("idle timeout", false);
    }
  }

  function snapshot(now: number): CpSessionSnapshot {
    evaluate(now);
    return {
      state,
      competing,
      reauthenticating: reauthTimer !== undefined,
      sessionId,
      ssoExpiresMs:
        state === "NO_SSO" || lastRequestAt === null ? 0 : Math.max(0, ssoTimeoutMs - (now - lastRequestAt)),
      loginAt,
      lastRequestAt,
      lastLoss,
      mode,
    };
  }

  const session: CpSession = {
    snapshot,
    onRequest(now) {
      evaluate(now);
      if (state !== "NO_SSO") lastRequestAt = now;
      return snapshot(now);
    },
    flags,
    login,
    logout,
    expire(now) {
      evaluate(now);
      dropBrokerage("idle timeout (forced)", false);
    },
    compete(now) {
      evaluate(now);
      dropBrokerage("competing session", true);
    },
    reauthenticate(now, { compete }) {
      evaluate(now);
      if (state === "NO_SSO") return false;
      if (state === "AUTHENTICATED") return true;
      if (competing && !compete) return false;
      if (reauthTimer) return true;
      if (reauthDelayMs <= 0) {
        openBrokerage();
      } else {
        reauthTimer = setTimeout(() => {
          reauthTimer = undefined;
          if (state === "SSO_ONLY") openBrokerage();
        }, reauthDelayMs);
        reauthTimer.unref();
      }
      return true;
    },
    onBrokerageSession(listener) {
      listeners.push(listener);
    },
    reset(now) {
      logout("reset");
      lastLoss = null;
      if (loginMode === "auto") login(now);
    },
    close: cancelReauth,
  };
  session.reset(clock());
  return session;
}
