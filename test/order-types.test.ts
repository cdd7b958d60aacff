/**
 * The order types beyond market/limit/stop through GraphQL against the simulators, over real sockets:
 * trailing stops, at-the-close, if-touched, midprice, GTD, outsideRth, OCA groups; previewOrder and
 * cancelAllOrders on both APIs; bad input for every new field leaves both gateways untouched.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CancelAllOrdersDocument,
  CancelOrderDocument,
  OrderByClientOrderIdDocument,
  OrdersDocument,
  PlaceOrderTermsDocument,
  PreviewOrderDocument,
  type PlaceOrderInput,
} from "./generated/graphql";
import { gql, gqlData } from "./helpers/graphql";
import { codesOf, startSimApp, type SimApp } from "./helpers/sim-app";
import { eventually } from "./helpers/wait";

const ACCOUNT = "DU1234567";
const AAPL = 265598;
let seq = 0;

function input(over: Partial<PlaceOrderInput> = {}): PlaceOrderInput {
  return {
    accountId: ACCOUNT,
    contract: { conid: AAPL },
    side: "BUY",
    type: "MARKET",
    quantity: 10,
    clientOrderId: `ot-${process.pid}-${++seq}`,
    ...over,
  };
}

describe("order types end to end", () => {
  let s: SimApp;
  const brokerage = () => s.app.simulators!.brokerage;
  const last = () => brokerage().quote(AAPL)!.last;
  const setPrice = (p: number) => brokerage().setPrice(AAPL, p);
  const place = async (over: Partial<PlaceOrderInput>) =>
    (await gqlData(s.httpUrl, PlaceOrderTermsDocument, { input: input(over) })).placeOrder.order!;
  const byKey = async (clientOrderId: string) =>
    (await gqlData(s.httpUrl, OrderByClientOrderIdDocument, { clientOrderId })).orderByClientOrderId;
  const bookOrder = (ref: string) => brokerage().findOrderByRef(ref)!;
  /** Waits until the book shows the order in `status`, and returns what the GraphQL API says of it. */
  const until = async (ref: string, status: string) => {
    await eventually(`${ref} to be ${status} in the book`, () => bookOrder(ref)?.status === status, 5000);
    return eventually(`${ref} to be ${status} through GraphQL`, async () => {
      const o = await byKey(ref);
      return o && o.status === status.toUpperCase().replace("PRESUBMITTED", "PRE_SUBMITTED") ? o : null;
    });
  };

  before(async () => {
    s = await startSimApp();
    // Whichever test runs first places through TWS, or names the API it expects.
    await eventually("both APIs ready", () => s.app.broker.readiness().ready);
  });
  after(async () => {
    await s.stop();
  });

  it("a SELL trailing stop (amount) ratchets up with the price and fills when it falls back", async () => {
    await place({ type: "MARKET", quantity: 10 });
    const p = last();
    const o = await place({ side: "SELL", type: "TRAILING_STOP", trailingAmount: 2, quantity: 5 });
    assert.equal(o.type, "TRAILING_STOP");
    assert.equal(o.trailingAmount, 2);
    assert.equal(o.source, "TWS");
    await until(o.clientOrderId!, "PreSubmitted");
    assert.equal(bookOrder(o.clientOrderId!).trailStopPrice, p - 2);
    setPrice(p + 5);
    assert.equal(bookOrder(o.clientOrderId!).trailStopPrice, p + 3, "the stop follows the price up");
    setPrice(p + 4);
    assert.equal(bookOrder(o.clientOrderId!).trailStopPrice, p + 3, "and never back down");
    setPrice(p + 2.5);
    const filled = await until(o.clientOrderId!, "Filled");
    assert.equal(filled.averageFillPrice, p + 2.5);
  });

  it("a BUY trailing stop-limit (percent, limit offset) triggers and fills within its limit", async () => {
    setPrice(200);
    const o = await place({ type: "TRAILING_STOP_LIMIT", trailingPercent: 1, limitOffset: 0.5 });
    assert.equal(o.trailingPercent, 1);
    await until(o.clientOrderId!, "PreSubmitted");
    assert.equal(bookOrder(o.clientOrderId!).trailStopPrice, 202);
    setPrice(190);
    assert.equal(bookOrder(o.clientOrderId!).trailStopPrice, 191.9);
    setPrice(192);
    const filled = await until(o.clientOrderId!, "Filled");
    assert.ok(filled.averageFillPrice! <= 191.9 + 0.5, `filled at ${filled.averageFillPrice}`);
  });

  it("MIT and LIT wait for the touch; MIDPRICE fills at the mid", async () => {
    setPrice(100);
    const mit = await place({ type: "MARKET_IF_TOUCHED", triggerPrice: 98 });
    const lit = await place({ side: "SELL", type: "LIMIT_IF_TOUCHED", triggerPrice: 103, limitPrice: 102 });
    assert.equal(mit.triggerPrice, 98);
    await until(mit.clientOrderId!, "PreSubmitted");
    await until(lit.clientOrderId!, "PreSubmitted");
    setPrice(99);
    assert.equal(bookOrder(mit.clientOrderId!).status, "PreSubmitted", "not touched yet");
    setPrice(98);
    await until(mit.clientOrderId!, "Filled");
    setPrice(103);
    const litFilled = await until(lit.clientOrderId!, "Filled");
    assert.ok(litFilled.averageFillPrice! >= 102);

    const q = brokerage().quote(AAPL)!;
    const mid = await place({ type: "MIDPRICE", limitPrice: q.ask });
    const midFilled = await until(mid.clientOrderId!, "Filled");
    assert.equal(midFilled.averageFillPrice, (q.bid + q.ask) / 2);
  });

  it("MOC and LOC rest until the close; the closing auction fills MOC and cancels an LOC through its limit", async () => {
    setPrice(150);
    const moc = await place({ type: "MARKET_ON_CLOSE" });
    const loc = await place({ type: "LIMIT_ON_CLOSE", limitPrice: 140 });
    const gtc = await place({ type: "LIMIT", limitPrice: 120, timeInForce: "GTC" });
    const ext = await place({ type: "LIMIT", limitPrice: 121, outsideRth: true, timeInForce: "GTC" });
    assert.equal(ext.outsideRth, true);
    await until(moc.clientOrderId!, "PreSubmitted");
    await until(loc.clientOrderId!, "PreSubmitted");
    setPrice(151);
    assert.equal(bookOrder(moc.clientOrderId!).status, "PreSubmitted", "MOC does not trade before the close");
    await s.control("/sim/clock", { advanceTo: "close" });
    assert.equal((await until(moc.clientOrderId!, "Filled")).averageFillPrice, 151);
    await until(loc.clientOrderId!, "Cancelled");
    // After hours only outsideRth orders trade.
    setPrice(119);
    await until(ext.clientOrderId!, "Filled");
    assert.equal(bookOrder(gtc.clientOrderId!).status, "Submitted", "no outsideRth: waits for the open");
    await s.control("/sim/clock", { advanceTo: "open" });
    await until(gtc.clientOrderId!, "Filled");
  });

  it("a GTD order expires at its goodTillDate", async () => {
    setPrice(100);
    const goodTillDate = new Date(Date.now() + 1500);
    const o = await place({
      type: "LIMIT",
      limitPrice: 90,
      timeInForce: "GTD",
      goodTillDate: goodTillDate.toISOString(),
    });
    assert.equal(o.timeInForce, "GTD");
    assert.equal(
      new Date(o.goodTillDate as string).getTime(),
      Math.floor(goodTillDate.getTime() / 1000) * 1000,
    );
    // Not waited for as Submitted: on a loaded machine the order may already have expired by then.
    assert.notEqual(o.status, "CANCELLED");
    const expired = await until(o.clientOrderId!, "Cancelled");
    assert.ok(Date.now() >= goodTillDate.getTime() - 1000, "not before its date");
    assert.match(bookOrder(o.clientOrderId!).statusMessage ?? "", /Good-till-date order expired/);
    assert.equal(expired.filledQuantity, 0);
  });

  it("an OCA group: one member fills, IB cancels the others", async () => {
    setPrice(100);
    const group = `oca-${process.pid}-${seq}`;
    const a = await place({ type: "LIMIT", limitPrice: 95, ocaGroup: group });
    const b = await place({ type: "LIMIT", limitPrice: 94, ocaGroup: group });
    assert.equal(a.orderClass, "OCA");
    assert.equal(a.ocaGroup, group);
    await until(b.clientOrderId!, "Submitted");
    setPrice(95);
    await until(a.clientOrderId!, "Filled");
    await until(b.clientOrderId!, "Cancelled");
  });

  it("a bracket through TWS: one placeOrder, children wait for the entry, then one exit cancels the other", async () => {
    setPrice(100);
    const key = `br-${process.pid}`;
    const entry = await place({
      type: "LIMIT",
      limitPrice: 99,
      quantity: 4,
      clientOrderId: key,
      bracket: { takeProfitLimitPrice: 105, stopLossStopPrice: 95 },
    });
    assert.equal(entry.source, "TWS");
    await until(`${key}.tp`, "PreSubmitted");
    await until(`${key}.sl`, "PreSubmitted");
    const parent = await eventually("the entry with both children", async () => {
      const o = await byKey(key);
      return o && o.children.length === 2 ? o : null;
    });
    assert.equal(parent.orderClass, "BRACKET");
    assert.deepEqual(
      parent.children.map((c) => [c.clientOrderId, c.side, c.type, c.parentId, c.orderClass]),
      [
        [`${key}.tp`, "SELL", "LIMIT", entry.id, "BRACKET"],
        [`${key}.sl`, "SELL", "STOP", entry.id, "BRACKET"],
      ],
    );
    // The same key again places nothing: the whole bracket was placed once.
    const again = await place({
      type: "LIMIT",
      limitPrice: 99,
      quantity: 4,
      clientOrderId: key,
      bracket: { takeProfitLimitPrice: 105, stopLossStopPrice: 95 },
    });
    assert.equal(again.id, entry.id);
    setPrice(105);
    assert.equal(bookOrder(`${key}.tp`).status, "PreSubmitted", "no exit before the entry fills");
    setPrice(99);
    await until(key, "Filled");
    await until(`${key}.tp`, "Submitted");
    setPrice(105);
    await until(`${key}.tp`, "Filled");
    await until(`${key}.sl`, "Cancelled");
    const refs = brokerage()
      .orderRefStats()
      .filter((r) => r.orderRef.startsWith(key));
    assert.deepEqual(refs.map((r) => [r.orderRef, r.submissions]).sort(), [
      [key, 1],
      [`${key}.sl`, 1],
      [`${key}.tp`, 1],
    ]);
  });

  it("cancelling a bracket's entry cancels its exits", async () => {
    setPrice(100);
    const key = `brc-${process.pid}`;
    const entry = await place({
      type: "LIMIT",
      limitPrice: 90,
      clientOrderId: key,
      bracket: { takeProfitLimitPrice: 110, stopLossStopPrice: 85, stopLossLimitPrice: 84 },
    });
    await until(`${key}.sl`, "PreSubmitted");
    assert.equal((await byKey(`${key}.sl`))!.type, "STOP_LIMIT");
    await gqlData(s.httpUrl, CancelOrderDocument, { id: entry.id });
    await until(key, "Cancelled");
    await until(`${key}.tp`, "Cancelled");
    await until(`${key}.sl`, "Cancelled");
  });

  it("a TWS drop between the entry's fill and the exits' activation loses no exit and doubles none", async () => {
    setPrice(100);
    const key = `brd-${process.pid}`;
    await place({
      type: "LIMIT",
      limitPrice: 98,
      clientOrderId: key,
      bracket: { takeProfitLimitPrice: 104, stopLossStopPrice: 94 },
    });
    await until(`${key}.sl`, "PreSubmitted");
    await s.control("/sim/tws/disconnect", { refuseMs: 300 });
    setPrice(98);
    await until(key, "Filled");
    await until(`${key}.tp`, "Submitted");
    // An active stop waits for its trigger: IB shows it PreSubmitted, and it is there once.
    assert.equal(bookOrder(`${key}.sl`).status, "PreSubmitted");
    const all = (await gqlData(s.httpUrl, OrdersDocument, {})).orders.filter((o) =>
      o.clientOrderId?.startsWith(key),
    );
    assert.deepEqual(all.map((o) => o.clientOrderId).sort(), [key, `${key}.sl`, `${key}.tp`]);
    // Once TWS is back (the other tests place through it), still no exit sent twice.
    await eventually("TWS connected again", () => s.app.broker.readiness().components.tws!.ready);
    assert.ok(
      brokerage()
        .orderRefStats()
        .filter((r) => r.orderRef.startsWith(key))
        .every((r) => r.submissions === 1),
    );
  });

  it("a bracket through Client Portal: one request, exits referring to the entry's cOID", async () => {
    setPrice(100);
    const key = `brcp-${process.pid}`;
    const writes = (await s.orderWrites()).length;
    const entry = await place({
      type: "LIMIT",
      limitPrice: 99,
      quantity: 3,
      clientOrderId: key,
      via: "CLIENT_PORTAL",
      bracket: { takeProfitLimitPrice: 104, stopLossStopPrice: 95 },
    });
    assert.equal(entry.source, "CLIENT_PORTAL");
    assert.equal((await s.orderWrites()).length, writes + 1, "one request for the whole bracket");
    await until(`${key}.tp`, "PreSubmitted");
    // Client Portal lists a new order's parent link on its next orders poll (every 5.5 s while orders work):
    // the deadline covers two polls, not the wait helper's 5 s default.
    const tp = await eventually(
      "the exit linked to its entry",
      async () => {
        const o = await byKey(`${key}.tp`);
        return o?.parentId ? o : null;
      },
      15_000,
    );
    assert.equal(tp.parentId, entry.id);
    assert.equal(tp.orderClass, "BRACKET");
    setPrice(99);
    await until(key, "Filled");
    await until(`${key}.tp`, "Submitted");
    setPrice(104);
    await until(`${key}.tp`, "Filled");
    await until(`${key}.sl`, "Cancelled");
  });

  it("Client Portal takes trailing stops; an order type it lacks goes to TWS, or is refused when forced", async () => {
    setPrice(100);
    await place({ type: "MARKET", quantity: 5, via: "CLIENT_PORTAL" });
    const trail = await place({
      side: "SELL",
      type: "TRAILING_STOP",
      trailingPercent: 2,
      stopPrice: 97,
      quantity: 5,
      via: "CLIENT_PORTAL",
    });
    assert.equal(trail.source, "CLIENT_PORTAL");
    // Sent as IB's trailingAmt / trailingType "%": the book holds a percent trail.
    assert.equal(bookOrder(trail.clientOrderId!).trailingPercent, 2);
    await until(trail.clientOrderId!, "PreSubmitted");
    setPrice(110);
    assert.equal(bookOrder(trail.clientOrderId!).trailStopPrice, 107.8);
    setPrice(107);
    await until(trail.clientOrderId!, "Filled");

    const forced = await gql(s.httpUrl, PlaceOrderTermsDocument, {
      input: input({ type: "MARKET_IF_TOUCHED", triggerPrice: 90, via: "CLIENT_PORTAL" }),
    });
    assert.deepEqual(codesOf(forced), ["BAD_USER_INPUT"]);
    assert.match(forced.errors![0]!.message, /Client Portal does not take MARKET_IF_TOUCHED/);
    const oca = await gql(s.httpUrl, PlaceOrderTermsDocument, {
      input: input({ type: "LIMIT", limitPrice: 90, ocaGroup: "g-cp", via: "CLIENT_PORTAL" }),
    });
    assert.deepEqual(codesOf(oca), ["BAD_USER_INPUT"]);
    assert.match(oca.errors![0]!.message, /Client Portal has no named OCA groups/);
    // Without `via` the same order simply goes through TWS.
    const routed = await place({ type: "MARKET_IF_TOUCHED", triggerPrice: 1 });
    assert.equal(routed.source, "TWS");
  });

  it("Client Portal takes MIDPRICE and MOC: the mid now, the close later", async () => {
    setPrice(120);
    const q = brokerage().quote(AAPL)!;
    const mid = await place({ type: "MIDPRICE", via: "CLIENT_PORTAL" });
    assert.equal(mid.source, "CLIENT_PORTAL");
    assert.equal((await until(mid.clientOrderId!, "Filled")).averageFillPrice, (q.bid + q.ask) / 2);
    const moc = await place({ type: "MARKET_ON_CLOSE", via: "CLIENT_PORTAL" });
    await until(moc.clientOrderId!, "PreSubmitted");
    setPrice(121);
    await s.control("/sim/clock", { advanceTo: "close" });
    assert.equal((await until(moc.clientOrderId!, "Filled")).averageFillPrice, 121);
    await s.control("/sim/clock", { advanceTo: "open" });
  });

  it("previewOrder answers IB's what-if through TWS and Client Portal and leaves the clientOrderId free", async () => {
    const orders = brokerage().listOrders().length;
    const key = `pv-${process.pid}`;
    for (const via of ["TWS", "CLIENT_PORTAL"] as const) {
      const p = (
        await gqlData(s.httpUrl, PreviewOrderDocument, {
          input: input({ type: "LIMIT", limitPrice: 100, quantity: 10, clientOrderId: key, via }),
        })
      ).previewOrder;
      assert.equal(p.source, via);
      assert.ok(p.commission! > 0, `${via} commission ${p.commission}`);
      assert.equal(p.initMarginChange, 1000);
      assert.ok(p.equityWithLoanAfter! > 0);
    }
    assert.equal(brokerage().listOrders().length, orders, "nothing placed");
    assert.equal(
      brokerage()
        .orderRefStats()
        .find((r) => r.orderRef === key),
      undefined,
    );
    const placed = await place({ type: "LIMIT", limitPrice: 50, clientOrderId: key });
    assert.equal(placed.clientOrderId, key);
  });

  it("cancelAllOrders cancels the account's working orders through the API that owns each", async () => {
    setPrice(100);
    const refused = await gql(s.httpUrl, CancelAllOrdersDocument, { accountId: ACCOUNT, confirm: false });
    assert.deepEqual(codesOf(refused), ["BAD_USER_INPUT"]);
    const t = await place({ type: "LIMIT", limitPrice: 80 });
    const c = await place({ type: "LIMIT", limitPrice: 81, via: "CLIENT_PORTAL" });
    await until(t.clientOrderId!, "Submitted");
    await until(c.clientOrderId!, "Submitted");
    const cancelled = (
      await gqlData(s.httpUrl, CancelAllOrdersDocument, { accountId: ACCOUNT, confirm: true })
    ).cancelAllOrders;
    const ids = cancelled.map((o) => o.clientOrderId);
    assert.ok(ids.includes(t.clientOrderId) && ids.includes(c.clientOrderId), JSON.stringify(ids));
    assert.ok(cancelled.every((o) => o.status === "PENDING_CANCEL" || o.status === "CANCELLED"));
    await until(t.clientOrderId!, "Cancelled");
    await until(c.clientOrderId!, "Cancelled");
    const sources = new Map(cancelled.map((o) => [o.clientOrderId, o.source]));
    assert.equal(sources.get(t.clientOrderId), "TWS");
    assert.equal(sources.get(c.clientOrderId), "CLIENT_PORTAL");
  });

  it("bad input for every new field is refused before anything reaches a gateway", async () => {
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const cases: [string, Partial<PlaceOrderInput>, RegExp][] = [
      ["trail without amount", { type: "TRAILING_STOP" }, /exactly one of trailingAmount/],
      ["trail with both", { type: "TRAILING_STOP", trailingAmount: 1, trailingPercent: 1 }, /exactly one/],
      ["trail percent 0", { type: "TRAILING_STOP", trailingPercent: 0 }, /trailingPercent must be above 0/],
      ["trail amount tiny", { type: "TRAILING_STOP", trailingAmount: 1e-9 }, /trailingAmount must be/],
      ["trail on a limit", { type: "LIMIT", limitPrice: 1, trailingAmount: 1 }, /only for TRAILING_STOP/],
      ["TSL without offset", { type: "TRAILING_STOP_LIMIT", trailingAmount: 1 }, /limitOffset is required/],
      [
        "negative offset",
        { type: "TRAILING_STOP_LIMIT", trailingAmount: 1, limitOffset: -1 },
        /limitOffset must/,
      ],
      ["offset on a stop", { type: "STOP", stopPrice: 1, limitOffset: 1 }, /only for TRAILING_STOP_LIMIT/],
      ["MIT without trigger", { type: "MARKET_IF_TOUCHED" }, /triggerPrice is required/],
      ["LIT without limit", { type: "LIMIT_IF_TOUCHED", triggerPrice: 1 }, /limitPrice is required/],
      ["trigger on a market", { type: "MARKET", triggerPrice: 1 }, /triggerPrice must be absent/],
      ["GTD without date", { type: "LIMIT", limitPrice: 1, timeInForce: "GTD" }, /needs goodTillDate/],
      [
        "GTD in the past",
        { type: "LIMIT", limitPrice: 1, timeInForce: "GTD", goodTillDate: new Date(1000).toISOString() },
        /not in the future/,
      ],
      ["date without GTD", { type: "LIMIT", limitPrice: 1, goodTillDate: future }, /needs timeInForce GTD/],
      ["OPG stop", { type: "STOP", stopPrice: 1, timeInForce: "OPG" }, /OPG is only possible/],
      ["MOC GTC", { type: "MARKET_ON_CLOSE", timeInForce: "GTC" }, /day orders/],
      ["FOK stop", { type: "STOP", stopPrice: 1, timeInForce: "FOK" }, /FOK is only possible/],
      ["outsideRth market", { type: "MARKET", outsideRth: true }, /outsideRth is not possible/],
      ["bad ocaGroup", { type: "LIMIT", limitPrice: 1, ocaGroup: "a b" }, /ocaGroup must be/],
      ["empty bracket", { type: "LIMIT", limitPrice: 100, bracket: {} }, /at least one leg/],
      [
        "tp below a buy",
        { type: "LIMIT", limitPrice: 100, bracket: { takeProfitLimitPrice: 99 } },
        /above the entry/,
      ],
      [
        "sl above a buy",
        { type: "LIMIT", limitPrice: 100, bracket: { stopLossStopPrice: 101 } },
        /below the entry/,
      ],
      [
        "tp above a sell",
        { side: "SELL", type: "LIMIT", limitPrice: 100, bracket: { takeProfitLimitPrice: 101 } },
        /below the entry/,
      ],
      [
        "sl limit alone",
        { type: "LIMIT", limitPrice: 100, bracket: { takeProfitLimitPrice: 110, stopLossLimitPrice: 90 } },
        /needs bracket.stopLossStopPrice/,
      ],
      [
        "bracket + oca",
        { type: "LIMIT", limitPrice: 100, ocaGroup: "g", bracket: { takeProfitLimitPrice: 110 } },
        /exclude each other/,
      ],
    ];
    const upstream = async () => ({
      book: brokerage().listOrders().length,
      refs: brokerage().orderRefStats().length,
      writes: (await s.orderWrites()).length,
    });
    const before = await upstream();
    for (const [name, over, message] of cases) {
      for (const api of ["TWS", "CLIENT_PORTAL"] as const) {
        const r = await gql(s.httpUrl, PlaceOrderTermsDocument, { input: input({ ...over, via: api }) });
        assert.deepEqual(codesOf(r), ["BAD_USER_INPUT"], `${name} via ${api}: ${JSON.stringify(r.errors)}`);
        assert.match(r.errors![0]!.message, message, name);
        const p = await gql(s.httpUrl, PreviewOrderDocument, { input: input({ ...over, via: api }) });
        assert.deepEqual(codesOf(p), ["BAD_USER_INPUT"], `preview ${name} via ${api}`);
      }
    }
    assert.deepEqual(await upstream(), before);
  });
});

