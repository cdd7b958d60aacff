import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { openSqliteStore, type JournalEvent } from "../src/store";

const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** Compiled next to this test: dist/test → dist/src/store. */
const STORE_MODULE = join(__dirname, "..", "src", "store", "index.js");

/**
 * The child appends without pause, 20 writes per tick, every fifth one a key written with its PENDING
 * event, and prints `n sequence` for each write as soon as its promise resolved (stdout to a pipe is
 * synchronous on Linux, so a printed line was acknowledged before the kill).
 */
const CHILD = `
const { openSqliteStore } = require(${JSON.stringify(STORE_MODULE)});
openSqliteStore(process.argv[1]).then((store) => {
  process.stdout.write("ready\\n");
  let n = 0;
  const tick = () => {
    for (let i = 0; i < 20; i++) {
      const k = n++;
      const done = (e) => process.stdout.write(k + " " + e.sequence + "\\n");
      if (k % 5 === 0) {
        const record = { clientOrderId: "k" + k, fingerprint: "f", state: "PENDING", api: "TWS",
          accountId: "DU1", updatedAt: new Date().toISOString() };
        store.putIdempotencyWithEvent(record, { type: "PENDING", clientOrderId: "k" + k, n: k }).then(done);
      } else {
        store.append("order", { n: k }).then(done);
      }
    }
    setImmediate(tick);
  };
  tick();
});
`;

function runUntilKilled(dir: string, acksBeforeKill: number): Promise<Map<number, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", CHILD, dir], { stdio: ["ignore", "pipe", "inherit"] });
    const acked = new Map<number, number>();
    let rest = "";
    let killed = false;
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) {
        const [k, seq] = line.split(" ").map(Number);
        if (seq !== undefined && k !== undefined) acked.set(k, seq);
      }
      if (!killed && acked.size >= acksBeforeKill) {
        killed = true;
        child.kill("SIGKILL");
      }
    });
    child.on("error", reject);
    child.on("exit", (_code, signal) => {
      if (signal === "SIGKILL") resolve(acked);
      else reject(new Error(`child exited on its own (${String(_code)}) before the kill`));
    });
  });
}

describe("store crash safety", () => {
  it("after kill -9 in a burst of appends: opens cleanly, every acknowledged write is there, nothing twice", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "store-crash-"));
    dirs.push(dir);
    const acked = await runUntilKilled(dir, 3_000);

    // The dead child's lock is taken over; the WAL is recovered by SQLite on open.
    const store = await openSqliteStore(dir);
    const events: JournalEvent[] = [];
    try {
      for (let after = 0; ;) {
        const page = await store.readAfter("order", after, 1_000);
        if (page.length === 0) break;
        events.push(...page);
        after = (page.at(-1) as JournalEvent).sequence;
      }
      const bySeq = new Map(events.map((e) => [e.sequence, (e.payload as { n: number }).n]));
      const ns = events.map((e) => (e.payload as { n: number }).n);
      assert.equal(new Set(ns).size, ns.length, "no write journaled twice");
      for (let i = 1; i < events.length; i++) {
        assert.ok((events[i] as JournalEvent).sequence > (events[i - 1] as JournalEvent).sequence);
      }
      for (const [k, seq] of acked) assert.equal(bySeq.get(seq), k, `acknowledged write ${k} at ${seq}`);
      assert.ok(events.length >= acked.size);
      t.diagnostic(`${acked.size} writes acknowledged before the kill, ${events.length} journaled`);

      // Keys and PENDING events exist together or not at all.
      const pending = events.filter((e) => (e.payload as { type?: string }).type === "PENDING");
      for (const e of pending) {
        const key = (e.payload as { clientOrderId: string }).clientOrderId;
        assert.equal((await store.getIdempotency(key)).status, "present", key);
      }
      const last = (await store.bounds()).last;
      assert.ok((await store.append("order", { after: "crash" })).sequence > last);
    } finally {
      await store.close();
    }
    const db = new Database(join(dir, "store.sqlite"), { readonly: true });
    try {
      assert.equal(db.pragma("integrity_check", { simple: true }), "ok");
      assert.equal(db.prepare("SELECT count(*) FROM idempotency").pluck().get(), pendingCount(events));
    } finally {
      db.close();
    }
  });
});

function pendingCount(events: JournalEvent[]): number {
  return events.filter((e) => (e.payload as { type?: string }).type === "PENDING").length;
}
