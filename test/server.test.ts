import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { parse } from "graphql";
import { request } from "undici";
import {
  CancelOrderDocument,
  OrderUpdatesDocument,
  OrdersDocument,
  PlaceOrderDocument,
  PositionsDocument,
  SessionDocument,
  SessionEventsDocument,
  AccountsDocument,
  type PlaceOrderMutationVariables,
} from "./generated/graphql";
import { gql, gqlData, Subscription, wsClient } from "./helpers/graphql";
import { createBrokerService, MemoryIdempotencyStore } from "../src/brokers";
import type { AppError } from "../src/errors";
import { silentLogger } from "../src/logger";
import { MemoryTwsBroker } from "./helpers/memory-broker";
import { DEFAULT_GUARDS, startMemoryApp, type MemoryApp } from "./helpers/memory-app";

const order = (over: Partial<PlaceOrderMutationVariables["input"]> = {}): PlaceOrderMutationVariables => ({
  input: {
    accountId: "DU0000001",
    contract: { conid: 265598 },
    side: "BUY",
    type: "LIMIT",
    quantity: 10,
    limitPrice: 150,
    clientOrderId: "t-1",
    ...over,
  },
});

describe("GraphQL server over an in-memory broker", () => {
  let app: MemoryApp;
  before(async () => {
    app = await startMemoryApp();
  });
  after(() => app.server.stop());

  it("answers the session query", async () => {
    const data = await gqlData(app.server.httpUrl, SessionDocument);
    assert.equal(data.session.mode, "SIMULATED");
    assert.equal(data.session.ready, true);
    assert.equal(data.session.tws.state, "CONNECTED");
    assert.equal(data.session.clientPortal.state, "DISABLED");
  });

  it("serves accounts with summaries and positions", async () => {
    const data = await gqlData(app.server.httpUrl, AccountsDocument);
    assert.equal(data.accounts[0]?.id, "DU0000001");
    assert.equal(data.accounts[0]?.summary?.netLiquidation, 100000);
    const p = await gqlData(app.server.httpUrl, PositionsDocument, { accountId: "DU0000001" });
    assert.equal(p.positions[0]?.contract.symbol, "AAPL");
  });

  it("gives every error an extensions.code, and sends nothing upstream for bad input", async () => {
    const before = app.tws.placed.length;
    const cases: [PlaceOrderMutationVariables, string][] = [
      [order({ quantity: -1, clientOrderId: "bad-1" }), "BAD_USER_INPUT"],
      [order({ limitPrice: null, clientOrderId: "bad-2" }), "BAD_USER_INPUT"],
      [order({ type: "MARKET", clientOrderId: "bad-3" }), "BAD_USER_INPUT"],
      [order({ clientOrderId: "" }), "BAD_USER_INPUT"],
      [order({ accountId: "U1234567", clientOrderId: "live-1" }), "LIVE_TRADING_DISABLED"],
      [order({ contract: { symbol: "NOPE" }, clientOrderId: "bad-4" }), "NOT_FOUND"],
    ];
    for (const [vars, code] of cases) {
      const r = await gql(app.server.httpUrl, PlaceOrderDocument, vars);
      assert.equal(r.errors?.[0]?.extensions?.code, code, JSON.stringify(vars));
    }
    assert.equal(app.tws.placed.length, before);
    const parse = await request(app.server.httpUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ nope" }),
    });
    const body = (await parse.body.json()) as { errors: { extensions: { code: string } }[] };
    assert.equal(body.errors[0]?.extensions.code, "BAD_USER_INPUT");
    const invalidEnum = await request(app.server.httpUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ orders(status: [NOPE]) { id } }" }),
    });
    const b2 = (await invalidEnum.body.json()) as { errors: { extensions: { code: string } }[] };
    assert.equal(b2.errors[0]?.extensions.code, "BAD_USER_INPUT");
  });

  it("refuses operations that are too deep or too complex, over HTTP and graphql-ws", async () => {
    const deep = "{ accounts { orders { contract { symbol } } } }";
    const ok = await request(app.server.httpUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: deep }),
    });
    assert.equal(ok.statusCode, 200);
    await ok.body.dump();
    const wide = `{ ${Array.from({ length: 600 }, (_, i) => `a${i}: session { mode }`).join(" ")} }`;
    const r = await request(app.server.httpUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: wide }),
    });
    const body = (await r.body.json()) as { errors: { message: string; extensions: { code: string } }[] };
    assert.match(body.errors[0]!.message, /complexity/);
    assert.equal(body.errors[0]!.extensions.code, "BAD_USER_INPUT");
    const client = wsClient(app.server.wsUrl);
    try {
      const wideSub = `subscription { sessionEvents { ${Array.from({ length: 600 }, (_, i) => `a${i}: type`).join(" ")} } }`;
      const sub = new Subscription(
        client,
        parse(wideSub) as TypedDocumentNode<unknown, Record<string, unknown>>,
      );
      await assert.rejects(sub.next(), /complexity/);
    } finally {
      await client.dispose();
    }
  });

  it("streams order events over graphql-ws, and replays them with afterSequence", async () => {
    const client = wsClient(app.server.wsUrl);
    try {
      const subscribed = app.subscribed();
      const sub = new Subscription(client, OrderUpdatesDocument, { accountId: "DU0000001" });
      await subscribed;
      const placed = await gqlData(
        app.server.httpUrl,
        PlaceOrderDocument,
        order({ clientOrderId: "stream-1" }),
      );
      const id = placed.placeOrder.order!.id;
      app.tws.fill(id, 149.5);
      const events = await sub.until((d) => d.orderUpdates.order.id === id && d.orderUpdates.type === "FILL");
      const mine = events.filter((e) => e.orderUpdates.order.id === id).map((e) => e.orderUpdates.type);
      assert.deepEqual(mine, ["NEW", "SUBMITTED", "FILL"]);
      const seqs = events.map((e) => e.orderUpdates.sequence);
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
      );
      sub.dispose();

      const firstSeq = events.find((e) => e.orderUpdates.order.id === id)!.orderUpdates.sequence;
      const replay = new Subscription(client, OrderUpdatesDocument, { afterSequence: firstSeq });
      const r = await replay.until((d) => d.orderUpdates.type === "FILL");
      assert.equal(r[0]?.orderUpdates.sequence, firstSeq + 1);
      replay.dispose();

      const tooNew = new Subscription(client, OrderUpdatesDocument, { afterSequence: 1_000_000 });
      const refused = await tooNew.next();
      // A position the journal never reached: refused with its bounds, never silently taken as "now".
      assert.match(refused.errors?.[0]?.message ?? "", /ahead of this journal/);
      assert.equal(refused.errors?.[0]?.extensions?.code, "CURSOR_INVALID");
      assert.equal(typeof refused.errors?.[0]?.extensions?.lastSequence, "number");
    } finally {
      await client.dispose();
    }
  });

  it("announces session events", async () => {
    const client = wsClient(app.server.wsUrl);
    try {
      const subscribed = app.subscribed();
      const sub = new Subscription(client, SessionEventsDocument);
      await subscribed;
      app.tws.setConnected(false);
      const [down] = await sub.until(() => true);
      assert.equal(down?.sessionEvents.type, "DISCONNECTED");
      assert.equal(down?.sessionEvents.status.ready, false);
      const r = await gql(app.server.httpUrl, PlaceOrderDocument, order({ clientOrderId: "while-down" }));
      assert.equal(r.errors?.[0]?.extensions?.code, "BROKER_UNAVAILABLE");
      app.tws.setConnected(true);
      const [up] = await sub.until(() => true);
      assert.equal(up?.sessionEvents.type, "CONNECTED");
      assert.ok(up!.sessionEvents.sequence > down!.sessionEvents.sequence);
    } finally {
      await client.dispose();
    }
  });

  it("cancels and lists orders by status", async () => {
    const placed = await gqlData(
      app.server.httpUrl,
      PlaceOrderDocument,
      order({ clientOrderId: "cancel-1" }),
    );
    const c = await gqlData(app.server.httpUrl, CancelOrderDocument, { id: placed.placeOrder.order!.id });
    assert.equal(c.cancelOrder.status, "CANCELLED");
    const list = await gqlData(app.server.httpUrl, OrdersDocument, { status: ["CANCELLED"] });
    assert.ok(list.orders.some((o) => o.clientOrderId === "cancel-1"));
    const missing = await gql(app.server.httpUrl, CancelOrderDocument, { id: "424242" });
    assert.equal(missing.errors?.[0]?.extensions?.code, "NOT_FOUND");
  });

  it("exposes Prometheus metrics that follow operations, errors, events and subscribers", async () => {
    const scrape = async () => {
      const r = await request(app.server.httpUrl.replace("/graphql", "/metrics"));
      assert.equal(r.statusCode, 200);
      return r.body.text();
    };
    // One good order (its NEW event) and one refused: this test's own, whatever ran before it.
    await gqlData(app.server.httpUrl, PlaceOrderDocument, order({ clientOrderId: "metrics-ok" }));
    await gql(app.server.httpUrl, PlaceOrderDocument, order({ quantity: -5, clientOrderId: "metrics-bad" }));
    const text = await scrape();
    assert.match(text, /ibkr_graphql_operations_total\{type="mutation",transport="http"\} \d+/);
    assert.match(text, /ibkr_graphql_errors_total\{code="BAD_USER_INPUT"\} \d+/);
    assert.match(text, /ibkr_order_events_total\{type="NEW",catch_up="false"\} \d+/);
    assert.match(text, /ibkr_session_state\{api="TWS",state="CONNECTED"\} 1/);
    assert.match(text, /ibkr_ready 1/);
    const client = wsClient(app.server.wsUrl);
    const subscribed = app.subscribed();
    const sub = new Subscription(client, SessionEventsDocument);
    await subscribed;
    assert.match(await scrape(), /ibkr_subscriptions_open\{subscription="sessionEvents"\} 1/);
    sub.dispose();
    await client.dispose();
  });

  it("has liveness, readiness and landing pages", async () => {
    const live = await request(app.server.httpUrl.replace("/graphql", "/livez"));
    assert.equal(live.statusCode, 200);
    await live.body.dump();
    const ready = await request(app.server.httpUrl.replace("/graphql", "/readyz"));
    assert.equal(ready.statusCode, 200);
    const body = (await ready.body.json()) as { components: { tws: { state: string } } };
    assert.equal(body.components.tws.state, "CONNECTED");
    const page = await request(app.server.httpUrl, { headers: { accept: "text/html" } });
    assert.equal(page.statusCode, 200);
    assert.match(await page.body.text(), /GraphiQL/);
  });
});

