import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { request } from "undici";
import { ConfigError, loadConfig, redactedConfig, redactUrlCredentials } from "../src/config/config";
import { runDoctor } from "../src/doctor/doctor";
import { serverOptionsOf } from "../src/server";
import { wsClient } from "./helpers/graphql";
import { startMemoryApp, type MemoryApp } from "./helpers/memory-app";
import { wsOnce } from "./helpers/sim-app";
import { eventually } from "./helpers/wait";

const MAIN = join(__dirname, "..", "src", "main.js");
const problemsOf = (f: () => unknown): string[] => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `not a ConfigError: ${String(e)}`);
    return e.problems;
  }
  assert.fail("the configuration was accepted");
};

/** Runs the CLI to its exit; returns the code and stderr. */
async function cli(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, "serve"], {
    env: { PATH: process.env.PATH, LOG_FORMAT: "json", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  child.stdout.resume();
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  return { code, stderr };
}

describe("security: configuration fails closed", () => {
  const dir = mkdtempSync(join(tmpdir(), "sec-config-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const tokenFile = join(dir, "token");
  writeFileSync(tokenFile, "a-token-from-the-file-0123456789\n");

  it("an empty API_TOKEN next to API_TOKEN_FILE is refused, from the environment or .env", () => {
    const fromEnv = problemsOf(() => loadConfig({ API_TOKEN: "", API_TOKEN_FILE: tokenFile }, {}, null));
    assert.match(fromEnv.join("\n"), /API_TOKEN: set but empty while API_TOKEN_FILE is set/);
    const dotenv = join(dir, ".env");
    writeFileSync(dotenv, `API_TOKEN=\nAPI_TOKEN_FILE=${tokenFile}\n`);
    const fromFile = problemsOf(() => loadConfig({}, {}, dotenv));
    assert.match(fromFile.join("\n"), /API_TOKEN: set but empty/);
    assert.equal(
      loadConfig({ API_TOKEN_FILE: tokenFile }, {}, null).apiToken,
      "a-token-from-the-file-0123456789",
    );
  });

  it("ALLOWED_ORIGINS=* or ALLOWED_HOSTS=* needs API_TOKEN", () => {
    assert.match(
      problemsOf(() => loadConfig({ ALLOWED_ORIGINS: "*" }, {}, null)).join(),
      /ALLOWED_ORIGINS: `\*`/,
    );
    assert.match(
      problemsOf(() => loadConfig({ ALLOWED_HOSTS: "*" }, {}, null)).join(),
      /ALLOWED_HOSTS: `\*`/,
    );
    const c = loadConfig(
      { ALLOWED_ORIGINS: "*", ALLOWED_HOSTS: "*", API_TOKEN: "a-long-random-token-0123" },
      {},
      null,
    );
    assert.deepEqual([c.allowedOrigins, c.allowedHosts], [["*"], ["*"]]);
  });

  it("a *_FILE that is a directory or empty is a configuration problem naming it", () => {
    const empty = join(dir, "empty");
    writeFileSync(empty, "\n");
    assert.match(
      problemsOf(() => loadConfig({ API_TOKEN_FILE: dir }, {}, null)).join(),
      /API_TOKEN_FILE: is a directory/,
    );
    assert.match(
      problemsOf(() => loadConfig({ API_READ_TOKEN_FILE: empty }, {}, null)).join(),
      /API_READ_TOKEN_FILE: file is empty/,
    );
  });

  it("serve exits 2 naming the setting, without a stack, for a token file that is a directory and a bad DATA_DIR", async () => {
    const notADir = join(dir, "token");
    for (const [env, setting] of [
      [{ API_TOKEN_FILE: dir }, "API_TOKEN_FILE"],
      [{ API_TOKEN: "", API_TOKEN_FILE: tokenFile }, "API_TOKEN"],
      [{ DATA_DIR: notADir, IB_TWS_PORT: "1" }, "DATA_DIR"],
      [{ DATA_DIR: join(notADir, "sub"), IB_TWS_PORT: "1" }, "DATA_DIR"],
    ] as const) {
      const r = await cli(env);
      assert.equal(r.code, 2, `${JSON.stringify(env)}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`${setting}:`));
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack");
    }
  });

  it("credentials inside IB_CP_URL are redacted in the configuration line and in doctor's output", async () => {
    assert.equal(redactUrlCredentials("https://user:pa55@gw:5000/v1"), "https://[redacted]@gw:5000/v1");
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const config = loadConfig({ IB_CP_URL: `https://user:pa55w0rd@127.0.0.1:${port}` }, {}, null);
    assert.doesNotMatch(JSON.stringify(redactedConfig(config)), /pa55w0rd/);
    const checks = await runDoctor(config, { timeoutMs: 1000 });
    assert.ok(checks.length > 0);
    assert.doesNotMatch(JSON.stringify(checks), /pa55w0rd/);
  });
});

describe("security: audit lines", () => {
  it("a refused 150 kB clientOrderId writes a short audit line (serve)", async (t) => {
    // SIMULATED mode keeps its book and journal in DATA_DIR: this test's own, not ./data.
    const dataDir = mkdtempSync(join(tmpdir(), "sec-audit-"));
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    const child = spawn(process.execPath, [MAIN, "serve"], {
      env: { PATH: process.env.PATH, LOG_FORMAT: "json", PORT: "0", DATA_DIR: dataDir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: string[] = [];
    let buf = "";
    child.stdout.on("data", (c: Buffer) => {
      buf += c.toString();
      const parts = buf.split("\n");
      buf = parts.pop()!;
      lines.push(...parts);
    });
    try {
      const url = await eventually(
        "listening",
        () => {
          const l = lines.find((x) => x.includes("ibkr-graphql listening on"));
          return l ? (JSON.parse(l) as { url: string }).url : undefined;
        },
        30_000,
      );
      const huge = "x".repeat(150_000);
      const res = await request(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          query: `mutation { placeOrder(input: { accountId: "DU1234567", contract: { conid: 265598 }, side: BUY,
            type: LIMIT, quantity: 1, limitPrice: 100, clientOrderId: "${huge}" }) { order { id } } }`,
        }),
      });
      await res.body.dump();
      const audit = await eventually(
        "the audit line",
        () => lines.find((l) => l.includes('"placeOrder"')),
        10_000,
      );
      assert.ok(audit.length < 4_000, `audit line of ${audit.length} characters`);
      assert.match(audit, /"clientOrderId":"x{256}…\(150000 characters\)"/);
    } finally {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
  });
});

describe("security: production hides the schema over both transports", () => {
  let app: MemoryApp;
  let previous: string | undefined;
  before(async () => {
    previous = process.env.NODE_ENV;
    process.env.NODE_ENV = "production";
    app = await startMemoryApp();
  });
  after(async () => {
    await app.server.stop();
    if (previous === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = previous;
  });

  it("refuses introspection and gives no 'Did you mean' over HTTP and graphql-ws", async () => {
    const client = wsClient(app.server.wsUrl);
    try {
      for (const query of [
        "{ __schema { types { name } } }",
        '{ __type(name: "Order") { fields { name } } }',
      ]) {
        const w = await wsOnce(client, query);
        assert.equal(w.data, undefined, query);
        assert.equal(String(w.errors?.[0]?.extensions?.code), "BAD_USER_INPUT", query);
        const res = await request(app.server.httpUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query }),
        });
        const h = (await res.body.json()) as { data?: unknown };
        assert.equal(h.data, undefined, query);
      }
      const typo = "{ sesion { mode } }";
      const w = await wsOnce(client, typo);
      assert.doesNotMatch(JSON.stringify(w), /Did you mean|session/);
      const res = await request(app.server.httpUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: typo }),
      });
      assert.doesNotMatch(await res.body.text(), /Did you mean|"session"/);
    } finally {
      await client.dispose();
    }
  });

  it("INTROSPECTION=true turns introspection back on in production, over graphql-ws too", async () => {
    assert.equal(loadConfig({}, {}, null).introspection, undefined, "unset: NODE_ENV decides");
    const config = loadConfig({ INTROSPECTION: "true" }, {}, null);
    const open = await startMemoryApp({}, serverOptionsOf(config));
    const client = wsClient(open.server.wsUrl);
    try {
      const w = await wsOnce(client, '{ __type(name: "Order") { name } }');
      assert.deepEqual(w.data, { __type: { name: "Order" } });
    } finally {
      await client.dispose();
      await open.server.stop();
    }
  });

  it("a malformed body is a coded 400, with no stack on stderr", async () => {
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      written.push(String(chunk));
      return write(chunk, ...rest);
    }) as typeof process.stderr.write;
    try {
      const res = await request(app.server.httpUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"query": "{ session { mode } }"',
      });
      assert.equal(res.statusCode, 400);
      const body = (await res.body.json()) as { errors: { extensions: { code: string } }[] };
      assert.equal(body.errors[0]!.extensions.code, "BAD_USER_INPUT");
    } finally {
      process.stderr.write = write;
    }
    assert.doesNotMatch(written.join(""), /\n\s+at /);
  });
});
