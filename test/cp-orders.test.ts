import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { OrderRequest } from "../src/brokers";
import { OrderTracker } from "../src/brokers/order-tracker";
import { AppError } from "../src/errors";
import type { Contract } from "../src/schema/contract.type";
import { BrokerApi, OrderSide, OrderStatus, OrderType, SecType, TimeInForce } from "../src/schema/enums";
import type { Order } from "../src/schema/order.type";
import {
  AAPL,
  ACCT,
  MSFT,
  rateReport,
  ROOMY_GLOBAL,
  startCpHarness,
  type CpHarness,
} from "./helpers/cp-broker-harness";
import { eventually } from "./helpers/wait";

interface SimOrderView {
  orderId: number;
  cOID: string | null;
  status: string;
  quantity: number;
  limitPrice: number | null;
  timesPlaced: number;
}

const limitBuy = (clientOrderId: string, limitPrice: number, quantity = 10): OrderRequest => ({
  accountId: ACCT,
  contract: { conid: AAPL },
  side: OrderSide.BUY,
  type: OrderType.LIMIT,
  quantity,
  limitPrice,
  stopPrice: null,
  timeInForce: TimeInForce.DAY,
  clientOrderId,
});

const isCode = (code: string) => (e: unknown) => e instanceof AppError && e.code === code;

