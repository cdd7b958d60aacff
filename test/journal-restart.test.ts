import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createFileIdempotencyStore } from "../src/brokers/file-idempotency-store";
import { openSqliteStore } from "../src/store";
import type { Json } from "./helpers/cp-sim-client";
import {
  marketOrder,
  PLACE,
  record,
  startGateways,
  startJournalApp,
  tempDataDir,
  type Gateways,
  type JournalApp,
  type Recorder,
} from "./helpers/journal-app";
import { eventually } from "./helpers/wait";

const EXECUTIONS = `query Executions($accountId: ID) {
  executions(accountId: $accountId) {
    executionId orderId accountId side contract { conid } price quantity time source
  }
}`;

async function place(s: JournalApp, clientOrderId: string, via: "TWS" | "CLIENT_PORTAL"): Promise<string> {
  const r = await s.op(PLACE, marketOrder(clientOrderId, via));
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  return r.data!.placeOrder.order.id as string;
}

const filled = (rec: Recorder, orderId: string) =>
  rec.events.some((e) => e.type === "FILL" && e.order.id === orderId);

/** What a resumed subscriber owes: each sequence once, ascending. */
function assertOnceInOrder(events: Json[]): void {
  const seqs = events.map((e) => e.sequence as number);
  for (let i = 1; i < seqs.length; i++) {
    assert.ok(seqs[i]! > seqs[i - 1]!, `sequences ascend: ${seqs.join(",")}`);
  }
}

