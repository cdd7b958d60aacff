import { AppError, ErrorCode } from "../../errors";
import { isObject } from "./cp-parse";
import { BrokerApi } from "../../schema/enums";
import type { Clock } from "../../session/clock";
import type { EndpointLimit, EndpointRule, HttpMethod } from "./endpoint-limits";
import {
  createCpHttpClient,
  CpTransportError,
  type CpHttpClient,
  type CpHttpOptions,
  type CpResponse,
} from "./http-client";
import {
  createRequestScheduler,
  RequestPriority,
  type ExclusiveLane,
  type RequestScheduler,
  type SchedulerEvent,
  type SchedulerMemory,
  type SchedulerStats,
} from "./request-scheduler";

export interface ClientPortalClientOptions extends CpHttpOptions {
  /**
   * Portfolio-only IB user: every `/iserver/*` call is refused locally with READ_ONLY, so a brokerage session
   * is never opened by accident.
   * @default false
   */
  readOnly?: boolean;
  /** Read answers are reused this long (endpoints limited to 1 per 5 s: for their whole window). @default 1500 */
  cacheTtlMs?: number;
  /** How long all traffic stops after a 429. @default 900000 */
  penaltyMs?: number;
  /** How long a call may wait for a rate-limit slot. @default 10000 */
  queueDeadlineMs?: number;
  /** @default { max: 8, windowMs: 1100 } */
  globalLimit?: EndpointLimit;
  /** @default DEFAULT_ENDPOINT_RULES */
  endpointRules?: readonly EndpointRule[];
  clock?: Clock;
  onSchedulerEvent?(event: SchedulerEvent): void;
  /** The scheduler's windows kept across restarts (see `SchedulerMemory`). */
  rateLimitMemory?: SchedulerMemory;
}

export interface CallOptions {
  /** @default RequestPriority.READ */
  priority?: RequestPriority;
  /** Bypass the read cache (still paced). */
  fresh?: boolean;
  cacheTtlMs?: number;
  deadlineMs?: number;
  timeoutMs?: number;
  /** Transport-failure retries; GETs only. @default 1 for GET, 0 otherwise */
  retries?: number;
  /** Skip the must-call-first priming (used by the priming calls themselves and the session probes). */
  raw?: boolean;
  /** Send through this exclusive lane (an order flow) instead of the shared queue. */
  lane?: ExclusiveLane<CpResponse>;
}

export interface CpResult extends CpResponse {
  /** When the gateway answered (for cached answers: the original answer). */
  asOf: Date;
  fromCache: boolean;
}

export type UnauthorizedListener = (path: string, result: CpResult) => void;

/**
 * The Client Portal as the rest of the adapter sees it: every call paced by the scheduler, cookies kept, the
 * must-call-first rules (`/iserver/accounts` before other `/iserver` endpoints, `/portfolio/accounts` before
 * `/portfolio/{id}/…`) applied once per brokerage session and redone after a "please query accounts first".
 */
export class ClientPortalClient {
  readonly http: CpHttpClient;
  readonly scheduler: RequestScheduler<CpResponse>;
  readonly readOnly: boolean;
  private epoch = 0;
  private iserverPrimed: { epoch: number; promise: Promise<void> } | null = null;
  private portfolioPrimed: { epoch: number; promise: Promise<void> } | null = null;
  private unauthorizedListeners: UnauthorizedListener[] = [];
  private lastAnswerAt: number | null = null;

  constructor(options: ClientPortalClientOptions) {
    this.http = createCpHttpClient(options);
    this.readOnly = options.readOnly ?? false;
    this.scheduler = createRequestScheduler<CpResponse>({
      send: (r) => this.http.send({ method: r.method, path: r.path, body: r.body, timeoutMs: r.timeoutMs }),
      statusOf: (r) => r.status,
      // A live-orders warm-up answer (`snapshot: false`) is not the real list and must not be reused.
      cacheable: (r) =>
        r.status >= 200 &&
        r.status < 300 &&
        r.error === null &&
        !(isObject(r.json) && r.json.snapshot === false),
      clock: options.clock,
      cacheTtlMs: options.cacheTtlMs,
      penaltyMs: options.penaltyMs,
      deadlineMs: options.queueDeadlineMs,
      globalLimit: options.globalLimit,
      rules: options.endpointRules,
      onEvent: options.onSchedulerEvent,
      memory: options.rateLimitMemory,
    });
  }

