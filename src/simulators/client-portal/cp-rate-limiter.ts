/** One documented per-endpoint limit: at most `max` requests per `windowMs`, keyed by method + path template. */
export interface CpEndpointLimit {
  method: string;
  /** Path below the API base, with `*` for one path segment, e.g. `/iserver/account/orders`. */
  path: string;
  max: number;
  windowMs: number;
}

/** The limits of IB's documentation (client-portal-api.md §6.1). */
export const DEFAULT_ENDPOINT_LIMITS: readonly CpEndpointLimit[] = [
  { method: "*", path: "/tickle", max: 1, windowMs: 1_000 },
  { method: "GET", path: "/sso/validate", max: 1, windowMs: 60_000 },
  { method: "GET", path: "/iserver/account/orders", max: 1, windowMs: 5_000 },
  { method: "GET", path: "/iserver/account/trades", max: 1, windowMs: 5_000 },
  { method: "GET", path: "/iserver/account/pnl/partitioned", max: 1, windowMs: 5_000 },
  { method: "GET", path: "/portfolio/accounts", max: 1, windowMs: 5_000 },
  { method: "GET", path: "/portfolio/subaccounts", max: 1, windowMs: 5_000 },
  { method: "GET", path: "/iserver/marketdata/snapshot", max: 10, windowMs: 1_000 },
  { method: "GET", path: "/iserver/scanner/params", max: 1, windowMs: 15 * 60_000 },
  { method: "POST", path: "/iserver/scanner/run", max: 1, windowMs: 1_000 },
  { method: "POST", path: "/pa/performance", max: 1, windowMs: 15 * 60_000 },
  { method: "POST", path: "/pa/summary", max: 1, windowMs: 15 * 60_000 },
  { method: "POST", path: "/pa/transactions", max: 1, windowMs: 15 * 60_000 },
  { method: "*", path: "/fyi/unreadnumber", max: 1, windowMs: 1_000 },
  { method: "*", path: "/fyi/settings", max: 1, windowMs: 1_000 },
  { method: "*", path: "/fyi/disclaimer/*", max: 1, windowMs: 1_000 },
  { method: "*", path: "/fyi/deliveryoptions", max: 1, windowMs: 1_000 },
  { method: "*", path: "/fyi/notifications", max: 1, windowMs: 1_000 },
];

export interface CpRateLimitOptions {
  /** Turn every limit off. @default true */
  enabled?: boolean;
  /** Global limit across all API requests, per second. @default 10 */
  globalPerSecond?: number;
  /** How long every request is answered 429 after a violation. @default 600_000 (10 minutes, as IB) */
  penaltyMs?: number;
  /** @default DEFAULT_ENDPOINT_LIMITS */
  endpoints?: readonly CpEndpointLimit[];
}

export type RateVerdict = { ok: true } | { ok: false; reason: string; penaltyUntil: number };

/**
 * Sliding windows as the reference recommends for the simulator: a request that would exceed any window is
 * refused and opens the penalty box, during which every request is refused. Refused requests do not count.
 */
export interface CpRateLimiter {
  check(method: string, apiPath: string, now: number): RateVerdict;
  penaltyUntil(): number | null;
  reset(): void;
}

export function createRateLimiter(options: CpRateLimitOptions = {}): CpRateLimiter {
  const enabled = options.enabled ?? true;
  const globalPerSecond = options.globalPerSecond ?? 10;
  const penaltyMs = options.penaltyMs ?? 600_000;
  const limits = (options.endpoints ?? DEFAULT_ENDPOINT_LIMITS).map((l) => ({
    ...l,
    pattern: new RegExp(`^${l.path.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]+")}/?$`),
  }));
  let global: number[] = [];
  let perEndpoint = new Map<string, number[]>();
  let penalty: number | null = null;

  function prune(times: number[], windowMs: number, now: number): number[] {
    let i = 0;
    while (i < times.length && times[i]! <= now - windowMs) i++;
    return i === 0 ? times : times.slice(i);
  }

  return {
    check(method, apiPath, now) {
      if (!enabled) return { ok: true };
      if (penalty !== null && now < penalty) {
        return { ok: false, reason: "penalty box", penaltyUntil: penalty };
      }
      penalty = null;
      global = prune(global, 1_000, now);
      if (global.length >= globalPerSecond) {
        penalty = now + penaltyMs;
        return {
          ok: false,
          reason: `more than ${globalPerSecond} requests per second`,
          penaltyUntil: penalty,
        };
      }
      const limit = limits.find((l) => (l.method === "*" || l.method === method) && l.pattern.test(apiPath));
      if (limit) {
        const key = `${limit.method} ${limit.path}`;
        const times = prune(perEndpoint.get(key) ?? [], limit.windowMs, now);
        if (times.length >= limit.max) {
          perEndpoint.set(key, times);
          penalty = now + penaltyMs;
          return {
            ok: false,
            reason: `${limit.path} allows ${limit.max} request(s) per ${limit.windowMs} ms`,
            penaltyUntil: penalty,
          };
        }
        times.push(now);
        perEndpoint.set(key, times);
      }
      global.push(now);
      return { ok: true };
    },
    penaltyUntil: () => penalty,
    reset() {
      global = [];
      perEndpoint = new Map();
      penalty = null;
    },
  };
}
