import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Agent, request } from "undici";
import {
  generateLocalhostCertificate,
  startClientPortalSimulator,
  type ClientPortalSimulatorOptions,
  type CpSimulator,
  type CpTlsMaterial,
} from "../src/simulators/client-portal";
import { cpClient, type CpTestClient } from "./helpers/cp-sim-client";

const ACCT = "DU1234567";
const ACCT2 = "DU7654321";
const AAPL = 265598;
const ES = 495512563;

/** The Client Portal simulator as popular third-party clients (ibind and friends) drive it. */
describe("Client Portal simulator: third-party client behaviours", () => {
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

  async function start(options: ClientPortalSimulatorOptions = {}) {
    const clock = { t: Date.now() };
    const sim = await startClientPortalSimulator({
      tls,
      dailyResetTime: null,
      reauthDelayMs: 0,
      rateLimits: { enabled: false },
      brokerageOptions: { accounts: [ACCT, ACCT2] },
      now: () => clock.t,
      ...options,
    });
    const cp = cpClient(sim);
    running.push({ sim, cp });
    return { sim, cp, clock };
  }

  it("query booleans read True/1 and False/0: orders?force=True gives the empty first answer", async () => {
    const { sim, cp } = await start();
    await cp.get("/iserver/accounts");
    sim.brokerage.placeOrder({
      account: ACCT,
      contract: { conid: AAPL },
      side: "BUY",
      orderType: "LMT",
      quantity: 1,
      limitPrice: 100,
      api: "CP",
    });
    await sim.brokerage.whenIdle();
    const first = await cp.get("/iserver/account/orders");
    assert.deepEqual(first.body, { orders: [], snapshot: false }, "the cache starts empty");
    assert.equal((await cp.get("/iserver/account/orders")).body.orders.length, 1);
    for (const spelling of ["True", "true", "1", "TRUE"]) {
      const forced = await cp.get(`/iserver/account/orders?force=${spelling}`);
      assert.deepEqual(forced.body, { orders: [], snapshot: false }, `force=${spelling}`);
    }
    for (const spelling of ["False", "false", "0"]) {
      const cached = await cp.get(`/iserver/account/orders?force=${spelling}`);
      assert.equal(cached.body.orders.length, 1, `force=${spelling} reads the cache`);
    }
  });

  it("secdef/search name=True searches company names, name=False/0 symbols", async () => {
    const { cp } = await start();
    for (const spelling of ["True", "true", "1"]) {
      const byName = await cp.get(`/iserver/secdef/search?symbol=APPLE&name=${spelling}`);
      assert.equal(byName.status, 200);
      assert.deepEqual(
        byName.body.map((r: { conid: string }) => r.conid),
        [String(AAPL)],
        `name=${spelling}`,
      );
    }
    for (const spelling of ["False", "0"]) {
      const bySymbol = await cp.get(`/iserver/secdef/search?symbol=APPLE&name=${spelling}`);
      assert.deepEqual(bySymbol.body, [], `name=${spelling}: no symbol starts with APPLE`);
    }
    const post = await cp.post("/iserver/secdef/search", { symbol: "APPLE", name: "True" });
    assert.equal(post.body.length, 1, "a body field reads the same spellings");
  });

  it("option chain: search sections, strikes only after search, info per strike and right", async () => {
    const { cp } = await start();
    const month = (await cp.get(`/iserver/secdef/strikes?conid=${AAPL}&sectype=OPT&month=JAN27`)).body;
    assert.deepEqual(month, { call: [], put: [] }, "empty until the underlying was searched");
    const s = await cp.get("/iserver/secdef/search?symbol=AAPL");
    const opt = s.body[0].sections.find((x: { secType: string }) => x.secType === "OPT");
    assert.match(opt.months, /^([A-Z]{3}\d{2};)+[A-Z]{3}\d{2}$/);
    assert.match(opt.exchange, /^SMART;/);
    const m = opt.months.split(";")[1];
    const strikes = await cp.get(`/iserver/secdef/strikes?conid=${AAPL}&sectype=OPT&month=${m}`);
    assert.ok(strikes.body.call.includes(190) && strikes.body.put.includes(190));
    const info = await cp.get(`/iserver/secdef/info?conid=${AAPL}&sectype=OPT&month=${m}&strike=190&right=C`);
    assert.equal(info.status, 200);
    assert.ok(info.body.length >= 1, "one element per expiry of the month");
    const kinds: Record<string, string> = {
      conid: "number",
      symbol: "string",
      secType: "string",
      exchange: "string",
      right: "string",
      strike: "number",
      currency: "string",
      desc1: "string",
      desc2: "string",
      maturityDate: "string",
      multiplier: "string",
      tradingClass: "string",
      validExchanges: "string",
    };
    for (const [k, kind] of Object.entries(kinds))
      assert.equal(typeof info.body[0][k], kind, `secdef/info ${k}`);
    assert.deepEqual([info.body[0].right, info.body[0].strike, info.body[0].multiplier], ["C", 190, "100"]);
    const none = await cp.get(
      `/iserver/secdef/info?conid=${AAPL}&sectype=OPT&month=${m}&strike=191.25&right=C`,
    );
    assert.equal(none.status, 400, "no such strike");
    const rules = await cp.get(`/iserver/contract/${info.body[0].conid}/info`);
    assert.equal(rules.body.instrument_type, "OPT");
    assert.equal(rules.body.underlying_con_id, AAPL);
  });

  it("GET /portfolio/positions/{conid}: the position keyed by every account holding it", async () => {
    const { sim, cp } = await start();
    for (const account of [ACCT, ACCT2]) {
      sim.brokerage.placeOrder({
        account,
        contract: { conid: AAPL },
        side: "BUY",
        orderType: "MKT",
        quantity: account === ACCT ? 10 : 3,
        api: "CP",
      });
    }
    await sim.brokerage.whenIdle();
    const unprimed = await cp.get(`/portfolio/positions/${AAPL}`);
    assert.equal(unprimed.status, 500, "like every /portfolio/{…} read, it needs /portfolio/accounts first");
    await cp.get("/portfolio/accounts");
    const r = await cp.get(`/portfolio/positions/${AAPL}`);
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.body).sort(), [ACCT, ACCT2]);
    assert.equal(r.body[ACCT].length, 1);
    assert.equal(r.body[ACCT][0].conid, AAPL);
    assert.equal(r.body[ACCT][0].position, 10);
    assert.equal(r.body[ACCT2][0].position, 3);
    assert.equal(typeof r.body[ACCT][0].mktPrice, "number");
    assert.deepEqual((await cp.get(`/portfolio/positions/${ES}`)).body, {}, "nobody holds ES");
  });

  it("GET /iserver/account/{id}/summary: flat numbers and cash balances", async () => {
    const { sim, cp } = await start();
    assert.equal((await cp.get(`/iserver/account/${ACCT}/summary`)).status, 500, "needs /iserver/accounts");
    await cp.get("/iserver/accounts");
    const r = await cp.get(`/iserver/account/${ACCT}/summary`);
    assert.equal(r.status, 200);
    const v = sim.brokerage.accountValues(ACCT);
    for (const field of [
      "balance",
      "SMA",
      "buyingPower",
      "availableFunds",
      "excessLiquidity",
      "netLiquidationValue",
      "equityWithLoanValue",
      "regTLoan",
      "securitiesGVP",
      "totalCashValue",
      "accruedInterest",
      "regTMargin",
      "initialMargin",
      "maintenanceMargin",
    ]) {
      assert.equal(typeof r.body[field], "number", field);
    }
    assert.equal(typeof r.body.accountType, "string");
    assert.equal(r.body.netLiquidationValue, v.netLiquidation);
    assert.equal(r.body.totalCashValue, v.cash);
    assert.ok(Array.isArray(r.body.cashBalances));
    assert.deepEqual(Object.keys(r.body.cashBalances[0]).sort(), ["balance", "currency", "settledCash"]);
    assert.equal((await cp.get(`/iserver/account/U999/summary`)).status, 400);
  });

  it("GET /trsrv/secdef/schedule: a weekly pattern per exchange, no brokerage session needed", async () => {
    const { sim, cp } = await start();
    sim.control.expire();
    const r = await cp.get("/trsrv/secdef/schedule?assetClass=STK&symbol=AAPL&exchange=NASDAQ");
    assert.equal(r.status, 200);
    assert.equal(r.body.length, 1);
    const venue = r.body[0];
    assert.equal(typeof venue.id, "string");
    assert.equal(typeof venue.tradeVenueId, "string");
    assert.equal(venue.exchange, "NASDAQ");
    assert.equal(venue.schedules.length, 5, "Monday to Friday");
    const monday = venue.schedules[0];
    assert.equal(monday.tradingScheduleDate, 20000103, "IB's 2000-01-03 stands for any Monday");
    assert.deepEqual(
      [monday.tradingTimes.openingTime, monday.tradingTimes.closingTime],
      [400, 2000],
      "extended hours",
    );
    assert.deepEqual([monday.sessions.openingTime, monday.sessions.closingTime], [930, 1600], "liquid hours");
    assert.equal(typeof monday.clearingCycleEndTime, "number");
    assert.equal((await cp.get("/trsrv/secdef/schedule?symbol=AAPL")).status, 400, "assetClass is required");
    assert.deepEqual(
      (await cp.get("/trsrv/secdef/schedule?assetClass=STK&symbol=NOPE")).body,
      [],
      "unknown symbol",
    );
  });

  it("GET /trsrv/futures: non-expired contracts per case-sensitive symbol", async () => {
    const { cp } = await start();
    const r = await cp.get("/trsrv/futures?symbols=ES,es");
    assert.equal(r.status, 200);
    // The listed quarterly months, nearest first (the brokerage lists four more from its clock).
    assert.ok(r.body.ES.length >= 4, `ES months: ${r.body.ES.length}`);
    const ltds = r.body.ES.map((f: { ltd: number }) => f.ltd);
    assert.deepEqual(
      [...ltds].sort((a, b) => a - b),
      ltds,
    );
    const today = Number(new Date().toISOString().slice(0, 10).replace(/-/g, ""));
    assert.ok(
      ltds.every((d: number) => d >= today),
      "non-expired only",
    );
    if (today <= 20261218)
      assert.deepEqual(r.body.ES[0], {
        symbol: "ES",
        conid: ES,
        underlyingConid: 11004968,
        expirationDate: 20261218,
        ltd: 20261218,
        shortFuturesCutOff: 20261218,
        longFuturesCutOff: 20261218,
      });
    assert.deepEqual(r.body.es, [], "symbols are case-sensitive");
    assert.equal((await cp.get("/trsrv/futures")).status, 500);
  });

  it("GET /iserver/contract/{conid}/info-and-rules and POST /iserver/contract/rules", async () => {
    const { sim, cp } = await start();
    const r = await cp.get(`/iserver/contract/${AAPL}/info-and-rules?isBuy=True`);
    assert.equal(r.status, 200);
    assert.equal(r.body.con_id, AAPL, "the /info object");
    assert.equal(r.body.instrument_type, "STK");
    const rules = r.body.rules;
    assert.deepEqual(rules.orderTypes, ["limit", "market", "stop", "stop_limit"]);
    assert.ok(rules.tifTypes.some((t: string) => t.startsWith("GTC")));
    assert.equal(rules.increment, 0.01);
    assert.deepEqual(rules.incrementRules, [{ lowerEdge: 0, increment: 0.01 }]);
    assert.equal(rules.defaultSize, 100);
    assert.deepEqual(rules.canTradeAcctIds, [ACCT, ACCT2]);
    const q = sim.brokerage.quote(AAPL)!;
    assert.equal(rules.limitPrice, q.bid, "a buy ticket starts at the bid");

    const sell = await cp.post("/iserver/contract/rules", { conid: String(ES), isBuy: false });
    assert.equal(sell.status, 200);
    assert.equal(sell.body.con_id, undefined, "rules only");
    assert.equal(sell.body.increment, 0.25);
    assert.equal(sell.body.defaultSize, 1);
    assert.equal(sell.body.limitPrice, sim.brokerage.quote(ES)!.ask, "a sell ticket starts at the ask");
    assert.equal((await cp.post("/iserver/contract/rules", { conid: 1 })).status, 400);
    assert.equal((await cp.get("/iserver/contract/1/info-and-rules?isBuy=true")).status, 400);
  });

  it("no bridge: 401 {error:'no bridge'} by default, 400 'Bad Request: no bridge' on request", async () => {
    const a = await start();
    a.sim.control.expire();
    const r401 = await a.cp.get(`/iserver/contract/${AAPL}/info-and-rules?isBuy=true`);
    assert.equal(r401.status, 401);
    assert.deepEqual(r401.body, { error: "no bridge", statusCode: 401 });
    assert.equal((await a.cp.get("/trsrv/futures?symbols=ES")).status, 200, "trsrv lives on the SSO login");

    const b = await start({ noBridgeStatus: 400 });
    b.sim.control.expire();
    const r400 = await b.cp.get("/iserver/accounts");
    assert.equal(r400.status, 400);
    assert.deepEqual(r400.body, { error: "Bad Request: no bridge", statusCode: 400 });
  });

  /** How ibind opens its order stream: tickle, accounts, a forced orders request, then the orders. */
  async function orderStreamSetup(cp: CpTestClient): Promise<number[]> {
    const out: number[] = [];
    out.push((await cp.post("/tickle")).status);
    out.push((await cp.get("/iserver/accounts")).status);
    out.push((await cp.get("/iserver/account/orders?force=true")).status);
    out.push((await cp.get("/iserver/account/orders")).status);
    return out;
  }

  it("rate limits `ib`: the ibind order-stream setup asks orders twice in 5 s and lands in the penalty", async () => {
    const { cp } = await start({ rateLimits: { profile: "ib" } });
    assert.deepEqual(await orderStreamSetup(cp), [200, 200, 200, 429]);
    assert.equal((await cp.post("/iserver/auth/status")).status, 429, "penalty box");
    const sim = await cp.get("/sim");
    assert.equal(sim.body.rateLimits.profile, "ib");
    assert.equal(sim.body.rateLimits.penaltySeconds, 600, "IB's ten minutes");
    assert.equal(sim.body.rateLimits.globalPerSecond, 10);
  });

  it("rate limits `relaxed`: the same setup passes; limits are still enforced, with the chosen penalty", async () => {
    const { cp, clock } = await start({ rateLimits: { profile: "relaxed", penaltyMs: 30_000 } });
    assert.deepEqual(await orderStreamSetup(cp), [200, 200, 200, 200]);
    const sim = await cp.get("/sim");
    assert.equal(sim.body.rateLimits.profile, "relaxed");
    assert.equal(sim.body.rateLimits.penaltySeconds, 30);
    const orders = sim.body.rateLimits.endpoints.find(
      (l: { path: string }) => l.path === "/iserver/account/orders",
    );
    assert.deepEqual([orders.max, orders.windowMs], [5, 5_000]);
    // Three more orders calls use up the five; the sixth within the window is refused.
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await cp.get("/iserver/account/orders")).status);
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    clock.t += 30_001;
    assert.equal((await cp.get("/iserver/account/orders")).status, 200, "30 s penalty over");
  });

  it("rate limits `off`: nothing is refused, and /sim says so", async () => {
    const { cp } = await start({ rateLimits: { profile: "off" } });
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) statuses.push((await cp.post("/tickle")).status);
    assert.deepEqual(statuses, Array<number>(15).fill(200));
    const sim = await cp.get("/sim");
    assert.equal(sim.body.rateLimits.profile, "off");
    assert.deepEqual(sim.body.rateLimits.endpoints, []);
  });

  it("CLI: `sim --rate-limits relaxed --penalty-seconds 30` is what GET /sim reports", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cp-sim-cli-"));
    const certFile = join(dir, "ca.pem");
    const main = join(__dirname, "..", "src", "main.js");
    const child = spawn(
      process.execPath,
      [
        main,
        "sim",
        "--cp-port",
        "0",
        "--tws-port",
        "0",
        "--cert-file",
        certFile,
        "--rate-limits",
        "relaxed",
      ].concat(["--penalty-seconds", "30"]),
      { env: { PATH: process.env.PATH, LOG_LEVEL: "warn" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    const agent = { current: undefined as Agent | undefined };
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        const timer = setTimeout(() => reject(new Error(`no URL within 10 s:\n${out}`)), 10_000);
        child.stdout.on("data", (c: Buffer) => {
          out += c.toString();
          const m = /Client Portal gateway simulator: (https:\/\/\S+)\/v1\/api/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
        child.once("exit", (code) => reject(new Error(`exited ${code}:\n${out}`)));
      });
      agent.current = new Agent({ connect: { ca: readFileSync(certFile, "utf8") } });
      const res = await request(`${url}/sim`, { dispatcher: agent.current });
      const body = (await res.body.json()) as { rateLimits: { profile: string; penaltySeconds: number } };
      assert.equal(body.rateLimits.profile, "relaxed");
      assert.equal(body.rateLimits.penaltySeconds, 30);
    } finally {
      await agent.current?.close();
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, "exit");
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