describe("journal across a restart", () => {
  let gw: Gateways;
  let dataDir: string;
  let s: JournalApp | undefined;
  const dirs: string[] = [];

  before(async () => {
    gw = await startGateways();
    dataDir = await tempDataDir();
    dirs.push(dataDir);
  });
  after(async () => {
    await s?.stop();
    await gw.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("resumes an old cursor after a restart: every later event once, in order; history kept", async () => {
    // First run: one order through each API, both filled.
    s = await startJournalApp(gw, dataDir);
    const live1 = record(s.ws());
    const first = [await place(s, "restart-1", "TWS"), await place(s, "restart-2", "CLIENT_PORTAL")];
    await eventually("both first orders filled", () => first.every((id) => filled(live1, id)), 10_000);
    const lastOld = live1.events.at(-1)!;
    live1.stop();
    const execsBefore = (await s.op(EXECUTIONS)).data!.executions as Json[];
    assert.ok(first.every((id) => execsBefore.some((f) => f.orderId === id)));
    await s.stop();
    s = undefined;

    // Second run on the same DATA_DIR: more events than the first run had.
    s = await startJournalApp(gw, dataDir);
    const live2 = record(s.ws());
    const second: string[] = [];
    for (let i = 0; i < 3; i++) {
      second.push(await place(s, `restart-after-${i}`, i % 2 ? "CLIENT_PORTAL" : "TWS"));
    }
    await eventually("the new orders filled", () => second.every((id) => filled(live2, id)), 10_000);
    assert.ok(
      (live2.events.at(-1)!.sequence as number) > (lastOld.sequence as number),
      "numbering continues",
    );

    const resumed = record(s.ws(), { after: lastOld.cursor });
    await eventually(
      "the replay reaching the new fills",
      () => second.every((id) => filled(resumed, id)),
      10_000,
    );
    assert.equal(resumed.error, undefined);
    assertOnceInOrder(resumed.events);
    assert.ok(resumed.events.every((e) => (e.sequence as number) > (lastOld.sequence as number)));
    // The live subscriber of the new run saw a tail of what the resumed one got, nothing more or less.
    const liveSeqs = live2.events.map((e) => e.sequence);
    const resumedSeqs = resumed.events.map((e) => e.sequence);
    assert.deepEqual(resumedSeqs.slice(resumedSeqs.length - liveSeqs.length), liveSeqs);
    // No event of the first run's orders was journaled twice (a fill already journaled is not repeated).
    const firstFills = resumed.events.filter((e) => e.fill && first.includes(e.order.id as string));
    assert.deepEqual(firstFills, []);

    // afterSequence, the older form, resumes the same journal the same way.
    const bySequence = record(s.ws(), { afterSequence: lastOld.sequence });
    await eventually("the afterSequence replay", () => bySequence.events.length >= resumed.events.length);
    assert.deepEqual(
      bySequence.events.map((e) => e.sequence),
      resumedSeqs,
    );
    for (const r of [live2, resumed, bySequence]) r.stop();

    // History: what the first run saw is listed, from both APIs, each execution once.
    const orders = (await s.op(`{ orders(status: [FILLED]) { id source status } }`)).data!.orders as Json[];
    for (const id of [...first, ...second])
      assert.ok(
        orders.some((o) => o.id === id),
        `order ${id} listed`,
      );
    const execs = (await s.op(EXECUTIONS)).data!.executions as Json[];
    const ids = execs.map((f) => f.executionId);
    assert.equal(new Set(ids).size, ids.length, "each execution once");
    for (const f of execsBefore) assert.ok(ids.includes(f.executionId), `execution ${f.executionId} kept`);
    assert.deepEqual(new Set(execs.map((f) => f.source)), new Set(["TWS", "CLIENT_PORTAL"]));
    const since = await s.op(`{ orders(since: "2100-01-01T00:00:00Z") { id } }`);
    assert.deepEqual(since.data!.orders, []);
  });

  it("refuses a second server on the same DATA_DIR before it touches anything", async () => {
    assert.ok(s, "runs after the restart test");
    await assert.rejects(startJournalApp(gw, dataDir), (e: Error) => {
      assert.equal(e.name, "StoreError");
      assert.equal((e as Error & { code?: string }).code, "STORE_LOCKED");
      return true;
    });
  });

  it("refuses a cursor it cannot honour with CURSOR_INVALID, the bounds and the journal id", async () => {
    assert.ok(s, "runs after the restart test");
    const otherDir = await tempDataDir();
    dirs.push(otherDir);
    const other = await openSqliteStore(otherDir);
    await other.append("order", { n: 1 });
    const foreign = other.encodeCursor(1);
    await other.close();

    for (const variables of [
      { after: foreign },
      { after: "not-a-cursor" },
      { afterSequence: 1_000_000_000 },
    ]) {
      const rec = record(s.ws(), variables);
      await eventually("the refusal", () => rec.done || rec.error !== undefined);
      const errors = rec.error as { extensions: Json }[];
      assert.ok(Array.isArray(errors), JSON.stringify(rec.error));
      assert.equal(errors[0]!.extensions.code, "CURSOR_INVALID");
      assert.equal(errors[0]!.extensions.journalId, s.app.store.journalId);
      assert.equal(typeof errors[0]!.extensions.lastSequence, "number");
      assert.equal(typeof errors[0]!.extensions.latestCursor, "string");
      rec.stop();
    }
  });
});

describe("idempotency keys move from the JSON-lines file into the store", () => {
  let gw: Gateways;
  const dirs: string[] = [];
  after(async () => {
    await gw.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("retrying a migrated key returns the same order and places nothing", async () => {
    gw = await startGateways();
    // An order placed by a server whose key we then hand over as the file store would have kept it.
    const placedDir = await tempDataDir();
    const migratedDir = await tempDataDir();
    dirs.push(placedDir, migratedDir);
    const s1 = await startJournalApp(gw, placedDir, { apis: "tws" });
    const orderId = await place(s1, "migrated-1", "TWS");
    const lookup = await s1.app.store.getIdempotency("migrated-1");
    await s1.stop();
    assert.equal(lookup.status, "present");
    const file = await createFileIdempotencyStore(migratedDir);
    await file.put(lookup.status === "present" ? lookup.record : assert.fail());
    await file.close();
    const placedBefore = gw.sims.brokerage.listOrders().length;

    const s2 = await startJournalApp(gw, migratedDir, { apis: "tws" });
    try {
      assert.ok(
        existsSync(join(migratedDir, "idempotency.jsonl.migrated")),
        "the file is renamed once imported",
      );
      assert.ok(!existsSync(join(migratedDir, "idempotency.jsonl")));
      const retry = await s2.op(PLACE, marketOrder("migrated-1", "TWS"));
      assert.equal(retry.errors, undefined, JSON.stringify(retry.errors));
      assert.equal(retry.data!.placeOrder.order.id, orderId);
      assert.equal(gw.sims.brokerage.listOrders().length, placedBefore, "nothing placed");
    } finally {
      await s2.stop();
    }
  });
});
