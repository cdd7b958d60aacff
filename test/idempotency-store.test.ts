import assert from "node:assert/strict";
import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createFileIdempotencyStore } from "../src/brokers/file-idempotency-store";
import type { IdempotencyRecord } from "../src/brokers/idempotency";
import { BrokerApi } from "../src/schema/enums";

const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "idem-"));
  dirs.push(d);
  return d;
}

function record(id: string, over: Partial<IdempotencyRecord> = {}): IdempotencyRecord {
  return {
    clientOrderId: id,
    fingerprint: `fp-${id}`,
    state: "PLACED",
    api: BrokerApi.TWS,
    accountId: "DU1234567",
    orderId: `9${id.length}`,
    updatedAt: new Date().toISOString(),
    ...over,
  };
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
    assert.equal(b.get("k1")?.orderId, "1001");
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

  it("refuses writes after close", async () => {
    const a = await createFileIdempotencyStore(await tempDir());
    await a.close();
    assert.throws(() => a.put(record("x")), /closed/);
  });
});
