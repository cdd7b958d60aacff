/**
 * Every request id the TWS simulator knows of gets an answer: its data, or IB's error carrying the request's id
 * so that the client's call fails at once. Only fire-and-forget messages (cancels, settings) stay unanswered,
 * as they do with TWS.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { createBrokerage } from "../src/simulators/brokerage";
import { startTwsSimulator } from "../src/simulators/tws";
import { OutMsg } from "../src/simulators/tws/tws-protocol";
import { decodeServerMessage } from "./helpers/tws-wire-decoders";
import { placeOrderAt, startAtVersion, type Fields } from "./helpers/tws-raw-client";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const V = 193;
const ACCOUNT = "DU1234567";
const AAPL_CONID = 265598;
const UNSET = 2147483647;
/** A request id per message id, so that every answer can be told apart. */
const rid = (msgId: number): number => 500 + msgId;

type Answer =
  | { data: string; reqId?: number }
  | { error: number; id: number }
  /** Fire-and-forget: TWS does not answer. */
  | "none";

const contract = ["", "AAPL", "STK", "", "", "", "", "SMART", "", "USD", "", ""];

/** What the test sends for each request id (at server version 193) and the answer it waits for. */
function requests(nextOrderId: number): Map<number, { fields: Fields; answer: Answer }> {
  const r = (id: number, fields: Fields, answer: Answer): [number, { fields: Fields; answer: Answer }] => [
    id,
    { fields: [id, ...fields], answer },
  ];
  const err = (code: number, id: number): Answer => ({ error: code, id });
  return new Map([
    r(1, [11, rid(1), ...contract, 0, "", 0, 0, ""], { data: "tickPrice", reqId: rid(1) }),
    r(2, [2, rid(1)], "none"),
    r(
      3,
      placeOrderAt(
        { orderId: nextOrderId, symbol: "AAPL", action: "BUY", quantity: 1, orderType: "LMT", lmtPrice: 1 },
        V,
      ).slice(1),
      { data: "openOrder" },
    ),
    r(4, [999_999, "", "", UNSET], err(10147, 999_999)),
    r(5, [1], { data: "openOrderEnd" }),
    r(6, [2, 1, ""], { data: "accountDownloadEnd" }),
    r(7, [3, rid(7), "", "", "", "", "", "", ""], { data: "execDetailsEnd", reqId: rid(7) }),
    r(8, [1, 1], { data: "nextValidId" }),
    r(9, [8, rid(9), ...contract, 0, "", "", ""], { data: "contractDetailsEnd", reqId: rid(9) }),
    r(10, [5, rid(10), ...contract, 5, 0, ""], err(354, rid(10))),
    r(11, [1, rid(10), 0], "none"),
    r(12, [1, 1], err(321, -1)),
    r(13, [1], "none"),
    r(14, [1, 3], "none"),
    // reqAutoOpenOrders is for client id 0 only; this client is 9.
    r(15, [1, 1], err(321, -1)),
    r(16, [1], { data: "openOrderEnd" }),
    r(17, [1], { data: "managedAccounts" }),
    r(18, [1, 1], err(321, -1)),
    r(19, [1, 1, "<xml/>", rid(19)], err(321, rid(19))),
    r(20, [rid(20), ...contract, 0, "", "1 hour", "1 D", 1, "TRADES", 1, 0, ""], {
      data: "historicalData",
      reqId: rid(20),
    }),
    r(21, [2, rid(21), ...contract.slice(0, 11), 1, 1, ACCOUNT, 0], err(321, rid(21))),
    r(22, [rid(22), 10, "STK", "STK.US", "TOP_PERC_GAIN", "", "", "", "", ""], err(162, rid(22))),
    r(23, [1, rid(22)], "none"),
    r(24, [1], err(321, -1)),
    r(25, [1, rid(20)], "none"),
    r(49, [1], { data: "currentTime" }),
    r(50, [3, rid(50), ...contract, 5, "TRADES", 1, ""], err(162, rid(50))),
    r(51, [1, rid(50)], "none"),
    r(52, [2, rid(52), ...contract.slice(0, 11), "ReportSnapshot", ""], err(321, rid(52))),
    r(53, [1, rid(52)], "none"),
    r(54, [3, rid(54), ...contract.slice(0, 11), 1, 100, ""], err(321, rid(54))),
    r(55, [3, rid(55), ...contract.slice(0, 11), 0.2, 100, ""], err(321, rid(55))),
    r(56, [1, rid(54)], "none"),
    r(57, [1, rid(55)], "none"),
    // reqGlobalCancel cancels the order placed by request 3.
    r(58, ["", UNSET], err(202, nextOrderId)),
    r(59, [1, 3], "none"),
    r(61, [1], { data: "positionEnd" }),
    r(62, [1, rid(62), "All", "NetLiquidation"], { data: "accountSummaryEnd", reqId: rid(62) }),
    r(63, [1, rid(62)], "none"),
    r(64, [1], "none"),
    r(65, [1, "api", "1"], err(321, -1)),
    r(66, [1, "data"], err(321, -1)),
    r(67, [1, rid(67)], err(321, rid(67))),
    r(68, [1, rid(68), 1], err(321, rid(68))),
    r(69, [1, rid(69), "8314@SMART"], err(321, rid(69))),
    r(70, [1, rid(68)], "none"),
    r(71, [2, 9, ""], "none"),
    r(72, [1, "api", "1", "key"], err(321, -1)),
    r(73, [1, "data", "xyz"], err(321, -1)),
    r(74, [1, rid(74), ACCOUNT, ""], { data: "positionMultiEnd", reqId: rid(74) }),
    r(75, [1, rid(74)], "none"),
    r(76, [1, rid(76), ACCOUNT, "", 1], { data: "accountUpdateMultiEnd", reqId: rid(76) }),
    r(77, [1, rid(76)], "none"),
    r(78, [rid(78), "AAPL", "", "STK", AAPL_CONID], {
      data: "securityDefinitionOptionParameterEnd",
      reqId: rid(78),
    }),
    r(79, [rid(79)], err(321, rid(79))),
    r(80, [], err(321, -1)),
    r(81, [rid(81), "AA"], err(321, rid(81))),
    r(82, [], err(321, -1)),
    r(83, [rid(83), "a6"], err(321, rid(83))),
    r(84, [rid(84), "BZ", "BZ$1", ""], err(321, rid(84))),
    r(85, [], err(321, -1)),
    r(86, [rid(86), AAPL_CONID, "BZ", "", "", 10, ""], err(321, rid(86))),
    r(87, [rid(87), ...contract, 0, 1, "TRADES", 1], err(162, rid(87))),
    r(88, [rid(88), ...contract, 0, 1, "3 days"], err(162, rid(88))),
    r(89, [rid(88)], "none"),
    r(90, [rid(87)], "none"),
    r(91, [26], err(321, -1)),
    r(92, [rid(92), ACCOUNT, ""], { data: "pnl", reqId: rid(92) }),
    r(93, [rid(92)], "none"),
    r(94, [rid(94), ACCOUNT, "", AAPL_CONID], { data: "pnlSingle", reqId: rid(94) }),
    r(95, [rid(94)], "none"),
    r(96, [rid(96), ...contract, 0, "", "20260102 10:00:00", 100, "TRADES", 1, 0, ""], err(162, rid(96))),
    r(97, [rid(97), ...contract, "Last", 0, 0], err(354, rid(97))),
    r(98, [rid(97)], "none"),
    r(99, [0], { data: "completedOrdersEnd" }),
    r(100, [rid(100)], err(321, rid(100))),
    r(101, [rid(100)], "none"),
    r(102, [rid(102), AAPL_CONID, "", "", "", "", 10], err(321, rid(102))),
    r(103, [rid(102)], "none"),
    r(104, [rid(104)], err(321, rid(104))),
  ]);
}

