import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { eventually, startSimApp, type SimApp } from "./helpers/sim-app";
import { follow } from "./helpers/follow";

const AAPL = 265598;
const MSFT = 272093;
const SPY = 756733;

const QUOTE = `query Q($c: ContractInput!) { quote(contract: $c) { last bid ask delayed source } }`;
const SUB = `subscription S($cs: [ContractInput!]!) { quotes(contracts: $cs) { contract { conid } last delayed source } }`;

/** The reqMktData requests the TWS simulator logged for a contract, with the market data type in force. */
function twsRequests(s: SimApp, conid: number) {
  return s.app.simulators!.tws.marketDataRequests().filter((r) => r.conid === conid);
}

/**
 * MARKET_DATA_TYPE through TWS: reqMarketDataType on each connection (1 live, 2 frozen, 3 delayed, 4 delayed
 * frozen). Where the subscription covers a contract IB sends live (or frozen) ticks; where it does not, the
 * delayed types fall back to the delayed tick ids 66–76, which the adapter marks `delayed: true`.
 */
describe("MARKET_DATA_TYPE=frozen through TWS", () => {
  let s: SimApp;
  before(async () => {
    s = await startSimApp({ env: { MARKET_DATA_TYPE: "frozen" } });
    await eventually("TWS connected", () => s.app.broker.readiness().components.tws!.ready);
  });
  after(() => s.stop());

  it("asks for frozen data and answers the frozen values, not delayed", async () => {
    const r = await s.op(QUOTE, { c: { conid: AAPL } });
    assert.deepEqual(r.errors, undefined);
    assert.equal(r.data.quote.source, "TWS");
    assert.equal(r.data.quote.delayed, false);
    assert.equal(r.data.quote.last, 190);
    assert.equal(twsRequests(s, AAPL).at(-1)?.marketDataType, 2);
  });

  it("answers MARKET_DATA_UNAVAILABLE where frozen data needs a subscription it lacks", async () => {
    await s.control("/sim/market-data/permissions", { conid: MSFT, allowed: false });
    try {
      const r = await s.op(QUOTE, { c: { conid: MSFT } });
      assert.equal(r.errors?.[0]?.extensions?.code, "MARKET_DATA_UNAVAILABLE", JSON.stringify(r));
    } finally {
      await s.control("/sim/market-data/permissions", { conid: MSFT, allowed: true });
    }
  });
});

describe("MARKET_DATA_TYPE=delayed-frozen through TWS", () => {
  let s: SimApp;
  before(async () => {
    s = await startSimApp({ env: { MARKET_DATA_TYPE: "delayed-frozen" } });
    await eventually("TWS connected", () => s.app.broker.readiness().components.tws!.ready);
  });
  after(() => s.stop());

  it("falls back to delayed frozen values where the subscription does not cover the contract", async () => {
    await s.control("/sim/market-data/permissions", { conid: SPY, allowed: false });
    try {
      const r = await s.op(QUOTE, { c: { conid: SPY } });
      assert.deepEqual(r.errors, undefined);
      assert.equal(r.data.quote.delayed, true);
      assert.equal(r.data.quote.last, 560);
      assert.ok(r.data.quote.bid < r.data.quote.ask);
      assert.equal(twsRequests(s, SPY).at(-1)?.marketDataType, 4);
    } finally {
      await s.control("/sim/market-data/permissions", { conid: SPY, allowed: true });
    }
  });

  it("keeps covered contracts live", async () => {
    const r = await s.op(QUOTE, { c: { conid: AAPL } });
    assert.deepEqual(r.errors, undefined);
    assert.equal(r.data.quote.delayed, false);
  });
});

describe("MARKET_DATA_TYPE=delayed through TWS, streaming", () => {
  let s: SimApp;
  before(async () => {
    s = await startSimApp({ env: { MARKET_DATA_TYPE: "delayed" } });
    await eventually("TWS connected", () => s.app.broker.readiness().components.tws!.ready);
  });
  after(() => s.stop());

  it("streams delayed ticks, marked delayed, for a contract without a subscription", async () => {
    await s.control("/sim/market-data/permissions", { conid: SPY, allowed: false });
    const client = s.ws();
    const sub = follow(client, SUB, { cs: [{ conid: SPY }] });
    try {
      const first = await eventually("the first quote", () => sub.events[0]);
      assert.equal(first.quotes.delayed, true);
      assert.equal(first.quotes.source, "TWS");
      await s.control("/sim/prices", { conid: SPY, price: 561.25 });
      const moved = await eventually("the delayed stream moves", () =>
        sub.events.find((e) => e.quotes.last === 561.25),
      );
      assert.equal(moved.quotes.delayed, true);
      assert.equal(twsRequests(s, SPY).at(-1)?.marketDataType, 3);
      assert.deepEqual(sub.errors, []);
    } finally {
      sub.dispose();
      await client.dispose();
      await s.control("/sim/market-data/permissions", { conid: SPY, allowed: true });
    }
  });
});

/**
 * Client Portal has no market data type to ask for: its field 6509 says what the gateway serves (`R`
 * real-time, `D` delayed, `Z` frozen, `Y` frozen delayed), and a contract without a subscription falls back
 * to delayed data on its own.
 */
describe("delayed market data through Client Portal", () => {
  let s: SimApp;
  before(async () => {
    s = await startSimApp({ clientPortal: { quotePollMs: 100, snapshotRetryMs: 50 } });
    await s.control("/sim/tws/disconnect", { refuseMs: 600_000 });
    await eventually("TWS down", () => !s.app.broker.readiness().components.tws!.ready);
  });
  after(() => s.stop());

  it("marks snapshot and streamed quotes delayed where 6509 says D", async () => {
    await s.control("/sim/market-data/permissions", { conid: SPY, allowed: false });
    try {
      const r = await s.op(QUOTE, { c: { conid: SPY } });
      assert.deepEqual(r.errors, undefined);
      assert.equal(r.data.quote.source, "CLIENT_PORTAL");
      assert.equal(r.data.quote.delayed, true);
      assert.equal(r.data.quote.last, 560);

      const live = await s.op(QUOTE, { c: { conid: AAPL } });
      assert.equal(live.data.quote.delayed, false);

      const client = s.ws();
      const sub = follow(client, SUB, { cs: [{ conid: SPY }] });
      try {
        const first = await eventually("the first streamed quote", () => sub.events[0]);
        assert.equal(first.quotes.delayed, true);
        await s.control("/sim/prices", { conid: SPY, price: 562 });
        const moved = await eventually("the stream moves", () =>
          sub.events.find((e) => e.quotes.last === 562),
        );
        assert.equal(moved.quotes.delayed, true);
        assert.equal(moved.quotes.source, "CLIENT_PORTAL");
      } finally {
        sub.dispose();
        await client.dispose();
      }
    } finally {
      await s.control("/sim/market-data/permissions", { conid: SPY, allowed: true });
    }
  });
});
