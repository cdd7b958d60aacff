import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { parse } from "graphql";
import type { Client } from "graphql-ws";
import {
  createBrokerService,
  type BrokerEventSink,
  type ClientPortalBroker,
  type OrderRequest,
  type PlaceOutcome,
} from "../src/brokers";
import { silentLogger } from "../src/logger";
import type { Contract } from "../src/schema/contract.type";
import { BrokerApi, OrderSide, OrderType, TimeInForce } from "../src/schema/enums";
import { DEFAULT_GUARDS } from "./helpers/memory-app";
import { MemoryTwsBroker } from "./helpers/memory-broker";
import type { Json } from "./helpers/cp-sim-client";
import { Subscription } from "./helpers/graphql";
import { startSimApp, type SimApp } from "./helpers/sim-app";
import { eventually } from "./helpers/wait";

const A1 = "DU1234567";
const A2 = "DU7654321";
const AAPL = 265598;

const ORDER_FIELDS = `id clientOrderId accountId source permId brokerOrderId status quantity filledQuantity
  contract { conid symbol }`;
const PLACE = `mutation Place($i: PlaceOrderInput!) {
  placeOrder(input: $i) { order { ${ORDER_FIELDS} } confirmation { replyId messageIds } }
}`;
const ORDERS = `query { orders { ${ORDER_FIELDS} } }`;
const UPDATES = parse(`subscription Updates($after: Int) {
  orderUpdates(afterSequence: $after) {
    sequence type catchUp order { ${ORDER_FIELDS} } fill { executionId quantity price }
  }
}`) as TypedDocumentNode<{ orderUpdates: Json }, { after?: number }>;
const POSITIONS = `query { positions { accountId quantity source asOf contract { conid symbol } } }`;
const SESSION = `query { session { ready clientPortal { state } tws { state } } }`;

interface Placement {
  coid: string;
  account: string;
  via: "TWS" | "CLIENT_PORTAL";
  type: "LIMIT" | "MARKET";
  quantity: number;
}

/**
 * The promise of issue 7: one view over both APIs. Orders placed through either API appear once, with the
 * placing API as `source` and IB's permId as `id`; accounts are merged; positions come from TWS while it is
 * connected and from Client Portal otherwise; `orderUpdates` carries both APIs' orders, each event once.
 */
