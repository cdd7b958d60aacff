import { AppError, ErrorCode } from "../errors";
import { BrokerApi, ClientPortalState, SessionEventType } from "../schema/enums";
import type { ClientPortalStatus } from "../schema/session.type";
import type { AuthStatus, ClientPortalSessionApi, SessionProbe } from "./client-portal-session-api";
import { systemClock, type Clock, type TimerHandle } from "./clock";
import type { BrowserLoginOutcome } from "./cp-login";
import { LoginBackoff, type LoginBackoffOptions } from "./login-backoff";

/** IB_CP_LOGIN=auto: how the supervisor logs in by itself when the gateway has no login. */
export interface AutoLogin {
  /** One browser login attempt (never throws). */
  attempt(): Promise<BrowserLoginOutcome>;
  backoff?: LoginBackoffOptions;
  /** IB's refusal of the same credentials in an earlier run: start stopped (LOGIN_FAILED), not with a retry. */
  refusedBefore?: string | null;
  /** A refusal to remember across restarts (message), or one to forget (null). */
  onRefusal?(message: string | null): void;
}

const LOGIN_STATES: ReadonlySet<ClientPortalState> = new Set([
  ClientPortalState.LOGIN_REQUIRED,
  ClientPortalState.AWAITING_SECOND_FACTOR,
  ClientPortalState.LOGIN_FAILED,
]);

/** Where the supervisor reports session changes (the adapter's event sink satisfies it). */
export interface SessionEventSink {
  session(api: BrokerApi, type: SessionEventType, message?: string): void;
}

export interface ClientPortalSupervisorOptions {
  api: ClientPortalSessionApi;
  sink: SessionEventSink;
  /** Where a person logs in (the gateway's `/`), shown in LOGIN_REQUIRED. */
  loginUrl: string;
  /**
   * Keep-alive period (IB_CP_TICKLE_MS). Jittered downwards and capped at 59 s: IB drops a brokerage session
   * after ~5 min without requests, and expects a tickle about once a minute.
   * @default 55000
   */
  tickleMs?: number;
  /** Fraction of `tickleMs` taken off at random per tickle, so many servers do not tickle in lockstep. @default 0.1 */
  tickleJitter?: number;
  /**
   * Probe period while not authenticated (expired, competing, login required, unreachable): how fast a
   * login or a gateway restart is noticed (the scheduler still holds tickles to IB's 1/s).
   * @default 5000
   */
  recoveryPollMs?: number;
  /** Re-authentication attempts allowed in any minute (no login storms). @default 3 */
  maxReauthPerMinute?: number;
  /** First pause after a failed re-authentication, doubled per failure. @default 5000 */
  reauthBackoffMs?: number;
  /** @default 120000 */
  reauthBackoffMaxMs?: number;
  /** How long to wait for the brokerage session after ssodh/init before calling the attempt failed. @default 10000 */
  reauthWaitMs?: number;
  /** Auth status polls while waiting. @default 1000 */
  reauthPollMs?: number;
  /** `/sso/validate` period while authenticated (extends the SSO token; IB limit 1/min). 0 disables. @default 240000 */
  ssoValidateMs?: number;
  /**
   * Take the brokerage session back (ssodh/init with compete) when another login competes for it. Off by
   * default: the other login is usually a person at TWS or the mobile app.
   * @default false
   */
  takeOverCompeting?: boolean;
  /** Portfolio-only user: never opens a brokerage session. @default false */
  readOnly?: boolean;
  /**
   * Log in by itself (IB_CP_LOGIN=auto) when the gateway has no login; without it, a person must.
   * @default undefined (manual)
   */
  autoLogin?: AutoLogin;
  /** Called on every entry into AUTHENTICATED (a new brokerage session), before the event is reported. */
  onAuthenticated?(): void;
  clock?: Clock;
  /** @default Math.random */
  random?: () => number;
}

/**
 * Owns the Client Portal session: keeps it alive, notices within one tickle interval when it is gone, heals
 * what IB lets a program heal (an expired brokerage session, via ssodh/init then reauthenticate, with backoff
 * and a per-minute cap), and says so when a person has to log in, while it keeps watching for that login.
 */