describe("API token", () => {
  const token = "0123456789abcdef0123";
  const readToken = "read-0123456789abcdef";
  let app: MemoryApp;
  before(async () => {
    app = await startMemoryApp({}, { auth: { apiToken: token, apiReadToken: readToken } });
  });
  after(() => app.server.stop());

  it("refuses HTTP without the token with 401 UNAUTHENTICATED", async () => {
    const r = await gql(app.server.httpUrl, SessionDocument);
    assert.equal(r.status, 401);
    assert.equal(r.errors?.[0]?.extensions?.code, "UNAUTHENTICATED");
    const ok = await gql(app.server.httpUrl, SessionDocument, undefined, {
      authorization: `Bearer ${token}`,
    });
    assert.equal(ok.status, 200);
  });

  it("closes graphql-ws connections without the token with 4401", async () => {
    const client = wsClient(app.server.wsUrl);
    const sub = new Subscription(client, SessionEventsDocument);
    await assert.rejects(sub.next(), (e: unknown) => (e as { code?: number }).code === 4401);
    await client.dispose();
    const authed = wsClient(app.server.wsUrl, { authorization: `Bearer ${token}` });
    const subscribed = app.subscribed();
    const ok = new Subscription(authed, SessionEventsDocument);
    await subscribed;
    ok.dispose();
    await authed.dispose();
  });

  it("lets a read token query but not trade", async () => {
    const h = { authorization: `Bearer ${readToken}` };
    assert.equal((await gql(app.server.httpUrl, SessionDocument, undefined, h)).status, 200);
    const r = await gql(app.server.httpUrl, PlaceOrderDocument, order({ clientOrderId: "ro-1" }), h);
    assert.equal(r.errors?.[0]?.extensions?.code, "FORBIDDEN");
  });
});