describe("Client Portal orders over HTTPS", () => {
  let h: CpHarness;
  let aapl: Contract;
  const simOrders = async () => (await h.simGet<{ orders: SimOrderView[] }>("/sim/orders")).orders;
  const observed = (id: string, check: (o: Order) => boolean) =>
    eventually(`an observation of order ${id}`, () =>
      h.observations.find((o) => o.order.id === id && check(o.order)),
    );

  before(async () => {
    h = await startCpHarness({
      sim: ROOMY_GLOBAL.sim,
      broker: { ...ROOMY_GLOBAL.broker, confirmationHoldMs: 800 },
    });
    aapl = await h.broker.resolveContract({ symbol: "AAPL" });
  });
  after(() => h.close());

  it("resolves contracts by symbol and conid, and refuses what IB does not know without placing anything", async () => {
    const book = await simOrders();
    assert.deepEqual(
      { conid: aapl.conid, symbol: aapl.symbol, secType: aapl.secType, currency: aapl.currency },
      { conid: AAPL, symbol: "AAPL", secType: SecType.STK, currency: "USD" },
    );
    assert.equal((await h.broker.resolveContract({ conid: MSFT })).symbol, "MSFT");
    await assert.rejects(h.broker.resolveContract({ conid: 999_999_999 }), isCode("NOT_FOUND"));
    await assert.rejects(h.broker.resolveContract({ symbol: "ZZZZQ" }), isCode("NOT_FOUND"));
    // A future by symbol alone is its front month (/trsrv/futures); an option needs its expiry.
    const front = await h.broker.resolveContract({ symbol: "ES", secType: SecType.FUT });
    assert.equal(front.secType, SecType.FUT);
    assert.match(front.lastTradeDate ?? "", /^\d{8}$/);
    await assert.rejects(
      h.broker.resolveContract({ symbol: "AAPL", secType: SecType.OPT, strike: 190 }),
      isCode("BAD_USER_INPUT"),
    );
    // Nothing placed by these lookups (the book may hold other tests' orders).
    assert.deepEqual(await simOrders(), book);
  });

  it("places with cOID, follows the order to its fill with execution ids, and finds it by clientOrderId", async () => {
    // Above the limit, so the order rests first (another test may have moved the price).
    await h.control("/sim/prices", { conid: AAPL, price: 190 });
    // What the account held before, from the book itself (other tests of this file buy AAPL too).
    const held = h.sim.brokerage.position(ACCT, AAPL)?.quantity ?? 0;
    const out = await h.broker.placeOrder(limitBuy("cp-fill-1", 180), aapl);
    const order = out.order!;
    assert.ok(order, "placed without a question");
    assert.match(order.id, /^\d+$/);
    assert.equal(order.brokerOrderId, order.id);
    assert.equal(order.clientOrderId, "cp-fill-1");
    assert.equal(order.source, BrokerApi.CLIENT_PORTAL);
    assert.equal(order.status, OrderStatus.SUBMITTED);
    const atSim = (await simOrders()).find((o) => o.cOID === "cp-fill-1");
    assert.equal(String(atSim?.orderId), order.id);
    assert.equal(atSim?.timesPlaced, 1);

    await h.control("/sim/prices", { conid: AAPL, price: 179.5 });
    const filled = await observed(order.id, (o) => o.status === OrderStatus.FILLED);
    assert.equal(filled.order.filledQuantity, 10);
    const fill = await eventually(
      "the fill",
      () => h.observations.find((o) => o.order.id === order.id && o.fill)?.fill,
    );
    assert.match(fill.executionId, /\S/);
    assert.equal(fill.quantity, 10);
    assert.ok(fill.price <= 180);

    // The fill can be observed (IB's order push) before the list reads it: the list's short read cache may
    // still hold the answer from before the fill, so it is read until it catches up.
    await eventually(
      "the order list to show the fill",
      async () => (await h.broker.listOrders()).find((o) => o.id === order.id)?.status === OrderStatus.FILLED,
    );
    assert.equal((await h.broker.findByClientOrderId("cp-fill-1"))?.id, order.id);
    assert.equal(await h.broker.findByClientOrderId("never-placed"), null);
    // The adapter's positions may come from its short read cache: read until they include the fill.
    await eventually(
      "the position to include the fill",
      async () =>
        (await h.broker.listPositions(ACCT)).find((p) => p.contract.conid === AAPL)?.quantity === held + 10,
    );
  });

  it("hands IB's question back as a confirmation and sends nothing between it and the reply", async () => {
    await h.control("/sim/prices", { conid: AAPL, price: 190 });
    const out = await h.broker.placeOrder(limitBuy("cp-q-1", 200), aapl);
    const c = out.confirmation!;
    assert.ok(c, "a question");
    assert.deepEqual(c.messageIds, ["o163"]);
    assert.match(c.messages.join(" "), /Percentage constraint/);
    const confirmed = await h.broker.confirmOrder(c.replyId, true);
    assert.equal(confirmed.order?.clientOrderId, "cp-q-1");
    const log = await h.requests();
    const placed = log.findLastIndex(
      (r) => r.method === "POST" && r.path === `/v1/api/iserver/account/${ACCT}/orders`,
    );
    assert.equal(log[placed + 1]?.path, `/v1/api/iserver/reply/${c.replyId}`);
    assert.equal(log[placed + 1]?.status, 200);
    assert.ok((await simOrders()).some((o) => o.cOID === "cp-q-1"));
  });

  it("declining a confirmation places nothing; an unanswered one expires and says so", async () => {
    const declined = await h.broker.placeOrder(limitBuy("cp-q-2", 200), aapl);
    const out = await h.broker.confirmOrder(declined.confirmation!.replyId, false);
    assert.equal(out.order?.status, OrderStatus.CANCELLED);
    assert.equal(out.order?.brokerOrderId, null);
    const stale = await h.broker.placeOrder(limitBuy("cp-q-3", 200), aapl);
    const replyId = stale.confirmation!.replyId;
    assert.equal(h.broker.isConfirmationPending(replyId), true);
    // The hold (800 ms here) ends, other requests reach the gateway, and IB has forgotten the question.
    await eventually(
      "the held question to expire",
      async () => (await h.requests()).at(-1)?.path === "/v1/api/tickle",
    );
    await assert.rejects(
      h.broker.confirmOrder(replyId, true),
      (e) => isCode("NOT_FOUND")(e) && (e as AppError).details.expired === true,
    );
    assert.equal(h.broker.isConfirmationPending(replyId), false);
    const refs = (await simOrders()).map((o) => o.cOID);
    assert.ok(!refs.includes("cp-q-2") && !refs.includes("cp-q-3"));
  });

  it("modifies with the full order and cancels: PENDING_CANCEL, then CANCELLED once IB confirms", async () => {
    await h.control("/sim/prices", { conid: AAPL, price: 190 });
    const placed = (await h.broker.placeOrder(limitBuy("cp-mod-1", 170), aapl)).order!;
    const modified = await h.broker.modifyOrder(placed, { quantity: 12, limitPrice: 171 });
    assert.equal(modified.quantity, 12);
    assert.equal(modified.limitPrice, 171);
    const atSim = (await simOrders()).find((o) => o.cOID === "cp-mod-1");
    assert.deepEqual([atSim?.quantity, atSim?.limitPrice], [12, 171]);
    const cancelling = await h.broker.cancelOrder(modified);
    assert.equal(cancelling.status, OrderStatus.PENDING_CANCEL);
    await observed(placed.id, (o) => o.status === OrderStatus.CANCELLED);
  });

  it("answers a cOID IB already has with OUTCOME_UNKNOWN (an earlier attempt is at IB), not a rejection", async () => {
    // A rejection would be remembered for good, hiding an order that is live at IB; an unknown outcome
    // makes a retry reconcile and find it. The earlier attempt is this test's own, far below the market.
    assert.ok((await h.broker.placeOrder(limitBuy("cp-dup-1", 120), aapl)).order);
    await assert.rejects(h.broker.placeOrder(limitBuy("cp-dup-1", 150), aapl), (e) => {
      assert.ok(isCode("OUTCOME_UNKNOWN")(e), String(e));
      assert.match((e as AppError).message, /already registered/i);
      return true;
    });
    const found = await h.broker.findByClientOrderId("cp-dup-1");
    assert.equal(found?.clientOrderId, "cp-dup-1");
    assert.equal((await simOrders()).filter((o) => o.cOID === "cp-dup-1").length, 1, "one order at IB");
  });

  it("follows orders placed elsewhere through the same gateway", async () => {
    const placed = h.sim.brokerage.placeOrder({
      account: ACCT,
      contract: { conid: MSFT },
      side: "SELL",
      orderType: "LMT",
      quantity: 3,
      limitPrice: 500,
      orderRef: "placed-on-the-website",
      api: "CP",
    });
    const id = String(placed.order!.permId);
    const seen = await observed(id, () => true);
    assert.equal(seen.order.clientOrderId, "placed-on-the-website");
    assert.equal(seen.order.side, OrderSide.SELL);
    assert.equal(seen.order.contract.symbol, "MSFT");
  });

  it("reads a last price from the market-data snapshot (pre-flight included)", async () => {
    await h.control("/sim/prices", { conid: MSFT, price: 421.5 });
    assert.equal(await h.broker.lastPrice!(MSFT), 421.5);
  });

  it("never made the gateway answer 429", async () => {
    assert.equal(rateReport(await h.requests()).tooMany, 0);
    assert.equal(h.broker.stats().rateLimited429, 0);
  });
});

