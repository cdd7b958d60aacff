import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createBrokerage,
  type Brokerage,
  type BrokerageOptions,
  type SimBrokerageEvents,
} from "../src/simulators/brokerage";

const ACCOUNT = "DU1234567";
const AAPL = 265598;
const ES = 495512563;
const EURUSD = 12087792;

type Recorded = {
  [K in keyof SimBrokerageEvents]: { name: K; payload: SimBrokerageEvents[K] };
}[keyof SimBrokerageEvents];

function setup(options: BrokerageOptions = {}): { b: Brokerage; events: Recorded[] } {
  const b = createBrokerage(options);
  const events: Recorded[] = [];
  for (const name of ["order", "execution", "commission", "position", "account", "price", "reset"] as const) {
    b.on(name, (payload) => events.push({ name, payload } as Recorded));
  }
  return { b, events };
}

function buy(b: Brokerage, quantity: number, extra: Partial<Parameters<Brokerage["placeOrder"]>[0]> = {}) {
  return b.placeOrder({
    account: ACCOUNT,
    contract: { conid: AAPL },
    side: "BUY",
    orderType: "MKT",
    quantity,
    api: "CP",
    ...extra,
  });
}

describe("simulated brokerage", () => {
  it("has the default account, instruments with IB conids, and lookups", () => {
    const b = createBrokerage();
    assert.deepEqual(b.accounts(), [ACCOUNT]);
    assert.equal(b.findInstrument({ symbol: "aapl" })?.conid, AAPL);
    assert.equal(
      b.findInstrument({ symbol: "MSFT", secType: "STK", exchange: "SMART", currency: "USD" })?.conid,
      272093,
    );
    assert.equal(b.findInstrument({ symbol: "SPY" })?.exchange, "ARCA");
    assert.equal(b.findInstrument({ symbol: "ES", secType: "FUT" })?.multiplier, 50);
    assert.equal(b.findInstrument({ symbol: "EUR", secType: "CASH" })?.conid, EURUSD);
    assert.equal(b.findInstrument({ symbol: "EUR.USD", secType: "CASH" })?.exchange, "IDEALPRO");
    assert.equal(b.findInstrument({ symbol: "AAPL", secType: "FUT" }), undefined);
    assert.equal(b.findInstrument({ conid: 1 }), undefined);
    assert.deepEqual(
      b.searchInstruments("micro").map((i) => i.symbol),
      ["MSFT"],
    );
    const v = b.accountValues(ACCOUNT);
    assert.equal(v.cash, 1_000_000);
    assert.equal(v.netLiquidation, 1_000_000);
    assert.equal(v.buyingPower, 1_000_000);
    b.close();
  });

  it("fills a market order asynchronously: ack, execution, fill, commission, position, account", async () => {
    const { b, events } = setup();
    const r = buy(b, 100, { orderRef: "c-1" });
    assert.ok(r.order);
    assert.equal(r.order.status, "PendingSubmit");
    assert.ok(r.order.permId > 0);
    assert.equal(events.length, 0, "no event before the placing call returned");
    await b.whenIdle();
    const names = events.map((e) => (e.name === "order" ? `order:${e.payload.change}` : e.name));
    assert.deepEqual(names, [
      "order:new",
      "order:acknowledged",
      "execution",
      "order:fill",
      "commission",
      "position",
      "account",
    ]);
    const o = b.getOrder(r.order.permId)!;
    assert.equal(o.status, "Filled");
    assert.equal(o.filled, 100);
    assert.equal(o.remaining, 0);
    assert.equal(o.avgFillPrice, 190);
    assert.equal(o.commission, 1);
    const [exec] = b.executions();
    assert.match(exec!.execId, /^[0-9a-f]{8}\.[0-9a-f]{8}\.[0-9a-f]{2}\.01$/);
    assert.equal(exec!.commission.realizedPnl, null);
    const p = b.position(ACCOUNT, AAPL)!;
    assert.equal(p.quantity, 100);
    assert.equal(p.avgPrice, 190.01);
    assert.equal(p.marketValue, 19_000);
    const v = b.accountValues(ACCOUNT);
    assert.equal(v.cash, 1_000_000 - 19_000 - 1);
    assert.equal(v.netLiquidation, 999_999);
    b.close();
  });

  it("splits market fills into partial executions with growing filled quantity", async () => {
    const { b, events } = setup({ partialFills: 3 });
    const r = buy(b, 100);
    await b.whenIdle();
    const fills = events.filter((e) => e.name === "order" && e.payload.change === "fill");
    assert.deepEqual(
      fills.map((e) => (e.name === "order" ? [e.payload.order.filled, e.payload.order.status] : null)),
      [
        [33, "Submitted"],
        [66, "Submitted"],
        [100, "Filled"],
      ],
    );
    const execIds = b.executions().map((e) => e.execId);
    assert.equal(new Set(execIds).size, 3);
    assert.equal(b.getOrder(r.order!.permId)!.commission, 1);
    b.close();
  });

  it("rests a limit order until the price crosses, then fills at the market", async () => {
    const { b } = setup();
    const r = buy(b, 10, { orderType: "LMT", limitPrice: 185 });
    await b.whenIdle();
    assert.equal(b.getOrder(r.order!.permId)!.status, "Submitted");
    b.setPrice(AAPL, 186);
    await b.whenIdle();
    assert.equal(b.getOrder(r.order!.permId)!.status, "Submitted");
    b.setPrice(AAPL, 184.5);
    await b.whenIdle();
    const o = b.getOrder(r.order!.permId)!;
    assert.equal(o.status, "Filled");
    assert.equal(o.avgFillPrice, 184.5);
    b.close();
  });

  it("triggers stop and stop-limit orders", async () => {
    const { b, events } = setup();
    const held = buy(b, 100);
    await b.whenIdle();
    assert.equal(b.getOrder(held.order!.permId)!.status, "Filled");
    const stop = b.placeOrder({
      account: ACCOUNT,
      contract: { conid: AAPL },
      side: "SELL",
      orderType: "STP",
      stopPrice: 180,
      quantity: 50,
      api: "TWS",
      twsClientId: 0,
      twsOrderId: 1001,
    });
    const stopLimit = b.placeOrder({
      account: ACCOUNT,
      contract: { conid: AAPL },
      side: "SELL",
      orderType: "STP LMT",
      stopPrice: 180,
      limitPrice: 179.5,
      quantity: 50,
      api: "TWS",
    });
    await b.whenIdle();
    assert.equal(b.getOrder(stop.order!.permId)!.status, "PreSubmitted");
    assert.equal(b.findOrderByTwsId(0, 1001)?.permId, stop.order!.permId);
    b.setPrice(AAPL, 179);
    await b.whenIdle();
    assert.equal(b.getOrder(stop.order!.permId)!.status, "Filled");
    // Triggered, but 179 is below the 179.50 limit of a sell: it rests.
    const sl = b.getOrder(stopLimit.order!.permId)!;
    assert.equal(sl.status, "Submitted");
    assert.equal(sl.triggered, true);
    assert.ok(events.some((e) => e.name === "order" && e.payload.change === "triggered"));
    b.setPrice(AAPL, 179.6);
    await b.whenIdle();
    assert.equal(b.getOrder(stopLimit.order!.permId)!.status, "Filled");
    assert.equal(b.position(ACCOUNT, AAPL), undefined);
    const closed = b.positions(ACCOUNT, { includeClosed: true })[0]!;
    assert.equal(closed.quantity, 0);
    // bought at 190 (+$1), sold 50 at 179 (-$1) and 50 at 179.6 (-$1)
    assert.equal(closed.realizedPnl, -(11 * 50 + 10.4 * 50 + 3));
    const reports = b.executions().map((e) => e.commission.realizedPnl);
    assert.equal(reports[0], null);
    assert.ok(reports[1]! < 0);
    b.close();
  });

  it("cancels and modifies working orders; refuses to touch finished ones", async () => {
    const { b, events } = setup();
    const r = buy(b, 10, { orderType: "LMT", limitPrice: 150 });
    await b.whenIdle();
    const mod = b.modifyOrder(r.order!.permId, { quantity: 20, limitPrice: 151.5, tif: "GTC" });
    assert.equal(mod.order?.quantity, 20);
    assert.equal(mod.order?.limitPrice, 151.5);
    assert.equal(mod.order?.tif, "GTC");
    assert.equal(b.modifyOrder(r.order!.permId, { limitPrice: 151.555 }).reject?.code, "BAD_PRICE");
    assert.equal(b.modifyOrder(r.order!.permId, { quantity: 0 }).reject?.code, "BAD_QUANTITY");
    const c = b.cancelOrder(r.order!.permId);
    assert.equal(c.order?.status, "PendingCancel");
    await b.whenIdle();
    assert.equal(b.getOrder(r.order!.permId)!.status, "Cancelled");
    const changes = events.flatMap((e) => (e.name === "order" ? [e.payload.change] : []));
    assert.deepEqual(changes, ["new", "acknowledged", "modified", "pendingCancel", "cancelled"]);
    assert.equal(b.cancelOrder(r.order!.permId).reject?.code, "NOT_CANCELLABLE");
    assert.equal(b.modifyOrder(r.order!.permId, { quantity: 5 }).reject?.code, "NOT_MODIFIABLE");
    assert.equal(b.cancelOrder(42).reject?.code, "UNKNOWN_ORDER");
    b.close();
  });

  it("a modified limit that becomes marketable fills", async () => {
    const { b } = setup();
    const r = buy(b, 10, { orderType: "LMT", limitPrice: 150 });
    await b.whenIdle();
    b.modifyOrder(r.order!.permId, { limitPrice: 195 });
    await b.whenIdle();
    const o = b.getOrder(r.order!.permId)!;
    assert.equal(o.status, "Filled");
    assert.equal(o.avgFillPrice, 190);
    b.close();
  });

  it("rejects bad requests with reasons; insufficient buying power books an Inactive order", async () => {
    const { b, events } = setup({ initialCash: 10_000 });
    assert.equal(buy(b, 0).reject?.code, "BAD_QUANTITY");
    assert.equal(buy(b, 1.5).reject?.code, "BAD_QUANTITY");
    assert.equal(buy(b, 1, { contract: { conid: 1 } }).reject?.code, "UNKNOWN_CONTRACT");
    assert.equal(buy(b, 1, { account: "U999" }).reject?.code, "UNKNOWN_ACCOUNT");
    assert.equal(buy(b, 1, { orderType: "LMT" }).reject?.code, "BAD_PRICE");
    const big = buy(b, 100);
    assert.equal(big.reject?.code, "INSUFFICIENT_BUYING_POWER");
    assert.match(big.reject!.reason, /insufficient funds/);
    assert.equal(big.order?.status, "Inactive");
    // 50 shares fit, but not a second 50 while the first is still working.
    const first = buy(b, 50, { orderType: "LMT", limitPrice: 100 });
    assert.ok(first.order);
    assert.equal(buy(b, 60, { orderType: "LMT", limitPrice: 100 }).reject?.code, "INSUFFICIENT_BUYING_POWER");
    // Selling what one owns needs no funds; futures need margin.
    assert.equal(
      buy(b, 1, { contract: { symbol: "ES", secType: "FUT" } }).reject?.code,
      "INSUFFICIENT_BUYING_POWER",
    );
    await b.whenIdle();
    assert.ok(events.some((e) => e.name === "order" && e.payload.change === "rejected"));
    b.close();
  });

  it("counts submissions per orderRef and can reject duplicates", async () => {
    const b = createBrokerage();
    buy(b, 1, { orderRef: "dup" });
    const second = buy(b, 1, { orderRef: "dup", rejectDuplicateOrderRef: true });
    assert.equal(second.reject?.code, "DUPLICATE_ORDER_REF");
    const stats = b.orderRefStats().find((s) => s.orderRef === "dup")!;
    assert.equal(stats.submissions, 2);
    assert.equal(stats.permIds.length, 1);
    assert.equal(b.findOrderByRef("dup")?.permId, stats.permIds[0]);
    await b.whenIdle();
    b.close();
  });

  it("futures: margin, no premium in cash, PnL times multiplier", async () => {
    const b = createBrokerage();
    const r = b.placeOrder({
      account: ACCOUNT,
      contract: { conid: ES },
      side: "BUY",
      orderType: "MKT",
      quantity: 2,
      api: "TWS",
    });
    await b.whenIdle();
    assert.equal(b.getOrder(r.order!.permId)!.commission, 1.7);
    let v = b.accountValues(ACCOUNT);
    assert.equal(v.cash, 1_000_000);
    assert.equal(v.initMarginReq, 30_000);
    b.setPrice(ES, 5610.25);
    const p = b.position(ACCOUNT, ES)!;
    assert.equal(p.unrealizedPnl, 10.25 * 2 * 50 - 1.7);
    assert.equal(p.avgCost, 5600 * 50 + 0.85 * 1);
    b.placeOrder({
      account: ACCOUNT,
      contract: { conid: ES },
      side: "SELL",
      orderType: "MKT",
      quantity: 2,
      api: "TWS",
    });
    await b.whenIdle();
    v = b.accountValues(ACCOUNT);
    assert.equal(v.realizedPnl, 10.25 * 2 * 50 - 3.4);
    assert.equal(v.cash, 1_000_000 + 10.25 * 2 * 50 - 3.4);
    b.close();
  });

  it("PnL reads: per account (reqPnL) and per position (reqPnLSingle), closed positions of the day included", async () => {
    const b = createBrokerage();
    assert.deepEqual(b.pnl(ACCOUNT), { account: ACCOUNT, dailyPnl: 0, unrealizedPnl: 0, realizedPnl: 0 });
    assert.equal(b.positionPnl(ACCOUNT, ES), undefined, "never held");
    assert.throws(() => b.pnl("U0000000"), /Unknown account/);
    b.placeOrder({
      account: ACCOUNT,
      contract: { conid: ES },
      side: "BUY",
      orderType: "MKT",
      quantity: 2,
      api: "TWS",
    });
    await b.whenIdle();
    b.setPrice(ES, 5610.25);
    const open = b.positionPnl(ACCOUNT, ES)!;
    const unrealized = 10.25 * 2 * 50 - 1.7;
    assert.deepEqual(open, {
      account: ACCOUNT,
      conid: ES,
      position: 2,
      dailyPnl: unrealized,
      unrealizedPnl: unrealized,
      realizedPnl: 0,
      value: 2 * 5610.25 * 50,
    });
    assert.deepEqual(b.pnl(ACCOUNT), {
      account: ACCOUNT,
      dailyPnl: unrealized,
      unrealizedPnl: unrealized,
      realizedPnl: 0,
    });
    b.placeOrder({
      account: ACCOUNT,
      contract: { conid: ES },
      side: "SELL",
      orderType: "MKT",
      quantity: 2,
      api: "TWS",
    });
    await b.whenIdle();
    const realized = 10.25 * 2 * 50 - 3.4;
    assert.deepEqual(b.positionPnl(ACCOUNT, ES), {
      account: ACCOUNT,
      conid: ES,
      position: 0,
      dailyPnl: realized,
      unrealizedPnl: 0,
      realizedPnl: realized,
      value: 0,
    });
    const total = b.pnl(ACCOUNT);
    assert.equal(total.realizedPnl, b.accountValues(ACCOUNT).realizedPnl);
    assert.equal(total.dailyPnl, realized);
    b.reset();
    assert.equal(b.positionPnl(ACCOUNT, ES), undefined, "a reset starts a new day");
    b.close();
  });

  it("fills FX and rounds prices to the tick", async () => {
    const b = createBrokerage();
    assert.equal(b.setPrice(EURUSD, 1.0912345).last, 1.09125);
    const r = b.placeOrder({
      account: ACCOUNT,
      contract: { symbol: "EUR", secType: "CASH", exchange: "IDEALPRO" },
      side: "BUY",
      orderType: "MKT",
      quantity: 20_000,
      api: "CP",
    });
    await b.whenIdle();
    const o = b.getOrder(r.order!.permId)!;
    assert.equal(o.status, "Filled");
    assert.equal(o.commission, 2);
    b.close();
  });

  it("price process is seeded and deterministic; reset restores everything", async () => {
    const a = createBrokerage({ seed: 7 });
    const c = createBrokerage({ seed: 7 });
    for (let n = 0; n < 5; n++) {
      a.tick();
      c.tick();
    }
    assert.deepEqual(
      a.instruments().map((i) => a.quote(i.conid)!.last),
      c.instruments().map((i) => c.quote(i.conid)!.last),
    );
    assert.notEqual(a.quote(AAPL)!.last, 190);
    buy(a, 10);
    await a.whenIdle();
    assert.equal(a.positions().length, 1);
    a.reset();
    await a.whenIdle();
    assert.equal(a.positions().length, 0);
    assert.equal(a.listOrders().length, 0);
    assert.equal(a.quote(AAPL)!.last, 190);
    assert.equal(a.accountValues(ACCOUNT).cash, 1_000_000);
    assert.equal(buy(a, 1).order!.permId, c.placeOrder({ ...baseOrder(), quantity: 1 }).order!.permId);
    await a.whenIdle();
    await c.whenIdle();
    a.close();
    c.close();
  });

  it("auto-ticks when asked and delays fills as configured", async () => {
    const { b, events } = setup({ fillDelayMs: 20, ackDelayMs: 5 });
    const r = buy(b, 1);
    await b.whenIdle();
    assert.equal(b.getOrder(r.order!.permId)!.status, "Filled");
    b.startTicking(5);
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error("no tick within 2 s")), 2000);
      const off = b.on("price", () => {
        clearTimeout(deadline);
        off();
        resolve();
      });
    });
    b.stopTicking();
    assert.ok(events.some((e) => e.name === "price"));
    b.close();
  });

  it("supports several accounts and IOC orders", async () => {
    const b = createBrokerage({ accounts: ["DU1234567", "DU7654321"] });
    assert.deepEqual(b.accounts(), ["DU1234567", "DU7654321"]);
    const r = b.placeOrder({
      ...baseOrder(),
      account: "DU7654321",
      orderType: "LMT",
      limitPrice: 100,
      tif: "IOC",
    });
    await b.whenIdle();
    assert.equal(b.getOrder(r.order!.permId)!.status, "Cancelled");
    assert.equal(b.listOrders({ account: "DU1234567" }).length, 0);
    assert.equal(b.listOrders({ account: "DU7654321", includeTerminal: false }).length, 0);
    b.close();
  });
});

function baseOrder() {
  return {
    account: ACCOUNT,
    contract: { conid: AAPL },
    side: "BUY" as const,
    orderType: "MKT" as const,
    quantity: 1,
    api: "CP" as const,
  };
}
