import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { eventually, startSimApp, type SimApp } from "./helpers/sim-app";
import { follow } from "./helpers/follow";
import { buyAtMarket } from "./helpers/market-order";

const MSFT = 272093;
const ACCOUNT = "DU1234567";

/**
 * Through Client Portal, `accountUpdates` follows the WebSocket's `ssd` topic (the account summary IB pushes)
 * instead of reading `/portfolio/{id}/summary` per event, and `positionUpdates` emits after a fill.
 */
describe("account streams through Client Portal", () => {
  let s: SimApp;
  before(async () => {
    // No timer re-reads: whatever the streams emit comes from a push or an order event.
    s = await startSimApp({ marketData: { accountPollMs: 600_000 } });
    await s.control("/sim/tws/disconnect", { refuseMs: 600_000 });
    await eventually("TWS down", () => !s.app.broker.readiness().components.tws!.ready);
  });
  after(() => s.stop());

  /** MSFT shares the account holds now at the simulator (the only stock these tests buy). */
  const heldMsft = () =>
    s.app.simulators!.brokerage.positions(ACCOUNT).find((p) => p.instrument.conid === MSFT)?.quantity ?? 0;
  const wsFrames = async (query: string) =>
    (await s.requests()).filter((e) => e.method === "WS" && e.query === query).length;
  const summaryReads = async () =>
    (await s.requests()).filter((e) => e.path.endsWith(`/portfolio/${ACCOUNT}/summary`)).length;

  it("emits positionUpdates and accountUpdates after a fill, the account values from ssd frames", async () => {
    // What another test may have bought already, and ssd's unsubscriptions so far.
    const held = heldMsft();
    const unsubscribed = await wsFrames(`usd+${ACCOUNT}+{}`);
    const client = s.ws();
    const positions = follow(
      client,
      `subscription { positionUpdates(accountId: "${ACCOUNT}") { accountId contract { conid } quantity source } }`,
    );
    const accounts = follow(
      client,
      `subscription { accountUpdates(accountId: "${ACCOUNT}") { accountId netLiquidation totalCash
        buyingPower excessLiquidity initMarginReq maintMarginReq equityWithLoan grossPositionValue currency
        source } }`,
    );
    try {
      const first = await eventually("the account's current values", () => accounts.events[0]);
      assert.equal(first.accountUpdates.source, "CLIENT_PORTAL");
      await eventually("the ssd subscription on the gateway's WebSocket", async () =>
        (await s.requests()).some((e) => e.method === "WS" && e.query === `ssd+${ACCOUNT}+{}`),
      );
      // The first values were read over REST (no frame had come yet); from here on they are pushed.
      const reads = await summaryReads();
      assert.ok(reads >= 1);

      const r = await buyAtMarket(s, {
        accountId: ACCOUNT,
        conid: MSFT,
        quantity: 10,
        clientOrderId: "md-ssd-1",
      });
      assert.deepEqual(r.errors, undefined);
      const p = await eventually("a position event", () =>
        positions.events.find(
          (e) => e.positionUpdates.contract.conid === MSFT && e.positionUpdates.quantity !== held,
        ),
      );
      assert.equal(p.positionUpdates.quantity, held + 10);
      assert.equal(p.positionUpdates.source, "CLIENT_PORTAL");
      const a = await eventually("an account event with the position", () =>
        accounts.events.find(
          (e) => e.accountUpdates.grossPositionValue > first.accountUpdates.grossPositionValue,
        ),
      );
      assert.equal(a.accountUpdates.accountId, ACCOUNT);
      assert.equal(a.accountUpdates.source, "CLIENT_PORTAL");
      assert.equal(a.accountUpdates.currency, "USD");
      assert.ok(a.accountUpdates.totalCash < first.accountUpdates.totalCash);
      assert.ok(a.accountUpdates.initMarginReq > 0 && a.accountUpdates.maintMarginReq > 0);
      assert.equal(await summaryReads(), reads, "no /portfolio/{id}/summary read after the ssd frames came");

      // A price move changes the values again: one more ssd frame, one more event, still no REST read.
      await s.control("/sim/prices", { conid: MSFT, price: 430 });
      await eventually("the values after the move", () =>
        accounts.events.some((e) => e.accountUpdates.grossPositionValue === (held + 10) * 430),
      );
      assert.equal(await summaryReads(), reads);
      assert.deepEqual(positions.errors, []);
      assert.deepEqual(accounts.errors, []);
    } finally {
      positions.dispose();
      accounts.dispose();
      await client.dispose();
    }
    await eventually(
      "the ssd subscription ended with the last stream",
      async () => (await wsFrames(`usd+${ACCOUNT}+{}`)) > unsubscribed,
    );
  });

  it("follows ssd again on the new socket after a session expiry, without a re-subscribe", async () => {
    const ssdSubscriptions = () => wsFrames(`ssd+${ACCOUNT}+{}`);
    // A position whose value the move below changes, bought here unless another test did.
    if (heldMsft() === 0) {
      const r = await buyAtMarket(s, {
        accountId: ACCOUNT,
        conid: MSFT,
        quantity: 10,
        clientOrderId: "md-ssd-2",
      });
      assert.deepEqual(r.errors, undefined);
      await eventually("the MSFT position", () => heldMsft() > 0);
    }
    const held = heldMsft();
    const subscribed = await ssdSubscriptions();
    const client = s.ws();
    const accounts = follow(
      client,
      `subscription { accountUpdates(accountId: "${ACCOUNT}") { grossPositionValue source } }`,
    );
    try {
      await eventually("the current values", () => accounts.events[0]);
      await eventually("the ssd subscription", async () => (await ssdSubscriptions()) > subscribed);
      const before = await ssdSubscriptions();
      await s.control("/sim/session/expire");
      await eventually(
        "ssd subscribed again on the restored session's socket",
        async () => (await ssdSubscriptions()) > before,
        10_000,
      );
      await s.control("/sim/prices", { conid: MSFT, price: 440 });
      const moved = await eventually("the values after the move", () =>
        accounts.events.find((e) => e.accountUpdates.grossPositionValue === held * 440),
      );
      assert.equal(moved.accountUpdates.source, "CLIENT_PORTAL");
      assert.deepEqual(accounts.errors, []);
    } finally {
      accounts.dispose();
      await client.dispose();
    }
  });
});