export class ClientPortalSupervisor {
  private readonly api: ClientPortalSessionApi;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly tickleMs: number;
  private readonly tickleJitter: number;
  private readonly recoveryPollMs: number;
  private readonly maxReauthPerMinute: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly reauthWaitMs: number;
  private readonly reauthPollMs: number;
  private readonly ssoValidateMs: number;
  private readonly readOnly: boolean;

  private state: ClientPortalState = ClientPortalState.UNAUTHENTICATED;
  private auth: AuthStatus = {
    authenticated: false,
    connected: false,
    competing: false,
    established: null,
    message: null,
  };
  private message: string | null = "Starting: the gateway has not been contacted yet.";
  private lastTickleAt: Date | null = null;
  private lastSsoValidate = 0;
  private everAuthenticated = false;
  /** A login was required since the last authenticated state: the next one is a new login, not a restore. */
  private loginSince = false;
  private reauthAttempts: number[] = [];
  private reauthCount = 0;
  private backoffMs: number;
  private nextReauthAt = 0;
  private errorStreak = 0;
  private timer: TimerHandle | undefined;
  private cycle: Promise<void> | null = null;
  private lastCycleAt = 0;
  private started = false;
  private closed = false;
  private readonly loginBackoff: LoginBackoff;
  /**
   * Set when an automatic login must not be retried by itself: IB refused it (LOGIN_FAILED: a retry risks
   * locking the user) or wants a second factor only a person can give. Cleared by reauthenticate; a refusal
   * also stays across later logins, since the configured credentials are still the refused ones.
   */
  private loginBlock: { state: ClientPortalState; message: string } | null = null;
  private lastLoginFailure: string | null = null;

  constructor(private readonly options: ClientPortalSupervisorOptions) {
    this.api = options.api;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.tickleMs = Math.max(Math.min(options.tickleMs ?? 55_000, 59_000), 100);
    this.tickleJitter = Math.min(Math.max(options.tickleJitter ?? 0.1, 0), 0.5);
    this.recoveryPollMs = Math.max(options.recoveryPollMs ?? 5_000, 100);
    this.maxReauthPerMinute = Math.max(options.maxReauthPerMinute ?? 3, 1);
    this.backoffBaseMs = options.reauthBackoffMs ?? 5_000;
    this.backoffMs = this.backoffBaseMs;
    this.backoffMaxMs = options.reauthBackoffMaxMs ?? 120_000;
    this.reauthWaitMs = options.reauthWaitMs ?? 10_000;
    this.reauthPollMs = options.reauthPollMs ?? 1_000;
    this.ssoValidateMs = options.ssoValidateMs ?? 240_000;
    this.readOnly = options.readOnly ?? false;
    this.loginBackoff = new LoginBackoff(options.autoLogin?.backoff);
    const refused = options.autoLogin?.refusedBefore;
    if (refused) this.loginBlock = { state: ClientPortalState.LOGIN_FAILED, message: refused };
    // The first tickle proves the login; /sso/validate only needs to extend it later.
    this.lastSsoValidate = this.clock.now();
  }

  /** Runs the first check (and a first heal, if needed). Resolves whatever the outcome. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.runCycle();
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  status(): ClientPortalStatus {
    return {
      enabled: true,
      state: this.state,
      authenticated: this.readOnly ? this.state === ClientPortalState.AUTHENTICATED : this.auth.authenticated,
      connected: this.state !== ClientPortalState.UNREACHABLE && (this.readOnly || this.auth.connected),
      competing: this.auth.competing,
      lastTickleAt: this.lastTickleAt,
      message: this.message,
      loginUrl: LOGIN_STATES.has(this.state) ? this.options.loginUrl : null,
      readOnly: this.readOnly,
    };
  }

  get currentState(): ClientPortalState {
    return this.state;
  }

  /**
   * Look at the session now (a request just got a 401 or "no bridge"). Coalesced with a running check and
   * spaced at least a second apart.
   */
  poke(): void {
    if (this.closed || !this.started || this.cycle) return;
    // IB allows one tickle a second; the scheduler enforces it, this keeps pokes from queueing up.
    const wait = this.lastCycleAt + Math.min(1_100, this.recoveryPollMs) - this.clock.now();
    this.schedule(Math.max(0, wait));
  }

