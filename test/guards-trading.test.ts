import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parse } from "graphql";
import type { Client } from "graphql-ws";
import { createBrokerService } from "../src/brokers";
import { createTwsBroker } from "../src/brokers/tws";
import { silentLogger } from "../src/logger";
import { startServer, type RunningServer } from "../src/server";
import { startSimulators, type Simulators } from "../src/simulators";
import { gql } from "./helpers/graphql";
import { DEFAULT_GUARDS } from "./helpers/memory-app";
import { fastTwsOptions } from "./helpers/tws-harness";
import type { Json } from "./helpers/cp-sim-client";
import {
  capturingLogger,
  codesOf,
  eventually,
  startSimApp,
  wsOnce,
  type SimApp,
  type SimAppOptions,
} from "./helpers/sim-app";

const PAPER = "DU1234567";
const LIVE = "U7654321";
const OTHER = "DU7654321";
const AAPL = 265598;

const PLACE = `mutation Place($i: PlaceOrderInput!) {
  placeOrder(input: $i) { order { id accountId source status } confirmation { replyId } }
}`;
const MODIFY = `mutation Modify($id: ID!, $m: ModifyOrderInput!) { modifyOrder(id: $id, input: $m) { id quantity limitPrice } }`;
const CANCEL = `mutation Cancel($id: ID!) { cancelOrder(id: $id) { id status } }`;
const CONFIRM = `mutation { confirmOrder(replyId: "r-1", confirmed: true) { order { id } } }`;
const REAUTH = `mutation { reauthenticate { ready } }`;

type Run = (query: string, variables?: Record<string, unknown>) => Promise<Json>;

const order = (over: Record<string, unknown>) => ({
  i: {
    accountId: PAPER,
    contract: { conid: AAPL },
    side: "BUY",
    type: "LIMIT",
    quantity: 1,
    limitPrice: 100,
    ...over,
  },
});

/** The same guard, checked over HTTP and over graphql-ws. */
class Harness {
  s!: SimApp;
  log = capturingLogger();
  private client!: Client;
  transports: [string, Run][] = [];

  async start(options: SimAppOptions): Promise<void> {
    this.s = await startSimApp({ ...options, logger: this.log.logger });
    this.client = this.s.ws();
    this.transports = [
      ["HTTP", (q, v) => this.s.op(q, v)],
      ["graphql-ws", (q, v) => wsOnce(this.client, q, v)],
    ];
  }

  async stop(): Promise<void> {
    await this.client?.dispose();
    await this.s?.stop();
  }

  /** An order entered elsewhere (another Client Portal session): a target for modify and cancel. */
  async bookOrder(account: string, orderRef: string): Promise<string> {
    const r = this.s.app.simulators!.brokerage.placeOrder({
      account,
      contract: { conid: AAPL },
      side: "BUY",
      orderType: "LMT",
      quantity: 1,
      limitPrice: 100,
      orderRef,
      api: "CP",
    });
    assert.ok(r.order && !r.reject, JSON.stringify(r.reject));
    return String(r.order.permId);
  }

  /**
   * What the gateways hold: the book's orders with their terms, Client Portal's order writes, and every
   * submission that reached the book through either simulator (TWS's placeOrder included), rejected or not.
   */
  async upstream(): Promise<Json> {
    const sim = await this.s.simOrders();
    const brokerage = this.s.app.simulators!.brokerage;
    return {
      sim: sim.map((o) => [o.permId, o.status, o.quantity, o.limitPrice]),
      book: brokerage.listOrders().map((o) => [o.permId, o.status, o.quantity, o.limitPrice]),
      writes: (await this.s.orderWrites()).length,
      submissions: brokerage.orderRefStats().map((r) => [r.orderRef, r.submissions]),
    };
  }

  /** Runs `fn` and asserts that it left both gateways as they were. */
  async untouched<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const before = await this.upstream();
    const r = await fn();
    assert.deepEqual(await this.upstream(), before, `${what} reached a gateway`);
    return r;
  }

  /** Each transport: run, expect one error with `code`, nothing upstream, and a refusal audit line. */
  async refused(
    what: string,
    code: string,
    query: string,
    variables: (transport: string) => Record<string, unknown> | undefined,
    message: RegExp,
  ): Promise<void> {
    for (const [name, run] of this.transports) {
      const r = await this.untouched(`${what} over ${name}`, () => run(query, variables(name)));
      assert.deepEqual(codesOf(r), [code], `${what} over ${name}: ${JSON.stringify(r.errors)}`);
      assert.match(r.errors?.[0]?.message ?? "", message, `${what} over ${name}: message`);
    }
  }

  refusals(): Json[] {
    return this.log.lines.filter((l) => l.msg === "mutation refused");
  }
}

