import { Agent, request } from "undici";
import { endpointTemplate } from "../../src/brokers/client-portal";
import {
  DEFAULT_ENDPOINT_LIMITS,
  type CpEndpointLimit,
  type CpRequestLogEntry,
} from "../../src/simulators/client-portal";
import { GraphQLHttpClient } from "../lib/graphql-client";
import { runLoad } from "../lib/load";
import { ACCOUNTS_QUERY, ORDERS_QUERY, POSITIONS_QUERY } from "../lib/operations";
import { verdict, type FigureResult, type ResultRow } from "../lib/report";
import { envNumber, MIN_P99_SAMPLES, ratio } from "../lib/stats";
import { upstreamEconomyVerdict } from "../lib/verdicts";
import { AAPL, ACCOUNT, MSFT, startSimSystem } from "../lib/system";

const RATE = 500;
const CONNECTIONS = 100;
const GLOBAL_PER_SECOND = 10;
const API_PREFIX = "/v1/api";

/** The most requests that fell in any window (t − windowMs, t], as the simulator counts them. */
function peakInWindow(times: number[], windowMs: number): number {
  let peak = 0;
  let lo = 0;
  for (let hi = 0; hi < times.length; hi++) {
    while (times[lo]! <= times[hi]! - windowMs) lo++;
    peak = Math.max(peak, hi - lo + 1);
  }
  return peak;
}

function limitOf(method: string, apiPath: string): CpEndpointLimit | undefined {
  return DEFAULT_ENDPOINT_LIMITS.find((l) => {
    if (l.method !== "*" && l.method !== method) return false;
    const pattern = new RegExp(`^${l.path.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]+")}/?$`);
    return pattern.test(apiPath);
  });
}

const per = (windowMs: number) => (windowMs === 1_000 ? "s" : `${windowMs / 1_000} s`);

/**
 * Figure 5: 500 GraphQL reads/s (accounts with summaries, positions, orders) for 30 s against the server
 * with its Client Portal side, and what reached the gateway: requests per endpoint from the simulator's
 * request log, the peak in each of IB's windows against the limit, and 429s.
 */
