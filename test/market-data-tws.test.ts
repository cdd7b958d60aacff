import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Json } from "./helpers/cp-sim-client";
import { codesOf, eventually, startSimApp, type SimApp } from "./helpers/sim-app";
import { follow } from "./helpers/follow";

const AAPL = 265598;
const MSFT = 272093;
const SPY = 756733;

const QUOTE = `query Q($c: ContractInput!) {
  quote(contract: $c) { contract { conid } bid ask last bidSize askSize lastSize volume open high low close
    delayed source }
}`;
const BARS = `query B($c: ContractInput!, $s: BarSize!, $d: String!) {
  bars(contract: $c, barSize: $s, duration: $d) { time open high low close volume }
}`;
const SUB = `subscription S($cs: [ContractInput!]!) { quotes(contracts: $cs) { contract { conid } last source } }`;

/** Market data through TWS, the preferred API while it is connected. */
describe("market data through TWS", () => {
  let s: SimApp;
  const mktDataRequests = (conid: number) =>
    s.app.simulators!.tws.marketDataRequests().filter((r) => r.conid === conid);

  before(async () => {
    s = await startSimApp();
    await eventually("TWS connected", () => s.app.broker.readiness().components.tws!.ready);
  });
  after(() => s.stop());

  it("answers a snapshot quote from reqMktData", async () => {
    const r = await s.op(QUOTE, { c: { symbol: "MSFT" } });
    assert.deepEqual(r.errors, undefined);
    const q = r.data.quote;
    assert.equal(q.source, "TWS");
    assert.equal(q.delayed, false);
    assert.equal(q.last, 420);
    assert.ok(q.bid < q.ask && q.bidSize > 0 && q.askSize > 0);
    assert.equal(q.close, 420);
    assert.equal(mktDataRequests(MSFT).at(-1)?.snapshot, true);
  });

  it("serves bars of three sizes, 5-second bars included", async () => {
    for (const [size, duration, count] of [
      ["SECONDS_5", "PT10M", 120],
      ["MINUTE_15", "P1D", 96],
      ["WEEK_1", "P1Y", 52],
    ] as const) {
      const r = await s.op(BARS, { c: { conid: AAPL }, s: size, d: duration });
      assert.deepEqual(r.errors, undefined, size);
      const bars = r.data.bars as Json[];
      assert.equal(bars.length, count, size);
      assert.equal(bars.at(-1).close, 190, size);
      for (const b of bars)
        assert.ok(b.low <= Math.min(b.open, b.close) && b.high >= Math.max(b.open, b.close));
    }
  });

  it("opens one reqMktData line for 100 subscribers of one contract", async () => {
    const before = mktDataRequests(SPY).length;
    const client = s.ws();
    const subs = Array.from({ length: 100 }, () => follow(client, SUB, { cs: [{ conid: SPY }] }));
    try {
      await eventually("every subscriber's first quote", () => subs.every((x) => x.events.length > 0));
      await s.control("/sim/prices", { conid: SPY, price: 562.5 });
      await eventually("the new price everywhere", () =>
        subs.every((x) => x.events.some((e) => e.quotes.last === 562.5 && e.quotes.source === "TWS")),
      );
      const lines = mktDataRequests(SPY).slice(before);
      assert.equal(lines.length, 1);
      assert.equal(lines[0]!.snapshot, false);
    } finally {
      for (const x of subs) x.dispose();
      await s.control("/sim/prices", { conid: SPY, price: 560 });
    }
    await eventually("the line released", () => s.app.simulators!.tws.openMarketDataLines() === 0);
    await client.dispose();
  });

  it("keeps a quotes subscription across a TWS drop without a re-subscribe", async () => {
    const client = s.ws();
    const sub = follow(client, SUB, { cs: [{ conid: AAPL }] });
    try {
      await eventually("first quote from TWS", () => sub.events.some((e) => e.quotes.source === "TWS"));
      const before = mktDataRequests(AAPL).length;
      await s.control("/sim/tws/disconnect");
      await s.control("/sim/prices", { conid: AAPL, price: 191.25 });
      await eventually("the new price", () => sub.events.some((e) => e.quotes.last === 191.25), 10_000);
      await s.control("/sim/prices", { conid: AAPL, price: 192.5 });
      await eventually(
        "TWS streaming again after its reconnect",
        () => sub.events.some((e) => e.quotes.last === 192.5 && e.quotes.source === "TWS"),
        10_000,
      );
      assert.ok(mktDataRequests(AAPL).length > before, "the line was requested again on the new connection");
      assert.deepEqual(sub.errors, []);
    } finally {
      sub.dispose();
      await client.dispose();
      // The price the bars test ends at, and TWS back for the tests that read through it.
      await s.control("/sim/prices", { conid: AAPL, price: 190 });
      await eventually("TWS connected again", () => s.app.broker.readiness().components.tws!.ready);
    }
  });

  it("answers MARKET_DATA_UNAVAILABLE for a contract without permission (live data)", async () => {
    // Through TWS: Client Portal would fall back to delayed data instead (as IB's gateway does).
    await eventually("TWS connected", () => s.app.broker.readiness().components.tws!.ready);
    await s.control("/sim/market-data/permissions", { conid: MSFT, allowed: false });
    try {
      const r = await s.op(QUOTE, { c: { conid: MSFT } });
      assert.deepEqual(codesOf(r), ["MARKET_DATA_UNAVAILABLE"], JSON.stringify(r));
      assert.equal(r.errors![0]!.extensions!.ibCode, 10089);
    } finally {
      await s.control("/sim/market-data/permissions", { conid: MSFT, allowed: true });
    }
  });
});

/** MARKET_DATA_TYPE=delayed: where IB falls back to delayed data, quotes say so. */
describe("delayed market data through TWS", () => {
  let s: SimApp;
  before(async () => {
    s = await startSimApp({ env: { MARKET_DATA_TYPE: "delayed" } });
    await eventually("TWS connected", () => s.app.broker.readiness().components.tws!.ready);
  });
  after(() => s.stop());

  it("marks quotes delayed when IB shows delayed data (10167)", async () => {
    await s.control("/sim/market-data/permissions", { conid: SPY, allowed: false });
    try {
      const r = await s.op(QUOTE, { c: { conid: SPY } });
      assert.deepEqual(r.errors, undefined);
      assert.equal(r.data.quote.delayed, true);
      assert.equal(r.data.quote.source, "TWS");
      assert.equal(r.data.quote.last, 560);
    } finally {
      await s.control("/sim/market-data/permissions", { conid: SPY, allowed: true });
    }
  });

  it("keeps live quotes live where the subscription covers them", async () => {
    const r = await s.op(QUOTE, { c: { conid: AAPL } });
    assert.deepEqual(r.errors, undefined);
    assert.equal(r.data.quote.delayed, false);
  });
});
