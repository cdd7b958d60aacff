import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createClientPortalBroker } from "../src/brokers/client-portal";
import { AppError } from "../src/errors";
import { ClientPortalState, SessionEventType } from "../src/schema/enums";
import { startClientPortalSimulator, type CpSimulator } from "../src/simulators/client-portal";
import {
  ACCT,
  brokerOptions,
  FAST,
  rateReport,
  simOptions,
  startCpHarness,
  type CpHarness,
} from "./helpers/cp-broker-harness";
import { eventually } from "./helpers/wait";

const noSink = { session: () => undefined, order: () => undefined };

describe("Client Portal TLS", () => {
  let sim: CpSimulator;
  before(async () => {
    sim = await startClientPortalSimulator(simOptions());
  });
  after(() => sim.stop());

  it("trusts the gateway only through the pinned certificate or an explicit opt-out", async () => {
    const unpinned = createClientPortalBroker(brokerOptions(sim, { caPem: undefined }), noSink);
    await unpinned.start();
    assert.equal(unpinned.status().state, ClientPortalState.UNREACHABLE);
    assert.match(unpinned.status().message ?? "", /IB_CP_CA_FILE/);
    await unpinned.close();

    const insecure = createClientPortalBroker(
      brokerOptions(sim, { caPem: undefined, insecureTls: true }),
      noSink,
    );
    await insecure.start();
    assert.equal(insecure.status().state, ClientPortalState.AUTHENTICATED);
    await insecure.close();
  });
});

describe("Client Portal session over HTTPS", () => {
  let h: CpHarness;
  before(async () => {
    h = await startCpHarness();
  });
  after(() => h.close());

  it("starts authenticated and keeps the session alive past the gateway's idle timeout", async () => {
    assert.equal(h.broker.status().state, ClientPortalState.AUTHENTICATED);
    assert.deepEqual(
      h.events.map((e) => e.type),
      [SessionEventType.AUTHENTICATED],
    );
    const startedAt = Date.now();
    // Only the supervisor talks to the gateway here; the idle timeout is 2.5 s.
    const log = await eventually(
      "tickles spanning twice the idle timeout",
      async () => {
        const tickles = (await h.requests()).filter((r) => r.path === "/v1/api/tickle");
        const span = Date.parse(tickles.at(-1)?.time ?? "") - startedAt;
        return span > 2_700 ? tickles : undefined;
      },
      6_000,
    );
    assert.ok(log.length >= 5);
    assert.equal(h.sim.control.session().authenticated, true);
    assert.ok(!h.events.some((e) => e.type === SessionEventType.EXPIRED));
    assert.ok(h.broker.status().lastTickleAt instanceof Date);
    assert.equal(rateReport(await h.requests()).tooMany, 0);
  });

  it("turns /sim/session/expire into EXPIRED then RESTORED within one tickle interval, and reads work after", async () => {
    const from = h.events.length;
    const t0 = Date.now();
    await h.control("/sim/session/expire");
    const expired = await h.waitForEvent(SessionEventType.EXPIRED, from);
    const restored = await h.waitForEvent(SessionEventType.RESTORED, from);
    // Detected by the first tickle after the expiry: within one tickle interval.
    const tickles = (await h.requests()).filter(
      (r) => r.path === "/v1/api/tickle" && Date.parse(r.time) >= t0 && Date.parse(r.time) <= expired.at,
    );
    assert.ok(tickles.length <= 1, `${tickles.length} tickles before the expiry was noticed`);
    assert.ok(restored.at >= expired.at);
    assert.equal(h.broker.status().state, ClientPortalState.AUTHENTICATED);
    const accounts = await h.broker.listAccounts();
    assert.deepEqual(
      accounts.map((a) => a.id),
      [ACCT],
    );
    assert.ok((await h.broker.getAccountSummary(ACCT))?.netLiquidation);
    const ssodh = (await h.requests()).filter((r) => r.path === "/v1/api/iserver/auth/ssodh/init");
    assert.ok(ssodh.length >= 1 && ssodh.length <= 3);
  });

  it("reports LOGIN_REQUIRED with the login URL after a logout and picks up a new login without restarting", async () => {
    const from = h.events.length;
    await h.control("/sim/session/logout");
    await h.waitForEvent(SessionEventType.LOGIN_REQUIRED, from);
    const status = h.broker.status();
    assert.equal(status.state, ClientPortalState.LOGIN_REQUIRED);
    assert.equal(status.loginUrl, h.sim.loginUrl);
    assert.throws(
      () => h.broker.assertReady(),
      (e) => e instanceof AppError && e.code === "SESSION_NOT_READY" && e.details.loginUrl === h.sim.loginUrl,
    );
    await assert.rejects(
      h.broker.reauthenticate(),
      (e) => e instanceof AppError && e.code === "SESSION_NOT_READY",
    );
    await h.control("/sim/session/login");
    await h.waitForEvent(SessionEventType.AUTHENTICATED, from);
    assert.equal(h.broker.status().state, ClientPortalState.AUTHENTICATED);
    assert.equal(h.broker.status().loginUrl, null);
    assert.equal((await h.broker.listAccounts()).length, 1);
  });

  it("reports COMPETING without fighting, and reauthenticate takes the session back", async () => {
    const from = h.events.length;
    await h.control("/sim/session/compete");
    await h.waitForEvent(SessionEventType.COMPETING, from);
    assert.equal(h.broker.status().competing, true);
    assert.equal(h.sim.control.session().competing, true, "no automatic take-over");
    await h.broker.reauthenticate();
    await h.waitForEvent(SessionEventType.RESTORED, from);
    assert.equal(h.broker.status().state, ClientPortalState.AUTHENTICATED);
    assert.equal(h.sim.control.session().authenticated, true);
  });

  it("answers 500 concurrent reads with a handful of upstream requests and no 429", async () => {
    const before = (await h.requests()).length;
    const reads = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        i % 3 === 0
          ? h.broker.listAccounts()
          : i % 3 === 1
            ? h.broker.getAccountSummary(ACCT)
            : h.broker.listPositions(ACCT),
      ),
    );
    assert.equal(reads.length, 500);
    const log = (await h.requests()).slice(before);
    const reads429 = rateReport(log).tooMany;
    assert.equal(reads429, 0);
    const upstream = log.filter((r) => r.path !== "/v1/api/tickle").length;
    // How many calls 500 reads take depends on the machine's speed (the cache lives 1.5 s); the limits do not.
    assert.ok(upstream < 60, `upstream requests: ${upstream}`);
    const stats = h.broker.stats();
    assert.equal(stats.rateLimited429, 0);
    assert.ok(stats.coalesced + stats.cacheHits >= 440);
  });
});

