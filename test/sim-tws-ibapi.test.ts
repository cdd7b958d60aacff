/**
 * Conformance of the TWS simulator with the unmodified @stoqey/ib 1.6.10 client, IBApiNext and low-level IBApi,
 * over real TCP. Every client records decode errors (505/506/507); there must be none over the whole run.
 */
import assert from "node:assert/strict";
import { after, afterEach, describe, it } from "node:test";
import {
  ConnectionState,
  EventName,
  IBApi,
  IBApiNext,
  OrderAction,
  OrderType,
  SecType,
  type Contract,
  type IBApiNextError,
  type Order,
} from "@stoqey/ib";
import { filter, firstValueFrom, timeout, type Observable } from "rxjs";
import { createBrokerage, type Brokerage, type BrokerageOptions } from "../src/simulators/brokerage";
import { startTwsSimulator, type TwsSimulator, type TwsSimulatorOptions } from "../src/simulators/tws";
import { eventually } from "./helpers/wait";

const HOST = "127.0.0.1";
const WAIT_MS = 4000;
const DECODE_ERROR_CODES = new Set([505, 506, 507]);
const decodeErrors: string[] = [];
const AAPL: Contract = { symbol: "AAPL", secType: SecType.STK, exchange: "SMART", currency: "USD" };
const quietLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
};

/** IBApiNext types codes as its ErrorCode enum, which lacks the TWS codes. */
const codeOf = (e: IBApiNextError): number => e.code as number;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
after(() => {
  assert.deepEqual(decodeErrors, [], "the client reported decode errors");
});

interface Env {
  brokerage: Brokerage;
  sim: TwsSimulator;
}

async function startEnv(
  brokerageOptions: BrokerageOptions = {},
  simOptions: Partial<TwsSimulatorOptions> = {},
): Promise<Env> {
  const brokerage = createBrokerage({ accounts: ["DU1234567"], ...brokerageOptions });
  const sim = await startTwsSimulator({ brokerage, ...simOptions });
  cleanups.push(async () => {
    await sim.stop();
    brokerage.close();
  });
  return { brokerage, sim };
}

/** The first value matching `predicate`; the error names the caller's line, which rxjs' TimeoutError does not. */
async function waitFor<T>(source: Observable<T>, predicate: (v: T) => boolean, ms = WAIT_MS): Promise<T> {
  const at = new Error("waitFor timed out").stack;
  try {
    return await firstValueFrom(source.pipe(filter(predicate), timeout({ first: ms })));
  } catch (err) {
    throw new Error(`${String(err)} at ${at}`, { cause: err });
  }
}

/**
 * One long-lived subscription that keeps the latest value. (Unsubscribing and subscribing again makes IBApiNext
 * 1.6.10 replay a stale list and drop the fresh snapshot, so tests keep a single subscriber.)
 */
function track<T>(source: Observable<T>): {
  latest(): T | undefined;
  until(pred: (v: T) => boolean, what: string): Promise<T>;
} {
  let latest: T | undefined;
  let failure: unknown;
  const sub = source.subscribe({ next: (v) => (latest = v), error: (e: unknown) => (failure = e) });
  cleanups.push(() => sub.unsubscribe());
  return {
    latest: () => latest,
    async until(pred, what) {
      await eventually(what, () => {
        if (failure !== undefined) throw new Error(`${what}: the stream failed: ${String(failure)}`);
        return latest !== undefined && pred(latest);
      });
      return latest!;
    },
  };
}

interface NextClient {
  ib: IBApiNext;
  errors: IBApiNextError[];
}

async function connectNext(
  port: number,
  clientId: number | undefined,
  options: { reconnectInterval?: number; connectionWatchdogInterval?: number } = {},
): Promise<NextClient> {
  const ib = new IBApiNext({ host: HOST, port, logger: quietLogger, reconnectInterval: 0, ...options });
  const errors: IBApiNextError[] = [];
  const sub = ib.error.subscribe((e) => {
    errors.push(e);
    if (DECODE_ERROR_CODES.has(e.code)) decodeErrors.push(`${e.code}: ${e.error.message}`);
  });
  cleanups.push(() => {
    sub.unsubscribe();
    ib.disconnect();
  });
  ib.connect(clientId);
  await waitFor(ib.connectionState, (s) => s === ConnectionState.Connected);
  // "Connected" comes with the server-version frame; a round trip makes sure startApi was served too.
  await ib.getCurrentTime();
  return { ib, errors };
}

