import assert from "node:assert/strict";
import { appendFile, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { createFileIdempotencyStore } from "../src/brokers/file-idempotency-store";
import { IDEMPOTENCY_JSONL_FILE, openSqliteStore } from "../src/store";
import { idempotencyRecord as record } from "./helpers/idempotency-record";

const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "store-idem-"));
  dirs.push(d);
  return d;
}

// The key behaviour every store shares (put, get, delete, PENDING with its event, damaged rows) is in
// store-contract.ts; the import of the file store's log is the SQLite store's own.
describe("migration from idempotency.jsonl", () => {
  it("imports a file written by the file store once, then renames it", async () => {
    const dir = await tempDir();
    const file = await createFileIdempotencyStore(dir);
    await file.put(record("pending", { state: "PENDING" }));
    await file.put(record("placed", { state: "PENDING" }));
    await file.put(record("placed", { state: "PLACED", orderId: "1001" }));
    await file.put(record("failed", { state: "FAILED", errorCode: "REJECTED", errorMessage: "no margin" }));
    await file.put(record("gone"));
    await file.delete("gone");
    await file.close();
    // Damage as a disk or an editor could: an unreadable line that still names its key, one that does not,
    // and a torn last line from a crash mid-write.
    const path = join(dir, IDEMPOTENCY_JSONL_FILE);
    await appendFile(path, '{"op":"put","record":{"clientOrderId":"damaged","state":"PLA\n');
    await appendFile(path, "\u0000\u0000garbage\n");
    await appendFile(path, '{"op":"put","record":{"clientOrderId":"torn"');

    const store = await openSqliteStore(dir);
    try {
      const get = async (k: string) => store.getIdempotency(k);
      const placed = await get("placed");
      assert.equal(
        placed.status === "present" && placed.record.state === "PLACED" && placed.record.orderId,
        "1001",
      );
      assert.equal((await get("pending")).status, "present");
      const failed = await get("failed");
      assert.equal(
        failed.status === "present" && failed.record.state === "FAILED" && failed.record.errorMessage,
        "no margin",
      );
      assert.deepEqual(await get("gone"), { status: "absent" });
      assert.equal((await get("damaged")).status, "corrupt");
      assert.deepEqual(await get("torn"), { status: "absent" }); // never acknowledged, as today
      await assert.rejects(stat(path), { code: "ENOENT" });
      assert.match(await readFile(`${path}.migrated`, "utf8"), /"placed"/);
    } finally {
      await store.close();
    }
    const raw = new Database(join(dir, "store.sqlite"), { readonly: true });
    try {
      assert.deepEqual(raw.prepare("SELECT raw FROM quarantine").pluck().all(), ["\u0000\u0000garbage"]);
    } finally {
      raw.close();
    }
  });

  it("does not import twice when the rename did not happen", async () => {
    const dir = await tempDir();
    const file = await createFileIdempotencyStore(dir);
    await file.put(record("k1"));
    await file.close();
    const path = join(dir, IDEMPOTENCY_JSONL_FILE);
    const text = await readFile(path, "utf8");
    await (await openSqliteStore(dir)).close();

    // As if the process died after the import committed but before the rename: the file is back, and the
    // key was deleted since. The import must not bring it back.
    const a = await openSqliteStore(dir);
    await a.deleteIdempotency("k1");
    await a.close();
    await appendFile(path, text);
    const b = await openSqliteStore(dir);
    try {
      assert.deepEqual(await b.getIdempotency("k1"), { status: "absent" });
      await assert.rejects(stat(path), { code: "ENOENT" });
    } finally {
      await b.close();
    }
  });
});
