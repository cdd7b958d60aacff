import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ConfigError, loadConfig, redactedConfig } from "../src/config/config";
import { Metrics } from "../src/metrics";
import { LoginRefusalStore } from "../src/session/login-refusal";
import { DEFAULT_LOGIN_SELECTORS, loginSelectors } from "../src/session/login-selectors";

const BROWSER = process.execPath; // any file that exists stands in for the browser here

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ IB_CP_URL: "https://localhost:5001", IB_CP_BROWSER: BROWSER, ...env }, {}, null);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}

describe("automatic login: configuration, remembered refusals, metrics", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "cp-login-config-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("defaults to manual; auto needs a user and a password, which may come from files and are redacted", async () => {
    const c = loadConfig({ IB_CP_URL: "https://localhost:5001" }, {}, null);
    assert.equal(c.cpLogin, "manual");
    assert.equal(c.cpTradingMode, "paper");
    assert.equal(c.cpBrowser, "/usr/bin/chromium");
    assert.equal(c.cpLoginTimeoutMs, 60_000);

    assert.match(problems({ IB_CP_LOGIN: "auto" }).join("\n"), /needs IB_CP_USERNAME and IB_CP_PASSWORD/);
    assert.match(
      problems({
        IB_CP_LOGIN: "auto",
        IB_CP_USERNAME: "u",
        IB_CP_PASSWORD: "p",
        IB_CP_BROWSER: "/nope",
      }).join(),
      /IB_CP_BROWSER: no browser/,
    );
    const pwFile = join(dir, "pw");
    await writeFile(pwFile, "from-a-file\n");
    const auto = loadConfig(
      {
        IB_CP_URL: "https://localhost:5001",
        IB_CP_LOGIN: "auto",
        IB_CP_USERNAME: "reader",
        IB_CP_PASSWORD_FILE: pwFile,
        IB_CP_TOTP_SECRET: "jbsw y3dp ehpk 3pxp",
        IB_CP_TRADING_MODE: "live",
        IB_CP_BROWSER: BROWSER,
      },
      {},
      null,
    );
    assert.equal(auto.cpPassword, "from-a-file");
    assert.equal(auto.cpTotpSecret, "JBSWY3DPEHPK3PXP");
    assert.equal(auto.cpTradingMode, "live");
    const shown = JSON.stringify(redactedConfig(auto));
    for (const s of ["reader", "from-a-file", "JBSWY3DPEHPK3PXP"]) assert.ok(!shown.includes(s), shown);
  });

  it("refuses a bad TOTP secret, trading mode or selector table without showing the secret", () => {
    const bad = problems({ IB_CP_TOTP_SECRET: "not base32!", IB_CP_TRADING_MODE: "demo" }).join("\n");
    assert.match(bad, /IB_CP_TOTP_SECRET: must be the base32 secret.*\(got \(hidden\)\)/);
    assert.match(bad, /IB_CP_TRADING_MODE/);
    assert.doesNotMatch(bad, /not base32!/);
    assert.match(
      problems({ IB_CP_LOGIN_SELECTORS: "{nope" }).join(),
      /IB_CP_LOGIN_SELECTORS: must be a JSON object/,
    );
    assert.match(problems({ IB_CP_LOGIN_SELECTORS: '{"userName":"x"}' }).join(), /IB_CP_LOGIN_SELECTORS/);
    const c = loadConfig(
      { IB_CP_LOGIN_SELECTORS: '{"submit":"button#go","successText":"Login OK"}', IB_CP_BROWSER: BROWSER },
      {},
      null,
    );
    const table = loginSelectors(c.cpLoginSelectors);
    assert.equal(table.submit, "button#go");
    assert.equal(table.successText, "Login OK");
    assert.equal(table.usernameV2, DEFAULT_LOGIN_SELECTORS.usernameV2);
  });

  it("a refusal is remembered for the same settings only, as a digest", async () => {
    const file = join(dir, "state", "cp-login-refused.json");
    const key = { loginUrl: "https://localhost:5001/", username: "reader", password: "pw-1" };
    new LoginRefusalStore(file, key).write("Invalid username password combination");
    assert.equal(new LoginRefusalStore(file, key).read()?.message, "Invalid username password combination");
    assert.equal(new LoginRefusalStore(file, { ...key, password: "pw-2" }).read(), null);
    assert.equal(new LoginRefusalStore(file, { ...key, totpSecret: "ABC" }).read(), null);
    const { readFile } = await import("node:fs/promises");
    const text = await readFile(file, "utf8");
    assert.ok(!text.includes("pw-1") && !text.includes("reader"), text);
    new LoginRefusalStore(file, key).write(null);
    assert.equal(new LoginRefusalStore(file, key).read(), null);
  });

  it("counts attempts by outcome and their duration", async () => {
    const m = new Metrics({ broker: () => undefined });
    m.recordCpLogin("success", 3.2);
    m.recordCpLogin("rejected", 1.1);
    const text = await m.registry.metrics();
    assert.match(text, /ibkr_cp_login_attempts_total\{outcome="success"\} 1/);
    assert.match(text, /ibkr_cp_login_attempts_total\{outcome="rejected"\} 1/);
    assert.match(text, /ibkr_cp_login_duration_seconds_count\{outcome="success"\} 1/);
  });
});
