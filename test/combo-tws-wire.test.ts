/**
 * The TWS simulator's combo (BAG) orders against the unmodified @stoqey/ib 1.6.10 IBApi over real TCP: the comboLegs
 * block parsed in the negotiated version's layout, echoed in openOrder (with IB's comboLegsDescription), one
 * execDetails per leg with the leg's contract and the combo's order id, then the BAG-level execution at the net price
 * (as real TWS sends it), the BAG-level orderStatus in combos, and IB's
 * refusals (321 no legs, 313 a leg routed elsewhere, 200 an unlisted leg, 360 what-if). No decode error on the way.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  EventName,
  IBApi,
  OrderAction,
  OrderType,
  SecType,
  type Contract,
  type Execution,
  type Order,
} from "@stoqey/ib";
import { Decoder } from "@stoqey/ib/dist/core/io/decoder";
import { Encoder } from "@stoqey/ib/dist/core/io/encoder";
import { createBrokerage, netMid, type Brokerage, type SimInstrument } from "../src/simulators/brokerage";
import { startTwsSimulator, type TwsSimulator } from "../src/simulators/tws";
import { parsePlaceOrder } from "../src/simulators/tws/place-order-parser";
import { decodePayload, encodeFrame } from "../src/simulators/tws/tws-codec";
import * as enc from "../src/simulators/tws/tws-encoders";
import { eventually } from "./helpers/wait";

const ACCOUNT = "DU1234567";

describe("TWS simulator: combo (BAG) orders with IB's own client", () => {
  let brokerage: Brokerage;
  let sim: TwsSimulator;
  let api: IBApi;
  const errors: { id: number; code: number; message: string }[] = [];
  const openOrders: { orderId: number; contract: Contract; order: Order }[] = [];
  const executions: { contract: Contract; execution: Execution }[] = [];
  const statuses: { orderId: number; status: string; filled: number; avgFillPrice: number }[] = [];
  let nextId = 0;
  let front: SimInstrument;
  let back: SimInstrument;

  const bag = (legs: Contract["comboLegs"]): Contract => ({
    symbol: "AAPL",
    secType: SecType.BAG,
    exchange: "SMART",
    currency: "USD",
    comboLegs: legs,
  });
  const calendar = (frontExchange = "SMART") =>
    bag([
      { conId: front.conid, ratio: 1, action: OrderAction.SELL, exchange: frontExchange },
      { conId: back.conid, ratio: 1, action: OrderAction.BUY, exchange: "SMART" },
    ]);
  const order = (over: Partial<Order> = {}): Order => ({
    action: OrderAction.BUY,
    orderType: OrderType.LMT,
    totalQuantity: 2,
    lmtPrice: 50,
    tif: "DAY",
    account: ACCOUNT,
    transmit: true,
    ...over,
  });
  const errorOf = (id: number) =>
    eventually(`an error for order ${id}`, () => errors.find((e) => e.id === id));

  before(async () => {
    brokerage = createBrokerage({ accounts: [ACCOUNT] });
    sim = await startTwsSimulator({ brokerage });
    const calls = brokerage
      .instruments()
      .filter((i) => i.secType === "OPT" && i.symbol === "AAPL" && i.strike === 190 && i.right === "C")
      .sort((x, y) => x.lastTradeDate!.localeCompare(y.lastTradeDate!));
    [front, back] = [calls[1]!, calls[2]!];
    api = new IBApi({ host: "127.0.0.1", port: sim.port });
    api.on(EventName.error, (err: Error, code: number, id: number) =>
      errors.push({ id, code, message: err.message }),
    );
    api.on(EventName.nextValidId, (id: number) => (nextId = Math.max(nextId, id)));
    api.on(EventName.openOrder, (orderId: number, contract: Contract, o: Order) =>
      openOrders.push({ orderId, contract, order: o }),
    );
    api.on(EventName.execDetails, (_reqId: number, contract: Contract, execution: Execution) =>
      executions.push({ contract, execution }),
    );
    api.on(
      EventName.orderStatus,
      (orderId: number, status: string, filled: number, _remaining: number, avgFillPrice: number) =>
        statuses.push({ orderId, status, filled, avgFillPrice }),
    );
    api.connect(0);
    await eventually("nextValidId", () => nextId > 0);
  });
  after(async () => {
    api.disconnect();
    await sim.stop();
    brokerage.close();
    assert.deepEqual(
      errors.filter((e) => [505, 506, 507].includes(e.code)),
      [],
      "the client decoded every frame",
    );
  });

  it("places a BAG: openOrder echoes the legs, execDetails per leg then the BAG's, orderStatus in combos at the net", async () => {
    const mid = netMid(
      [
        { instrument: front, ratio: 1, side: "SELL" },
        { instrument: back, ratio: 1, side: "BUY" },
      ],
      (c) => brokerage.quote(c),
    );
    const id = nextId++;
    api.placeOrder(id, calendar(), order({ lmtPrice: Math.round(mid * 100) / 100 }));
    const open = await eventually("openOrder", () => openOrders.find((o) => o.orderId === id));
    assert.equal(open.contract.secType, "BAG");
    assert.equal(open.contract.conId, 28812380, "IB's USD spread conid");
    assert.equal(open.contract.comboLegsDescription, `${front.conid}|-1,${back.conid}|1`);
    assert.deepEqual(
      open.contract.comboLegs?.map((l) => [l.conId, l.ratio, l.action, l.exchange]),
      [
        [front.conid, 1, "SELL", "SMART"],
        [back.conid, 1, "BUY", "SMART"],
      ],
    );
    await eventually("two leg executions and the BAG's", () => executions.length === 3);
    assert.deepEqual(
      executions.map((e) => [e.contract.conId, e.contract.secType, e.execution.side, e.execution.shares]),
      [
        [front.conid, "OPT", "SLD", 2],
        [back.conid, "OPT", "BOT", 2],
        [28812380, "BAG", "BOT", 2],
      ],
    );
    assert.ok(Math.abs(executions[2]!.execution.price! - mid) < 1e-6, "the BAG execution at the net price");
    assert.ok(executions.every((e) => e.execution.orderId === id));
    assert.equal(executions[0]!.contract.localSymbol, front.localSymbol);
    const filled = await eventually("Filled", () =>
      statuses.find((s) => s.orderId === id && s.status === "Filled"),
    );
    assert.equal(filled.filled, 2, "in combos");
    assert.ok(Math.abs(filled.avgFillPrice - mid) < 1e-6, "at the net price");
    assert.equal(brokerage.position(ACCOUNT, front.conid)?.quantity, -2);
    assert.equal(brokerage.position(ACCOUNT, back.conid)?.quantity, 2);
  });

  it("refuses what IB refuses: no legs (321), a leg routed elsewhere (313), an unlisted leg (200), what-if (360)", async () => {
    const cases: [string, Contract, Partial<Order>, number][] = [
      ["no legs", bag([]), {}, 321],
      ["a leg on CBOE in a SMART combo", calendar("CBOE"), {}, 313],
      [
        "an unlisted leg",
        bag([
          { conId: front.conid, ratio: 1, action: OrderAction.SELL, exchange: "SMART" },
          { conId: 1, ratio: 1, action: OrderAction.BUY, exchange: "SMART" },
        ]),
        {},
        200,
      ],
      ["a what-if", calendar(), { whatIf: true }, 360],
    ];
    const booked = brokerage.listOrders().length;
    for (const [name, contract, over, code] of cases) {
      const id = nextId++;
      api.placeOrder(id, contract, order(over));
      assert.equal((await errorOf(id)).code, code, name);
    }
    assert.equal(brokerage.listOrders().length, booked, "nothing booked");
  });
});

/** Versions around each switch the simulator implements, and those of the clients in the compatibility table. */
const VERSIONS = [157, 163, 166, 170, 176, 178, 183, 187, 190, 193];

