/**
 * The Client Portal simulator's combo orders over HTTPS, as IB documents them: `conidex` in the spread syntax
 * (`{spread conid};;;{leg}/{ratio},…`, a negative ratio sells), answered like any placement; live orders show the
 * combo with its conidex and secType BAG; trades show one execution per leg with the leg's conid; a wrong spread
 * conid or an unlisted leg is refused; `/sim/clock` advances simulated time and settles expired options.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { netMid, type SimInstrument } from "../src/simulators/brokerage";
import { startClientPortalSimulator, type CpSimulator } from "../src/simulators/client-portal";
import { cpClient, type CpTestClient } from "./helpers/cp-sim-client";
import { eventually } from "./helpers/wait";

const ACCT = "DU1234567";

describe("Client Portal simulator: combo orders in IB's conidex syntax", () => {
  let sim: CpSimulator;
  let cp: CpTestClient;
  let front: SimInstrument;
  let back: SimInstrument;

  // A simulator per test: the clock test moves time past the options' expiry, and each test books its own.
  beforeEach(async () => {
    sim = await startClientPortalSimulator({
      brokerageOptions: { accounts: [ACCT] },
      rateLimits: { enabled: false },
      reauthDelayMs: 0,
      dailyResetTime: null,
    });
    cp = cpClient(sim);
    const calls = sim.brokerage
      .instruments()
      .filter((i) => i.secType === "OPT" && i.symbol === "AAPL" && i.strike === 190 && i.right === "C")
      .sort((x, y) => x.lastTradeDate!.localeCompare(y.lastTradeDate!));
    [front, back] = [calls[1]!, calls[2]!];
    await cp.get("/iserver/accounts");
    await cp.get("/iserver/account/orders");
  });
  afterEach(async () => {
    await cp.close();
    await sim.stop();
  });

  /** Buys 3 calendars (sell the front call, buy the back) by conidex at the mid; the order once filled. */
  const placeCalendar = async () => {
    const mid = netMid(
      [
        { instrument: front, ratio: 1, side: "SELL" },
        { instrument: back, ratio: 1, side: "BUY" },
      ],
      (c) => sim.brokerage.quote(c),
    );
    const conidex = `28812380;;;${front.conid}/-1,${back.conid}/1`;
    const placed = await cp.post(`/iserver/account/${ACCT}/orders`, {
      orders: [
        {
          acctId: ACCT,
          conidex,
          cOID: "cal-1",
          orderType: "LMT",
          listingExchange: "SMART",
          price: Math.round(mid * 100) / 100,
          side: "BUY",
          quantity: 3,
          tif: "DAY",
        },
      ],
    });
    assert.equal(placed.status, 200, JSON.stringify(placed.body));
    const orderId = placed.body[0].order_id as string;
    const live = await eventually("the combo filled in live orders", async () => {
      const r = await cp.get("/iserver/account/orders");
      const o = r.body.orders?.find((x: { orderId: number }) => String(x.orderId) === orderId);
      return o?.status === "Filled" ? o : undefined;
    });
    return { conidex, orderId, live };
  };

  it("places a calendar by conidex: live orders show the combo, trades one row per leg", async () => {
    const { conidex, orderId, live } = await placeCalendar();
    assert.equal(live.conidex, conidex);
    assert.equal(live.conid, 28812380);
    assert.equal(live.secType, "BAG");
    assert.equal(live.ticker, "AAPL");
    assert.equal(live.filledQuantity, 3, "in combos");
    const trades = (await cp.get("/iserver/account/trades")).body as {
      order_id: number;
      conid: number;
      side: string;
      size: number;
      sec_type: string;
    }[];
    const mine = trades.filter((t) => String(t.order_id) === orderId);
    assert.deepEqual(
      mine.map((t) => [t.conid, t.side, t.size, t.sec_type]).sort(),
      [
        [front.conid, "S", 3, "OPT"],
        [back.conid, "B", 3, "OPT"],
      ].sort(),
    );
  });

  it("refuses a spread conid of another currency, an unlisted leg, and a conidex that does not parse", async () => {
    const post = (conidex: string) =>
      cp.post(`/iserver/account/${ACCT}/orders`, {
        orders: [{ acctId: ACCT, conidex, orderType: "LMT", price: 1, side: "BUY", quantity: 1, tif: "DAY" }],
      });
    const booked = sim.brokerage.listOrders().length;
    const gbp = await post(`58666491;;;${front.conid}/-1,${back.conid}/1`);
    assert.match(JSON.stringify(gbp.body), /not the USD spread conid/);
    const unlisted = await post(`28812380;;;${front.conid}/-1,1/1`);
    assert.match(JSON.stringify(unlisted.body), /No security definition/);
    const garbled = await post(`28812380;;;${front.conid}-1`);
    assert.match(JSON.stringify(garbled.body), /Invalid conidex/);
    assert.equal(sim.brokerage.listOrders().length, booked, "nothing booked");
  });

  it("/sim/clock: nextOpen moves simulated time to the next morning; advanceDays crosses an expiry and settles it", async () => {
    await placeCalendar();
    const morning = await cp.post("/sim/clock", { advanceTo: "nextOpen" });
    assert.equal(morning.status, 200);
    assert.equal(morning.body.session, "REGULAR");
    assert.match(morning.body.now, /T14:30:00\.000Z$/);
    const bad = await cp.post("/sim/clock", { advanceDays: 0 });
    assert.equal(bad.status, 400);
    // The calendar's legs expire within five weeks: past them, both settle at intrinsic value.
    const later = await cp.post("/sim/clock", { advanceDays: 35 });
    assert.equal(later.status, 200);
    const settled = later.body.settled as { conid: number; quantity: number; price: number }[];
    assert.deepEqual(
      settled.map((x) => [x.conid, x.quantity]).sort(),
      [
        [back.conid, 3],
        [front.conid, -3],
      ].sort(),
    );
    assert.equal(sim.brokerage.positions(ACCT).length, 0);
  });
});
