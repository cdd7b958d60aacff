import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigError, loadConfig, redactedConfig } from "../src/config/config";

const load = (env: Record<string, string>, flags = {}) => loadConfig(env, flags, null);

describe("config", () => {
  it("defaults to loopback:4000 and SIMULATED when no gateway is configured", () => {
    const c = load({});
    assert.equal(c.host, "127.0.0.1");
    assert.equal(c.port, 4000);
    assert.equal(c.simulated, true);
    assert.equal(c.landingPage, "graphiql");
  });

  it("is not simulated once a gateway is configured, and flags win over the environment", () => {
    const c = load({ IB_TWS_PORT: "7497", PORT: "5000" }, { port: "6000" });
    assert.equal(c.simulated, false);
    assert.equal(c.twsPort, 7497);
    assert.equal(c.port, 6000);
  });

  it("lists every bad setting with the variable, the problem and an example", () => {
    assert.throws(
      () => load({ PORT: "abc", IB_CP_URL: "ftp://x", LANDING_PAGE: "fancy" }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.equal(e.problems.length, 3);
        assert.match(e.message, /PORT: .*"abc".*example: PORT=4000/);
        assert.match(e.message, /IB_CP_URL/);
        assert.match(e.message, /LANDING_PAGE/);
        return true;
      },
    );
  });

  it("refuses a non-loopback HOST without API_TOKEN", () => {
    assert.throws(() => load({ HOST: "0.0.0.0" }), /requires API_TOKEN/);
    assert.equal(load({ HOST: "0.0.0.0", API_TOKEN: "x".repeat(20) }).host, "0.0.0.0");
  });

  it("refuses a read token equal to the trade token", () => {
    const same = "same-token-0123456789";
    assert.throws(() => load({ API_TOKEN: same, API_READ_TOKEN: same }), /API_READ_TOKEN: must differ/);
  });

  it("never shows secrets, not even when they are invalid", () => {
    assert.throws(
      () => load({ API_TOKEN: "short-secret" }),
      (e: unknown) => !String(e).includes("short-secret"),
    );
    const c = load({ API_TOKEN: "s3cret-s3cret-s3cret" });
    assert.ok(!JSON.stringify(redactedConfig(c)).includes("s3cret"));
  });

  it("reads secrets from *_FILE variables", (t) => {
    const dir = mkdtempSync(join(tmpdir(), "cfg-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "token");
    writeFileSync(file, "from-a-file-0123456789\n");
    assert.equal(load({ API_TOKEN_FILE: file }).apiToken, "from-a-file-0123456789");
    assert.throws(() => load({ API_TOKEN_FILE: join(dir, "missing") }), /API_TOKEN_FILE: file not found/);
  });

  it("parses lists and booleans", () => {
    const c = load({ IB_ACCOUNTS: "DU1, DU2", READ_ONLY: "true", IB_CP_AUTO_CONFIRM: "o163,o354" });
    assert.deepEqual(c.accounts, ["DU1", "DU2"]);
    assert.equal(c.readOnly, true);
    assert.deepEqual(c.cpAutoConfirm, ["o163", "o354"]);
    assert.throws(() => load({ READ_ONLY: "maybe" }), /READ_ONLY/);
  });
});
