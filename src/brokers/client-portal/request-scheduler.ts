import { AppError, ErrorCode } from "../../errors";
import { BrokerApi } from "../../schema/enums";
import { systemClock, type Clock, type TimerHandle } from "../../session/clock";
import {
  DEFAULT_ENDPOINT_RULES,
  endpointKey,
  endpointWindowKey,
  findEndpointLimit,
  type EndpointLimit,
  type EndpointRule,
  type HttpMethod,
} from "./endpoint-limits";

/** Lower runs first. The session keep-alive must never starve behind a flood of GraphQL reads. */
export const RequestPriority = {
  SESSION: 0,
  ORDER: 1,
  READ: 2,
  BACKGROUND: 3,
} as const;
export type RequestPriority = (typeof RequestPriority)[keyof typeof RequestPriority];

export interface SchedulerRequest {
  method: HttpMethod;
  /** Relative to the API base (`/v1/api`), query string included. */
  path: string;
  body?: unknown;
  /** @default RequestPriority.READ */
  priority?: RequestPriority;
  /** Identical reads in flight share one upstream call, and answers are cached. @default method === "GET" */
  read?: boolean;
  /** Skip the cache and do not join a call that was already sent: the answer is from after this call. */
  fresh?: boolean;
  /** Overrides the scheduler's cache TTL for this read. */
  cacheTtlMs?: number;
  /** How long this call may wait in the queue before it fails with RATE_LIMITED. */
  deadlineMs?: number;
  /** Per-request upstream timeout, passed through to `send`. */
  timeoutMs?: number;
}

export interface SchedulerOutcome<R> {
  response: R;
  /** Epoch ms when the answer arrived from the gateway. */
  asOf: number;
  fromCache: boolean;
}

export type SchedulerEvent =
  | { type: "request"; endpoint: string; status: number | "error"; waitedMs: number; durationMs: number }
  | { type: "served"; endpoint: string; by: "cache" | "coalesced" }
  | { type: "rejected"; endpoint: string; reason: RejectReason }
  | { type: "penalty"; until: number };

type RejectReason = "deadline" | "penalty" | "queueFull" | "closed";

export interface SchedulerStats {
  /** Upstream requests by endpoint template (`GET /portfolio/{id}/summary`) and HTTP status (or `error`). */
  requests: Record<string, Record<string, number>>;
  upstream: number;
  coalesced: number;
  cacheHits: number;
  /** Time calls spent queued before they were sent. */
  waits: { count: number; totalMs: number; maxMs: number };
  rejected: Record<RejectReason, number>;
  /** 429 answers seen; each one starts a penalty. */
  rateLimited429: number;
  queueLength: number;
  inFlight: number;
  penaltyUntil: string | null;
  /** An order flow holds the gateway exclusively; how many more wait for it. */
  exclusive: { held: boolean; waiting: number };
}

export interface RequestSchedulerOptions<R> {
  /** Performs one upstream request. Only the scheduler calls it. */
  send(request: SchedulerRequest): Promise<R>;
  statusOf(response: R): number;
  /** Whether a read's answer may be cached and shared. @default status 2xx */
  cacheable?(response: R): boolean;
  /** @default systemClock */
  clock?: Clock;
  /**
   * The gateway-wide limit. IB allows 10 requests/s; 8 per 1.1 s leaves room for other clients' tickles.
   * @default { max: 8, windowMs: 1100 }
   */
  globalLimit?: EndpointLimit;
  /** @default DEFAULT_ENDPOINT_RULES */
  rules?: readonly EndpointRule[];
  /** @default 6 */
  maxInFlight?: number;
  /** How long a read's answer is reused. @default 1500 */
  cacheTtlMs?: number;
  /** How long all traffic stops after a 429 (IB's penalty box). @default 900000 (15 min) */
  penaltyMs?: number;
  /** Default queue deadline of a call. @default 10000 */
  deadlineMs?: number;
  /** Calls beyond this many queued fail at once with RATE_LIMITED. @default 1000 */
  maxQueue?: number;
  /** Every request, cache hit, rejection and penalty, for metrics. */
  onEvent?(event: SchedulerEvent): void;
}

