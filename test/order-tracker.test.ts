import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OrderTracker } from "../src/brokers/order-tracker";
import { SequencedLog } from "../src/events";
import { BrokerApi, OrderSide, OrderStatus, OrderType, SecType, TimeInForce } from "../src/schema/enums";
import type { Order } from "../src/schema/order.type";

const base: Order = {
  id: "1001",
  clientOrderId: "c-1",
  accountId: "DU1",
  contract: { conid: 265598, symbol: "AAPL", secType: SecType.STK, currency: "USD" },
  side: OrderSide.BUY,
  type: OrderType.MARKET,
  quantity: 10,
  timeInForce: TimeInForce.DAY,
  status: OrderStatus.PRE_SUBMITTED,
  filledQuantity: 0,
  remainingQuantity: 10,
  source: BrokerApi.TWS,
  createdAt: new Date(0),
  updatedAt: new Date(0),
};
const fill = (id: string, qty: number) => ({ executionId: id, quantity: qty, price: 100, at: new Date() });

describe("OrderTracker", () => {
  it("turns IB's repeated reports into one event per real change", () => {
    const t = new OrderTracker({ bufferSize: 100 });
    const types = () => t.log.since(0).map((e) => e.type);
    t.observe({ order: base });
    t.observe({ order: base });
    t.observe({ order: { ...base, status: OrderStatus.SUBMITTED } });
    t.observe({ order: { ...base, status: OrderStatus.SUBMITTED } });
    const partial = { ...base, status: OrderStatus.SUBMITTED, filledQuantity: 4, remainingQuantity: 6 };
    t.observe({ order: partial, fill: fill("e1", 4) });
    t.observe({ order: partial, fill: fill("e1", 4) });
    const done = { ...base, status: OrderStatus.FILLED, filledQuantity: 10, remainingQuantity: 0 };
    t.observe({ order: done, fill: fill("e2", 6) });
    t.observe({ order: done });
    t.observe({ order: done, fill: fill("e2", 6), catchUp: true });
    assert.deepEqual(types(), ["NEW", "SUBMITTED", "STATUS", "PARTIAL_FILL", "FILL"]);
  });

  it("never moves an order backwards on a late report", () => {
    const t = new OrderTracker({ bufferSize: 100 });
    t.observe({ order: { ...base, status: OrderStatus.FILLED, filledQuantity: 10, remainingQuantity: 0 } });
    t.observe({ order: { ...base, status: OrderStatus.SUBMITTED, filledQuantity: 4, remainingQuantity: 6 } });
    const o = t.get("1001")!;
    assert.equal(o.status, OrderStatus.FILLED);
    assert.equal(o.filledQuantity, 10);
  });

  it("keeps what only one API knows when both report an order", () => {
    const t = new OrderTracker({ bufferSize: 100 });
    t.observe({ order: { ...base, brokerOrderId: "7" } });
    t.observe({
      order: { ...base, clientOrderId: null, source: BrokerApi.CLIENT_PORTAL, brokerOrderId: "1001" },
    });
    const o = t.get("1001")!;
    assert.equal(o.clientOrderId, "c-1");
    assert.equal(o.source, BrokerApi.TWS);
    assert.equal(o.brokerOrderId, "7");
  });

  it("gives the placing API's identity precedence over whichever API reported first", () => {
    const t = new OrderTracker({
      bufferSize: 100,
      placedVia: (o) => (o.clientOrderId === "c-1" ? BrokerApi.TWS : undefined),
    });
    t.observe({ order: { ...base, source: BrokerApi.CLIENT_PORTAL, brokerOrderId: "1001" } });
    assert.equal(t.get("1001")?.source, BrokerApi.TWS);
    assert.equal(t.get("1001")?.brokerOrderId, null, "Client Portal's id is not a TWS order id");
    t.observe({ order: { ...base, brokerOrderId: "1000" } });
    assert.equal(t.get("1001")?.brokerOrderId, "1000");
    assert.ok(t.log.since(0).every((e) => e.order.source === BrokerApi.TWS));
  });

  it("reports modifications, cancels and rejects", () => {
    const t = new OrderTracker({ bufferSize: 100 });
    const lmt = { ...base, type: OrderType.LIMIT, limitPrice: 100, status: OrderStatus.SUBMITTED };
    t.observe({ order: lmt });
    t.observe({ order: { ...lmt, limitPrice: 101 } });
    t.observe({ order: { ...lmt, limitPrice: 101, status: OrderStatus.CANCELLED } });
    t.observe({ order: { ...base, id: "1002", status: OrderStatus.REJECTED } });
    assert.deepEqual(
      t.log.since(0).map((e) => e.type),
      ["NEW", "SUBMITTED", "MODIFIED", "CANCELLED", "NEW", "REJECTED"],
    );
  });
});

describe("OrderTracker memory", () => {
  it("forgets long-finished orders and their executions, and only those", () => {
    let now = Date.parse("2026-01-01T00:00:00Z");
    const t = new OrderTracker({ bufferSize: 100, retentionMs: 24 * 3600_000, now: () => now });
    const done = {
      ...base,
      status: OrderStatus.FILLED,
      filledQuantity: 10,
      remainingQuantity: 0,
      updatedAt: new Date(now),
    };
    t.observe({ order: done, fill: fill("e1", 10) });
    t.observe({ order: { ...base, id: "1002", status: OrderStatus.SUBMITTED, updatedAt: new Date(now) } });
    now += 2 * 24 * 3600_000;
    t.observe({ order: { ...base, id: "1003", updatedAt: new Date(now) } });
    assert.equal(t.get("1001"), undefined);
    assert.ok(t.get("1002"), "working orders are kept");
    assert.ok(t.get("1003"));
  });
});

describe("SequencedLog", () => {
  it("replays from the buffer and refuses a cursor it no longer has", async () => {
    const log = new SequencedLog<{ sequence: number; n: number }>({ bufferSize: 3 });
    for (let n = 1; n <= 5; n++) log.append({ n });
    const it = log.subscribe(() => true, 3);
    assert.equal((await it.next()).value?.n, 4);
    assert.equal((await it.next()).value?.n, 5);
    log.append({ n: 6 });
    assert.equal((await it.next()).value?.sequence, 6);
    await it.return?.();
    assert.equal(log.subscriberCount, 0);
    assert.throws(() => log.subscribe(() => true, 1), /older than the replay buffer/);
  });

  it("leaves no subscriber behind when a resume overflows the backlog", () => {
    const log = new SequencedLog<{ sequence: number }>({ bufferSize: 10, subscriberBacklog: 2 });
    for (let i = 0; i < 5; i++) log.append({});
    log.subscribe(() => true, 0);
    assert.equal(log.subscriberCount, 0);
  });

  it("cuts off a subscriber that stops reading instead of growing without bound", async () => {
    const log = new SequencedLog<{ sequence: number }>({ bufferSize: 10, subscriberBacklog: 2 });
    const it = log.subscribe();
    log.append({});
    log.append({});
    log.append({});
    assert.equal(log.subscriberCount, 0);
    await assert.rejects(async () => {
      for (;;) await it.next();
    }, /fell too far behind/);
  });
});