describe("Client Portal read-only user", () => {
  let h: CpHarness;
  before(async () => {
    h = await startCpHarness({ broker: { readOnly: true } });
  });
  after(() => h.close());

  it("uses the portfolio side only and refuses to trade", async () => {
    const status = h.broker.status();
    assert.equal(status.state, ClientPortalState.AUTHENTICATED);
    assert.equal(status.readOnly, true);
    assert.deepEqual(
      (await h.broker.listAccounts()).map((a) => a.id),
      [ACCT],
    );
    assert.ok((await h.broker.getAccountSummary(ACCT))?.netLiquidation);
    assert.deepEqual(await h.broker.listPositions(ACCT), []);
    await assert.rejects(
      h.broker.placeOrder(
        {
          accountId: ACCT,
          contract: { conid: 265598 },
          side: "BUY" as never,
          type: "LIMIT" as never,
          quantity: 1,
          limitPrice: 100,
          stopPrice: null,
          timeInForce: "DAY" as never,
          clientOrderId: "ro-1",
        },
        { conid: 265598, symbol: "AAPL", secType: "STK" as never, currency: "USD" },
      ),
      (e) => e instanceof AppError && e.code === "READ_ONLY",
    );
    await h.control("/sim/session/logout");
    await h.waitForEvent(SessionEventType.LOGIN_REQUIRED);
    const iserver = (await h.requests()).filter((r) => r.path.startsWith("/v1/api/iserver"));
    assert.deepEqual(iserver, [], "a read-only user never touches the brokerage session");
  });
});

describe("Client Portal penalty box", () => {
  let h: CpHarness;
  before(async () => {
    // A client misconfigured without pacing or cache for /portfolio/accounts, so the gateway's 429 can happen.
    // The simulator allows one /portfolio/accounts a minute, so the second call is a breach whatever the timing.
    const endpoints = FAST.sim.map((l) =>
      l.path === "/portfolio/accounts" ? { ...l, windowMs: 60_000 } : l,
    );
    h = await startCpHarness({
      sim: { rateLimits: { endpoints, penaltyMs: 1_000 } },
      broker: {
        endpointRules: FAST.client.filter((r) => r.template !== "/portfolio/accounts"),
        cacheTtlMs: 0,
        penaltyMs: 1_200,
      },
    });
  });
  after(() => h.close());

  it("stops all traffic after a 429 and answers RATE_LIMITED with the retry time until the penalty ends", async () => {
    await h.broker.listAccounts();
    const refused = await h.broker.listAccounts().then(
      () => assert.fail("the second /portfolio/accounts call breaks the limit"),
      (e: unknown) => e,
    );
    assert.ok(refused instanceof AppError);
    assert.equal(refused.code, "RATE_LIMITED");
    const retryAt = Date.parse(String(refused.details.retryAt));
    assert.ok(retryAt > Date.now());
    assert.equal(h.broker.isReady(), false);
    assert.throws(
      () => h.broker.assertReady(),
      (e) => e instanceof AppError && e.code === "RATE_LIMITED",
    );
    assert.match(h.broker.status().message ?? "", /429/);
    const during = (await h.requests()).length;
    await assert.rejects(
      h.broker.getAccountSummary(ACCT),
      (e) => e instanceof AppError && e.code === "RATE_LIMITED",
    );
    await eventually("the penalty to end", () => Date.now() > retryAt + 50 || undefined, 3_000);
    assert.equal((await h.requests()).length, during, "nothing was sent during the penalty");
    // Requests already in flight when the first 429 arrived may be answered 429 too; nothing new was sent.
    assert.ok(h.broker.stats().rateLimited429 >= 1);
    await eventually("the session to be usable again", () => h.broker.isReady() || undefined, 3_000);
    assert.equal((await h.broker.resolveContract({ conid: 265598 })).symbol, "AAPL");
  });
});
