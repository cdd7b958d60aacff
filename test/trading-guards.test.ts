import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isAppError } from "../src/errors";
import type { OrderTerms } from "../src/brokers/order-terms";
import {
  checkLimits,
  checkLive,
  checkWritable,
  worstCasePrice,
  type TradingGuards,
} from "../src/brokers/trading-guards";
import { OrderSide, OrderType, TimeInForce, TradingMode } from "../src/schema/enums";
import { DEFAULT_GUARDS } from "./helpers/memory-app";

const AAPL = 265598;
const LAST = 189.91;

const terms = (over: Partial<OrderTerms>): OrderTerms => ({
  accountId: "DU1234567",
  side: OrderSide.BUY,
  type: OrderType.LIMIT,
  quantity: 1,
  limitPrice: 100,
  stopPrice: null,
  timeInForce: TimeInForce.DAY,
  clientOrderId: "k",
  ...over,
});

const guards = (over: Partial<TradingGuards>): TradingGuards => ({ ...DEFAULT_GUARDS, ...over });

/** A market price source that counts how often it was asked. */
function market(price: number | null) {
  const source = { asked: 0, price: async () => (source.asked++, price) };
  return source;
}

/** The refusal `checkLimits` throws, or null when the order passes. */
async function refusal(g: TradingGuards, t: OrderTerms, price: number | null) {
  try {
    await checkLimits(g, t, market(price).price, AAPL);
    return null;
  } catch (e) {
    assert.ok(isAppError(e), String(e));
    return { code: e.code, message: e.message };
  }
}

