import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createLeaderElector, fenceStoreWithElector, type LeaderElector } from "../src/cluster";
import { openPgStore, type PgStore } from "../src/store";
import { startPostgres, type TestPostgres } from "./helpers/postgres";
import { eventually } from "./helpers/wait";

const LEASE_SECONDS = 2;

/** Compiled next to this test: dist/test → dist/src. */
const CLUSTER_MODULE = join(__dirname, "..", "src", "cluster", "index.js");
const STORE_MODULE = join(__dirname, "..", "src", "store", "index.js");

/**
 * An instance in a process of its own: an elector with the default check interval, and a store fenced by
 * it. It prints one JSON line per role change, and answers each "append" line on stdin with the outcome.
 */
const CHILD = `
const { createLeaderElector, fenceStoreWithElector } = require(${JSON.stringify(CLUSTER_MODULE)});
const { openPgStore } = require(${JSON.stringify(STORE_MODULE)});
const [url, id, lease] = process.argv.slice(1);
const say = (o) => process.stdout.write(JSON.stringify(o) + "\\n");
(async () => {
  const store = await openPgStore(url, { epoch: null });
  const elector = createLeaderElector({ databaseUrl: url, instanceId: id, advertiseUrl: "http://" + id,
    leaseSeconds: Number(lease) });
  fenceStoreWithElector(store, elector);
  elector.onChange((state) => say({ state }));
  await elector.start();
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk) => {
    for (const line of chunk.split("\\n")) {
      if (line !== "append") continue;
      store.append("order", { by: id }).then(
        (e) => say({ appended: e.sequence }),
        (e) => say({ refused: e.code, message: e.message }),
      );
    }
  });
})().catch((e) => { say({ failed: String(e) }); process.exit(1); });
`;

interface Child {
  process: ChildProcess;
  /** Resolves with the first message (old or new) that `match` accepts. */
  next<T>(match: (message: Record<string, unknown>) => T | undefined, timeoutMs?: number): Promise<T>;
}

const children: ChildProcess[] = [];
let server: TestPostgres | undefined;
const cleanups: (() => Promise<unknown>)[] = [];
before(async () => {
  server = await startPostgres();
});
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  await server?.stop();
});

function postgres(): TestPostgres {
  if (!server) throw new Error("the test PostgreSQL did not start (see the before hook's error)");
  return server;
}

function startChild(url: string, id: string): Child {
  const child = spawn(process.execPath, ["-e", CHILD, url, id, String(LEASE_SECONDS)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  children.push(child);
  const messages: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let rest = "";
  child.stdout?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) messages.push(JSON.parse(line) as Record<string, unknown>);
    for (const w of [...waiters]) w();
  });
  return {
    process: child,
    next(match, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (const m of messages) {
            const v = match(m);
            if (v !== undefined) {
              waiters.delete(check);
              clearTimeout(timer);
              resolve(v);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `child ${child.pid}: no matching message in ${timeoutMs} ms: ${JSON.stringify(messages)}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

const leaderEpoch = (m: Record<string, unknown>) => {
  const state = m.state as { role?: string; epoch?: number } | undefined;
  return state?.role === "LEADER" ? state.epoch : undefined;
};

function standbyElector(url: string, id: string): LeaderElector {
  const e = createLeaderElector({
    databaseUrl: url,
    instanceId: id,
    advertiseUrl: `http://${id}`,
    leaseSeconds: LEASE_SECONDS,
  });
  cleanups.push(() => e.stop());
  return e;
}

async function fencedStore(url: string, elector: LeaderElector): Promise<PgStore> {
  const store = await openPgStore(url, { epoch: null });
  cleanups.push(() => store.close());
  fenceStoreWithElector(store, elector);
  return store;
}

function waitExit(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
}

describe("failover between processes", () => {
  it("a leader killed with SIGKILL is replaced by a standby (failover time measured)", async (t) => {
    const url = await postgres().createDatabase("sigkill");
    const child = startChild(url, "child");
    assert.equal(await child.next(leaderEpoch), 1);
    child.process.stdin?.write("append\n");
    assert.equal(await child.next((m) => m.appended as number | undefined), 1);

    const standby = standbyElector(url, "parent");
    const store = await fencedStore(url, standby);
    await standby.start();
    assert.equal(standby.state().role, "STANDBY");
    assert.equal(standby.state().leaderId, "child");

    const led = new Promise<number>((resolve) =>
      standby.onChange((s) => s.role === "LEADER" && resolve(performance.now())),
    );
    const killedAt = performance.now();
    child.process.kill("SIGKILL");
    await waitExit(child.process);
    const failoverMs = (await led) - killedAt;
    const message = `failover after SIGKILL: ${failoverMs.toFixed(0)} ms (lease ${LEASE_SECONDS} s, check every ${(LEASE_SECONDS * 1000) / 5} ms)`;
    t.diagnostic(message);
    console.log(message);
    assert.ok(failoverMs < LEASE_SECONDS * 1000, message);
    assert.equal(standby.state().epoch, 2);
    assert.equal((await store.append("order", { by: "parent" })).sequence, 2);
  });

  it("a paused leader is replaced once its lease ran out, and cannot journal when it wakes up", async (t) => {
    const url = await postgres().createDatabase("sigstop");
    const child = startChild(url, "child");
    assert.equal(await child.next(leaderEpoch), 1);
    const standby = standbyElector(url, "parent");
    const store = await fencedStore(url, standby);
    await standby.start();

    const pausedAt = performance.now();
    child.process.kill("SIGSTOP");
    try {
      // Its kernel still answers TCP keep-alives: only the lease tells the standby it is gone.
      await eventually(
        "the standby to take over",
        () => standby.state().role === "LEADER",
        4 * LEASE_SECONDS * 1000,
      );
      const tookMs = performance.now() - pausedAt;
      t.diagnostic(`paused leader replaced after ${tookMs.toFixed(0)} ms`);
      // The last renewal came at most one check (400 ms) before the pause: not replaced before that.
      assert.ok(tookMs > LEASE_SECONDS * 1000 - 500, `not before the lease ran out (${tookMs} ms)`);
      assert.equal(standby.state().epoch, 2);
      assert.equal((await store.append("order", { by: "parent" })).sequence, 1);
    } finally {
      child.process.kill("SIGCONT");
    }
    child.process.stdin?.write("append\n");
    assert.equal(await child.next((m) => m.refused as string | undefined), "FENCED");
    const stepped = await child.next((m) => {
      const s = m.state as { role?: string; reason?: string } | undefined;
      return s?.role === "STANDBY" ? s : undefined;
    });
    t.diagnostic(`the woken leader stepped down: ${stepped.reason}`);
    assert.deepEqual(
      (await store.readAfter("order", 0, 10)).map((e) => e.payload),
      [{ by: "parent" }],
    );
    child.process.kill("SIGKILL");
    await waitExit(child.process);
  });
});