/**
 * Sole use of the gateway: while held, only requests sent through the lane go out (still within the rate
 * limits); everything else waits. IB forgets an order question as soon as any other request reaches the
 * gateway, so a placement, its question and the reply must follow each other with nothing in between.
 */
export interface ExclusiveLane<R> {
  run(request: SchedulerRequest): Promise<SchedulerOutcome<R>>;
  release(): void;
  readonly released: boolean;
}

export interface RequestScheduler<R> {
  run(request: SchedulerRequest): Promise<SchedulerOutcome<R>>;
  /**
   * Waits until requests already sent have been answered, then hands out the gateway exclusively. Fails with
   * RATE_LIMITED when another holder keeps it beyond `deadlineMs`.
   */
  acquireExclusive(deadlineMs?: number): Promise<ExclusiveLane<R>>;
  /** Drops cached answers whose `METHOD path` key matches. */
  invalidate(match?: (key: string) => boolean): void;
  /** Epoch ms until which all traffic is stopped, or null. */
  penaltyUntil(): number | null;
  stats(): SchedulerStats;
  /** Fails everything queued with BROKER_UNAVAILABLE and refuses new calls. */
  close(): void;
}

interface Waiter<R> {
  resolve(outcome: SchedulerOutcome<R>): void;
  reject(error: unknown): void;
  timer: TimerHandle | undefined;
}

interface Entry<R> {
  seq: number;
  key: string;
  endpoint: string;
  /** The window of `limit` this request counts in (see endpointWindowKey). */
  windowKey: string;
  limit: EndpointLimit | undefined;
  request: SchedulerRequest;
  priority: number;
  read: boolean;
  enqueuedAt: number;
  waiters: Set<Waiter<R>>;
  /** Token of the exclusive lane this request belongs to. */
  lane?: number;
}

interface LaneWaiter<R> {
  token: number;
  resolve(lane: ExclusiveLane<R>): void;
  reject(error: unknown): void;
  timer: TimerHandle | undefined;
}

/** Requests started and finished on one limit: in-flight ones count until they finish, then for a window. */
interface Window {
  inFlight: number;
  /** Completion times, ascending. */
  completions: number[];
}

export function createRequestScheduler<R>(options: RequestSchedulerOptions<R>): RequestScheduler<R> {
  return new Scheduler(options);
}

/**
 * Paces every Client Portal request under IB's limits.
 *
 * A request counts against a limit from the moment it is sent until `windowMs` after its answer arrived.
 * The gateway receives a request before it answers it, so two requests this scheduler spaced by a window
 * also arrive at least a window apart, however slow the network or the gateway is: the guarantee does not
 * depend on latency.
 */
class Scheduler<R> implements RequestScheduler<R> {
  private readonly clock: Clock;
  private readonly globalLimit: EndpointLimit;
  private readonly rules: readonly EndpointRule[];
  private readonly maxInFlight: number;
  private readonly cacheTtlMs: number;
  private readonly penaltyMs: number;
  private readonly deadlineMs: number;
  private readonly maxQueue: number;

  private readonly queue: Entry<R>[] = [];
  private readonly inFlightReads = new Map<string, Entry<R>>();
  private readonly cache = new Map<string, { response: R; asOf: number; expiresAt: number }>();
  private readonly global: Window = { inFlight: 0, completions: [] };
  private readonly endpoints = new Map<string, Window>();
  private seq = 0;
  private wakeTimer: TimerHandle | undefined;
  private wakeAt = Infinity;
  private penaltyEnd: number | null = null;
  private closed = false;
  private pumping = false;
  private exclusiveToken: number | null = null;
  private readonly laneWaiters: LaneWaiter<R>[] = [];
  private nextToken = 1;
  private readonly counters: Omit<SchedulerStats, "queueLength" | "inFlight" | "penaltyUntil" | "exclusive"> =
    {
      requests: {},
      upstream: 0,
      coalesced: 0,
      cacheHits: 0,
      waits: { count: 0, totalMs: 0, maxMs: 0 },
      rejected: { deadline: 0, penalty: 0, queueFull: 0, closed: 0 },
      rateLimited429: 0,
    };

