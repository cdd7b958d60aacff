import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { openSqliteStore, SCHEMA_VERSION } from "../src/store";
import { defineStoreContract } from "./store-contract";

defineStoreContract("sqlite", async () => {
  const dir = await mkdtemp(join(tmpdir(), "store-contract-"));
  const withDb = (fn: (db: Database.Database) => void) => {
    const db = new Database(join(dir, "store.sqlite"));
    try {
      fn(db);
    } finally {
      db.close();
    }
  };
  return {
    open: (options) => openSqliteStore(dir, options),
    async damageIdempotency(clientOrderId, raw) {
      withDb((db) =>
        db.prepare("UPDATE idempotency SET record = ? WHERE client_order_id = ?").run(raw, clientOrderId),
      );
    },
    async setSchemaVersion(version) {
      withDb((db) => db.pragma(`user_version = ${version}`));
    },
    schemaVersion: SCHEMA_VERSION,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
});