describe("READ_ONLY=true", () => {
  const h = new Harness();
  let target = "";
  before(async () => {
    await h.start({ env: { READ_ONLY: "true" } });
    target = await h.bookOrder(PAPER, "ro-target");
    await eventually("the target order seen", async () => {
      const r = await h.s.op(`query($id: ID!) { order(id: $id) { id } }`, { id: target });
      return r.data?.order?.id === target;
    });
  });
  after(() => h.stop());

  it("refuses placeOrder, modifyOrder, cancelOrder and confirmOrder with READ_ONLY", async () => {
    const msg = /read-only.*READ_ONLY=true/;
    await h.refused("placeOrder", "READ_ONLY", PLACE, (t) => order({ clientOrderId: `ro-${t}` }), msg);
    await h.refused("modifyOrder", "READ_ONLY", MODIFY, () => ({ id: target, m: { quantity: 2 } }), msg);
    await h.refused("cancelOrder", "READ_ONLY", CANCEL, () => ({ id: target }), msg);
    await h.refused("confirmOrder", "READ_ONLY", CONFIRM, () => undefined, msg);
    // Reads still work.
    const r = await h.s.op("{ accounts { id } orders { id } }");
    assert.deepEqual(r.errors, undefined);
  });

  it("logs every refusal with account, mode and client", async () => {
    const msg = /read-only/;
    await h.refused("placeOrder", "READ_ONLY", PLACE, (t) => order({ clientOrderId: `ro-log-${t}` }), msg);
    const placed = h
      .refusals()
      .filter((l) => l.op === "placeOrder" && l.clientOrderId?.startsWith("ro-log-"));
    assert.equal(placed.length, 2);
    for (const l of placed) {
      assert.equal(l.accountId, PAPER);
      assert.equal(l.mode, "SIMULATED");
      assert.equal(l.code, "READ_ONLY");
      assert.match(l.client, /^(http|ws) /);
    }
    assert.deepEqual(placed.map((l) => l.client.split(" ")[0]).sort(), ["http", "ws"]);
  });

  it("logs refused modify and cancel with the order's account", async () => {
    const mark = h.log.lines.length;
    await h.refused(
      "modifyOrder",
      "READ_ONLY",
      MODIFY,
      () => ({ id: target, m: { quantity: 2 } }),
      /read-only/,
    );
    await h.refused("cancelOrder", "READ_ONLY", CANCEL, () => ({ id: target }), /read-only/);
    const changes = h.log.lines
      .slice(mark)
      .filter((l) => l.msg === "mutation refused" && (l.op === "modifyOrder" || l.op === "cancelOrder"));
    assert.equal(changes.length, 4);
    for (const l of changes) assert.equal(l.accountId, PAPER, JSON.stringify(l));
  });

  it("refuses reauthenticate with READ_ONLY too (every mutation)", async () => {
    await h.refused("reauthenticate", "READ_ONLY", REAUTH, () => undefined, /read-only/);
  });
});