  /** The gateway root, e.g. `https://localhost:5001`; its `/` is where a person logs in. */
  get rootUrl(): string {
    return this.http.rootUrl;
  }

  /** Increments whenever a brokerage session starts; data tied to a session (warm-ups) compares it. */
  get sessionEpoch(): number {
    return this.epoch;
  }

  /** When the gateway last answered anything. */
  get lastAnswer(): Date | null {
    return this.lastAnswerAt === null ? null : new Date(this.lastAnswerAt);
  }

  /** A new brokerage session: priming and warm-ups must be redone, cached session data is stale. */
  newSession(): void {
    this.epoch++;
    this.iserverPrimed = null;
    this.portfolioPrimed = null;
    this.scheduler.invalidate();
  }

  /** Called for every 401 (and "no bridge"), so the supervisor can look at the session at once. */
  onUnauthorized(listener: UnauthorizedListener): void {
    this.unauthorizedListeners.push(listener);
  }

  get(path: string, options: CallOptions = {}): Promise<CpResult> {
    return this.call("GET", path, undefined, options);
  }

  post(path: string, body: unknown = {}, options: CallOptions = {}): Promise<CpResult> {
    return this.call("POST", path, body, options);
  }

  delete(path: string, options: CallOptions = {}): Promise<CpResult> {
    return this.call("DELETE", path, undefined, options);
  }

  /** `GET /iserver/accounts` once per brokerage session. */
  primeIserver(): Promise<void> {
    if (this.readOnly) return Promise.resolve();
    const epoch = this.epoch;
    if (this.iserverPrimed?.epoch !== epoch) {
      const promise = this.primeOnce("/iserver/accounts");
      this.iserverPrimed = { epoch, promise };
      promise.catch(() => {
        if (this.iserverPrimed?.promise === promise) this.iserverPrimed = null;
      });
    }
    return this.iserverPrimed!.promise;
  }

  /** `GET /portfolio/accounts` once per session. */
  primePortfolio(): Promise<void> {
    const epoch = this.epoch;
    if (this.portfolioPrimed?.epoch !== epoch) {
      const promise = this.primeOnce("/portfolio/accounts");
      this.portfolioPrimed = { epoch, promise };
      promise.catch(() => {
        if (this.portfolioPrimed?.promise === promise) this.portfolioPrimed = null;
      });
    }
    return this.portfolioPrimed!.promise;
  }

  stats(): SchedulerStats {
    return this.scheduler.stats();
  }

  async close(): Promise<void> {
    this.scheduler.close();
    await this.http.close();
  }

  // ---- internals ----

  /** Hands out the gateway exclusively for an order flow (see ExclusiveLane). */
  acquireExclusive(deadlineMs?: number): Promise<ExclusiveLane<CpResponse>> {
    return this.scheduler.acquireExclusive(deadlineMs);
  }

  private async primeOnce(path: string, lane?: ExclusiveLane<CpResponse>): Promise<void> {
    const r = await this.call("GET", path, undefined, {
      raw: true,
      priority: RequestPriority.SESSION,
      fresh: true,
      lane,
    });
    if (r.status !== 200 || r.error)
      throw unavailable(`${path} failed: ${r.error ?? `HTTP ${r.status}`}`, r.status);
  }

