/**
 * The Client Portal connection: the HTTP client, the session supervisor over it, and the setup each new
 * brokerage session needs before anything else runs. It also implements the session calls the supervisor
 * makes (`ClientPortalSessionApi`), since only the adapter knows HTTP and the scheduler: session declares
 * what it needs, the adapter provides it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import { ErrorCode, isAppError, type AppError } from "../../errors";
import { ClientPortalState } from "../../schema/enums";
import type { ClientPortalStatus } from "../../schema/session.type";
import type { ClientPortalSessionApi, SessionProbe } from "../../session/client-portal-session-api";
import {
  ClientPortalSupervisor,
  type AutoLogin,
  type ClientPortalSupervisorOptions,
  type SessionEventSink,
} from "../../session/client-portal-supervisor";
import { systemClock, type Clock } from "../../session/clock";
import { runBrowserLogin, type BrowserLoginOptions, type BrowserLoginOutcome } from "../../session/cp-login";
import type { LoginBackoffOptions } from "../../session/login-backoff";
import { LoginRefusalStore } from "../../session/login-refusal";
import { loginSelectors, type LoginSelectors } from "../../session/login-selectors";
import type { ComponentReadiness } from "../api-broker";
import { ClientPortalClient, type ClientPortalClientOptions, type CpResult } from "./client-portal-client";
import { rateLimitedError, type CpSessionView } from "./cp-errors";
import { isObject, parseAuthStatus, tickleAuthStatus } from "./cp-parse";
import { CpTransportError } from "./http-client";
import { RequestPriority, type SchedulerStats } from "./request-scheduler";

export interface CpConnectionOptions
  extends
    Pick<
      ClientPortalClientOptions,
      | "url"
      | "caPem"
      | "insecureTls"
      | "cookies"
      | "cacheTtlMs"
      | "penaltyMs"
      | "queueDeadlineMs"
      | "globalLimit"
      | "endpointRules"
      | "onSchedulerEvent"
      | "rateLimitMemory"
      | "mayTalk"
    >,
    Pick<
      ClientPortalSupervisorOptions,
      | "tickleMs"
      | "recoveryPollMs"
      | "maxReauthPerMinute"
      | "reauthBackoffMs"
      | "reauthWaitMs"
      | "reauthPollMs"
      | "ssoValidateMs"
      | "takeOverCompeting"
    > {
  /** File holding the gateway's PEM certificate (IB_CP_CA_FILE); read once at creation. */
  caFile?: string;
  /** Per-request timeout (the HTTP client's `timeoutMs`). */
  requestTimeoutMs?: number;
  /**
   * Portfolio-only IB user (IB_CP_READ_ONLY): no brokerage session is ever opened (no ssodh/init, no
   * /iserver calls), only portfolio endpoints are read, and every mutation answers READ_ONLY.
   * @default false
   */
  readOnly?: boolean;
  /**
   * IB_CP_LOGIN=auto: log in at the gateway's page with headless Chromium whenever the login is gone. The
   * browser trusts the gateway the way the HTTP client does (`caPem`/`caFile` pinned, or `insecureTls`).
   */
  autoLogin?: CpAutoLoginOptions;
  /** Each automatic login attempt's outcome and duration (for metrics). */
  onLoginAttempt?: (outcome: BrowserLoginOutcome["kind"], seconds: number) => void;
  logger?: Logger;
  clock?: Clock;
}

export interface CpAutoLoginOptions extends Pick<
  BrowserLoginOptions,
  "username" | "password" | "totpSecret" | "tradingMode" | "browserPath" | "timeoutMs" | "profileRoot"
> {
  /** Overrides of the login page's selectors (IB_CP_LOGIN_SELECTORS). */
  selectors?: Partial<LoginSelectors>;
  backoff?: LoginBackoffOptions;
  /**
   * Folder (DATA_DIR) where IB's refusal of these credentials is remembered across restarts, in
   * `cp-login-refused.json` (a digest, never the credentials), so that a restart loop cannot lock the IB
   * user. None: remembered for this run only.
   */
  stateDir?: string;
}

