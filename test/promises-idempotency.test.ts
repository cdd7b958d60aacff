/**
 * README: "Keys live in DATA_DIR (fsync'ed, kept 7 days) and survive restarts." The store as startApp opens it
 * (createFileIdempotencyStore(dataDir), no retention given), reopened on a fake clock either side of 7 days.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createFileIdempotencyStore } from "../src/brokers/file-idempotency-store";
import type { IdempotencyRecord } from "../src/brokers/idempotency";
import { BrokerApi } from "../src/schema/enums";

const DAY = 24 * 60 * 60 * 1000;
const T0 = Date.UTC(2026, 0, 5, 15, 0, 0);

function record(clientOrderId: string, at: number): IdempotencyRecord {
  return {
    clientOrderId,
    fingerprint: `fp-${clientOrderId}`,
    api: BrokerApi.TWS,
    accountId: "DU1234567",
    state: "PLACED",
    orderId: "1001",
    updatedAt: new Date(at).toISOString(),
  };
}

describe("README: idempotency keys are kept 7 days", () => {
  it("a key is kept through a restart up to 7 days after its last update, and dropped after", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "promises-idem-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const first = await createFileIdempotencyStore(dir, { now: () => T0 });
    await first.put(record("kept-7d", T0));
    // Updated later: its 7 days run from the update.
    await first.put(record("updated-later", T0));
    await first.put(record("updated-later", T0 + 2 * DAY));
    await first.close();

    const reopen = async (at: number) => {
      const s = await createFileIdempotencyStore(dir, { now: () => at });
      const seen = { kept: s.get("kept-7d") !== undefined, updated: s.get("updated-later") !== undefined };
      await s.close();
      return seen;
    };
    // A minute before the 7 days end: still there (a retry replays instead of placing again).
    assert.deepEqual(await reopen(T0 + 7 * DAY - 60_000), { kept: true, updated: true });
    // A minute after: the first key is gone, the one updated two days later is not.
    assert.deepEqual(await reopen(T0 + 7 * DAY + 60_000), { kept: false, updated: true });
    assert.deepEqual(await reopen(T0 + 9 * DAY + 60_000), { kept: false, updated: false });
  });
});
