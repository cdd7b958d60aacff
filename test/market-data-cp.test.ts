import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Json } from "./helpers/cp-sim-client";
import { codesOf, eventually, startSimApp, type SimApp } from "./helpers/sim-app";
import { follow } from "./helpers/follow";
import { buyAtMarket } from "./helpers/market-order";

const AAPL = 265598;
const MSFT = 272093;

const QUOTE = `query Q($c: ContractInput!) {
  quote(contract: $c) { contract { conid symbol } bid ask last bidSize askSize volume open high low close
    delayed source asOf }
}`;
const BARS = `query B($c: ContractInput!, $s: BarSize!, $d: String!) {
  bars(contract: $c, barSize: $s, duration: $d) { time open high low close volume }
}`;
const SUB = `subscription S($cs: [ContractInput!]!) { quotes(contracts: $cs) { contract { conid } last bid source } }`;

/** Market data through Client Portal: TWS is dropped and kept away, so every quote comes from CP. */
describe("market data through Client Portal", () => {
  let s: SimApp;
  before(async () => {
    s = await startSimApp({ clientPortal: { quotePollMs: 100, snapshotRetryMs: 50 } });
    await s.control("/sim/tws/disconnect", { refuseMs: 600_000 });
    await eventually(
      "TWS down",
      async () => (await s.op("{ session { tws { state } } }")).data?.session.tws.state !== "CONNECTED",
    );
  });
  after(() => s.stop());

  it("answers a snapshot quote after IB's pre-flight, with source and asOf", async () => {
    const r = await s.op(QUOTE, { c: { symbol: "AAPL" } });
    assert.deepEqual(r.errors, undefined);
    const q = r.data.quote;
    assert.equal(q.contract.conid, AAPL);
    assert.equal(q.source, "CLIENT_PORTAL");
    assert.equal(q.delayed, false);
    assert.equal(q.last, 190);
    assert.ok(q.bid < q.ask);
    assert.ok(q.bidSize > 0 && q.askSize > 0);
    assert.equal(q.close, 190);
    assert.ok(!Number.isNaN(Date.parse(q.asOf)));
  });

  it("answers NOT_FOUND for an unknown contract before asking for market data", async () => {
    const before = (await s.requests()).filter((e) => e.path.includes("marketdata")).length;
    const r = await s.op(QUOTE, { c: { conid: 999_999_999 } });
    assert.deepEqual(codesOf(r), ["NOT_FOUND"]);
    const afterCount = (await s.requests()).filter((e) => e.path.includes("marketdata")).length;
    assert.equal(afterCount, before);
  });

  it("serves bars of three sizes ending at the current price", async () => {
    const price = s.app.simulators!.brokerage.quote(MSFT)!.last;
    for (const [size, duration, count] of [
      ["MINUTE_1", "PT1H", 60],
      ["HOUR_1", "P5D", 120],
      ["DAY_1", "P1M", 30],
    ] as const) {
      const r = await s.op(BARS, { c: { conid: MSFT }, s: size, d: duration });
      assert.deepEqual(r.errors, undefined, size);
      const bars = r.data.bars as Json[];
      assert.equal(bars.length, count, size);
      assert.equal(bars.at(-1).close, price, size);
      for (const b of bars)
        assert.ok(b.low <= Math.min(b.open, b.close) && b.high >= Math.max(b.open, b.close));
      const times = bars.map((b) => Date.parse(b.time));
      assert.deepEqual(
        [...times].sort((a, b) => a - b),
        times,
      );
    }
  });

  it("refuses a bar size and duration IB does not serve, naming the range", async () => {
    const r = await s.op(BARS, { c: { conid: AAPL }, s: "SECONDS_5", d: "P1Y" });
    assert.deepEqual(codesOf(r), ["BAD_USER_INPUT"]);
    assert.match(r.errors![0]!.message, /at most PT1H/);
  });

  it("streams quote changes, shares one line between 100 subscribers, and releases it", async () => {
    // Another test's line may still linger: the count below is of this test's line alone.
    await eventually("no line open", () => s.app.broker.marketData.lineCount() === 0);
    const logStart = (await s.requests()).length;
    const client = s.ws();
    const subs = Array.from({ length: 100 }, () => follow(client, SUB, { cs: [{ conid: AAPL }] }));
    try {
      await eventually("every subscriber's first quote", () => subs.every((x) => x.events.length > 0));
      assert.equal(s.app.broker.marketData.lineCount(), 1);
      await s.control("/sim/prices", { conid: AAPL, price: 191.5 });
      await eventually("the new price at every subscriber", () =>
        subs.every((x) => x.events.some((e) => e.quotes.last === 191.5)),
      );
      // One line: one `smd` subscription on the gateway's WebSocket, and every snapshot poll (the fallback
      // before the socket confirms) asks for the conid once, whatever the number of subscribers.
      const log = (await s.requests()).slice(logStart);
      const smd = log.filter((e) => e.method === "WS" && e.query.startsWith(`smd+${AAPL}+`));
      assert.equal(smd.length, 1);
      const polls = log.filter((e) => e.path.endsWith("/iserver/marketdata/snapshot"));
      for (const p of polls) assert.equal(p.query.split(String(AAPL)).length - 1, 1);
    } finally {
      for (const x of subs) x.dispose();
      // The price other tests expect.
      await s.control("/sim/prices", { conid: AAPL, price: 190 });
    }
    await eventually("the line released after the linger", () => s.app.broker.marketData.lineCount() === 0);
    await eventually("the WebSocket unsubscribed", async () =>
      (await s.requests()).slice(logStart).some((e) => e.method === "WS" && e.query === `umd+${AAPL}+{}`),
    );
    await client.dispose();
  });

  it("keeps streaming across a Client Portal session expiry without a re-subscribe", async () => {
    const client = s.ws();
    const sub = follow(client, SUB, { cs: [{ conid: MSFT }] });
    try {
      await eventually("first quote", () => sub.events.length > 0);
      await s.control("/sim/session/expire");
      await s.control("/sim/prices", { conid: MSFT, price: 425 });
      await eventually(
        "the price after the restore",
        () => sub.events.some((e) => e.quotes.last === 425),
        10_000,
      );
      assert.deepEqual(sub.errors, []);
    } finally {
      sub.dispose();
      await client.dispose();
      await s.control("/sim/prices", { conid: MSFT, price: 420 });
    }
    // Leaves no line behind for the next test's count.
    await eventually("the line released after the linger", () => s.app.broker.marketData.lineCount() === 0);
  });

  it("refuses more contracts in one quotes than there are lines", async () => {
    const r = await s.op(`query Q($cs: [ContractInput!]!) { quotes(contracts: $cs) { last } }`, {
      cs: Array.from({ length: 101 }, () => ({ conid: AAPL })),
    });
    assert.deepEqual(codesOf(r), ["BAD_USER_INPUT"]);
  });
});

