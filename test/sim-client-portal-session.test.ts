import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { TwsFaultControl } from "../src/simulators/control";
import {
  generateLocalhostCertificate,
  startClientPortalSimulator,
  type ClientPortalSimulatorOptions,
  type CpSimulator,
  type CpTlsMaterial,
} from "../src/simulators/client-portal";
import { cpClient, type CpTestClient, type Json } from "./helpers/cp-sim-client";
import { eventually } from "./helpers/wait";

const ACCT = "DU1234567";
const AAPL = 265598;

describe("Client Portal simulator: session, rate limits, control API", () => {
  let tls: CpTlsMaterial;
  const running: { sim: CpSimulator; cp: CpTestClient }[] = [];

  before(async () => {
    tls = await generateLocalhostCertificate();
  });
  after(async () => {
    for (const r of running) {
      await r.cp.close();
      await r.sim.stop();
    }
  });

  /** A simulator on a hand-moved clock, so idle and rate windows pass without waiting. */
  async function start(options: ClientPortalSimulatorOptions = {}) {
    const clock = { t: Date.now() };
    const sim = await startClientPortalSimulator({
      tls,
      dailyResetTime: null,
      reauthDelayMs: 20,
      rateLimits: { enabled: false },
      now: () => clock.t,
      ...options,
    });
    const cp = cpClient(sim);
    running.push({ sim, cp });
    return { sim, cp, clock };
  }

  async function authStatus(cp: CpTestClient): Promise<Json> {
    const r = await cp.post("/iserver/auth/status");
    return r.status === 200 ? r.body : { status: r.status };
  }

  it("the brokerage session idles out; requests keep it alive; ssodh/init restores it and the quirks start over", async () => {
    const { cp, clock } = await start({ idleTimeoutMs: 1_000 });
    assert.equal((await cp.get("/iserver/accounts")).status, 200);
    assert.deepEqual((await cp.get("/iserver/account/orders")).body, { orders: [], snapshot: false });
    clock.t += 900;
    await cp.post("/tickle");
    clock.t += 900;
    assert.equal((await authStatus(cp)).authenticated, true, "a tickle 900 ms earlier kept the session");

    clock.t += 1_000;
    const s = await authStatus(cp);
    assert.equal(s.authenticated, false);
    assert.equal(s.connected, true);
    assert.equal(s.competing, false);
    const tickle = await cp.post("/tickle");
    assert.equal(tickle.body.iserver.authStatus.authenticated, false);
    const noBridge = await cp.get("/iserver/accounts");
    assert.equal(noBridge.status, 401);
    assert.equal(noBridge.body.error, "no bridge");
    assert.equal(
      (await cp.get("/portfolio/accounts")).status,
      200,
      "the portfolio tier lives on the SSO login",
    );
    assert.equal((await cp.get("/sso/validate")).body.RESULT, true);

    const init = await cp.post("/iserver/auth/ssodh/init", { publish: true, compete: true });
    assert.equal(init.status, 200);
    assert.equal(typeof init.body.authenticated, "boolean");
    await eventually("the brokerage session", async () =>
      (await authStatus(cp)).authenticated ? true : undefined,
    );
    const unprimed = await cp.get("/iserver/account/orders");
    assert.equal(unprimed.status, 500);
    assert.equal(unprimed.body.error, "Please query /accounts first");
    await cp.get("/iserver/accounts");
    assert.deepEqual((await cp.get("/iserver/account/orders")).body, { orders: [], snapshot: false });
  });

  it("reauthenticate (also via /v1/portal with force=true) restores an expired session", async () => {
    const { cp } = await start();
    const expired = await cp.post("/sim/session/expire");
    assert.equal(expired.body.state, "SSO_ONLY");
    assert.equal((await authStatus(cp)).authenticated, false);
    const r = await cp.post("/v1/portal/iserver/reauthenticate?force=true");
    assert.deepEqual(r.body, { message: "triggered" });
    await eventually("reauthentication", async () =>
      (await authStatus(cp)).authenticated ? true : undefined,
    );
  });

  it("the SSO login expires too: then everything is 401 until a browser login", async () => {
    const { cp, clock } = await start({ idleTimeoutMs: 1_000, ssoTimeoutMs: 3_000 });
    const v = await cp.get("/sso/validate");
    assert.equal(v.body.EXPIRES, 3_000);
    clock.t += 3_000;
    for (const path of ["/tickle", "/iserver/auth/status"])
      assert.equal((await cp.post(path)).status, 401, path);
    for (const path of ["/iserver/accounts", "/portfolio/accounts", "/sso/validate"]) {
      assert.equal((await cp.get(path)).status, 401, path);
    }
    assert.equal((await cp.post("/iserver/reauthenticate")).status, 401);
    assert.equal((await cp.post("/iserver/auth/ssodh/init", { publish: true, compete: true })).status, 401);
    const session = await cp.get("/sim/session");
    assert.equal(session.body.state, "NO_SSO");
    assert.equal(session.body.lastLoss, "SSO login expired");
    assert.match(session.body.loginUrl, /^https:\/\/localhost:\d+\/$/);

    const login = await cp.raw("POST", "/sso/Login", {
      body: "username=me&password=secret",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.equal(login.status, 200);
    assert.match(login.body, /Client login succeeds/);
    assert.equal((await authStatus(cp)).authenticated, true);
  });

  it("logout ends the login; the login page (with configured credentials) brings it back", async () => {
    const { cp } = await start({ credentials: { username: "trader", password: "pw" } });
    assert.deepEqual((await cp.post("/logout")).body, { status: true });
    assert.equal((await cp.post("/tickle")).status, 401);
    assert.equal(
      (await cp.post("/iserver/reauthenticate")).status,
      401,
      "reauthenticate cannot help without SSO",
    );
    const page = await cp.raw("GET", "/");
    assert.match(page.body, /name="username"/);
    assert.doesNotMatch(page.body, /Client login succeeds/);
    const wrong = await cp.raw("POST", "/sso/Login", {
      body: "username=trader&password=nope",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.match(wrong.body, /Invalid username password combination/);
    assert.equal((await cp.post("/tickle")).status, 401);
    const right = await cp.raw("POST", "/sso/Login", {
      body: "username=trader&password=pw",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assert.match(right.body, /Client login succeeds/);
    assert.equal((await authStatus(cp)).authenticated, true);
    // A new login is a new session: /portfolio/accounts must be queried again.
    assert.equal((await cp.get(`/portfolio/${ACCT}/summary`)).status, 500);
  });

  it("a competing session needs ssodh/init with compete:true", async () => {
    const { cp } = await start({ reauthDelayMs: 0 });
    await cp.post("/sim/session/compete");
    let s = await authStatus(cp);
    assert.equal(s.competing, true);
    assert.equal(s.authenticated, false);
    assert.equal((await cp.get("/iserver/accounts")).status, 401);
    const noCompete = await cp.post("/iserver/auth/ssodh/init", { publish: true, compete: false });
    assert.equal(noCompete.body.competing, true);
    assert.equal(noCompete.body.authenticated, false);
    const compete = await cp.post("/iserver/auth/ssodh/init", { publish: true, compete: true });
    assert.equal(compete.body.authenticated, true, "no delay configured: restored at once");
    s = await authStatus(cp);
    assert.equal(s.competing, false);
    assert.equal((await cp.post("/iserver/auth/ssodh/init", { publish: false })).status, 500);
  });

  it("the daily reset and the maximum session life end the login", async () => {
    const { cp, clock } = await start({ maxSessionMs: 10_000 });
    const r = await cp.post("/sim/session/daily-reset");
    assert.equal(r.body.state, "NO_SSO");
    assert.equal(r.body.lastLoss, "daily reset");
    assert.equal((await cp.post("/tickle")).status, 401);
    const login = await cp.post("/sim/session/login");
    assert.equal(login.body.authenticated, true);
    clock.t += 10_000;
    assert.equal((await cp.post("/tickle")).status, 401);
    await assert.rejects(startClientPortalSimulator({ tls, dailyResetTime: "25:00" }), /HH:MM/);
  });

  it("manual login mode starts logged out", async () => {
    const { cp, sim } = await start({ login: "manual" });
    assert.equal((await cp.post("/iserver/auth/status")).status, 401);
    assert.equal(sim.control.session().state, "NO_SSO");
    await cp.post("/sim/session/login");
    assert.equal((await authStatus(cp)).authenticated, true);
  });

  it("rate limits: per-endpoint and global windows, then a penalty box for every request", async () => {
    const { cp, clock } = await start({ rateLimits: { penaltyMs: 1_000 } });
    assert.equal((await cp.post("/tickle")).status, 200);
    clock.t += 1_000;
    assert.equal((await cp.post("/tickle")).status, 200, "one tickle per second is fine");
    const tooSoon = await cp.post("/tickle");
    assert.equal(tooSoon.status, 429);
    assert.equal((await cp.post("/iserver/auth/status")).status, 429, "penalty box: every request refused");
    const info = await cp.get("/sim/session");
    assert.equal(info.status, 200, "the control API is exempt");
    assert.ok(info.body.penaltyUntil);
    clock.t += 1_000;
    assert.equal((await cp.post("/iserver/auth/status")).status, 200, "penalty over");

    // 1 request per 5 s on /iserver/account/orders (query strings do not escape the limit).
    clock.t += 1_000;
    await cp.get("/iserver/accounts");
    assert.equal((await cp.get("/iserver/account/orders")).status, 200);
    clock.t += 4_999;
    assert.equal((await cp.get("/iserver/account/orders?force=true")).status, 429);
    clock.t += 1_000;

    // Global: 10 per second.
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await cp.get(`/iserver/contract/${AAPL}/info`)).status);
    assert.deepEqual(statuses, [...Array<number>(10).fill(200), 429]);

    const log = await cp.get("/sim/requests");
    const codes = log.body.requests.map((r: Json) => r.status);
    assert.equal(codes.filter((c: number) => c === 429).length, 4);
    assert.ok(log.body.requests.every((r: Json) => r.path.startsWith("/v1/api/")));
  });

  it("/sim/tws/* routes to the attached TWS simulator, or explains that none is attached", async () => {
    const { cp: bare } = await start();
    const none = await bare.post("/sim/tws/disconnect", {});
    assert.equal(none.status, 404);
    assert.match(none.body.error, /No TWS simulator is attached/);

    const calls: unknown[][] = [];
    const twsControl: TwsFaultControl = {
      disconnectAll: (o) => calls.push(["disconnectAll", o]),
      setZombie: (e) => calls.push(["setZombie", e]),
      sendNotice: (c) => calls.push(["sendNotice", c]),
    };
    const { cp } = await start({ twsControl });
    assert.equal((await cp.post("/sim/tws/disconnect", { refuseMs: 500 })).status, 200);
    assert.equal((await cp.post("/sim/tws/disconnect")).status, 200);
    assert.equal((await cp.post("/sim/tws/zombie")).status, 200);
    assert.equal((await cp.post("/sim/tws/zombie", { enabled: false })).status, 200);
    assert.equal((await cp.post("/sim/tws/notice", { code: 1101 })).status, 200);
    assert.equal((await cp.post("/sim/tws/notice", { code: 1234 })).status, 400);
    assert.equal((await cp.post("/sim/tws/disconnect", { refuseMs: -1 })).status, 400);
    assert.deepEqual(calls, [
      ["disconnectAll", { refuseMs: 500 }],
      ["disconnectAll", undefined],
      ["setZombie", true],
      ["setZombie", false],
      ["sendNotice", 1101],
    ]);
  });

  it("/sim/reset restores the book, the session and the limits; /sim/orders lists the book", async () => {
    const { cp, sim } = await start({ login: "auto" });
    await cp.get("/iserver/accounts");
    const placed = await cp.post(`/iserver/account/${ACCT}/orders`, {
      orders: [{ conid: AAPL, cOID: "r-1", orderType: "MKT", side: "BUY", quantity: 1, tif: "DAY" }],
    });
    assert.ok(placed.body[0].order_id);
    await sim.brokerage.whenIdle();
    const orders = await cp.get("/sim/orders");
    assert.equal(orders.body.orders.length, 1);
    assert.equal(orders.body.orders[0].status, "Filled");
    assert.deepEqual(orders.body.orderRefs[0].orderRef, "r-1");
    await cp.post("/sim/session/logout");
    const reset = await cp.post("/sim/reset");
    assert.equal(reset.body.session.state, "AUTHENTICATED");
    assert.deepEqual((await cp.get("/sim/orders")).body.orders, []);
    assert.equal((await cp.get("/sim/requests")).body.requests.length, 0);
    assert.equal((await cp.get("/sim/prices")).body.quotes[0].last, 190);
    assert.equal((await cp.get("/sim/nope")).status, 404);
    const index = await cp.get("/sim");
    assert.ok(index.body.endpoints.includes("POST /sim/session/expire"));
    assert.equal(index.body.tws, "not attached");
  });
});