  /**
   * The `reauthenticate` mutation: open the brokerage session now, taking it over from a competing login.
   * Honours the per-minute cap; a person's login cannot be done for them.
   */
  async reauthenticate(): Promise<void> {
    if (this.closed) throw this.notReady();
    if (this.cycle) await this.cycle;
    if (this.options.autoLogin && LOGIN_STATES.has(this.state)) {
      await this.loginNow();
      return;
    }
    if (this.readOnly) {
      await this.runCycle();
      return;
    }
    if (this.state === ClientPortalState.UNREACHABLE) throw this.notReady();
    if (this.state === ClientPortalState.LOGIN_REQUIRED) throw this.notReady();
    const retryAt = this.capReachedUntil();
    if (retryAt !== null) {
      throw new AppError(
        ErrorCode.RATE_LIMITED,
        `Re-authentication is limited to ${this.maxReauthPerMinute} attempts a minute (to avoid locking the IB user); retry after ${new Date(retryAt).toISOString()}.`,
        { api: BrokerApi.CLIENT_PORTAL, retryAt: new Date(retryAt).toISOString(), state: this.state },
      );
    }
    const tracked: Promise<void> = this.heal(true, true).finally(() => {
      if (this.cycle === tracked) this.cycle = null;
    });
    this.cycle = tracked;
    await tracked;
    this.schedule(this.nextDelay());
  }

  /** The AppError for "not usable now", with the state and (when needed) the login URL. */
  notReady(): AppError {
    const details = {
      api: BrokerApi.CLIENT_PORTAL,
      state: this.state,
      ...(LOGIN_STATES.has(this.state) ? { loginUrl: this.options.loginUrl } : {}),
    };
    if (this.state === ClientPortalState.UNREACHABLE || this.closed) {
      return new AppError(
        ErrorCode.BROKER_UNAVAILABLE,
        `The Client Portal gateway is unreachable${this.message ? `: ${this.message}` : "."}`,
        details,
      );
    }
    const hint =
      this.state === ClientPortalState.LOGIN_REQUIRED && !this.options.autoLogin
        ? `a person must log in at ${this.options.loginUrl}`
        : this.state === ClientPortalState.AWAITING_SECOND_FACTOR ||
            this.state === ClientPortalState.LOGIN_FAILED
          ? (this.message ?? `a person must log in at ${this.options.loginUrl}`)
          : this.state === ClientPortalState.COMPETING
            ? "another login of this IB user holds the brokerage session; log out there or call reauthenticate to take it over"
            : (this.message ?? "the session is being restored");
    return new AppError(
      ErrorCode.SESSION_NOT_READY,
      `The Client Portal session is ${this.state}: ${hint.replace(/\.+$/, "")}.`,
      details,
    );
  }

  // ---- the loop ----

