import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  accountTypeOf,
  mapContractInfo,
  mapLiveOrder,
  mapPosition,
  mapSummary,
  mapTrade,
  orderStatusOf,
} from "../src/brokers/client-portal/cp-mapping";
import {
  AccountType,
  BrokerApi,
  OrderSide,
  OrderStatus,
  OrderType,
  SecType,
  TimeInForce,
} from "../src/schema/enums";

const created = new Date("2025-01-10T15:00:00Z");
const firstSeen = () => created;

describe("Client Portal → domain mapping", () => {
  it("maps a live order with IB's string prices, order_ref and partial fill", () => {
    const order = mapLiveOrder(
      {
        acct: "DU7654321",
        conid: 265598,
        orderId: 1873650211,
        cashCcy: "USD",
        ticker: "AAPL",
        secType: "STK",
        listingExchange: "NASDAQ.NMS",
        remainingQuantity: 6.0,
        filledQuantity: 4.0,
        totalSize: 10.0,
        status: "Submitted",
        origOrderType: "LIMIT",
        orderType: "Limit",
        lastExecutionTime_r: 1736523012000,
        order_ref: "bot-20250110-0001",
        timeInForce: "GTC",
        side: "BUY",
        price: "220.00",
        avgPrice: "219.98",
      },
      firstSeen,
    );
    assert.deepEqual(order, {
      id: "1873650211",
      clientOrderId: "bot-20250110-0001",
      accountId: "DU7654321",
      contract: {
        conid: 265598,
        symbol: "AAPL",
        secType: SecType.STK,
        exchange: "NASDAQ.NMS",
        currency: "USD",
      },
      side: OrderSide.BUY,
      type: OrderType.LIMIT,
      quantity: 10,
      limitPrice: 220,
      stopPrice: null,
      timeInForce: TimeInForce.GTC,
      outsideRth: false,
      status: OrderStatus.PARTIALLY_FILLED,
      filledQuantity: 4,
      remainingQuantity: 6,
      averageFillPrice: 219.98,
      source: BrokerApi.CLIENT_PORTAL,
      permId: "1873650211",
      brokerOrderId: "1873650211",
      statusMessage: null,
      createdAt: created,
      updatedAt: new Date(1736523012000),
    });
  });

  it("reads stop and stop-limit prices the Client Portal way", () => {
    const stop = mapLiveOrder(
      {
        acct: "DU1",
        conid: 1,
        orderId: 5,
        origOrderType: "STOP",
        price: "180.5",
        totalSize: 1,
        status: "PreSubmitted",
        side: "SELL",
      },
      firstSeen,
    );
    assert.deepEqual(
      [stop?.type, stop?.stopPrice, stop?.limitPrice, stop?.side],
      [OrderType.STOP, 180.5, null, OrderSide.SELL],
    );
    const stopLimit = mapLiveOrder(
      {
        acct: "DU1",
        conid: 1,
        orderId: 6,
        origOrderType: "STOP_LIMIT",
        price: "181",
        auxPrice: "180",
        totalSize: 1,
        status: "PreSubmitted",
      },
      firstSeen,
    );
    assert.deepEqual(
      [stopLimit?.type, stopLimit?.limitPrice, stopLimit?.stopPrice],
      [OrderType.STOP_LIMIT, 181, 180],
    );
  });

  it("maps IB's status words, whatever their spelling", () => {
    assert.equal(orderStatusOf("PendingSubmit"), OrderStatus.PENDING_SUBMIT);
    assert.equal(orderStatusOf("Pre_Submitted"), OrderStatus.PRE_SUBMITTED);
    assert.equal(orderStatusOf("PendingCancel"), OrderStatus.PENDING_CANCEL);
    assert.equal(orderStatusOf("Cancelled"), OrderStatus.CANCELLED);
    assert.equal(orderStatusOf("Filled"), OrderStatus.FILLED);
    assert.equal(orderStatusOf("Inactive"), OrderStatus.INACTIVE);
    assert.equal(orderStatusOf("WarnState"), OrderStatus.SUBMITTED);
  });

  it("maps executions with their ids, string prices and commissions", () => {
    const t = mapTrade({
      execution_id: "0001f4e8.677f5a1b.01.01",
      side: "B",
      size: 10.0,
      price: "219.98",
      order_ref: "bot-1",
      order_id: 1873650211,
      commission: "1.00",
      account: "DU7654321",
      conid: 265598,
      trade_time: "20250110-15:31:07",
    });
    assert.deepEqual(t, {
      orderId: "1873650211",
      side: OrderSide.BUY,
      accountId: "DU7654321",
      clientOrderId: "bot-1",
      conid: 265598,
      fill: {
        executionId: "0001f4e8.677f5a1b.01.01",
        quantity: 10,
        price: 219.98,
        commission: 1,
        at: new Date("2025-01-10T15:31:07Z"),
      },
    });
  });

  it("maps positions and summaries; IB's unset values become null", () => {
    const asOf = new Date();
    const p = mapPosition(
      {
        acctId: "DU1",
        conid: 265598,
        position: 20,
        mktPrice: 228.41,
        mktValue: 4568.2,
        currency: "USD",
        avgCost: 215.3,
        unrealizedPnl: 262.2,
        realizedPnl: 0,
        assetClass: "STK",
        ticker: "AAPL",
        listingExchange: "NASDAQ",
      },
      asOf,
    );
    assert.equal(p?.quantity, 20);
    assert.equal(p?.contract.symbol, "AAPL");
    assert.equal(p?.source, BrokerApi.CLIENT_PORTAL);
    const option = mapPosition(
      {
        acctId: "DU1",
        conid: 784137896,
        position: 2,
        assetClass: "OPT",
        ticker: "AAPL",
        contractDesc: "AAPL  270115C00190000",
        expiry: "20270115",
        putOrCall: "C",
        strike: "190",
        multiplier: 100,
        undConid: 265598,
      },
      asOf,
    )?.contract;
    assert.deepEqual(
      [option?.lastTradeDate, option?.strike, option?.right, option?.multiplier, option?.underlyingConid],
      ["20270115", 190, "CALL", 100, 265598],
    );
    assert.equal(option?.localSymbol, "AAPL  270115C00190000");
    const s = mapSummary(
      {
        netliquidation: { amount: 100250.13, currency: "USD", isNull: false },
        totalcashvalue: { amount: 0, currency: "USD", isNull: true },
        buyingpower: { amount: 1.7976931348623157e308, currency: "USD", isNull: false },
      },
      asOf,
    );
    assert.deepEqual(
      [s.netLiquidation, s.totalCash, s.buyingPower, s.availableFunds, s.currency],
      [100250.13, null, null, null, "USD"],
    );
  });

  it("tells paper from live by the account id, and reads contract info in either spelling", () => {
    assert.equal(accountTypeOf("DU1234567"), AccountType.PAPER);
    assert.equal(accountTypeOf("DF123456"), AccountType.PAPER);
    assert.equal(accountTypeOf("U1234567"), AccountType.LIVE);
    assert.deepEqual(
      mapContractInfo({
        con_id: 265598,
        symbol: "AAPL",
        instrument_type: "STK",
        exchange: "SMART",
        currency: "USD",
      }),
      {
        conid: 265598,
        symbol: "AAPL",
        secType: SecType.STK,
        exchange: "SMART",
        currency: "USD",
        lastTradeDate: null,
        strike: null,
        right: null,
        multiplier: null,
        tradingClass: null,
        localSymbol: null,
        description: null,
        underlyingConid: null,
      },
    );
    assert.equal(
      mapContractInfo({ conid: "495512563", ticker: "ES", secType: "FUT", maturity_date: "20261218" })
        ?.lastTradeDate,
      "20261218",
    );
    // A secdef/info element of an option (camelCase, right as C/P, multiplier as text).
    const option = mapContractInfo({
      conid: 700000001,
      symbol: "AAPL",
      secType: "OPT",
      exchange: "SMART",
      right: "P",
      strike: 195,
      currency: "USD",
      maturityDate: "20270115",
      multiplier: "100",
      tradingClass: "AAPL",
      underlying_con_id: 265598,
    });
    assert.equal(option?.lastTradeDate, "20270115");
    assert.equal(option?.strike, 195);
    assert.equal(option?.right, "PUT");
    assert.equal(option?.multiplier, 100);
    assert.equal(option?.tradingClass, "AAPL");
    assert.equal(option?.underlyingConid, 265598);
  });
});