  private async call(
    method: HttpMethod,
    path: string,
    body: unknown,
    options: CallOptions,
  ): Promise<CpResult> {
    if (this.readOnly && path.startsWith("/iserver/")) {
      throw new AppError(
        ErrorCode.READ_ONLY,
        "This Client Portal user is read-only (IB_CP_READ_ONLY=true): it has no brokerage session, so " +
          "trading and /iserver endpoints are not available.",
        { api: BrokerApi.CLIENT_PORTAL },
      );
    }
    const epoch = this.epoch;
    const primer = options.raw ? null : primerFor(path);
    // An order flow primes before it takes the lane; inside the lane only a forgotten priming is redone.
    if (primer === "iserver" && !options.lane) await this.primeIserver();
    if (primer === "portfolio" && !options.lane) await this.primePortfolio();
    let result = await this.paced(method, path, body, options);
    if (primer && result.error && ACCOUNTS_FIRST.test(result.error)) {
      // The gateway forgot our priming (restart, session change): redo it once. Such an answer means the
      // request was refused, so repeating it cannot duplicate an order.
      const primePath = primer === "iserver" ? "/iserver/accounts" : "/portfolio/accounts";
      if (primer === "iserver") this.iserverPrimed = null;
      else this.portfolioPrimed = null;
      if (options.lane) await this.primeOnce(primePath, options.lane);
      else await (primer === "iserver" ? this.primeIserver() : this.primePortfolio());
      result = await this.paced(method, path, body, options);
    }
    if (method === "GET" && result.status === 200 && !result.error) this.notePrimed(path, epoch);
    return result;
  }

  /**
   * A successful read of an accounts endpoint is the priming itself: without noting it, the next portfolio
   * read would prime again and wait out IB's 1-per-5-s window on /portfolio/accounts.
   */
  private notePrimed(path: string, epoch: number): void {
    if (epoch !== this.epoch) return;
    const bare = path.split("?")[0];
    if (bare === "/portfolio/accounts" && this.portfolioPrimed?.epoch !== epoch) {
      this.portfolioPrimed = { epoch, promise: Promise.resolve() };
    } else if (bare === "/iserver/accounts" && this.iserverPrimed?.epoch !== epoch) {
      this.iserverPrimed = { epoch, promise: Promise.resolve() };
    }
  }

  private async paced(
    method: HttpMethod,
    path: string,
    body: unknown,
    options: CallOptions,
  ): Promise<CpResult> {
    let retries = options.retries ?? (method === "GET" ? 1 : 0);
    if (method !== "GET") retries = 0;
    for (;;) {
      try {
        const run = options.lane
          ? options.lane.run
          : (r: Parameters<typeof this.scheduler.run>[0]) => this.scheduler.run(r);
        const out = await run({
          method,
          path,
          body,
          priority: options.priority,
          fresh: options.fresh,
          cacheTtlMs: options.cacheTtlMs,
          deadlineMs: options.deadlineMs,
          timeoutMs: options.timeoutMs,
        });
        if (!out.fromCache) this.lastAnswerAt = out.asOf;
        const result: CpResult = { ...out.response, asOf: new Date(out.asOf), fromCache: out.fromCache };
        if (isUnauthorized(result)) for (const l of this.unauthorizedListeners) l(path, result);
        if (method === "GET" && retries > 0 && result.status >= 502 && result.status <= 504) {
          retries--;
          continue;
        }
        return result;
      } catch (e) {
        if (e instanceof CpTransportError && retries > 0) {
          retries--;
          continue;
        }
        throw e;
      }
    }
  }
}

const ACCOUNTS_FIRST = /query \/?(portfolio\/)?accounts first/i;

function primerFor(path: string): "iserver" | "portfolio" | null {
  const bare = path.split("?")[0] ?? "";
  if (bare.startsWith("/iserver/")) {
    if (/^\/iserver\/(auth\/|accounts$|reauthenticate$|questions\/)/.test(bare)) return null;
    return "iserver";
  }
  if (bare.startsWith("/portfolio/")) {
    if (/^\/portfolio\/(accounts|subaccounts\d?)$/.test(bare)) return null;
    return "portfolio";
  }
  return null;
}

function isUnauthorized(r: CpResponse): boolean {
  if (r.status === 401) return true;
  if (r.status === 302 && r.location !== null && /\/sso\//i.test(r.location)) return true;
  return r.error !== null && /no bridge|not authenticated|no session/i.test(r.error);
}

export function unavailable(message: string, status?: number): AppError {
  return new AppError(ErrorCode.BROKER_UNAVAILABLE, `Client Portal: ${message}`, {
    api: BrokerApi.CLIENT_PORTAL,
    ...(status !== undefined ? { httpStatus: status } : {}),
  });
}