/**
 * Waits until the book is idle and the client has read everything sent so far (a round trip queues behind it):
 * IBApiNext's getExecutionDetails would otherwise also collect live execDetails still in flight.
 */
async function settle(brokerage: Brokerage, ib: IBApiNext): Promise<void> {
  await brokerage.whenIdle();
  await ib.getCurrentTime();
}

const EVENTS = [
  EventName.nextValidId,
  EventName.openOrder,
  EventName.orderStatus,
  EventName.openOrderEnd,
  EventName.execDetails,
  EventName.execDetailsEnd,
  EventName.commissionReport,
  EventName.completedOrder,
  EventName.completedOrdersEnd,
  EventName.currentTime,
  EventName.updateAccountValue,
  EventName.updatePortfolio,
  EventName.updateAccountTime,
  EventName.accountDownloadEnd,
  EventName.position,
  EventName.positionEnd,
  EventName.error,
  EventName.info,
  EventName.disconnected,
] as const;

/** A low-level IBApi with every relevant event recorded in arrival order. */
class LowLevel {
  readonly api: IBApi;
  readonly log: { name: string; args: unknown[] }[] = [];
  nextId = 0;

  constructor(port: number) {
    this.api = new IBApi({ host: HOST, port });
    for (const name of EVENTS) {
      (this.api as unknown as NodeJS.EventEmitter).on(name, (...args: unknown[]) => {
        this.log.push({ name, args });
        if (name === EventName.nextValidId) this.nextId = args[0] as number;
        if (name === EventName.error && DECODE_ERROR_CODES.has(args[1] as number)) {
          decodeErrors.push(`${String(args[1])}: ${(args[0] as Error).message}`);
        }
      });
    }
    cleanups.push(() => {
      this.api.disconnect();
    });
  }

  async connect(clientId: number): Promise<void> {
    this.api.connect(clientId);
    await this.waitEvent(EventName.nextValidId);
  }

  events(name: string): unknown[][] {
    return this.log.filter((e) => e.name === name).map((e) => e.args);
  }

  async waitEvent(
    name: string,
    match: (args: unknown[]) => boolean = () => true,
    from = 0,
  ): Promise<unknown[]> {
    let found: unknown[] | undefined;
    await eventually(`event ${name}`, () => {
      found = this.log.slice(from).find((e) => e.name === name && match(e.args))?.args;
      return found !== undefined;
    });
    return found!;
  }
}

const mkt = (qty: number, extra: Partial<Order> = {}): Order => ({
  action: OrderAction.BUY,
  orderType: OrderType.MKT,
  totalQuantity: qty,
  transmit: true,
  ...extra,
});