describe("TWS simulator: an answer to every request", () => {
  it("answers each request id with data or an error carrying its id; only fire-and-forget ones are silent", async () => {
    const brokerage = createBrokerage();
    const sim = await startTwsSimulator({ brokerage, maxMessagesPerSecond: 10_000 });
    cleanups.push(async () => {
      await sim.stop();
      brokerage.close();
    });
    const { client, nextValidId } = await startAtVersion(sim.port, 9, `v100..${V}`);
    cleanups.push(() => client.close());
    const table = requests(nextValidId);
    assert.deepEqual(
      Object.values(OutMsg).filter((id) => !table.has(id)),
      [],
      "every request id of the protocol table is exercised",
    );
    const decode = (f: string[]): ReturnType<typeof decodeServerMessage> | undefined => {
      try {
        return decodeServerMessage(f, V);
      } catch {
        return undefined;
      }
    };
    for (const [msgId, { fields, answer }] of table) {
      const before = client.received.length;
      client.send(fields);
      // Each request is followed by reqCurrentTime: whatever the request caused arrives before its reply.
      if (msgId !== OutMsg.REQ_CURRENT_TIME) client.send([49, 1]);
      const end = await client.next((f) => f[0] === "49");
      const caused = client.received.slice(before).filter((f) => f !== end);
      if (msgId === OutMsg.REQ_CURRENT_TIME) caused.push(end);
      const decoded = caused.map((f) => decode(f));
      assert.ok(
        decoded.every((m) => m !== undefined),
        `request ${msgId}: undecodable ${JSON.stringify(caused)}`,
      );
      const errors = decoded.filter((m) => m?.name === "error");
      if (answer === "none") {
        assert.deepEqual(errors, [], `request ${msgId} should stay unanswered`);
      } else if ("error" in answer) {
        assert.ok(
          errors.some((m) => m?.values.code === answer.error && m.values.id === answer.id),
          `request ${msgId}: expected error ${answer.error} for id ${answer.id}, got ${JSON.stringify(caused)}`,
        );
      } else {
        assert.deepEqual(errors, [], `request ${msgId}: unexpected error ${JSON.stringify(caused)}`);
        assert.ok(
          decoded.some(
            (m) => m?.name === answer.data && (answer.reqId === undefined || m.values.reqId === answer.reqId),
          ),
          `request ${msgId}: expected ${answer.data}, got ${JSON.stringify(caused)}`,
        );
      }
    }
  });
});

