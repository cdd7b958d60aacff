import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  blackScholes,
  createBrokerage,
  impliedVolatility,
  occSymbol,
  optionExpiries,
  smileVolatility,
  strikesAround,
} from "../src/simulators/brokerage";

const AAPL = 265598;
/** Wednesday 2 December 2026, 15:00 UTC. */
const NOW = Date.UTC(2026, 11, 2, 15, 0, 0);

describe("simulated brokerage: listed options and futures months", () => {
  it("lists weekly expiries over ~90 days, strikes at IB increments and OCC local symbols, with stable conids", () => {
    const expiries = optionExpiries(NOW);
    assert.equal(expiries[0], "20261204", "the nearest Friday");
    assert.ok(expiries.includes("20261218") && expiries.includes("20270115"), "the monthlies");
    assert.ok(expiries.includes("20261224") && !expiries.includes("20261225"), "Christmas: Thursday");
    assert.ok(expiries.includes("20261231") && !expiries.includes("20270101"), "New Year: Thursday");
    assert.ok(expiries.length >= 12 && expiries.length <= 13);
    assert.deepEqual(strikesAround(190).slice(0, 3), [152.5, 155, 157.5]);
    assert.ok(strikesAround(420).every((k) => k % 5 === 0));
    assert.equal(occSymbol("AAPL", "20270115", "C", 190), "AAPL  270115C00190000");
    assert.equal(occSymbol("SPY", "20261218", "P", 562.5), "SPY   261218P00562500");

    const a = createBrokerage({ now: () => NOW });
    const b = createBrokerage({ now: () => NOW });
    const options = a.instruments().filter((i) => i.secType === "OPT");
    assert.deepEqual(
      options.map((i) => i.conid),
      b
        .instruments()
        .filter((i) => i.secType === "OPT")
        .map((i) => i.conid),
      "deterministic conids",
    );
    assert.equal(new Set(a.instruments().map((i) => i.conid)).size, a.instruments().length, "unique conids");
    const call = a.findInstrument({
      symbol: "AAPL",
      secType: "OPT",
      lastTradeDate: "20270115",
      strike: 190,
      right: "CALL",
    })!;
    assert.equal(call.localSymbol, "AAPL  270115C00190000");
    assert.equal(call.multiplier, 100);
    assert.equal(call.underlyingConid, AAPL);
    assert.ok(call.conid >= 600_000_000 && call.conid < 900_000_000);

    const es = a.instruments().filter((i) => i.secType === "FUT" && i.symbol === "ES");
    assert.deepEqual(
      es.map((f) => f.localSymbol).sort(),
      ["ESH7", "ESM7", "ESU7", "ESZ6", "ESZ7"],
      "the quarterly months",
    );
    assert.ok(es.every((f) => f.multiplier === 50));
    a.close();
    b.close();
  });

  it("prices options by Black-Scholes over the underlying, with a smile and a term structure", () => {
    const s = 190;
    const t = 30 / 365;
    const c = blackScholes("C", s, 190, t, 0.25);
    const p = blackScholes("P", s, 190, t, 0.25);
    // Put-call parity: C - P = S - K e^{-rT}.
    assert.ok(Math.abs(c.price - p.price - (s - 190 * Math.exp(-0.045 * t))) < 1e-6);
    assert.ok(Math.abs(impliedVolatility("C", c.price, s, 190, t)! - 0.25) < 1e-4);
    assert.ok(c.delta > 0.5 && c.delta < 0.6 && p.delta < 0 && c.gamma > 0 && c.vega > 0 && c.theta < 0);
    assert.ok(
      smileVolatility("AAPL", s, 160, t) > smileVolatility("AAPL", s, 190, t),
      "skew: puts below dearer",
    );
    assert.ok(smileVolatility("AAPL", s, 220, t) > 0.05);
    assert.ok(smileVolatility("AAPL", s, 190, 7 / 365) > smileVolatility("AAPL", s, 190, 80 / 365), "term");

    let clock = NOW;
    const b = createBrokerage({ now: () => clock });
    const call = b.findInstrument({
      symbol: "AAPL",
      secType: "OPT",
      lastTradeDate: "20270115",
      strike: 190,
      right: "C",
    })!;
    const before = b.quote(call.conid)!;
    const model = b.optionQuote(call.conid)!;
    assert.ok(Math.abs(before.last - model.price) < 0.006, "quoted at the model price");
    assert.ok(before.bid < before.ask);
    assert.equal(b.optionQuote(AAPL), undefined, "not an option");
    clock += 60_000;
    b.setPrice(AAPL, 200);
    const after = b.quote(call.conid)!;
    assert.ok(after.last > before.last + 5, `the call follows the stock: ${before.last} → ${after.last}`);
    assert.ok(Math.abs(b.optionQuote(call.conid, 200)!.delta - b.optionQuote(call.conid)!.delta) < 1e-12);
    // After its expiry an option cannot be ordered.
    const weekly = b.findInstrument({
      symbol: "AAPL",
      secType: "OPT",
      lastTradeDate: "20261204",
      strike: 190,
      right: "C",
    })!;
    const order = {
      account: "DU1234567",
      contract: { conid: weekly.conid },
      side: "BUY",
      orderType: "MKT",
      quantity: 1,
      api: "TWS",
    } as const;
    assert.equal(b.placeOrder(order).reject, undefined, "before expiry");
    clock = Date.UTC(2026, 11, 5);
    assert.match(b.placeOrder(order).reject?.reason ?? "", /expired/);
    b.close();
  });
});
