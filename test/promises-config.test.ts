/**
 * README promises about settings, each kept over real sockets: the server configured through its environment
 * (loadConfig → startApp) in front of the simulators, as a deployment runs it. Each test's name quotes the
 * promise it keeps.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { capturingLogger } from "./helpers/sim-app";
import { startGatewayApp, type GatewayApp } from "./helpers/gateway-app";
import { eventually } from "./helpers/wait";

const ACCT = "DU1234567";
const LIVE_ACCT = "U1234567";
const AAPL = 265598;

const SESSION = `query { session { mode ready clientPortal { state authenticated competing readOnly } } }`;
const PLACE = `mutation Place($i: PlaceOrderInput!) { placeOrder(input: $i) { order { id status } } }`;
const order = (clientOrderId: string, accountId = ACCT) => ({
  i: {
    accountId,
    contract: { conid: AAPL },
    side: "BUY",
    type: "LIMIT",
    quantity: 1,
    limitPrice: 100,
    clientOrderId,
  },
});
const codes = (r: { errors?: readonly { extensions?: Record<string, unknown> }[] }) =>
  (r.errors ?? []).map((e) => e.extensions?.code);

describe("README: 7496 and 4001 make the session LIVE; 7497 and 4002 PAPER", () => {
  // The live ports cannot be bound in a test. The mode must follow IB_TWS_PORT alone: nothing listens there
  // (or something refuses), so the TWS side never connects, and the mode must still say LIVE.
  for (const [port, mode] of [
    [7496, "LIVE"],
    [4001, "LIVE"],
    [7497, "PAPER"],
    [4002, "PAPER"],
  ] as const) {
    it(`IB_TWS_PORT=${port} → session.mode ${mode}; a LIVE port refuses an order even to a DU account`, async (t) => {
      const g = await startGatewayApp({
        env: () => ({ IB_TWS_HOST: "127.0.0.1", IB_TWS_PORT: String(port) }),
      });
      t.after(() => g.stop());
      const s = await g.op(SESSION);
      assert.equal(s.data?.session.mode, mode);
      const r = await g.op(PLACE, order(`port-${port}`));
      if (mode === "LIVE") assert.deepEqual(codes(r), ["LIVE_TRADING_DISABLED"], JSON.stringify(r.errors));
      else assert.notDeepEqual(codes(r), ["LIVE_TRADING_DISABLED"]);
      assert.equal(g.sims.brokerage.listOrders().length, 0);
    });
  }

  it("a paper port with its simulator answering stays PAPER (the control case over a real connection)", async (t) => {
    const g = await startGatewayApp({
      env: (sims) => ({ IB_TWS_HOST: sims.tws.host, IB_TWS_PORT: String(sims.tws.port) }),
    });
    t.after(() => g.stop());
    await eventually("TWS ready", async () => (await g.op(SESSION)).data?.session.ready === true);
    assert.equal((await g.op(SESSION)).data?.session.mode, "PAPER");
  });
});

describe("README: LIVE from a login with a live account", () => {
  let g: GatewayApp;
  after(() => g?.stop());

  it("a Client Portal login whose accounts are live (U…) puts the session in LIVE mode and guards orders", async () => {
    g = await startGatewayApp({ simulators: { accounts: [LIVE_ACCT] } });
    await eventually(
      "Client Portal authenticated",
      async () => (await g.op(SESSION)).data?.session.ready === true,
    );
    // The mode follows the accounts the login brought: it is LIVE once they are known.
    await g.op(`query { accounts { id } }`);
    await eventually("LIVE mode", async () => (await g.op(SESSION)).data?.session.mode === "LIVE");
    const r = await g.op(PLACE, order("live-login-1", LIVE_ACCT));
    assert.deepEqual(codes(r), ["LIVE_TRADING_DISABLED"], JSON.stringify(r.errors));
    assert.equal(g.sims.brokerage.listOrders().length, 0);
  });

  it("the same with a paper login (DU…) is PAPER", async (t) => {
    const paper = await startGatewayApp();
    t.after(() => paper.stop());
    await eventually("ready", async () => (await paper.op(SESSION)).data?.session.ready === true);
    await paper.op(`query { accounts { id } }`);
    assert.equal((await paper.op(SESSION)).data?.session.mode, "PAPER");
  });
});

describe("README: IB_CP_READ_ONLY=true, through GraphQL", () => {
  it("never opens a brokerage session (no ssodh/init), says readOnly, every mutation answers READ_ONLY, nothing reaches IB", async (t) => {
    const g = await startGatewayApp({
      env: (sims, caFile) => ({ IB_CP_URL: sims.cp.url, IB_CP_CA_FILE: caFile, IB_CP_READ_ONLY: "true" }),
    });
    t.after(() => g.stop());
    // Portfolio reads work without a brokerage session.
    const accounts = await eventually("accounts through the read-only session", async () => {
      const r = await g.op(`query { accounts { id } }`);
      return r.errors ? undefined : r.data?.accounts;
    });
    assert.deepEqual(
      accounts.map((a: { id: string }) => a.id),
      [ACCT],
    );
    const s = await g.op(SESSION);
    assert.equal(s.data?.session.clientPortal.readOnly, true);
    for (const [name, query, variables] of [
      ["placeOrder", PLACE, order("cp-ro-1")],
      ["cancelOrder", `mutation { cancelOrder(id: "1") { id } }`, undefined],
      [
        "confirmOrder",
        `mutation { confirmOrder(replyId: "x", confirmed: true) { order { id } } }`,
        undefined,
      ],
    ] as const) {
      const r = await g.op(query, variables);
      assert.deepEqual(codes(r), ["READ_ONLY"], `${name}: ${JSON.stringify(r.errors)}`);
    }
    const log = await g.requests();
    assert.deepEqual(
      log.filter((e) =>
        /ssodh\/init|reauthenticate|\/iserver\/account\/[^/]+\/order|\/iserver\/reply/.test(e.path),
      ),
      [],
      "no brokerage session opened and no order written",
    );
    assert.equal(g.sims.brokerage.listOrders().length, 0);
  });
});

describe("README: IB_CP_URL accepts a trailing /v1/api", () => {
  it("IB_CP_URL=https://host:port/v1/api works as the gateway's root does, and no request doubles the prefix", async (t) => {
    const g = await startGatewayApp({
      env: (sims, caFile) => ({ IB_CP_URL: `${sims.cp.url}/v1/api`, IB_CP_CA_FILE: caFile }),
    });
    t.after(() => g.stop());
    await eventually("ready", async () => (await g.op(SESSION)).data?.session.ready === true);
    const r = await g.op(`query { accounts { id } }`);
    assert.deepEqual(r.errors, undefined);
    const log = await g.requests();
    assert.ok(log.length > 0);
    assert.deepEqual(
      log.filter((e) => e.path.includes("/v1/api/v1/api") || e.status === 404).map((e) => e.path),
      [],
    );
    assert.ok(
      log.every((e) => e.path.startsWith("/v1/api/")),
      "every request under the API base once",
    );
  });

  it("the same with a trailing slash: /v1/api/", async (t) => {
    const g = await startGatewayApp({
      env: (sims, caFile) => ({ IB_CP_URL: `${sims.cp.url}/v1/api/`, IB_CP_CA_FILE: caFile }),
    });
    t.after(() => g.stop());
    await eventually("ready", async () => (await g.op(SESSION)).data?.session.ready === true);
    assert.deepEqual((await g.op(`query { accounts { id } }`)).errors, undefined);
  });
});

describe("README: IB_CP_INSECURE_TLS=true is warned at start", () => {
  it("logs a warning naming the setting at start, and connects without the certificate pinned", async (t) => {
    const { logger, lines } = capturingLogger();
    const g = await startGatewayApp({
      logger,
      env: (sims) => ({ IB_CP_URL: sims.cp.url, IB_CP_INSECURE_TLS: "true" }),
    });
    t.after(() => g.stop());
    const warnings = lines.filter((l) => l.level === 40 && /IB_CP_INSECURE_TLS/.test(String(l.msg)));
    assert.equal(warnings.length, 1, JSON.stringify(lines.map((l) => l.msg)));
    assert.match(String(warnings[0]?.msg), /NOT verified/);
    await eventually(
      "ready without a CA file",
      async () => (await g.op(SESSION)).data?.session.ready === true,
    );
  });

  it("without it, and without IB_CP_CA_FILE, the self-signed gateway is refused (no warning, never ready)", async (t) => {
    const { logger, lines } = capturingLogger();
    const g = await startGatewayApp({ logger, env: (sims) => ({ IB_CP_URL: sims.cp.url }) });
    t.after(() => g.stop());
    assert.equal(lines.filter((l) => /IB_CP_INSECURE_TLS=true/.test(String(l.msg))).length, 0);
    // The adapter has tried (and failed) at least once: the gateway never saw a request.
    await eventually("a failed attempt", async () => {
      const s = (await g.op(SESSION)).data?.session;
      return s && s.clientPortal.state !== "AUTHENTICATED" && s.clientPortal.state !== "STARTING"
        ? s
        : undefined;
    });
    assert.equal((await g.requests()).length, 0);
  });
});

describe("README: IB_CP_TAKE_OVER_COMPETING", () => {
  it("=true takes the brokerage session back at once when another login competes, without the reauthenticate mutation", async (t) => {
    const g = await startGatewayApp({
      env: (sims, caFile) => ({
        IB_CP_URL: sims.cp.url,
        IB_CP_CA_FILE: caFile,
        IB_CP_TAKE_OVER_COMPETING: "true",
      }),
    });
    t.after(() => g.stop());
    await eventually("ready", async () => (await g.op(SESSION)).data?.session.ready === true);
    const before = (await g.requests()).length;
    await g.cp.post("/sim/session/compete");
    await eventually("the brokerage session taken back", async () => {
      const sim = (await g.cp.get<{ authenticated: boolean; competing: boolean }>("/sim/session")).body;
      return sim.authenticated && !sim.competing;
    });
    const after = (await g.requests()).slice(before);
    const inits = after.filter((e) => /ssodh\/init/.test(e.path));
    assert.ok(inits.length >= 1, "the server opened the session again itself");
    await eventually(
      "the server ready again",
      async () => (await g.op(SESSION)).data?.session.ready === true,
    );
  });

  it("by default (false) the server does not fight for it: COMPETING until reauthenticate", async (t) => {
    const g = await startGatewayApp();
    t.after(() => g.stop());
    await eventually("ready", async () => (await g.op(SESSION)).data?.session.ready === true);
    await g.cp.post("/sim/session/compete");
    await eventually(
      "COMPETING",
      async () => (await g.op(SESSION)).data?.session.clientPortal.state === "COMPETING",
    );
    const mark = (await g.requests()).length;
    // Several keep-alive rounds (tickle every 700 ms here) go by without the server opening the session.
    await eventually(
      "three tickles after the competing login",
      async () => (await g.requests()).slice(mark).filter((e) => e.path.endsWith("/tickle")).length >= 3,
      10_000,
    );
    const since = (await g.requests()).slice(mark);
    assert.deepEqual(
      since.filter((e) => /ssodh\/init|reauthenticate/.test(e.path)).map((e) => e.path),
      [],
    );
    assert.equal((await g.op(SESSION)).data?.session.clientPortal.state, "COMPETING");
    const r = await g.op(`mutation { reauthenticate { ready } }`);
    assert.deepEqual(r.errors, undefined);
    await eventually(
      "taken back by the mutation",
      async () => (await g.op(SESSION)).data?.session.ready === true,
    );
  });
});
