/**
 * README: "Keys live in DATA_DIR's store (SQLite, committed with fsync), are kept 7 days and survive restarts."
 * The store as startApp opens it (openSqliteStore(dataDir) under createStoreIdempotencyStore, retention as the
 * app schedules it), reopened on a fake clock either side of 7 days; the key and an order event committed in
 * one transaction; a retry after a restart of the server; the JSON-lines file of older versions imported.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { createFileIdempotencyStore } from "../src/brokers/file-idempotency-store";
import type { IdempotencyRecord } from "../src/brokers/idempotency";
import { BrokerApi } from "../src/schema/enums";
import { createStoreIdempotencyStore, openSqliteStore } from "../src/store";
import { startSimApp } from "./helpers/sim-app";

const DAY = 24 * 60 * 60 * 1000;
const T0 = Date.UTC(2026, 0, 5, 15, 0, 0);

function record(clientOrderId: string, at: number, pending = false): IdempotencyRecord {
  const base = {
    clientOrderId,
    fingerprint: `fp-${clientOrderId}`,
    api: BrokerApi.TWS,
    accountId: "DU1234567",
    updatedAt: new Date(at).toISOString(),
  };
  return pending ? { ...base, state: "PENDING" } : { ...base, state: "PLACED", orderId: "1001" };
}

async function tempDir(t: { after(fn: () => Promise<void>): void }, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe("README: idempotency keys live in the store, kept 7 days, across restarts", () => {
  it("a key is kept through a restart up to 7 days after its last update, and dropped after", async (t) => {
    const dir = await tempDir(t, "w-journal-idem-");
    const first = await openSqliteStore(dir, { now: () => T0 });
    const keys = await createStoreIdempotencyStore(first);
    await keys.put(record("kept-7d", T0));
    // Updated later: its 7 days run from the update.
    await keys.put(record("updated-later", T0));
    await keys.put(record("updated-later", T0 + 2 * DAY));
    await first.close();

    const reopen = async (at: number) => {
      const store = await openSqliteStore(dir, { now: () => at });
      // Retention as the app runs it: small steps until nothing is due.
      while ((await store.retentionStep()).more);
      const s = await createStoreIdempotencyStore(store);
      const seen = { kept: s.get("kept-7d") !== undefined, updated: s.get("updated-later") !== undefined };
      await store.close();
      return seen;
    };
    // A minute before the 7 days end: still there (a retry replays instead of placing again).
    assert.deepEqual(await reopen(T0 + 7 * DAY - 60_000), { kept: true, updated: true });
    // A minute after: the first key is gone, the one updated two days later is not.
    assert.deepEqual(await reopen(T0 + 7 * DAY + 60_000), { kept: false, updated: true });
    assert.deepEqual(await reopen(T0 + 9 * DAY + 60_000), { kept: false, updated: false });
  });

  it("a PENDING key and its order event commit in one transaction: both after a reopen, or neither", async (t) => {
    const dir = await tempDir(t, "w-journal-idem-tx-");
    const store = await openSqliteStore(dir);
    const entry = await store.putIdempotencyWithEvent(record("together", Date.now(), true), {
      type: "PENDING",
      clientOrderId: "together",
    });
    // The journal itself refuses the next event (a trigger from another connection, as a full disk or a
    // damaged page would): the key written in the same call must not stay behind.
    const other = new Database(join(dir, "store.sqlite"));
    other.exec("CREATE TRIGGER refuse BEFORE INSERT ON journal BEGIN SELECT RAISE(ABORT, 'refused'); END");
    other.close();
    await assert.rejects(
      store.putIdempotencyWithEvent(record("alone", Date.now(), true), {
        type: "PENDING",
        clientOrderId: "alone",
      }),
      /refused/,
    );
    await store.close();

    const reopened = await openSqliteStore(dir);
    try {
      assert.equal((await reopened.getIdempotency("together")).status, "present");
      const events = await reopened.readAfter("order", entry.sequence - 1, 10);
      assert.deepEqual(
        events.map((e) => [e.sequence, e.payload]),
        [[entry.sequence, { type: "PENDING", clientOrderId: "together" }]],
      );
      assert.equal((await reopened.getIdempotency("alone")).status, "absent", "no key without its event");
    } finally {
      await reopened.close();
    }
  });

  it("a retry after a restart of the server returns the same order and places nothing", async (t) => {
    const dataDir = await tempDir(t, "w-journal-idem-app-");
    const place = {
      i: {
        accountId: "DU1234567",
        contract: { conid: 265598 },
        side: "BUY",
        type: "LIMIT",
        limitPrice: 100,
        quantity: 1,
        clientOrderId: "retry-after-restart",
      },
    };
    const PLACE = `mutation Place($i: PlaceOrderInput!) { placeOrder(input: $i) { order { id } } }`;
    const first = await startSimApp({ env: { DATA_DIR: dataDir } });
    let orderId: unknown;
    try {
      const r = await first.op(PLACE, place);
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      orderId = r.data!.placeOrder.order.id;
    } finally {
      await first.stop();
    }
    const second = await startSimApp({ env: { DATA_DIR: dataDir } });
    try {
      const placedBefore = second.app.simulators!.brokerage.listOrders().length;
      const retry = await second.op(PLACE, place);
      assert.equal(retry.errors, undefined, JSON.stringify(retry.errors));
      assert.equal(retry.data!.placeOrder.order.id, orderId);
      assert.equal(second.app.simulators!.brokerage.listOrders().length, placedBefore, "nothing placed");
    } finally {
      await second.stop();
    }
  });

  it("keys of the JSON-lines file older versions kept are imported on first start", async (t) => {
    const dir = await tempDir(t, "w-journal-idem-jsonl-");
    const file = await createFileIdempotencyStore(dir);
    await file.put(record("from-the-file", Date.now()));
    await file.close();
    const store = await openSqliteStore(dir);
    try {
      const keys = await createStoreIdempotencyStore(store);
      assert.equal(keys.get("from-the-file")?.state, "PLACED");
      assert.ok(existsSync(join(dir, "idempotency.jsonl.migrated")), "the file is renamed once imported");
      assert.ok(!existsSync(join(dir, "idempotency.jsonl")));
    } finally {
      await store.close();
    }
  });
});
