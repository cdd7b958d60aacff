import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { startClientPortalSimulator, type CpSimulator } from "../src/simulators/client-portal";
import { cpClient, type CpTestClient, type Json } from "./helpers/cp-sim-client";
import { eventually } from "./helpers/wait";

const ACCT = "DU1234567";
const ACCT2 = "DU7654321";
const AAPL = 265598;
const MSFT = 272093;
const SPY = 756733;
const ES = 495512563;

type Kind = "string" | "number" | "boolean" | "object" | "array" | "null";

/** Asserts the field types a client reads, as IBKR's spec (cpapi-openapi.json) and the reference declare them. */
function assertShape(obj: Json, shape: Record<string, Kind | readonly Kind[]>, where: string): void {
  assert.equal(typeof obj, "object", `${where}: not an object`);
  for (const [field, kinds] of Object.entries(shape)) {
    const v = obj[field];
    const actual: Kind = v === null ? "null" : Array.isArray(v) ? "array" : (typeof v as Kind);
    const allowed: readonly Kind[] = typeof kinds === "string" ? [kinds] : kinds;
    assert.ok(
      allowed.includes(actual),
      `${where}.${field}: expected ${allowed.join("|")}, got ${actual} (${JSON.stringify(v)})`,
    );
  }
}

const AUTH_STATUS = {
  authenticated: "boolean",
  connected: "boolean",
  competing: "boolean",
  message: "string",
} as const;