describe("unified view over both simulators", () => {
  let s: SimApp;
  let client: Client;
  let updates: Subscription<{ orderUpdates: Json }>;
  const startedAt = Date.now();
  const placements: Placement[] = [
    { coid: "view-tws-lmt", account: A1, via: "TWS", type: "LIMIT", quantity: 2 },
    { coid: "view-cp-lmt", account: A2, via: "CLIENT_PORTAL", type: "LIMIT", quantity: 3 },
    { coid: "view-tws-mkt", account: A1, via: "TWS", type: "MARKET", quantity: 5 },
    { coid: "view-cp-mkt", account: A2, via: "CLIENT_PORTAL", type: "MARKET", quantity: 7 },
  ];
  const placed = new Map<string, Json>();

  /** GET /iserver/account/orders seen by the gateway: the Client Portal order follower's polls. */
  const followerPolls = async () =>
    (await s.requests()).filter((r) => r.method === "GET" && r.path === "/v1/api/iserver/account/orders")
      .length;

  before(async () => {
    s = await startSimApp({ simulators: { accounts: [A1, A2] } });
    client = s.ws();
    updates = new Subscription(client, UPDATES, {});
    await eventually("the orderUpdates subscriber", () => s.app.broker.subscriberCounts().orderUpdates === 1);
    for (const p of placements) {
      const r = await s.op(PLACE, {
        i: {
          accountId: p.account,
          contract: { conid: AAPL },
          side: "BUY",
          type: p.type,
          quantity: p.quantity,
          ...(p.type === "LIMIT" ? { limitPrice: 100 } : {}),
          clientOrderId: p.coid,
          via: p.via,
        },
      });
      assert.deepEqual(r.errors, undefined, `${p.coid}: ${JSON.stringify(r.errors)}`);
      placed.set(p.coid, r.data.placeOrder.order);
    }
    // Both APIs have now reported every order: the follower polled twice after the last placement.
    const polls = await followerPolls();
    await eventually("two follower polls", async () => (await followerPolls()) >= polls + 2);
  });
  after(async () => {
    updates?.dispose();
    await client?.dispose();
    await s?.stop();
  });

  it("merges accounts by id, each with both sources", async () => {
    const r = await s.op("{ accounts { id type sources } }");
    const accounts = r.data.accounts as { id: string; sources: string[] }[];
    assert.deepEqual(accounts.map((a) => a.id).sort(), [A1, A2]);
    for (const a of accounts) assert.deepEqual([...a.sources].sort(), ["CLIENT_PORTAL", "TWS"], a.id);
  });

  it("lists every order once, with IB's permId as id and its clientOrderId", async () => {
    const sim = await s.simOrders();
    const orders = (await s.op(ORDERS)).data.orders as Json[];
    assert.equal(new Set(orders.map((o) => o.id)).size, orders.length, "no id twice");
    for (const p of placements) {
      const mine = orders.filter((o) => o.clientOrderId === p.coid);
      assert.equal(mine.length, 1, `${p.coid} appears once`);
      const o = mine[0];
      const book = sim.filter((b) => b.clientOrderId === p.coid);
      assert.equal(book.length, 1, `${p.coid} is one order in the book`);
      assert.equal(book[0]?.timesPlaced, 1);
      assert.equal(o.id, String(book[0]?.permId), `${p.coid}: id is the permId`);
      assert.equal(o.permId, o.id);
      assert.equal(o.accountId, p.account);
      assert.equal(o.id, placed.get(p.coid).id, "the mutation answered the same id");
      assert.equal(o.status, p.type === "MARKET" ? "FILLED" : "SUBMITTED", `${p.coid}: status`);
      const one = await s.op(`query($id: ID!) { order(id: $id) { id clientOrderId } }`, { id: o.id });
      assert.deepEqual(one.data.order, { id: o.id, clientOrderId: p.coid });
    }
    // Filtered by account: each account's orders, whichever API placed or reported them.
    const a2 = await s.op(`query($a: ID) { orders(accountId: $a) { clientOrderId } }`, { a: A2 });
    assert.deepEqual(a2.data.orders.map((o: Json) => o.clientOrderId).sort(), ["view-cp-lmt", "view-cp-mkt"]);
  });

  /**
   * Every orderUpdates event up to the server's last sequence, after both APIs have reported everything
   * twice. Collected once, by whichever test asks first, so each test can run alone or in any order.
   */
  let streamed: Promise<Json[]> | undefined;
  const streamedEvents = (): Promise<Json[]> => (streamed ??= collectStream());
  const collectStream = async (): Promise<Json[]> => {
    const seen: Json[] = [];
    // Fence: the server's last sequence right now (its replay buffer, read in-process); the live
    // subscription must reach it before the test looks.
    const lastSequence = async (): Promise<number> => {
      const replay = await s.app.broker.orderUpdates({ afterSequence: 0 });
      let last = 0;
      for (;;) {
        // Buffered events are queued synchronously on subscribe, so they all resolve before a macrotask.
        const r = await Promise.race([
          replay.next(),
          new Promise<null>((res) => setImmediate(() => res(null))),
        ]);
        if (!r || r.done) break;
        last = r.value.sequence;
      }
      await replay.return?.();
      return last;
    };
    const fence = async () => {
      const target = await lastSequence();
      while ((seen.at(-1)?.sequence ?? 0) < target) {
        const r = await updates.next(3_000);
        assert.deepEqual(r.errors, undefined);
        seen.push(r.data?.orderUpdates);
      }
    };
    await fence();
    // Let both APIs report everything once more, then look again.
    const polls = await followerPolls();
    await eventually("two more follower polls", async () => (await followerPolls()) >= polls + 2);
    await fence();
    return seen;
  };

  it("streams orders placed through both APIs on orderUpdates, each event once", async () => {
    const ids = new Map(placements.map((p) => [placed.get(p.coid).id as string, p]));
    const seen = await streamedEvents();
    const sequences = seen.map((e) => e.sequence);
    assert.deepEqual(
      sequences,
      [...sequences].sort((a, b) => a - b),
      "in sequence order",
    );
    assert.equal(new Set(sequences).size, sequences.length, "no sequence twice");
    for (const [id, p] of ids) {
      const mine = seen.filter((e) => e.order.id === id);
      const types = mine.map((e) => e.type);
      assert.equal(types.filter((t) => t === "NEW").length, 1, `${p.coid}: one NEW in ${types}`);
      if (p.type === "MARKET") {
        assert.equal(types.filter((t) => t === "FILL").length, 1, `${p.coid}: one FILL in ${types}`);
        const execs = mine.filter((e) => e.fill).map((e) => e.fill.executionId);
        assert.equal(new Set(execs).size, execs.length, `${p.coid}: each execution once`);
        assert.equal(
          mine.filter((e) => e.fill).reduce((q, e) => q + e.fill.quantity, 0),
          p.quantity,
          `${p.coid}: fills add up`,
        );
      } else {
        assert.deepEqual(types, ["NEW", "SUBMITTED"], `${p.coid}: a working order is announced once`);
      }
    }
  });

  it("carries the placing API as source in orders, order(id) and every event, whichever API reported first", async () => {
    const orders = (await s.op(ORDERS)).data.orders as Json[];
    const seen = await streamedEvents();
    for (const p of placements) {
      const o = orders.find((x) => x.clientOrderId === p.coid);
      assert.equal(o?.source, p.via, `${p.coid}: source in orders`);
      const events = seen.filter((e) => e.order.clientOrderId === p.coid);
      assert.ok(events.length > 0);
      assert.deepEqual(
        events.filter((e) => e.order.source !== p.via).map((e) => `${e.type} ${e.order.source}`),
        [],
        `${p.coid}: every event's source`,
      );
    }
  });

  it("serves positions from TWS while it is connected and from Client Portal while it is not", async () => {
    const expected = [
      { accountId: A1, quantity: 5 },
      { accountId: A2, quantity: 7 },
    ];
    const check = (rows: Json[], source: string) => {
      const aapl = rows
        .filter((p) => p.contract.conid === AAPL)
        .map((p) => ({ accountId: p.accountId, quantity: p.quantity }))
        .sort((a, b) => a.accountId.localeCompare(b.accountId));
      assert.deepEqual(aapl, expected);
      for (const p of rows) {
        assert.equal(p.source, source);
        const asOf = Date.parse(p.asOf);
        assert.ok(asOf >= startedAt - 1_000 && asOf <= Date.now() + 1_000, `asOf ${p.asOf} is recent`);
      }
    };
    // The stream tests look at the events before TWS is dropped here, whichever order the tests run in.
    await streamedEvents();
    const twsRows = await eventually("TWS positions after the fills", async () => {
      const rows = (await s.op(POSITIONS)).data.positions as Json[];
      return rows.filter((p) => p.contract.conid === AAPL).length === 2 ? rows : undefined;
    });
    check(twsRows, "TWS");

    await s.control("/sim/tws/disconnect", { refuseMs: 1_000 });
    await eventually("TWS down", async () => (await s.op(SESSION)).data.session.tws.state !== "CONNECTED");
    check((await s.op(POSITIONS)).data.positions, "CLIENT_PORTAL");

    await eventually(
      "TWS back",
      async () => (await s.op(SESSION)).data.session.tws.state === "CONNECTED",
      5_000,
    );
    const back = await eventually("TWS positions again", async () => {
      const r = await s.op(POSITIONS);
      return r.errors === undefined && r.data.positions.length >= 2 ? r.data.positions : undefined;
    });
    check(back, "TWS");
  });
});