describe("IBApiNext against the TWS simulator", () => {
  it("connects: server version, time, managed accounts, next valid id ≥ 1000", async () => {
    const { sim } = await startEnv({ accounts: ["DU1234567", "DU7654321"] });
    const { ib, errors } = await connectNext(sim.port, 3);
    const now = Math.floor(Date.now() / 1000);
    const t = await ib.getCurrentTime();
    assert.ok(Math.abs(t - now) <= 5, `currentTime ${t} vs ${now}`);
    assert.deepEqual(await ib.getManagedAccounts(), ["DU1234567", "DU7654321"]);
    assert.ok((await ib.getNextValidOrderId()) >= 1000);
    assert.deepEqual(
      sim.clients().map((c) => c.clientId),
      [3],
    );
    assert.deepEqual(errors, []);
  });

  it("positions, account summary and account updates, each pushed again after a fill", async () => {
    const { brokerage, sim } = await startEnv();
    brokerage.placeOrder({
      account: "DU1234567",
      contract: { conid: 265598 },
      side: "BUY",
      orderType: "MKT",
      quantity: 10,
      api: "CP",
    });
    await brokerage.whenIdle();
    const { ib } = await connectNext(sim.port, 4);

    const positions = track(ib.getPositions());
    const first = await positions.until((u) => (u.all.get("DU1234567") ?? []).length > 0, "positions");
    const aapl = first.all.get("DU1234567")?.find((p) => p.contract.conId === 265598);
    assert.equal(aapl?.pos, 10);
    assert.ok((aapl?.avgCost ?? 0) > 0);

    const tags = "NetLiquidation,TotalCashValue,BuyingPower,AvailableFunds,AccountType";
    const summary = track(ib.getAccountSummary("All", tags));
    type Summary = NonNullable<ReturnType<typeof summary.latest>>;
    const tagValue = (u: Summary, tag: string, cur: string): string | undefined =>
      u.all.get("DU1234567")?.get(tag)?.get(cur)?.value;
    const firstSummary = await summary.until(
      (u) => tagValue(u, "NetLiquidation", "USD") !== undefined,
      "summary",
    );
    const values = brokerage.accountValues("DU1234567");
    assert.equal(tagValue(firstSummary, "NetLiquidation", "USD"), values.netLiquidation.toFixed(2));
    assert.equal(tagValue(firstSummary, "TotalCashValue", "USD"), values.cash.toFixed(2));
    assert.equal(tagValue(firstSummary, "BuyingPower", "USD"), values.buyingPower.toFixed(2));
    assert.equal(tagValue(firstSummary, "AvailableFunds", "USD"), values.availableFunds.toFixed(2));
    assert.equal(tagValue(firstSummary, "AccountType", ""), "INDIVIDUAL");

    const updates = track(ib.getAccountUpdates());
    const firstUpdate = await updates.until(
      (u) => u.all.timestamp !== undefined && (u.all.portfolio?.get("DU1234567") ?? []).length > 0,
      "account updates",
    );
    assert.equal(
      firstUpdate.all.value?.get("DU1234567")?.get("NetLiquidation")?.get("USD")?.value,
      values.netLiquidation.toFixed(2),
    );

    brokerage.placeOrder({
      account: "DU1234567",
      contract: { conid: 265598 },
      side: "BUY",
      orderType: "MKT",
      quantity: 5,
      api: "CP",
    });
    await positions.until(
      (u) => u.all.get("DU1234567")?.find((p) => p.contract.conId === 265598)?.pos === 15,
      "pushed position",
    );
    await brokerage.whenIdle();
    const cash = brokerage.accountValues("DU1234567").cash.toFixed(2);
    await summary.until((u) => tagValue(u, "TotalCashValue", "USD") === cash, "pushed summary");
    await updates.until(
      (u) =>
        u.all.portfolio?.get("DU1234567")?.find((p) => p.contract.conId === 265598)?.pos === 15 &&
        u.all.value?.get("DU1234567")?.get("TotalCashValue")?.get("USD")?.value === cash,
      "pushed account update",
    );
  });

  it("price moves without fills reach summary and portfolio subscribers at the refresh interval", async () => {
    const { brokerage, sim } = await startEnv({}, { accountRefreshMs: 50 });
    brokerage.placeOrder({
      account: "DU1234567",
      contract: { conid: 265598 },
      side: "BUY",
      orderType: "MKT",
      quantity: 10,
      api: "CP",
    });
    await brokerage.whenIdle();
    const { ib } = await connectNext(sim.port, 14);
    const updates = track(ib.getAccountUpdates());
    const summary = track(ib.getAccountSummary("All", "NetLiquidation"));
    await updates.until((u) => (u.all.portfolio?.get("DU1234567") ?? []).length > 0, "portfolio");
    brokerage.setPrice(265598, 200);
    const netLiq = brokerage.accountValues("DU1234567").netLiquidation.toFixed(2);
    await updates.until(
      (u) => u.all.portfolio?.get("DU1234567")?.[0]?.marketPrice === 200,
      "portfolio market price after the refresh",
    );
    await summary.until(
      (u) => u.all.get("DU1234567")?.get("NetLiquidation")?.get("USD")?.value === netLiq,
      "net liquidation after the refresh",
    );
  });

  it("contract details for a known contract, error 200 for an unknown one", async () => {
    const { sim } = await startEnv();
    const { ib } = await connectNext(sim.port, 5);
    const details = await ib.getContractDetails(AAPL);
    assert.equal(details.length, 1);
    assert.equal(details[0]?.contract.conId, 265598);
    assert.equal(details[0]?.longName, "APPLE INC");
    assert.equal(details[0]?.minTick, 0.01);
    const direct = await ib.getContractDetails({ ...AAPL, exchange: "ISLAND" });
    assert.equal(direct[0]?.contract.exchange, "ISLAND");
    const fut = await ib.getContractDetails({
      symbol: "ES",
      secType: SecType.FUT,
      exchange: "CME",
      currency: "USD",
    });
    assert.equal(fut[0]?.contract.multiplier, 50);
    await assert.rejects(
      ib.getContractDetails({ symbol: "NOSUCH", secType: SecType.STK, exchange: "SMART" }),
      (e: IBApiNextError) => codeOf(e) === 200,
    );
  });

  it("limit order: rests with its permId, is modified by re-placing its id, then cancelled (202, then 10148)", async () => {
    const { brokerage, sim } = await startEnv();
    const { ib, errors } = await connectNext(sim.port, 6);
    const order: Order = {
      action: OrderAction.BUY,
      orderType: OrderType.LMT,
      lmtPrice: 100,
      totalQuantity: 5,
      transmit: true,
      orderRef: "lmt-1",
      tif: "GTC",
    };
    const id = await ib.placeNewOrder(AAPL, order);
    await eventually("order acknowledged", () => brokerage.findOrderByTwsId(6, id)?.status === "Submitted");
    let open = await ib.getAllOpenOrders();
    const placed = open.find((o) => o.orderId === id);
    assert.ok(placed);
    assert.equal(placed.orderState.status, "Submitted");
    assert.equal(placed.order.lmtPrice, 100);
    assert.equal(placed.order.tif, "GTC");
    const sim0 = brokerage.findOrderByTwsId(6, id);
    assert.equal(placed.order.permId, sim0?.permId);
    assert.equal(sim0?.orderRef, "lmt-1");

    ib.modifyOrder(id, AAPL, { ...order, lmtPrice: 101, totalQuantity: 7 });
    await eventually("modify in the book", () => brokerage.findOrderByTwsId(6, id)?.limitPrice === 101);
    await brokerage.whenIdle();
    open = await ib.getAllOpenOrders();
    const modified = open.find((o) => o.orderId === id);
    assert.equal(modified?.order.lmtPrice, 101);
    assert.equal(modified?.order.totalQuantity, 7);
    assert.equal(modified?.order.permId, sim0?.permId);

    ib.cancelOrder(id);
    await eventually("error 202", () => errors.some((e) => codeOf(e) === 202 && e.reqId === id));
    assert.equal(brokerage.findOrderByTwsId(6, id)?.status, "Cancelled");
    ib.cancelOrder(id);
    await eventually("error 10148", () => errors.some((e) => codeOf(e) === 10148 && e.reqId === id));
    ib.cancelOrder(987654);
    await eventually("error 10147", () => errors.some((e) => codeOf(e) === 10147 && e.reqId === 987654));
    assert.deepEqual(
      (await ib.getAllOpenOrders()).filter((o) => o.orderId === id),
      [],
    );
  });

  it("stop order waits PreSubmitted, triggers when the price crosses, fills", async () => {
    const { brokerage, sim } = await startEnv();
    const { ib } = await connectNext(sim.port, 7);
    const buy = await ib.placeNewOrder(AAPL, mkt(10));
    await eventually("buy filled", () => brokerage.findOrderByTwsId(7, buy)?.status === "Filled");
    const id = await ib.placeNewOrder(AAPL, {
      action: OrderAction.SELL,
      orderType: OrderType.STP,
      auxPrice: 180,
      totalQuantity: 10,
      transmit: true,
    });
    await eventually("stop accepted", () => brokerage.findOrderByTwsId(7, id)?.status === "PreSubmitted");
    const open = await ib.getAllOpenOrders();
    const stop = open.find((o) => o.orderId === id);
    assert.equal(stop?.orderState.status, "PreSubmitted");
    assert.equal(stop?.order.auxPrice, 180);
    brokerage.setPrice(265598, 179);
    await eventually("stop fill", () => brokerage.findOrderByTwsId(7, id)?.status === "Filled");
    await settle(brokerage, ib);
    const execs = await ib.getExecutionDetails({ symbol: "AAPL", side: "SELL" } as never);
    assert.equal(execs.length, 1);
    assert.equal(execs[0]?.execution.side, "SLD");
    assert.equal(execs[0]?.execution.orderId, id);
  });

  it("partial fills: one execution and commission report per fill, sharing execIds", async () => {
    const { brokerage, sim } = await startEnv({ partialFills: 3 });
    const { ib } = await connectNext(sim.port, 8);
    const id = await ib.placeNewOrder(AAPL, mkt(30, { orderRef: "parts" }));
    await eventually("fill", () => brokerage.findOrderByTwsId(8, id)?.status === "Filled");
    await settle(brokerage, ib);
    const execs = (await ib.getExecutionDetails({})).filter((e) => e.execution.orderId === id);
    assert.deepEqual(
      execs.map((e) => e.execution.cumQty),
      [10, 20, 30],
    );
    assert.ok(
      execs.every(
        (e) => e.execution.orderRef === "parts" && e.execution.permId === execs[0]?.execution.permId,
      ),
    );
    const reports = await ib.getCommissionReport({});
    assert.deepEqual(reports.map((r) => r.execId).sort(), execs.map((e) => e.execution.execId).sort());
    // The per-order minimum is charged on the first fill; later fills may add nothing.
    assert.ok(reports.every((r) => (r.commission ?? -1) >= 0 && r.currency === "USD"));
    const total = reports.reduce((sum, r) => sum + (r.commission ?? 0), 0);
    assert.equal(total.toFixed(4), brokerage.findOrderByTwsId(8, id)?.commission.toFixed(4));
  });

  it("order errors: 103 for a reused id, 201 with status Inactive for a rejected order, 200 for an unknown contract", async () => {
    const { brokerage, sim } = await startEnv();
    const { ib, errors } = await connectNext(sim.port, 9);
    const base = await ib.getNextValidOrderId();
    ib.placeOrder(base + 5, AAPL, {
      action: OrderAction.BUY,
      orderType: OrderType.LMT,
      lmtPrice: 100,
      totalQuantity: 1,
      transmit: true,
    });
    ib.placeOrder(base + 2, AAPL, {
      action: OrderAction.BUY,
      orderType: OrderType.LMT,
      lmtPrice: 100,
      totalQuantity: 1,
      transmit: true,
    });
    await eventually("error 103", () => errors.some((e) => codeOf(e) === 103 && e.reqId === base + 2));
    assert.equal(await ib.getNextValidOrderId(), base + 6);

    const open$ = ib.getOpenOrders();
    const big = base + 6;
    ib.placeOrder(big, AAPL, mkt(10_000_000));
    await eventually("error 201", () => errors.some((e) => codeOf(e) === 201 && e.reqId === big));
    await eventually("inactive order", () => brokerage.findOrderByTwsId(9, big)?.status === "Inactive");
    assert.match(
      errors.find((e) => codeOf(e) === 201)?.error.message ?? "",
      /^Order rejected - reason:.*insufficient/i,
    );
    void open$;

    ib.placeOrder(
      big + 1,
      { symbol: "NOSUCH", secType: SecType.STK, exchange: "SMART", currency: "USD" },
      mkt(1),
    );
    await eventually("error 200", () => errors.some((e) => codeOf(e) === 200 && e.reqId === big + 1));
  });

  it("reconnects after a drop, with refused reconnects for a while, and re-subscribes", async () => {
    const { brokerage, sim } = await startEnv();
    brokerage.placeOrder({
      account: "DU1234567",
      contract: { conid: 272093 },
      side: "BUY",
      orderType: "MKT",
      quantity: 3,
      api: "CP",
    });
    await brokerage.whenIdle();
    const { ib } = await connectNext(sim.port, undefined, { reconnectInterval: 50 });
    const firstId = sim.clients()[0]?.clientId ?? -1;
    const positions = track(ib.getPositions());
    await positions.until((u) => (u.all.get("DU1234567") ?? []).length === 1, "positions");

    const states: ConnectionState[] = [];
    const sub = ib.connectionState.subscribe((s) => states.push(s));
    cleanups.push(() => sub.unsubscribe());
    sim.control.disconnectAll({ refuseMs: 300 });
    await waitFor(ib.connectionState, (s) => s === ConnectionState.Disconnected);
    await waitFor(ib.connectionState, (s) => s === ConnectionState.Connected, 5000);
    // The reconnect without a fixed id uses the next client id, as IBApiNext does against TWS.
    await eventually("one live client", () => sim.clients().length === 1);
    assert.ok((sim.clients()[0]?.clientId ?? 0) > firstId);
    // Refused attempts show up as extra Disconnected → Connecting cycles before the final Connected.
    assert.ok(states.filter((s) => s === ConnectionState.Connecting).length >= 1);

    brokerage.placeOrder({
      account: "DU1234567",
      contract: { conid: 265598 },
      side: "BUY",
      orderType: "MKT",
      quantity: 2,
      api: "CP",
    });
    await positions.until(
      (u) => (u.all.get("DU1234567") ?? []).some((p) => p.contract.conId === 265598 && p.pos === 2),
      "position pushed on the new connection",
    );
  });

  it("watchdog: its reqCurrentTime is answered and the connection stays up", async () => {
    const { sim } = await startEnv();
    await connectNext(sim.port, 11, { connectionWatchdogInterval: 0.1 });
    const start = sim.clients()[0]?.messagesReceived ?? 0;
    await eventually("watchdog requests", () => (sim.clients()[0]?.messagesReceived ?? 0) >= start + 3);
    assert.equal(sim.clients()[0]?.clientId, 11);
  });

  it("1100 (connectivity lost) makes IBApiNext hang up and reconnect with the same fixed client id", async () => {
    const { sim } = await startEnv();
    const { ib } = await connectNext(sim.port, 12, { reconnectInterval: 50 });
    const firstSession = sim.clients()[0]?.connectedAt;
    sim.control.sendNotice(1100);
    await waitFor(ib.connectionState, (s) => s !== ConnectionState.Connected);
    await waitFor(ib.connectionState, (s) => s === ConnectionState.Connected);
    await eventually(
      "new session",
      () => sim.clients().length === 1 && sim.clients()[0]?.connectedAt !== firstSession,
    );
    assert.equal(sim.clients()[0]?.clientId, 12);
  });
});

