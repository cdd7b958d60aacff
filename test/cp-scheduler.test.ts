import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CookieJar } from "../src/brokers/client-portal/cookie-jar";
import { ibTime, num, parseAuthStatus, tickleAuthStatus } from "../src/brokers/client-portal/cp-parse";
import { endpointKey, endpointTemplate } from "../src/brokers/client-portal/endpoint-limits";
import {
  createRequestScheduler,
  RequestPriority,
  type RequestScheduler,
  type SchedulerRequest,
} from "../src/brokers/client-portal/request-scheduler";
import { AppError } from "../src/errors";
import { FakeClock, settle } from "./helpers/cp-fake-clock";

interface FakeResponse {
  status: number;
  path: string;
}

/** A scheduler over a fake upstream that answers after `latencyMs` of fake time and logs each send. */
function harness(
  opts: { latencyMs?: number; status?: (r: SchedulerRequest) => number; penaltyMs?: number } = {},
) {
  const clock = new FakeClock();
  const sent: { at: number; done?: number; method: string; path: string }[] = [];
  const scheduler: RequestScheduler<FakeResponse> = createRequestScheduler<FakeResponse>({
    clock,
    penaltyMs: opts.penaltyMs ?? 60_000,
    send: (r) =>
      new Promise((resolve) => {
        const record: { at: number; done?: number; method: string; path: string } = {
          at: clock.now(),
          method: r.method,
          path: r.path,
        };
        sent.push(record);
        clock.setTimeout(() => {
          record.done = clock.now();
          resolve({ status: opts.status?.(r) ?? 200, path: r.path });
        }, opts.latencyMs ?? 20);
      }),
    statusOf: (r) => r.status,
  });
  return { clock, sent, scheduler };
}

/** The largest number of sends inside any window of `windowMs`. */
function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

const rateLimitedRetryAt = (e: unknown): string => {
  assert.ok(e instanceof AppError, `expected AppError, got ${String(e)}`);
  assert.equal(e.code, "RATE_LIMITED");
  return String(e.details.retryAt);
};

describe("endpoint templates", () => {
  it("strips ids and query strings so one limit covers every account, contract and flag", () => {
    assert.equal(
      endpointTemplate("/portfolio/DU123456/positions/2?sort=name"),
      "/portfolio/{id}/positions/{id}",
    );
    assert.equal(endpointTemplate("/iserver/account/orders?force=true"), "/iserver/account/orders");
    assert.equal(
      endpointTemplate("/iserver/account/U1234567/order/1873650211"),
      "/iserver/account/{id}/order/{id}",
    );
    assert.equal(endpointTemplate("/iserver/reply/abcdef-ghij"), "/iserver/reply/{id}");
    assert.equal(endpointTemplate("/portfolio2/DU1/positions"), "/portfolio2/{id}/positions");
    assert.equal(endpointKey("GET", "/iserver/contract/265598/info"), "GET /iserver/contract/{id}/info");
  });
});

