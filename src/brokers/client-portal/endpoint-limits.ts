/**
 * IB's pacing rules for the Client Portal gateway (client-portal-api.md §6.1), keyed by method + path
 * template. Every limit here already carries a safety margin over IB's own numbers, which src/ib-limits.ts
 * keeps with their sources; test/ib-limits.test.ts drives the scheduler with these rules on a fake clock and
 * counts what it sends in each of IB's windows. The scheduler enforces them.
 */

export type HttpMethod = "GET" | "POST" | "DELETE";

export interface EndpointLimit {
  /** At most `max` requests within any `windowMs`. */
  max: number;
  windowMs: number;
  /** At most this many in flight at once (IB's "max 5 concurrent" history endpoint). */
  maxConcurrent?: number;
}

export interface EndpointRule {
  /** `*` matches every method. */
  method: HttpMethod | "*";
  /** Matched against the template, e.g. `/portfolio/{id}/positions/{id}`. */
  template: string | RegExp;
  limit: EndpointLimit;
}

const FIVE_SECONDS = 5_500;
const ONE_SECOND = 1_100;
const FIFTEEN_MINUTES = 15.5 * 60_000;

/** The documented limits, each widened by ~10 % so clock skew and latency cannot push us over. */
export const DEFAULT_ENDPOINT_RULES: readonly EndpointRule[] = [
  { method: "*", template: "/tickle", limit: { max: 1, windowMs: ONE_SECOND } },
  { method: "GET", template: "/sso/validate", limit: { max: 1, windowMs: 61_000 } },
  { method: "GET", template: "/iserver/account/orders", limit: { max: 1, windowMs: FIVE_SECONDS } },
  { method: "GET", template: "/iserver/account/trades", limit: { max: 1, windowMs: FIVE_SECONDS } },
  { method: "GET", template: "/iserver/account/pnl/partitioned", limit: { max: 1, windowMs: FIVE_SECONDS } },
  { method: "GET", template: "/portfolio/accounts", limit: { max: 1, windowMs: FIVE_SECONDS } },
  { method: "GET", template: "/portfolio/subaccounts", limit: { max: 1, windowMs: FIVE_SECONDS } },
  { method: "GET", template: "/iserver/marketdata/snapshot", limit: { max: 9, windowMs: ONE_SECOND } },
  {
    method: "GET",
    template: "/iserver/marketdata/history",
    limit: { max: 1000, windowMs: 1_000, maxConcurrent: 5 },
  },
  { method: "GET", template: "/iserver/scanner/params", limit: { max: 1, windowMs: FIFTEEN_MINUTES } },
  { method: "POST", template: "/iserver/scanner/run", limit: { max: 1, windowMs: ONE_SECOND } },
  {
    method: "POST",
    template: /^\/pa\/(performance|summary|transactions)$/,
    limit: { max: 1, windowMs: FIFTEEN_MINUTES },
  },
  { method: "*", template: /^\/fyi\//, limit: { max: 1, windowMs: ONE_SECOND } },
];

/**
 * Path segments that contain digits but are names, not ids. Everything else with a digit (account ids,
 * conids, order ids, reply ids, page numbers) becomes `{id}`.
 */
const LITERAL_SEGMENTS = new Set(["portfolio2", "v1"]);

/**
 * `GET /portfolio/DU123/positions/2?sort=x` → `GET /portfolio/{id}/positions/{id}`. The query string is
 * dropped so `orders?force=true` cannot escape the orders limit, and ids are stripped so one limit covers
 * every account and contract.
 */
export function endpointTemplate(path: string): string {
  const bare = path.split("?")[0] ?? "";
  const segments = bare.split("/").map((s, i, all) => {
    if (s === "") return s;
    if (all[i - 1] === "reply") return "{id}";
    if (/\d/.test(s) && !LITERAL_SEGMENTS.has(s)) return "{id}";
    return s;
  });
  return segments.join("/") || "/";
}

export function endpointKey(method: HttpMethod, path: string): string {
  return `${method} ${endpointTemplate(path)}`;
}

/**
 * The window a request counts in: `METHOD template`, except under a rule for every method (`*`), where IB counts
 * the path whatever the method (`/tickle` is GET in IB's table and POST in practice; the simulator counts both
 * together): `* template`.
 */
export function endpointWindowKey(rules: readonly EndpointRule[], method: HttpMethod, path: string): string {
  const template = endpointTemplate(path);
  const rule = rules.find(
    (r) =>
      (r.method === "*" || r.method === method) &&
      (typeof r.template === "string" ? r.template === template : r.template.test(template)),
  );
  return `${rule?.method === "*" ? "*" : method} ${template}`;
}

/** The rule that applies to a request, or undefined when only the global limit applies. */
export function findEndpointLimit(
  rules: readonly EndpointRule[],
  method: HttpMethod,
  path: string,
): EndpointLimit | undefined {
  const template = endpointTemplate(path);
  for (const rule of rules) {
    if (rule.method !== "*" && rule.method !== method) continue;
    const match =
      typeof rule.template === "string" ? rule.template === template : rule.template.test(template);
    if (match) return rule.limit;
  }
  return undefined;
}
