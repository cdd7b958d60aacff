import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import {
  isFenced,
  openPgStore,
  PG_SCHEMA_VERSION,
  StoreError,
  type JournalEvent,
  type PgStore,
} from "../src/store";
import { tailJournal } from "../src/cluster";
import { startPostgres, type TestPostgres } from "./helpers/postgres";
import { eventually } from "./helpers/wait";
import { defineStoreContract } from "./store-contract";

let server: TestPostgres | undefined;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

function postgres(): TestPostgres {
  if (!server) throw new Error("the test PostgreSQL did not start (see the before hook's error)");
  return server;
}

async function sql(url: string, text: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text, params);
  } finally {
    await client.end();
  }
}

defineStoreContract("postgres", async () => {
  const url = await postgres().createDatabase("contract");
  return {
    open: (options) => openPgStore(url, options),
    async damageIdempotency(clientOrderId, raw) {
      await sql(url, "UPDATE idempotency SET record = $1 WHERE client_order_id = $2", [raw, clientOrderId]);
    },
    async setSchemaVersion(version) {
      await sql(url, "DELETE FROM schema_migrations WHERE version > $1", [version]);
      await sql(url, "INSERT INTO schema_migrations (version) VALUES ($1) ON CONFLICT DO NOTHING", [version]);
    },
    schemaVersion: PG_SCHEMA_VERSION,
    // The databases go with the cluster when the file's server stops.
    dispose: async () => undefined,
  };
});

