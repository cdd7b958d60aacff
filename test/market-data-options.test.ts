import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Json } from "./helpers/cp-sim-client";
import { eventually, startSimApp, type SimApp } from "./helpers/sim-app";
import { follow } from "./helpers/follow";

const AAPL = 265598;

const QUOTE = `query Q($c: ContractInput!) {
  quote(contract: $c) { contract { conid secType } last impliedVolatility delta gamma vega theta underlyingPrice
    source }
}`;
const SUB = `subscription S($cs: [ContractInput!]!) {
  quotes(contracts: $cs) { contract { conid } last delta underlyingPrice source }
}`;

const GREEKS = ["impliedVolatility", "delta", "gamma", "vega", "theta", "underlyingPrice"] as const;

/**
 * Option quotes carry the option model's values through each API: TWS's tickOptionComputation (tick 13) and
 * Client Portal's fields 7633 (IV %), 7308–7311 (delta, gamma, theta, vega), with the underlying's last
 * price; a stock's quote has none of them.
 */
describe("option quotes", () => {
  let s: SimApp;
  /** An AAPL 190 call of the second expiry (some time value left), as the simulated brokerage lists it. */
  let option: number;

  before(async () => {
    s = await startSimApp();
    await eventually("TWS connected", () => s.app.broker.readiness().components.tws!.ready);
    const calls = s.app
      .simulators!.brokerage.instruments()
      .filter((i) => i.secType === "OPT" && i.symbol === "AAPL" && i.right === "C" && i.strike === 190)
      .sort((a, b) => (a.lastTradeDate ?? "").localeCompare(b.lastTradeDate ?? ""));
    assert.ok(calls.length >= 2, "the simulator lists AAPL 190 calls");
    option = calls[1]!.conid;
  });
  after(() => s.stop());

  /** Runs `f` with TWS kept away (so Client Portal serves), and brings TWS back for the other tests. */
  async function withoutTws(f: () => Promise<void>): Promise<void> {
    await s.control("/sim/tws/disconnect", { refuseMs: 600_000 });
    try {
      await eventually("TWS down", () => !s.app.broker.readiness().components.tws!.ready);
      await f();
    } finally {
      // A disconnect with no refusal lifts the one above.
      await s.control("/sim/tws/disconnect", { refuseMs: 0 });
      await eventually("TWS connected again", () => s.app.broker.readiness().components.tws!.ready);
    }
  }

  /** The brokerage's own model for the option now (the simulator's `optionQuote` hook). */
  const model = () => s.app.simulators!.brokerage.optionQuote(option)!;

  function assertGreeks(q: Json, tolerance: { iv: number; greek: number }): void {
    const m = model();
    assert.equal(q.underlyingPrice, m.underlyingPrice);
    assert.ok(
      Math.abs(q.impliedVolatility - m.impliedVolatility) <= tolerance.iv,
      `IV ${q.impliedVolatility}`,
    );
    for (const k of ["delta", "gamma", "vega", "theta"] as const) {
      assert.ok(Math.abs(q[k] - m[k]) <= tolerance.greek, `${k} ${q[k]} vs the model's ${m[k]}`);
    }
    assert.ok(q.delta > 0.3 && q.delta < 0.8, `an at-the-money call's delta: ${q.delta}`);
    assert.ok(q.theta < 0, "time decays");
  }

  it("TWS: a snapshot quote of an option carries its model values; a stock's carries none", async () => {
    const r = await s.op(QUOTE, { c: { conid: option } });
    assert.deepEqual(r.errors, undefined);
    const q = r.data.quote;
    assert.equal(q.source, "TWS");
    assert.equal(q.contract.secType, "OPT");
    assert.ok(q.last > 0);
    assertGreeks(q, { iv: 1e-6, greek: 1e-6 });
    assert.equal(q.underlyingPrice, 190);

    const stock = await s.op(QUOTE, { c: { conid: AAPL } });
    assert.deepEqual(stock.errors, undefined);
    for (const k of GREEKS) assert.equal(stock.data.quote[k], null, k);
  });

  it("TWS: a streamed option quote follows its underlying's moves", async () => {
    const client = s.ws();
    const sub = follow(client, SUB, { cs: [{ conid: option }] });
    try {
      const first = await eventually("the option's first quote", () => sub.events[0]);
      assert.equal(first.quotes.underlyingPrice, 190);
      await s.control("/sim/prices", { conid: AAPL, price: 195 });
      const moved = await eventually("the option after AAPL moved", () =>
        sub.events.find((e) => e.quotes.underlyingPrice === 195),
      );
      assert.equal(moved.quotes.source, "TWS");
      assert.ok(moved.quotes.delta > first.quotes.delta, "a call's delta rises with its underlying");
      assert.ok(moved.quotes.last > first.quotes.last, "and so does its price");
      assert.deepEqual(sub.errors, []);
    } finally {
      sub.dispose();
      await client.dispose();
      await s.control("/sim/prices", { conid: AAPL, price: 190 });
    }
  });

  it("Client Portal: the same values from fields 7633 and 7308–7311, the underlying's last alongside", () =>
    withoutTws(async () => {
      const r = await s.op(QUOTE, { c: { conid: option } });
      assert.deepEqual(r.errors, undefined);
      const q = r.data.quote;
      assert.equal(q.source, "CLIENT_PORTAL");
      // IB writes IV as a percent with one decimal and the greeks with four.
      assertGreeks(q, { iv: 0.0006, greek: 0.00006 });
      assert.equal(q.underlyingPrice, 190);

      const stock = await s.op(QUOTE, { c: { conid: AAPL } });
      assert.deepEqual(stock.errors, undefined);
      assert.equal(stock.data.quote.source, "CLIENT_PORTAL");
      for (const k of GREEKS) assert.equal(stock.data.quote[k], null, k);
    }));

  it("Client Portal: a streamed option quote follows its underlying's moves", () =>
    withoutTws(async () => {
      const client = s.ws();
      const sub = follow(client, SUB, { cs: [{ conid: option }] });
      try {
        await eventually("the option's quote with its underlying's price", () =>
          sub.events.find((e) => e.quotes.underlyingPrice === 190 && e.quotes.delta !== null),
        );
        const before = sub.events.at(-1)!.quotes.delta as number;
        await s.control("/sim/prices", { conid: AAPL, price: 196 });
        const moved = await eventually(
          "the option after AAPL moved",
          () => sub.events.find((e) => e.quotes.underlyingPrice === 196 && e.quotes.delta > before),
          5_000,
        );
        assert.equal(moved.quotes.source, "CLIENT_PORTAL");
        assert.deepEqual(sub.errors, []);
      } finally {
        sub.dispose();
        await client.dispose();
        await s.control("/sim/prices", { conid: AAPL, price: 190 });
        // Client Portal's snapshots are cached for a moment: wait out the one at 196 the next test would read.
        await eventually(
          "Client Portal quoting the restored underlying",
          async () => (await s.op(QUOTE, { c: { conid: option } })).data?.quote?.underlyingPrice === 190,
        );
      }
    }));
});