describe("live accounts, the IB_ACCOUNTS allowlist and per-order limits", () => {
  const h = new Harness();
  let liveTarget = "";
  let otherTarget = "";
  let paperTarget = "";
  before(async () => {
    await h.start({
      env: {
        IB_ACCOUNTS: `${PAPER},${LIVE}`,
        MAX_ORDER_QUANTITY: "10",
        MAX_ORDER_NOTIONAL: "5000",
      },
      simulators: { accounts: [PAPER, LIVE, OTHER] },
    });
    liveTarget = await h.bookOrder(LIVE, "live-target");
    otherTarget = await h.bookOrder(OTHER, "other-target");
    // Placed by this server through TWS, so TWS may modify it.
    const placed = await h.s.op(PLACE, order({ clientOrderId: "paper-target", via: "TWS" }));
    assert.deepEqual(placed.errors, undefined);
    paperTarget = placed.data.placeOrder.order.id;
    await eventually("the targets seen", async () => {
      const r = await h.s.op("{ orders { id } }");
      const ids = (r.data?.orders ?? []).map((o: Json) => o.id);
      return ids.includes(liveTarget) && ids.includes(paperTarget);
    });
    // A known price, so notional checks of market orders are exact. Set once, before any check reads it:
    // Client Portal's adapter serves market data through its short read cache.
    await h.s.control("/sim/prices", { conid: AAPL, price: 600 });
  });
  after(() => h.stop());

  it("refuses orders to a live account with LIVE_TRADING_DISABLED, through either API", async () => {
    for (const via of [null, "TWS", "CLIENT_PORTAL"]) {
      await h.refused(
        `placeOrder to ${LIVE} via ${via}`,
        "LIVE_TRADING_DISABLED",
        PLACE,
        (t) => order({ accountId: LIVE, clientOrderId: `live-${t}-${via}`, via }),
        /ALLOW_LIVE_TRADING=true/,
      );
    }
    await h.refused(
      "modifyOrder of a live order",
      "LIVE_TRADING_DISABLED",
      MODIFY,
      () => ({ id: liveTarget, m: { limitPrice: 101 } }),
      /ALLOW_LIVE_TRADING=true/,
    );
    const l = h.refusals().find((x) => x.code === "LIVE_TRADING_DISABLED" && x.op === "placeOrder");
    assert.equal(l?.accountId, LIVE);
  });

  it("lets a live order entered elsewhere be cancelled: cancelling only lowers risk", async () => {
    const r = await h.s.op(CANCEL, { id: liveTarget });
    assert.deepEqual(r.errors, undefined);
    await eventually(
      "the live order cancelled",
      async () =>
        (await h.s.simOrders()).find((o) => String(o.permId) === liveTarget)?.status === "Cancelled",
    );
  });

  it("hides accounts outside IB_ACCOUNTS and refuses to trade them", async () => {
    const r = await h.s.op(
      `query($o: ID!) {
      accounts { id }
      orders { id accountId }
      positions { accountId }
      account(id: $o) { id }
      order(id: "${otherTarget}") { id }
    }`,
      { o: OTHER },
    );
    assert.deepEqual(r.errors, undefined);
    assert.deepEqual(r.data.accounts.map((a: Json) => a.id).sort(), [PAPER, LIVE].sort());
    assert.ok(
      r.data.orders.every((o: Json) => o.accountId !== OTHER),
      "no order of the other account",
    );
    assert.ok(r.data.positions.every((p: Json) => p.accountId !== OTHER));
    assert.equal(r.data.account, null);
    assert.equal(r.data.order, null);
    for (const q of [
      `{ positions(accountId: "${OTHER}") { accountId } }`,
      `{ orders(accountId: "${OTHER}") { id } }`,
    ]) {
      const denied = await h.s.op(q);
      assert.deepEqual(codesOf(denied), ["FORBIDDEN"], q);
      assert.match(denied.errors?.[0]?.message ?? "", /IB_ACCOUNTS/);
    }
    await h.refused(
      `placeOrder to ${OTHER}`,
      "FORBIDDEN",
      PLACE,
      (t) => order({ accountId: OTHER, clientOrderId: `other-${t}` }),
      /not in IB_ACCOUNTS/,
    );
    await h.refused(
      "modifyOrder of a hidden order",
      "NOT_FOUND",
      MODIFY,
      () => ({
        id: otherTarget,
        m: { quantity: 2 },
      }),
      /No order with id/,
    );
    await h.refused(
      "cancelOrder of a hidden order",
      "NOT_FOUND",
      CANCEL,
      () => ({ id: otherTarget }),
      /No order/,
    );
  });

  it("hides orders of accounts outside IB_ACCOUNTS from orderUpdates", async () => {
    const seen = await new Promise<Json[]>((resolve, reject) => {
      const client = h.s.ws();
      const events: Json[] = [];
      const dispose = client.subscribe<Json>(
        { query: "subscription { orderUpdates(afterSequence: 0) { sequence order { id accountId } } }" },
        {
          next: (r) => {
            events.push(r.data?.orderUpdates);
            // Every buffered event arrives before the paper target's newest one is repeated; stop at a quiet gap.
            clearTimeout(timer);
            timer = setTimeout(done, 300);
          },
          error: reject,
          complete: () => undefined,
        },
      );
      let timer = setTimeout(done, 2_000);
      function done() {
        dispose();
        void client.dispose();
        resolve(events);
      }
    });
    assert.ok(seen.length > 0);
    assert.ok(
      seen.every((e) => e.order.accountId !== OTHER),
      JSON.stringify(seen.map((e) => e.order.accountId)),
    );
  });

  it("refuses orders above MAX_ORDER_QUANTITY and MAX_ORDER_NOTIONAL, before anything goes upstream", async () => {
    await h.refused(
      "quantity 11 > 10",
      "FORBIDDEN",
      PLACE,
      (t) => order({ quantity: 11, clientOrderId: `qty-${t}` }),
      /exceeds MAX_ORDER_QUANTITY 10/,
    );
    await h.refused(
      "limit notional 10 x 600 > 5000",
      "FORBIDDEN",
      PLACE,
      (t) => order({ quantity: 10, limitPrice: 600, clientOrderId: `ntl-${t}` }),
      /notional 6000\.00 exceeds MAX_ORDER_NOTIONAL 5000/,
    );
    await h.refused(
      "stop notional 10 x 600 > 5000",
      "FORBIDDEN",
      PLACE,
      (t) =>
        order({ type: "STOP", limitPrice: null, stopPrice: 600, quantity: 10, clientOrderId: `stp-${t}` }),
      /exceeds MAX_ORDER_NOTIONAL/,
    );
    // A market order is valued at the last price (600 x 10 > 5000; 10 is within MAX_ORDER_QUANTITY, so
    // the notional check is the one that answers), through either API: TWS, which knows no price of a
    // contract the account does not hold, is priced from Client Portal's market data.
    for (const via of ["CLIENT_PORTAL", "TWS"]) {
      await h.refused(
        `market notional at the last price via ${via}`,
        "FORBIDDEN",
        PLACE,
        (t) =>
          order({ type: "MARKET", limitPrice: null, quantity: 10, clientOrderId: `mkt-${t}-${via}`, via }),
        /notional 6000\.00 exceeds MAX_ORDER_NOTIONAL 5000/,
      );
    }
    // Within both limits: accepted, and a refused attempt did not use up its clientOrderId.
    const ok = await h.s.op(PLACE, order({ quantity: 10, limitPrice: 400, clientOrderId: "qty-HTTP" }));
    assert.deepEqual(ok.errors, undefined);
    assert.equal((await h.s.simOrders()).filter((o) => o.clientOrderId === "qty-HTTP").length, 1);
  });

  it("refuses a modification that takes an order above MAX_ORDER_QUANTITY or MAX_ORDER_NOTIONAL", async () => {
    await h.refused(
      "modify quantity to 1000",
      "FORBIDDEN",
      MODIFY,
      () => ({ id: paperTarget, m: { quantity: 1000 } }),
      /MAX_ORDER_QUANTITY/,
    );
    await h.refused(
      "modify limit price to 10000",
      "FORBIDDEN",
      MODIFY,
      () => ({ id: paperTarget, m: { limitPrice: 10_000 } }),
      /MAX_ORDER_NOTIONAL/,
    );
  });
});