describe("the safety rules of previewOrder and cancelAllOrders", () => {
  const TRADE = "trade-token-0123456789abcdef";
  const READ = "read-token-0123456789abcdef";
  const LIVE = "U7654321";
  const as = (t: string) => ({ authorization: `Bearer ${t}` });
  let s: SimApp;
  let ro: SimApp;
  before(async () => {
    const env = {
      API_TOKEN: TRADE,
      API_READ_TOKEN: READ,
      IB_ACCOUNTS: `${ACCOUNT},${LIVE}`,
      MAX_ORDER_QUANTITY: "10",
    };
    s = await startSimApp({ env, simulators: { accounts: [ACCOUNT, LIVE] } });
    ro = await startSimApp({ env: { ...env, READ_ONLY: "true" } });
  });
  after(async () => {
    await s.stop();
    await ro.stop();
  });

  it("a read token may preview but not place or cancel all; a preview keeps placeOrder's limits", async () => {
    const preview = await gql(
      s.httpUrl,
      PreviewOrderDocument,
      { input: input({ type: "LIMIT", limitPrice: 10 }) },
      as(READ),
    );
    assert.equal(preview.errors, undefined, JSON.stringify(preview.errors));
    assert.equal(preview.data!.previewOrder.source, "TWS");
    const tooBig = await gql(s.httpUrl, PreviewOrderDocument, { input: input({ quantity: 20 }) }, as(READ));
    assert.deepEqual(codesOf(tooBig), ["FORBIDDEN"]);
    assert.match(tooBig.errors![0]!.message, /MAX_ORDER_QUANTITY/);
    const place = await gql(s.httpUrl, PlaceOrderTermsDocument, { input: input() }, as(READ));
    assert.deepEqual(codesOf(place), ["FORBIDDEN"]);
    const all = await gql(
      s.httpUrl,
      CancelAllOrdersDocument,
      { accountId: ACCOUNT, confirm: true },
      as(READ),
    );
    assert.deepEqual(codesOf(all), ["FORBIDDEN"]);
  });

  it("cancelAllOrders works on a live account without ALLOW_LIVE_TRADING (it only lowers risk)", async () => {
    const b = s.app.simulators!.brokerage;
    const booked = b.placeOrder({
      account: LIVE,
      contract: { conid: AAPL },
      side: "BUY",
      orderType: "LMT",
      quantity: 1,
      limitPrice: 1,
      orderRef: "live-resting",
      api: "CP",
    });
    assert.ok(booked.order);
    const placeLive = await gql(
      s.httpUrl,
      PlaceOrderTermsDocument,
      { input: input({ accountId: LIVE }) },
      as(TRADE),
    );
    assert.deepEqual(codesOf(placeLive), ["LIVE_TRADING_DISABLED"]);
    await eventually(
      "the live order to rest",
      () => b.findOrderByRef("live-resting")?.status === "Submitted",
    );
    const r = await gql(s.httpUrl, CancelAllOrdersDocument, { accountId: LIVE, confirm: true }, as(TRADE));
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    assert.deepEqual(
      r.data!.cancelAllOrders.map((o) => o.clientOrderId),
      ["live-resting"],
    );
    await eventually(
      "the live order cancelled",
      () => b.findOrderByRef("live-resting")?.status === "Cancelled",
    );
  });

  it("READ_ONLY refuses cancelAllOrders and still answers previews", async () => {
    const all = await gql(
      ro.httpUrl,
      CancelAllOrdersDocument,
      { accountId: ACCOUNT, confirm: true },
      as(TRADE),
    );
    assert.deepEqual(codesOf(all), ["READ_ONLY"]);
    const preview = await gql(
      ro.httpUrl,
      PreviewOrderDocument,
      { input: input({ type: "LIMIT", limitPrice: 10 }) },
      as(TRADE),
    );
    assert.equal(preview.errors, undefined, JSON.stringify(preview.errors));
  });
});
