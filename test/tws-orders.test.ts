import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  CancelOrderDocument,
  ModifyOrderDocument,
  OrderUpdatesDocument,
  PlaceOrderDocument,
  type OrderUpdatesSubscription,
  type PlaceOrderInput,
} from "./generated/graphql";
import { gql, gqlData, Subscription, wsClient } from "./helpers/graphql";
import { startTwsApp, type TwsApp } from "./helpers/tws-app";
import { startSimPair, type SimPair } from "./helpers/tws-harness";
import { eventually } from "./helpers/wait";

type Event = OrderUpdatesSubscription["orderUpdates"];
const AAPL = 265598;
let seq = 0;

function input(over: Partial<PlaceOrderInput> = {}): PlaceOrderInput {
  return {
    accountId: "DU1234567",
    contract: { symbol: "AAPL", secType: "STK" },
    side: "BUY",
    type: "MARKET",
    quantity: 30,
    clientOrderId: `e2e-${process.pid}-${++seq}`,
    ...over,
  };
}

const dirs: string[] = [];
async function dataDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "tws-e2e-"));
  dirs.push(d);
  return d;
}
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** Subscribes to orderUpdates and waits until the server has registered the subscriber. */
async function subscribe(app: TwsApp, variables: { afterSequence?: number } = {}) {
  const client = wsClient(app.server.wsUrl);
  const subscribed = app.subscribed();
  const sub = new Subscription(client, OrderUpdatesDocument, variables);
  await subscribed;
  return {
    sub,
    close: async () => {
      sub.dispose();
      await client.dispose();
    },
  };
}

/** Events of one order until `done` holds for one of them. */
async function eventsUntil(
  sub: Subscription<OrderUpdatesSubscription>,
  orderId: string | (() => string | undefined),
  done: (e: Event) => boolean,
  timeoutMs = 6000,
): Promise<Event[]> {
  const id = () => (typeof orderId === "string" ? orderId : orderId());
  const all = await sub.until((d) => d.orderUpdates.order.id === id() && done(d.orderUpdates), timeoutMs);
  return all.map((d) => d.orderUpdates).filter((e) => e.order.id === id());
}

function assertIncreasing(events: Event[]): void {
  for (let i = 1; i < events.length; i++) {
    assert.ok(
      events[i]!.sequence > events[i - 1]!.sequence,
      `sequence ${events[i]!.sequence} after ${events[i - 1]!.sequence}`,
    );
  }
}

describe("TWS end to end through GraphQL", () => {
  let pair: SimPair;
  let app: TwsApp;
  before(async () => {
    pair = await startSimPair({ partialFills: 3, partialFillIntervalMs: 20 });
    app = await startTwsApp(pair, await dataDir());
  });
  after(async () => {
    await app.stop();
    await pair.stop();
  });

  it("streams a market order's partial fills once each, in order, with commissions", async (t) => {
    const { sub, close } = await subscribe(app);
    t.after(close);
    const placed = await gqlData(app.server.httpUrl, PlaceOrderDocument, { input: input() });
    const order = placed.placeOrder.order!;
    assert.equal(order.source, "TWS");
    assert.equal(order.permId, order.id);
    const events = await eventsUntil(sub, order.id, (e) => e.type === "FILL");
    assertIncreasing(events);
    assert.deepEqual(
      events.map((e) => e.type),
      ["NEW", "SUBMITTED", "PARTIAL_FILL", "PARTIAL_FILL", "FILL"],
    );
    const fills = events.filter((e) => e.fill);
    assert.deepEqual(
      fills.map((e) => [e.fill!.quantity, e.order.filledQuantity]),
      [
        [10, 10],
        [10, 20],
        [10, 30],
      ],
    );
    // IB's per-order minimum lands on the first execution; later ones may cost nothing more.
    assert.ok(fills.every((e) => typeof e.fill!.commission === "number" && e.fill!.commission >= 0));
    assert.ok(fills.reduce((sum, e) => sum + e.fill!.commission!, 0) > 0);
    assert.ok(fills.every((e) => !e.catchUp));
  });

  it("rests a limit order, modifies it, fills it on a price move; cancels another", async (t) => {
    const { sub, close } = await subscribe(app);
    t.after(close);
    const price = pair.brokerage.quote(AAPL)!.last;
    const limit = await gqlData(app.server.httpUrl, PlaceOrderDocument, {
      input: input({ type: "LIMIT", limitPrice: price - 3, quantity: 12 }),
    });
    const id = limit.placeOrder.order!.id;
    assert.equal(limit.placeOrder.order!.status, "SUBMITTED");
    const modified = await gqlData(app.server.httpUrl, ModifyOrderDocument, {
      id,
      input: { limitPrice: price - 2, quantity: 15 },
    });
    assert.equal(modified.modifyOrder.limitPrice, price - 2);
    assert.equal(modified.modifyOrder.quantity, 15);
    pair.brokerage.setPrice(AAPL, price - 2.5);
    const events = await eventsUntil(sub, id, (e) => e.type === "FILL");
    assert.deepEqual(
      events.map((e) => e.type),
      ["NEW", "SUBMITTED", "MODIFIED", "PARTIAL_FILL", "PARTIAL_FILL", "FILL"],
    );
    assert.equal(events.at(-1)!.order.filledQuantity, 15);

    const resting = await gqlData(app.server.httpUrl, PlaceOrderDocument, {
      input: input({ type: "LIMIT", limitPrice: price - 50, quantity: 4 }),
    });
    const rid = resting.placeOrder.order!.id;
    const cancelled = await gqlData(app.server.httpUrl, CancelOrderDocument, { id: rid });
    assert.ok(["PENDING_CANCEL", "CANCELLED"].includes(cancelled.cancelOrder.status));
    const cEvents = await eventsUntil(sub, rid, (e) => e.type === "CANCELLED");
    assert.equal(cEvents.at(-1)!.order.status, "CANCELLED");
    const again = await gql(app.server.httpUrl, CancelOrderDocument, { id: rid });
    assert.equal(again.errors?.[0]?.extensions?.code, "ORDER_REJECTED");
    assert.equal(again.errors?.[0]?.extensions?.ibCode, 10148);
  });

  it("rejects with IB's reason and code, and replays the rejection for the same clientOrderId", async () => {
    const i = input({ quantity: 1_000_000 });
    const r = await gql(app.server.httpUrl, PlaceOrderDocument, { input: i });
    const ext = r.errors?.[0]?.extensions ?? {};
    assert.equal(ext.code, "ORDER_REJECTED", JSON.stringify(r.errors));
    assert.equal(ext.ibCode, 201);
    assert.match(String(ext.reason), /buying power|margin|funds/i);
    const replay = await gql(app.server.httpUrl, PlaceOrderDocument, { input: i });
    assert.equal(replay.errors?.[0]?.extensions?.code, "ORDER_REJECTED");
    assert.equal(replay.errors?.[0]?.extensions?.replayed, true);
    const stats = pair.brokerage.orderRefStats().find((s) => s.orderRef === i.clientOrderId);
    assert.equal(stats?.submissions, 1);

    const unknown = await gql(app.server.httpUrl, PlaceOrderDocument, {
      input: input({ contract: { symbol: "NOPE", secType: "STK" } }),
    });
    assert.equal(unknown.errors?.[0]?.extensions?.code, "NOT_FOUND");
  });
});

