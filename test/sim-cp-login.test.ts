import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Secret, TOTP } from "otpauth";
import { runBrowserLogin, type BrowserLoginOptions } from "../src/session/cp-login";
import { loginSelectors } from "../src/session/login-selectors";
import {
  startClientPortalSimulator,
  type ClientPortalSimulatorOptions,
  type CpSimulator,
} from "../src/simulators/client-portal";
import { assertBrowserGone, CHROMIUM, HAS_CHROMIUM, profileRoot, TOTP_SECRET } from "./helpers/browser-login";
import { cpClient, type CpTestClient } from "./helpers/cp-sim-client";

const PAPER = "DU1111111";
const LIVE = "U2222222";
const form = { "content-type": "application/x-www-form-urlencoded" };

/**
 * The simulator's login page as a browser meets it: both of IB's page versions, the paper/live switch, a
 * TOTP second factor, IB's wrong-password message and lockout, the IB Key advertisement. The robot is the
 * server's own (`runBrowserLogin`), in headless Chromium over real HTTPS with the simulator's certificate
 * pinned by its public key.
 */
describe(
  "Client Portal simulator: the login page",
  { skip: HAS_CHROMIUM ? false : `no browser at ${CHROMIUM}` },
  () => {
    const started: { sim: CpSimulator; cp: CpTestClient }[] = [];
    let profiles: Awaited<ReturnType<typeof profileRoot>>;

    before(async () => {
      profiles = await profileRoot();
    });
    after(async () => {
      for (const s of started) {
        await s.cp.close();
        await s.sim.stop();
      }
      await profiles.dispose();
    });

    async function start(over: Partial<ClientPortalSimulatorOptions> = {}) {
      const sim = await startClientPortalSimulator({
        login: "manual",
        dailyResetTime: null,
        rateLimits: { profile: "off" },
        brokerageOptions: { accounts: [PAPER, LIVE] },
        ...over,
      });
      const cp = cpClient(sim);
      started.push({ sim, cp });
      return { sim, cp };
    }

    function login(sim: CpSimulator, over: Partial<BrowserLoginOptions> = {}) {
      return runBrowserLogin({
        loginUrl: sim.loginUrl,
        username: "reader",
        password: "s3cret-pw",
        tradingMode: "paper",
        browserPath: CHROMIUM,
        selectors: loginSelectors(),
        caPem: sim.caPem,
        timeoutMs: 30_000,
        profileRoot: profiles.dir,
        ...over,
      });
    }

    async function accountIds(cp: CpTestClient): Promise<string[]> {
      const r = await cp.get<{ accountId: string }[]>("/portfolio/accounts");
      assert.equal(r.status, 200);
      return r.body.map((a) => a.accountId).sort();
    }

    it("page v1: logs in on the paper side, and the session sees the paper accounts only", async () => {
      const { sim, cp } = await start({ loginPage: "v1" });
      const page = await cp.raw("GET", "/");
      assert.match(page.body, /name="user_name"/);
      const outcome = await login(sim, { tradingMode: "paper" });
      assert.deepEqual(outcome, {
        kind: "success",
        pageVersion: "v1",
        tradingMode: "paper",
        secondFactor: "none",
        ibKeyPromoSkipped: false,
      });
      await assertBrowserGone(profiles.dir);
      assert.equal(sim.control.session().mode, "paper");
      assert.deepEqual(await accountIds(cp), [PAPER]);
    });

    it("page v2: the live side sees the live accounts; the request log records the attempt, not the password", async () => {
      const { sim, cp } = await start({ loginPage: "v2" });
      const outcome = await login(sim, { tradingMode: "live" });
      assert.equal(outcome.kind, "success");
      assert.equal(outcome.kind === "success" && outcome.pageVersion, "v2");
      await assertBrowserGone(profiles.dir);
      assert.equal(sim.control.session().mode, "live");
      assert.deepEqual(await accountIds(cp), [LIVE]);
      const attempts = sim.control.requests().filter((e) => e.login);
      assert.deepEqual(
        attempts.map((e) => e.login),
        [{ username: "reader", mode: "live", step: "credentials", outcome: "success" }],
      );
      assert.doesNotMatch(JSON.stringify(sim.control.requests()), /s3cret-pw/);
    });

    it("a TOTP user: the code from the secret answers the second factor", async () => {
      const { sim } = await start({
        credentials: { username: "reader", password: "s3cret-pw", totpSecret: TOTP_SECRET },
      });
      const outcome = await login(sim, { totpSecret: TOTP_SECRET });
      assert.equal(outcome.kind, "success");
      assert.equal(outcome.kind === "success" && outcome.secondFactor, "totp");
      await assertBrowserGone(profiles.dir);
      assert.equal(sim.control.session().authenticated, true);
      assert.deepEqual(
        sim.control.requests().flatMap((e) => (e.login ? [e.login.outcome] : [])),
        ["second-factor-required", "success"],
      );
    });

    it("a second factor without a secret is reported, not guessed", async () => {
      const { sim } = await start({
        credentials: { username: "reader", password: "s3cret-pw", totpSecret: TOTP_SECRET },
      });
      const outcome = await login(sim);
      assert.equal(outcome.kind, "second-factor");
      assert.match(outcome.kind === "second-factor" ? outcome.message : "", /security code/);
      await assertBrowserGone(profiles.dir);
      assert.equal(sim.control.session().state, "NO_SSO");
    });

    it("a wrong password: IB's message, one attempt in the log; repeated failures lock the user", async () => {
      const { sim, cp } = await start({
        credentials: { username: "reader", password: "right-pw" },
        loginLockoutAfter: 3,
      });
      const outcome = await login(sim, { password: "wrong-pw" });
      assert.deepEqual(outcome, {
        kind: "rejected",
        pageVersion: "v2",
        message: "Invalid username password combination",
      });
      await assertBrowserGone(profiles.dir);
      assert.equal(sim.control.requests().filter((e) => e.login).length, 1);
      for (let i = 0; i < 2; i++)
        await cp.raw("POST", "/sso/Login", { body: "username=reader&password=nope", headers: form });
      const locked = await cp.raw("POST", "/sso/Login", {
        body: "username=reader&password=right-pw",
        headers: form,
      });
      assert.match(locked.body, /account has been locked/);
      assert.equal(sim.control.session().state, "NO_SSO");
      sim.control.reset();
      const after = await cp.raw("POST", "/sso/Login", {
        body: "username=reader&password=right-pw&paper=true",
        headers: form,
      });
      assert.match(after.body, /Client login succeeds/);
    });

    it("a wrong TOTP code is refused with a message inside the second-factor step", async () => {
      const { sim, cp } = await start({
        credentials: { username: "reader", password: "pw", totpSecret: TOTP_SECRET },
      });
      const first = await cp.raw("POST", "/sso/Login", {
        body: "username=reader&password=pw",
        headers: form,
      });
      const pending = /name="pending" value="([0-9a-f]+)"/.exec(first.body)?.[1];
      assert.ok(pending);
      const good = new TOTP({ secret: Secret.fromBase32(TOTP_SECRET) }).generate();
      const bad = String((Number(good) + 500_000) % 1_000_000).padStart(6, "0");
      const wrong = await cp.raw("POST", "/sso/Login", {
        body: `pending=${pending}&code=${bad}`,
        headers: form,
      });
      assert.match(wrong.body, /id="twofactbase"[\s\S]*xyz-errormessage/);
      const right = await cp.raw("POST", "/sso/Login", {
        body: `pending=${pending}&code=${good}`,
        headers: form,
      });
      assert.match(right.body, /Client login succeeds/);
      assert.equal(sim.control.session().mode, "live");
    });

    it("the IB Key advertisement is skipped; logout and the daily reset end the login", async () => {
      const { sim } = await start({ ibKeyPromo: true });
      const outcome = await login(sim);
      assert.equal(outcome.kind === "success" && outcome.ibKeyPromoSkipped, true);
      await assertBrowserGone(profiles.dir);
      assert.equal(sim.control.session().authenticated, true);
      assert.equal(sim.control.dailyReset().state, "NO_SSO");
    });

    it("a certificate that is not the pinned one is refused by the browser", async () => {
      const { sim } = await start();
      const other = await start();
      const outcome = await login(sim, { caPem: other.sim.caPem, timeoutMs: 10_000 });
      assert.equal(outcome.kind, "transient");
      assert.match(outcome.kind === "transient" ? outcome.message : "", /CERT|certificate/i);
      await assertBrowserGone(profiles.dir);
      assert.equal(sim.control.requests().length, 0);
    });
  },
);
