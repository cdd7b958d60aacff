/**
 * Combo shapes in both directions without sockets: validation of the legs, the BAG contract, TWS comboLegs, Client
 * Portal's conidex (spread conid, negative ratio = SELL leg) and the legs read back from each.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bagContract, comboLegsOf, rememberLegContracts } from "../src/brokers/combo-orders";
import { conidexOf, cpOrderBody, legsOfConidex, mapLiveOrder } from "../src/brokers/client-portal/cp-mapping";
import { fingerprintOf } from "../src/brokers/idempotency";
import { validatePlaceOrder } from "../src/brokers/order-validation";
import { toIbComboContract, toOrder } from "../src/brokers/tws/tws-mapping";
import type { Contract } from "../src/schema/contract.type";
import { OrderSide, OrderType, SecType, TimeInForce } from "../src/schema/enums";
import type { PlaceOrderInput } from "../src/schema/order.input";

const option = (conid: number, expiry: string): Contract => ({
  conid,
  symbol: "AAPL",
  secType: SecType.OPT,
  exchange: "SMART",
  currency: "USD",
  lastTradeDate: expiry,
  strike: 190,
  right: "CALL" as Contract["right"],
  multiplier: 100,
  localSymbol: `AAPL  ${expiry.slice(2)}C00190000`,
  underlyingConid: 265598,
});
const FRONT = option(700000001, "20261204");
const BACK = option(700000002, "20261211");
const legs = [
  { contract: FRONT, ratio: 1, side: OrderSide.SELL },
  { contract: BACK, ratio: 1, side: OrderSide.BUY },
];

function input(over: Partial<PlaceOrderInput> = {}): PlaceOrderInput {
  return {
    accountId: "DU1234567",
    legs: [
      { contract: { conid: FRONT.conid }, ratio: 1, side: OrderSide.SELL },
      { contract: { conid: BACK.conid }, ratio: 1, side: OrderSide.BUY },
    ],
    side: OrderSide.BUY,
    type: OrderType.LIMIT,
    quantity: 1,
    limitPrice: -0.35,
    timeInForce: TimeInForce.DAY,
    clientOrderId: "cal-1",
    ...over,
  } as PlaceOrderInput;
}

describe("combo mapping", () => {
  it("validates a combo: a negative net limit is a credit; the request is a BAG on the legs' underlying", () => {
    const r = validatePlaceOrder(input({ contract: { symbol: "aapl" } }));
    assert.equal(r.contract.secType, SecType.BAG);
    assert.equal(r.contract.symbol, "AAPL");
    assert.equal(r.limitPrice, -0.35);
    assert.equal(r.legs?.length, 2);
    const bySymbol = input({
      contract: { symbol: "MSFT" },
      legs: [
        {
          contract: {
            symbol: "AAPL",
            secType: SecType.OPT,
            lastTradeDate: "20261204",
            strike: 190,
            right: FRONT.right,
          },
          ratio: 1,
          side: OrderSide.SELL,
        },
        { contract: { conid: BACK.conid }, ratio: 1, side: OrderSide.BUY },
      ],
    });
    // Legs by conid name no symbol: resolveCombo checks those once IB has answered.
    assert.throws(() => validatePlaceOrder(bySymbol), /not the legs' underlying AAPL/);
  });

  it("puts the legs in the idempotency fingerprint", () => {
    const a = validatePlaceOrder(input());
    const b = validatePlaceOrder(
      input({
        legs: [
          { contract: { conid: FRONT.conid }, ratio: 1, side: OrderSide.SELL },
          { contract: { conid: BACK.conid }, ratio: 2, side: OrderSide.BUY },
        ],
      }),
    );
    assert.notEqual(fingerprintOf(a), fingerprintOf(b));
    assert.equal(fingerprintOf(a), fingerprintOf(validatePlaceOrder(input())));
  });

  it("TWS: a BAG with one comboLeg per leg (conId, ratio, action, SMART), read back with the legs' contracts", () => {
    const bag = bagContract(legs);
    assert.equal(bag.conid, 28812380);
    assert.equal(bag.multiplier, 100);
    const ib = toIbComboContract(bag, legs);
    assert.equal(ib.secType, "BAG");
    assert.deepEqual(
      ib.comboLegs?.map((l) => [l.conId, l.ratio, l.action, l.exchange]),
      [
        [FRONT.conid, 1, "SELL", "SMART"],
        [BACK.conid, 1, "BUY", "SMART"],
      ],
    );
    const order = toOrder({
      permId: 5,
      orderId: 1,
      clientId: 0,
      contract: { ...ib, conId: 28812380, tradingClass: "COMB" },
      order: { action: "BUY" as never, totalQuantity: 1, orderType: "LMT" as never, lmtPrice: -0.35 },
      ibStatus: "Submitted",
      filled: 0,
      remaining: 1,
      avgFillPrice: null,
      statusMessage: null,
      createdAt: new Date(0),
      updatedAt: new Date(0),
    });
    assert.equal(order.contract.secType, SecType.BAG);
    assert.equal(order.limitPrice, -0.35);
    assert.deepEqual(
      order.legs?.map((l) => [l.contract.localSymbol, l.side, l.ratio]),
      [
        [FRONT.localSymbol, OrderSide.SELL, 1],
        [BACK.localSymbol, OrderSide.BUY, 1],
      ],
    );
  });

  it("Client Portal: conidex `spread;;;leg/ratio,…` (negative = SELL) and no conid; live orders read back", () => {
    const request = { ...validatePlaceOrder(input()), combo: { legs, contract: bagContract(legs) } };
    const body = cpOrderBody(request, request.combo.contract, true);
    assert.equal(body.conidex, `28812380;;;${FRONT.conid}/-1,${BACK.conid}/1`);
    assert.equal(body.conid, undefined);
    assert.equal(body.price, -0.35);
    assert.equal(
      conidexOf({ conid: 61227082 }, [{ contract: { conid: 1 }, ratio: 2, side: OrderSide.BUY }]),
      "61227082;;;1/2",
    );
    assert.deepEqual(legsOfConidex("28812380;;;1/-2,3/1"), [
      { conid: 1, ratio: 2, side: OrderSide.SELL },
      { conid: 3, ratio: 1, side: OrderSide.BUY },
    ]);
    assert.equal(legsOfConidex("265598"), null);
    rememberLegContracts([FRONT, BACK]);
    const live = mapLiveOrder(
      {
        acct: "DU1234567",
        orderId: 77,
        conid: 28812380,
        conidex: `28812380;;;${FRONT.conid}/-1,${BACK.conid}/1`,
        ticker: "AAPL",
        secType: "BAG",
        cashCcy: "USD",
        side: "BUY",
        orderType: "Limit",
        price: "-0.35",
        totalSize: 1,
        status: "Submitted",
      },
      () => new Date(0),
    )!;
    assert.equal(live.contract.conid, 28812380);
    assert.deepEqual(
      live.legs?.map((l) => [l.contract.conid, l.contract.strike, l.side]),
      [
        [FRONT.conid, 190, OrderSide.SELL],
        [BACK.conid, 190, OrderSide.BUY],
      ],
    );
    // A leg this process never saw: its conid, the combo's symbol.
    assert.deepEqual(
      comboLegsOf({ symbol: "AAPL", currency: "USD" }, [{ conid: 42, ratio: -1, side: OrderSide.SELL }])[0],
      {
        contract: { conid: 42, symbol: "AAPL", secType: SecType.OPT, currency: "USD", exchange: "SMART" },
        ratio: 1,
        side: OrderSide.SELL,
      },
    );
  });
});
