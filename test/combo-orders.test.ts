/**
 * Combo (BAG) orders through GraphQL against both simulators over real sockets: bad input refused before any order
 * reaches either gateway (their request logs prove it), a resting combo modified (price, quantity) and cancelled
 * through each API, idempotent retries with the legs in the fingerprint, and MAX_ORDER_NOTIONAL on
 * |net| × quantity × multiplier.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CancelOrderDocument,
  ComboOrderDocument,
  ModifyComboDocument,
  PlaceComboDocument,
  PreviewOrderDocument,
  type BrokerApi,
  type ComboLegInput,
  type PlaceOrderInput,
} from "./generated/graphql";
import { gql, gqlData } from "./helpers/graphql";
import { codesOf, startSimApp, type SimApp } from "./helpers/sim-app";
import { eventually } from "./helpers/wait";
import { netMid, type Brokerage, type SimInstrument } from "../src/simulators/brokerage";

const ACCOUNT = "DU1234567";
const APIS: BrokerApi[] = ["TWS", "CLIENT_PORTAL"];
let seq = 0;

/** The first two listed AAPL call expiries a week apart, at the 190 strike. */
function calendarLegs(b: Brokerage): { front: SimInstrument; back: SimInstrument; mid: number } {
  const calls = b
    .instruments()
    .filter((i) => i.secType === "OPT" && i.symbol === "AAPL" && i.strike === 190 && i.right === "C")
    .filter((i) => i.lastTradeDate! > new Date().toISOString().slice(0, 10).replace(/-/g, ""))
    .sort((x, y) => x.lastTradeDate!.localeCompare(y.lastTradeDate!));
  const front = calls[0]!;
  const back = calls[1]!;
  const mid = netMid(
    [
      { instrument: front, ratio: 1, side: "SELL" },
      { instrument: back, ratio: 1, side: "BUY" },
    ],
    (c) => b.quote(c),
  );
  return { front, back, mid };
}

const cents = (x: number): number => Math.round(x * 100) / 100;

