/**
 * README: "JOURNAL_RETENTION_DAYS (default 30) removes older journal events, finished orders and their fills …;
 * a cursor older than that is CURSOR_INVALID (PURGED)", and "idempotency keys (7 days)": two different ages,
 * kept apart here. The whole server (config → startApp → its store), with the store's retention step run at
 * chosen times (its `now`), so no test waits for days; the refusal is read over graphql-ws.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadConfig } from "../src/config/config";
import { startSimApp, wsOnce, codesOf, type SimApp } from "./helpers/sim-app";

const DAY = 24 * 3600_000;

/**
 * Appends two order events now and returns the cursor of the first: once both are purged, resuming from it
 * would miss the second, so it must be refused (a cursor at the last purged event misses nothing and stays
 * good, as store-contract.ts checks).
 */
async function twoEvents(s: SimApp): Promise<{ cursor: string; at: number }> {
  const at = Date.now();
  const first = await s.app.store.append("order", { retention: "probe-1" });
  await s.app.store.append("order", { retention: "probe-2" });
  return { cursor: s.app.store.encodeCursor(first.sequence), at };
}

/** The answer to resuming from `cursor`: [] when accepted, else the error codes and the reason. */
async function resume(s: SimApp, cursor: string): Promise<{ codes: string[]; reason?: unknown }> {
  const client = s.ws();
  try {
    const r = await wsOnce(
      client,
      `subscription($c: String) { orderUpdates(after: $c) { sequence } }`,
      { c: cursor },
      2_000,
    ).catch((e: Error) =>
      /no graphql-ws result/.test(e.message) ? { errors: undefined } : Promise.reject(e),
    );
    return { codes: codesOf(r), reason: r.errors?.[0]?.extensions?.reason };
  } finally {
    await client.dispose();
  }
}

describe("README: journal retention (JOURNAL_RETENTION_DAYS, default 30) and the 7-day idempotency keys", () => {
  it("the setting defaults to 30 days and takes 1 to 3650", () => {
    assert.equal(loadConfig({}, {}, null).journalRetentionDays, 30);
    assert.equal(loadConfig({ JOURNAL_RETENTION_DAYS: "90" }, {}, null).journalRetentionDays, 90);
    for (const bad of ["0", "3651", "7.5"]) {
      assert.throws(
        () => loadConfig({ JOURNAL_RETENTION_DAYS: bad }, {}, null),
        /JOURNAL_RETENTION_DAYS/,
        bad,
      );
    }
  });

  it("by default an event is kept 30 days (not 7), then removed, and its cursor answers CURSOR_INVALID (PURGED)", async (t) => {
    const s = await startSimApp();
    t.after(() => s.stop());
    const { cursor, at } = await twoEvents(s);
    // A week and more later: still there (7 days is the idempotency keys' age, not the journal's).
    assert.equal((await s.app.store.retentionStep({ now: at + 8 * DAY })).journal, 0, "removed after 8 days");
    assert.equal(
      (await s.app.store.retentionStep({ now: at + 29 * DAY })).journal,
      0,
      "removed after 29 days",
    );
    assert.deepEqual((await resume(s, cursor)).codes, [], "the cursor still resumes after 29 days");
    // Past 30 days: removed with everything of its age, and the cursor says so.
    assert.ok((await s.app.store.retentionStep({ now: at + 30 * DAY + 60_000 })).journal >= 1);
    const purged = await resume(s, cursor);
    assert.deepEqual(purged.codes, ["CURSOR_INVALID"]);
    assert.equal(purged.reason, "PURGED");
  });

  it("JOURNAL_RETENTION_DAYS=90 reaches the store: kept after 31 days, removed after 90", async (t) => {
    const s = await startSimApp({ env: { JOURNAL_RETENTION_DAYS: "90" } });
    t.after(() => s.stop());
    const { cursor, at } = await twoEvents(s);
    assert.equal((await s.app.store.retentionStep({ now: at + 31 * DAY })).journal, 0);
    assert.deepEqual((await resume(s, cursor)).codes, []);
    assert.ok((await s.app.store.retentionStep({ now: at + 90 * DAY + 60_000 })).journal >= 1);
    assert.equal((await resume(s, cursor)).reason, "PURGED");
  });
});