  private schedule(delayMs: number): void {
    if (this.closed) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.runCycle();
    }, delayMs);
  }

  private runCycle(): Promise<void> {
    if (this.cycle) return this.cycle;
    const run = this.check()
      .catch((e: unknown) => {
        this.message = `Session check failed: ${e instanceof Error ? e.message : String(e)}`;
      })
      .finally(() => {
        this.cycle = null;
        this.lastCycleAt = this.clock.now();
        this.schedule(this.nextDelay());
      });
    this.cycle = run;
    return run;
  }

  private nextDelay(): number {
    if (this.state === ClientPortalState.AUTHENTICATED) {
      return Math.max(100, Math.round(this.tickleMs * (1 - this.tickleJitter * this.random())));
    }
    const untilReauth = this.nextReauthAt - this.clock.now();
    const base = Math.min(this.recoveryPollMs, this.tickleMs);
    return this.wantsReauth() && untilReauth > 0 ? Math.max(100, Math.min(base, untilReauth)) : base;
  }

  /** `mayLogIn`: false right after an automatic login, so that a login that did not stick is no loop. */
  private async check(mayLogIn = true): Promise<void> {
    if (this.closed) return;
    const tickle = await this.api.tickle();
    if (tickle.kind === "ok") this.lastTickleAt = new Date(this.clock.now());
    if (this.closed) return;
    if (tickle.kind !== "ok") {
      this.onFailure(tickle);
      if (tickle.kind === "noSso" && this.options.autoLogin) {
        if (mayLogIn) await this.autoLogin();
        else this.loginDidNotStick();
      }
      return;
    }
    this.errorStreak = 0;
    if (this.readOnly) {
      await this.checkReadOnly();
      return;
    }
    let auth = tickle.auth;
    if (!auth) {
      const status = await this.api.authStatus();
      if (status.kind !== "ok") {
        this.onFailure(status);
        return;
      }
      auth = status.auth;
    }
    if (!auth) {
      this.setState(ClientPortalState.UNAUTHENTICATED, "The gateway did not report an auth status.");
      return;
    }
    await this.onAuth(auth);
    if (this.state === ClientPortalState.AUTHENTICATED) await this.maybeValidateSso();
  }

  private async checkReadOnly(): Promise<void> {
    if (this.state === ClientPortalState.AUTHENTICATED) {
      await this.maybeValidateSso();
      return;
    }
    const probe = await this.api.portfolioCheck();
    if (probe.kind !== "ok") {
      this.onFailure(probe);
      return;
    }
    this.lastSsoValidate = this.clock.now();
    this.setState(ClientPortalState.AUTHENTICATED, null);
  }

  private async maybeValidateSso(): Promise<void> {
    if (this.ssoValidateMs <= 0 || this.clock.now() - this.lastSsoValidate < this.ssoValidateMs) return;
    this.lastSsoValidate = this.clock.now();
    const probe = await this.api.ssoValidate();
    if (probe.kind === "noSso") this.onFailure(probe);
  }

  private async onAuth(auth: AuthStatus): Promise<void> {
    this.auth = auth;
    if (auth.authenticated && auth.connected && !auth.competing) {
      this.setState(ClientPortalState.AUTHENTICATED, null);
      return;
    }
    if (auth.competing) {
      this.setState(
        ClientPortalState.COMPETING,
        "Another login of this IB user (TWS, the website, the mobile app) holds the brokerage session." +
          (this.options.takeOverCompeting ? " Taking it back." : " Call reauthenticate to take it over."),
      );
      if (this.options.takeOverCompeting) await this.heal(true, false);
      return;
    }
    if (auth.authenticated && !auth.connected) {
      this.setState(ClientPortalState.UNAUTHENTICATED, "The gateway has lost its connection to IB.");
      return;
    }
    const wasUp = this.state === ClientPortalState.AUTHENTICATED || this.state === ClientPortalState.EXPIRED;
    if (wasUp || (this.everAuthenticated && !this.loginSince)) {
      this.setState(ClientPortalState.EXPIRED, "The brokerage session expired; re-opening it.", true);
    } else {
      this.setState(
        ClientPortalState.UNAUTHENTICATED,
        "Logged in, but the brokerage session is not open yet; opening it.",
        true,
      );
    }
    await this.heal(true, false);
  }

  private onFailure(probe: Exclude<SessionProbe, { kind: "ok" }>): void {
    switch (probe.kind) {
      case "unreachable":
        this.auth = { ...this.auth, authenticated: false, connected: false };
        this.setState(ClientPortalState.UNREACHABLE, probe.message);
        return;
      case "noSso":
        this.auth = {
          authenticated: false,
          connected: false,
          competing: false,
          established: null,
          message: probe.message,
        };
        if (this.options.autoLogin && this.loginBlock) {
          this.setState(this.loginBlock.state, this.loginBlock.message);
        } else if (this.options.autoLogin) {
          // Staying in LOGIN_REQUIRED keeps the message saying when the next automatic attempt is due.
          this.setState(
            ClientPortalState.LOGIN_REQUIRED,
            `The gateway has no login (${probe.message}); logging in automatically.`,
            true,
          );
        } else {
          this.setState(
            ClientPortalState.LOGIN_REQUIRED,
            `The gateway has no login (${probe.message}); a person must log in at ${this.options.loginUrl}.`,
          );
        }
        return;
      case "rateLimited":
        // Not a session change: IB's penalty box answers everything with 429 until it expires. A probe held
        // back by our own pacing (an order flow holding the gateway) says nothing about the session.
        if (probe.penalty) this.message = probe.message;
        return;
      case "error":
        this.errorStreak++;
        this.message = `The gateway answered HTTP ${probe.status}: ${probe.message}`;
        // One 5xx is routine (IB's nightly reset, slow backend); two in a row mean the session is not usable.
        if (this.errorStreak >= 2 && this.state === ClientPortalState.AUTHENTICATED) {
          this.auth = { ...this.auth, authenticated: false };
          this.setState(ClientPortalState.UNAUTHENTICATED, this.message);
        }
        return;
    }
  }

  // ---- automatic login ----

  /** The reauthenticate mutation in a login state: one attempt now, lifting a block (the hourly cap stays). */
  private async loginNow(): Promise<void> {
    const now = this.clock.now();
    const allowedAt = this.loginBackoff.nextAllowedManualAt(now);
    if (allowedAt > now) {
      throw new AppError(
        ErrorCode.RATE_LIMITED,
        `Automatic logins are limited to a few an hour (to avoid locking the IB user); retry after ${new Date(allowedAt).toISOString()}.`,
        { api: BrokerApi.CLIENT_PORTAL, retryAt: new Date(allowedAt).toISOString(), state: this.state },
      );
    }
    if (this.loginBlock?.state === ClientPortalState.LOGIN_FAILED) this.remember(null);
    this.loginBlock = null;
    const tracked: Promise<void> = this.autoLogin(true)
      .catch((e: unknown) => {
        this.message = `Automatic login failed: ${e instanceof Error ? e.message : String(e)}`;
      })
      .finally(() => {
        if (this.cycle === tracked) this.cycle = null;
      });
    this.cycle = tracked;
    await tracked;
    this.schedule(this.nextDelay());
  }

  /**
   * One automatic login when the gateway has none, unless blocked or paused. Success continues exactly as
   * after a person's login (the next check opens the brokerage session and primes it); a refusal stops
   * automatic logins; a second-factor prompt waits for a person; anything else backs off.
   */
  private async autoLogin(manual = false): Promise<void> {
    const auto = this.options.autoLogin;
    if (!auto || this.closed || (this.loginBlock && !manual)) return;
    const now = this.clock.now();
    const allowedAt = manual ? now : this.loginBackoff.nextAllowedAt(now);
    if (allowedAt > now) {
      this.setState(
        ClientPortalState.LOGIN_REQUIRED,
        `${this.lastLoginFailure ?? "The gateway has no login."} Next automatic login after ${new Date(allowedAt).toISOString()} (or call reauthenticate; log in at ${this.options.loginUrl}).`,
      );
      return;
    }
    this.loginBackoff.started(now);
    this.setState(ClientPortalState.LOGIN_REQUIRED, "Logging in automatically (headless browser).");
    const outcome = await auto.attempt();
    if (this.closed) return;
    switch (outcome.kind) {
      case "success":
        if (this.loginBlock?.state === ClientPortalState.AWAITING_SECOND_FACTOR) this.loginBlock = null;
        this.message = `Logged in automatically (${outcome.tradingMode}); opening the brokerage session.`;
        await this.check(false);
        // Only a login the gateway confirms resets the pauses; "success" on a page alone could loop.
        if (!LOGIN_STATES.has(this.state)) {
          this.loginBackoff.succeeded();
          this.lastLoginFailure = null;
        }
        return;
      case "rejected": {
        const message =
          `IB refused the automatic login: ${outcome.message}. Automatic logins are stopped so that the IB user is not ` +
          `locked: fix IB_CP_USERNAME / IB_CP_PASSWORD (/ IB_CP_TOTP_SECRET) and restart, or log in at ${this.options.loginUrl}, ` +
          "then call reauthenticate to try again.";
        this.loginBlock = { state: ClientPortalState.LOGIN_FAILED, message };
        this.remember(message);
        this.setState(ClientPortalState.LOGIN_FAILED, message);
        return;
      }
      case "second-factor": {
        const message =
          `The password was accepted but IB asks for a second factor (${outcome.message}): complete the login at ` +
          `${this.options.loginUrl}. IB Key and SMS cannot be answered by a program; set IB_CP_TOTP_SECRET if the ` +
          "user has an authenticator app, or use a secondary user without 2FA.";
        this.loginBlock = { state: ClientPortalState.AWAITING_SECOND_FACTOR, message };
        this.setState(ClientPortalState.AWAITING_SECOND_FACTOR, message);
        return;
      }
      case "transient": {
        const next = this.loginBackoff.failed(this.clock.now());
        this.lastLoginFailure = `The automatic login failed: ${outcome.message}.`;
        const message = `${this.lastLoginFailure} Next attempt after ${new Date(next).toISOString()}.`;
        this.message = message;
        this.report(SessionEventType.LOGIN_ATTEMPT_FAILED, message);
        return;
      }
    }
  }

  private remember(refusal: string | null): void {
    try {
      this.options.autoLogin?.onRefusal?.(refusal);
    } catch {
      // Remembering is a safeguard for the next start; this run's stop holds either way.
    }
  }

  /** The page said "Client login succeeds" but the gateway still has no login: back off like a failure. */
  private loginDidNotStick(): void {
    const next = this.loginBackoff.failed(this.clock.now());
    this.lastLoginFailure = "The login page reported success, but the gateway still has no login.";
    const message = `${this.lastLoginFailure} Next attempt after ${new Date(next).toISOString()}.`;
    this.message = message;
    this.report(SessionEventType.LOGIN_ATTEMPT_FAILED, message);
  }

  // ---- healing ----

  private wantsReauth(): boolean {
    return (
      !this.readOnly &&
      (this.state === ClientPortalState.EXPIRED ||
        this.state === ClientPortalState.UNAUTHENTICATED ||
        (this.state === ClientPortalState.COMPETING && this.options.takeOverCompeting === true))
    );
  }

  /** Epoch ms until which the per-minute cap blocks another attempt, or null. */
  private capReachedUntil(): number | null {
    const now = this.clock.now();
    this.reauthAttempts = this.reauthAttempts.filter((t) => t > now - 60_000);
    if (this.reauthAttempts.length < this.maxReauthPerMinute) return null;
    return this.reauthAttempts[0]! + 60_000;
  }

  /**
   * One re-authentication attempt: ssodh/init (IB's documented way), reauthenticate on every other
   * attempt as the fallback, then auth-status polls until the brokerage session is open or the wait ends.
   */
  private async heal(compete: boolean, manual: boolean): Promise<void> {
    if (this.readOnly || this.closed) return;
    const now = this.clock.now();
    if (!manual && now < this.nextReauthAt) return;
    if (this.capReachedUntil() !== null) return;
    this.reauthAttempts.push(now);
    const useFallback = !manual && this.reauthCount % 2 === 1;
    this.reauthCount++;
    const first = useFallback ? await this.api.reauthenticate() : await this.api.ssodhInit(compete);
    if (this.closed) return;
    if (first.kind === "noSso" || first.kind === "unreachable") {
      this.onFailure(first);
      return;
    }
    let failure = first.kind === "ok" ? null : first.message;
    if (first.kind === "ok" && first.auth && this.isHealthy(first.auth)) {
      this.succeeded(first.auth);
      return;
    }
    const deadline = this.clock.now() + this.reauthWaitMs;
    while (this.clock.now() < deadline && !this.closed) {
      await this.sleep(this.reauthPollMs);
      const probe = await this.api.authStatus();
      if (this.closed) return;
      if (probe.kind === "noSso" || probe.kind === "unreachable") {
        this.onFailure(probe);
        return;
      }
      if (probe.kind === "ok" && probe.auth) {
        this.auth = probe.auth;
        if (this.isHealthy(probe.auth)) {
          this.succeeded(probe.auth);
          return;
        }
        failure =
          probe.auth.message ?? (probe.auth.competing ? "another login competes for the session" : null);
      } else if (probe.kind !== "ok") {
        failure = probe.message;
      }
    }
    this.backoffMs = Math.min(this.backoffMs * 2, this.backoffMaxMs);
    this.nextReauthAt = this.clock.now() + this.backoffMs;
    const via = useFallback ? "reauthenticate" : "ssodh/init";
    const why = `Re-opening the brokerage session (${via}) failed${failure ? `: ${failure}` : ""}; next attempt after ${Math.round(this.backoffMs / 1000)} s.`;
    this.message = why;
    this.report(SessionEventType.REAUTH_FAILED, why);
  }

  private isHealthy(a: AuthStatus): boolean {
    return a.authenticated && a.connected && !a.competing;
  }

  private succeeded(auth: AuthStatus): void {
    this.auth = auth;
    this.backoffMs = this.backoffBaseMs;
    this.nextReauthAt = 0;
    this.reauthCount = 0;
    this.setState(ClientPortalState.AUTHENTICATED, null);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimeout(resolve, ms));
  }

  // ---- transitions ----

  /** `keepMessage`: staying in the same state keeps the more specific message (e.g. why a re-auth failed). */
  private setState(next: ClientPortalState, message: string | null, keepMessage = false): void {
    const prev = this.state;
    if (!(keepMessage && prev === next)) this.message = message;
    if (prev === next) return;
    this.state = next;
    if (prev === ClientPortalState.UNREACHABLE)
      this.report(SessionEventType.CONNECTED, "The gateway is reachable again.");
    switch (next) {
      case ClientPortalState.UNREACHABLE:
        this.report(SessionEventType.DISCONNECTED, message ?? undefined);
        break;
      case ClientPortalState.LOGIN_REQUIRED:
        this.loginSince = true;
        this.report(SessionEventType.LOGIN_REQUIRED, message ?? undefined);
        break;
      case ClientPortalState.AWAITING_SECOND_FACTOR:
        this.loginSince = true;
        // The message names the login page: where the person completes the login.
        this.report(SessionEventType.AWAITING_SECOND_FACTOR, message ?? this.options.loginUrl);
        break;
      case ClientPortalState.LOGIN_FAILED:
        this.loginSince = true;
        this.report(SessionEventType.LOGIN_FAILED, message ?? undefined);
        break;
      case ClientPortalState.COMPETING:
        this.report(SessionEventType.COMPETING, message ?? undefined);
        break;
      case ClientPortalState.EXPIRED:
        this.report(SessionEventType.EXPIRED, message ?? undefined);
        break;
      case ClientPortalState.AUTHENTICATED: {
        // A person answered the second factor: the next lost login may be tried automatically again.
        if (this.loginBlock?.state === ClientPortalState.AWAITING_SECOND_FACTOR) this.loginBlock = null;
        const restored = this.everAuthenticated && !this.loginSince;
        this.everAuthenticated = true;
        this.loginSince = false;
        this.options.onAuthenticated?.();
        this.report(
          restored ? SessionEventType.RESTORED : SessionEventType.AUTHENTICATED,
          restored
            ? "The brokerage session is open again."
            : this.readOnly
              ? "Logged in (read-only user: portfolio endpoints only)."
              : "The brokerage session is open.",
        );
        break;
      }
      default:
        break;
    }
  }

  private report(type: SessionEventType, message?: string): void {
    try {
      this.options.sink.session(BrokerApi.CLIENT_PORTAL, type, message);
    } catch {
      // A failing listener must not stop the supervisor.
    }
  }
}

export function createClientPortalSupervisor(options: ClientPortalSupervisorOptions): ClientPortalSupervisor {
  return new ClientPortalSupervisor(options);
}
