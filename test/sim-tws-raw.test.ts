/**
 * The TWS simulator at the byte level: handshake and framing edge cases, client ids, pacing, fault controls,
 * held (untransmitted) and what-if orders, and visibility across the two APIs of the shared book.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { Agent, request } from "undici";
import { createBrokerage, type Brokerage } from "../src/simulators/brokerage";
import { startSimulators } from "../src/simulators";
import { startTwsSimulator, type TwsSimulator, type TwsSimulatorOptions } from "../src/simulators/tws";
import {
  frame,
  handshakeBytes,
  isError,
  isMsg,
  placeOrderFields,
  TwsRawClient,
} from "./helpers/tws-raw-client";
import { eventually } from "./helpers/wait";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startEnv(
  simOptions: Partial<TwsSimulatorOptions> = {},
): Promise<{ brokerage: Brokerage; sim: TwsSimulator }> {
  const brokerage = createBrokerage();
  const sim = await startTwsSimulator({ brokerage, ...simOptions });
  cleanups.push(async () => {
    await sim.stop();
    brokerage.close();
  });
  return { brokerage, sim };
}

async function raw(port: number): Promise<TwsRawClient> {
  const c = await TwsRawClient.connect(port);
  cleanups.push(() => c.close());
  return c;
}

async function started(port: number, clientId: number): Promise<TwsRawClient> {
  const c = await TwsRawClient.start(port, clientId);
  cleanups.push(() => c.close());
  return c;
}

describe("TWS simulator: handshake and framing", () => {
  it("answers the V100 handshake with 193 + connection time in one frame, then the startup sequence", async () => {
    const { sim } = await startEnv();
    const c = await raw(sim.port);
    c.write(handshakeBytes("v100..193"));
    const version = await c.next();
    assert.equal(version.length, 2);
    assert.equal(version[0], "193");
    assert.match(version[1] ?? "", /^\d{8} \d{2}:\d{2}:\d{2} [A-Z]{3,4}$/);
    c.send([71, 2, 7, ""]);
    assert.deepEqual(await c.next(), ["15", "1", "DU1234567"]);
    const nextId = await c.next();
    assert.equal(nextId[0], "9");
    assert.ok(Number(nextId[2]) >= 1000);
    for (const code of ["2104", "2106", "2158"]) {
      const notice = await c.next();
      assert.deepEqual(
        [notice[0], notice[1], notice[2], notice[3], notice.length, notice[5]],
        ["4", "2", "-1", code, 6, ""],
      );
    }
  });

  it("reads a handshake and requests split into single bytes, and all of them merged into one write", async () => {
    const { sim } = await startEnv();
    const stream = Buffer.concat([
      handshakeBytes(),
      frame([71, 2, 8, ""]),
      frame([49, 1]),
      frame([17, 1]),
      frame([8, 1, 0]),
    ]);
    const sliced = await raw(sim.port);
    await sliced.writeSliced(stream, 1);
    const merged = await raw(sim.port);
    merged.write(
      Buffer.concat([
        handshakeBytes(),
        frame([71, 2, 9, ""]),
        frame([49, 1]),
        frame([17, 1]),
        frame([8, 1, 0]),
      ]),
    );
    for (const c of [sliced, merged]) {
      assert.equal((await c.next(isMsg(49)))[1], "1");
      assert.deepEqual(await c.next(isMsg(15)), ["15", "1", "DU1234567"]);
      await c.next(isMsg(9));
    }
  });

  it("counts frame lengths in UTF-8 bytes: a multi-byte orderRef survives a byte-sliced placeOrder and is echoed", async () => {
    const { brokerage, sim } = await startEnv();
    const c = await started(sim.port, 10);
    const orderRef = "Zürich-€-✓-😀";
    const bytes = frame(
      placeOrderFields({
        orderId: 1500,
        symbol: "AAPL",
        action: "BUY",
        quantity: 1,
        orderType: "LMT",
        lmtPrice: 100,
        orderRef,
      }),
    );
    assert.ok(Buffer.byteLength(orderRef) > orderRef.length);
    await c.writeSliced(bytes, 3);
    const open = await c.next(isMsg(5));
    assert.equal(open.length, 133);
    assert.equal(open[1], "1500");
    assert.equal(open[23], orderRef);
    assert.equal(brokerage.findOrderByRef(orderRef)?.twsOrderId, 1500);
    // The server's frames count bytes too: the raw client decoded the multi-byte field from a correct length.
    const status = await c.next(isMsg(3));
    assert.equal(status.length, 12);
  });

  it("drops a legacy (pre-V100) client and survives unknown and malformed requests", async () => {
    const { sim } = await startEnv();
    const legacy = await raw(sim.port);
    legacy.write(Buffer.from("62\0" + "7\0"));
    await legacy.waitClosed();

    const c = await started(sim.port, 11);
    c.send([9999, 1, "x"]);
    c.send(["not-a-number"]);
    // A truncated reqMktData still names its contract: the simulator streams it.
    c.send([1, 11, 42, 265598, "AAPL", "STK"]);
    await c.next((f) => f[0] === "1" && f[2] === "42");
    c.send([1, 11, 43, 999_999, "NOPE", "STK"]);
    await c.next(isError(200, 43));
    c.send([3, 1600, "truncated"]);
    const readError = await c.next(isError(320, 1600));
    assert.match(readError[4] ?? "", /Error reading request/);
    c.send([49, 1]);
    await c.next(isMsg(49));
  });
});

describe("TWS simulator: client ids, pacing, fault controls", () => {
  it("a second connection with a client id in use gets 326 and is dropped; the first one keeps working", async () => {
    const { sim } = await startEnv();
    const first = await started(sim.port, 5);
    const second = await raw(sim.port);
    second.write(Buffer.concat([handshakeBytes(), frame([71, 2, 5, ""])]));
    const err = await second.next(isError(326, -1));
    assert.match(err[4] ?? "", /client id is already in use/);
    await second.waitClosed();
    first.send([49, 1]);
    await first.next(isMsg(49));
    assert.deepEqual(
      sim.clients().map((x) => x.clientId),
      [5],
    );
  });

  it("refuses connections beyond maxClients", async () => {
    const { sim } = await startEnv({ maxClients: 2 });
    await started(sim.port, 1);
    await started(sim.port, 2);
    const third = await raw(sim.port);
    await third.waitClosed();
    assert.equal(third.received.length, 0);
  });

  it("pacing: beyond the message rate error 100 and the excess is dropped; a client that keeps flooding is cut off", async () => {
    const { sim } = await startEnv({ maxMessagesPerSecond: 5, pacingDisconnectAfter: 5 });
    const c = await started(sim.port, 12);
    c.write(Buffer.concat(Array.from({ length: 8 }, () => frame([49, 1]))));
    await c.next(isError(100, -1));
    const beforeError = c.received.slice(0, c.received.findIndex(isError(100, -1)));
    assert.equal(beforeError.filter(isMsg(49)).length, 5);
    c.write(Buffer.concat(Array.from({ length: 20 }, () => frame([49, 1]))));
    await c.waitClosed();
    assert.ok(c.received.filter(isMsg(49)).length <= 10);
  });

  it("zombie mode: connections are accepted but nothing is answered; switching it off revives existing clients only", async () => {
    const { sim } = await startEnv();
    const alive = await started(sim.port, 13);
    sim.control.setZombie(true);
    const zombie = await raw(sim.port);
    zombie.write(Buffer.concat([handshakeBytes(), frame([71, 2, 14, ""])]));
    alive.send([49, 1]);
    await Promise.all([zombie.expectSilence(150), alive.expectSilence(150)]);
    assert.equal(zombie.isClosed, false);

    sim.control.setZombie(false);
    alive.send([49, 1]);
    await alive.next(isMsg(49));
    // The request sent while hung was lost, not queued.
    assert.equal(alive.received.filter(isMsg(49)).length, 1);
    zombie.send([49, 1]);
    await zombie.expectSilence(100);
  });

  it("disconnectAll drops every client and refuses reconnects for refuseMs", async () => {
    const { sim } = await startEnv();
    const a = await started(sim.port, 15);
    const b = await started(sim.port, 16);
    sim.control.disconnectAll({ refuseMs: 300 });
    await Promise.all([a.waitClosed(), b.waitClosed()]);
    const refused = await raw(sim.port);
    await refused.waitClosed();
    assert.equal(refused.received.length, 0);
    await eventually(
      "a handshake answered once refuseMs is over",
      async () => {
        const c = await TwsRawClient.connect(sim.port);
        cleanups.push(() => c.close());
        c.write(handshakeBytes());
        return c
          .next((f) => f[0] === "193", 1000)
          .then(
            () => true,
            () => false,
          );
      },
      3000,
    );
  });

  it("sends connectivity notices 1100/1101/1102/2110 with id -1 to every client", async () => {
    const { sim } = await startEnv();
    const a = await started(sim.port, 17);
    const b = await started(sim.port, 18);
    for (const code of [1100, 1101, 1102, 2110]) {
      sim.control.sendNotice(code);
      for (const c of [a, b]) {
        const notice = await c.next(isError(code, -1));
        assert.equal(notice.length, 6);
        assert.match(notice[4] ?? "", /Connectivity between/);
      }
    }
  });
});

describe("TWS simulator: held, what-if and duplicate orders", () => {
  it("an order without transmit=1 is held in TWS, silently, until re-placed with transmit=1", async () => {
    const { brokerage, sim } = await startEnv();
    const c = await started(sim.port, 20);
    const order = {
      orderId: 2000,
      symbol: "MSFT",
      action: "BUY" as const,
      quantity: 2,
      orderType: "LMT",
      lmtPrice: 300,
      orderRef: "held-1",
    };
    c.send(placeOrderFields({ ...order, transmit: "" }));
    c.send(placeOrderFields({ ...order, transmit: 1 }));
    // Real TWS says nothing about a held order: the first message about it is the transmitted one.
    const first = await c.next(isMsg(5));
    assert.equal(first[85], "Submitted");
    assert.equal(brokerage.findOrderByTwsId(20, 2000)?.status, "Submitted");
    assert.equal(brokerage.orderRefStats().find((r) => r.orderRef === "held-1")?.submissions, 1);

    c.send(placeOrderFields({ ...order, orderId: 2001, transmit: 0, orderRef: "held-2" }));
    c.send([4, 2001, "", "", 2147483647]);
    await c.next((f) => isMsg(3)(f) && f[1] === "2001" && f[2] === "Cancelled");
    await c.next(isError(202, 2001));
    assert.equal(brokerage.findOrderByRef("held-2"), undefined);
  });

  it("a bracket: held parent and take-profit, the transmitting stop-loss sends all three with parentId", async () => {
    const { brokerage, sim } = await startEnv();
    const c = await started(sim.port, 22);
    const base = { symbol: "MSFT", quantity: 2 };
    c.send(
      placeOrderFields({
        ...base,
        orderId: 3000,
        action: "BUY",
        orderType: "LMT",
        lmtPrice: 300,
        transmit: 0,
        orderRef: "b",
      }),
    );
    c.send(
      placeOrderFields({
        ...base,
        orderId: 3001,
        action: "SELL",
        orderType: "LMT",
        lmtPrice: 330,
        transmit: 0,
        parentId: 3000,
        orderRef: "b.tp",
      }),
    );
    c.send(
      placeOrderFields({
        ...base,
        orderId: 3002,
        action: "SELL",
        orderType: "STP",
        auxPrice: 280,
        transmit: 1,
        parentId: 3000,
        orderRef: "b.sl",
      }),
    );
    await c.next((f) => isMsg(5)(f) && f[1] === "3002");
    const parent = brokerage.findOrderByTwsId(22, 3000)!;
    const tp = brokerage.findOrderByTwsId(22, 3001)!;
    const sl = brokerage.findOrderByTwsId(22, 3002)!;
    assert.equal(tp.parentPermId, parent.permId);
    assert.equal(sl.parentPermId, parent.permId);
    assert.equal(tp.status, "PreSubmitted", "children wait for the parent's fill");
  });

  it("what-if: one openOrder with margin fields and a commission estimate, nothing placed", async () => {
    const { brokerage, sim } = await startEnv();
    const c = await started(sim.port, 21);
    c.send(
      placeOrderFields({
        orderId: 2100,
        symbol: "AAPL",
        action: "BUY",
        quantity: 10,
        orderType: "LMT",
        lmtPrice: 150,
        whatIf: true,
      }),
    );
    const open = await c.next(isMsg(5));
    assert.equal(open[84], "1");
    assert.equal(Number(open[89]), 1500);
    assert.ok(Number(open[95]) > 0);
    assert.equal(brokerage.listOrders().length, 0);
  });

  it("103 for a new order reusing an old id, also after a reconnect with the same client id", async () => {
    const { sim } = await startEnv();
    const c = await started(sim.port, 22);
    c.send(
      placeOrderFields({
        orderId: 2200,
        symbol: "AAPL",
        action: "BUY",
        quantity: 1,
        orderType: "LMT",
        lmtPrice: 100,
      }),
    );
    await c.next(isMsg(5));
    c.close();
    await eventually("the client gone from the simulator", () => sim.clients().length === 0, 3000);
    const again = await started(sim.port, 22);
    assert.ok(Number(again.all(isMsg(9))[0]?.[2]) > 2200);
    again.send(
      placeOrderFields({
        orderId: 2150,
        symbol: "AAPL",
        action: "BUY",
        quantity: 1,
        orderType: "LMT",
        lmtPrice: 100,
      }),
    );
    await again.next(isError(103, 2150));
  });
});

describe("TWS simulator: one book with the Client Portal simulator", () => {
  it("an order placed via TWS shows up in the Client Portal simulator, a Client Portal order shows up to client 0, /sim/tws/* drives the faults", async () => {
    const sims = await startSimulators({ accounts: ["DU1234567"] });
    cleanups.push(() => sims.stop());
    const agent = new Agent({ connect: { ca: sims.cp.caPem } });
    cleanups.push(() => agent.close());
    const cp = async (method: "GET" | "POST", path: string, body?: unknown): Promise<unknown> => {
      const res = await request(`${sims.cp.url}${path}`, {
        method,
        dispatcher: agent,
        headers: { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      assert.equal(res.statusCode, 200, path);
      return res.body.json();
    };

    const master = await started(sims.tws.port, 0);
    master.send([15, 1, 1]);
    await master.next(isMsg(53));
    const client = await started(sims.tws.port, 23);
    client.send(
      placeOrderFields({
        orderId: 3000,
        symbol: "AAPL",
        action: "BUY",
        quantity: 3,
        orderType: "MKT",
        orderRef: "via-tws",
      }),
    );
    await client.next(isMsg(59));
    const seenByMaster = await master.next((f) => isMsg(5)(f) && f[23] === "via-tws");
    assert.equal(seenByMaster[1], "3000");
    assert.equal(seenByMaster[24], "23");

    const simOrders = (await cp("GET", "/sim/orders")) as {
      orders: { orderRef: string; api: string; status: string; twsClientId: number }[];
    };
    const viaTws = simOrders.orders.find((o) => o.orderRef === "via-tws");
    assert.deepEqual([viaTws?.api, viaTws?.status, viaTws?.twsClientId], ["TWS", "Filled", 23]);

    const placed = sims.brokerage.placeOrder({
      account: "DU1234567",
      contract: { conid: 756733 },
      side: "BUY",
      orderType: "LMT",
      limitPrice: 500,
      quantity: 1,
      api: "CP",
      orderRef: "via-cp",
    });
    const cpOrder = await master.next((f) => isMsg(5)(f) && f[23] === "via-cp");
    assert.deepEqual([cpOrder[1], cpOrder[3], cpOrder[25]], ["0", "SPY", String(placed.order?.permId)]);
    // Client 23 is not the master: Client Portal orders are not pushed to it.
    client.send([49, 1]);
    await client.next(isMsg(49));
    assert.equal(client.all((f) => isMsg(5)(f) && f[23] === "via-cp").length, 0);

    await cp("POST", "/sim/tws/notice", { code: 1101 });
    await client.next(isError(1101, -1));
    await cp("POST", "/sim/tws/disconnect", {});
    await Promise.all([client.waitClosed(), master.waitClosed()]);
  });
});
