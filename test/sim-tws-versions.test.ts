/**
 * The TWS simulator at every server version a supported client may agree on: the handshake answers
 * min(193, client max), and a byte-level client reading with that version's layouts (decoders written from IB's
 * clients, independent of the simulator) runs accounts, contract details, an order's place / modify / cancel and
 * a fill with its commission without a decode error on either side.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { createBrokerage, type Brokerage } from "../src/simulators/brokerage";
import { startTwsSimulator, type TwsSimulator } from "../src/simulators/tws";
import {
  cancelOrderAt,
  contractDetailsRequestAt,
  handshakeBytes,
  isError,
  placeOrderAt,
  startAtVersion,
  TwsRawClient,
} from "./helpers/tws-raw-client";
import { decodeServerMessage, type DecodedMessage } from "./helpers/tws-wire-decoders";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startEnv(): Promise<{ brokerage: Brokerage; sim: TwsSimulator }> {
  const brokerage = createBrokerage();
  const sim = await startTwsSimulator({ brokerage });
  cleanups.push(async () => {
    await sim.stop();
    brokerage.close();
  });
  return { brokerage, sim };
}

/** Notices every session gets at startup; anything else with an error code is a failure unless expected. */
const STARTUP_NOTICES = new Set([2104, 2106, 2158]);

/** A client that decodes every frame at the agreed version as it waits. */
class VersionedClient {
  constructor(
    readonly raw: TwsRawClient,
    readonly version: number,
  ) {}

  async next(name: string, match: (m: DecodedMessage) => boolean = () => true): Promise<DecodedMessage> {
    const f = await this.raw.next((fields) => {
      const m = decodeServerMessage(fields, this.version);
      return m.name === name && match(m);
    });
    return decodeServerMessage(f, this.version);
  }

  /** Every frame received so far, decoded (throws on the first one that does not decode). */
  decodeAll(): DecodedMessage[] {
    return this.raw.received.slice(1).map((f) => decodeServerMessage(f, this.version));
  }
}

describe("TWS simulator: version negotiation", () => {
  const cases: [string, number][] = [
    ["v100..193", 193],
    ["v100..178", 178],
    ["v157..178", 178],
    ["v176", 176],
    ["v100..200", 193],
    ["v100..157", 157],
  ];
  for (const [range, expected] of cases) {
    it(`answers ${range} with ${expected}`, async () => {
      const { sim } = await startEnv();
      const c = await TwsRawClient.connect(sim.port);
      cleanups.push(() => c.close());
      c.write(handshakeBytes(range));
      const first = await c.next();
      assert.equal(first[0], String(expected));
      assert.equal(first.length, 2);
    });
  }

  for (const range of ["v90..99", "v194..200"]) {
    it(`hangs up on ${range} without a reply, as TWS does`, async () => {
      const { sim } = await startEnv();
      const c = await TwsRawClient.connect(sim.port);
      cleanups.push(() => c.close());
      c.write(handshakeBytes(range));
      await c.waitClosed();
      assert.deepEqual(c.received, []);
    });
  }
});

describe("TWS simulator: a full session at each client version", () => {
  for (const max of [100, 130, 148, 157, 163, 176, 178, 187, 193]) {
    it(`v100..${max}: accounts, contract details, place / modify / cancel, fill with commission`, async () => {
      const { brokerage, sim } = await startEnv();
      const { client: raw, version, nextValidId: nextId } = await startAtVersion(sim.port, 5, `v100..${max}`);
      cleanups.push(() => raw.close());
      assert.equal(version, max);
      const c = new VersionedClient(raw, version);

      raw.send([61, 1]);
      await c.next("positionEnd");
      raw.send([6, 2, 1, ""]);
      await c.next("accountDownloadEnd");
      raw.send([62, 1, 3, "All", "NetLiquidation,TotalCashValue"]);
      await c.next("accountSummaryEnd", (m) => m.values.reqId === 3);
      raw.send([74, 1, 4, "", ""]);
      await c.next("positionMultiEnd", (m) => m.values.reqId === 4);
      raw.send([76, 1, 6, "DU1234567", "", 1]);
      await c.next("accountUpdateMultiEnd", (m) => m.values.reqId === 6);

      raw.send(contractDetailsRequestAt(7, "AAPL", version));
      const details = await c.next("contractDetails", (m) => m.values.reqId === 7);
      assert.equal(details.values.symbol, "AAPL");
      assert.equal(details.values.strike, 0);
      assert.ok(Number(details.values.conId) > 0);
      await c.next("contractDetailsEnd", (m) => m.values.reqId === 7);

      const price = brokerage.quote(Number(details.values.conId))?.last ?? 100;
      const limit = Math.floor(price * 0.5);
      const order = {
        orderId: nextId,
        symbol: "AAPL",
        action: "BUY" as const,
        quantity: 3,
        orderType: "LMT",
      };
      raw.send(placeOrderAt({ ...order, lmtPrice: limit }, version));
      await c.next("openOrder", (m) => m.values.orderId === nextId);
      await c.next("orderStatus", (m) => m.values.orderId === nextId && m.values.status === "Submitted");

      raw.send(placeOrderAt({ ...order, lmtPrice: limit - 1 }, version));
      await c.next(
        "openOrder",
        (m) => m.values.orderId === nextId && Number(m.values.lmtPrice) === limit - 1,
      );

      raw.send(cancelOrderAt(nextId, version));
      await c.next("orderStatus", (m) => m.values.orderId === nextId && m.values.status === "Cancelled");
      await raw.next(isError(202, nextId));

      const mktId = nextId + 1;
      raw.send(
        placeOrderAt(
          { orderId: mktId, symbol: "AAPL", action: "BUY", quantity: 2, orderType: "MKT" },
          version,
        ),
      );
      const fill = await c.next("execDetails", (m) => m.values.orderId === mktId);
      assert.equal(fill.values.reqId, -1);
      // TWS sends the commission after the Filled status, not with the execution.
      await c.next("orderStatus", (m) => m.values.orderId === mktId && m.values.status === "Filled");
      await c.next("commissionReport", (m) => m.values.execId === fill.values.execId);

      raw.send([7, 3, 9, "", "", "", "", "", "", ""]);
      const past = await c.next("execDetails", (m) => m.values.reqId === 9);
      assert.equal(past.values.execId, fill.values.execId);
      await c.next("commissionReport", (m) => m.values.execId === fill.values.execId);
      await c.next("execDetailsEnd", (m) => m.values.reqId === 9);

      raw.send([99, 0]);
      await c.next("completedOrdersEnd");
      raw.send([92, 11, "DU1234567", ""]);
      await c.next("pnl", (m) => m.values.reqId === 11);
      raw.send([94, 12, "DU1234567", "", details.values.conId ?? 0]);
      const single = await c.next("pnlSingle", (m) => m.values.reqId === 12);
      assert.equal(single.values.position, 2);

      const all = c.decodeAll();
      const errors = all.filter((m) => m.name === "error" && !STARTUP_NOTICES.has(Number(m.values.code)));
      assert.deepEqual(
        errors.map((m) => m.values.code),
        [202],
        `unexpected errors ${JSON.stringify(errors.map((m) => m.values))}`,
      );
      assert.ok(all.some((m) => m.name === "completedOrder"));
    });
  }
});