export async function upstreamEconomy(): Promise<FigureResult> {
  const seconds = envNumber("BENCH_ECONOMY_SECONDS", 30);
  const system = await startSimSystem({ tws: false });
  // Working orders, so that the order endpoints have something to report.
  for (const conid of [AAPL, MSFT]) {
    system.brokerage.placeOrder({
      account: ACCOUNT,
      contract: { conid },
      side: "BUY",
      orderType: "LMT",
      limitPrice: 50,
      quantity: 1,
      api: "CP",
    });
  }
  const client = new GraphQLHttpClient(system.server.httpUrl, 1);
  const agent = new Agent({ connect: { ca: system.cpSim.caPem } });
  try {
    const queries = [ACCOUNTS_QUERY, POSITIONS_QUERY, ORDERS_QUERY];
    for (const q of queries) await client.data(q);
    const from = Date.now();
    const load = await runLoad({
      url: system.server.httpUrl,
      // Enough connections that a slow answer does not hold back the open-loop rate.
      connections: CONNECTIONS,
      durationSec: seconds,
      overallRate: RATE,
      bodies: queries.map((query) => JSON.stringify({ query })),
      countGraphQLErrors: true,
    });
    const to = Date.now();
    const res = await request(`${system.cpSim.url}/sim/requests`, { dispatcher: agent });
    const { requests } = (await res.body.json()) as { requests: CpRequestLogEntry[] };
    const during = requests.filter((e) => {
      const t = Date.parse(e.time);
      return t >= from && t <= to;
    });
    const byEndpoint = new Map<string, { method: string; apiPath: string; times: number[] }>();
    for (const e of during) {
      const apiPath = e.path.startsWith(API_PREFIX) ? e.path.slice(API_PREFIX.length) : e.path;
      const key = `${e.method} ${endpointTemplate(apiPath)}`;
      let entry = byEndpoint.get(key);
      if (!entry) byEndpoint.set(key, (entry = { method: e.method, apiPath, times: [] }));
      entry.times.push(Date.parse(e.time));
    }
    const tooMany = during.filter((e) => e.status === 429).length;
    const globalPeak = peakInWindow(
      during.map((e) => Date.parse(e.time)).sort((a, b) => a - b),
      1_000,
    );
    const reads = load.total;
    const rows: ResultRow[] = [];
    let worst = globalPeak / GLOBAL_PER_SECOND;
    const endpointRows: ResultRow[] = [];
    for (const [key, e] of [...byEndpoint].sort((a, b) => b[1].times.length - a[1].times.length)) {
      const limit = limitOf(e.method, e.apiPath);
      const times = e.times.sort((a, b) => a - b);
      const peak = limit ? peakInWindow(times, limit.windowMs) : peakInWindow(times, 1_000);
      const max = limit?.max ?? GLOBAL_PER_SECOND;
      const windowMs = limit?.windowMs ?? 1_000;
      const r = peak / max;
      worst = Math.max(worst, r);
      endpointRows.push({
        figure: `5. Upstream: ${key}`,
        measured: `${times.length} requests (${(times.length / seconds).toFixed(2)}/s), peak ${peak} per ${per(windowMs)}`,
        goal: "within IB's limit",
        baseline: limit ? `IB limit ${max} per ${per(windowMs)}` : `IB global limit ${max} per s`,
        ratio: ratio(r),
        verdict: verdict(peak <= max),
      });
    }
    const judged = upstreamEconomyVerdict({
      worstRatio: worst,
      tooMany,
      reads: {
        total: load.total,
        graphqlErrorResponses: load.graphqlErrorResponses,
        non2xx: load.non2xx,
        errors: load.errors,
        timeouts: load.timeouts,
      },
    });
    const gqlErrors = Object.entries(load.errorCodes)
      .map(([code, n]) => `${n} ${code}`)
      .join(", ");
    rows.push({
      figure: `5. Upstream economy: ${RATE} reads/s for ${seconds} s`,
      measured:
        `${reads} GraphQL reads (${(reads / seconds).toFixed(0)}/s, ${load.graphqlErrorResponses + load.non2xx} ` +
        `answered errors) → ${during.length} upstream requests ` +
        `(${(during.length / reads).toFixed(4)} per read), ` +
        `peak ${globalPeak} per s, ${tooMany} × 429`,
      goal: "within limits, zero 429, every read answered without an error",
      baseline: `IB limits (global ${GLOBAL_PER_SECOND}/s + per endpoint)`,
      ratio: `${ratio(worst)} of the tightest limit`,
      verdict: verdict(judged.ok),
    });
    rows.push(...endpointRows);
    return {
      title: "5. Upstream economy",
      rows,
      notes: [
        `Load: autocannon in a child process, ${RATE} requests/s open loop over ${CONNECTIONS} connections for ${seconds} s, ` +
          "cycling `accounts { id type currency summary { … } }`, `positions { … }` and `orders { … }`; " +
          `achieved ${load.requestsPerSec.toFixed(0)} req/s, ${load.non2xx} non-2xx, ${load.errors + load.timeouts} ` +
          `transport errors or timeouts, latency p50 ${load.latencyP50} ms / ` +
          (load.total >= MIN_P99_SAMPLES
            ? `p99 ${load.latencyP99} ms.`
            : `max ${load.latencyMax} ms (n = ${load.total}).`),
        `GraphQL answers carrying errors: ${load.graphqlErrorResponses}${gqlErrors ? ` (${gqlErrors})` : ""}.`,
        "Server: startApp with only IB_CP_URL set, pointing at the simulator (every read goes to the gateway; with TWS connected " +
          "positions and summaries would come from TWS), adapter defaults (read cache 1.5 s, the 5 s rule " +
          "endpoints answered from cache for their window, identical reads in flight coalesced, 8 requests per " +
          "1.1 s globally), simulator with IB's documented limits and 10-minute penalty box.",
        "Upstream figures are the simulator's own request log (`GET /sim/requests`), restricted to the load " +
          "window; the peak is the most requests in any sliding window of the endpoint's limit (1 s for the " +
          "global limit), counted the way the simulator enforces it.",
        ...(rows[0]!.verdict === "MISS"
          ? [
              `Broken: ${judged.failures.join("; ")}.`,
              "Why missed: an endpoint row above shows more requests in one of IB's windows than IB allows, or " +
                "the gateway answered 429 (each one starts IB's penalty box, during which every request fails). " +
                "What would close it: the adapter's pacing rules (src/brokers/client-portal/endpoint-limits.ts) " +
                "must cover that endpoint with a margin, and cached answers must serve reads while its window is " +
                "closed.",
            ]
          : []),
      ],
    };
  } finally {
    await agent.close();
    await client.close();
    await system.stop();
  }
}