describe("unknown outcomes", () => {
  it("never places again a key whose outcome is unknown and too old for IB's lists to settle", async () => {
    const store = new MemoryIdempotencyStore();
    let tws!: MemoryTwsBroker;
    const broker = createBrokerService({
      simulated: true,
      logger: silentLogger(),
      orderEventBuffer: 10,
      idempotency: store,
      guards: DEFAULT_GUARDS,
      tws: (sink) => (tws = new MemoryTwsBroker(sink)),
    });
    await broker.start();
    try {
      const caller = { client: "test", canTrade: true };
      const input = { ...order({ clientOrderId: "old-1" }).input, timeInForce: "DAY" } as never;
      tws.loseNextAnswer = true;
      await assert.rejects(broker.placeOrder(input, caller), (e: AppError) => e.code === "OUTCOME_UNKNOWN");
      const rec = store.get("old-1")!;
      assert.equal(rec.state, "UNKNOWN");
      await store.put({ ...rec, updatedAt: new Date(Date.now() - 2 * 24 * 3600_000).toISOString() });
      await assert.rejects(broker.placeOrder(input, caller), /too old to reconcile/);
      assert.equal(tws.placed.filter((p) => p.clientOrderId === "old-1").length, 1, "never resent");
    } finally {
      await broker.close();
    }
  });
});

describe("landing pages", () => {
  for (const [page, expect] of [
    ["playground", /GraphQL Playground/i],
    ["none", null],
  ] as const) {
    it(`serves the ${page} landing page option`, async () => {
      const app = await startMemoryApp({}, { landingPage: page });
      try {
        const r = await request(app.server.httpUrl, { headers: { accept: "text/html" } });
        const body = await r.body.text();
        if (expect) {
          assert.equal(r.statusCode, 200);
          assert.match(body, expect);
        } else {
          assert.doesNotMatch(body, /sandbox|playground/i);
        }
      } finally {
        await app.server.stop();
      }
    });
  }
});
