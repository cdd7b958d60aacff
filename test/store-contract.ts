import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import {
  createStoreIdempotencyStore,
  encodeCursor,
  parseCursor,
  StoreError,
  type IdempotencyLookup,
  type JsonValue,
  type Store,
} from "../src/store";
import { idempotencyRecord as record } from "./helpers/idempotency-record";

function keyOf(l: IdempotencyLookup): string {
  return l.status === "present" ? l.record.clientOrderId : l.status === "corrupt" ? l.clientOrderId : "";
}

/** What the contract needs of one implementation: a database it can open, close and reopen, and damage. */
export interface StoreFixture {
  /** Opens the store over this fixture's database: the same database on every call. */
  open(options?: { now?: () => number }): Promise<Store>;
  /** Overwrites the stored text of a key's record, as a damaged disk or a careless operator would. */
  damageIdempotency(clientOrderId: string, raw: string): Promise<void>;
  /** Sets the recorded schema version, as a newer (or the current) server would have left it. */
  setSchemaVersion(version: number): Promise<void>;
  /** The version this build migrates to. */
  readonly schemaVersion: number;
  /** Removes what the fixture created (a directory, a database). */
  dispose(): Promise<void>;
}

const DAY = 24 * 60 * 60 * 1000;

function storeError(code: string, pattern: RegExp) {
  return (e: unknown) => e instanceof StoreError && e.code === code && pattern.test(e.message);
}

/**
 * The behaviour every `Store` implementation must have, run against each (as apollo-server's
 * `defineIntegrationTestSuite`): `makeFixture` gives a fresh, empty database per call.
 */