describe("TWS simulator: multi-account and P&L subscriptions", () => {
  it("reports P&L from the brokerage's positions and pushes it when the price moves", async () => {
    const brokerage = createBrokerage();
    const sim = await startTwsSimulator({ brokerage });
    cleanups.push(async () => {
      await sim.stop();
      brokerage.close();
    });
    const { client, nextValidId } = await startAtVersion(sim.port, 3, "v157..178");
    cleanups.push(() => client.close());
    const at = (f: string[]): ReturnType<typeof decodeServerMessage> => decodeServerMessage(f, 178);
    client.send(
      placeOrderAt(
        { orderId: nextValidId, symbol: "AAPL", action: "BUY", quantity: 4, orderType: "MKT" },
        178,
      ),
    );
    await client.next((f) => at(f).name === "commissionReport");
    await brokerage.whenIdle();
    const position = brokerage.position(ACCOUNT, AAPL_CONID);
    assert.equal(position?.quantity, 4);

    client.send([92, 21, ACCOUNT, ""]);
    client.send([94, 22, ACCOUNT, "", AAPL_CONID]);
    const first = at(await client.next((f) => f[0] === "95"));
    assert.deepEqual(
      [first.values.position, first.values.unrealized, first.values.value],
      [4, position?.unrealizedPnl, position?.marketValue],
    );
    brokerage.setPrice(AAPL_CONID, (position?.marketPrice ?? 100) + 10);
    await brokerage.whenIdle();
    // The account total is pushed first, then each single position.
    const total = at(await client.next((f) => f[0] === "94"));
    assert.equal(total.values.reqId, 21);
    const moved = at(await client.next((f) => f[0] === "95"));
    const after = brokerage.position(ACCOUNT, AAPL_CONID);
    assert.equal(moved.values.unrealized, after?.unrealizedPnl);
    assert.ok(Number(moved.values.unrealized) > Number(first.values.unrealized));
    assert.equal(total.values.unrealized, after?.unrealizedPnl);

    client.send([77, 1, 30]);
    client.send([76, 1, 31, "DU0000000", "", 1]);
    await client.next((f) => f[0] === "4" && f[2] === "31" && f[3] === "321");
    client.send([92, 32, "", ""]);
    await client.next((f) => f[0] === "4" && f[2] === "32" && f[3] === "321");
  });
});
