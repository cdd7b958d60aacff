import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Json } from "./helpers/cp-sim-client";
import { codesOf, eventually, startSimApp, type SimApp } from "./helpers/sim-app";
import { follow } from "./helpers/follow";
import { buyAtMarket } from "./helpers/market-order";

const AAPL = 265598;
const MSFT = 272093;
const SPY = 756733;

const BARS = `query B($c: ContractInput!, $s: BarSize!, $d: String!) {
  bars(contract: $c, barSize: $s, duration: $d) { time close }
}`;
const SUB = `subscription S($cs: [ContractInput!]!) { quotes(contracts: $cs) { contract { conid } last } }`;

/** The server with two market-data lines and three historical-data requests per 10 minutes, on Client Portal. */
async function startLimitedApp(): Promise<SimApp> {
  const s = await startSimApp({
    clientPortal: { quotePollMs: 100, snapshotRetryMs: 50 },
    marketData: { maxLines: 2, historyPacing: { maxRequests: 3 } },
  });
  // The limits are the core's, whichever API serves: these run on Client Portal, TWS kept away.
  await s.control("/sim/tws/disconnect", { refuseMs: 600_000 });
  await eventually("TWS down", () => !s.app.broker.readiness().components.tws!.ready);
  return s;
}

/** IB's limits kept on our side: concurrent lines and historical-data pacing answer with codes. */
describe("market data limits", () => {
  let s: SimApp;
  before(async () => {
    s = await startLimitedApp();
  });
  after(() => s.stop());

  it("refuses a subscription that needs more lines than are free, and takes it once lines free up", async () => {
    const client = s.ws();
    const first = follow(client, SUB, { cs: [{ conid: AAPL }, { conid: MSFT }] });
    try {
      await eventually("both lines streaming", () => first.events.length >= 2);
      const third = follow(client, SUB, { cs: [{ conid: SPY }] });
      await eventually("the refusal", () => third.errors.length > 0);
      assert.equal((third.errors[0]!.extensions as Json).code, "RATE_LIMITED");
      assert.equal((third.errors[0]!.extensions as Json).limit, 2);
      // A contract whose line is already open needs no new line.
      const shared = follow(client, SUB, { cs: [{ conid: AAPL }] });
      await eventually("the shared line's quote", () => shared.events.length > 0);
      shared.dispose();
    } finally {
      first.dispose();
    }
    await eventually("lines released", () => s.app.broker.marketData.lineCount() === 0);
    const again = follow(client, SUB, { cs: [{ conid: SPY }] });
    await eventually("a line for the third contract", () => again.events.length > 0);
    again.dispose();
    await client.dispose();
  });

  it("refuses more contracts in one quotes query than there are lines", async () => {
    const r = await s.op(`query Q($cs: [ContractInput!]!) { quotes(contracts: $cs) { last } }`, {
      cs: [{ conid: AAPL }, { conid: MSFT }, { conid: SPY }],
    });
    assert.deepEqual(codesOf(r), ["BAD_USER_INPUT"]);
    assert.match(r.errors![0]!.message, /MARKET_DATA_LINES/);
  });

  it("paces historical data: an identical request within 15 s is answered again without asking IB", async () => {
    const history = async () =>
      (await s.requests()).filter((e) => e.path.endsWith("/iserver/marketdata/history")).length;
    const before = await history();
    const a = await s.op(BARS, { c: { conid: AAPL }, s: "MINUTE_5", d: "P1D" });
    const b = await s.op(BARS, { c: { conid: AAPL }, s: "MINUTE_5", d: "P1D" });
    assert.deepEqual(a.errors, undefined);
    assert.deepEqual(b.data, a.data);
    assert.equal(await history(), before + 1);
  });

  it("answers RATE_LIMITED with retryAt past IB's requests per 10 minutes", async () => {
    // A server of its own: the window it fills would refuse the other tests' history requests.
    const own = await startLimitedApp();
    try {
      // Three requests in the window are allowed (the test's limit), the fourth is refused.
      for (const d of ["P1D", "P2D", "P3D"]) {
        const r = await own.op(BARS, { c: { conid: MSFT }, s: "MINUTE_5", d });
        assert.deepEqual(r.errors, undefined, d);
      }
      const r = await own.op(BARS, { c: { conid: MSFT }, s: "MINUTE_5", d: "P4D" });
      assert.deepEqual(codesOf(r), ["RATE_LIMITED"]);
      const retryAt = Date.parse(String(r.errors![0]!.extensions!.retryAt));
      assert.ok(retryAt > Date.now());
    } finally {
      await own.stop();
    }
  });

  it("falls back to delayed data where IB does: a contract without a market-data permission", async () => {
    await s.control("/sim/market-data/permissions", { conid: SPY, allowed: false });
    try {
      await eventually("a delayed quote", async () => {
        const r = await s.op(`{ quote(contract: { conid: ${SPY} }) { last delayed source } }`);
        assert.deepEqual(r.errors, undefined);
        return r.data.quote.delayed === true;
      });
    } finally {
      // The other tests stream SPY in real time.
      await s.control("/sim/market-data/permissions", { conid: SPY, allowed: true });
    }
  });
});