describe("request scheduler", () => {
  it("never sends more than 8 requests in any 1.1 s window, whatever is queued", async () => {
    const { clock, sent, scheduler } = harness({ latencyMs: 5 });
    const calls = Array.from({ length: 60 }, (_, i) =>
      scheduler.run({ method: "GET", path: `/trsrv/secdef?conids=${i}`, deadlineMs: 60_000 }),
    );
    await clock.advance(20_000);
    const results = await Promise.all(calls);
    assert.equal(results.length, 60);
    assert.equal(sent.length, 60);
    assert.ok(
      maxInWindow(
        sent.map((s) => s.at),
        1_100,
      ) <= 8,
      "global window breached",
    );
    assert.ok(
      maxInWindow(
        sent.map((s) => s.at),
        1_000,
      ) <= 10,
      "IB's 10/s breached",
    );
  });

  it("spaces a 1-per-5s endpoint by 5.5 s after the previous answer, with the query string ignored", async () => {
    const { clock, sent, scheduler } = harness({ latencyMs: 300 });
    const calls = [
      scheduler.run({ method: "GET", path: "/iserver/account/orders", fresh: true, deadlineMs: 60_000 }),
      scheduler.run({
        method: "GET",
        path: "/iserver/account/orders?force=true",
        fresh: true,
        deadlineMs: 60_000,
      }),
      scheduler.run({ method: "GET", path: "/iserver/account/orders", fresh: true, deadlineMs: 60_000 }),
    ];
    await clock.advance(30_000);
    await Promise.all(calls);
    assert.equal(sent.length, 3);
    for (let i = 1; i < sent.length; i++) {
      assert.ok(
        sent[i]!.at - sent[i - 1]!.done! >= 5_500,
        `gap ${i} too short: ${sent[i]!.at - sent[i - 1]!.done!}`,
      );
    }
  });

  it("coalesces 500 identical reads into one upstream call and caches the answer with its asOf", async () => {
    const { clock, sent, scheduler } = harness({ latencyMs: 50 });
    const calls = Array.from({ length: 500 }, () =>
      scheduler.run({ method: "GET", path: "/portfolio/DU1/summary" }),
    );
    await clock.advance(100);
    const results = await Promise.all(calls);
    assert.equal(sent.length, 1);
    assert.ok(results.every((r) => r.asOf === results[0]!.asOf));
    const again = scheduler.run({ method: "GET", path: "/portfolio/DU1/summary" });
    await settle();
    const cached = await again;
    assert.equal(cached.fromCache, true);
    assert.equal(cached.asOf, results[0]!.asOf);
    await clock.advance(2_000);
    const fresh = scheduler.run({ method: "GET", path: "/portfolio/DU1/summary" });
    await clock.advance(100);
    assert.equal((await fresh).fromCache, false);
    assert.equal(sent.length, 2);
    const stats = scheduler.stats();
    assert.equal(stats.upstream, 2);
    assert.equal(stats.coalesced, 499);
    assert.equal(stats.cacheHits, 1);
    assert.equal(stats.requests["GET /portfolio/{id}/summary"]?.["200"], 2);
  });

  it("serves a 5.5 s-limited read from cache for its whole window instead of queueing", async () => {
    const { clock, sent, scheduler } = harness();
    const first = scheduler.run({ method: "GET", path: "/portfolio/accounts" });
    await clock.advance(50);
    await first;
    await clock.advance(4_000);
    const second = scheduler.run({ method: "GET", path: "/portfolio/accounts" });
    await settle();
    assert.equal((await second).fromCache, true);
    assert.equal(sent.length, 1);
  });

  it("stops all traffic for the penalty after a 429 and fails callers with RATE_LIMITED and retryAt", async () => {
    let limited = true;
    const { clock, sent, scheduler } = harness({
      status: (r) => (r.path === "/tickle" && limited ? 429 : 200),
      penaltyMs: 60_000,
    });
    const hit = scheduler.run({ method: "POST", path: "/tickle", priority: RequestPriority.SESSION });
    const queued = Array.from({ length: 20 }, (_, i) =>
      scheduler.run({ method: "GET", path: `/x/${i}`, deadlineMs: 60_000 }),
    );
    const outcomes = Promise.allSettled([hit, ...queued]);
    await clock.advance(100);
    const settled = await outcomes;
    const sentDuringBurst = sent.length;
    // Reads already sent alongside the tickle complete; everything still queued fails at once.
    assert.equal(settled.filter((s) => s.status === "fulfilled").length, sentDuringBurst - 1);
    assert.ok(sentDuringBurst < 21);
    for (const s of settled) if (s.status === "rejected") rateLimitedRetryAt(s.reason);
    const retryAt = rateLimitedRetryAt((settled[0] as PromiseRejectedResult).reason);
    assert.equal(Date.parse(retryAt), sent[0]!.done! + 60_000);
    await assert.rejects(
      scheduler.run({ method: "GET", path: "/portfolio/accounts" }),
      (e) => !!rateLimitedRetryAt(e),
    );
    assert.equal(sent.length, sentDuringBurst, "nothing may be sent during the penalty");
    assert.equal(scheduler.stats().rateLimited429, 1);
    limited = false;
    await clock.advance(60_000);
    const after = scheduler.run({ method: "GET", path: "/portfolio/accounts" });
    await clock.advance(100);
    assert.equal((await after).response.status, 200);
  });

  it("fails a queued caller with RATE_LIMITED at its deadline instead of hanging", async () => {
    const { clock, scheduler } = harness();
    const first = scheduler.run({ method: "GET", path: "/iserver/account/trades", fresh: true });
    await clock.advance(50);
    await first;
    const waiting = scheduler.run({
      method: "GET",
      path: "/iserver/account/trades",
      fresh: true,
      deadlineMs: 1_000,
    });
    const rejection = assert.rejects(waiting, (e) => {
      const at = Date.parse(rateLimitedRetryAt(e));
      return at > clock.now();
    });
    await clock.advance(1_500);
    await rejection;
    assert.equal(scheduler.stats().rejected.deadline, 1);
    assert.equal(scheduler.stats().queueLength, 0);
  });

  it("lets session calls overtake queued reads", async () => {
    const { clock, sent, scheduler } = harness({ latencyMs: 5 });
    const reads = Array.from({ length: 30 }, (_, i) =>
      scheduler.run({ method: "GET", path: `/r/${i}`, deadlineMs: 60_000 }),
    );
    await settle();
    const tickle = scheduler.run({ method: "POST", path: "/tickle", priority: RequestPriority.SESSION });
    await clock.advance(10_000);
    await Promise.all([tickle, ...reads]);
    const tickleIndex = sent.findIndex((s) => s.path === "/tickle");
    assert.ok(tickleIndex <= 9, `tickle went out as request #${tickleIndex}`);
  });

  it("never caches or coalesces writes", async () => {
    const { clock, sent, scheduler } = harness();
    const a = scheduler.run({ method: "POST", path: "/iserver/account/DU1/orders", body: { n: 1 } });
    const b = scheduler.run({ method: "POST", path: "/iserver/account/DU1/orders", body: { n: 1 } });
    await clock.advance(2_000);
    await Promise.all([a, b]);
    assert.equal(sent.length, 2);
  });

  it("hands out the gateway exclusively: nothing else is sent between an order and its reply", async () => {
    const { clock, sent, scheduler } = harness({ latencyMs: 30 });
    const before = scheduler.run({ method: "GET", path: "/portfolio/DU1/summary" });
    const laneP = scheduler.acquireExclusive(5_000);
    const during = scheduler.run({ method: "POST", path: "/tickle", priority: RequestPriority.SESSION });
    await clock.advance(40);
    const lane = await laneP;
    assert.equal(sent.length, 1, "the lane waits for requests already sent");
    const placed = lane.run({ method: "POST", path: "/iserver/account/DU1/orders", body: {} });
    await clock.advance(40);
    await placed;
    const reply = lane.run({ method: "POST", path: "/iserver/reply/abc", body: { confirmed: true } });
    await clock.advance(40);
    await reply;
    assert.deepEqual(
      sent.map((x) => x.path),
      ["/portfolio/DU1/summary", "/iserver/account/DU1/orders", "/iserver/reply/abc"],
    );
    assert.equal(scheduler.stats().exclusive.held, true);
    lane.release();
    await clock.advance(40);
    await Promise.all([before, during]);
    assert.equal(sent.at(-1)?.path, "/tickle");
  });

  it("fails a second order flow with RATE_LIMITED while the first holds the gateway too long", async () => {
    const { clock, scheduler } = harness();
    const first = scheduler.acquireExclusive(1_000);
    await clock.advance(10);
    const lane = await first;
    const second = scheduler.acquireExclusive(1_000);
    const rejection = assert.rejects(second, (e) => !!rateLimitedRetryAt(e));
    await clock.advance(1_500);
    await rejection;
    lane.release();
  });

  it("refuses new calls once closed", async () => {
    const { scheduler } = harness();
    scheduler.close();
    await assert.rejects(
      scheduler.run({ method: "GET", path: "/x" }),
      (e) => e instanceof AppError && e.code === "BROKER_UNAVAILABLE",
    );
  });
});