/** The connection's state for the other parts, and the session calls behind it. */
export class CpConnection implements CpSessionView {
  readonly client: ClientPortalClient;
  readonly clock: Clock;
  readonly readOnly: boolean;
  /** The gateway's login page (`<url>/`). */
  readonly loginUrl: string;
  private readonly supervisor: ClientPortalSupervisor;
  private readonly log?: Logger;
  private setup: Promise<void> = Promise.resolve();
  private closed = false;
  /** Ends a running automatic login when the connection stops, so no browser outlives the server. */
  private readonly loginAbort = new AbortController();

  /**
   * @param onSessionOpened what the other parts need of a new brokerage session (never for read-only users),
   * run after the priming and before anything waiting on `sessionSetUp` goes on.
   */
  constructor(
    options: CpConnectionOptions,
    sink: SessionEventSink,
    private readonly onSessionOpened: () => Promise<void>,
  ) {
    this.clock = options.clock ?? systemClock;
    this.readOnly = options.readOnly ?? false;
    this.log = options.logger;
    const caPem = options.caPem ?? (options.caFile ? readFileSync(options.caFile) : undefined);
    this.client = new ClientPortalClient({
      url: options.url,
      caPem,
      insecureTls: options.insecureTls,
      timeoutMs: options.requestTimeoutMs,
      cookies: options.cookies,
      readOnly: this.readOnly,
      cacheTtlMs: options.cacheTtlMs,
      penaltyMs: options.penaltyMs,
      queueDeadlineMs: options.queueDeadlineMs,
      globalLimit: options.globalLimit,
      endpointRules: options.endpointRules,
      clock: this.clock,
      onSchedulerEvent: options.onSchedulerEvent,
      rateLimitMemory: options.rateLimitMemory,
      mayTalk: options.mayTalk,
    });
    this.loginUrl = `${this.client.rootUrl}/`;
    this.supervisor = new ClientPortalSupervisor({
      api: createClientPortalSessionApi(this.client),
      sink,
      loginUrl: this.loginUrl,
      tickleMs: options.tickleMs,
      recoveryPollMs: options.recoveryPollMs,
      maxReauthPerMinute: options.maxReauthPerMinute,
      reauthBackoffMs: options.reauthBackoffMs,
      reauthWaitMs: options.reauthWaitMs,
      reauthPollMs: options.reauthPollMs,
      ssoValidateMs: options.ssoValidateMs,
      takeOverCompeting: options.takeOverCompeting,
      readOnly: this.readOnly,
      clock: this.clock,
      onAuthenticated: () => this.onNewSession(),
      autoLogin: options.autoLogin ? this.autoLoginHooks(options, caPem) : undefined,
    });
    this.client.onUnauthorized(() => this.supervisor.poke());
  }

  /** The first session check (and heal), then the new session's setup. */
  async start(): Promise<void> {
    await this.supervisor.start();
    await this.sessionSetUp();
  }

