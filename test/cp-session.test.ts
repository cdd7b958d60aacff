import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createClientPortalBroker } from "../src/brokers/client-portal";
import { AppError } from "../src/errors";
import { ClientPortalState, SessionEventType } from "../src/schema/enums";
import { startClientPortalSimulator, type CpSimulator } from "../src/simulators/client-portal";
import {
  ACCT,
  brokerOptions,
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

  // The keep-alive past the idle timeout and "an expiry is noticed within one tickle interval" are timing
  // promises: promises-cp-keepalive.test.ts keeps them on a fake clock shared with the simulator (the
  // wall-clock versions that were here failed when a loaded machine delayed a tickle).
  it("starts authenticated: AUTHENTICATED is the first session event, and no 429", async () => {
    // The first event only: the other tests of this group add theirs, whichever order they run in.
    assert.equal(h.events[0]?.type, SessionEventType.AUTHENTICATED);
    await eventually("the session usable", () => h.broker.isReady() || undefined);
    assert.equal(h.sim.control.session().authenticated, true);
    assert.equal(rateReport(await h.requests()).tooMany, 0);
  });

  it("turns /sim/session/expire into EXPIRED then RESTORED, and reads work after", async () => {
    const from = h.events.length;
    await h.control("/sim/session/expire");
    const expired = await h.waitForEvent(SessionEventType.EXPIRED, from);
    const restored = await h.waitForEvent(SessionEventType.RESTORED, from);
    assert.ok(restored.at >= expired.at);
    assert.equal(h.broker.status().state, ClientPortalState.AUTHENTICATED);
    const accounts = await h.broker.listAccounts();
    assert.deepEqual(
      accounts.map((a) => a.id),
      [ACCT],
    );
    assert.ok((await h.broker.getAccountSummary(ACCT))?.netLiquidation);
    // No login storm: one reopening, at most IB's 3 attempts.
    const ssodh = (await h.requests()).filter((r) => r.path === "/v1/api/iserver/auth/ssodh/init");
    assert.ok(ssodh.length >= 1 && ssodh.length <= 3, `${ssodh.length} ssodh/init`);
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

  // "500 concurrent reads make 4 upstream requests" is exact in promises-cp-reads.test.ts (fake clock); the
  // loose real-time version that was here ("< 60 upstream", ">= 440 shared") could not catch a regression.
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

// The penalty box ("after a 429 nothing is sent until the penalty ends") is a safety promise, kept on a fake
// clock in promises-cp-penalty.test.ts; the wall-clock version that was here failed 7 ≠ 6 under CPU load.