describe("cookie jar", () => {
  it("keeps one value per name, whatever the path, and drops expired cookies", () => {
    const jar = new CookieJar();
    jar.store(["x-sess-uuid=a; Path=/v1/api; HttpOnly; Secure", "JSESSIONID=j1; Path=/"]);
    jar.store("x-sess-uuid=b; Path=/sso");
    assert.equal(jar.header(), "x-sess-uuid=b; JSESSIONID=j1");
    jar.store("JSESSIONID=; Max-Age=0");
    jar.store("old=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
    assert.equal(jar.header(), "x-sess-uuid=b");
  });
});

describe("Client Portal parsing", () => {
  it("reads numbers given as strings and treats IB's unset sentinel as null", () => {
    assert.equal(num("457.00"), 457);
    assert.equal(num("1,234.5"), 1234.5);
    assert.equal(num(1.7976931348623157e308), null);
    assert.equal(num(""), null);
    assert.equal(num(undefined), null);
  });
  it("reads the auth status from auth/status and from a tickle", () => {
    assert.deepEqual(parseAuthStatus({ authenticated: "true", connected: 1, competing: false }), {
      authenticated: true,
      connected: true,
      competing: false,
      established: null,
      message: null,
    });
    assert.equal(
      tickleAuthStatus({ iserver: { authStatus: { authenticated: false, connected: true } } })?.authenticated,
      false,
    );
    assert.equal(tickleAuthStatus({ session: "x" }), null);
  });
  it("reads IB's timestamps", () => {
    assert.equal(ibTime("250110153012")?.toISOString(), "2025-01-10T15:30:12.000Z");
    assert.equal(ibTime("20250110-15:31:07")?.toISOString(), "2025-01-10T15:31:07.000Z");
    assert.equal(ibTime(1736523067000)?.toISOString(), "2025-01-10T15:31:07.000Z");
  });
});
