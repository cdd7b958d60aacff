import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import pino from "pino";
import { request } from "undici";
import type { OrderObservation } from "../src/brokers";
import {
  createClientPortalBroker,
  type ClientPortalAdapter,
  type ClientPortalBrokerOptions,
} from "../src/brokers/client-portal";
import { ClientPortalState, SessionEventType, type BrokerApi } from "../src/schema/enums";
import {
  startClientPortalSimulator,
  type ClientPortalSimulatorOptions,
  type CpSimulator,
} from "../src/simulators/client-portal";
import {
  assertBrowserGone,
  CHROMIUM,
  HAS_CHROMIUM,
  processesMentioning,
  profileRoot,
  TOTP_SECRET,
} from "./helpers/browser-login";
import { brokerOptions, simOptions } from "./helpers/cp-broker-harness";
import { capturingLogger, startSimApp } from "./helpers/sim-app";
import { eventually } from "./helpers/wait";

const PAPER = "DU1111111";
const LIVE = "U2222222";
const USER = "ro-reader-7q";
const PASSWORD = "pw-Zq9!x-secret";

/**
 * The server logs in by itself: the Client Portal adapter over real HTTPS, the simulator's login page in
 * headless Chromium, no person anywhere. Every log line of the adapter and the simulator is kept and
 * searched for the credentials.
 */
