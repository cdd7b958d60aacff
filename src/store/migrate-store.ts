import { existsSync } from "node:fs";
import { join } from "node:path";
import { StoreError } from "./errors";
import { openPgStore, type StoreImport } from "./pg-store";
import { redactUrl } from "./pg-errors";
import { openSqliteStore } from "./sqlite-store";
import type { Fill, JournalEvent, Store } from "./store";

export interface MigrationReport {
  journalId: string;
  journalEvents: number;
  lastSequence: number;
  orders: number;
  fills: number;
  idempotencyKeys: number;
}

const PAGE = 5_000;

/**
 * `ibkr-graphql migrate-store --from DATA_DIR --to postgres://…`: copies a single instance's SQLite store
 * into an empty PostgreSQL database, journal id and sequences included, so subscribers' cursors stay valid
 * and every idempotency key (damaged ones still blocked) keeps protecting its order. The SQLite store is
 * opened as a server would, with its DATA_DIR lock: a server still running on it makes this refuse
 * (STORE_LOCKED) instead of copying a moving target.
 */
export async function migrateSqliteToPg(dataDir: string, databaseUrl: string): Promise<MigrationReport> {
  if (!existsSync(join(dataDir, "store.sqlite"))) {
    throw new StoreError(
      "STORE_UNREADABLE",
      `There is no store in ${dataDir} (no store.sqlite): nothing to copy.`,
    );
  }
  // The keys' JSONL file of an older version is imported into SQLite first, as a server start would.
  const source = await openSqliteStore(dataDir, {});
  try {
    const data = await readAll(source);
    const target = await openPgStore(databaseUrl);
    try {
      await target.importAll(data);
    } finally {
      await target.close();
    }
    return {
      journalId: data.journalId,
      journalEvents: data.journal.length,
      lastSequence: data.bounds.last,
      orders: data.orders.length,
      fills: data.fills.length,
      idempotencyKeys: data.idempotency.length,
    };
  } catch (e) {
    if (e instanceof StoreError) throw e;
    throw new StoreError(
      "STORE_UNREADABLE",
      `Copying ${dataDir} into ${redactUrl(databaseUrl)} failed: ${(e as Error).message}. Nothing was written.`,
      {},
      { cause: e },
    );
  } finally {
    await source.close();
  }
}

async function readAll(store: Store): Promise<StoreImport> {
  const journal: JournalEvent[] = [];
  for (const stream of ["order", "session"] as const) {
    for (let after = 0; ;) {
      const page = await store.readAfter(stream, after, PAGE);
      journal.push(...page);
      if (page.length < PAGE) break;
      after = (page[page.length - 1] as JournalEvent).sequence;
    }
  }
  journal.sort((a, b) => a.sequence - b.sequence);
  const orders = await store.listOrders({ limit: Number.MAX_SAFE_INTEGER });
  const fills: Fill[] = [];
  for (const accountId of new Set(orders.map((o) => o.accountId))) {
    fills.push(...(await store.listFills({ accountId, limit: Number.MAX_SAFE_INTEGER })));
  }
  if (!store.listIdempotency)
    throw new StoreError("STORE_UNREADABLE", "The source store cannot list its keys.");
  return {
    journalId: store.journalId,
    bounds: await store.bounds(),
    journal,
    orders,
    fills,
    idempotency: await store.listIdempotency(),
    rateLimits: await store.rateLimitMemory(),
  };
}
