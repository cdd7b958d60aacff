import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { OrderRequest } from "../src/brokers/api-broker";
import { ErrorCode, type AppError } from "../src/errors";
import {
  BrokerApi,
  OrderSide,
  OrderStatus,
  OrderType,
  SecType,
  TimeInForce,
  TwsState,
} from "../src/schema/enums";
import { startSimPair, startTwsAdapter, type SimPair } from "./helpers/tws-harness";
import { eventually } from "./helpers/wait";

const AAPL = 265598;
let seq = 0;

function request(over: Partial<OrderRequest> = {}): OrderRequest {
  return {
    accountId: "DU1234567",
    contract: { symbol: "AAPL", secType: SecType.STK },
    side: OrderSide.BUY,
    type: OrderType.MARKET,
    quantity: 30,
    limitPrice: null,
    stopPrice: null,
    timeInForce: TimeInForce.DAY,
    clientOrderId: `t-${process.pid}-${++seq}`,
    ...over,
  };
}

const code = (c: string) => (e: unknown) => (e as AppError).code === c;

describe("TWS adapter over the simulator", () => {
  let pair: SimPair;
  before(async () => {
    pair = await startSimPair({ partialFills: 3, partialFillIntervalMs: 20 });
  });
  after(async () => {
    await pair.stop();
  });

  it("connects, reads, and reports a market order's partial fills with commissions", async (t) => {
    const { broker, sink } = await startTwsAdapter(pair);
    t.after(() => broker.close());
    assert.equal(broker.status().state, TwsState.CONNECTED);
    assert.equal(broker.status().serverVersion, 193);
    const accounts = await broker.listAccounts();
    assert.deepEqual(
      accounts.map((a) => [a.id, a.type]),
      [["DU1234567", "PAPER"]],
    );
    const summary = await broker.getAccountSummary("DU1234567");
    assert.ok(summary?.netLiquidation && summary.netLiquidation > 0, JSON.stringify(summary));
    assert.equal(summary.currency, "USD");
    const contract = await broker.resolveContract({ symbol: "AAPL", secType: SecType.STK });
    assert.equal(contract.conid, AAPL);
    // This test's own position and fills: other tests of this file trade AAPL in the same book.
    const held = async () =>
      (await broker.listPositions("DU1234567")).find((p) => p.contract.conid === AAPL)?.quantity ?? 0;
    const before = await held();
    const r = request();
    const out = await broker.placeOrder(r, contract);
    assert.ok(out.order);
    const id = out.order.id;
    assert.equal(out.order.clientOrderId, r.clientOrderId);
    assert.equal(out.order.id, out.order.permId);
    assert.match(out.order.brokerOrderId ?? "", /^\d+$/);
    const mine = () => sink.orders.filter((o) => o.fill && o.order.id === id);
    await sink.until(() => mine().length === 3, "3 fills");
    const fills = mine();
    assert.deepEqual(
      fills.map((f) => f.order.filledQuantity),
      [10, 20, 30],
    );
    assert.deepEqual(
      fills.map((f) => f.order.status),
      [OrderStatus.PARTIALLY_FILLED, OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED],
    );
    assert.ok(
      fills.every((f) => f.fill!.commission != null && f.fill!.quantity === 10 && f.fill!.price > 0),
      JSON.stringify(fills.map((f) => f.fill)),
    );
    assert.equal(new Set(fills.map((f) => f.fill!.executionId)).size, 3);
    const positions = await broker.listPositions("DU1234567");
    const aapl = positions.find((p) => p.contract.conid === AAPL);
    assert.equal(aapl?.quantity, before + 30);
    assert.equal(aapl?.source, BrokerApi.TWS);
    assert.equal(typeof aapl?.unrealizedPnl, "number");
    assert.equal(typeof aapl?.marketValue, "number");
  });

  it("rests a limit order, fills it when the price crosses, modifies and cancels another", async (t) => {
    const { broker, sink } = await startTwsAdapter(pair, { clientId: 8 });
    t.after(() => broker.close());
    const contract = await broker.resolveContract({ conid: AAPL });
    const price = pair.brokerage.quote(AAPL)!.last;
    const buy = await broker.placeOrder(
      request({ type: OrderType.LIMIT, limitPrice: price - 5, quantity: 9 }),
      contract,
    );
    assert.equal(buy.order?.status, OrderStatus.SUBMITTED);
    assert.equal(buy.order?.limitPrice, price - 5);
    assert.equal(buy.order?.stopPrice, null);

    const rest = await broker.placeOrder(
      request({ type: OrderType.LIMIT, limitPrice: price - 20, quantity: 5, timeInForce: TimeInForce.GTC }),
      contract,
    );
    const modified = await broker.modifyOrder(rest.order!, { quantity: 7, limitPrice: price - 21 });
    assert.equal(modified.id, rest.order!.id);
    assert.equal(modified.quantity, 7);
    assert.equal(modified.limitPrice, price - 21);
    assert.equal(modified.timeInForce, TimeInForce.GTC);
    assert.equal(pair.brokerage.getOrder(Number(rest.order!.id))?.quantity, 7);

    pair.brokerage.setPrice(AAPL, price - 6);
    await sink.until(
      () => sink.orders.some((o) => o.order.id === buy.order!.id && o.order.status === OrderStatus.FILLED),
      "limit order filled after the price move",
    );
    const cancelled = await broker.cancelOrder(modified);
    assert.ok([OrderStatus.CANCELLED, OrderStatus.PENDING_CANCEL].includes(cancelled.status));
    await sink.until(
      () =>
        sink.orders.some((o) => o.order.id === rest.order!.id && o.order.status === OrderStatus.CANCELLED),
      "cancel confirmed",
    );
    // Cancelling it again: IB says it cannot be cancelled (10148).
    await assert.rejects(broker.cancelOrder(modified), (e: AppError) => {
      assert.equal(e.code, ErrorCode.ORDER_REJECTED);
      assert.equal(e.details.ibCode, 10148);
      return true;
    });
  });

  it("reports each order state once: not again for the orderStatus after its openOrder, nor on a re-listing", async (t) => {
    const { broker, sink } = await startTwsAdapter(pair, { clientId: 10 });
    t.after(() => broker.close());
    const contract = await broker.resolveContract({ conid: AAPL });
    const price = pair.brokerage.quote(AAPL)!.last;
    const placed = await broker.placeOrder(
      request({ type: OrderType.LIMIT, limitPrice: price - 30, quantity: 1 }),
      contract,
    );
    const id = placed.order!.id;
    // Each listing makes TWS send the order's openOrder and orderStatus again, after the first pair.
    await broker.listOrders();
    await broker.listOrders();
    assert.equal((await broker.findByClientOrderId(placed.order!.clientOrderId!))?.id, id);
    assert.deepEqual(
      sink.orders.filter((o) => o.order.id === id).map((o) => o.order.status),
      [OrderStatus.SUBMITTED],
    );
    await broker.cancelOrder(placed.order!);
    await sink.until(
      () => sink.orders.some((o) => o.order.id === id && o.order.status === OrderStatus.CANCELLED),
      "cancel confirmed",
    );
  });

  it("maps rejections: unknown contract, insufficient buying power, unmanaged account", async (t) => {
    const { broker } = await startTwsAdapter(pair, { clientId: 9 });
    t.after(() => broker.close());
    await assert.rejects(
      broker.resolveContract({ symbol: "NOPE", secType: SecType.STK }),
      code(ErrorCode.NOT_FOUND),
    );
    const contract = await broker.resolveContract({ conid: AAPL });
    await assert.rejects(broker.placeOrder(request({ quantity: 1_000_000 }), contract), (e: AppError) => {
      assert.equal(e.code, ErrorCode.ORDER_REJECTED);
      assert.equal(e.details.ibCode, 201);
      assert.match(String(e.details.reason), /buying power|margin|funds/i);
      return true;
    });
    await assert.rejects(
      broker.placeOrder(request({ accountId: "DU999" }), contract),
      code(ErrorCode.NOT_FOUND),
    );
  });

  it("reports every fill once, in order, across a drop in the middle of the fills", async (t) => {
    const slow = await startSimPair({ partialFills: 6, partialFillIntervalMs: 80 });
    t.after(() => slow.stop());
    const { broker, sink } = await startTwsAdapter(slow, { clientId: 11 });
    t.after(() => broker.close());
    const contract = await broker.resolveContract({ conid: AAPL });
    const placed = await broker.placeOrder(request({ quantity: 60 }), contract);
    await sink.until(() => sink.orders.filter((o) => o.fill).length >= 2, "first fills");
    slow.sim.control.disconnectAll({ refuseMs: 250 });
    await sink.until(
      () =>
        sink.orders.some((o) => o.order.id === placed.order!.id && o.order.filledQuantity === 60 && o.fill),
      "all fills, some caught up after the reconnect",
      6000,
    );
    const fills = sink.orders.filter((o) => o.fill && o.order.id === placed.order!.id);
    assert.deepEqual(
      fills.map((f) => f.order.filledQuantity),
      [10, 20, 30, 40, 50, 60],
    );
    assert.equal(new Set(fills.map((f) => f.fill!.executionId)).size, 6);
    assert.ok(
      fills.some((f) => f.catchUp),
      "fills made while disconnected are marked catch-up",
    );
    const brokerExecs = slow.brokerage.executions().map((e) => e.execId);
    assert.deepEqual(
      fills.map((f) => f.fill!.executionId),
      brokerExecs,
    );
  });

  it("finds an order by clientOrderId through open orders, completed orders and executions", async (t) => {
    const { broker } = await startTwsAdapter(pair, { clientId: 12 });
    t.after(() => broker.close());
    const contract = await broker.resolveContract({ conid: AAPL });
    const r = request({ quantity: 3 });
    const placed = await broker.placeOrder(r, contract);
    await pair.brokerage.whenIdle();
    const other = await startTwsAdapter(pair, { clientId: 13 });
    t.after(() => other.broker.close());
    const found = await other.broker.findByClientOrderId(r.clientOrderId);
    assert.equal(found?.id, placed.order!.id);
    assert.equal(found?.status, OrderStatus.FILLED);
    assert.equal(await other.broker.findByClientOrderId("never-sent"), null);
  });

  it("keeps outgoing messages under IB's 50/s: 60 placements at once are all acknowledged", async (t) => {
    const own = await startSimPair();
    t.after(() => own.stop());
    const { broker } = await startTwsAdapter(own, { clientId: 14, ackTimeoutMs: 10_000 });
    t.after(() => broker.close());
    const contract = await broker.resolveContract({ conid: AAPL });
    const price = own.brokerage.quote(AAPL)!.last;
    const placed = await Promise.all(
      Array.from({ length: 60 }, () =>
        broker.placeOrder(request({ type: OrderType.LIMIT, limitPrice: price - 30, quantity: 1 }), contract),
      ),
    );
    assert.equal(new Set(placed.map((p) => p.order!.id)).size, 60);
    assert.equal(own.brokerage.listOrders().length, 60);
  });

  it("follows orders of another client id by reconciling, since TWS sends their changes only to their owner", async (t) => {
    const own = await startSimPair();
    t.after(() => own.stop());
    const a = await startTwsAdapter(own, { clientId: 70 });
    const contract = await a.broker.resolveContract({ conid: AAPL });
    const price = own.brokerage.quote(AAPL)!.last;
    const placed = await a.broker.placeOrder(
      request({ type: OrderType.LIMIT, limitPrice: price - 4, quantity: 2 }),
      contract,
    );
    await a.broker.close();
    const b = await startTwsAdapter(own, { clientId: 71 });
    t.after(() => b.broker.close());
    const id = placed.order!.id;
    await b.sink.until(
      () => b.sink.orders.some((o) => o.order.id === id),
      "the other client's order is known",
    );
    own.brokerage.setPrice(AAPL, price - 5);
    await b.sink.until(
      () =>
        b.sink.orders.some((o) => o.order.id === id && o.order.status === OrderStatus.FILLED && o.catchUp),
      "its fill seen by polling",
    );
    await assert.rejects(b.broker.cancelOrder(placed.order!), code(ErrorCode.ORDER_REJECTED));
  });

  it("keeps positions right when one goes flat, with market value and PnL", async (t) => {
    const own = await startSimPair();
    t.after(() => own.stop());
    const { broker } = await startTwsAdapter(own, { clientId: 15 });
    t.after(() => broker.close());
    const aapl = await broker.resolveContract({ conid: AAPL });
    const msft = await broker.resolveContract({ symbol: "MSFT", secType: SecType.STK });
    const spy = await broker.resolveContract({ symbol: "SPY", secType: SecType.STK });
    await broker.placeOrder(request({ quantity: 5 }), aapl);
    await broker.placeOrder(request({ quantity: 6, contract: { conid: msft.conid } }), msft);
    await broker.placeOrder(request({ quantity: 7, contract: { conid: spy.conid } }), spy);
    await own.brokerage.whenIdle();
    await broker.placeOrder(request({ quantity: 5, side: OrderSide.SELL }), aapl);
    await own.brokerage.whenIdle();
    const positions = await eventually(
      "two positions once AAPL is flat",
      async () => {
        const list = await broker.listPositions();
        return list.length === 2 && list;
      },
      3000,
    );
    assert.deepEqual(positions.map((p) => [p.contract.symbol, p.quantity]).sort(), [
      ["MSFT", 6],
      ["SPY", 7],
    ]);
    for (const p of positions) {
      assert.equal(typeof p.marketPrice, "number", JSON.stringify(p));
      assert.equal(typeof p.unrealizedPnl, "number");
      assert.equal(p.accountId, "DU1234567");
    }
  });

  it("keeps order ids and request ids apart when TWS hands out small order ids, as real TWS does", async (t) => {
    const own = await startSimPair({}, 0, { firstOrderId: 1 });
    t.after(() => own.stop());
    const { broker } = await startTwsAdapter(own, { clientId: 16 });
    t.after(() => broker.close());
    const contract = await broker.resolveContract({ conid: AAPL });
    const price = own.brokerage.quote(AAPL)!.last;
    const placed = [];
    for (let i = 0; i < 4; i++) {
      placed.push(
        await broker.placeOrder(
          request({ type: OrderType.LIMIT, limitPrice: price - 40, quantity: 1 }),
          contract,
        ),
      );
    }
    assert.deepEqual(
      placed.map((p) => Number(p.order!.brokerOrderId)),
      [1, 2, 3, 4],
    );
    // Error 202 for orders 1-4 must neither end the account streams nor fail unrelated requests.
    for (const p of placed) await broker.cancelOrder(p.order!);
    await own.brokerage.whenIdle();
    assert.ok((await broker.getAccountSummary("DU1234567"))?.netLiquidation);
    await assert.rejects(
      broker.resolveContract({ symbol: "NOPE", secType: SecType.STK }),
      code(ErrorCode.NOT_FOUND),
    );
    const next = await broker.placeOrder(request({ quantity: 1 }), contract);
    assert.equal(next.order!.brokerOrderId, "5");
  });

  it("as client 0, sees the orders of other clients and of TWS itself as they change", async (t) => {
    const own = await startSimPair();
    t.after(() => own.stop());
    const master = await startTwsAdapter(own, { clientId: 0, pollIntervalMs: 0 });
    t.after(() => master.broker.close());
    const other = await startTwsAdapter(own, { clientId: 17 });
    t.after(() => other.broker.close());
    const contract = await other.broker.resolveContract({ conid: AAPL });
    const price = own.brokerage.quote(AAPL)!.last;
    const placed = await other.broker.placeOrder(
      request({ type: OrderType.LIMIT, limitPrice: price - 4, quantity: 2 }),
      contract,
    );
    const id = placed.order!.id;
    await master.sink.until(
      () => master.sink.orders.some((o) => o.order.id === id),
      "client 0 sees the new order",
    );
    own.brokerage.setPrice(AAPL, price - 5);
    await master.sink.until(
      () =>
        master.sink.orders.some(
          (o) => o.order.id === id && o.order.status === OrderStatus.FILLED && !o.catchUp,
        ),
      "client 0 sees the fill live, without polling",
    );
  });
});
