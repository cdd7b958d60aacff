import assert from "node:assert/strict";
import { writeFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ACCT, AAPL, record, type Recorder } from "./helpers/journal-app";
import type { Json } from "./helpers/cp-sim-client";
import { startSimApp, type SimApp } from "./helpers/sim-app";
import { eventually } from "./helpers/wait";

const PLACE = `mutation Place($i: PlaceOrderInput!) { placeOrder(input: $i) { order { id status } } }`;
const EXECUTIONS = `{ executions(accountId: "${ACCT}") { executionId orderId source quantity } }`;
const POSITIONS = `{ positions(accountId: "${ACCT}") { contract { conid } quantity } }`;
const ORDERS = `{ orders { id clientOrderId status filledQuantity } }`;

async function place(
  s: SimApp,
  clientOrderId: string,
  via: "TWS" | "CLIENT_PORTAL",
  terms: Record<string, unknown> = { type: "MARKET" },
): Promise<string> {
  const r = await s.op(PLACE, {
    i: { accountId: ACCT, contract: { conid: AAPL }, side: "BUY", quantity: 1, clientOrderId, via, ...terms },
  });
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  return r.data!.placeOrder.order.id as string;
}

const has = (rec: Recorder, orderId: string, type: string) =>
  rec.events.some((e) => e.type === type && e.order.id === orderId);

const aaplPosition = async (s: SimApp) =>
  ((await s.op(POSITIONS)).data!.positions as Json[]).find((p) => p.contract.conid === AAPL)?.quantity;

