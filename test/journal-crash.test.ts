import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, describe, it } from "node:test";
import { createClient } from "graphql-ws";
import { request } from "undici";
import WebSocket from "ws";
import { openSqliteStore } from "../src/store";
import type { Json } from "./helpers/cp-sim-client";
import {
  ACCT,
  marketOrder,
  PLACE,
  record,
  startGateways,
  tempDataDir,
  type Gateways,
  type Recorder,
} from "./helpers/journal-app";
import { repoRoot } from "./helpers/paths";
import { eventually, within } from "./helpers/wait";

const ORDERS = 3;
/** Each order fills in this many executions, this far apart: a burst the kill lands in the middle of. */
const FILLS_PER_ORDER = 8;
const FILL_INTERVAL_MS = 150;

interface Child {
  proc: ChildProcess;
  httpUrl: string;
  wsUrl: string;
}

/** The real server (`main.js serve`) as a child process against the gateways, its store in `dataDir`. */
async function startChild(gw: Gateways, dataDir: string, apis: "both" | "tws"): Promise<Child> {
  const proc = spawn(process.execPath, [join(repoRoot(), "dist", "src", "main.js"), "serve"], {
    // cwd: the data dir, so no .env of the checkout is read.
    cwd: dataDir,
    env: {
      PATH: process.env.PATH,
      PORT: "0",
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      ...(apis === "both" ? { IB_CP_URL: gw.sims.cp.url, IB_CP_CA_FILE: gw.caFile } : {}),
      IB_TWS_HOST: gw.sims.tws.host,
      IB_TWS_PORT: String(gw.sims.tws.port),
      LOG_FORMAT: "json",
      LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines = createInterface({ input: proc.stdout! });
  const url = new Promise<string>((resolve, reject) => {
    lines.on("line", (line) => {
      try {
        const j = JSON.parse(line) as { url?: string };
        if (typeof j.url === "string" && j.url.includes("/graphql")) resolve(j.url);
      } catch {
        /* not a log line */
      }
    });
    proc.once("exit", (code) => reject(new Error(`server exited with ${code} before listening`)));
  });
  const httpUrl = await within("the child server listening", url, 15_000);
  const op = async (query: string, variables?: Record<string, unknown>) => {
    const res = await request(httpUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.body.json()) as { data?: Json; errors?: unknown[] };
  };
  await eventually(
    "the child server ready",
    async () => (await op("{ session { ready } }")).data?.session.ready,
    15_000,
  );
  return { proc, httpUrl, wsUrl: httpUrl.replace(/^http/, "ws") };
}

async function op(child: Child, query: string, variables?: Record<string, unknown>) {
  const res = await request(child.httpUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.body.json()) as { data?: Json; errors?: unknown[] };
}

const subscribe = (child: Child, variables: Record<string, unknown> = {}): Recorder =>
  record(
    createClient({ url: child.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true }),
    variables,
  );

// TWS alone: the fills missed while down come from its first reconciliation (executions of journaled
// orders). Both APIs: Client Portal's first poll of trades reports them too; the tracker keeps one of each.
for (const apis of ["tws", "both"] as const) {
  describe(`kill -9 in the middle of a burst of fills (${apis})`, () => {
    let gw: Gateways;
    let dataDir: string;
    const children: ChildProcess[] = [];
    after(async () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
      await gw?.stop();
      await rm(dataDir, { recursive: true, force: true });
    });

    it("loses nothing and repeats nothing: the journal opens cleanly and the resume completes the story", async () => {
      gw = await startGateways({
        simulators: { brokerage: { partialFills: FILLS_PER_ORDER, partialFillIntervalMs: FILL_INTERVAL_MS } },
      });
      dataDir = await tempDataDir();
      const first = await startChild(gw, dataDir, apis);
      children.push(first.proc);
      const before = subscribe(first);
      const orderIds: string[] = [];
      for (let i = 0; i < ORDERS; i++) {
        const r = await op(first, PLACE, marketOrder(`crash-${i}`, "TWS", 10));
        assert.equal(r.errors, undefined, JSON.stringify(r.errors));
        orderIds.push(r.data!.placeOrder.order.id as string);
      }
      const fillsSeen = () => before.events.filter((e) => e.fill).length;
      await eventually("some fills delivered", () => fillsSeen() >= 3, 10_000);
      first.proc.kill("SIGKILL");
      await once(first.proc, "exit");
      assert.ok(fillsSeen() < ORDERS * FILLS_PER_ORDER, "the kill landed before the burst ended");
      const last = before.events.at(-1)!;

      // Let the book finish filling while nothing runs: those fills are the catch-up's to report.
      await gw.sims.brokerage.whenIdle();
      const store = await openSqliteStore(dataDir); // opens cleanly after kill -9, and is released again
      await store.close();

      const second = await startChild(gw, dataDir, apis);
      children.push(second.proc);
      try {
        const resumed = subscribe(second, { after: last.cursor });
        const expected = gw.sims.brokerage
          .executions({ account: ACCT })
          .filter((x) => orderIds.includes(String(x.permId)));
        assert.equal(expected.length, ORDERS * FILLS_PER_ORDER);
        const all = () => [...before.events, ...resumed.events];
        await eventually(
          "every execution delivered",
          () => new Set(all().flatMap((e) => (e.fill ? [e.fill.executionId] : []))).size >= expected.length,
          15_000,
        );
        assert.equal(resumed.error, undefined, JSON.stringify(resumed.error));
        const fillIds = all().flatMap((e) => (e.fill ? [e.fill.executionId as string] : []));
        assert.equal(fillIds.length, new Set(fillIds).size, "no fill repeated");
        assert.deepEqual(new Set(fillIds), new Set(expected.map((x) => x.execId)));
        const seqs = all().map((e) => e.sequence as number);
        for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i]! > seqs[i - 1]!, "ascending, each once");
        resumed.stop();
      } finally {
        second.proc.kill("SIGTERM");
        await once(second.proc, "exit");
      }
    });
  });
}