describe("Client Portal simulator: endpoints and shapes", () => {
  let sim: CpSimulator;
  let cp: CpTestClient;

  before(async () => {
    sim = await startClientPortalSimulator({
      brokerageOptions: { accounts: [ACCT, ACCT2] },
      rateLimits: { enabled: false },
      positionsPageSize: 2,
      reauthDelayMs: 0,
      dailyResetTime: null,
    });
    cp = cpClient(sim);
  });
  after(async () => {
    await cp.close();
    await sim.stop();
  });
  // Every test starts from the simulator's start state (book, session, request log) followed by IB's
  // preamble (GET /iserver/accounts before order endpoints, GET /portfolio/accounts before portfolio ones),
  // as a client's session does, so none relies on what an earlier test did.
  beforeEach(async (t) => {
    sim.control.reset();
    assert.equal((await cp.get("/iserver/accounts")).status, 200);
    assert.equal((await cp.get("/portfolio/accounts")).status, 200);
    // The first live-orders call after a login answers empty (IB's warm-up); the lifecycle test asserts that.
    if (!t.name.startsWith("order lifecycle")) await cp.get("/iserver/account/orders");
  });
  /** A market buy of `quantity` filled in the book: a position for the tests that need one. */
  const buy = async (conid: number, quantity: number) => {
    const r = await cp.post(`/iserver/account/${ACCT}/orders`, {
      orders: [{ conid, orderType: "MKT", side: "BUY", quantity, tif: "DAY" }],
    });
    assert.ok(r.body[0]?.order_id, JSON.stringify(r.body));
    await sim.brokerage.whenIdle();
  };

  it("serves HTTPS on localhost with a pinned self-signed certificate, under /v1/api and /v1/portal", async () => {
    assert.match(sim.url, /^https:\/\/localhost:\d+$/);
    assert.equal(sim.apiBaseUrl, `${sim.url}/v1/api`);
    assert.match(sim.caPem, /BEGIN CERTIFICATE/);
    const a = await cp.post("/iserver/auth/status");
    assert.equal(a.status, 200);
    assertShape(
      a.body,
      { ...AUTH_STATUS, established: "boolean", MAC: "string", serverInfo: "object", fail: "string" },
      "auth/status",
    );
    assert.equal(a.body.authenticated, true);
    const viaPortal = await cp.get("/v1/portal/iserver/auth/status");
    assert.equal(viaPortal.status, 200);
    assert.equal(viaPortal.body.connected, true);
  });

  it("tickle, sso/validate, accounts", async () => {
    const t = await cp.post("/tickle");
    assertShape(
      t.body,
      { session: "string", ssoExpires: "number", collission: "boolean", userId: "number", iserver: "object" },
      "tickle",
    );
    assertShape(t.body.iserver.authStatus, AUTH_STATUS, "tickle.iserver.authStatus");
    assert.match(String(t.headers["set-cookie"]), /x-sess-uuid=/);

    const v = await cp.get("/sso/validate");
    assertShape(
      v.body,
      {
        USER_ID: "number",
        USER_NAME: "string",
        RESULT: "boolean",
        LOGIN_TYPE: "number",
        expire: "number",
        AUTH_TIME: "number",
      },
      "sso/validate",
    );
    assert.equal(v.body.LOGIN_TYPE, 2, "DU accounts are paper");

    const ia = await cp.get("/iserver/accounts");
    assertShape(
      ia.body,
      { accounts: "array", aliases: "object", selectedAccount: "string", isPaper: "boolean" },
      "iserver/accounts",
    );
    assert.deepEqual(ia.body.accounts, [ACCT, ACCT2]);

    const pa = await cp.get("/portfolio/accounts");
    assert.equal(pa.body.length, 2);
    const accountShape = {
      id: "string",
      accountId: "string",
      accountVan: "string",
      accountTitle: "string",
      displayName: "string",
      accountStatus: "number",
      currency: "string",
      type: "string",
      tradingType: "string",
      faclient: "boolean",
      clearingStatus: "string",
      covestor: "boolean",
      parent: "object",
      desc: "string",
    } as const;
    assertShape(pa.body[0], accountShape, "portfolio/accounts[0]");
    assert.equal(pa.body[0].id, ACCT);
    const sub = await cp.get("/portfolio/subaccounts");
    assert.equal(sub.status, 200);
    const meta = await cp.get(`/portfolio/${ACCT2}/meta`);
    assertShape(meta.body, accountShape, "meta");
    assert.equal(meta.body.accountId, ACCT2);
    assert.equal((await cp.get("/portfolio/U0000000/meta")).status, 400);
  });

  it("summary and ledger", async () => {
    const s = await cp.get(`/portfolio/${ACCT}/summary`);
    const entry = {
      amount: "number",
      currency: ["string", "null"],
      isNull: "boolean",
      timestamp: "number",
      value: ["string", "null"],
    } as const;
    for (const key of [
      "netliquidation",
      "totalcashvalue",
      "buyingpower",
      "availablefunds",
      "excessliquidity",
      "grosspositionvalue",
      "equitywithloanvalue",
      "initmarginreq",
      "maintmarginreq",
    ]) {
      assertShape(s.body[key], entry, `summary.${key}`);
    }
    assert.equal(s.body.netliquidation.amount, 1_000_000);
    assert.equal(s.body.totalcashvalue.currency, "USD");
    assert.equal(s.body.accountcode.value, ACCT);

    const l = await cp.get(`/portfolio/${ACCT}/ledger`);
    const ledgerShape = {
      cashbalance: "number",
      netliquidationvalue: "number",
      stockmarketvalue: "number",
      unrealizedpnl: "number",
      realizedpnl: "number",
      currency: "string",
      acctcode: "string",
      key: "string",
      timestamp: "number",
      exchangerate: "number",
      settledcash: "number",
    } as const;
    assertShape(l.body.BASE, ledgerShape, "ledger.BASE");
    assertShape(l.body.USD, ledgerShape, "ledger.USD");
    assert.equal(l.body.BASE.endofbundle, 1);
    assert.ok(l.body.BASE.timestamp < 1e11, "ledger timestamps are epoch seconds");
  });

  it("contracts: secdef search (conid as string), contract info, trsrv/stocks", async () => {
    const s = await cp.get("/iserver/secdef/search?symbol=AAPL");
    assert.equal(s.body.length, 1);
    assertShape(
      s.body[0],
      {
        conid: "string",
        companyHeader: "string",
        companyName: "string",
        symbol: "string",
        description: "string",
        sections: "array",
      },
      "secdef/search",
    );
    assert.equal(s.body[0].conid, String(AAPL));
    const byPost = await cp.post("/iserver/secdef/search", { symbol: "MICROSOFT", name: true });
    assert.equal(byPost.body[0].conid, String(MSFT));
    const fut = await cp.get("/iserver/secdef/search?symbol=ES");
    assert.equal(fut.body[0].sections[0].secType, "FUT");
    assert.deepEqual((await cp.get("/iserver/secdef/search?symbol=ZZZZ")).body, []);

    const info = await cp.get(`/iserver/contract/${SPY}/info`);
    assertShape(
      info.body,
      {
        con_id: "number",
        symbol: "string",
        company_name: "string",
        instrument_type: "string",
        exchange: "string",
        currency: "string",
        local_symbol: "string",
        r_t_h: "boolean",
      },
      "contract info",
    );
    assert.equal(info.body.symbol, "SPY");
    const esInfo = await cp.get(`/iserver/contract/${ES}/info`);
    assert.equal(esInfo.body.multiplier, "50");
    assert.equal(esInfo.body.maturity_date, "20261218");
    assert.equal((await cp.get("/iserver/contract/1/info")).status, 400);

    const st = await cp.get("/trsrv/stocks?symbols=AAPL,MSFT,NOPE");
    assertShape(
      st.body.AAPL[0],
      { name: "string", assetClass: "string", contracts: "array" },
      "trsrv/stocks.AAPL",
    );
    assert.deepEqual(st.body.AAPL[0].contracts[0], { conid: AAPL, exchange: "NASDAQ", isUS: true });
    assert.deepEqual(st.body.NOPE, []);

    const sd = await cp.get(`/trsrv/secdef?conids=${AAPL},${ES},1`);
    assert.equal(sd.body.secdef.length, 2);
    assertShape(
      sd.body.secdef[0],
      {
        conid: "number",
        currency: "string",
        name: "string",
        assetClass: "string",
        ticker: "string",
        listingExchange: "string",
      },
      "trsrv/secdef",
    );
    assert.equal(sd.body.secdef[1].expiry, "20261218");
  });

  it("order lifecycle: live orders warm-up, place, fill, trades, positions, status", async () => {
    await cp.get("/iserver/accounts");
    const warm = await cp.get("/iserver/account/orders");
    assert.deepEqual(warm.body, { orders: [], snapshot: false }, "first call after login answers empty");

    const placed = await cp.post(`/iserver/account/${ACCT}/orders`, {
      orders: [
        {
          acctId: ACCT,
          conid: AAPL,
          cOID: "life-1",
          orderType: "MKT",
          side: "BUY",
          quantity: 10,
          tif: "DAY",
        },
      ],
    });
    assert.equal(placed.status, 200);
    assertShape(
      placed.body[0],
      { order_id: "string", order_status: "string", encrypt_message: "string" },
      "place",
    );
    const orderId = placed.body[0].order_id;
    assert.match(orderId, /^\d+$/);

    const status = await eventually("the fill", async () => {
      const r = await cp.get(`/iserver/account/order/status/${orderId}`);
      return r.body.order_status === "Filled" ? r.body : undefined;
    });
    assertShape(
      status,
      {
        order_id: "number",
        conid: "number",
        symbol: "string",
        side: "string",
        size: "string",
        total_size: "string",
        cum_fill: "string",
        order_status: "string",
        order_type: "string",
        tif: "string",
        average_price: "string",
        account: "string",
      },
      "order/status",
    );
    assert.equal(status.cum_fill, "10");
    assert.equal(status.side, "B");
    assert.equal(status.average_price, "190.00");

    const live = await cp.get("/iserver/account/orders");
    assert.equal(live.body.snapshot, true);
    const o = live.body.orders.find((x: Json) => String(x.orderId) === orderId);
    assertShape(
      o,
      {
        acct: "string",
        conid: "number",
        orderId: "number",
        status: "string",
        filledQuantity: "number",
        remainingQuantity: "number",
        totalSize: "number",
        side: "string",
        orderType: "string",
        timeInForce: "string",
        ticker: "string",
        order_ref: "string",
        avgPrice: "string",
        lastExecutionTime_r: "number",
        sizeAndFills: "string",
        orderDesc: "string",
      },
      "live order",
    );
    assert.equal(o.order_ref, "life-1");
    assert.equal(o.status, "Filled");
    assert.equal(o.listingExchange, "NASDAQ.NMS");

    const trades = await cp.get("/iserver/account/trades");
    assertShape(
      trades.body[0],
      {
        execution_id: "string",
        symbol: "string",
        side: "string",
        size: "number",
        price: "string",
        order_ref: "string",
        order_id: "number",
        commission: "string",
        account: "string",
        conid: "number",
        trade_time_r: "number",
        trade_time: "string",
      },
      "trade",
    );
    assert.equal(trades.body[0].order_ref, "life-1");
    assert.equal(trades.body[0].commission, "1.00");
    assert.match(trades.body[0].trade_time, /^\d{8}-\d\d:\d\d:\d\d$/);

    const pos = await cp.get(`/portfolio/${ACCT}/position/${AAPL}`);
    assert.equal(pos.body.length, 1);
    assertShape(
      pos.body[0],
      {
        acctId: "string",
        conid: "number",
        contractDesc: "string",
        position: "number",
        mktPrice: "number",
        mktValue: "number",
        currency: "string",
        avgCost: "number",
        avgPrice: "number",
        realizedPnl: "number",
        unrealizedPnl: "number",
        assetClass: "string",
      },
      "position",
    );
    assert.equal(pos.body[0].position, 10);
    assert.deepEqual((await cp.get(`/portfolio/${ACCT}/position/${MSFT}`)).body, []);

    const dup = await cp.post(`/iserver/account/${ACCT}/orders`, {
      orders: [{ conid: AAPL, cOID: "life-1", orderType: "MKT", side: "BUY", quantity: 1, tif: "DAY" }],
    });
    assert.equal(dup.status, 200);
    assert.match(dup.body.error, /Local order ID=life-1 is already registered/);

    const simOrders = await cp.get("/sim/orders");
    const row = simOrders.body.orders.find((x: Json) => x.cOID === "life-1");
    assert.equal(row.timesPlaced, 2);
    assert.equal(row.api, "CP");
    assert.equal(row.clientOrderId, "life-1");
  });

  it("positions are paged with a configurable page size; an empty page ends the list", async () => {
    await sim.brokerage.whenIdle();
    await buy(AAPL, 10);
    for (const [conid, qty] of [
      [MSFT, 5],
      [SPY, 3],
    ] as const) {
      const r = await cp.post(`/iserver/account/${ACCT}/orders`, {
        orders: [{ conid, orderType: "MKT", side: "BUY", quantity: qty, tif: "DAY" }],
      });
      assert.ok(r.body[0]?.order_id, JSON.stringify(r.body));
    }
    await sim.brokerage.whenIdle();
    const p0 = await cp.get(`/portfolio/${ACCT}/positions/0`);
    const p1 = await cp.get(`/portfolio/${ACCT}/positions/1`);
    const p2 = await cp.get(`/portfolio/${ACCT}/positions/2`);
    assert.equal(p0.body.length, 2);
    assert.equal(p1.body.length, 1);
    assert.deepEqual(p2.body, []);
    assert.equal(p0.body[0].pageSize, 2);
    assert.deepEqual(
      [...p0.body, ...p1.body].map((p: Json) => p.contractDesc),
      ["AAPL", "MSFT", "SPY"],
    );
    const desc = await cp.get(`/portfolio/${ACCT}/positions/0?sort=position&direction=d`);
    assert.equal(desc.body[0].contractDesc, "AAPL");
    assert.equal((await cp.get(`/portfolio/${ACCT2}/positions/0`)).body.length, 0);
  });

  it("limit order: rests, modify, cancel; rejects are HTTP 200 with error", async () => {
    const placed = await cp.post(`/iserver/account/${ACCT}/orders`, {
      orders: [
        { conid: MSFT, cOID: "lmt-1", orderType: "LMT", price: 410, side: "BUY", quantity: 5, tif: "DAY" },
      ],
    });
    const id = placed.body[0].order_id;
    await sim.brokerage.whenIdle();
    let st = await cp.get(`/iserver/account/order/status/${id}`);
    assert.equal(st.body.order_status, "Submitted");
    assert.equal(st.body.limit_price, "410.00");

    const mod = await cp.post(`/iserver/account/${ACCT}/order/${id}`, {
      acctId: ACCT,
      conid: MSFT,
      orderType: "LMT",
      price: 411.5,
      side: "BUY",
      quantity: 7,
      tif: "GTC",
    });
    assert.equal(mod.status, 200);
    assert.equal(mod.body[0].order_id, id);
    st = await cp.get(`/iserver/account/order/status/${id}`);
    assert.equal(st.body.total_size, "7");
    assert.equal(st.body.limit_price, "411.50");
    assert.equal(st.body.tif, "GTC");

    const working = (await cp.get("/iserver/account/orders")).body.orders.find(
      (x: Json) => String(x.orderId) === id,
    );
    assert.equal(working.sizeAndFills, "0/7");
    assert.equal(working.price, "411.50");
    const pnl = await cp.get("/iserver/account/pnl/partitioned");
    assertShape(
      pnl.body.upnl[`${ACCT}.Core`],
      { rowType: "number", dpl: "number", nl: "number", upl: "number", el: "number", mv: "number" },
      "pnl",
    );

    const cancel = await cp.del(`/iserver/account/${ACCT}/order/${id}`);
    assertShape(
      cancel.body,
      { msg: "string", order_id: "number", conid: "number", account: "string" },
      "cancel",
    );
    assert.equal(cancel.body.msg, "Request was submitted");
    await sim.brokerage.whenIdle();
    st = await cp.get(`/iserver/account/order/status/${id}`);
    assert.equal(st.body.order_status, "Cancelled");
    const again = await cp.del(`/iserver/account/${ACCT}/order/${id}`);
    assert.equal(again.status, 200);
    assert.match(again.body.error, /cannot be cancelled/);
    assert.match(
      (await cp.del(`/iserver/account/${ACCT}/order/123`)).body.error,
      /OrderID 123 doesn't exist/,
    );

    const tooBig = await cp.post(`/iserver/account/${ACCT2}/orders`, {
      orders: [{ conid: ES, orderType: "LMT", price: 5600, side: "BUY", quantity: 100, tif: "DAY" }],
    });
    assert.equal(tooBig.status, 200);
    assert.match(tooBig.body.error, /insufficient funds/);
    const badQty = await cp.post(`/iserver/account/${ACCT}/orders`, {
      orders: [{ conid: AAPL, orderType: "MKT", side: "BUY", quantity: -1, tif: "DAY" }],
    });
    assert.match(badQty.body.error, /quantity/);
    const badConid = await cp.post(`/iserver/account/${ACCT}/orders`, {
      orders: [{ conid: 1, orderType: "MKT", side: "BUY", quantity: 1, tif: "DAY" }],
    });
    assert.match(badConid.body.error, /No security definition/);
    const malformed = await cp.post(`/iserver/account/${ACCT}/orders`, { orders: [{ side: "BUY" }] });
    assert.equal(malformed.status, 500);
    assert.equal((await cp.get("/iserver/account/order/status/42")).status, 503);
  });

  it("stop orders show PreSubmitted until triggered; prices move through /sim/prices", async () => {
    // Ten held, ten sold by the stop: the position ends flat.
    await buy(AAPL, 10);
    const placed = await cp.post(`/iserver/account/${ACCT}/orders`, {
      orders: [{ conid: AAPL, orderType: "STP", price: 185, side: "SELL", quantity: 10, tif: "GTC" }],
    });
    assert.equal(placed.body[0].order_status, "PreSubmitted");
    const id = placed.body[0].order_id;
    await sim.brokerage.whenIdle();
    const bad = await cp.post("/sim/prices", { conid: 1, price: 10 });
    assert.equal(bad.status, 400);
    const moved = await cp.post("/sim/prices", { conid: AAPL, price: 184 });
    assert.equal(moved.body.quotes[0].last, 184);
    await sim.brokerage.whenIdle();
    const st = await cp.get(`/iserver/account/order/status/${id}`);
    assert.equal(st.body.order_status, "Filled");
    assert.equal(st.body.stop_price, "185.00");
    assert.deepEqual((await cp.get(`/portfolio/${ACCT}/position/${AAPL}`)).body, []);
  });

  it("questions: o163 then o383, answered through /iserver/reply; suppression; expiry by another request", async () => {
    await cp.post("/sim/prices", { conid: AAPL, price: 190 });
    const order = { conid: AAPL, orderType: "LMT", price: 200, side: "BUY", quantity: 600, tif: "DAY" };
    const q1 = await cp.post(`/iserver/account/${ACCT}/orders`, { orders: [order] });
    assert.equal(q1.status, 200);
    assertShape(
      q1.body[0],
      { id: "string", message: "array", messageIds: "array", isSuppressed: "boolean" },
      "question",
    );
    assert.deepEqual(q1.body[0].messageIds, ["o163"]);
    assert.match(q1.body[0].message[0], /Percentage constraint of 3%/);
    const q2 = await cp.post(`/iserver/reply/${q1.body[0].id}`, { confirmed: true });
    assert.deepEqual(q2.body[0].messageIds, ["o383"], "a question may be followed by another");
    const placed = await cp.post(`/iserver/reply/${q2.body[0].id}`, { confirmed: true });
    assert.match(placed.body[0].order_id, /^\d+$/);
    const stale = await cp.post(`/iserver/reply/${q2.body[0].id}`, { confirmed: true });
    assert.equal(stale.status, 400);
    assert.match(stale.body.error, /reply id not found/);

    // Another request between question and reply invalidates the reply.
    const q3 = await cp.post(`/iserver/account/${ACCT}/orders`, { orders: [{ ...order, quantity: 10 }] });
    await cp.post("/tickle");
    const late = await cp.post(`/iserver/reply/${q3.body[0].id}`, { confirmed: true });
    assert.match(late.body.error, /reply id not found/);

    const q4 = await cp.post(`/iserver/account/${ACCT}/orders`, { orders: [{ ...order, quantity: 10 }] });
    const declined = await cp.post(`/iserver/reply/${q4.body[0].id}`, { confirmed: false });
    assert.equal(declined.status, 400);
    assert.equal(declined.body.error, "order not confirmed");

    const sup = await cp.post("/iserver/questions/suppress", { messageIds: ["o163", "o383"] });
    assert.deepEqual(sup.body, { status: "submitted" });
    const direct = await cp.post(`/iserver/account/${ACCT}/orders`, { orders: [{ ...order, quantity: 10 }] });
    assert.match(direct.body[0].order_id, /^\d+$/);
    await cp.post("/iserver/questions/suppress/reset");
    const asksAgain = await cp.post(`/iserver/account/${ACCT}/orders`, {
      orders: [{ ...order, quantity: 10 }],
    });
    assert.deepEqual(asksAgain.body[0].messageIds, ["o163"]);
    await sim.brokerage.whenIdle();
  });

  it("live-orders filters and force=true; marketdata snapshot pre-flight", async () => {
    // A cancelled order for the filter to find.
    const rest = await cp.post(`/iserver/account/${ACCT}/orders`, {
      orders: [{ conid: MSFT, orderType: "LMT", price: 300, side: "BUY", quantity: 1, tif: "DAY" }],
    });
    assert.equal((await cp.del(`/iserver/account/${ACCT}/order/${rest.body[0].order_id}`)).status, 200);
    await sim.brokerage.whenIdle();
    const forced = await cp.get("/iserver/account/orders?force=true");
    assert.deepEqual(forced.body, { orders: [], snapshot: false });
    const cancelled = await cp.get("/iserver/account/orders?filters=cancelled");
    assert.ok(cancelled.body.orders.length >= 1);
    assert.ok(cancelled.body.orders.every((o: Json) => o.status === "Cancelled"));

    const first = await cp.get(`/iserver/marketdata/snapshot?conids=${MSFT}&fields=31,84,86`);
    assert.deepEqual(first.body, [{ conid: MSFT, conidEx: String(MSFT) }]);
    const second = await cp.get(`/iserver/marketdata/snapshot?conids=${MSFT}&fields=31,84,86`);
    assert.equal(second.body[0]["31"], "420.00");
    assert.equal(second.body[0]["84"], "419.99");
  });

  it("an order placed in the book by another API shows up in Client Portal", async () => {
    const r = sim.brokerage.placeOrder({
      account: ACCT2,
      contract: { symbol: "SPY" },
      side: "BUY",
      orderType: "LMT",
      limitPrice: 500,
      quantity: 1,
      orderRef: "from-tws",
      api: "TWS",
      twsClientId: 0,
      twsOrderId: 1001,
    });
    await sim.brokerage.whenIdle();
    const live = await cp.get(`/iserver/account/orders?accountId=${ACCT2}`);
    const o = live.body.orders.find((x: Json) => x.orderId === r.order!.permId);
    assert.equal(o.order_ref, "from-tws");
    assert.equal(o.acct, ACCT2);
  });

  it("quirks: POST without content-length gets 411; unknown paths 404; login page is served", async () => {
    const noLength = await cp.raw("POST", "/v1/api/tickle", { chunks: ["{}"] });
    assert.equal(noLength.status, 411);
    assert.equal((await cp.get("/nope/nothing")).status, 404);
    assert.equal((await cp.get("/iserver/nothing")).status, 404);
    assert.equal((await cp.raw("DELETE", "/v1/api/tickle")).status, 405);
    const page = await cp.raw("GET", "/");
    assert.equal(page.status, 200);
    assert.match(page.body, /<form method="post" action="\/sso\/Login"/);
    const log = await cp.get("/sim/requests?limit=3");
    assert.equal(log.body.requests.length, 3);
    assertShape(
      log.body.requests[0],
      { time: "string", method: "string", path: "string", status: "number" },
      "request log",
    );
    assert.ok(log.body.requests.every((r: Json) => !r.path.startsWith("/sim")));
  });
});