describe("SIMULATED mode is durable in DATA_DIR (npm start across restarts)", () => {
  let dataDir: string;
  let s: SimApp | undefined;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "w-journal-simulated-"));
  });
  after(async () => {
    await s?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
  const start = (env: Record<string, string> = {}) => startSimApp({ env: { DATA_DIR: dataDir, ...env } });

  it("keeps orders (resting ones working), fills, positions and cursors across a restart", async () => {
    s = await start();
    const live1 = record(s.ws());
    await eventually(
      "the subscription registered",
      () => s!.app.broker.subscriberCounts().orderUpdates === 1,
    );
    const filledIds = [await place(s, "sim-r-1", "TWS"), await place(s, "sim-r-2", "CLIENT_PORTAL")];
    // A limit far below the market rests: it must still be working, and fill, after the restart.
    const resting = await place(s, "sim-r-rest", "TWS", { type: "LIMIT", limitPrice: 100 });
    await eventually(
      "the fills and the resting order's SUBMITTED",
      () => filledIds.every((id) => has(live1, id, "FILL")) && has(live1, resting, "SUBMITTED"),
      10_000,
    );
    const lastOld = live1.events.at(-1)!;
    live1.stop();
    const positionBefore = await aaplPosition(s);
    assert.equal(positionBefore, 2);
    const execsBefore = (await s.op(EXECUTIONS)).data!.executions as Json[];
    assert.equal(execsBefore.length, 2);
    const permIdsBefore = s.app.simulators!.brokerage.listOrders().map((o) => o.permId);

    // A second server on the same DATA_DIR is refused with the store's message, before any simulator starts.
    await assert.rejects(start(), (e: Error & { code?: string }) => {
      assert.equal(e.code, "STORE_LOCKED");
      assert.match(e.message, /DATA_DIR is in use by another server/);
      return true;
    });

    await s.stop();
    s = undefined;

    s = await start();
    const book = s.app.simulators!.brokerage;
    assert.ok(s.app.simulators!.persistence?.restored, "the book was restored");
    assert.deepEqual(
      book.listOrders().map((o) => o.permId),
      permIdsBefore,
      "the simulated book kept its orders",
    );
    assert.equal(await aaplPosition(s), positionBefore, "positions kept");
    const execsAfter = (await s.op(EXECUTIONS)).data!.executions as Json[];
    assert.deepEqual(
      execsAfter.map((f) => f.executionId).sort(),
      execsBefore.map((f) => f.executionId).sort(),
      "executions kept, none repeated",
    );
    const orders = (await s.op(ORDERS)).data!.orders as Json[];
    assert.equal(orders.find((o) => o.id === resting)?.status, "SUBMITTED", "the resting order still works");
    for (const id of filledIds) assert.equal(orders.find((o) => o.id === id)?.status, "FILLED");

    // New orders get new ids (TWS order ids and permIds continue), and the resting order still trades.
    const resumed = record(s.ws(), { after: lastOld.cursor });
    const fresh = await place(s, "sim-r-after-1", "TWS");
    const freshCp = await place(s, "sim-r-after-2", "CLIENT_PORTAL");
    assert.ok(![...filledIds, resting].includes(fresh) && fresh !== freshCp);
    book.setPrice(AAPL, 99);
    await eventually(
      "the replay reaching the new fills and the resting order's fill",
      () => [fresh, freshCp, resting].every((id) => has(resumed, id, "FILL")),
      10_000,
    );
    assert.equal(resumed.error, undefined);
    const seqs = resumed.events.map((e) => e.sequence as number);
    assert.ok(seqs[0]! > (lastOld.sequence as number), "nothing at or before the cursor");
    for (let i = 1; i < seqs.length; i++)
      assert.ok(seqs[i]! > seqs[i - 1]!, `once, in order: ${seqs.join(",")}`);
    assert.deepEqual(
      resumed.events.filter((e) => e.type === "FILL" && filledIds.includes(e.order.id as string)),
      [],
      "no fill of the first run journaled twice",
    );
    resumed.stop();
    assert.equal(await aaplPosition(s), 5);
    const ids = ((await s.op(EXECUTIONS)).data!.executions as Json[]).map((f) => f.executionId);
    assert.equal(ids.length, 5);
    assert.equal(new Set(ids).size, 5, "execution ids continue, none reused");
  });

  it("--fresh (SIM_FRESH=true) starts an empty brokerage and a new journal; old cursors are refused", async () => {
    assert.ok(s, "runs after the restart test");
    const oldJournal = s.app.store.journalId;
    const oldCursor = s.app.store.encodeCursor(1);
    await s.stop();
    s = undefined;
    s = await start({ SIM_FRESH: "true" });
    assert.equal(s.app.simulators!.brokerage.listOrders().length, 0);
    assert.equal(await aaplPosition(s), undefined);
    assert.deepEqual((await s.op(ORDERS)).data!.orders, []);
    assert.notEqual(s.app.store.journalId, oldJournal);
    const rec = record(s.ws(), { after: oldCursor });
    await eventually("the refusal", () => rec.done || rec.error !== undefined);
    const errors = rec.error as { extensions: Json }[];
    assert.equal(errors[0]!.extensions.code, "CURSOR_INVALID");
    assert.equal(errors[0]!.extensions.reason, "OTHER_JOURNAL");
    rec.stop();
  });

  it("refuses a corrupt saved book with a clear StoreError naming the file and --fresh", async () => {
    assert.ok(s, "runs after the --fresh test");
    await s.stop();
    s = undefined;
    const file = join(dataDir, "simulated", "brokerage.json");
    await writeFile(file, '{"format":"ibkr-graphql simulated brokerage","version":1,"state":{"orders":');
    await assert.rejects(start(), (e: Error & { code?: string }) => {
      assert.equal(e.name, "StoreError");
      assert.equal(e.code, "STORE_UNREADABLE");
      assert.ok(e.message.includes(file), e.message);
      assert.match(e.message, /--fresh/);
      return true;
    });
    // The refusal let go of DATA_DIR: a fresh start works at once.
    s = await start({ SIM_FRESH: "true" });
    assert.equal(s.app.simulators!.brokerage.listOrders().length, 0);
  });
});