describe("ALLOW_LIVE_TRADING=true", () => {
  const h = new Harness();
  before(() => h.start({ env: { ALLOW_LIVE_TRADING: "true" }, simulators: { accounts: ["U1234567"] } }));
  after(() => h.stop());

  it("lets orders to a live account through, over HTTP and graphql-ws", async () => {
    for (const [name, run] of h.transports) {
      const r = await run(PLACE, order({ accountId: "U1234567", clientOrderId: `allowed-${name}` }));
      assert.deepEqual(r.errors, undefined, name);
      assert.equal(r.data.placeOrder.order.accountId, "U1234567");
    }
    const book = await h.s.simOrders();
    assert.equal(book.filter((o) => o.clientOrderId?.startsWith("allowed-")).length, 2);
    const accepted = h.log.lines.filter((l) => l.msg === "order accepted");
    assert.equal(accepted.length, 2);
    for (const l of accepted) {
      assert.equal(l.accountId, "U1234567");
      assert.equal(l.mode, "SIMULATED");
      assert.match(l.client, /^(http|ws) /);
    }
  });
});

/**
 * The attacks of a notional limit that trusted an order's own price: a sell far below the market and a stop
 * far below it fill at the market, so they are valued there. Each is refused on its own, with no quantity
 * cap set, before anything reaches either simulator.
 */
