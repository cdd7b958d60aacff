import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { openSqliteStore, SCHEMA_VERSION, StoreError } from "../src/store";

const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "store-open-"));
  dirs.push(d);
  return d;
}

function storeError(code: string, pattern: RegExp) {
  return (e: unknown) => e instanceof StoreError && e.code === code && pattern.test(e.message);
}

describe("store open", () => {
  it("opens in WAL mode with synchronous FULL and the current schema version", async () => {
    const dir = await tempDir();
    const store = await openSqliteStore(dir);
    await store.close();
    const db = new Database(join(dir, "store.sqlite"), { readonly: true });
    try {
      assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
      assert.equal(db.pragma("user_version", { simple: true }), SCHEMA_VERSION);
    } finally {
      db.close();
    }
  });

  it("refuses a second owner of the DATA_DIR, and lets the next one in after close", async () => {
    const dir = await tempDir();
    const first = await openSqliteStore(dir);
    await assert.rejects(
      openSqliteStore(dir),
      storeError("STORE_LOCKED", /in use by another server \(pid \d+/),
    );
    await first.close();
    const second = await openSqliteStore(dir);
    await second.close();
  });

  it("refuses a lock held by another live process, takes over one left by a dead process", async () => {
    const dir = await tempDir();
    const lock = join(dir, "store.lock");
    await writeFile(lock, JSON.stringify({ pid: process.ppid, hostname: hostname(), since: "t" }));
    await assert.rejects(openSqliteStore(dir), storeError("STORE_LOCKED", /store\.lock/));

    const dead = spawnSync(process.execPath, ["-e", ""]).pid as number;
    await writeFile(lock, JSON.stringify({ pid: dead, hostname: hostname(), since: "t" }));
    const store = await openSqliteStore(dir);
    assert.equal(JSON.parse(await readFile(lock, "utf8")).pid, process.pid);
    await store.close();
  });

  it("never takes over a lock from another host", async () => {
    const dir = await tempDir();
    await writeFile(
      join(dir, "store.lock"),
      JSON.stringify({ pid: 1, hostname: `not-${hostname()}`, since: "t" }),
    );
    await assert.rejects(openSqliteStore(dir), storeError("STORE_LOCKED", /on not-/));
  });

  it("reports a file that is not a database, or cannot be opened, with a clear error", async () => {
    const garbage = await tempDir();
    await writeFile(join(garbage, "store.sqlite"), "this is not a database\n".repeat(200));
    await assert.rejects(openSqliteStore(garbage), storeError("STORE_UNREADABLE", /not a database/));

    const directory = await tempDir();
    await mkdir(join(directory, "store.sqlite"));
    await assert.rejects(openSqliteStore(directory), storeError("STORE_UNREADABLE", /Cannot open the store/));

    // Neither failure left a lock behind.
    await rm(join(garbage, "store.sqlite"));
    await (await openSqliteStore(garbage)).close();
  });

  it("reports a DATA_DIR that cannot be created", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "file"), "");
    await assert.rejects(
      openSqliteStore(join(dir, "file", "data")),
      storeError("STORE_UNREADABLE", /Cannot use DATA_DIR/),
    );
  });
});
