import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { loadConfig } from "../src/config/config";
import { runDoctor } from "../src/doctor/doctor";
import { startClientPortalSimulator, type CpSimulator } from "../src/simulators/client-portal";
import { CHROMIUM, HAS_CHROMIUM, TOTP_SECRET } from "./helpers/browser-login";

/** `doctor --login`: one real login, reported with the page version, the side chosen and the second factor. */
describe("doctor --login", { skip: HAS_CHROMIUM ? false : `no browser at ${CHROMIUM}` }, () => {
  const sims: CpSimulator[] = [];
  after(async () => {
    for (const s of sims) await s.stop();
  });

  async function doctor(sim: CpSimulator, env: Record<string, string>, login = true) {
    const config = loadConfig(
      { IB_CP_URL: sim.url, IB_CP_BROWSER: CHROMIUM, IB_CP_USERNAME: "reader", IB_CP_PASSWORD: "pw", ...env },
      {},
      null,
    );
    const checks = await runDoctor(config, { cpCaPem: sim.caPem, timeoutMs: 4_000, login });
    return checks.find((c) => c.name === "automatic login");
  }

  it("is never run without --login", async () => {
    const sim = await startClientPortalSimulator({ dailyResetTime: null });
    sims.push(sim);
    assert.equal(await doctor(sim, {}, false), undefined);
    assert.equal(sim.control.requests().filter((e) => e.login).length, 0);
  });

  it("reports page v1, the live side and the TOTP second factor", async () => {
    const sim = await startClientPortalSimulator({
      dailyResetTime: null,
      loginPage: "v1",
      credentials: { username: "reader", password: "pw", totpSecret: TOTP_SECRET },
    });
    sims.push(sim);
    const check = await doctor(sim, { IB_CP_TRADING_MODE: "live", IB_CP_TOTP_SECRET: TOTP_SECRET });
    assert.equal(check?.ok, true, JSON.stringify(check));
    assert.match(check?.detail ?? "", /login page v1, live side chosen, second factor: asked and answered/);
  });

  it("says when a second factor is asked that it cannot give, and how to fix it", async () => {
    const sim = await startClientPortalSimulator({
      dailyResetTime: null,
      credentials: { username: "reader", password: "pw", totpSecret: TOTP_SECRET },
    });
    sims.push(sim);
    const check = await doctor(sim, {});
    assert.equal(check?.ok, false);
    assert.match(
      check?.detail ?? "",
      /login page v2, paper side chosen, password accepted; then the second-factor step/,
    );
    assert.match(check?.fix ?? "", /IB_CP_TOTP_SECRET/);
  });
});