describe("MAX_ORDER_NOTIONAL values an order at the worst price it can fill at", () => {
  const h = new Harness();
  before(async () => {
    await h.start({ env: { MAX_ORDER_NOTIONAL: "50000" } });
    await h.s.control("/sim/prices", { conid: AAPL, price: 189.91 });
  });
  after(() => h.stop());

  const attacks: [string, Record<string, unknown>][] = [
    ["SELL LIMIT 1000 @ 0.01", { side: "SELL", quantity: 1000, limitPrice: 0.01 }],
    ["BUY STOP 1000 stop 0.01", { type: "STOP", quantity: 1000, limitPrice: null, stopPrice: 0.01 }],
    [
      "SELL STOP 1000 stop 0.01",
      { side: "SELL", type: "STOP", quantity: 1000, limitPrice: null, stopPrice: 0.01 },
    ],
    ["MARKET BUY 1000", { type: "MARKET", quantity: 1000, limitPrice: null }],
  ];

  for (const [name, terms] of attacks) {
    it(`refuses ${name} (189,910 at the market) through either API`, async () => {
      for (const via of [null, "TWS", "CLIENT_PORTAL"]) {
        await h.refused(
          `${name} via ${via}`,
          "FORBIDDEN",
          PLACE,
          (t) =>
            order({ ...terms, clientOrderId: `atk-${name.replace(/[^A-Z0-9]/gi, "")}-${t}-${via}`, via }),
          /notional 189910\.00 exceeds MAX_ORDER_NOTIONAL 50000/,
        );
      }
    });
  }

  it("refuses denormal prices and quantities as BAD_USER_INPUT", async () => {
    await h.refused(
      "SELL LIMIT 1000 @ 1e-320",
      "BAD_USER_INPUT",
      PLACE,
      (t) => order({ side: "SELL", quantity: 1000, limitPrice: 1e-320, clientOrderId: `dn-p-${t}` }),
      /limitPrice must be a positive finite price of at least 0\.0001/,
    );
    await h.refused(
      "BUY STOP stop 1e-320",
      "BAD_USER_INPUT",
      PLACE,
      (t) => order({ type: "STOP", limitPrice: null, stopPrice: 1e-320, clientOrderId: `dn-s-${t}` }),
      /stopPrice must be a positive finite price of at least 0\.0001/,
    );
    await h.refused(
      "quantity 1e-320",
      "BAD_USER_INPUT",
      PLACE,
      (t) => order({ quantity: 1e-320, clientOrderId: `dn-q-${t}` }),
      /quantity must be a positive finite number of at least 0\.0001/,
    );
  });

  it("lets a sell within the limit at the market through", async () => {
    const r = await h.s.op(
      PLACE,
      order({ side: "SELL", quantity: 100, limitPrice: 0.01, clientOrderId: "sell-ok" }),
    );
    assert.deepEqual(r.errors, undefined);
  });

  it("checks a modification the same way: a resting sell cannot be moved far below the market", async () => {
    // Resting above the market: worth 30,000 at its own limit.
    const placed = await h.s.op(
      PLACE,
      order({ side: "SELL", quantity: 100, limitPrice: 300, clientOrderId: "resting-sell", via: "TWS" }),
    );
    assert.deepEqual(placed.errors, undefined);
    const id = placed.data.placeOrder.order.id;
    await eventually("the resting sell tracked", async () => {
      const r = await h.s.op(`query($id: ID!) { order(id: $id) { id status } }`, { id });
      return r.data?.order?.id === id;
    });
    // 400 at 0.01 is 4 by its own price, 75,964 at the market it would fill at.
    await h.refused(
      "modify the sell to 400 @ 0.01",
      "FORBIDDEN",
      MODIFY,
      () => ({ id, m: { quantity: 400, limitPrice: 0.01 } }),
      /notional 75964\.00 exceeds MAX_ORDER_NOTIONAL 50000/,
    );
    await h.refused(
      "modify the sell to limitPrice 1e-320",
      "BAD_USER_INPUT",
      MODIFY,
      () => ({ id, m: { limitPrice: 1e-320 } }),
      /at least 0\.0001/,
    );
  });
});