  constructor(private readonly options: RequestSchedulerOptions<R>) {
    this.clock = options.clock ?? systemClock;
    this.globalLimit = options.globalLimit ?? { max: 8, windowMs: 1_100 };
    this.rules = options.rules ?? DEFAULT_ENDPOINT_RULES;
    this.maxInFlight = options.maxInFlight ?? 6;
    this.cacheTtlMs = options.cacheTtlMs ?? 1_500;
    this.penaltyMs = options.penaltyMs ?? 15 * 60_000;
    this.deadlineMs = options.deadlineMs ?? 10_000;
    this.maxQueue = options.maxQueue ?? 1_000;
  }

  run(request: SchedulerRequest): Promise<SchedulerOutcome<R>> {
    return this.enqueue(request, undefined);
  }

  acquireExclusive(deadlineMs?: number): Promise<ExclusiveLane<R>> {
    if (this.closed) return Promise.reject(this.rejection("exclusive", "closed"));
    return new Promise((resolve, reject) => {
      const waiter: LaneWaiter<R> = { token: this.nextToken++, resolve, reject, timer: undefined };
      waiter.timer = this.clock.setTimeout(() => {
        const i = this.laneWaiters.indexOf(waiter);
        if (i < 0) return;
        this.laneWaiters.splice(i, 1);
        this.counters.rejected.deadline++;
        const at = new Date(this.clock.now() + 1_000).toISOString();
        reject(
          new AppError(
            ErrorCode.RATE_LIMITED,
            `Another Client Portal order is being placed or awaits confirmOrder; retry after ${at}.`,
            { api: BrokerApi.CLIENT_PORTAL, retryAt: at },
          ),
        );
        this.pump();
      }, deadlineMs ?? this.deadlineMs);
      this.laneWaiters.push(waiter);
      this.pump();
    });
  }

  private makeLane(token: number): ExclusiveLane<R> {
    let released = false;
    return {
      run: (request) => {
        if (released) return Promise.reject(new Error("exclusive lane already released"));
        return this.enqueue(request, token);
      },
      release: () => {
        if (released) return;
        released = true;
        if (this.exclusiveToken === token) this.exclusiveToken = null;
        this.pump();
      },
      get released() {
        return released;
      },
    };
  }

  private enqueue(request: SchedulerRequest, lane: number | undefined): Promise<SchedulerOutcome<R>> {
    const endpoint = endpointKey(request.method, request.path);
    if (this.closed) return Promise.reject(this.rejection(endpoint, "closed"));
    const now = this.clock.now();
    if (this.penaltyEnd !== null && now < this.penaltyEnd) {
      return Promise.reject(this.rejection(endpoint, "penalty", this.penaltyEnd));
    }
    this.penaltyEnd = null;

    const key = `${request.method} ${request.path}`;
    // Lane requests belong to one order flow: never answered from cache or shared with others.
    const read = lane === undefined && (request.read ?? request.method === "GET");
    if (read && !request.fresh) {
      const hit = this.cache.get(key);
      if (hit && hit.expiresAt > now) {
        this.counters.cacheHits++;
        this.emit({ type: "served", endpoint, by: "cache" });
        return Promise.resolve({ response: hit.response, asOf: hit.asOf, fromCache: true });
      }
    }
    if (read) {
      const queued = this.queue.find((e) => e.key === key && e.read);
      const shared = queued ?? (request.fresh ? undefined : this.inFlightReads.get(key));
      if (shared) {
        this.counters.coalesced++;
        this.emit({ type: "served", endpoint, by: "coalesced" });
        if (queued && (request.priority ?? RequestPriority.READ) < queued.priority) {
          queued.priority = request.priority ?? RequestPriority.READ;
          this.sortQueue();
        }
        return this.addWaiter(shared, request.deadlineMs, !queued);
      }
    }
    if (this.queue.length >= this.maxQueue) {
      return Promise.reject(this.rejection(endpoint, "queueFull", this.estimate(endpoint, now)));
    }
    const entry: Entry<R> = {
      seq: this.seq++,
      key,
      endpoint,
      windowKey: endpointWindowKey(this.rules, request.method, request.path),
      limit: findEndpointLimit(this.rules, request.method, request.path),
      request,
      priority: lane !== undefined ? -1 : (request.priority ?? RequestPriority.READ),
      read,
      enqueuedAt: now,
      waiters: new Set(),
      lane,
    };
    const promise = this.addWaiter(entry, request.deadlineMs, false);
    this.queue.push(entry);
    this.sortQueue();
    this.pump();
    return promise;
  }