export function defineStoreContract(name: string, makeFixture: () => Promise<StoreFixture>): void {
  const fixtures: StoreFixture[] = [];
  after(async () => {
    await Promise.all(fixtures.map((f) => f.dispose()));
  });
  async function fixture(): Promise<StoreFixture> {
    const f = await makeFixture();
    fixtures.push(f);
    return f;
  }

  describe(`${name}: journal`, () => {
    it("appends, reads in pages per stream and reports bounds", async () => {
      const store = await (await fixture()).open();
      try {
        assert.deepEqual(await store.bounds(), { first: null, last: 0, purgedThrough: 0 });
        const entries = await Promise.all([
          store.append("order", { n: 1 }),
          store.append("session", { s: "up" }),
          store.append("order", { n: 2 }),
          store.append("order", { n: 3 }),
        ]);
        assert.deepEqual(
          entries.map((e) => e.sequence),
          [1, 2, 3, 4],
        );
        const page1 = await store.readAfter("order", 0, 2);
        assert.deepEqual(
          page1.map((e) => [e.sequence, e.payload]),
          [
            [1, { n: 1 }],
            [3, { n: 2 }],
          ],
        );
        const page2 = await store.readAfter("order", 3, 2);
        assert.deepEqual(
          page2.map((e) => e.sequence),
          [4],
        );
        assert.deepEqual(
          (await store.readAfter("session", 0, 10)).map((e) => e.payload),
          [{ s: "up" }],
        );
        assert.deepEqual(await store.bounds(), { first: 1, last: 4, purgedThrough: 0 });
      } finally {
        await store.close();
      }
    });

    it("continues the sequence after close and reopen, keeping the journal id", async () => {
      const fx = await fixture();
      const a = await fx.open();
      await a.append("order", { n: 1 });
      await a.append("order", { n: 2 });
      const id = a.journalId;
      await a.close();
      const b = await fx.open();
      try {
        assert.equal(b.journalId, id);
        assert.equal((await b.append("session", { n: 3 })).sequence, 3);
        assert.equal((await b.bounds()).last, 3);
      } finally {
        await b.close();
      }
    });

    it("never reuses a sequence once retention emptied the journal", async () => {
      let now = 1_000 * DAY;
      const fx = await fixture();
      const a = await fx.open({ now: () => now });
      await a.append("order", { n: 1 });
      await a.append("order", { n: 2 });
      now += 31 * DAY;
      assert.equal((await a.retentionStep()).journal, 2);
      await a.close();
      const b = await fx.open({ now: () => now });
      try {
        assert.deepEqual(await b.bounds(), { first: null, last: 2, purgedThrough: 2 });
        assert.equal((await b.append("order", { n: 3 })).sequence, 3);
      } finally {
        await b.close();
      }
    });

    it("accepts its own cursors and refuses other journals', purged and future ones", async () => {
      let now = 1_000 * DAY;
      const store = await (await fixture()).open({ now: () => now });
      const other = await (await fixture()).open();
      try {
        for (let i = 0; i < 5; i++) await store.append("order", { i });
        now += 40 * DAY;
        await store.append("order", { i: 5 });
        const cursor = store.encodeCursor(5);
        assert.deepEqual(parseCursor(cursor), { journalId: store.journalId, sequence: 5 });
        assert.match(cursor, /^[A-Za-z0-9_-]+$/);
        assert.deepEqual(await store.checkCursor(cursor), { ok: true, afterSequence: 5 });

        const foreign = await store.checkCursor(other.encodeCursor(1));
        assert.equal(foreign.ok, false);
        assert.equal(!foreign.ok && foreign.reason, "OTHER_JOURNAL");

        const ahead = await store.checkCursor(store.encodeCursor(7));
        assert.equal(!ahead.ok && ahead.reason, "AHEAD");

        for (const bad of [
          "",
          "not a cursor!",
          encodeCursor("x", 1),
          Buffer.from("a:b").toString("base64url"),
        ]) {
          const r = await store.checkCursor(bad);
          assert.equal(!r.ok && r.reason, "MALFORMED", bad);
        }

        await store.retentionStep({ batchSize: 3 }); // deletes 1..3 of the five old events
        const purged = await store.checkCursor(store.encodeCursor(2));
        assert.equal(!purged.ok && purged.reason, "PURGED");
        // Everything after 3 is still there: a cursor at 3 is still good.
        assert.deepEqual(await store.checkCursor(store.encodeCursor(3)), { ok: true, afterSequence: 3 });
      } finally {
        await store.close();
        await other.close();
      }
    });

    it("retention deletes old rows in batches and keeps working orders and their fills", async () => {
      let now = 1_000 * DAY;
      const store = await (await fixture()).open({ now: () => now });
      try {
        const old = now;
        await Promise.all(Array.from({ length: 1_200 }, (_, i) => store.append("order", { i })));
        await Promise.all(
          Array.from({ length: 700 }, (_, i) =>
            store.upsertOrder({
              id: `o${i}`,
              accountId: "DU1",
              status: "Filled",
              updatedAt: old,
              finished: true,
              snapshot: { i },
            }),
          ),
        );
        await store.upsertOrder({
          id: "working",
          accountId: "DU1",
          status: "Submitted",
          updatedAt: old,
          finished: false,
          snapshot: {},
        });
        await store.addFill({ executionId: "e-old", orderId: "o1", accountId: "DU1", at: old, fill: {} });
        await store.addFill({
          executionId: "e-working",
          orderId: "working",
          accountId: "DU1",
          at: old,
          fill: {},
        });
        now += 31 * DAY;
        const young = await store.append("order", { young: true });

        const steps = [];
        for (;;) {
          const step = await store.retentionStep({ batchSize: 500 });
          steps.push(step);
          assert.ok(step.journal <= 500 && step.orders <= 500);
          if (!step.more) break;
        }
        assert.deepEqual(
          steps.map((s) => s.journal),
          [500, 500, 200],
        );
        assert.deepEqual(
          steps.map((s) => s.orders),
          [500, 200, 0],
        );
        assert.deepEqual(await store.bounds(), {
          first: young.sequence,
          last: young.sequence,
          purgedThrough: 1_200,
        });
        assert.deepEqual(
          (await store.listOrders({})).map((o) => o.id),
          ["working"],
        );
        assert.deepEqual(
          (await store.listFills({ accountId: "DU1" })).map((f) => f.executionId),
          ["e-working"],
        );
      } finally {
        await store.close();
      }
    });

    it("a failing write rejects alone; the rest of its batch commits", async () => {
      const store = await (await fixture()).open();
      try {
        const results = await Promise.allSettled([
          store.append("order", { a: 1 }),
          store.append("bogus" as "order", { b: 2 }),
          store.append("order", { c: 3 }),
        ]);
        assert.deepEqual(
          results.map((r) => r.status),
          ["fulfilled", "rejected", "fulfilled"],
        );
        assert.deepEqual(
          (await store.readAfter("order", 0, 10)).map((e) => e.payload),
          [{ a: 1 }, { c: 3 }] as JsonValue[],
        );
      } finally {
        await store.close();
      }
    });
  });

  describe(`${name}: orders, fills and rate limits`, () => {
    it("upserts order snapshots, ignores stale ones and lists by account, status and time", async () => {
      const store = await (await fixture()).open();
      try {
        const base = { accountId: "DU1", finished: false, clientOrderId: "c1", permId: "77" };
        assert.equal(
          await store.upsertOrder({
            ...base,
            id: "1",
            status: "PreSubmitted",
            updatedAt: 10,
            snapshot: { v: 1 },
          }),
          true,
        );
        assert.equal(
          await store.upsertOrder({
            ...base,
            id: "1",
            status: "Submitted",
            updatedAt: 20,
            snapshot: { v: 2 },
          }),
          true,
        );
        assert.equal(
          await store.upsertOrder({
            ...base,
            id: "1",
            status: "PreSubmitted",
            updatedAt: 15,
            snapshot: { v: 0 },
          }),
          false,
        );
        await store.upsertOrder({
          ...base,
          id: "2",
          accountId: "DU2",
          status: "Filled",
          updatedAt: 30,
          finished: true,
          snapshot: {},
        });
        await store.upsertOrder({
          ...base,
          id: "3",
          status: "Cancelled",
          updatedAt: 40,
          finished: true,
          snapshot: {},
        });

        assert.deepEqual(await store.getOrder("1"), {
          ...base,
          id: "1",
          status: "Submitted",
          updatedAt: 20,
          snapshot: { v: 2 },
        });
        const ids = async (q: Parameters<typeof store.listOrders>[0]) =>
          (await store.listOrders(q)).map((o) => o.id);
        assert.deepEqual(await ids({ accountId: "DU1" }), ["3", "1"]);
        assert.deepEqual(await ids({ statuses: ["Filled", "Cancelled"] }), ["3", "2"]);
        assert.deepEqual(await ids({ statuses: [] }), []);
        assert.deepEqual(await ids({ updatedFrom: 20, updatedTo: 30 }), ["2", "1"]);
        assert.deepEqual(await ids({ finished: false }), ["1"]);
        assert.deepEqual(await ids({ limit: 1 }), ["3"]);
      } finally {
        await store.close();
      }
    });

    it("stores a fill once per execution id", async () => {
      const store = await (await fixture()).open();
      try {
        const fill = { executionId: "0001f4e8.1", orderId: "1", accountId: "DU1", at: 100, fill: { qty: 5 } };
        assert.equal(await store.addFill(fill), true);
        assert.equal(await store.addFill({ ...fill, fill: { qty: 6 } }), false);
        await store.addFill({ ...fill, executionId: "2", at: 200 });
        await store.addFill({ ...fill, executionId: "3", accountId: "DU2", at: 150 });
        assert.deepEqual(await store.listFills({ accountId: "DU1" }), [
          fill,
          { ...fill, executionId: "2", at: 200 },
        ]);
        assert.deepEqual(
          (await store.listFills({ accountId: "DU1", from: 150, to: 250 })).map((f) => f.executionId),
          ["2"],
        );
      } finally {
        await store.close();
      }
    });

    it("remembers endpoint windows and the 429 penalty across a restart", async () => {
      const fx = await fixture();
      const a = await fx.open();
      await a.noteEndpointWindow("GET /iserver/marketdata/snapshot", 5_000);
      await a.noteEndpointWindow("GET /iserver/marketdata/snapshot", 4_000); // earlier: the later time stays
      await a.noteEndpointWindow("POST /tickle", 1_500);
      await a.setPenaltyUntil(900_000);
      await a.close();
      const b = await fx.open();
      try {
        assert.deepEqual(await b.rateLimitMemory(2_000), {
          windows: { "GET /iserver/marketdata/snapshot": 5_000 },
          penaltyUntil: 900_000,
        });
        assert.deepEqual(await b.rateLimitMemory(1_000_000), { windows: {}, penaltyUntil: null });
        await b.setPenaltyUntil(null);
        assert.equal((await b.rateLimitMemory(0)).penaltyUntil, null);
        assert.equal((await b.retentionStep({ now: 3_000 })).rateLimits, 1);
      } finally {
        await b.close();
      }
    });
  });

  describe(`${name}: idempotency keys`, () => {
    it("puts, overwrites, gets and deletes records across a restart", async () => {
      const fx = await fixture();
      const a = await fx.open();
      await a.putIdempotency(record("k1", { state: "PENDING" }));
      await a.putIdempotency(
        record("k1", { state: "CONFIRMATION", replyId: "r1", messages: ["Are you sure?"] }),
      );
      await a.putIdempotency(record("k2"));
      await a.deleteIdempotency("k2");
      await a.close();
      const b = await fx.open();
      try {
        const k1 = await b.getIdempotency("k1");
        assert.equal(k1.status, "present");
        assert.equal(k1.status === "present" && k1.record.state, "CONFIRMATION");
        assert.deepEqual(
          k1.status === "present" && k1.record.state === "CONFIRMATION" && k1.record.messages,
          ["Are you sure?"],
        );
        assert.deepEqual(await b.getIdempotency("k2"), { status: "absent" });
      } finally {
        await b.close();
      }
    });

    it("writes the key and its PENDING event together", async () => {
      const store = await (await fixture()).open();
      try {
        const entry = await store.putIdempotencyWithEvent(record("k1", { state: "PENDING" }), {
          type: "PENDING",
          clientOrderId: "k1",
        });
        assert.equal(entry.sequence, 1);
        assert.equal((await store.getIdempotency("k1")).status, "present");
        assert.deepEqual(
          (await store.readAfter("order", 0, 10)).map((e) => e.payload),
          [{ type: "PENDING", clientOrderId: "k1" }],
        );
      } finally {
        await store.close();
      }
    });

    it("lists every key, damaged ones included, for the idempotency cache loaded at start", async () => {
      const fx = await fixture();
      const a = await fx.open();
      await a.putIdempotency(record("k1", { state: "PENDING" }));
      await a.putIdempotency(record("k2"));
      await a.putIdempotency(record("k3"));
      await a.deleteIdempotency("k3");
      await a.close();
      await fx.damageIdempotency("k2", "{not json");
      const b = await fx.open();
      try {
        assert.ok(b.listIdempotency, "the server refuses to start on a store that cannot list its keys");
        const listed = (await b.listIdempotency()).sort((x, y) => keyOf(x).localeCompare(keyOf(y)));
        assert.deepEqual(
          listed.map((l) => [keyOf(l), l.status]),
          [
            ["k1", "present"],
            ["k2", "corrupt"],
          ],
        );
        assert.equal(listed[0]?.status === "present" && listed[0].record.state, "PENDING");
        // The cache built from the list blocks the damaged key and knows the other.
        const cache = await createStoreIdempotencyStore(b);
        assert.equal(cache.get("k1")?.state, "PENDING");
        assert.ok(cache.damaged?.("k2"));
      } finally {
        await b.close();
      }
    });

    it("a stored record that cannot be read blocks its key instead of vanishing", async () => {
      const fx = await fixture();
      const a = await fx.open();
      await a.putIdempotency(record("k1"));
      await a.putIdempotency(record("k2"));
      await a.close();
      await fx.damageIdempotency("k1", '{"clientOrderId":"k1","sta');
      await fx.damageIdempotency("k2", '{"clientOrderId":"k2","state":"WEIRD"}');
      const b = await fx.open();
      try {
        assert.deepEqual(await b.getIdempotency("k1"), {
          status: "corrupt",
          clientOrderId: "k1",
          raw: '{"clientOrderId":"k1","sta',
        });
        assert.equal((await b.getIdempotency("k2")).status, "corrupt");
      } finally {
        await b.close();
      }
    });
  });

  describe(`${name}: open and close`, () => {
    it("refuses a database from a newer schema version, and opens it once fixed", async () => {
      const fx = await fixture();
      await (await fx.open()).close();
      await fx.setSchemaVersion(fx.schemaVersion + 1);
      await assert.rejects(fx.open(), storeError("STORE_TOO_NEW", /newer than this server/));
      // The refusal left nothing behind (no lock, no half-migrated schema): a fixed database opens at once.
      await fx.setSchemaVersion(fx.schemaVersion);
      await (await fx.open()).close();
    });

    it("refuses calls after close", async () => {
      const store = await (await fixture()).open();
      await store.close();
      await assert.rejects(store.append("order", {}), storeError("STORE_CLOSED", /closed/));
      await assert.rejects(store.bounds(), storeError("STORE_CLOSED", /closed/));
    });
  });
}