describe("the placing API's answer against a first report from the other API", () => {
  it("keeps the placing API as source and its order id when the other API reported the order first", async () => {
    // A TWS client 0 hears of a Client Portal order (orderId 0, so no brokerOrderId) before Client
    // Portal's HTTP answer arrives: a real race between two sockets, replayed here in its order with
    // in-memory sides so the order of the two reports is certain.
    let sink!: BrokerEventSink;
    const service = createBrokerService({
      simulated: true,
      logger: silentLogger(),
      orderEventBuffer: 100,
      guards: DEFAULT_GUARDS,
      tws: (s) => new MemoryTwsBroker(s),
      clientPortal: (s) => {
        sink = s;
        const cp = new MemoryTwsBroker(s);
        const place = cp.placeOrder.bind(cp);
        const status = cp.status.bind(cp);
        return Object.assign(cp, {
          api: BrokerApi.CLIENT_PORTAL,
          status: () => ({ ...status(), readOnly: false }),
          async placeOrder(r: OrderRequest, c: Contract): Promise<PlaceOutcome> {
            const { order } = await place(r, c);
            assert.ok(order);
            sink.order({ order: { ...order, source: BrokerApi.TWS, brokerOrderId: null } });
            return { order: { ...order, source: BrokerApi.CLIENT_PORTAL, brokerOrderId: order.id } };
          },
        }) as unknown as ClientPortalBroker;
      },
    });
    await service.start();
    try {
      const caller = { client: "test", canTrade: true };
      const input = {
        accountId: "DU0000001",
        contract: { conid: AAPL },
        side: OrderSide.BUY,
        type: OrderType.LIMIT,
        quantity: 1,
        limitPrice: 100,
        timeInForce: TimeInForce.DAY,
        clientOrderId: "race-1",
        via: BrokerApi.CLIENT_PORTAL,
      };
      const { order } = await service.placeOrder(input, caller);
      assert.equal(order?.source, BrokerApi.CLIENT_PORTAL);
      assert.equal(order?.brokerOrderId, order?.id);
      const listed = await service.orders({});
      assert.equal(listed.length, 1);
      assert.equal(listed[0]?.source, BrokerApi.CLIENT_PORTAL);
    } finally {
      await service.close();
    }
  });
});