describe("postgres store: opening", () => {
  it("records each migration, and instances opening a new database together migrate it once", async () => {
    const url = await postgres().createDatabase("migrate");
    const stores = await Promise.all([openPgStore(url), openPgStore(url), openPgStore(url)]);
    try {
      assert.equal(new Set(stores.map((s) => s.journalId)).size, 1);
      const { rows } = await sql(url, "SELECT version FROM schema_migrations ORDER BY version");
      assert.deepEqual(
        rows.map((r: { version: number }) => r.version),
        Array.from({ length: PG_SCHEMA_VERSION }, (_, i) => i + 1),
      );
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it("reports a database it cannot reach as STORE_UNREADABLE, without the password", async () => {
    const url = `postgresql://postgres:s3cret@127.0.0.1:${postgres().port}/no_such_database`;
    await assert.rejects(
      openPgStore(url),
      (e: unknown) =>
        e instanceof StoreError &&
        e.code === "STORE_UNREADABLE" &&
        /no_such_database/.test(e.message) &&
        !e.message.includes("s3cret"),
    );
  });
});

describe("postgres store: fencing", () => {
  it("refuses writes under an older epoch, or with none, and accepts the current one", async () => {
    const url = await postgres().createDatabase("fence");
    const unfenced = await openPgStore(url);
    await sql(url, "UPDATE cluster SET epoch = 3");
    const old = await openPgStore(url, { epoch: 2 });
    const current = await openPgStore(url, { epoch: 3 });
    const standby = await openPgStore(url, { epoch: null });
    try {
      await assert.rejects(
        old.append("order", { stale: true }),
        (e) => isFenced(e) && /epoch 2/.test(String(e)),
      );
      await assert.rejects(
        old.putIdempotencyWithEvent(
          {
            clientOrderId: "k",
            fingerprint: "f",
            state: "PENDING",
            api: "TWS" as never,
            accountId: "DU1",
            updatedAt: new Date().toISOString(),
          },
          { type: "PENDING" },
        ),
        isFenced,
      );
      await assert.rejects(standby.upsertOrder(order("1")), isFenced);
      assert.equal((await current.append("order", { ok: true })).sequence, 1);
      // Without fencing (a single instance) the epoch is not looked at.
      assert.equal((await unfenced.append("order", { single: true })).sequence, 2);
      assert.deepEqual(await old.getIdempotency("k"), { status: "absent" });
      assert.deepEqual(
        (await old.readAfter("order", 0, 10)).map((e) => e.payload),
        [{ ok: true }, { single: true }],
      );
      // Promoted: the same store writes once it carries the current epoch.
      old.setEpoch(3);
      assert.equal((await old.append("order", { promoted: true })).sequence, 3);
      assert.throws(() => old.setEpoch(2), /cannot go back/);
    } finally {
      await Promise.all([unfenced, old, current, standby].map((s) => s.close()));
    }
  });
});

describe("postgres store: LISTEN/NOTIFY tailing", () => {
  it("a tailer woken by notifications reads every event once, in order, across concurrent appenders", async () => {
    const url = await postgres().createDatabase("tail");
    const reader = await openPgStore(url);
    const writers = await Promise.all([openPgStore(url), openPgStore(url), openPgStore(url)]);
    const seen: JournalEvent[] = [];
    const tailer = tailJournal(reader, {
      stream: "order",
      afterSequence: 0,
      pageSize: 50,
      onEvents: (events) => {
        seen.push(...events);
      },
    });
    try {
      const perWriter = 150;
      // Three pools of five connections appending at once: their transactions interleave and commit in
      // any order the server likes; the journal must still hand them out without a hole.
      const appended = await Promise.all(
        writers.map(async (w, wi) => {
          const out: number[] = [];
          for (let i = 0; i < perWriter; i += 10) {
            const batch = Array.from({ length: 10 }, (_, j) => w.append("order", { wi, i: i + j }));
            out.push(...(await Promise.all(batch)).map((e) => e.sequence));
          }
          return out;
        }),
      );
      const total = writers.length * perWriter;
      await eventually("the tailer to catch up", () => seen.length >= total && seen, 20_000);
      assert.equal(seen.length, total, "nothing read twice");
      assert.deepEqual(
        seen.map((e) => e.sequence),
        Array.from({ length: total }, (_, i) => i + 1),
        "every sequence once, in order, no hole",
      );
      assert.deepEqual(
        appended.flat().sort((a, b) => a - b),
        seen.map((e) => e.sequence),
      );
      // Each writer's own appends are in its call order.
      for (const [wi, sequences] of appended.entries()) {
        const mine = seen.filter((e) => (e.payload as { wi: number }).wi === wi);
        assert.deepEqual(
          mine.map((e) => (e.payload as { i: number }).i),
          Array.from({ length: perWriter }, (_, i) => i),
        );
        assert.deepEqual(
          mine.map((e) => e.sequence),
          sequences,
        );
      }
    } finally {
      tailer.stop();
      await Promise.all([reader, ...writers].map((s) => s.close()));
    }
  });

  it("an append waits for an earlier one still uncommitted, so a reader never passes a late commit", async () => {
    const url = await postgres().createDatabase("late");
    const store = await openPgStore(url);
    const reader = await openPgStore(url);
    await store.append("order", { n: 1 });
    // Another instance's appender that took sequence 2 and has not committed yet (as the store does it).
    const slow = new pg.Client({ connectionString: url, application_name: "slow appender" });
    await slow.connect();
    try {
      await slow.query("BEGIN");
      const { rows } = await slow.query("UPDATE journal_head SET last = last + 1 RETURNING last");
      assert.equal(Number(rows[0].last), 2);
      await slow.query(
        "INSERT INTO journal (sequence, stream, at, payload) VALUES (2, 'order', 0, '{\"n\":2}')",
      );

      const later = store.append("order", { n: 3 });
      await eventually("the later append to wait for the journal head", async () => {
        const waiting = await sql(
          url,
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE application_name = 'ibkr-graphql store' AND wait_event_type = 'Lock'`,
        );
        return waiting.rows[0].n === 1;
      });
      // Nothing after 1 is visible yet: a tailer at 1 stays at 1 instead of jumping over 2.
      assert.deepEqual(
        (await reader.readAfter("order", 1, 10)).map((e) => e.sequence),
        [],
      );
      await slow.query("COMMIT");
      assert.equal((await later).sequence, 3);
      assert.deepEqual(
        (await reader.readAfter("order", 1, 10)).map((e) => e.payload),
        [{ n: 2 }, { n: 3 }],
      );
    } finally {
      await slow.end();
      await Promise.all([store.close(), reader.close()]);
    }
  });

  it("sends NOTIFY journal with the sequence, only once the append committed", async () => {
    const url = await postgres().createDatabase("notify");
    const store: PgStore = await openPgStore(url);
    const heard: number[] = [];
    const listener = new pg.Client({ connectionString: url });
    await listener.connect();
    try {
      listener.on("notification", (n) => n.channel === "journal" && heard.push(Number(n.payload)));
      await listener.query("LISTEN journal");
      await store.append("session", { up: true });
      await assert.rejects(store.append("nope" as "order", {})); // rolled back: no notification
      const [a, b] = await Promise.all([store.append("order", { n: 1 }), store.append("order", { n: 2 })]);
      assert.deepEqual([a?.sequence, b?.sequence], [2, 3]);
      await eventually("notifications", () => heard.at(-1) === 3);
      // One NOTIFY per committed transaction (the two appends above shared one), carrying its last sequence.
      assert.deepEqual(heard, [1, 3]);
    } finally {
      await listener.end();
      await store.close();
    }
  });
});

function order(id: string) {
  return { id, accountId: "DU1", status: "Submitted", updatedAt: 1, finished: false, snapshot: {} };
}
