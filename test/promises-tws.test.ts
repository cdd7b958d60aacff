/**
 * README promises about the TWS connection, over real sockets against the TWS simulator:
 * - "1101 resubscribes and reconciles": a fill that happens while TWS has lost IB (1100 … 1101, pushes
 *   lost) is found by the reconciliation after 1101 and reported once;
 * - "Client id 0 also sees orders entered in TWS itself (watched, never taken over)": reqAutoOpenOrders with
 *   autoBind false, on the wire, and only as client 0;
 * - "Outgoing messages are paced at 40/s (IB disconnects above 50/s)": counted on the wire by a proxy.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { OrderRequest } from "../src/brokers/api-broker";
import { OrderSide, OrderStatus, OrderType, TimeInForce, TwsState } from "../src/schema/enums";
import { TwsFrameProxy } from "./helpers/tws-frame-proxy";
import { startSimPair, startTwsAdapter, type SimPair } from "./helpers/tws-harness";
import { eventually } from "./helpers/wait";

const ACCT = "DU1234567";
const AAPL = 265598;
const REQ_AUTO_OPEN_ORDERS = 15;

const limitBuy = (clientOrderId: string, limitPrice: number): OrderRequest => ({
  accountId: ACCT,
  contract: { conid: AAPL },
  side: OrderSide.BUY,
  type: OrderType.LIMIT,
  quantity: 3,
  limitPrice,
  stopPrice: null,
  timeInForce: TimeInForce.DAY,
  clientOrderId,
});

/** The most frames in any window (t − windowMs, t]. */
function peakInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  for (let hi = 0, lo = 0; hi < sorted.length; hi++) {
    while (sorted[lo]! <= sorted[hi]! - windowMs) lo++;
    peak = Math.max(peak, hi - lo + 1);
  }
  return peak;
}

