import { IB_CP, IB_CP_ENDPOINT_LIMITS } from "../../ib-limits";

/** One documented per-endpoint limit: at most `max` requests per `windowMs`, keyed by method + path template. */
export interface CpEndpointLimit {
  method: string;
  /** Path below the API base, with `*` for one path segment, e.g. `/iserver/account/orders`. */
  path: string;
  max: number;
  windowMs: number;
}

/** The limits of IB's documentation (client-portal-api.md §6.1), as src/ib-limits.ts keeps them. */
export const DEFAULT_ENDPOINT_LIMITS: readonly CpEndpointLimit[] = IB_CP_ENDPOINT_LIMITS.map(
  ({ method, path, max, windowMs }) => ({ method, path, max, windowMs }),
);

/**
 * `ib`: IB's documented limits. `relaxed`: the same endpoints with five times the allowance (and 50 requests per
 * second overall), for a standalone user whose client was written against IB's limits loosely: a Python client
 * that opens its order stream with `orders?force=true` and then `orders` at once asks twice within IB's 5 s window
 * and would sit out IB's 10-minute penalty. `off`: no limits.
 */
export type CpRateLimitProfile = "ib" | "relaxed" | "off";

export const RATE_LIMIT_PROFILES: readonly CpRateLimitProfile[] = ["ib", "relaxed", "off"];

/** How many times IB's per-endpoint allowance `relaxed` grants. */
const RELAXED_FACTOR = 5;

export interface CpRateLimitOptions {
  /** @default "ib" */
  profile?: CpRateLimitProfile;
  /** Turn every limit off (same as profile `off`). @default true */
  enabled?: boolean;
  /** Global limit across all API requests, per second. @default 10 (`relaxed`: 50) */
  globalPerSecond?: number;
  /** How long every request is answered 429 after a violation. @default 600_000 (10 minutes, as IB) */
  penaltyMs?: number;
  /** @default DEFAULT_ENDPOINT_LIMITS (`relaxed`: their allowance × 5) */
  endpoints?: readonly CpEndpointLimit[];
}

/** The limits in force, as `GET /sim` shows them. */
export interface CpRateLimitSettings {
  profile: CpRateLimitProfile;
  globalPerSecond: number;
  penaltySeconds: number;
  endpoints: CpEndpointLimit[];
}

export type RateVerdict = { ok: true } | { ok: false; reason: string; penaltyUntil: number };

/**
 * Sliding windows as the reference recommends for the simulator: a request that would exceed any window is
 * refused and opens the penalty box, during which every request is refused. Refused requests do not count.
 */
export interface CpRateLimiter {
  check(method: string, apiPath: string, now: number): RateVerdict;
  penaltyUntil(): number | null;
  settings(): CpRateLimitSettings;
  reset(): void;
}

export function createRateLimiter(options: CpRateLimitOptions = {}): CpRateLimiter {
  const profile: CpRateLimitProfile = options.enabled === false ? "off" : (options.profile ?? "ib");
  const enabled = profile !== "off";
  const relaxed = profile === "relaxed";
  const globalPerSecond = options.globalPerSecond ?? (relaxed ? 50 : IB_CP.globalPerSecond);
  const penaltyMs = options.penaltyMs ?? IB_CP.penaltyMs.webApi;
  const endpoints = (options.endpoints ?? DEFAULT_ENDPOINT_LIMITS).map((l) => ({
    ...l,
    max: relaxed && !options.endpoints ? l.max * RELAXED_FACTOR : l.max,
  }));
  const limits = endpoints.map((l) => ({
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
    settings: () => ({
      profile,
      globalPerSecond,
      penaltySeconds: penaltyMs / 1000,
      endpoints: enabled ? endpoints.map((l) => ({ ...l })) : [],
    }),
    reset() {
      global = [];
      perEndpoint = new Map();
      penalty = null;
    },
  };
}
