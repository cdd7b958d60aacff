/**
 * The Client Portal adapter's scheduler against IB's documented numbers (src/ib-limits.ts, with their sources),
 * not against the simulator's copy of them: a fake clock, a flood of requests per endpoint, and a count of what
 * the scheduler sent in every window IB defines. The simulator suites show only that the client and the
 * simulator agree (both scale the same tables); this file shows that the client keeps IB's own limits.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_ENDPOINT_RULES } from "../src/brokers/client-portal/endpoint-limits";
import {
  createRequestScheduler,
  RequestPriority,
  type SchedulerRequest,
} from "../src/brokers/client-portal/request-scheduler";
import { IB_CP, IB_CP_ENDPOINT_LIMITS, IB_DOCS, IB_TWS, type IbCpEndpointLimit } from "../src/ib-limits";
import { DEFAULT_ENDPOINT_LIMITS } from "../src/simulators/client-portal";
import { FakeClock } from "./helpers/cp-fake-clock";

interface Sent {
  at: number;
  method: string;
  path: string;
}

/** The adapter's scheduler as the adapter builds it (its default rules and global limit), over a fake gateway. */
function harness(latencyMs = 30) {
  const clock = new FakeClock();
  const sent: Sent[] = [];
  let inFlight = 0;
  let peakInFlight = 0;
  const scheduler = createRequestScheduler<{ status: number }>({
    clock,
    send: (r) =>
      new Promise((resolve) => {
        sent.push({ at: clock.now(), method: r.method, path: r.path });
        inFlight++;
        peakInFlight = Math.max(peakInFlight, inFlight);
        clock.setTimeout(() => {
          inFlight--;
          resolve({ status: 200 });
        }, latencyMs);
      }),
    statusOf: (r) => r.status,
  });
  return { clock, sent, scheduler, peak: () => peakInFlight };
}

/** The most requests in any window (t − windowMs, t], the way IB (and the simulator) counts a sliding window. */
function peakInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  for (let hi = 0, lo = 0; hi < sorted.length; hi++) {
    while (sorted[lo]! <= sorted[hi]! - windowMs) lo++;
    peak = Math.max(peak, hi - lo + 1);
  }
  return peak;
}

/** A concrete path for one of IB's path patterns (`*` is one segment). */
const concrete = (path: string) => path.replace(/\*/g, "17");

const methodsOf = (l: IbCpEndpointLimit): ("GET" | "POST")[] =>
  l.method === "*" ? ["GET", "POST"] : [l.method];

describe("IB's documented numbers (src/ib-limits.ts)", () => {
  it("every number names its source in the reference", () => {
    for (const l of IB_CP_ENDPOINT_LIMITS) {
      assert.match(l.source, /client-portal-api\.md §6\.1/, `${l.path} has no source`);
      assert.ok(l.source.startsWith(IB_DOCS.cpPacing), `${l.path}: the source names IB's page`);
      assert.ok(l.max > 0 && l.windowMs > 0, `${l.path}: ${l.max} per ${l.windowMs} ms`);
    }
    // The reference's table, as written there (client-portal-api.md §6.1).
    const table = Object.fromEntries(
      IB_CP_ENDPOINT_LIMITS.map((l) => [`${l.method} ${l.path}`, [l.max, l.windowMs]]),
    );
    assert.deepEqual(table["* /tickle"], [1, 1_000]);
    assert.deepEqual(table["GET /sso/validate"], [1, 60_000]);
    assert.deepEqual(table["GET /iserver/account/orders"], [1, 5_000]);
    assert.deepEqual(table["GET /portfolio/accounts"], [1, 5_000]);
    assert.deepEqual(table["GET /iserver/marketdata/snapshot"], [10, 1_000]);
    assert.deepEqual(table["POST /pa/summary"], [1, 900_000]);
    assert.equal(IB_CP.globalPerSecond, 10);
    assert.equal(IB_CP.historyMaxConcurrent, 5);
    assert.equal(IB_TWS.messagesPerSecond, 50);
    // Each source is one of IB's own pages.
    for (const url of Object.values(IB_DOCS)) {
      assert.match(
        url,
        /^https:\/\/(www\.interactivebrokers\.com\/campus\/|interactivebrokers\.github\.io\/)/,
      );
    }
  });

  it("the simulator enforces IB's numbers as they are (no copy of its own)", () => {
    assert.deepEqual(
      DEFAULT_ENDPOINT_LIMITS,
      IB_CP_ENDPOINT_LIMITS.map(({ method, path, max, windowMs }) => ({ method, path, max, windowMs })),
    );
  });
});