/**
 * TWS knows prices only of contracts the account holds. With no Client Portal to ask, an order whose worst
 * case depends on the market has no bound and is refused; a buy limit is bounded by its limit and goes.
 */
describe("MAX_ORDER_NOTIONAL with no known market price (TWS only, nothing held)", () => {
  let sims: Simulators;
  let server: RunningServer;
  before(async () => {
    sims = await startSimulators({ brokerage: { tickIntervalMs: 0 } });
    const broker = createBrokerService({
      simulated: false,
      logger: silentLogger(),
      orderEventBuffer: 100,
      guards: { ...DEFAULT_GUARDS, maxOrderNotional: 50_000 },
      tws: (sink) => createTwsBroker(fastTwsOptions(sims.tws, { clientId: 0 }), sink),
    });
    await broker.start();
    server = await startServer({ broker, logger: silentLogger(), port: 0 });
  });
  after(async () => {
    await server?.stop();
    await sims?.stop();
  });

  const submissions = () => sims.brokerage.orderRefStats().map((r) => r.orderRef);

  it("refuses a market order, a sell limit and a stop, sending nothing to TWS", async () => {
    for (const [key, terms] of [
      ["np-mkt", { type: "MARKET", limitPrice: null }],
      ["np-sell", { side: "SELL", limitPrice: 0.01 }],
      ["np-stop", { type: "STOP", limitPrice: null, stopPrice: 0.01 }],
    ] as const) {
      const r = await gql(server.httpUrl, parse(PLACE), order({ ...terms, clientOrderId: key }));
      assert.deepEqual(codesOf(r), ["FORBIDDEN"], key);
      assert.match(r.errors?.[0]?.message ?? "", /no market price is known/, key);
    }
    // Only this test's keys: the buy limit of the next test may already be in the book.
    const refused = ["np-mkt", "np-sell", "np-stop"];
    assert.deepEqual(
      submissions().filter((k) => refused.includes(k)),
      [],
    );
    assert.deepEqual(
      sims.brokerage.listOrders().filter((o) => refused.includes(o.orderRef ?? "")),
      [],
    );
  });

  it("lets a buy limit within the limit through: its limit bounds it", async () => {
    const r = await gql(
      server.httpUrl,
      parse(PLACE),
      order({ quantity: 10, limitPrice: 100, clientOrderId: "np-buy" }),
    );
    assert.deepEqual(r.errors, undefined);
    assert.deepEqual(
      submissions().filter((k) => k === "np-buy"),
      ["np-buy"],
    );
  });
});

describe("a live TWS port (7496 / 4001)", () => {
  let sims: Simulators;
  let server: RunningServer;
  before(async () => {
    sims = await startSimulators({ brokerage: { tickIntervalMs: 0 } });
    // startApp derives liveTwsPort from IB_TWS_PORT; the simulator cannot take 7496 in a test, so the
    // service is composed here with the flag set, over the real simulator.
    const broker = createBrokerService({
      simulated: false,
      logger: silentLogger(),
      orderEventBuffer: 100,
      guards: { ...DEFAULT_GUARDS, liveTwsPort: true },
      tws: (sink) => createTwsBroker(fastTwsOptions(sims.tws, { clientId: 0 }), sink),
    });
    await broker.start();
    server = await startServer({ broker, logger: silentLogger(), port: 0 });
  });
  after(async () => {
    await server?.stop();
    await sims?.stop();
  });

  it("puts the server in LIVE mode and refuses orders even to a DU account", async () => {
    const session = await gql(server.httpUrl, parse("{ session { mode } }"));
    assert.deepEqual(session.data, { session: { mode: "LIVE" } });
    const r = await gql(server.httpUrl, parse(PLACE), order({ clientOrderId: "live-port-1" }));
    assert.deepEqual(codesOf(r), ["LIVE_TRADING_DISABLED"]);
    assert.equal(sims.brokerage.listOrders().length, 0);
  });
});
