import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { SessionDocument, SessionEventsDocument } from "./generated/graphql";
import { gqlData, Subscription, wsClient } from "./helpers/graphql";
import { repoRoot } from "./helpers/paths";
import { eventually, within } from "./helpers/wait";

const MAIN = join(__dirname, "..", "src", "main.js");
/** main.ts's promise: SIGTERM/SIGINT end the process within this, whatever hangs. */
const SHUTDOWN_PROMISE_MS = 2000;

const dataDir = mkdtempSync(join(tmpdir(), "cli-test-"));
after(() => rmSync(dataDir, { recursive: true, force: true }));

const children: ChildProcess[] = [];
after(() => {
  for (const c of children) {
    // Each child leads its own process group, so a server orphaned by a failed npm test goes too.
    try {
      process.kill(-c.pid!, "SIGKILL");
    } catch {
      // ESRCH: the whole group has already exited.
    }
  }
});

function spawnTracked(
  command: string,
  args: string[],
  env: Record<string, string>,
  cwd?: string,
): ChildProcess {
  const child = spawn(command, args, {
    cwd,
    detached: true,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME ?? dataDir,
      LOG_FORMAT: "json",
      DATA_DIR: dataDir,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  return child;
}

function run(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawnTracked(process.execPath, [MAIN, ...args], env);
}

/** Reads stdout until the JSON "listening" log line (npm's banner lines are skipped), within a deadline. */
async function listeningUrl(child: ChildProcess, timeoutMs: number): Promise<string> {
  let buf = "";
  const found = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      buf += chunk.toString();
      const line = buf.split("\n").find((l) => l.includes("ibkr-graphql listening on"));
      if (line) {
        child.stdout!.off("data", onData);
        resolve((JSON.parse(line) as { url: string }).url);
      }
    };
    child.stdout!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`exited ${code} before listening:\n${buf}`)));
  });
  return within(`the "listening" log line`, found, timeoutMs).catch((e: unknown) => {
    throw new Error(`${String(e)}\n${buf}`);
  });
}

/** Sends SIGTERM and resolves with the exit code and the milliseconds from the signal to the exit. */
async function terminate(
  child: ChildProcess,
  timeoutMs = 10_000,
): Promise<{ code: number | null; ms: number }> {
  const exited = once(child, "exit") as Promise<[number | null]>;
  const t0 = performance.now();
  child.kill("SIGTERM");
  const [code] = await within("the process to exit after SIGTERM", exited, timeoutMs);
  return { code, ms: Math.round(performance.now() - t0) };
}

/** true once nothing accepts connections on `port` any more. */
function refused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", (e: NodeJS.ErrnoException) => resolve(e.code === "ECONNREFUSED"));
  });
}

describe("ibkr-graphql CLI", () => {
  it("serves the session query, and on SIGTERM with a subscriber stops in order and exits 0 within 2 s", async () => {
    const started = Date.now();
    const child = run(["serve", "--port", "0"]);
    let log = "";
    child.stdout!.on("data", (c: Buffer) => (log += c.toString()));
    const url = await listeningUrl(child, 10_000);
    const data = await gqlData(url, SessionDocument);
    assert.ok(["SIMULATED", "PAPER", "LIVE"].includes(data.session.mode));
    console.log(`# session answered ${Date.now() - started} ms after spawn`);
    const client = wsClient(url.replace("http", "ws"));
    try {
      const sub = new Subscription(client, SessionEventsDocument);
      // The subscription must be open on the server before the signal, or there is nothing to close with 1001.
      const metricsUrl = url.replace(/\/graphql$/, "/metrics");
      await eventually("the subscription to be open on the server", async () =>
        /^ibkr_subscriptions_open(?:\{[^}]*\})? [1-9]/m.test(await (await fetch(metricsUrl)).text()),
      );
      const { code, ms } = await terminate(child);
      console.log(`# exited ${ms} ms after SIGTERM`);
      assert.equal(code, 0);
      assert.ok(
        ms < SHUTDOWN_PROMISE_MS,
        `exited ${ms} ms after SIGTERM; the promise is < ${SHUTDOWN_PROMISE_MS} ms`,
      );
      // Exit 0 already rules out the deadline; the log says which way it went if that ever changes.
      assert.doesNotMatch(log, /shutdown deadline reached/);
      // README: "subscribers closed with 1001" (going away), not dropped.
      await assert.rejects(sub.next(3000), (e: { code?: number; message?: string }) => {
        assert.equal(e.code, 1001, e.message);
        return true;
      });
    } finally {
      await client.dispose();
    }
  });

  it("stops within 2 s on SIGTERM when its stdout reader has gone (log writes fail with EPIPE)", async () => {
    // debug logs every request and step, so the dead pipe is written to before and during the stop.
    const child = run(["serve", "--port", "0"], { LOG_LEVEL: "debug" });
    const url = await listeningUrl(child, 10_000);
    child.stdout!.destroy();
    await gqlData(url, SessionDocument);
    const { code, ms } = await terminate(child);
    console.log(`# with a dead stdout: exited ${ms} ms after SIGTERM, code ${code}`);
    assert.ok(
      ms < SHUTDOWN_PROMISE_MS,
      `exited ${ms} ms after SIGTERM; the promise is < ${SHUTDOWN_PROMISE_MS} ms`,
    );
    assert.equal(code, 0);
  });

  it("a SIGTERM to `npm start` stops the server: the port is free within 5 s", async () => {
    // --ignore-scripts skips prestart (a full rebuild that would delete the dist/ these tests run from) and
    // still runs the start script itself, through npm and its shell as in production.
    const npm = spawnTracked("npm", ["start", "--ignore-scripts", "--", "--port", "0"], {}, repoRoot());
    const url = new URL(await listeningUrl(npm, 20_000));
    const port = Number(url.port);
    assert.equal(
      await refused(url.hostname, port),
      false,
      "the server accepts connections before the signal",
    );
    const t0 = performance.now();
    npm.kill("SIGTERM");
    await eventually(
      `port ${port} to refuse connections after SIGTERM to npm`,
      () => refused(url.hostname, port),
      5000,
    );
    console.log(`# npm start: port free ${Math.round(performance.now() - t0)} ms after SIGTERM`);
    await within("npm to exit", once(npm, "exit"), 5000);
  });

  it("exits 2 with a readable message on bad configuration", async () => {
    const child = run([], { PORT: "not-a-port" });
    let err = "";
    child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
    const [code] = (await within("exit on bad configuration", once(child, "exit"), 10_000)) as [number];
    assert.equal(code, 2);
    assert.match(err, /PORT: .*example: PORT=4000/);
  });

  it("prints the SDL", async () => {
    const child = run(["schema"]);
    let out = "";
    child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
    const [code] = (await within("exit after printing the SDL", once(child, "exit"), 10_000)) as [number];
    assert.equal(code, 0);
    assert.match(out, /type Query/);
    assert.match(out, /orderUpdates\(\s*accountId: ID[\s\S]*afterSequence: Int\s*\): OrderEvent!/);
  });
});