/** Position and account streams emit after a fill, whichever API reads them. */
describe("position and account streams", () => {
  let s: SimApp;
  before(async () => {
    s = await startSimApp();
  });
  after(() => s.stop());

  it("emits positionUpdates and accountUpdates after a fill", async () => {
    const client = s.ws();
    const positions = follow(
      client,
      `subscription { positionUpdates(accountId: "DU1234567") { accountId contract { conid } quantity source } }`,
      {},
    );
    const accounts = follow(
      client,
      `subscription { accountUpdates(accountId: "DU1234567") { accountId netLiquidation totalCash
        excessLiquidity initMarginReq maintMarginReq equityWithLoan grossPositionValue } }`,
      {},
    );
    try {
      // Each stream starts with the current state: an account summary, no positions yet.
      await eventually("the account's current values", () => accounts.events.length > 0);
      const r = await buyAtMarket(s, {
        accountId: "DU1234567",
        conid: MSFT,
        quantity: 10,
        clientOrderId: "md-stream-1",
      });
      assert.deepEqual(r.errors, undefined);
      const p = await eventually("a position event", () =>
        positions.events.find((e) => e.positionUpdates.contract.conid === MSFT),
      );
      assert.equal(p.positionUpdates.quantity, 10);
      assert.equal(p.positionUpdates.accountId, "DU1234567");
      const a = await eventually("an account event with the position", () =>
        accounts.events.find((e) => e.accountUpdates.grossPositionValue > 0),
      );
      assert.equal(a.accountUpdates.accountId, "DU1234567");
      assert.ok(a.accountUpdates.grossPositionValue > 0);
      assert.ok(a.accountUpdates.totalCash < 1_000_000);
      assert.deepEqual(positions.errors, []);
      assert.deepEqual(accounts.errors, []);
    } finally {
      positions.dispose();
      accounts.dispose();
      await client.dispose();
    }
  });
});

/** Without polling, account values still follow the APIs' pushes (TWS reqPnL, Client Portal spl). */
describe("account stream pushes", () => {
  for (const api of ["TWS", "CLIENT_PORTAL"] as const) {
    it(`re-reads the account when ${api} pushes a PnL change`, async () => {
      const s = await startSimApp({ marketData: { accountPollMs: 600_000 } });
      try {
        if (api === "CLIENT_PORTAL") {
          await s.control("/sim/tws/disconnect", { refuseMs: 600_000 });
          await eventually("TWS down", () => !s.app.broker.readiness().components.tws!.ready);
        } else {
          await eventually("TWS up", () => s.app.broker.readiness().components.tws!.ready);
        }
        const r = await buyAtMarket(s, {
          accountId: "DU1234567",
          conid: MSFT,
          quantity: 100,
          clientOrderId: `md-push-${api}`,
        });
        assert.deepEqual(r.errors, undefined);
        const client = s.ws();
        const accounts = follow(
          client,
          `subscription { accountUpdates(accountId: "DU1234567") { netLiquidation unrealizedPnl source } }`,
          {},
        );
        try {
          const first = await eventually("the current values", () => accounts.events[0]);
          await s.control("/sim/prices", { conid: MSFT, price: 430 });
          const moved = await eventually("values after the price move", () =>
            accounts.events.find(
              (e) => e.accountUpdates.netLiquidation > first.accountUpdates.netLiquidation,
            ),
          );
          assert.equal(moved.accountUpdates.source, api);
          // 100 MSFT bought at about 420, now 430: the PnL comes with the values (reqPnL / spl).
          await eventually("the PnL of the move", () =>
            accounts.events.some((e) => e.accountUpdates.unrealizedPnl > 900),
          );
        } finally {
          accounts.dispose();
          await client.dispose();
        }
      } finally {
        await s.stop();
      }
    });
  }
});
