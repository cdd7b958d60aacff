/** Pure checks of the order terms: validation per type, bracket exits, the idempotency fingerprint. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fingerprintOf } from "../src/brokers/idempotency";
import { bracketChildren } from "../src/brokers/order-terms";
import { validatePlaceOrder } from "../src/brokers/order-validation";
import { OrderSide, OrderType, TimeInForce } from "../src/schema/enums";
import type { PlaceOrderInput } from "../src/schema/order.input";

const input = (over: Partial<PlaceOrderInput> = {}): PlaceOrderInput => ({
  accountId: "DU1234567",
  contract: { conid: 265598 },
  side: OrderSide.BUY,
  type: OrderType.LIMIT,
  quantity: 10,
  limitPrice: 100,
  timeInForce: TimeInForce.DAY,
  clientOrderId: "k-1",
  ...over,
});

describe("order validation and terms", () => {
  it("a bracket's key leaves room for the exits' suffixes", () => {
    const bracket = { takeProfitLimitPrice: 110 };
    assert.throws(
      () => validatePlaceOrder(input({ clientOrderId: "x".repeat(62), bracket })),
      /at most 61 characters/,
    );
    assert.ok(validatePlaceOrder(input({ clientOrderId: "x".repeat(61), bracket })).bracket);
  });

  it("the exits of a BUY bracket sell, with derived keys, the entry's quantity and time in force", () => {
    const request = validatePlaceOrder(
      input({
        timeInForce: TimeInForce.GTC,
        bracket: { takeProfitLimitPrice: 110, stopLossStopPrice: 90, stopLossLimitPrice: 89 },
      }),
    );
    assert.deepEqual(
      bracketChildren(request).map((c) => [
        c.role,
        c.request.clientOrderId,
        c.request.side,
        c.request.type,
        c.request.limitPrice,
        c.request.stopPrice,
        c.request.quantity,
        c.request.timeInForce,
      ]),
      [
        ["tp", "k-1.tp", OrderSide.SELL, OrderType.LIMIT, 110, null, 10, TimeInForce.GTC],
        ["sl", "k-1.sl", OrderSide.SELL, OrderType.STOP_LIMIT, 89, 90, 10, TimeInForce.GTC],
      ],
    );
  });

  it("the fingerprint covers the new terms and stays as it was for simple orders", () => {
    const simple = validatePlaceOrder(input());
    const legacy = { ...simple };
    for (const k of [
      "trailingAmount",
      "trailingPercent",
      "limitOffset",
      "triggerPrice",
      "goodTillDate",
      "ocaGroup",
      "bracket",
    ] as const) {
      delete legacy[k];
    }
    delete legacy.outsideRth;
    assert.equal(
      fingerprintOf(simple),
      fingerprintOf(legacy),
      "records stored before these fields still match",
    );
    const trail = (amount: number) =>
      fingerprintOf(
        validatePlaceOrder(
          input({ type: OrderType.TRAILING_STOP, limitPrice: null, trailingAmount: amount }),
        ),
      );
    assert.notEqual(trail(1), trail(2));
    assert.notEqual(fingerprintOf(simple), fingerprintOf(validatePlaceOrder(input({ outsideRth: true }))));
    assert.notEqual(
      fingerprintOf(simple),
      fingerprintOf(validatePlaceOrder(input({ bracket: { takeProfitLimitPrice: 120 } }))),
    );
  });

  it("GTD dates are checked against now and kept to the second", () => {
    const now = new Date("2026-06-01T12:00:00Z");
    const at = new Date("2026-06-02T12:00:00.750Z");
    const r = validatePlaceOrder(input({ timeInForce: TimeInForce.GTD, goodTillDate: at }), now);
    assert.equal(r.goodTillDate?.toISOString(), "2026-06-02T12:00:00.000Z");
    assert.throws(
      () => validatePlaceOrder(input({ timeInForce: TimeInForce.GTD, goodTillDate: now }), now),
      /not in the future/,
    );
  });
});