describe("TWS promises over the simulator", () => {
  let pair: SimPair;
  before(async () => {
    pair = await startSimPair({ accounts: [ACCT], tickIntervalMs: 0, fillDelayMs: 0, partialFills: 1 });
  });
  after(() => pair?.stop());

  it("README: after 1101 the adapter reconciles: a fill made while TWS had lost IB is reported, once", async (t) => {
    const { broker, sink } = await startTwsAdapter(pair, { clientId: 11 });
    t.after(() => broker.close());
    pair.brokerage.setPrice(AAPL, 190);
    const contract = await broker.resolveContract({ conid: AAPL });
    const placed = await broker.placeOrder(limitBuy("gap-1101", 180), contract);
    const id = placed.order!.id;
    assert.equal(placed.order?.status, OrderStatus.SUBMITTED);

    pair.sim.control.sendNotice(1100);
    await sink.until(() => broker.status().state === TwsState.DISCONNECTED, "1100 → DISCONNECTED");
    // The price crosses while TWS cannot hear IB: the book fills the order, no push reaches the client.
    pair.brokerage.setPrice(AAPL, 175);
    const execution = await eventually("the fill in the book", () =>
      pair.brokerage.executions().find((x) => x.orderRef === "gap-1101"),
    );
    await pair.brokerage.whenIdle();
    assert.equal(
      sink.orders.filter((o) => o.order.id === id && o.fill).length,
      0,
      "no fill pushed during the gap",
    );

    pair.sim.control.sendNotice(1101);
    await sink.until(
      () => sink.orders.some((o) => o.fill?.executionId === execution.execId),
      "the gap's fill, found by reconciliation after 1101",
    );
    await sink.until(
      () => sink.orders.some((o) => o.order.id === id && o.order.status === OrderStatus.FILLED),
      "the order FILLED",
    );
    await sink.until(() => broker.isReady(), "ready again after the reconciliation");
    assert.equal(
      sink.orders.filter((o) => o.fill?.executionId === execution.execId).length,
      1,
      "reported once",
    );
  });

  it("the simulator's control case: after 1102 (data maintained) the held pushes arrive without asking", async (t) => {
    const { broker, sink } = await startTwsAdapter(pair, { clientId: 12 });
    t.after(() => broker.close());
    pair.brokerage.setPrice(AAPL, 190);
    const contract = await broker.resolveContract({ conid: AAPL });
    const placed = await broker.placeOrder(limitBuy("gap-1102", 180), contract);
    pair.sim.control.sendNotice(2110);
    await sink.until(() => !broker.isReady(), "2110 → not ready");
    pair.brokerage.setPrice(AAPL, 175);
    await eventually("the fill in the book", () =>
      pair.brokerage.executions().find((x) => x.orderRef === "gap-1102"),
    );
    pair.sim.control.sendNotice(1102);
    await sink.until(
      () => sink.orders.some((o) => o.order.id === placed.order!.id && o.order.status === OrderStatus.FILLED),
      "the held fill delivered after 1102",
    );
  });

  it("README: client id 0 watches orders entered elsewhere but never takes them over (autoBind false)", async (t) => {
    const proxy = await new TwsFrameProxy(pair.sim).start();
    t.after(() => proxy.stop());
    const zero = await startTwsAdapter(pair, {
      clientId: 0,
      clientIdRange: 1,
      host: proxy.host,
      port: proxy.port,
    });
    t.after(() => zero.broker.close());
    assert.equal(zero.broker.status().clientId, 0);
    const auto = await eventually("reqAutoOpenOrders from client 0", () => {
      const f = proxy.byId(REQ_AUTO_OPEN_ORDERS);
      return f.length > 0 ? f : undefined;
    });
    // [15, version, autoBind]: autoBind "0" (false) — bound orders would get API ids owned by this server.
    for (const f of auto) assert.equal(f.fields.at(-1), "0", JSON.stringify(f.fields));
    assert.ok(
      !proxy.byId(REQ_AUTO_OPEN_ORDERS).some((f) => f.fields.at(-1) === "1"),
      "never reqAutoOpenOrders(true)",
    );

    // An order placed elsewhere (Client Portal) is seen by client 0.
    const other = pair.brokerage.placeOrder({
      account: ACCT,
      contract: { conid: AAPL },
      side: "BUY",
      orderType: "LMT",
      limitPrice: 100,
      quantity: 1,
      api: "CP",
      orderRef: "entered-elsewhere",
    });
    await zero.sink.until(
      () => zero.sink.orders.some((o) => o.order.clientOrderId === "entered-elsewhere"),
      "client 0 sees the order entered elsewhere",
    );
    // Not taken over: the book still has it as the other platform's order, not as client 0's API order.
    const after = pair.brokerage.getOrder(other.order!.permId);
    assert.equal(after?.api, "CP");
    assert.notEqual(after?.twsClientId, 0);

    // A client other than 0 never asks for them.
    const proxy7 = await new TwsFrameProxy(pair.sim).start();
    t.after(() => proxy7.stop());
    const seven = await startTwsAdapter(pair, {
      clientId: 7,
      clientIdRange: 1,
      host: proxy7.host,
      port: proxy7.port,
    });
    t.after(() => seven.broker.close());
    assert.ok(seven.broker.isReady());
    assert.equal(proxy7.byId(REQ_AUTO_OPEN_ORDERS).length, 0);
  });

  it("README: outgoing messages are paced at 40/s, counted on the wire (IB disconnects above 50/s)", async (t) => {
    const proxy = await new TwsFrameProxy(pair.sim).start();
    t.after(() => proxy.stop());
    const { broker } = await startTwsAdapter(pair, {
      clientId: 21,
      clientIdRange: 1,
      host: proxy.host,
      port: proxy.port,
      // Long enough for every lookup to wait its turn in the pacing queue (160 at 40/s is 4 s).
      requestTimeoutMs: 15_000,
    });
    t.after(() => broker.close());
    const before = proxy.frames.length;
    // 160 contract lookups at once, each one message (the unknown ones are answered with error 200).
    const lookups = Array.from({ length: 160 }, (_, i) =>
      broker.resolveContract({ conid: 900_000 + i }).catch(() => undefined),
    );
    await Promise.all(lookups);
    const burst = proxy.frames.slice(before);
    assert.ok(burst.length >= 160, `${burst.length} messages on the wire`);
    const times = burst.map((f) => f.at);
    // @stoqey/ib paces maxReqPerSec = 40 as 4 messages per 100 ms: N messages need at least (N/4 − 1) × 100 ms
    // on the sender's side; one interval less at the receiver, where the first frames may arrive bunched.
    const span = Math.max(...times) - Math.min(...times);
    const atFortyPerSecond = (Math.ceil(burst.length / 4) - 1) * 100;
    const peak = peakInWindow(times, 1_000);
    console.log(`# ${burst.length} messages in ${span} ms, peak ${peak} in one second`);
    assert.ok(span >= atFortyPerSecond - 100, `${burst.length} messages in ${span} ms: faster than 40/s`);
    // In any second: at most 4 per 100 ms over the 11 intervals a second can touch, well under IB's 50.
    assert.ok(peak <= 44, `${peak} messages in one second`);
    // Still connected, never warned: TWS's limit was never crossed.
    assert.ok(broker.isReady());
    assert.equal(pair.sim.clients().filter((c) => c.clientId === 21).length, 1);
  });
});