describe("low-level IBApi against the TWS simulator", () => {
  it("market order: openOrder/orderStatus, execDetails, repeated Filled pair, commissionReport — in TWS order", async () => {
    const { brokerage, sim } = await startEnv();
    const c = new LowLevel(sim.port);
    await c.connect(21);
    const id = c.nextId;
    assert.ok(id >= 1000);
    const from = c.log.length;
    // A multi-byte orderRef: frame lengths count UTF-8 bytes both ways.
    c.api.placeOrder(id, AAPL, mkt(10, { orderRef: "mkt-1-ü€😀" }));
    await c.waitEvent(EventName.commissionReport, () => true, from);
    const seq = c.log
      .slice(from)
      .filter((e) =>
        [
          EventName.openOrder,
          EventName.orderStatus,
          EventName.execDetails,
          EventName.commissionReport,
        ].includes(e.name as EventName),
      )
      .map((e) => {
        if (e.name === EventName.openOrder) {
          const state = e.args[3] as { status: string; commission?: number };
          return `openOrder:${state.status}${state.commission !== undefined ? "+commission" : ""}`;
        }
        if (e.name === EventName.orderStatus) return `orderStatus:${String(e.args[1])}`;
        if (e.name === EventName.execDetails) return `execDetails:${String(e.args[0])}`;
        return "commissionReport";
      });
    assert.deepEqual(seq, [
      "openOrder:Submitted",
      "orderStatus:Submitted",
      "execDetails:-1",
      "openOrder:Filled",
      "orderStatus:Filled",
      "openOrder:Filled+commission",
      "orderStatus:Filled",
      "commissionReport",
    ]);
    const sim0 = brokerage.findOrderByTwsId(21, id);
    assert.ok(sim0 && sim0.permId > 0);
    assert.equal(sim0.orderRef, "mkt-1-ü€😀");
    assert.equal(sim0.api, "TWS");
    for (const args of c.events(EventName.orderStatus).filter((a) => a[0] === id))
      assert.equal(args[5], sim0.permId);
    const filled = c.events(EventName.orderStatus).find((a) => a[1] === "Filled")!;
    assert.deepEqual([filled[2], filled[3], filled[8]], [10, 0, 21]);
    const exec = c.events(EventName.execDetails)[0]![2] as {
      execId: string;
      permId: number;
      shares: number;
      orderRef: string;
    };
    assert.equal(exec.orderRef, "mkt-1-ü€😀");
    assert.equal((c.events(EventName.openOrder)[0]![2] as Order).orderRef, "mkt-1-ü€😀");
    const report = c.events(EventName.commissionReport)[0]![0] as { execId: string };
    assert.equal(report.execId, exec.execId);
    assert.equal(exec.permId, sim0.permId);
  });

  it("client 0 sees orders of other clients and of Client Portal (reqAutoOpenOrders), and reqAllOpenOrders lists them", async () => {
    const { brokerage, sim } = await startEnv();
    const master = new LowLevel(sim.port);
    await master.connect(0);
    master.api.reqAutoOpenOrders(true);
    await master.waitEvent(EventName.openOrderEnd);

    const cp = brokerage.placeOrder({
      account: "DU1234567",
      contract: { conid: 272093 },
      side: "BUY",
      orderType: "LMT",
      limitPrice: 300,
      quantity: 4,
      api: "CP",
      orderRef: "cp-1",
    });
    const cpPermId = cp.order?.permId;
    const seen = await master.waitEvent(EventName.openOrder, (a) => (a[2] as Order).permId === cpPermId);
    assert.equal(seen[0], 0);
    assert.equal((seen[2] as Order).orderRef, "cp-1");
    assert.equal((seen[1] as Contract).symbol, "MSFT");
    await master.waitEvent(EventName.orderStatus, (a) => a[5] === cpPermId && a[1] === "Submitted");

    const other = await connectNext(sim.port, 31);
    const otherId = await other.ib.placeNewOrder(AAPL, {
      action: OrderAction.BUY,
      orderType: OrderType.LMT,
      lmtPrice: 100,
      totalQuantity: 1,
      transmit: true,
      orderRef: "c31",
    });
    await master.waitEvent(
      EventName.openOrder,
      (a) => (a[2] as Order).orderRef === "c31" && a[0] === otherId,
    );

    const third = new LowLevel(sim.port);
    await third.connect(32);
    const from = third.log.length;
    third.api.reqAllOpenOrders();
    await third.waitEvent(EventName.openOrderEnd, () => true, from);
    const refs = third
      .events(EventName.openOrder)
      .map((a) => (a[2] as Order).orderRef)
      .sort();
    assert.deepEqual(refs, ["c31", "cp-1"]);
    const mine = third.log.length;
    third.api.reqOpenOrders();
    await third.waitEvent(EventName.openOrderEnd, () => true, mine);
    assert.equal(third.log.slice(mine).filter((e) => e.name === EventName.openOrder).length, 0);
  });

  it("reqGlobalCancel, reqCompletedOrders, reqExecutions (own executions only), reqAccountUpdates", async () => {
    const { brokerage, sim } = await startEnv();
    const c = new LowLevel(sim.port);
    await c.connect(41);
    const id = c.nextId;
    c.api.placeOrder(id, AAPL, mkt(2, { orderRef: "fill-me" }));
    c.api.placeOrder(id + 1, AAPL, {
      action: OrderAction.BUY,
      orderType: OrderType.LMT,
      lmtPrice: 50,
      totalQuantity: 1,
      transmit: true,
    });
    brokerage.placeOrder({
      account: "DU1234567",
      contract: { conid: 265598 },
      side: "BUY",
      orderType: "LMT",
      limitPrice: 60,
      quantity: 1,
      api: "CP",
    });
    await eventually(
      "two resting orders",
      () => brokerage.listOrders({ includeTerminal: false }).length === 2,
    );
    await brokerage.whenIdle();
    c.api.reqGlobalCancel();
    await eventually("global cancel", () => brokerage.listOrders({ includeTerminal: false }).length === 0);
    await c.waitEvent(EventName.orderStatus, (a) => a[0] === id + 1 && a[1] === "Cancelled");

    let from = c.log.length;
    c.api.reqCompletedOrders(false);
    await c.waitEvent(EventName.completedOrdersEnd, () => true, from);
    const completed = c.log.slice(from).filter((e) => e.name === EventName.completedOrder);
    assert.deepEqual(completed.map((e) => (e.args[2] as { status: string }).status).sort(), [
      "Cancelled",
      "Cancelled",
      "Filled",
    ]);

    brokerage.placeOrder({
      account: "DU1234567",
      contract: { conid: 265598 },
      side: "BUY",
      orderType: "MKT",
      quantity: 1,
      api: "CP",
    });
    await brokerage.whenIdle();
    from = c.log.length;
    c.api.reqExecutions(77, {});
    await c.waitEvent(EventName.execDetailsEnd, (a) => a[0] === 77, from);
    const execs = c.log.slice(from).filter((e) => e.name === EventName.execDetails);
    assert.deepEqual(
      execs.map((e) => [e.args[0], (e.args[2] as { orderRef: string }).orderRef]),
      [[77, "fill-me"]],
    );
    assert.equal(c.log.slice(from).filter((e) => e.name === EventName.commissionReport).length, 1);

    from = c.log.length;
    c.api.reqAccountUpdates(true, "DU1234567");
    await c.waitEvent(EventName.accountDownloadEnd, (a) => a[0] === "DU1234567", from);
    const keys = c.log
      .slice(from)
      .filter((e) => e.name === EventName.updateAccountValue)
      .map((e) => e.args[0]);
    for (const k of ["AccountCode", "NetLiquidation", "TotalCashValue", "BuyingPower", "AvailableFunds"])
      assert.ok(keys.includes(k), k);
    const portfolio = c.log.slice(from).filter((e) => e.name === EventName.updatePortfolio);
    assert.equal(portfolio.length, 1);
    assert.equal(portfolio[0]?.args[1], 3);
    assert.ok(c.log.slice(from).some((e) => e.name === EventName.updateAccountTime));
  });

  it("system notices arrive as info events (id -1), and a duplicate client id gets 326 and is dropped", async () => {
    const { sim } = await startEnv();
    const c = new LowLevel(sim.port);
    await c.connect(51);
    assert.deepEqual(
      c.events(EventName.info).map((a) => a[1]),
      [2104, 2106, 2158],
    );
    sim.control.sendNotice(1102);
    await c.waitEvent(EventName.info, (a) => a[1] === 1102);
    sim.control.sendNotice(1101);
    await c.waitEvent(EventName.info, (a) => a[1] === 1101);

    const dup = new LowLevel(sim.port);
    dup.api.connect(51);
    await dup.waitEvent(EventName.info, (a) => a[1] === 326);
    await dup.waitEvent(EventName.disconnected);
    assert.deepEqual(
      sim.clients().map((x) => x.clientId),
      [51],
    );
  });
});
