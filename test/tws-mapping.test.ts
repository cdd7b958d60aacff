import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { placementError, cancelError, isFatalForOrder, reasonOf } from "../src/brokers/tws/tws-errors";
import { accountTypeOf } from "../src/brokers/order-terms";
import {
  ibNumber,
  parseIbTime,
  toAccountSummary,
  toIbOrder,
  toOrder,
  toOrderStatus,
  toOrderType,
  toTimeInForce,
  type TwsOrderView,
} from "../src/brokers/tws/tws-mapping";
import { ErrorCode } from "../src/errors";
import { AccountType, OrderSide, OrderStatus, OrderType, TimeInForce } from "../src/schema/enums";

describe("TWS → domain mapping", () => {
  it("turns IB's unset markers into null", () => {
    assert.equal(ibNumber(1.7976931348623157e308), null);
    assert.equal(ibNumber("1.7976931348623157E308"), null);
    assert.equal(ibNumber(2147483647), null);
    assert.equal(ibNumber(Number.NaN), null);
    assert.equal(ibNumber(Infinity), null);
    assert.equal(ibNumber(undefined), null);
    assert.equal(ibNumber(""), null);
    assert.equal(ibNumber(0), 0);
    assert.equal(ibNumber("190.25"), 190.25);
    assert.equal(ibNumber(-5), -5);
  });

  it("maps IB statuses with fill counts", () => {
    assert.equal(toOrderStatus("PreSubmitted", 0, 10), OrderStatus.PRE_SUBMITTED);
    assert.equal(toOrderStatus("Submitted", 0, 10), OrderStatus.SUBMITTED);
    assert.equal(toOrderStatus("Submitted", 4, 6), OrderStatus.PARTIALLY_FILLED);
    assert.equal(toOrderStatus("Filled", 10, 0), OrderStatus.FILLED);
    assert.equal(toOrderStatus("PendingCancel", 0, 10), OrderStatus.PENDING_CANCEL);
    assert.equal(toOrderStatus("ApiCancelled", 0, 10), OrderStatus.CANCELLED);
    assert.equal(toOrderStatus("Cancelled", 3, 7), OrderStatus.CANCELLED);
    assert.equal(toOrderStatus("Inactive", 0, 10), OrderStatus.INACTIVE);
    assert.equal(toOrderStatus("PendingSubmit", 0, 10), OrderStatus.PENDING_SUBMIT);
    assert.equal(toOrderStatus("ApiPending", 0, 10), OrderStatus.PENDING_SUBMIT);
  });

  it("maps order types, times in force and accounts", () => {
    assert.equal(toOrderType({ orderType: "STP LMT" as never }), OrderType.STOP_LIMIT);
    assert.equal(toOrderType({ orderType: "TRAIL" as never }), OrderType.TRAILING_STOP);
    assert.equal(toOrderType({ orderType: "REL" as never, lmtPrice: 10 }), OrderType.LIMIT);
    assert.equal(toOrderType({ orderType: "MOC" as never }), OrderType.MARKET_ON_CLOSE);
    assert.equal(toOrderType({ orderType: "MIDPRICE" as never }), OrderType.MIDPRICE);
    assert.equal(toTimeInForce("GTD"), TimeInForce.GTD);
    assert.equal(toTimeInForce("FOK"), TimeInForce.FOK);
    assert.equal(toTimeInForce(""), TimeInForce.DAY);
    assert.equal(accountTypeOf("DU1234567"), AccountType.PAPER);
    assert.equal(accountTypeOf("U1234567"), AccountType.LIVE);
  });

  it("builds a whole IB order with the clientOrderId as orderRef", () => {
    const o = toIbOrder({
      accountId: "DU1",
      side: OrderSide.SELL,
      type: OrderType.STOP_LIMIT,
      quantity: 5,
      limitPrice: 99,
      stopPrice: 100,
      timeInForce: TimeInForce.GTC,
      clientOrderId: "bot-1",
    });
    assert.deepEqual(
      { ...o },
      {
        action: "SELL",
        totalQuantity: 5,
        orderType: "STP LMT",
        lmtPrice: 99,
        auxPrice: 100,
        tif: "GTC",
        account: "DU1",
        orderRef: "bot-1",
        transmit: true,
      },
    );
  });

  it("renders a record: permId as id, TWS orderId as brokerOrderId, no stop price on a limit order", () => {
    const now = new Date();
    const rec: TwsOrderView = {
      permId: 1928374001,
      orderId: 1001,
      clientId: 7,
      contract: {
        conId: 265598,
        symbol: "AAPL",
        secType: "STK" as never,
        exchange: "SMART",
        currency: "USD",
      },
      order: {
        action: "BUY" as never,
        totalQuantity: 10,
        orderType: "LMT" as never,
        lmtPrice: 190,
        auxPrice: 0,
        tif: "DAY",
        account: "DU1234567",
        orderRef: "k1",
      },
      ibStatus: "Submitted",
      filled: 4,
      remaining: 6,
      avgFillPrice: 189.9,
      statusMessage: null,
      createdAt: now,
      updatedAt: now,
    };
    const o = toOrder(rec);
    assert.equal(o.id, "1928374001");
    assert.equal(o.brokerOrderId, "1001");
    assert.equal(o.clientOrderId, "k1");
    assert.equal(o.limitPrice, 190);
    assert.equal(o.stopPrice, null);
    assert.equal(o.status, OrderStatus.PARTIALLY_FILLED);
    assert.equal(o.averageFillPrice, 189.9);
    assert.equal(toOrder({ ...rec, orderId: 0, filled: 0, remaining: null }).brokerOrderId, null);
    assert.equal(toOrder({ ...rec, filled: 0, remaining: null }).averageFillPrice, null);
  });

  it("reads IB's time texts", () => {
    assert.equal(parseIbTime("20260413 15:27:04 US/Eastern")?.toISOString(), "2026-04-13T19:27:04.000Z");
    assert.equal(
      parseIbTime("20260113 15:27:04 America/New_York")?.toISOString(),
      "2026-01-13T20:27:04.000Z",
    );
    assert.equal(parseIbTime("20231116-12:15:35")?.toISOString(), "2023-11-16T12:15:35.000Z");
    assert.equal(parseIbTime("20250102 09:30:00 EST")?.toISOString(), "2025-01-02T14:30:00.000Z");
    assert.equal(parseIbTime("1735828200")?.toISOString(), "2025-01-02T14:30:00.000Z");
    assert.equal(parseIbTime("garbage"), null);
  });

  it("reads account summary values, skipping unset ones", () => {
    const v = (value: string) => new Map([["USD", { value, ingressTm: 1_700_000_000_000 }]]);
    const s = toAccountSummary(
      new Map([
        ["NetLiquidation", v("1000000.00")],
        ["TotalCashValue", v("999000.5")],
        ["BuyingPower", v("1.7976931348623157E308")],
      ]),
    );
    assert.equal(s.netLiquidation, 1_000_000);
    assert.equal(s.totalCash, 999000.5);
    assert.equal(s.buyingPower, null);
    assert.equal(s.availableFunds, null);
    assert.equal(s.currency, "USD");
    assert.equal(s.asOf.getTime(), 1_700_000_000_000);
  });
});