  invalidate(match?: (key: string) => boolean): void {
    if (!match) {
      this.cache.clear();
      return;
    }
    for (const key of [...this.cache.keys()]) if (match(key)) this.cache.delete(key);
  }

  penaltyUntil(): number | null {
    if (this.penaltyEnd !== null && this.clock.now() >= this.penaltyEnd) this.penaltyEnd = null;
    return this.penaltyEnd;
  }

  stats(): SchedulerStats {
    const requests: SchedulerStats["requests"] = {};
    for (const [endpoint, byStatus] of Object.entries(this.counters.requests))
      requests[endpoint] = { ...byStatus };
    const until = this.penaltyUntil();
    return {
      ...this.counters,
      requests,
      waits: { ...this.counters.waits },
      rejected: { ...this.counters.rejected },
      queueLength: this.queue.length,
      inFlight: this.global.inFlight,
      penaltyUntil: until === null ? null : new Date(until).toISOString(),
      exclusive: { held: this.exclusiveToken !== null, waiting: this.laneWaiters.length },
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearWake();
    for (const entry of this.queue.splice(0)) this.rejectEntry(entry, "closed");
    for (const w of this.laneWaiters.splice(0)) {
      if (w.timer !== undefined) this.clock.clearTimeout(w.timer);
      w.reject(this.rejection("exclusive", "closed"));
    }
    this.cache.clear();
  }

  // ---- internals ----

  private addWaiter(
    entry: Entry<R>,
    deadlineMs: number | undefined,
    sent: boolean,
  ): Promise<SchedulerOutcome<R>> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter<R> = { resolve, reject, timer: undefined };
      // Once sent, the upstream timeout governs; the queue deadline only bounds waiting for a slot.
      if (!sent) {
        waiter.timer = this.clock.setTimeout(() => this.expire(entry, waiter), deadlineMs ?? this.deadlineMs);
      }
      entry.waiters.add(waiter);
    });
  }

  private expire(entry: Entry<R>, waiter: Waiter<R>): void {
    if (!entry.waiters.delete(waiter)) return;
    const retryAt = this.estimate(entry.windowKey, this.clock.now(), entry.limit);
    waiter.reject(this.rejection(entry.endpoint, "deadline", retryAt));
    if (entry.waiters.size === 0) {
      const i = this.queue.indexOf(entry);
      if (i >= 0) this.queue.splice(i, 1);
    }
  }

  private sortQueue(): void {
    this.queue.sort((a, b) => a.priority - b.priority || a.seq - b.seq);
  }

  private pump(): void {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    try {
      const now = this.clock.now();
      // Hand the gateway to the next order flow once everything already sent has been answered.
      if (this.exclusiveToken === null && this.laneWaiters.length > 0 && this.global.inFlight === 0) {
        const next = this.laneWaiters.shift()!;
        if (next.timer !== undefined) this.clock.clearTimeout(next.timer);
        this.exclusiveToken = next.token;
        next.resolve(this.makeLane(next.token));
      }
      const draining = this.exclusiveToken === null && this.laneWaiters.length > 0;
      let wake = Infinity;
      for (let i = 0; i < this.queue.length;) {
        const entry = this.queue[i]!;
        if (this.global.inFlight >= this.maxInFlight) break;
        if (draining || (this.exclusiveToken !== null && entry.lane !== this.exclusiveToken)) {
          i++;
          continue;
        }
        const globalFree = nextFree(this.global, this.globalLimit, now);
        if (globalFree > now) {
          wake = Math.min(wake, globalFree);
          break;
        }
        if (entry.limit) {
          const free = nextFree(this.windowOf(entry.windowKey), entry.limit, now);
          if (free > now) {
            wake = Math.min(wake, free);
            i++;
            continue;
          }
        }
        this.queue.splice(i, 1);
        this.dispatch(entry, now);
      }
      this.scheduleWake(this.queue.length > 0 ? wake : Infinity);
    } finally {
      this.pumping = false;
    }
  }

  private dispatch(entry: Entry<R>, now: number): void {
    for (const w of entry.waiters) {
      if (w.timer !== undefined) this.clock.clearTimeout(w.timer);
      w.timer = undefined;
    }
    const waited = now - entry.enqueuedAt;
    this.counters.waits.count++;
    this.counters.waits.totalMs += waited;
    this.counters.waits.maxMs = Math.max(this.counters.waits.maxMs, waited);
    this.counters.upstream++;
    if (entry.read) this.inFlightReads.set(entry.key, entry);
    const window = entry.limit ? this.windowOf(entry.windowKey) : undefined;
    this.global.inFlight++;
    if (window) window.inFlight++;

    let sending: Promise<R>;
    try {
      sending = this.options.send(entry.request);
    } catch (e) {
      sending = Promise.reject(e);
    }
    sending.then(
      (response) => this.settle(entry, window, now, waited, response, undefined),
      (error: unknown) =>
        this.settle(entry, window, now, waited, undefined, error ?? new Error("send failed")),
    );
  }

  private settle(
    entry: Entry<R>,
    window: Window | undefined,
    sentAt: number,
    waited: number,
    response: R | undefined,
    error: unknown,
  ): void {
    const now = this.clock.now();
    this.global.inFlight--;
    this.global.completions.push(now);
    if (window) {
      window.inFlight--;
      window.completions.push(now);
    }
    if (this.inFlightReads.get(entry.key) === entry) this.inFlightReads.delete(entry.key);

    const status = error === undefined ? this.options.statusOf(response as R) : "error";
    const byStatus = (this.counters.requests[entry.endpoint] ??= {});
    byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;
    this.emit({
      type: "request",
      endpoint: entry.endpoint,
      status,
      waitedMs: waited,
      durationMs: now - sentAt,
    });

    const waiters = [...entry.waiters];
    entry.waiters.clear();
    if (error !== undefined) {
      for (const w of waiters) w.reject(error);
    } else if (status === 429) {
      this.enterPenalty(now);
      for (const w of waiters) w.reject(this.rejection(entry.endpoint, "penalty", this.penaltyEnd ?? now));
    } else {
      const outcome: SchedulerOutcome<R> = { response: response as R, asOf: now, fromCache: false };
      const code = Number(status);
      const cacheable = this.options.cacheable?.(response as R) ?? (code >= 200 && code < 300);
      if (entry.read && cacheable && !this.closed) {
        const ttl = this.ttlOf(entry);
        if (ttl > 0) this.cache.set(entry.key, { response: response as R, asOf: now, expiresAt: now + ttl });
      }
      for (const w of waiters) w.resolve(outcome);
    }
    this.pump();
  }

  /** Endpoints limited to one call per several seconds are answered from cache for their whole window. */
  private ttlOf(entry: Entry<R>): number {
    const ttl = entry.request.cacheTtlMs ?? this.cacheTtlMs;
    if (
      entry.request.cacheTtlMs === undefined &&
      entry.limit &&
      entry.limit.max === 1 &&
      entry.limit.windowMs >= 2_000
    ) {
      return Math.max(ttl, entry.limit.windowMs);
    }
    return ttl;
  }

  private enterPenalty(now: number): void {
    this.counters.rateLimited429++;
    this.penaltyEnd = Math.max(this.penaltyEnd ?? 0, now + this.penaltyMs);
    this.emit({ type: "penalty", until: this.penaltyEnd });
    this.clearWake();
    for (const entry of this.queue.splice(0)) this.rejectEntry(entry, "penalty", this.penaltyEnd);
  }

  private rejectEntry(entry: Entry<R>, reason: RejectReason, retryAt?: number): void {
    for (const w of entry.waiters) {
      if (w.timer !== undefined) this.clock.clearTimeout(w.timer);
      w.reject(this.rejection(entry.endpoint, reason, retryAt));
    }
    entry.waiters.clear();
  }

  private rejection(endpoint: string, reason: RejectReason, retryAt?: number): AppError {
    this.counters.rejected[reason]++;
    this.emit({ type: "rejected", endpoint, reason });
    if (reason === "closed") {
      return new AppError(ErrorCode.BROKER_UNAVAILABLE, "The Client Portal connection is closed.", {
        api: BrokerApi.CLIENT_PORTAL,
        state: "CLOSED",
      });
    }
    const at = new Date(retryAt ?? this.clock.now() + 1_000);
    const why =
      reason === "penalty"
        ? "IB's gateway answered 429 (too many requests); all Client Portal traffic is paused to let its penalty expire"
        : "Client Portal requests are paced to stay under IB's rate limits and this one could not be sent in time";
    return new AppError(ErrorCode.RATE_LIMITED, `${why}; retry after ${at.toISOString()}.`, {
      api: BrokerApi.CLIENT_PORTAL,
      retryAt: at.toISOString(),
      endpoint,
      reason,
    });
  }

  /** When a call to this endpoint could next be sent if nothing else were queued. */
  private estimate(endpoint: string, now: number, limit?: EndpointLimit): number {
    let at = nextFree(this.global, this.globalLimit, now);
    if (limit) at = Math.max(at, nextFree(this.windowOf(endpoint), limit, now));
    return Number.isFinite(at) ? Math.max(at, now + 100) : now + 1_000;
  }

  private windowOf(endpoint: string): Window {
    let w = this.endpoints.get(endpoint);
    if (!w) {
      w = { inFlight: 0, completions: [] };
      this.endpoints.set(endpoint, w);
    }
    return w;
  }

  private scheduleWake(at: number): void {
    if (at === this.wakeAt) return;
    this.clearWake();
    if (!Number.isFinite(at)) return;
    this.wakeAt = at;
    this.wakeTimer = this.clock.setTimeout(() => {
      this.wakeTimer = undefined;
      this.wakeAt = Infinity;
      this.pump();
    }, at - this.clock.now());
  }

  private clearWake(): void {
    if (this.wakeTimer !== undefined) this.clock.clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    this.wakeAt = Infinity;
  }

  private emit(event: SchedulerEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // Metrics must never break pacing.
    }
  }
}

/** The earliest time a new request fits the limit; Infinity while only a completion can free a slot. */
function nextFree(w: Window, limit: EndpointLimit, now: number): number {
  const cutoff = now - limit.windowMs;
  let drop = 0;
  while (drop < w.completions.length && w.completions[drop]! <= cutoff) drop++;
  if (drop > 0) w.completions.splice(0, drop);
  if (limit.maxConcurrent !== undefined && w.inFlight >= limit.maxConcurrent) return Infinity;
  const count = w.inFlight + w.completions.length;
  if (count < limit.max) return now;
  const mustAge = count - limit.max + 1;
  if (mustAge > w.completions.length) return Infinity;
  return w.completions[mustAge - 1]! + limit.windowMs;
}