describe("the Client Portal scheduler keeps IB's documented limits (fake clock)", () => {
  for (const limit of IB_CP_ENDPOINT_LIMITS) {
    const path = concrete(limit.path);
    it(`${limit.method} ${limit.path}: at most ${limit.max} per ${limit.windowMs / 1000} s in any window, and it keeps sending`, async () => {
      const { clock, sent, scheduler } = harness();
      // Three windows' worth of demand and then some, all queued at once, mixing the methods IB counts together.
      const demand = limit.max * 3 + 2;
      const methods = methodsOf(limit);
      const calls = Array.from({ length: demand }, (_, i) =>
        scheduler.run({
          method: methods[i % methods.length]!,
          path,
          read: false,
          priority: RequestPriority.READ,
          deadlineMs: 24 * 3_600_000,
        } satisfies SchedulerRequest),
      );
      // Long enough for every call at IB's own pace, with the client's margin (≤ 15 %).
      await clock.advance(Math.ceil((demand / limit.max + 1) * limit.windowMs * 1.15) + 2_000);
      const results = await Promise.allSettled(calls);
      const times = sent.map((s) => s.at);
      assert.equal(sent.length, demand, "every call was sent in the end");
      assert.ok(results.every((r) => r.status === "fulfilled"));
      const peak = peakInWindow(times, limit.windowMs);
      assert.ok(
        peak <= limit.max,
        `${peak} requests in one ${limit.windowMs} ms window; IB allows ${limit.max}`,
      );
      // And not absurdly slow: the whole demand went out within the client's margin (≤ 15 %) of IB's pace.
      const span = Math.max(...times) - Math.min(...times);
      const atIbPace = (Math.ceil(demand / limit.max) - 1) * limit.windowMs;
      assert.ok(
        span <= atIbPace * 1.15 + 1_000,
        `${demand} calls took ${span} ms; at IB's pace ${atIbPace} ms`,
      );
    });
  }

  it(`all endpoints together: at most ${IB_CP.globalPerSecond} requests in any second (IB's global limit)`, async () => {
    const { clock, sent, scheduler } = harness(5);
    // Endpoints without a rule of their own (only the global limit applies), plus some with one.
    const paths = [
      "/portfolio/DU1/summary",
      "/portfolio/DU1/ledger",
      "/iserver/contract/265598/info",
      "/iserver/marketdata/snapshot?conids=1",
      "/tickle",
      "/iserver/accounts",
    ];
    const calls = Array.from({ length: 200 }, (_, i) =>
      scheduler.run({ method: "GET", path: paths[i % paths.length]!, read: false, deadlineMs: 3_600_000 }),
    );
    await clock.advance(60_000);
    await Promise.allSettled(calls);
    assert.equal(sent.length, 200);
    const peak = peakInWindow(
      sent.map((s) => s.at),
      1_000,
    );
    assert.ok(
      peak <= IB_CP.globalPerSecond,
      `${peak} requests in one second; IB allows ${IB_CP.globalPerSecond}`,
    );
  });

  it(`/iserver/marketdata/history: at most ${IB_CP.historyMaxConcurrent} in flight at once`, async () => {
    const { clock, sent, scheduler, peak } = harness(2_000);
    const calls = Array.from({ length: 20 }, (_, i) =>
      scheduler.run({
        method: "GET",
        path: `/iserver/marketdata/history?conid=${i}&period=1d`,
        read: false,
        deadlineMs: 3_600_000,
      }),
    );
    await clock.advance(60_000);
    await Promise.allSettled(calls);
    assert.equal(sent.length, 20);
    assert.ok(
      peak() <= IB_CP.historyMaxConcurrent,
      `${peak()} in flight; IB allows ${IB_CP.historyMaxConcurrent}`,
    );
  });

  it("every documented endpoint has a pacing rule of the client's own (the global limit alone is not enough)", () => {
    // The client's rules are matched by template; the simulator's `*` segment is a digit-free name here.
    for (const l of IB_CP_ENDPOINT_LIMITS) {
      const template = concrete(l.path).replace(/\/17$/, "/{id}");
      const covered = DEFAULT_ENDPOINT_RULES.some(
        (r) =>
          (r.method === "*" || l.method === "*" || r.method === l.method) &&
          (typeof r.template === "string" ? r.template === template : r.template.test(template)),
      );
      assert.ok(covered, `no client rule covers ${l.method} ${l.path}`);
    }
  });
});