describe("TWS end to end: drops and hangs", () => {
  it("a subscriber sees every fill exactly once, in order, across a TWS drop and its own resubscribe", async (t) => {
    const pair = await startSimPair({ partialFills: 6, partialFillIntervalMs: 80 });
    t.after(() => pair.stop());
    const app = await startTwsApp(pair, await dataDir());
    t.after(() => app.stop());
    const first = await subscribe(app);
    const placed = await gqlData(app.server.httpUrl, PlaceOrderDocument, { input: input({ quantity: 60 }) });
    const id = placed.placeOrder.order!.id;
    const early = await eventsUntil(first.sub, id, (e) => e.type === "PARTIAL_FILL");
    pair.sim.control.disconnectAll({ refuseMs: 250 });
    // The subscriber goes away too, and comes back with the last sequence it saw.
    await first.close();
    const second = await subscribe(app, { afterSequence: early.at(-1)!.sequence });
    t.after(second.close);
    const rest = await eventsUntil(second.sub, id, (e) => e.type === "FILL", 8000);
    const events = [...early, ...rest];
    assertIncreasing(events);
    const fills = events.filter((e) => e.fill);
    assert.deepEqual(
      fills.map((e) => e.order.filledQuantity),
      [10, 20, 30, 40, 50, 60],
    );
    assert.deepEqual(
      fills.map((e) => e.fill!.executionId),
      pair.brokerage.executions().map((x) => x.execId),
    );
    assert.ok(
      fills.some((e) => e.catchUp),
      "fills made during the drop come from reconciliation",
    );
    assert.equal(new Set(events.map((e) => e.sequence)).size, events.length);
  });

  it("never resends an order swallowed by a hang the connection survived; a reconnect settles it", async (t) => {
    const pair = await startSimPair();
    t.after(() => pair.stop());
    // No probes: the hang is shorter than zombie detection, so the same connection carries on.
    const app = await startTwsApp(pair, await dataDir(), {
      probeIntervalMs: 60_000,
      probeTimeoutMs: 60_000,
      ackTimeoutMs: 300,
    });
    t.after(async () => {
      pair.sim.control.setZombie(false);
      await app.stop();
    });
    await gqlData(app.server.httpUrl, PlaceOrderDocument, { input: input({ quantity: 1 }) });
    const i = input({ quantity: 3 });
    pair.sim.control.setZombie(true);
    const r = await gql(app.server.httpUrl, PlaceOrderDocument, { input: i });
    assert.equal(r.errors?.[0]?.extensions?.code, "OUTCOME_UNKNOWN", JSON.stringify(r.errors));
    pair.sim.control.setZombie(false);
    // TWS answers again on the same connection, but absence from its lists proves nothing there (an order
    // dialog in TWS looks the same): still unknown, nothing resent.
    const again = await gql(app.server.httpUrl, PlaceOrderDocument, { input: i });
    assert.equal(again.errors?.[0]?.extensions?.code, "OUTCOME_UNKNOWN", JSON.stringify(again.errors));
    assert.equal(
      pair.brokerage.orderRefStats().find((x) => x.orderRef === i.clientOrderId)?.submissions,
      undefined,
    );
    // A new connection's lists do settle it: the order never arrived, so it is placed, once.
    pair.sim.control.disconnectAll({ refuseMs: 50 });
    await eventually(
      "the order placed after the reconnect",
      async () => !(await gql(app.server.httpUrl, PlaceOrderDocument, { input: i })).errors,
      8000,
      100,
    );
    const stats = pair.brokerage.orderRefStats().find((x) => x.orderRef === i.clientOrderId);
    assert.equal(stats?.submissions, 1);
  });
});