describe("TWS simulator: BAG layouts at each server version", () => {
  const legs = [
    { conId: 700000001, ratio: 1, action: OrderAction.SELL, exchange: "SMART" },
    { conId: 700000002, ratio: 2, action: OrderAction.BUY, exchange: "SMART" },
  ];
  for (const v of VERSIONS) {
    it(`v${v}: a BAG placeOrder from @stoqey/ib parses whole; the openOrder echo decodes with its legs`, () => {
      const sent: unknown[][] = [];
      const encoder = new Encoder({
        serverVersion: v,
        sendMsg: (...tokens: unknown[]) => sent.push(tokens),
        emitError: (msg) => assert.fail(msg),
      });
      encoder.placeOrder(
        9,
        { symbol: "AAPL", secType: SecType.BAG, exchange: "SMART", currency: "USD", comboLegs: legs },
        {
          action: OrderAction.BUY,
          orderType: OrderType.LMT,
          totalQuantity: 1,
          lmtPrice: -0.35,
          transmit: true,
        },
      );
      const payload = (sent[0]!.flat(Infinity) as unknown[]).map((x) =>
        x === true ? "1" : x === false ? "0" : x === undefined || x === null ? "" : String(x),
      );
      const parsed = parsePlaceOrder(decodePayload(Buffer.from(payload.join("\0") + "\0", "utf8")), v);
      assert.deepEqual(
        parsed.contract.comboLegs.map((l) => [l.conId, l.ratio, l.action, l.exchange]),
        legs.map((l) => [l.conId, l.ratio, l.action, l.exchange]),
      );
      assert.equal(parsed.order.lmtPrice, -0.35);

      const events: { name: string; args: unknown[] }[] = [];
      const errors: string[] = [];
      const decoder = new Decoder({
        serverVersion: v,
        emitEvent: (name, ...args) => events.push({ name, args }),
        emitError: (msg) => errors.push(msg),
        emitInfo: () => undefined,
      });
      const view = {
        orderId: 9,
        clientId: 0,
        permId: 1928374001,
        contract: { ...parsed.contract, conId: 28812380, tradingClass: "COMB" },
        order: parsed.order,
        status: "Submitted",
        filled: 0,
        remaining: 1,
        avgFillPrice: 0,
        lastFillPrice: 0,
      };
      decoder.enqueueMessage(decodePayload(encodeFrame(enc.openOrder(view, v)).subarray(4)));
      decoder.process();
      assert.deepEqual(errors, []);
      const [, contract] = events.find((e) => e.name === "openOrder")!.args as [number, Contract];
      assert.equal(contract.comboLegsDescription, "700000001|-1,700000002|2");
      assert.deepEqual(
        contract.comboLegs?.map((l) => [l.conId, l.ratio, l.action]),
        legs.map((l) => [l.conId, l.ratio, l.action]),
      );
    });
  }
});