describe("worst-case price of an order", () => {
  it("is the limit for a buy with a limit: IB never fills it above the limit", () => {
    assert.equal(worstCasePrice(terms({ limitPrice: 100 }), null), 100);
    assert.equal(worstCasePrice(terms({ limitPrice: 100 }), 500), 100);
    const stopLimit = terms({ type: OrderType.STOP_LIMIT, limitPrice: 90, stopPrice: 95 });
    assert.equal(worstCasePrice(stopLimit, 500), 90);
  });

  it("is the market for a sell limit far below it: it fills at the market, not at its limit", () => {
    assert.equal(worstCasePrice(terms({ side: OrderSide.SELL, limitPrice: 0.01 }), LAST), LAST);
    assert.equal(worstCasePrice(terms({ side: OrderSide.SELL, limitPrice: 1e-320 }), LAST), LAST);
    assert.equal(worstCasePrice(terms({ side: OrderSide.SELL, limitPrice: 300 }), LAST), 300);
  });

  it("is the larger of the stop and the market for a stop, and the market for a market order", () => {
    const stop = (side: OrderSide, stopPrice: number) =>
      terms({ side, type: OrderType.STOP, limitPrice: null, stopPrice });
    assert.equal(worstCasePrice(stop(OrderSide.BUY, 0.01), LAST), LAST);
    assert.equal(worstCasePrice(stop(OrderSide.BUY, 600), LAST), 600);
    assert.equal(worstCasePrice(stop(OrderSide.SELL, 0.01), LAST), LAST);
    assert.equal(worstCasePrice(terms({ type: OrderType.MARKET, limitPrice: null }), LAST), LAST);
  });

  it("is unknown when the order depends on the market and no sane market price is known", () => {
    for (const m of [null, 0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.equal(worstCasePrice(terms({ type: OrderType.MARKET, limitPrice: null }), m), null, String(m));
      assert.equal(worstCasePrice(terms({ side: OrderSide.SELL, limitPrice: 1 }), m), null, String(m));
    }
  });
});

describe("MAX_ORDER_QUANTITY and MAX_ORDER_NOTIONAL", () => {
  const g = guards({ maxOrderQuantity: 1000, maxOrderNotional: 50_000 });

  it("refuses the quantity over MAX_ORDER_QUANTITY before asking for a price", async () => {
    const m = market(LAST);
    await assert.rejects(
      checkLimits(g, terms({ quantity: 1001, limitPrice: 1 }), m.price, AAPL),
      /quantity 1001 exceeds MAX_ORDER_QUANTITY 1000/,
    );
    assert.equal(m.asked, 0);
  });

  it("refuses SELL LIMIT 1000 @ 0.01 and BUY STOP 1000 stop 0.01 at the market (189,910 > 50,000)", async () => {
    for (const t of [
      terms({ side: OrderSide.SELL, quantity: 1000, limitPrice: 0.01 }),
      terms({ side: OrderSide.SELL, quantity: 1000, limitPrice: 1e-320 }),
      terms({ type: OrderType.STOP, quantity: 1000, limitPrice: null, stopPrice: 0.01 }),
      terms({ type: OrderType.MARKET, quantity: 1000, limitPrice: null }),
    ]) {
      const r = await refusal(g, t, LAST);
      assert.equal(r?.code, "FORBIDDEN", JSON.stringify(t));
      assert.match(r?.message ?? "", /notional 189910\.00 exceeds MAX_ORDER_NOTIONAL 50000/);
    }
  });

  it("refuses an order that depends on the market when no price is known", async () => {
    for (const t of [
      terms({ type: OrderType.MARKET, limitPrice: null }),
      terms({ side: OrderSide.SELL, limitPrice: 0.01 }),
      terms({ type: OrderType.STOP, limitPrice: null, stopPrice: 0.01 }),
    ]) {
      const r = await refusal(g, t, null);
      assert.equal(r?.code, "FORBIDDEN");
      assert.match(r?.message ?? "", /no market price is known/);
    }
  });

  it("prices a buy limit at its limit without asking the market", async () => {
    const m = market(null);
    await checkLimits(g, terms({ quantity: 1000, limitPrice: 50 }), m.price, AAPL);
    assert.equal(m.asked, 0);
    assert.equal((await refusal(g, terms({ quantity: 1000, limitPrice: 50.01 }), null))?.code, "FORBIDDEN");
  });

  it("lets orders within both limits through, and asks nothing when no limit is set", async () => {
    assert.equal(
      await refusal(g, terms({ side: OrderSide.SELL, quantity: 100, limitPrice: 0.01 }), LAST),
      null,
    );
    const m = market(null);
    await checkLimits(
      DEFAULT_GUARDS,
      terms({ type: OrderType.MARKET, limitPrice: null, quantity: 1e6 }),
      m.price,
      AAPL,
    );
    assert.equal(m.asked, 0);
  });
});

describe("live trading and read-only", () => {
  it("refuses a live account or a LIVE server unless ALLOW_LIVE_TRADING", () => {
    assert.throws(() => checkLive(DEFAULT_GUARDS, "U1234567", TradingMode.PAPER), /ALLOW_LIVE_TRADING/);
    assert.throws(() => checkLive(DEFAULT_GUARDS, "DU1234567", TradingMode.LIVE), /ALLOW_LIVE_TRADING/);
    checkLive(DEFAULT_GUARDS, "DU1234567", TradingMode.PAPER);
    checkLive(DEFAULT_GUARDS, "DF1234567", TradingMode.SIMULATED);
    checkLive(guards({ allowLiveTrading: true }), "U1234567", TradingMode.LIVE);
  });

  it("answers FORBIDDEN to a read-only token and READ_ONLY to a read-only server or IB user", () => {
    const code = (fn: () => void) => {
      try {
        fn();
        return null;
      } catch (e) {
        return isAppError(e) ? e.code : String(e);
      }
    };
    assert.equal(
      code(() => checkWritable(DEFAULT_GUARDS, false, false)),
      "FORBIDDEN",
    );
    assert.equal(
      code(() => checkWritable(guards({ readOnly: true }), true, false)),
      "READ_ONLY",
    );
    assert.equal(
      code(() => checkWritable(DEFAULT_GUARDS, true, true)),
      "READ_ONLY",
    );
    assert.equal(
      code(() => checkWritable(DEFAULT_GUARDS, true, false)),
      null,
    );
  });
});
