import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createBrokerage, netMid, type Brokerage, type SimInstrument } from "../src/simulators/brokerage";

const ACCOUNT = "DU1234567";
const AAPL = 265598;
/** Wednesday 2 December 2026, 20:00 UTC: late in the day, the front weekly (Friday 4 December) two days out. */
const NOW = Date.UTC(2026, 11, 2, 20, 0, 0);

function option(b: Brokerage, expiry: string, strike: number, right: "C" | "P" = "C"): SimInstrument {
  const i = b.findInstrument({ symbol: "AAPL", secType: "OPT", lastTradeDate: expiry, strike, right });
  assert.ok(i, `AAPL ${expiry} ${strike}${right} is listed`);
  return i;
}

function calendar(b: Brokerage): { front: SimInstrument; back: SimInstrument; mid: number } {
  const front = option(b, "20261204", 190);
  const back = option(b, "20261211", 190);
  const legs = [
    { instrument: front, ratio: 1, side: "SELL" as const },
    { instrument: back, ratio: 1, side: "BUY" as const },
  ];
  return { front, back, mid: netMid(legs, (c) => b.quote(c)) };
}

describe("simulated brokerage: combo (BAG) orders", () => {
  it("fills every leg together at the net mid: one execution per leg with the leg's contract, positions per leg", async () => {
    const b = createBrokerage({ now: () => NOW });
    const { front, back, mid } = calendar(b);
    assert.ok(mid > 0, `a calendar is a debit (net mid ${mid})`);
    const executions: { conid: number; side: string; quantity: number; price: number }[] = [];
    b.on("execution", ({ execution }) =>
      executions.push({
        conid: execution.instrument.conid,
        side: execution.side,
        quantity: execution.quantity,
        price: execution.price,
      }),
    );
    const limit = Math.round(mid * 100) / 100;
    const r = b.placeOrder({
      account: ACCOUNT,
      contract: { exchange: "SMART" },
      legs: [
        { conid: front.conid, ratio: 1, side: "SELL" },
        { conid: back.conid, ratio: 1, side: "BUY" },
      ],
      side: "BUY",
      orderType: "LMT",
      quantity: 2,
      limitPrice: limit,
      api: "TWS",
    });
    assert.ok(r.order, r.reject?.reason);
    assert.equal(r.order.instrument.secType, "BAG");
    assert.equal(r.order.instrument.conid, 28812380, "IB's USD spread conid");
    assert.equal(r.order.legs?.length, 2);
    await b.whenIdle();
    const done = b.getOrder(r.order.permId)!;
    assert.equal(done.status, "Filled");
    assert.ok(Math.abs(done.avgFillPrice - mid) < 1e-6, "filled at the net mid");
    assert.deepEqual(
      executions.map((e) => [e.conid, e.side, e.quantity]),
      [
        [front.conid, "SELL", 2],
        [back.conid, "BUY", 2],
      ],
    );
    assert.ok(
      Math.abs(executions[1]!.price - executions[0]!.price - mid) < 1e-6,
      "leg prices make the net price",
    );
    assert.equal(b.position(ACCOUNT, front.conid)?.quantity, -2);
    assert.equal(b.position(ACCOUNT, back.conid)?.quantity, 2);
    assert.equal(b.position(ACCOUNT, 28812380), undefined, "never a BAG position");
  });

  it("a limit combo rests until the net mid crosses, and can be modified (price, quantity) and cancelled", async () => {
    const b = createBrokerage({ now: () => NOW });
    const { front, back, mid } = calendar(b);
    const legs = [
      { conid: front.conid, ratio: 1, side: "SELL" as const },
      { conid: back.conid, ratio: 1, side: "BUY" as const },
    ];
    const low = Math.round((mid - 0.5) * 100) / 100;
    const r = b.placeOrder({
      account: ACCOUNT,
      contract: {},
      legs,
      side: "BUY",
      orderType: "LMT",
      quantity: 1,
      limitPrice: low,
      api: "CP",
    });
    assert.ok(r.order, r.reject?.reason);
    await b.whenIdle();
    assert.equal(b.getOrder(r.order.permId)!.status, "Submitted", "rests below the net mid");
    const m = b.modifyOrder(r.order.permId, { quantity: 3, limitPrice: Math.round((low - 0.1) * 100) / 100 });
    assert.ok(m.order, m.reject?.reason);
    assert.equal(m.order.quantity, 3);
    await b.whenIdle();
    assert.equal(b.getOrder(r.order.permId)!.status, "Submitted");
    const c = b.cancelOrder(r.order.permId);
    assert.ok(c.order);
    await b.whenIdle();
    assert.equal(b.getOrder(r.order.permId)!.status, "Cancelled");
    assert.equal(b.executions().length, 0);

    // A credit: buying the reverse calendar pays a negative net; a BUY fills once the net mid is at or below
    // its (negative) limit.
    const credit = b.placeOrder({
      account: ACCOUNT,
      contract: {},
      legs: [
        { conid: front.conid, ratio: 1, side: "BUY" },
        { conid: back.conid, ratio: 1, side: "SELL" },
      ],
      side: "BUY",
      orderType: "LMT",
      quantity: 1,
      limitPrice: Math.round((-mid + 0.01) * 100) / 100,
      api: "CP",
    });
    assert.ok(credit.order, credit.reject?.reason);
    await b.whenIdle();
    assert.equal(b.getOrder(credit.order.permId)!.status, "Filled", "front bought, back sold");
    assert.equal(b.position(ACCOUNT, front.conid)?.quantity, 1);
  });

  it("refuses what IB refuses: no legs, an unlisted leg, an expired leg, a leg on another exchange or underlying", () => {
    const b = createBrokerage({ now: () => NOW });
    const { front, back } = calendar(b);
    const base = {
      account: ACCOUNT,
      contract: { exchange: "SMART" },
      side: "BUY" as const,
      orderType: "LMT" as const,
      quantity: 1,
      limitPrice: 1,
      api: "TWS" as const,
    };
    assert.equal(b.placeOrder({ ...base, legs: [] }).reject?.code, "BAD_COMBO");
    assert.match(b.placeOrder({ ...base, legs: [] }).reject!.reason, /requires combo leg details/);
    assert.equal(
      b.placeOrder({ ...base, legs: [{ conid: 1, ratio: 1, side: "BUY" }] }).reject?.code,
      "UNKNOWN_CONTRACT",
      "no such strike / contract",
    );
    const otherExchange = b.placeOrder({
      ...base,
      legs: [
        { conid: front.conid, ratio: 1, side: "SELL", exchange: "CBOE" },
        { conid: back.conid, ratio: 1, side: "BUY", exchange: "SMART" },
      ],
    });
    assert.equal(otherExchange.reject?.code, "BAD_COMBO");
    assert.match(otherExchange.reject!.reason, /routed to CBOE/);
    const msft = b.findInstrument({
      symbol: "MSFT",
      secType: "OPT",
      lastTradeDate: "20261211",
      strike: 420,
      right: "C",
    })!;
    const mixed = b.placeOrder({
      ...base,
      legs: [
        { conid: front.conid, ratio: 1, side: "SELL" },
        { conid: msft.conid, ratio: 1, side: "BUY" },
      ],
    });
    assert.match(mixed.reject!.reason, /same underlying/);

    let t = NOW;
    const later = createBrokerage({ now: () => t });
    t = Date.UTC(2026, 11, 7, 15, 0, 0);
    const expired = later.placeOrder({
      ...base,
      legs: [
        { conid: front.conid, ratio: 1, side: "SELL" },
        { conid: back.conid, ratio: 1, side: "BUY" },
      ],
    });
    assert.match(expired.reject!.reason, /contract expired/);
    assert.equal(b.listOrders().length + later.listOrders().length, 0, "nothing booked");
  });

  it("advancing the clock across an expiry settles the option at intrinsic value with a realized PnL", async () => {
    const b = createBrokerage({ now: () => NOW });
    const call = option(b, "20261204", 180);
    const put = option(b, "20261204", 200, "P");
    for (const i of [call, put]) {
      const r = b.placeOrder({
        account: ACCOUNT,
        contract: { conid: i.conid },
        side: "BUY",
        orderType: "MKT",
        quantity: 1,
        api: "TWS",
      });
      assert.ok(r.order, r.reject?.reason);
    }
    await b.whenIdle();
    const paid = b.positions(ACCOUNT).map((p) => p.avgPrice);
    b.setPrice(AAPL, 195);
    const first = b.advanceClock({});
    assert.equal(new Date(first.now).toISOString(), "2026-12-03T14:30:00.000Z", "the next morning's open");
    assert.equal(first.settled.length, 0, "Thursday: nothing expired yet");
    const second = b.advanceClock({ days: 2 });
    assert.equal(second.session, "REGULAR");
    const byConid = new Map(second.settled.map((s) => [s.instrument.conid, s]));
    assert.equal(byConid.get(call.conid)?.price, 15, "the 180 call is worth 195 − 180");
    assert.equal(byConid.get(put.conid)?.price, 5, "the 200 put is worth 200 − 195");
    assert.ok(
      Math.abs(byConid.get(call.conid)!.realizedPnl - (15 - paid[0]!) * 100) < 1e-6,
      "realized = (intrinsic − paid) × 100",
    );
    assert.equal(b.positions(ACCOUNT).length, 0, "both positions closed");
    assert.ok(b.positionPnl(ACCOUNT, call.conid)!.realizedPnl !== 0);
  });
});