describe("combo orders through GraphQL", () => {
  let s: SimApp;
  const brokerage = () => s.app.simulators!.brokerage;
  /** Orders that reached a gateway: TWS placeOrder frames, Client Portal order writes, the book's submissions. */
  const upstream = async () => ({
    twsPlaceOrders: s.app.simulators!.tws.clients().reduce((n, c) => n + (c.requestCounts[3] ?? 0), 0),
    cpOrderWrites: (await s.orderWrites()).length,
    book: brokerage().listOrders().length,
    refs: brokerage().orderRefStats().length,
  });
  const input = (over: Partial<PlaceOrderInput>): PlaceOrderInput => {
    const { front, back, mid } = calendarLegs(brokerage());
    return {
      accountId: ACCOUNT,
      legs: [
        { contract: { conid: front.conid }, ratio: 1, side: "SELL" },
        { contract: { conid: back.conid }, ratio: 1, side: "BUY" },
      ],
      side: "BUY",
      type: "LIMIT",
      quantity: 1,
      limitPrice: cents(mid),
      clientOrderId: `combo-${process.pid}-${++seq}`,
      ...over,
    };
  };

  before(async () => {
    s = await startSimApp({ env: { MAX_ORDER_NOTIONAL: "5000" } });
  });
  after(async () => {
    await s.stop();
  });

  it("refuses bad combos before any order reaches either gateway (BAD_USER_INPUT, NOT_FOUND, AMBIGUOUS_CONTRACT)", async () => {
    const { front, back } = calendarLegs(brokerage());
    const opt = (over: Partial<ComboLegInput["contract"]>): ComboLegInput["contract"] => ({
      symbol: "AAPL",
      secType: "OPT",
      lastTradeDate: back.lastTradeDate,
      strike: 190,
      right: "CALL",
      ...over,
    });
    const leg = (
      contract: ComboLegInput["contract"],
      side: "BUY" | "SELL" = "BUY",
      ratio = 1,
    ): ComboLegInput => ({
      contract,
      ratio,
      side,
    });
    const frontLeg = leg({ conid: front.conid }, "SELL");
    const msft = brokerage()
      .instruments()
      .find((i) => i.secType === "OPT" && i.symbol === "MSFT")!;
    const strikes = [150, 155, 160, 165, 170, 175, 180];
    const cases: [string, Partial<PlaceOrderInput>, string, RegExp][] = [
      ["ratio 0", { legs: [frontLeg, leg({ conid: back.conid }, "BUY", 0)] }, "BAD_USER_INPUT", /ratio/],
      [
        "negative ratio",
        { legs: [frontLeg, leg({ conid: back.conid }, "BUY", -1)] },
        "BAD_USER_INPUT",
        /ratio/,
      ],
      ["one leg", { legs: [frontLeg] }, "BAD_USER_INPUT", /2 to 6 legs/],
      [
        "seven legs",
        { legs: strikes.map((k) => leg(opt({ strike: k }))) },
        "BAD_USER_INPUT",
        /2 to 6 legs \(got 7\)/,
      ],
      [
        "a date that is not a date",
        { legs: [frontLeg, leg(opt({ lastTradeDate: "20261340" }))] },
        "BAD_USER_INPUT",
        /not a date/,
      ],
      [
        "legs on two underlyings (by symbol)",
        { legs: [frontLeg, leg(opt({ symbol: "MSFT", strike: 420 }))] },
        "BAD_USER_INPUT",
        /one underlying/,
      ],
      [
        "legs on two underlyings (by conid)",
        { legs: [frontLeg, leg({ conid: msft.conid })] },
        "BAD_USER_INPUT",
        /one underlying/,
      ],
      [
        "legs in two currencies",
        { legs: [leg(opt({ currency: "USD" }), "SELL"), leg(opt({ strike: 195, currency: "EUR" }))] },
        "BAD_USER_INPUT",
        /one currency/,
      ],
      ["the same contract twice", { legs: [frontLeg, frontLeg] }, "BAD_USER_INPUT", /same contract/],
      ["a strike not in the chain", { legs: [frontLeg, leg(opt({ strike: 191.3 }))] }, "NOT_FOUND", /./],
      ["an unknown conid", { legs: [frontLeg, leg({ conid: 999_999_999 })] }, "NOT_FOUND", /./],
      [
        "a leg by month only (several expiries)",
        { legs: [frontLeg, leg(opt({ lastTradeDate: back.lastTradeDate!.slice(0, 6) }))] },
        "AMBIGUOUS_CONTRACT",
        /contracts/,
      ],
      ["a STOP combo", { type: "STOP", limitPrice: null, stopPrice: 1 }, "BAD_USER_INPUT", /LIMIT or MARKET/],
      ["a conid with legs", { contract: { conid: 265598 } }, "BAD_USER_INPUT", /only name the underlying/],
      [
        "contract naming another underlying",
        { contract: { symbol: "MSFT" } },
        "BAD_USER_INPUT",
        /not the legs' underlying AAPL/,
      ],
      ["a bracket on a combo", { bracket: { takeProfitLimitPrice: 5 } }, "BAD_USER_INPUT", /not possible/],
      ["fractional combos", { quantity: 1.5 }, "BAD_USER_INPUT", /whole number/],
    ];
    const before = await upstream();
    for (const [name, over, code, message] of cases) {
      for (const via of APIS) {
        const r = await gql(s.httpUrl, PlaceComboDocument, { input: input({ ...over, via }) });
        assert.deepEqual(codesOf(r), [code], `${name} via ${via}: ${JSON.stringify(r.errors)}`);
        assert.match(r.errors![0]!.message, message, `${name} via ${via}`);
      }
    }
    const preview = await gql(s.httpUrl, PreviewOrderDocument, { input: input({ via: "TWS" }) });
    assert.deepEqual(codesOf(preview), ["BAD_USER_INPUT"], "IB has no what-if for smart combos");
    assert.deepEqual(await upstream(), before, "no order reached TWS, Client Portal or the book");
  });

  for (const via of APIS) {
    it(`through ${via}: a resting combo is modified (price, quantity) and cancelled; a retry of its key places nothing`, async () => {
      const { mid } = calendarLegs(brokerage());
      const low = cents(mid - 0.5);
      const first = input({ limitPrice: low, via });
      const placed = (await gqlData(s.httpUrl, PlaceComboDocument, { input: first })).placeOrder.order!;
      assert.equal(placed.contract.secType, "BAG");
      assert.equal(placed.legs?.length, 2);
      const book = () => brokerage().getOrder(Number(placed.id))!;
      await eventually("the combo to rest", () => book().status === "Submitted");

      // The same key and terms: the same order; the same key with other legs: a conflict.
      const again = (await gqlData(s.httpUrl, PlaceComboDocument, { input: first })).placeOrder.order!;
      assert.equal(again.id, placed.id);
      const other = await gql(s.httpUrl, PlaceComboDocument, {
        input: { ...first, legs: first.legs!.map((l) => ({ ...l, ratio: 2 })) },
      });
      assert.deepEqual(codesOf(other), ["IDEMPOTENCY_CONFLICT"]);
      assert.equal(
        brokerage()
          .orderRefStats()
          .find((r) => r.orderRef === first.clientOrderId)?.submissions,
        1,
      );

      const lower = cents(low - 0.1);
      const modified = (
        await gqlData(s.httpUrl, ModifyComboDocument, {
          id: placed.id,
          input: { limitPrice: lower, quantity: 3 },
        })
      ).modifyOrder;
      assert.equal(modified.legs?.length, 2);
      await eventually(
        "the book to hold the new terms",
        () => book().limitPrice === lower && book().quantity === 3,
      );
      await eventually("the order through GraphQL to show them", async () => {
        const o = (await gqlData(s.httpUrl, ComboOrderDocument, { id: placed.id })).order;
        return o?.limitPrice === lower && o.quantity === 3 && o.legs?.length === 2 ? o : null;
      });

      await gqlData(s.httpUrl, CancelOrderDocument, { id: placed.id });
      await eventually("the combo to be cancelled", () => book().status === "Cancelled");
      assert.equal(book().filled, 0);
    });
  }

  it("MAX_ORDER_NOTIONAL counts |net limit| × quantity × the legs' multiplier", async () => {
    // 5000 / (100 × net) combos fit; one more does not.
    const { mid } = calendarLegs(brokerage());
    const net = cents(mid - 0.5);
    const fits = Math.floor(5000 / (Math.abs(net) * 100));
    const before = await upstream();
    const r = await gql(s.httpUrl, PlaceComboDocument, {
      input: input({ limitPrice: net, quantity: fits + 1, via: "TWS" }),
    });
    assert.deepEqual(codesOf(r), ["FORBIDDEN"]);
    assert.match(r.errors![0]!.message, /multiplier 100/);
    const credit = await gql(s.httpUrl, PlaceComboDocument, {
      input: input({ limitPrice: -net, quantity: fits + 1, via: "CLIENT_PORTAL" }),
    });
    assert.deepEqual(codesOf(credit), ["FORBIDDEN"], "a credit counts by its size too");
    const market = await gql(s.httpUrl, PlaceComboDocument, {
      input: input({ type: "MARKET", limitPrice: null, via: "TWS" }),
    });
    assert.deepEqual(codesOf(market), ["FORBIDDEN"], "a MARKET combo has no bound");
    assert.deepEqual(await upstream(), before);
    const ok = await gqlData(s.httpUrl, PlaceComboDocument, {
      input: input({ limitPrice: net, quantity: fits, via: "TWS" }),
    });
    assert.ok(ok.placeOrder.order);
    await gqlData(s.httpUrl, CancelOrderDocument, { id: ok.placeOrder.order.id });
  });
});