  /** Stops supervising; `close` then closes the client, once the other parts have let go of it. */
  stop(): void {
    this.closed = true;
    this.supervisor.close();
    this.loginAbort.abort();
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** Resolves once the current session's setup has run, whatever its outcome. */
  sessionSetUp(): Promise<void> {
    return this.setup.catch(() => undefined);
  }

  get currentState(): ClientPortalState {
    return this.supervisor.currentState;
  }

  notReady(): AppError {
    return this.supervisor.notReady();
  }

  poke(): void {
    this.supervisor.poke();
  }

  async reauthenticate(): Promise<void> {
    await this.supervisor.reauthenticate();
  }

  status(): ClientPortalStatus {
    const s = this.supervisor.status();
    const penalty = this.client.scheduler.penaltyUntil();
    if (penalty !== null && s.state === ClientPortalState.AUTHENTICATED) {
      return {
        ...s,
        message: `Rate limited by IB (HTTP 429): all requests paused until ${new Date(penalty).toISOString()}.`,
      };
    }
    return s;
  }

  stats(): SchedulerStats {
    return this.client.stats();
  }

  isReady(): boolean {
    return (
      !this.closed &&
      this.supervisor.currentState === ClientPortalState.AUTHENTICATED &&
      this.client.scheduler.penaltyUntil() === null
    );
  }

  readiness(): ComponentReadiness {
    const s = this.status();
    return {
      ready: this.isReady(),
      state: s.state,
      detail: s.message ?? (s.readOnly ? "read-only user" : undefined),
      lastMessageAt: this.client.lastAnswer?.toISOString() ?? null,
    };
  }

  assertReady(): void {
    const penalty = this.client.scheduler.penaltyUntil();
    if (penalty !== null) throw rateLimitedError(penalty, this.supervisor.currentState);
    if (this.closed || this.supervisor.currentState !== ClientPortalState.AUTHENTICATED) {
      throw this.supervisor.notReady();
    }
  }

  private autoLoginHooks(options: CpConnectionOptions, caPem: string | Buffer | undefined): AutoLogin {
    const auto = options.autoLogin!;
    const file = auto.stateDir ? join(auto.stateDir, "cp-login-refused.json") : undefined;
    const store = file
      ? new LoginRefusalStore(file, {
          loginUrl: this.loginUrl,
          username: auto.username,
          password: auto.password,
          totpSecret: auto.totpSecret,
        })
      : undefined;
    const before = store?.read() ?? null;
    if (before) {
      this.log?.warn(
        { since: before.at, file },
        "client portal: IB refused these credentials before; automatic login stays stopped until reauthenticate or new credentials",
      );
    }
    return {
      backoff: auto.backoff,
      attempt: () => this.browserLogin(options, caPem),
      refusedBefore: before ? `${before.message} (refused ${before.at}, before a restart)` : null,
      onRefusal: (message) => {
        try {
          store?.write(message);
        } catch (e) {
          this.log?.warn(
            { err: e instanceof Error ? e.message : String(e), file },
            "client portal: cannot remember the login refusal across restarts",
          );
        }
      },
    };
  }

  /** One automatic login, logged and measured; the credentials never reach a log line. */
  private async browserLogin(
    options: CpConnectionOptions,
    caPem: string | Buffer | undefined,
  ): Promise<BrowserLoginOutcome> {
    const auto = options.autoLogin!;
    const started = performance.now();
    this.log?.info(
      { tradingMode: auto.tradingMode, totp: auto.totpSecret !== undefined, loginUrl: this.loginUrl },
      "client portal: automatic login started",
    );
    const outcome = await runBrowserLogin({
      loginUrl: this.loginUrl,
      username: auto.username,
      password: auto.password,
      totpSecret: auto.totpSecret,
      tradingMode: auto.tradingMode,
      browserPath: auto.browserPath,
      timeoutMs: auto.timeoutMs,
      profileRoot: auto.profileRoot,
      signal: this.loginAbort.signal,
      selectors: loginSelectors(auto.selectors),
      insecureTls: options.insecureTls,
      caPem,
    });
    const seconds = (performance.now() - started) / 1000;
    options.onLoginAttempt?.(outcome.kind, seconds);
    const fields = {
      outcome: outcome.kind,
      pageVersion: outcome.pageVersion,
      seconds: Math.round(seconds * 10) / 10,
      ...(outcome.kind === "success"
        ? { tradingMode: outcome.tradingMode, secondFactor: outcome.secondFactor }
        : { reason: outcome.message }),
    };
    if (outcome.kind === "success") this.log?.info(fields, "client portal: automatic login succeeded");
    else if (outcome.kind === "transient")
      this.log?.warn(fields, "client portal: automatic login failed; will retry later");
    else this.log?.error(fields, "client portal: automatic login needs a person");
    return outcome;
  }

  /** A new brokerage session: priming and the other parts' setup, before anything else. */
  private onNewSession(): void {
    this.client.newSession();
    this.setup = this.setupSession();
    this.setup.catch((e: unknown) =>
      this.log?.warn(
        { err: e instanceof Error ? e.message : String(e) },
        "client portal session setup failed",
      ),
    );
  }

  private async setupSession(): Promise<void> {
    if (this.readOnly) {
      await this.client.primePortfolio();
      return;
    }
    await this.client.primeIserver();
    await this.onSessionOpened();
  }
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
