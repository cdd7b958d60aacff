import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createBrokerService } from "../src/brokers";
import { createFileIdempotencyStore } from "../src/brokers/file-idempotency-store";
import { OrderSide, OrderType, TimeInForce } from "../src/schema/enums";
import type { PlaceOrderInput } from "../src/schema/order.input";
import { DEFAULT_GUARDS } from "./helpers/memory-app";
import { MemoryTwsBroker } from "./helpers/memory-broker";
import { capturingLogger } from "./helpers/sim-app";
import { idempotencyRecord as record } from "./helpers/idempotency-record";

const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "idem-"));
  dirs.push(d);
  return d;
}

describe("file idempotency store", () => {
  it("keeps keys across a restart, including deletes and overwrites", async () => {
    const dir = await tempDir();
    const a = await createFileIdempotencyStore(dir);
    await a.put(record("k1", { state: "PENDING" }));
    await a.put(record("k1", { state: "PLACED", orderId: "1001" }));
    await a.put(record("k2"));
    await a.put(record("k3"));
    await a.delete("k2");
    await a.close();

    const b = await createFileIdempotencyStore(dir);
    assert.deepEqual(b.get("k1")?.state, "PLACED");
    const k1 = b.get("k1");
    assert.equal(k1?.state === "PLACED" ? k1.orderId : undefined, "1001");
    assert.equal(b.get("k2"), undefined);
    assert.ok(b.get("k3"));
    await b.close();
  });

  it("survives a crash: acknowledged puts are on disk without close(), a torn last line is ignored", async () => {
    const dir = await tempDir();
    const a = await createFileIdempotencyStore(dir);
    await a.put(record("done"));
    // No close(): the process "dies" here, in the middle of writing the next line.
    await appendFile(join(dir, "idempotency.jsonl"), '{"op":"put","record":{"clientOrderId":"torn","fing');

    const b = await createFileIdempotencyStore(dir);
    assert.ok(b.get("done"), "an acknowledged key must survive");
    assert.equal(b.get("torn"), undefined);
    await b.put(record("after"));
    await b.close();
    await a.close();

    const c = await createFileIdempotencyStore(dir);
    assert.ok(c.get("done"));
    assert.ok(c.get("after"), "a write after recovery must not be glued to the torn fragment");
    await c.close();
  });

  it("drops records older than maxAgeMs on load and compacts the file", async () => {
    const dir = await tempDir();
    const day = 24 * 60 * 60 * 1000;
    const t0 = Date.parse("2026-01-01T00:00:00Z");
    const a = await createFileIdempotencyStore(dir, { now: () => t0 });
    await a.put(record("old", { updatedAt: new Date(t0 - 8 * day).toISOString() }));
    await a.put(record("fresh", { updatedAt: new Date(t0 - 1 * day).toISOString() }));
    for (let i = 0; i < 5; i++)
      await a.put(record("fresh", { updatedAt: new Date(t0 - day + i).toISOString() }));
    await a.close();

    const b = await createFileIdempotencyStore(dir, { now: () => t0, maxAgeMs: 7 * day });
    assert.equal(b.get("old"), undefined);
    assert.ok(b.get("fresh"));
    await b.close();
    const lines = (await readFile(join(dir, "idempotency.jsonl"), "utf8")).split("\n").filter(Boolean);
    assert.equal(lines.length, 1, "one line per live key after compaction");
  });

  it("makes every one of many concurrent writes durable", async () => {
    const dir = await tempDir();
    const a = await createFileIdempotencyStore(dir);
    await Promise.all(Array.from({ length: 200 }, (_, i) => a.put(record(`c${i}`))));
    await a.close();
    const b = await createFileIdempotencyStore(dir);
    for (let i = 0; i < 200; i++) assert.ok(b.get(`c${i}`), `c${i}`);
    await b.close();
  });

  it("skips an unreadable middle line and keeps the rest", async () => {
    const dir = await tempDir();
    const good = JSON.stringify({ op: "put", record: record("ok") });
    await writeFile(join(dir, "idempotency.jsonl"), `not json\n${good}\n`);
    const a = await createFileIdempotencyStore(dir);
    assert.ok(a.get("ok"));
    await a.close();
  });

  it("blocks a key whose lines are damaged, logs it at error level, and keeps the block across restarts", async () => {
    const dir = await tempDir();
    const a = await createFileIdempotencyStore(dir);
    await a.put(record("victim", { state: "PENDING" }));
    await a.put(record("victim", { state: "PLACED", orderId: "1001" }));
    await a.put(record("bystander"));
    await a.close();
    // Bit rot in every line of one key: each still names the key, none reads back as a record.
    const file = join(dir, "idempotency.jsonl");
    const text = await readFile(file, "utf8");
    await writeFile(
      file,
      text
        .split("\n")
        .map((l) =>
          l.includes('"victim"') ? l.replace('"fingerprint"', '"fingerpr\u0000nt').slice(0, -3) : l,
        )
        .join("\n"),
    );
    // A crash mid-write on top of it: the torn last line is still ignored quietly.
    await appendFile(file, '{"op":"put","record":{"clientOrderId":"torn","fing');

    const log = capturingLogger();
    const b = await createFileIdempotencyStore(dir, { logger: log.logger });
    assert.equal(b.get("victim"), undefined);
    assert.match(b.damaged?.("victim") ?? "", /unreadable line/);
    assert.deepEqual(b.damagedKeys?.(), ["victim"]);
    assert.ok(b.get("bystander"), "other keys are kept");
    assert.equal(b.damaged?.("bystander"), undefined);
    assert.equal(b.get("torn"), undefined);
    assert.equal(b.damaged?.("torn"), undefined, "a torn last line is a crash, not damage");
    const errors = log.lines.filter((l) => l.level === 50);
    assert.ok(
      errors.length >= 1 && errors.every((l) => l.clientOrderId === "victim"),
      JSON.stringify(errors),
    );
    // Writing the key again (a bug elsewhere) does not unblock it.
    await b.put(record("victim", { orderId: "2002" }));
    await b.close();
    assert.ok(
      (await readdir(dir)).some((f) => f.startsWith("idempotency.jsonl.damaged-")),
      "evidence kept",
    );

    const c = await createFileIdempotencyStore(dir);
    assert.ok(c.damaged?.("victim"), "the block survives compaction and a restart");
    assert.ok(c.get("bystander"));
    await c.close();
  });

  it("after a restart, placeOrder with a damaged key answers IDEMPOTENCY_CONFLICT and places nothing", async () => {
    const dir = await tempDir();
    const input = {
      clientOrderId: "dmg-1",
      accountId: "DU0000001",
      contract: { conid: 265598 },
      side: OrderSide.BUY,
      type: OrderType.LIMIT,
      quantity: 1,
      limitPrice: 100,
      timeInForce: TimeInForce.DAY,
    } as PlaceOrderInput;
    const caller = { client: "test", canTrade: true };
    const run = async (fn: (place: () => Promise<unknown>, tws: MemoryTwsBroker) => Promise<void>) => {
      let tws!: MemoryTwsBroker;
      const log = capturingLogger();
      const broker = createBrokerService({
        simulated: true,
        logger: log.logger,
        orderEventBuffer: 10,
        guards: DEFAULT_GUARDS,
        idempotency: await createFileIdempotencyStore(dir),
        tws: (sink) => (tws = new MemoryTwsBroker(sink)),
      });
      await broker.start();
      await fn(() => broker.placeOrder(input, caller), tws);
      await broker.close();
      return log.lines;
    };
    await run(async (place) => void (await place()));
    const file = join(dir, "idempotency.jsonl");
    await writeFile(file, (await readFile(file, "utf8")).replace('"state"', '"st\u0000te"'));

    const lines = await run(async (place, tws) => {
      await assert.rejects(place(), (e: Error & { code?: string }) => e.code === "IDEMPOTENCY_CONFLICT");
      assert.equal(tws.placed.length, 0, "nothing sent a second time");
    });
    assert.ok(
      lines.some((l) => l.level === 50 && l.clientOrderId === "dmg-1"),
      "an error-level line names the blocked key at start",
    );
  });

  it("has a put on disk once it resolves: a writer killed with SIGKILL right after loses nothing", async () => {
    const dir = await tempDir();
    // The child writes through the compiled store, then kills itself the moment the last put resolves.
    const script = `
      const { createFileIdempotencyStore } = require(${JSON.stringify(require.resolve("../src/brokers/file-idempotency-store"))});
      (async () => {
        const store = await createFileIdempotencyStore(${JSON.stringify(dir)});
        const rec = (id, state) => ({ clientOrderId: id, fingerprint: "f", api: "TWS", accountId: "DU1",
          state, ...(state === "PLACED" ? { orderId: "7" } : {}), updatedAt: new Date().toISOString() });
        await store.put(rec("killed-1", "PENDING"));
        await Promise.all([store.put(rec("killed-1", "PLACED")), store.put(rec("killed-2", "PENDING"))]);
        process.kill(process.pid, "SIGKILL");
      })();`;
    const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const signal = await new Promise((resolve) => child.on("exit", (_code, sig) => resolve(sig)));
    assert.equal(signal, "SIGKILL", stderr);

    const b = await createFileIdempotencyStore(dir);
    const k1 = b.get("killed-1");
    assert.equal(k1?.state === "PLACED" ? k1.orderId : k1?.state, "7");
    assert.equal(b.get("killed-2")?.state, "PENDING");
    await b.close();
  });

  it("refuses writes after close", async () => {
    const a = await createFileIdempotencyStore(await tempDir());
    await a.close();
    assert.throws(() => a.put(record("x")), /closed/);
  });
});