describe(
  "Client Portal automatic login",
  { skip: HAS_CHROMIUM ? false : `no browser at ${CHROMIUM}` },
  () => {
    let profiles: Awaited<ReturnType<typeof profileRoot>>;
    const lines: string[] = [];
    const logger = pino({ level: "debug" }, { write: (line: string) => void lines.push(line) });
    let running: { sim: CpSimulator; adapter: ClientPortalAdapter }[] = [];

    before(async () => {
      profiles = await profileRoot();
    });
    afterEach(async () => {
      for (const r of running) {
        await r.adapter.close();
        await r.sim.stop();
      }
      running = [];
    });
    after(async () => {
      await profiles.dispose();
      const secrets = [USER, PASSWORD, TOTP_SECRET];
      assert.ok(lines.length > 0, "the logs were captured");
      for (const line of lines)
        for (const s of secrets) assert.ok(!line.includes(s), `credential in log: ${line}`);
    });

    async function start(
      simOver: Partial<ClientPortalSimulatorOptions>,
      auto: Partial<NonNullable<ClientPortalBrokerOptions["autoLogin"]>> = {},
    ) {
      const sim = await startClientPortalSimulator(
        simOptions({
          login: "manual",
          brokerageOptions: { accounts: [PAPER, LIVE] },
          credentials: { username: USER, password: PASSWORD },
          logger,
          ...simOver,
        }),
      );
      const events: { type: SessionEventType; message?: string }[] = [];
      const attempts: { outcome: string; seconds: number }[] = [];
      const adapter = createClientPortalBroker(
        brokerOptions(sim, {
          logger,
          autoLogin: {
            username: USER,
            password: PASSWORD,
            tradingMode: "paper",
            browserPath: CHROMIUM,
            timeoutMs: 30_000,
            profileRoot: profiles.dir,
            ...auto,
          },
          onLoginAttempt: (outcome, seconds) => attempts.push({ outcome, seconds }),
        }),
        {
          order: (_o: OrderObservation) => undefined,
          session: (_api: BrokerApi, type: SessionEventType, message?: string) =>
            events.push({ type, message }),
        },
      );
      running.push({ sim, adapter });
      const logins = () => sim.control.requests().flatMap((e) => (e.login ? [e.login] : []));
      const tickles = () => sim.control.requests().filter((e) => e.path === "/v1/api/tickle").length;
      const state = () => adapter.status().state;
      return { sim, adapter, events, attempts, logins, tickles, state };
    }

    it("logs in at start and again after the daily reset, on the paper side, without a person", async () => {
      const t = await start({});
      await t.adapter.start();
      await eventually("AUTHENTICATED", () => t.state() === ClientPortalState.AUTHENTICATED, 30_000);
      await assertBrowserGone(profiles.dir);
      assert.deepEqual(
        (await t.adapter.listAccounts()).map((a) => a.id),
        [PAPER],
      );

      t.sim.control.dailyReset();
      await eventually(
        "a second AUTHENTICATED event",
        () => t.events.filter((e) => e.type === SessionEventType.AUTHENTICATED).length === 2,
        30_000,
      );
      await assertBrowserGone(profiles.dir);
      assert.equal(t.state(), ClientPortalState.AUTHENTICATED);
      assert.deepEqual(
        (await t.adapter.listAccounts()).map((a) => a.id),
        [PAPER],
      );
      assert.deepEqual(
        t.logins().map((l) => [l.mode, l.outcome]),
        [
          ["paper", "success"],
          ["paper", "success"],
        ],
      );
      assert.deepEqual(
        t.attempts.map((a) => a.outcome),
        ["success", "success"],
      );
      const types = t.events.map((e) => e.type);
      assert.deepEqual(types.slice(types.indexOf(SessionEventType.AUTHENTICATED) + 1), [
        SessionEventType.LOGIN_REQUIRED,
        SessionEventType.AUTHENTICATED,
      ]);
      // Continues as after a person's login: the brokerage session is primed and usable.
      assert.ok(t.sim.control.requests().some((e) => e.path === "/v1/api/iserver/accounts"));
    });

    it("page v1 and the live side", async () => {
      const t = await start({ loginPage: "v1" }, { tradingMode: "live" });
      await t.adapter.start();
      await eventually("AUTHENTICATED", () => t.state() === ClientPortalState.AUTHENTICATED, 30_000);
      assert.deepEqual(
        (await t.adapter.listAccounts()).map((a) => a.id),
        [LIVE],
      );
      assert.equal(t.sim.control.session().mode, "live");
      await assertBrowserGone(profiles.dir);
    });

    it("answers a TOTP second factor from the configured secret", async () => {
      const t = await start(
        { credentials: { username: USER, password: PASSWORD, totpSecret: TOTP_SECRET }, ibKeyPromo: true },
        { totpSecret: TOTP_SECRET },
      );
      await t.adapter.start();
      await eventually("AUTHENTICATED", () => t.state() === ClientPortalState.AUTHENTICATED, 30_000);
      assert.deepEqual(
        t.logins().map((l) => l.outcome),
        ["second-factor-required", "success"],
      );
      await assertBrowserGone(profiles.dir);
    });

    it("a wrong password: LOGIN_FAILED with IB's message, and no second attempt by itself", async () => {
      const t = await start({}, { password: "not-the-password" });
      await t.adapter.start();
      await eventually("LOGIN_FAILED", () => t.state() === ClientPortalState.LOGIN_FAILED, 30_000);
      await assertBrowserGone(profiles.dir);
      const failed = t.events.find((e) => e.type === SessionEventType.LOGIN_FAILED);
      assert.match(failed?.message ?? "", /Invalid username password combination/);
      const status = t.adapter.status();
      assert.equal(status.loginUrl, t.sim.loginUrl);
      assert.match(status.message ?? "", /Automatic logins are stopped/);
      // Many session checks later (the gateway still has no login) there is still exactly one attempt.
      const seen = t.tickles();
      await eventually("ten more session checks", () => t.tickles() >= seen + 10, 10_000);
      assert.equal(t.logins().length, 1);
      assert.equal(t.state(), ClientPortalState.LOGIN_FAILED);
      assert.deepEqual(
        t.attempts.map((a) => a.outcome),
        ["rejected"],
      );
      // A person fixed it on the IB side (here: logs in) — the server picks the session up.
      t.sim.control.login();
      await eventually("AUTHENTICATED", () => t.state() === ClientPortalState.AUTHENTICATED, 10_000);
    });

    it("reauthenticate lifts the stop for one attempt", async () => {
      const t = await start({}, { password: "not-the-password" });
      await t.adapter.start();
      await eventually("LOGIN_FAILED", () => t.state() === ClientPortalState.LOGIN_FAILED, 30_000);
      await t.adapter.reauthenticate();
      assert.equal(t.logins().length, 2);
      assert.equal(t.state(), ClientPortalState.LOGIN_FAILED);
      await assertBrowserGone(profiles.dir);
    });

    it("a refusal is remembered across a restart: the refused password is not submitted again", async () => {
      const stateDir = await mkdtemp(join(profiles.dir, "..", "cp-login-state-"));
      try {
        const t = await start({}, { password: "not-the-password", stateDir });
        await t.adapter.start();
        await eventually("LOGIN_FAILED", () => t.state() === ClientPortalState.LOGIN_FAILED, 30_000);
        const saved = readFileSync(join(stateDir, "cp-login-refused.json"), "utf8");
        assert.ok(!saved.includes("not-the-password") && !saved.includes(USER), saved);
        await t.adapter.close();

        // The restart: a new adapter with the same settings on the same gateway.
        const again = createClientPortalBroker(
          brokerOptions(t.sim, {
            logger,
            autoLogin: {
              username: USER,
              password: "not-the-password",
              tradingMode: "paper",
              browserPath: CHROMIUM,
              profileRoot: profiles.dir,
              stateDir,
            },
          }),
          { order: () => undefined, session: () => undefined },
        );
        running.push({ sim: t.sim, adapter: again });
        await again.start();
        assert.equal(again.status().state, ClientPortalState.LOGIN_FAILED);
        assert.match(again.status().message ?? "", /before a restart/);
        assert.equal(t.logins().length, 1);
      } finally {
        await rm(stateDir, { recursive: true, force: true });
      }
    });

    it("stopping the server during a login closes the browser at once", async () => {
      const t = await start({});
      const starting = t.adapter.start();
      await eventually("a browser to run", () => processesMentioning(profiles.dir).length > 0, 20_000);
      await t.adapter.close();
      await assertBrowserGone(profiles.dir);
      await starting;
      assert.equal(t.logins().length, 0);
    });

    it("the whole server (IB_CP_LOGIN=auto): GraphQL shows AUTHENTICATED and /metrics counts the attempt", async () => {
      const captured = capturingLogger();
      const app = await startSimApp({
        env: {
          IB_CP_LOGIN: "auto",
          IB_CP_USERNAME: USER,
          IB_CP_PASSWORD: PASSWORD,
          IB_CP_TRADING_MODE: "paper",
          IB_CP_BROWSER: CHROMIUM,
        },
        simulators: { cpLogin: "manual", accounts: [PAPER, LIVE] },
        logger: captured.logger,
      });
      try {
        const r = await app.op("{ session { clientPortal { state loginUrl } } }");
        assert.equal(r.data?.session.clientPortal.state, "AUTHENTICATED");
        assert.equal(r.data?.session.clientPortal.loginUrl, null);
        const metrics = await (await request(app.httpUrl.replace(/\/graphql$/, "/metrics"))).body.text();
        assert.match(metrics, /ibkr_cp_login_attempts_total\{outcome="success"\} 1/);
        assert.match(metrics, /ibkr_cp_login_duration_seconds_count\{outcome="success"\} 1/);
        const loginLines = captured.lines.filter((l) => /automatic login/.test(String(l.msg)));
        assert.deepEqual(
          loginLines.map((l) => l.msg),
          ["client portal: automatic login started", "client portal: automatic login succeeded"],
        );
        for (const l of captured.lines) lines.push(JSON.stringify(l));
      } finally {
        await app.stop();
      }
      // The server's own profiles live in the system temp folder.
      const own = join(tmpdir(), "ibkr-graphql-login-");
      await eventually("the browser processes to end", () => processesMentioning(own).length === 0, 5_000);
    });

    it("a second factor without a secret: AWAITING_SECOND_FACTOR with the login URL; a person's login picks up", async () => {
      const t = await start({ credentials: { username: USER, password: PASSWORD, totpSecret: TOTP_SECRET } });
      await t.adapter.start();
      await eventually(
        "AWAITING_SECOND_FACTOR",
        () => t.state() === ClientPortalState.AWAITING_SECOND_FACTOR,
        30_000,
      );
      await assertBrowserGone(profiles.dir);
      const event = t.events.find((e) => e.type === SessionEventType.AWAITING_SECOND_FACTOR);
      assert.ok(event?.message?.includes(t.sim.loginUrl), event?.message);
      assert.equal(t.adapter.status().loginUrl, t.sim.loginUrl);
      const seen = t.tickles();
      await eventually("ten more session checks", () => t.tickles() >= seen + 10, 10_000);
      assert.equal(t.logins().length, 1, "no second attempt (no second push or SMS)");

      t.sim.control.login("paper"); // the person, in a browser of their own
      await eventually("AUTHENTICATED", () => t.state() === ClientPortalState.AUTHENTICATED, 10_000);
      assert.deepEqual(
        (await t.adapter.listAccounts()).map((a) => a.id),
        [PAPER],
      );
      const types = t.events.map((e) => e.type);
      assert.deepEqual(types.slice(types.indexOf(SessionEventType.AWAITING_SECOND_FACTOR)), [
        SessionEventType.AWAITING_SECOND_FACTOR,
        SessionEventType.AUTHENTICATED,
      ]);
    });
  },
);