describe("TWS error mapping", () => {
  it("maps placement errors to typed errors with IB's code and reason", () => {
    const rejected = placementError(
      { code: 201, message: "Order rejected - reason:Insufficient buying power", id: 5 },
      "k",
    );
    assert.equal(rejected.code, ErrorCode.ORDER_REJECTED);
    assert.equal(rejected.details.ibCode, 201);
    assert.equal(rejected.details.reason, "Insufficient buying power");
    const noContract = placementError(
      { code: 200, message: "No security definition has been found", id: 5 },
      "k",
    );
    assert.equal(noContract.code, ErrorCode.NOT_FOUND);
    assert.equal(cancelError({ code: 10147, message: "not found", id: 5 }, "9").code, ErrorCode.NOT_FOUND);
    assert.equal(cancelError({ code: 10148, message: "cannot", id: 5 }, "9").code, ErrorCode.ORDER_REJECTED);
    assert.equal(reasonOf("Order Canceled - reason:"), "Order Canceled - reason:");
  });

  it("tells warnings from fatal order errors", () => {
    assert.equal(isFatalForOrder(201, "Order rejected"), true);
    assert.equal(isFatalForOrder(103, "Duplicate order id"), true);
    assert.equal(
      isFatalForOrder(399, "Order Message: Warning: your order will not be placed at the exchange until"),
      false,
    );
    assert.equal(
      isFatalForOrder(2109, "Order Event Warning: Attribute 'Outside Regular Trading Hours' is ignored"),
      false,
    );
    assert.equal(isFatalForOrder(110, "The price does not conform to the minimum price variation"), true);
  });
});