describe("Client Portal auto-confirmed questions", () => {
  let h: CpHarness;
  before(async () => {
    h = await startCpHarness({
      sim: ROOMY_GLOBAL.sim,
      broker: { ...ROOMY_GLOBAL.broker, autoConfirm: ["o163"] },
    });
  });
  after(() => h.close());

  it("suppresses the configured ids at session start and places without asking", async () => {
    const aapl = await h.broker.resolveContract({ conid: AAPL });
    const out = await h.broker.placeOrder(limitBuy("auto-1", 200), aapl);
    assert.ok(out.order, "no confirmation for a suppressed question");
    const log = await h.requests();
    assert.ok(log.some((r) => r.path === "/v1/api/iserver/questions/suppress" && r.status === 200));
    // o383 (size) is not in the list: it still comes back as a question.
    const big = await h.broker.placeOrder(limitBuy("auto-2", 180, 600), aapl);
    assert.deepEqual(big.confirmation?.messageIds, ["o383"]);
    await h.broker.confirmOrder(big.confirmation!.replyId, false);
  });
});

describe("Client Portal fills found in one poll", () => {
  let h: CpHarness;
  before(async () => {
    h = await startCpHarness({
      sim: {
        ...ROOMY_GLOBAL.sim,
        brokerageOptions: {
          accounts: [ACCT],
          tickIntervalMs: 0,
          fillDelayMs: 200,
          partialFills: 2,
          partialFillIntervalMs: 10,
        },
      },
      broker: ROOMY_GLOBAL.broker,
    });
  });
  after(() => h.close());

  it("reports each execution with the order as it was after it: PARTIAL_FILL, then FILL", async () => {
    await eventually("ready", () => h.broker.isReady(), 5000);
    const aapl = await h.broker.resolveContract({ conid: AAPL });
    const out = await h.broker.placeOrder(
      { ...limitBuy("two-fills", 150), type: OrderType.MARKET, limitPrice: null },
      aapl,
    );
    const tracker = new OrderTracker({ bufferSize: 100 });
    tracker.observe({ order: out.order! });
    let n = 0;
    await eventually(
      "both fills",
      () => {
        for (; n < h.observations.length; n++) tracker.observe(h.observations[n]!);
        return tracker.log.since(0).filter((e) => e.fill).length >= 2;
      },
      10_000,
    );
    const fills = tracker.log.since(0).filter((e) => e.fill);
    assert.deepEqual(
      fills.map((e) => [e.type, e.fill!.quantity]),
      [
        ["PARTIAL_FILL", 5],
        ["FILL", 5],
      ],
    );
  });
});
