/**
 * Interactive Brokers' documented numbers, in one place, each with where it is written. Nothing here carries a
 * margin: these are IB's figures. The adapter's pacing rules (src/brokers/client-portal/endpoint-limits.ts) add
 * their margins over them, the simulators enforce them as they are, and test/ib-limits.test.ts checks the
 * adapter's scheduler against these numbers directly (not against the simulator's copy).
 *
 * Sources: IB's own pages (the URLs below), as the project's reference notes copy them (in
 * /work/shared/reference):
 * - CP: client-portal-api.md §0 (quick facts), §2 (session), §6.1 (documented limits), §6.2 (client recipe)
 * - TWS: tws-protocol.md §7.10 (pacing), pitfalls 18 and 19
 */

/** Where IB publishes these numbers. */
export const IB_DOCS = {
  /** Client Portal Web API v1, "Pacing Limitations": the per-endpoint table, 10 req/s, the 15-min penalty box. */
  cpPacing: "https://www.interactivebrokers.com/campus/ibkr-api-page/cpapi-v1/#pacing-limitations",
  /** The newer Web API page's "Pacing Limitations" (10 req/s through the gateway, 10-min penalty box). */
  webApiPacing:
    "https://www.interactivebrokers.com/campus/ibkr-api-page/web-api-trading/#pacing-limitations-8",
  /** Client Portal Web API v1 (session, tickle and idle timeout). */
  cpApi: "https://www.interactivebrokers.com/campus/ibkr-api-page/cpapi-v1/",
  /** TWS API "Order Limitations": the 50 messages per second every TWS client is held to. */
  twsMessageRate: "https://interactivebrokers.github.io/tws-api/order_limitations.html",
} as const;

/** One of IB's per-endpoint limits for the Client Portal gateway: at most `max` requests per `windowMs`. */
export interface IbCpEndpointLimit {
  method: "GET" | "POST" | "*";
  /** Below the API base `/v1/api`; `*` stands for one path segment. */
  path: string;
  max: number;
  windowMs: number;
  /** Where IB says so. */
  source: string;
}

const S61 = `${IB_DOCS.cpPacing} (client-portal-api.md §6.1 Documented limits)`;

/** client-portal-api.md §6.1: the per-endpoint table. */
export const IB_CP_ENDPOINT_LIMITS: readonly IbCpEndpointLimit[] = [
  { method: "*", path: "/tickle", max: 1, windowMs: 1_000, source: `${S61}: /tickle 1 req/s` },
  {
    method: "GET",
    path: "/sso/validate",
    max: 1,
    windowMs: 60_000,
    source: `${S61}: /sso/validate 1 req/min`,
  },
  {
    method: "GET",
    path: "/iserver/account/orders",
    max: 1,
    windowMs: 5_000,
    source: `${S61}: /iserver/account/orders 1 req / 5 s`,
  },
  {
    method: "GET",
    path: "/iserver/account/trades",
    max: 1,
    windowMs: 5_000,
    source: `${S61}: /iserver/account/trades 1 req / 5 s`,
  },
  {
    method: "GET",
    path: "/iserver/account/pnl/partitioned",
    max: 1,
    windowMs: 5_000,
    source: `${S61}: /iserver/account/pnl/partitioned 1 req / 5 s`,
  },
  {
    method: "GET",
    path: "/portfolio/accounts",
    max: 1,
    windowMs: 5_000,
    source: `${S61} and §3.1: /portfolio/accounts 1 req / 5 s`,
  },
  {
    method: "GET",
    path: "/portfolio/subaccounts",
    max: 1,
    windowMs: 5_000,
    source: `${S61}: /portfolio/subaccounts 1 req / 5 s`,
  },
  {
    method: "GET",
    path: "/iserver/marketdata/snapshot",
    max: 10,
    windowMs: 1_000,
    source: `${S61}: /iserver/marketdata/snapshot 10 req/s`,
  },
  {
    method: "GET",
    path: "/iserver/scanner/params",
    max: 1,
    windowMs: 15 * 60_000,
    source: `${S61}: /iserver/scanner/params 1 req / 15 min`,
  },
  {
    method: "POST",
    path: "/iserver/scanner/run",
    max: 1,
    windowMs: 1_000,
    source: `${S61}: /iserver/scanner/run 1 req/s`,
  },
  ...["/pa/performance", "/pa/summary", "/pa/transactions"].map((path): IbCpEndpointLimit => ({
    method: "POST",
    path,
    max: 1,
    windowMs: 15 * 60_000,
    source: `${S61} and §3.8: ${path} 1 req / 15 min`,
  })),
  ...[
    "/fyi/unreadnumber",
    "/fyi/settings",
    "/fyi/disclaimer/*",
    "/fyi/deliveryoptions",
    "/fyi/notifications",
  ].map((path): IbCpEndpointLimit => ({
    method: "*",
    path,
    max: 1,
    windowMs: 1_000,
    source: `${S61}: /fyi/* 1 req/s each`,
  })),
];

/** The Client Portal gateway's other documented numbers. */
export const IB_CP = {
  /** IB_DOCS.cpPacing (client-portal-api.md §0 and §6.1): "Global, via CP Gateway: 10 req/s". */
  globalPerSecond: 10,
  /** IB_DOCS.cpPacing (client-portal-api.md §6.1): `/iserver/marketdata/history` "max 5 concurrent requests". */
  historyMaxConcurrent: 5,
  /** After a 429, the penalty box: 15 min on IB_DOCS.cpPacing, 10 min on IB_DOCS.webApiPacing (§0, §6.1). */
  penaltyMs: { cpapiV1: 15 * 60_000, webApi: 10 * 60_000 },
  /** IB_DOCS.cpApi (client-portal-api.md §0): the session dies after ~5 min without requests ("~6" elsewhere). */
  idleTimeoutMs: 5 * 60_000,
  /** IB_DOCS.cpApi (client-portal-api.md §2.6 step 3): tickle every 55–60 s (never faster than 1/s). */
  tickleEveryMs: { min: 55_000, max: 60_000 },
} as const;

/** The TWS API's documented numbers. */
export const IB_TWS = {
  /** IB_DOCS.twsMessageRate (tws-protocol.md §7.10, pitfall 18): at most 50 messages/s a client, then error 100. */
  messagesPerSecond: 50,
  /** tws-protocol.md §7.10: @stoqey/ib 1.6.10 throttles itself to 40/s by default (`maxReqPerSec`). */
  stoqeyDefaultPerSecond: 40,
  /** tws-protocol.md pitfall 19: up to 32 concurrent clients per TWS. */
  maxClients: 32,
  /** tws-protocol.md §7.9: code of "Max rate of messages per second has been exceeded". */
  pacingViolationCode: 100,
} as const;

/**
 * IB's combo facts, shared by the adapters and the simulators. client-portal-derivatives.md §3 (IB's spread-conid
 * table): the conid of a BAG at TWS and the head of a Client Portal `conidex`, per currency.
 */
export const IB_SPREAD_CONIDS: Readonly<Record<string, number>> = {
  AUD: 61227077,
  CAD: 61227082,
  CHF: 61227087,
  CNH: 136000441,
  GBP: 58666491,
  HKD: 61227072,
  INR: 136000444,
  JPY: 61227069,
  KRW: 136000424,
  MXN: 136000449,
  SEK: 136000429,
  SGD: 426116555,
  USD: 28812380,
};

/**
 * Legs per smart-routed combo. client-portal-derivatives.md §3: IB documents no maximum; 6 is what third parties
 * report, and what both the server's validation and the simulators enforce.
 */
export const IB_MAX_COMBO_LEGS = 6;
