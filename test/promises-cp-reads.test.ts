/**
 * README: "identical reads in flight share one request, reads are cached briefly … 500 concurrent GraphQL reads
 * make 4 upstream requests." An exact count, so the cache's lifetime must not depend on how fast this machine
 * serves 500 requests: the Client Portal adapter runs on a fake clock (nothing expires while the reads are
 * served), over the real simulator (HTTPS) and the real GraphQL server. The simulator's rate limits are off:
 * they count real time, while the adapter paces on the fake clock (test/ib-limits.test.ts checks the pacing).
 *
 * The looser checks this replaces: cp-graphql.test.ts ("upstream < 100") and cp-session.test.ts
 * ("upstream < 60", "coalesced + cacheHits >= 440").
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createBrokerService, type BrokerService } from "../src/brokers";
import { createClientPortalBroker, type ClientPortalAdapter } from "../src/brokers/client-portal";
import { silentLogger } from "../src/logger";
import { startServer, type RunningServer } from "../src/server";
import { startClientPortalSimulator, type CpSimulator } from "../src/simulators/client-portal";
import { AccountsDocument, PositionsDocument } from "./generated/graphql";
import { FakeClock } from "./helpers/cp-fake-clock";
import { gql } from "./helpers/graphql";
import { DEFAULT_GUARDS } from "./helpers/memory-app";
import { within } from "./helpers/wait";

const ACCT = "DU1234567";
const STEP = 50;
/** What the reads need from the gateway, once each. */
const FOUR = [
  `GET /v1/api/iserver/accounts`,
  `GET /v1/api/portfolio/${ACCT}/positions/0`,
  `GET /v1/api/portfolio/${ACCT}/summary`,
  `GET /v1/api/portfolio/accounts`,
];

describe("README: 500 concurrent GraphQL reads make 4 upstream requests", () => {
  let sim: CpSimulator;
  let cp!: ClientPortalAdapter;
  let broker: BrokerService;
  let server: RunningServer;
  const clock = new FakeClock();

  /** Moves fake time by `ms` in steps, each waiting (real time) for the requests it started. */
  async function run(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += STEP) {
      await clock.advance(STEP);
      while (cp.stats().inFlight > 0) await new Promise((r) => setTimeout(r, 1));
    }
  }
  async function drive<T>(promise: Promise<T>): Promise<T> {
    let done = false;
    const watched = promise.finally(() => (done = true));
    // Handled when returned; until then a rejection must not count as unhandled.
    watched.catch(() => undefined);
    for (let t = 0; !done && t < 60_000; t += STEP) await run(STEP);
    return watched;
  }
  const apiRequests = () =>
    sim.control
      .requests()
      .filter((e) => e.path !== "/v1/api/tickle")
      .map((e) => `${e.method} ${e.path}`);

  before(async () => {
    sim = await startClientPortalSimulator({
      brokerageOptions: { accounts: [ACCT] },
      rateLimits: { enabled: false },
      idleTimeoutMs: 3_600_000,
      dailyResetTime: null,
    });
    broker = createBrokerService({
      simulated: true,
      logger: silentLogger(),
      orderEventBuffer: 1000,
      guards: DEFAULT_GUARDS,
      clientPortal: (sink) =>
        (cp = createClientPortalBroker(
          { url: sim.url, caPem: sim.caPem, clock, requestTimeoutMs: 30_000 },
          sink,
        )),
    });
    await drive(broker.start());
    server = await startServer({ broker, logger: silentLogger(), port: 0, host: "127.0.0.1" });
  });
  after(async () => {
    await server?.stop();
    await sim?.stop();
  });

  it("through GraphQL over HTTP: accounts (with summaries) and positions, 250 each, cold cache → 4 requests", async () => {
    // Every window and cache of the start-up behind us: the reads find a cold cache and open windows.
    await run(10_000);
    const before = apiRequests().length;
    const stats0 = cp.stats();
    // Bounded: reads that needed pacing (more than the 4 requests) would wait on the fake clock for ever.
    const results = await within(
      "500 reads answered",
      Promise.all(
        Array.from({ length: 500 }, (_, i) =>
          i % 2 === 0
            ? gql(server.httpUrl, AccountsDocument)
            : gql(server.httpUrl, PositionsDocument, { accountId: ACCT }),
        ),
      ),
      20_000,
    );
    assert.deepEqual(
      results.filter((r) => r.errors?.length).map((r) => r.errors?.[0]?.message),
      [],
    );
    assert.ok(results.every((r) => r.data));
    const made = apiRequests().slice(before);
    assert.deepEqual([...made].sort(), FOUR, `upstream for 500 reads: ${JSON.stringify(made)}`);
    const stats = cp.stats();
    assert.equal(stats.upstream - stats0.upstream, 4);
    assert.equal(stats.rateLimited429, 0);
  });

  it("at the adapter: 500 concurrent reads of three kinds → the same 4 requests, every other read shared", async () => {
    await run(10_000);
    const before = apiRequests().length;
    const stats0 = cp.stats();
    const reads = await within(
      "500 adapter reads answered",
      Promise.all(
        Array.from({ length: 500 }, (_, i) =>
          i % 3 === 0 ? cp.listAccounts() : i % 3 === 1 ? cp.getAccountSummary(ACCT) : cp.listPositions(ACCT),
        ),
      ),
      20_000,
    );
    assert.equal(reads.length, 500);
    const made = apiRequests().slice(before);
    assert.deepEqual([...made].sort(), FOUR, `upstream for 500 reads: ${JSON.stringify(made)}`);
    const stats = cp.stats();
    assert.equal(stats.upstream - stats0.upstream, 4);
    // Every other call joined one in flight or came from the cache.
    assert.ok(stats.coalesced - stats0.coalesced + (stats.cacheHits - stats0.cacheHits) >= 496);
  });
});
