import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { IdempotencyRecord } from "../src/brokers/idempotency";
import { openPgStore, openSqliteStore } from "../src/store";
import { startPostgres, type TestPostgres } from "./helpers/postgres";
import { within } from "./helpers/wait";
import { idempotencyRecord } from "./helpers/idempotency-record";

const MAIN = join(__dirname, "..", "src", "main.js");

let server: TestPostgres | undefined;
const dirs: string[] = [];
before(async () => {
  server = await startPostgres();
});
after(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await server?.stop();
});

function postgres(): TestPostgres {
  if (!server) throw new Error("the test PostgreSQL did not start (see the before hook's error)");
  return server;
}

async function cli(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (err += c.toString()));
  const [code] = (await within("migrate-store to exit", once(child, "exit"), 30_000)) as [number | null];
  return { code, out, err };
}

/** The order id the migrated journal below names. */
function key(id: string, over: Record<string, unknown> = {}): IdempotencyRecord {
  return idempotencyRecord(id, { orderId: "42", ...over });
}

describe("ibkr-graphql migrate-store", () => {
  it("copies a DATA_DIR's store into an empty PostgreSQL database; cursors and keys carry over", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "w-cluster-migrate-"));
    dirs.push(dataDir);
    const source = await openSqliteStore(dataDir);
    await source.append("session", { type: "CONNECTED" });
    const placed = await source.append("order", { type: "NEW", order: { id: "42" } });
    await source.append("order", { type: "SUBMITTED", order: { id: "42" } });
    await source.upsertOrder({
      id: "42",
      accountId: "DU1234567",
      status: "Submitted",
      clientOrderId: "k-placed",
      permId: "42",
      updatedAt: 1000,
      finished: false,
      snapshot: { id: "42", status: "SUBMITTED" },
    });
    await source.addFill({
      executionId: "e1",
      orderId: "42",
      accountId: "DU1234567",
      at: 2000,
      fill: { q: 1 },
    });
    await source.putIdempotency(key("k-placed"));
    await source.putIdempotency(key("k-pending", { state: "PENDING", orderId: undefined }));
    await source.noteEndpointWindow("/iserver/account/orders", Date.now() + 60_000);
    const cursor = source.encodeCursor(placed.sequence);
    const journalId = source.journalId;
    await source.close();

    const url = await postgres().createDatabase("migrate");
    const withPassword = url.replace("postgres@", "postgres:s3cret@");
    const r = await cli("migrate-store", "--from", dataDir, "--to", withPassword);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /3 journal events .*1 orders, 1 fills, 2 idempotency keys/);
    assert.ok(!r.out.includes("s3cret"), "the password is not printed");

    const target = await openPgStore(url);
    try {
      assert.equal(target.journalId, journalId, "the journal keeps its id");
      assert.deepEqual(await target.checkCursor(cursor), { ok: true, afterSequence: placed.sequence });
      assert.deepEqual(
        (await target.readAfter("order", placed.sequence, 10)).map((e) => e.payload),
        [{ type: "SUBMITTED", order: { id: "42" } }],
      );
      assert.equal((await target.bounds()).last, 3);
      // New appends continue the sequence: a cursor is never reused.
      assert.equal((await target.append("order", { after: "migration" })).sequence, 4);
      assert.equal((await target.getOrder("42"))?.clientOrderId, "k-placed");
      assert.equal((await target.listFills({ accountId: "DU1234567" })).length, 1);
      const pending = await target.getIdempotency("k-pending");
      assert.equal(pending.status === "present" && pending.record.state, "PENDING");
      assert.ok((await target.rateLimitMemory()).windows["/iserver/account/orders"]);
    } finally {
      await target.close();
    }

    // A second run would mix two histories: refused, nothing written.
    const again = await cli("migrate-store", "--from", dataDir, "--to", url);
    assert.equal(again.code, 2);
    assert.match(again.err, /not empty/);
  });

  it("refuses a directory without a store, and a URL that is not PostgreSQL's", async () => {
    const empty = mkdtempSync(join(tmpdir(), "w-cluster-migrate-empty-"));
    dirs.push(empty);
    const url = await postgres().createDatabase("migrate_none");
    const none = await cli("migrate-store", "--from", empty, "--to", url);
    assert.equal(none.code, 2);
    assert.match(none.err, /no store\.sqlite/);
    const bad = await cli("migrate-store", "--from", empty, "--to", "mysql://x@y/z");
    assert.equal(bad.code, 2);
    assert.match(bad.err, /PostgreSQL URL/);
  });
});
