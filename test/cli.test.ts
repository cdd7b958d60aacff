import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { once } from "node:events";
import { SessionDocument, SessionEventsDocument } from "./generated/graphql";
import { gqlData, Subscription, wsClient } from "./helpers/graphql";

const MAIN = join(__dirname, "..", "src", "main.js");

function run(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [MAIN, ...args], {
    env: {
      PATH: process.env.PATH,
      LOG_FORMAT: "json",
      DATA_DIR: join(__dirname, "..", "cli-test-data"),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Reads JSON log lines until the "listening" one, within a deadline. */
async function listeningUrl(child: ChildProcess, timeoutMs: number): Promise<string> {
  let buf = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`not listening within ${timeoutMs} ms:\n${buf}`)),
      timeoutMs,
    );
    child.stdout!.on("data", (chunk: Buffer) => {
      buf += chunk.toString();
      for (const line of buf.split("\n")) {
        if (line.includes("ibkr-graphql listening on")) {
          clearTimeout(timer);
          resolve((JSON.parse(line) as { url: string }).url);
        }
      }
    });
    child.once("exit", (code) => reject(new Error(`exited ${code}:\n${buf}`)));
  });
}

describe("ibkr-graphql CLI", () => {
  it("serves the session query, and on SIGTERM with a subscriber stops in order and exits 0", async () => {
    const started = Date.now();
    const child = run(["serve", "--port", "0"]);
    let log = "";
    child.stdout!.on("data", (c: Buffer) => (log += c.toString()));
    try {
      const url = await listeningUrl(child, 10_000);
      const data = await gqlData(url, SessionDocument);
      assert.ok(["SIMULATED", "PAPER", "LIVE"].includes(data.session.mode));
      console.log(`# session answered ${Date.now() - started} ms after spawn`);
      const client = wsClient(url.replace("http", "ws"));
      const sub = new Subscription(client, SessionEventsDocument);
      await new Promise((r) => setImmediate(r));
      const exited = once(child, "exit");
      const t0 = Date.now();
      child.kill("SIGTERM");
      const [code] = (await exited) as [number];
      console.log(`# exited ${Date.now() - t0} ms after SIGTERM`);
      assert.equal(code, 0);
      // main.ts exits at 2 s whatever happens; the orderly stop must have finished before that deadline.
      assert.doesNotMatch(log, /shutdown deadline reached/);
      await assert.rejects(sub.next(3000));
      await client.dispose();
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("exits 2 with a readable message on bad configuration", async () => {
    const child = run([], { PORT: "not-a-port" });
    let err = "";
    child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
    const [code] = (await once(child, "exit")) as [number];
    assert.equal(code, 2);
    assert.match(err, /PORT: .*example: PORT=4000/);
  });

  it("prints the SDL", async () => {
    const child = run(["schema"]);
    let out = "";
    child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
    const [code] = (await once(child, "exit")) as [number];
    assert.equal(code, 0);
    assert.match(out, /type Query/);
    assert.match(out, /orderUpdates\(\s*accountId: ID[\s\S]*afterSequence: Int\s*\): OrderEvent!/);
  });
});