/** Orders through Client Portal follow the WebSocket's `sor` topic; polling is only the fallback. */
describe("Client Portal orders over the WebSocket", () => {
  let s: SimApp;
  before(async () => {
    s = await startSimApp({
      // The fill comes well after the placement's own poll, and the next poll is a minute away.
      simulators: { brokerage: { fillDelayMs: 1_500 } },
      clientPortal: { orderPollMs: 60_000, backgroundOrderPollMs: 60_000 },
    });
    await s.control("/sim/tws/disconnect", { refuseMs: 600_000 });
    await eventually("TWS down", () => !s.app.broker.readiness().components.tws!.ready);
    await eventually("the sor subscription", async () =>
      (await s.requests()).some((e) => e.method === "WS" && e.query === "sor+{}"),
    );
  });
  after(() => s.stop());

  it("sees a fill through sor within 1 s", async () => {
    const r = await buyAtMarket(s, {
      accountId: "DU1234567",
      conid: AAPL,
      quantity: 3,
      clientOrderId: "md-sor-1",
    });
    assert.deepEqual(r.errors, undefined);
    const id = String(r.data.placeOrder.order.id);
    await eventually("the fill at the simulator", async () =>
      (await s.simOrders()).some((o) => String(o.orderId) === id && o.status === "Filled"),
    );
    await eventually(
      "the fill at the server",
      async () => (await s.app.broker.order(id))?.status === "FILLED",
      1_000,
    );
  });
});
