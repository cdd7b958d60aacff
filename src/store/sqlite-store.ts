import { randomUUID } from "node:crypto";
import {
  closeSync,
  existsSync,
  fdatasync,
  fdatasyncSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
} from "node:fs";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import type { IdempotencyRecord } from "../brokers/idempotency";
import { checkCursor, encodeCursor } from "./cursor";
import { StoreError } from "./errors";
import { IDEMPOTENCY_JSONL_FILE, isRecord, parseIdempotencyJsonl } from "./jsonl-import";
import { acquireOwnerLock, type OwnerLock } from "./owner-lock";
import { DAY_MS, DEFAULT_IDEMPOTENCY_MAX_AGE_MS, DEFAULT_JOURNAL_RETENTION_DAYS } from "./store";
import type {
  CursorCheck,
  Fill,
  FillQuery,
  IdempotencyLookup,
  JournalBounds,
  JournalEntry,
  JournalEvent,
  JournalStream,
  JsonValue,
  OrderQuery,
  OrderSnapshot,
  RateLimitMemory,
  RetentionOptions,
  RetentionStep,
  Store,
} from "./store";

export interface SqliteStoreOptions {
  /** @default "store.sqlite" */
  fileName?: string;
  /** Journal events, finished orders and fills older than this are removed by `retentionStep`. @default 30 */
  retentionDays?: number;
  /** @default 604_800_000 (7 days, as the file store) */
  idempotencyMaxAgeMs?: number;
  /** Import `idempotency.jsonl` from DATA_DIR on open if present. @default true */
  importJsonl?: boolean;
  /** @default 5000 */
  busyTimeoutMs?: number;
  logger?: { warn(obj: object, msg: string): void; info?(obj: object, msg: string): void };
  /** Clock for tests. @default Date.now */
  now?: () => number;
}

/** Versioned schema: index i brings the database from user_version i to i + 1. Never edit a shipped step. */
const MIGRATIONS: readonly ((db: Database.Database) => void)[] = [
  (db) => {
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
      -- AUTOINCREMENT: a sequence is never reused, even once retention deleted the newest rows.
      CREATE TABLE journal (
        sequence INTEGER PRIMARY KEY AUTOINCREMENT,
        stream TEXT NOT NULL CHECK (stream IN ('order', 'session')),
        at INTEGER NOT NULL,
        payload TEXT NOT NULL
      ) STRICT;
      CREATE INDEX journal_by_stream ON journal (stream, sequence);
      CREATE TABLE orders (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        status TEXT NOT NULL,
        client_order_id TEXT,
        perm_id TEXT,
        updated_at INTEGER NOT NULL,
        finished INTEGER NOT NULL,
        snapshot TEXT NOT NULL
      ) STRICT;
      CREATE INDEX orders_by_account ON orders (account_id, updated_at);
      CREATE INDEX orders_by_status ON orders (status, updated_at);
      CREATE INDEX orders_by_finished ON orders (finished, updated_at);
      CREATE INDEX orders_by_client_order_id ON orders (client_order_id);
      CREATE INDEX orders_by_perm_id ON orders (perm_id);
      CREATE TABLE fills (
        execution_id TEXT PRIMARY KEY,
        order_id TEXT NOT NULL,
        account_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        fill TEXT NOT NULL
      ) STRICT;
      CREATE INDEX fills_by_account ON fills (account_id, at);
      CREATE INDEX fills_by_at ON fills (at);
      -- record is the JSON of an IdempotencyRecord; corrupt = 1 marks a row that must block its key.
      CREATE TABLE idempotency (
        client_order_id TEXT PRIMARY KEY,
        record TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        corrupt INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      CREATE INDEX idempotency_by_updated ON idempotency (corrupt, updated_at);
      CREATE TABLE rate_limit_windows (endpoint TEXT PRIMARY KEY, busy_until INTEGER NOT NULL) STRICT;
      -- Imported lines no key could be recovered from: kept for an operator, never read by the server.
      CREATE TABLE quarantine (id INTEGER PRIMARY KEY, source TEXT NOT NULL, raw TEXT NOT NULL, at INTEGER NOT NULL) STRICT;
    `);
    const meta = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)");
    meta.run("journal_id", randomUUID());
    meta.run("purged_through", "0");
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** fsyncs of the WAL running at once; commits beyond wait and share the next one. */
const MAX_SYNCS_IN_FLIGHT = 2;

interface Unsynced {
  settle: () => void;
  fail: (e: unknown) => void;
  lastSequence: number;
}

interface InFlightSync {
  covered: Unsynced[];
  done: Promise<void>;
}

interface QueuedWrite {
  run: () => unknown;
  resolve: (value: never) => void;
  reject: (error: unknown) => void;
}

interface JournalRow {
  sequence: number;
  stream: JournalStream;
  at: number;
  payload: string;
}

interface OrderRow {
  id: string;
  account_id: string;
  status: string;
  client_order_id: string | null;
  perm_id: string | null;
  updated_at: number;
  finished: number;
  snapshot: string;
}

interface FillRow {
  execution_id: string;
  order_id: string;
  account_id: string;
  at: number;
  fill: string;
}

/**
 * Opens (creating or migrating) the store in `dataDir`, after taking the DATA_DIR lock. Throws a
 * `StoreError` (STORE_LOCKED, STORE_UNREADABLE, STORE_TOO_NEW) rather than crashing on a bad file.
 */
export async function openSqliteStore(
  dataDir: string,
  options: SqliteStoreOptions = {},
): Promise<SqliteStore> {
  const lock = lockDataDir(dataDir);
  let db: Database.Database | undefined;
  try {
    const path = join(dataDir, options.fileName ?? "store.sqlite");
    db = openDatabase(path, options.busyTimeoutMs ?? 5_000);
    migrate(db, path);
    const store = new SqliteStore(db, lock, options);
    if (options.importJsonl ?? true) store.importJsonl(dataDir);
    return store;
  } catch (e) {
    db?.close();
    lock.release();
    throw e;
  }
}

/**
 * Deletes the store in `dataDir` (the database and its WAL), under the DATA_DIR lock: a STORE_LOCKED error
 * rather than pulling the database from under a running server. For SIMULATED mode's `--fresh`.
 */
export function wipeSqliteStore(dataDir: string, fileName = "store.sqlite"): void {
  const lock = lockDataDir(dataDir);
  try {
    for (const suffix of ["", "-wal", "-shm"]) rmSync(join(dataDir, fileName + suffix), { force: true });
    syncDir(dataDir);
  } finally {
    lock.release();
  }
}

function lockDataDir(dataDir: string): OwnerLock {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    return acquireOwnerLock(join(dataDir, "store.lock"));
  } catch (e) {
    if (e instanceof StoreError) throw e;
    throw new StoreError(
      "STORE_UNREADABLE",
      `Cannot use DATA_DIR ${dataDir}: ${(e as Error).message}. It must be a directory this server may write.`,
      { dataDir },
      { cause: e },
    );
  }
}

function openDatabase(path: string, busyTimeoutMs: number): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(path);
    // The first statement reads the header: a file that is not a database fails here, not later.
    const mode = db.pragma("journal_mode = WAL", { simple: true });
    if (mode !== "wal") throw new Error(`journal_mode is ${String(mode)}, WAL unavailable`);
    db.prepare("SELECT count(*) FROM sqlite_master").get();
  } catch (e) {
    db?.close();
    throw new StoreError(
      "STORE_UNREADABLE",
      `Cannot open the store ${path}: ${(e as Error).message}. Check the file's permissions, or move it away ` +
        "(the server then starts with an empty journal).",
      { path },
      { cause: e },
    );
  }
  // WAL + NORMAL: a COMMIT writes the WAL to the OS (survives kill -9) without fsync; SqliteStore then
  // fdatasyncs the WAL itself, off the event loop, and resolves a write only once that returned. So an
  // acknowledged write survives power loss (what FULL gives) while the loop keeps serving during the
  // fsync, and writes committed meanwhile share the next one (group commit). Checkpoints still fsync
  // the WAL before copying it into the database (NORMAL does that).
  db.pragma("synchronous = NORMAL");
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  return db;
}

function migrate(db: Database.Database, path: string): void {
  const version = db.pragma("user_version", { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new StoreError(
      "STORE_TOO_NEW",
      `The store ${path} has schema version ${version}, newer than this server understands (${SCHEMA_VERSION}). ` +
        "Run the newer server, or restore a backup made before the upgrade.",
      { path, version, supported: SCHEMA_VERSION },
    );
  }
  for (let v = version; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      (MIGRATIONS[v] as (d: Database.Database) => void)(db);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}

/**
 * The SQLite store. All SQL of the store lives in this module.
 *
 * better-sqlite3 is synchronous, so a synchronous=FULL commit would block the event loop for its fsync.
 * Instead writes are queued and committed together (one transaction per task) under synchronous=NORMAL, which writes the WAL without fsync, and the store fdatasyncs the WAL on
 * the thread pool (`syncSoon`). Each write runs in its own savepoint, so one failing write rejects only its
 * own promise. A promise resolves only once an fsync that started after its COMMIT returned, and journal
 * readers see only such events (`durableSequence`): an event is durable before anyone sees it.
 */
export class SqliteStore implements Store {
  readonly journalId: string;
  private readonly now: () => number;
  private readonly retentionMs: number;
  private readonly idempotencyMaxAgeMs: number;
  private queue: QueuedWrite[] = [];
  private flushScheduled = false;
  private closed = false;
  /** The WAL file, opened at the first sync: what `fdatasync` makes durable. */
  private walFd: number | undefined;
  /** Commits not yet fsync'ed: their writes resolve (and their events become readable) after the fsync. */
  private unsynced: Unsynced[] = [];
  private inFlight: InFlightSync[] = [];
  /**
   * The highest journal sequence known to be on disk. Readers of the journal never see past it: an event
   * committed but not yet fsync'ed could vanish with a power loss, and its sequence be reused.
   */
  private durableSequence = 0;
  private readonly savepoint: (fn: () => unknown) => unknown;
  private readonly sql;
  /** Prepared once per distinct query text (which filters are set, how many statuses). */
  private readonly listOrderStatements = new Map<string, Database.Statement<(string | number)[], OrderRow>>();

  /** @internal use `openSqliteStore` */
  constructor(
    private readonly db: Database.Database,
    private readonly lock: OwnerLock,
    private readonly options: SqliteStoreOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.retentionMs = (options.retentionDays ?? DEFAULT_JOURNAL_RETENTION_DAYS) * DAY_MS;
    this.idempotencyMaxAgeMs = options.idempotencyMaxAgeMs ?? DEFAULT_IDEMPOTENCY_MAX_AGE_MS;
    this.savepoint = db.transaction((fn: () => unknown) => fn());
    this.sql = {
      meta: db.prepare<[string], { value: string }>("SELECT value FROM meta WHERE key = ?"),
      setMeta: db.prepare<[string, string]>(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      ),
      deleteMeta: db.prepare<[string]>("DELETE FROM meta WHERE key = ?"),
      append: db.prepare<[JournalStream, number, string]>(
        "INSERT INTO journal (stream, at, payload) VALUES (?, ?, ?)",
      ),
      readAfter: db.prepare<[JournalStream, number, number, number], JournalRow>(
        `SELECT sequence, stream, at, payload FROM journal WHERE stream = ? AND sequence > ? AND sequence <= ?
         ORDER BY sequence LIMIT ?`,
      ),
      first: db.prepare<[], { sequence: number }>("SELECT sequence FROM journal ORDER BY sequence LIMIT 1"),
      last: db.prepare<[], { seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'journal'"),
      journalHead: db.prepare<[number], { sequence: number; at: number }>(
        "SELECT sequence, at FROM journal ORDER BY sequence LIMIT ?",
      ),
      deleteJournalThrough: db.prepare<[number]>("DELETE FROM journal WHERE sequence <= ?"),
      upsertOrder: db.prepare<[string, string, string, string | null, string | null, number, number, string]>(
        `INSERT INTO orders (id, account_id, status, client_order_id, perm_id, updated_at, finished, snapshot)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id, status = excluded.status,
           client_order_id = excluded.client_order_id, perm_id = excluded.perm_id,
           updated_at = excluded.updated_at, finished = excluded.finished, snapshot = excluded.snapshot
         WHERE excluded.updated_at >= orders.updated_at`,
      ),
      getOrder: db.prepare<[string], OrderRow>("SELECT * FROM orders WHERE id = ?"),
      deleteOrders: db.prepare<[number, number]>(
        "DELETE FROM orders WHERE id IN (SELECT id FROM orders WHERE finished = 1 AND updated_at < ? LIMIT ?)",
      ),
      addFill: db.prepare<[string, string, string, number, string]>(
        "INSERT INTO fills (execution_id, order_id, account_id, at, fill) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
      ),
      listFills: db.prepare<[string, number, number, number], FillRow>(
        "SELECT * FROM fills WHERE account_id = ? AND at >= ? AND at <= ? ORDER BY at, execution_id LIMIT ?",
      ),
      // A fill of an order still working stays: its order may need it for a long-lived position.
      deleteFills: db.prepare<[number, number]>(
        `DELETE FROM fills WHERE execution_id IN (
           SELECT execution_id FROM fills WHERE at < ?
             AND order_id NOT IN (SELECT id FROM orders WHERE finished = 0) LIMIT ?)`,
      ),
      getIdempotency: db.prepare<[string], { record: string; corrupt: number }>(
        "SELECT record, corrupt FROM idempotency WHERE client_order_id = ?",
      ),
      putIdempotency: db.prepare<[string, string, number, number]>(
        `INSERT INTO idempotency (client_order_id, record, updated_at, corrupt) VALUES (?, ?, ?, ?)
         ON CONFLICT (client_order_id) DO UPDATE SET record = excluded.record, updated_at = excluded.updated_at,
           corrupt = excluded.corrupt`,
      ),
      deleteIdempotency: db.prepare<[string]>("DELETE FROM idempotency WHERE client_order_id = ?"),
      // Corrupt rows are never expired: only an operator may unblock such a key.
      expireIdempotency: db.prepare<[number, number]>(
        `DELETE FROM idempotency WHERE client_order_id IN (
           SELECT client_order_id FROM idempotency WHERE corrupt = 0 AND updated_at < ? LIMIT ?)`,
      ),
      noteWindow: db.prepare<[string, number]>(
        `INSERT INTO rate_limit_windows (endpoint, busy_until) VALUES (?, ?)
         ON CONFLICT (endpoint) DO UPDATE SET busy_until = max(busy_until, excluded.busy_until)`,
      ),
      windows: db.prepare<[number], { endpoint: string; busy_until: number }>(
        "SELECT endpoint, busy_until FROM rate_limit_windows WHERE busy_until > ?",
      ),
      expireWindows: db.prepare<[number, number]>(
        `DELETE FROM rate_limit_windows WHERE endpoint IN (
           SELECT endpoint FROM rate_limit_windows WHERE busy_until <= ? LIMIT ?)`,
      ),
      quarantine: db.prepare<[string, string, number]>(
        "INSERT INTO quarantine (source, raw, at) VALUES (?, ?, ?)",
      ),
    };
    this.journalId = (this.sql.meta.get("journal_id") as { value: string }).value;
    // Migrations ran under synchronous=NORMAL: on disk before anything is served.
    this.syncNow();
    this.durableSequence = this.sql.last.get()?.seq ?? 0;
  }

  // --- journal ---

  append(stream: JournalStream, payload: JsonValue): Promise<JournalEntry> {
    const text = JSON.stringify(payload);
    return this.write(() => this.appendNow(stream, text));
  }

  async readAfter(stream: JournalStream, afterSequence: number, limit: number): Promise<JournalEvent[]> {
    this.readable();
    return this.sql.readAfter.all(stream, afterSequence, this.durableSequence, limit).map((r) => ({
      sequence: r.sequence,
      stream: r.stream,
      at: r.at,
      payload: JSON.parse(r.payload) as JsonValue,
    }));
  }

  async bounds(): Promise<JournalBounds> {
    this.readable();
    return this.boundsNow();
  }

  encodeCursor(sequence: number): string {
    return encodeCursor(this.journalId, sequence);
  }

  async checkCursor(cursor: string): Promise<CursorCheck> {
    this.readable();
    return checkCursor(cursor, this.journalId, this.boundsNow());
  }

  // --- orders and fills ---

  upsertOrder(o: OrderSnapshot): Promise<boolean> {
    const snapshot = JSON.stringify(o.snapshot);
    return this.write(
      () =>
        this.sql.upsertOrder.run(
          o.id,
          o.accountId,
          o.status,
          o.clientOrderId ?? null,
          o.permId ?? null,
          o.updatedAt,
          o.finished ? 1 : 0,
          snapshot,
        ).changes > 0,
    );
  }

  async getOrder(id: string): Promise<OrderSnapshot | undefined> {
    this.readable();
    const row = this.sql.getOrder.get(id);
    return row && orderOf(row);
  }

  async listOrders(q: OrderQuery): Promise<OrderSnapshot[]> {
    this.readable();
    // Built from fixed fragments only; every value is a bound parameter.
    const where: string[] = [];
    const params: (string | number)[] = [];
    const add = (clause: string, ...values: (string | number)[]) => {
      where.push(clause);
      params.push(...values);
    };
    if (q.accountId !== undefined) add("account_id = ?", q.accountId);
    if (q.statuses !== undefined) {
      if (q.statuses.length === 0) return [];
      add(`status IN (${q.statuses.map(() => "?").join(", ")})`, ...q.statuses);
    }
    if (q.finished !== undefined) add("finished = ?", q.finished ? 1 : 0);
    if (q.updatedFrom !== undefined) add("updated_at >= ?", q.updatedFrom);
    if (q.updatedTo !== undefined) add("updated_at <= ?", q.updatedTo);
    const sql =
      `SELECT * FROM orders ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ` +
      "ORDER BY updated_at DESC, id LIMIT ?";
    let statement = this.listOrderStatements.get(sql);
    if (!statement) {
      statement = this.db.prepare<(string | number)[], OrderRow>(sql);
      this.listOrderStatements.set(sql, statement);
    }
    return statement.all(...params, q.limit ?? 1000).map(orderOf);
  }

  addFill(f: Fill): Promise<boolean> {
    const fill = JSON.stringify(f.fill);
    return this.write(
      () => this.sql.addFill.run(f.executionId, f.orderId, f.accountId, f.at, fill).changes > 0,
    );
  }

  async listFills(q: FillQuery): Promise<Fill[]> {
    this.readable();
    return this.sql.listFills
      .all(q.accountId, q.from ?? Number.MIN_SAFE_INTEGER, q.to ?? Number.MAX_SAFE_INTEGER, q.limit ?? 1000)
      .map((r) => ({
        executionId: r.execution_id,
        orderId: r.order_id,
        accountId: r.account_id,
        at: r.at,
        fill: JSON.parse(r.fill) as JsonValue,
      }));
  }

  // --- idempotency ---

  async getIdempotency(clientOrderId: string): Promise<IdempotencyLookup> {
    this.readable();
    return this.lookupNow(clientOrderId);
  }

  private lookupNow(clientOrderId: string): IdempotencyLookup {
    const row = this.sql.getIdempotency.get(clientOrderId);
    if (!row) return { status: "absent" };
    if (row.corrupt === 0) {
      try {
        const record = JSON.parse(row.record) as unknown;
        if (isRecord(record) && record.clientOrderId === clientOrderId) return { status: "present", record };
      } catch {
        /* falls through: a row we cannot read blocks its key */
      }
    }
    return { status: "corrupt", clientOrderId, raw: row.record };
  }

  async listIdempotency(): Promise<IdempotencyLookup[]> {
    this.readable();
    return this.db
      .prepare<[], { client_order_id: string }>("SELECT client_order_id FROM idempotency")
      .all()
      .map((r) => this.lookupNow(r.client_order_id));
  }

  putIdempotency(record: IdempotencyRecord): Promise<void> {
    const text = JSON.stringify(record);
    return this.write(() => {
      this.putIdempotencyNow(record, text);
    });
  }

  putIdempotencyWithEvent(record: IdempotencyRecord, orderEvent: JsonValue): Promise<JournalEntry> {
    const text = JSON.stringify(record);
    const payload = JSON.stringify(orderEvent);
    // One savepoint inside one transaction: both rows or neither.
    return this.write(() => {
      this.putIdempotencyNow(record, text);
      return this.appendNow("order", payload);
    });
  }

  deleteIdempotency(clientOrderId: string): Promise<void> {
    return this.write(() => {
      this.sql.deleteIdempotency.run(clientOrderId);
    });
  }

  // --- rate-limit memory ---

  noteEndpointWindow(endpoint: string, busyUntil: number): Promise<void> {
    return this.write(() => {
      this.sql.noteWindow.run(endpoint, Math.ceil(busyUntil));
    });
  }

  setPenaltyUntil(until: number | null): Promise<void> {
    return this.write(() => {
      if (until === null) this.sql.deleteMeta.run("penalty_until");
      else this.sql.setMeta.run("penalty_until", String(Math.ceil(until)));
    });
  }

  async rateLimitMemory(now = this.now()): Promise<RateLimitMemory> {
    this.readable();
    const windows: Record<string, number> = {};
    for (const r of this.sql.windows.all(now)) windows[r.endpoint] = r.busy_until;
    const penalty = Number(this.sql.meta.get("penalty_until")?.value ?? NaN);
    return { windows, penaltyUntil: Number.isFinite(penalty) && penalty > now ? penalty : null };
  }

  // --- retention ---

  retentionStep(options: RetentionOptions = {}): Promise<RetentionStep> {
    const now = options.now ?? this.now();
    const batch = Math.max(1, Math.floor(options.batchSize ?? 500));
    const cutoff = now - this.retentionMs;
    return this.write(() => {
      const journal = this.purgeJournal(cutoff, batch);
      const orders = this.sql.deleteOrders.run(cutoff, batch).changes;
      const fills = this.sql.deleteFills.run(cutoff, batch).changes;
      const idempotency = this.sql.expireIdempotency.run(now - this.idempotencyMaxAgeMs, batch).changes;
      const rateLimits = this.sql.expireWindows.run(now, batch).changes;
      const more = [journal, orders, fills, idempotency, rateLimits].some((n) => n >= batch);
      return { journal, orders, fills, idempotency, rateLimits, more };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    while (this.inFlight.length > 0) await this.inFlight[this.inFlight.length - 1]!.done;
    try {
      this.syncNow();
      this.settle(this.unsynced.splice(0));
    } catch (e) {
      for (const c of this.unsynced.splice(0)) c.fail(e);
    }
    if (this.walFd !== undefined) closeSync(this.walFd);
    this.walFd = undefined;
    this.db.close();
    this.lock.release();
  }

  /**
   * Imports the file store's `idempotency.jsonl` once: the rows and a "done" mark in one transaction, then
   * the file is renamed `*.migrated`. A crash between the two leaves the mark, so the next open only renames.
   * @internal called by `openSqliteStore`
   */
  importJsonl(dataDir: string): void {
    const path = join(dataDir, IDEMPOTENCY_JSONL_FILE);
    if (!existsSync(path)) return;
    if (this.sql.meta.get("jsonl_imported_at") === undefined) {
      const parsed = parseIdempotencyJsonl(readFileSync(path, "utf8"));
      const at = this.now();
      this.db
        .transaction(() => {
          for (const r of parsed.records) this.putIdempotencyNow(r, JSON.stringify(r));
          for (const c of parsed.corrupt) this.sql.putIdempotency.run(c.clientOrderId, c.raw, at, 1);
          for (const raw of parsed.unrecoverable) this.sql.quarantine.run(IDEMPOTENCY_JSONL_FILE, raw, at);
          this.sql.setMeta.run("jsonl_imported_at", new Date(at).toISOString());
        })
        .immediate();
      // On disk before the file is renamed away.
      this.syncNow();
      this.options.logger?.[parsed.corrupt.length + parsed.unrecoverable.length ? "warn" : "info"]?.(
        {
          records: parsed.records.length,
          blockedKeys: parsed.corrupt.map((c) => c.clientOrderId),
          quarantined: parsed.unrecoverable.length,
          tornTail: parsed.tornTail !== undefined,
        },
        `store: imported ${IDEMPOTENCY_JSONL_FILE}`,
      );
    }
    renameSync(path, `${path}.migrated`);
    syncDir(dataDir);
  }

  // --- internals ---

  private appendNow(stream: JournalStream, payloadText: string): JournalEntry {
    const at = this.now();
    const sequence = Number(this.sql.append.run(stream, at, payloadText).lastInsertRowid);
    return { sequence, at };
  }

  private putIdempotencyNow(record: IdempotencyRecord, text: string): void {
    const t = Date.parse(record.updatedAt);
    this.sql.putIdempotency.run(record.clientOrderId, text, Number.isFinite(t) ? t : this.now(), 0);
  }

  private boundsNow(): JournalBounds {
    const first = this.sql.first.get()?.sequence ?? null;
    return {
      first: first !== null && first <= this.durableSequence ? first : null,
      last: this.durableSequence,
      purgedThrough: Number(this.sql.meta.get("purged_through")?.value ?? 0),
    };
  }

  /**
   * Deletes only a prefix of the journal (the oldest rows, up to the first one still young), so "everything
   * after purged_through is stored" stays true and cursors can be checked against one number.
   */
  private purgeJournal(cutoff: number, batch: number): number {
    let through = 0;
    let count = 0;
    for (const row of this.sql.journalHead.iterate(batch)) {
      if (row.at >= cutoff) break;
      through = row.sequence;
      count++;
    }
    if (count === 0) return 0;
    this.sql.deleteJournalThrough.run(through);
    this.sql.setMeta.run("purged_through", String(through));
    return count;
  }

  private write<T>(run: () => T): Promise<T> {
    if (this.closed) return Promise.reject(closedError());
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, resolve: resolve as (v: never) => void, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // Committed once the current task's writes are queued (a microtask), not a turn of the event loop
        // later behind other sockets' I/O: a commit without fsync costs little, and the fsyncs are what
        // is grouped (syncSoon). The order path's SUBMITTED event so waits for one fsync, nothing more.
        queueMicrotask(() => this.flush());
      }
    });
  }

  /** Reads see every write already requested (read-your-writes), at the cost of committing it now. */
  private readable(): void {
    if (this.closed) throw closedError();
    if (this.queue.length > 0) this.flush();
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0 || this.closed) return;
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      this.db
        .transaction(() => {
          for (const w of batch) {
            try {
              outcomes.push({ ok: true, value: this.savepoint(w.run) });
            } catch (e) {
              outcomes.push({ ok: false, value: e });
            }
          }
        })
        .immediate();
    } catch (e) {
      // COMMIT (or BEGIN) failed: nothing of the batch is durable.
      for (const w of batch) w.reject(e);
      return;
    }
    // Committed, not yet durable: resolved once the WAL's fsync returns (syncSoon).
    this.unsynced.push({
      lastSequence: this.sql.last.get()?.seq ?? 0,
      settle: () =>
        batch.forEach((w, i) => {
          const o = outcomes[i] as { ok: boolean; value: unknown };
          if (o.ok) w.resolve(o.value as never);
          else w.reject(o.value);
        }),
      fail: (e) => {
        for (const w of batch) w.reject(e);
      },
    });
    this.syncSoon();
  }

  /**
   * fdatasync of the WAL on libuv's thread pool: the event loop keeps serving while the disk works. Each
   * new commit starts its own fsync at once (up to MAX_SYNCS_IN_FLIGHT; beyond, commits wait and share the
   * next one: group commit), so an event never queues behind an fsync that started before it was written.
   * An fsync that returns makes durable every commit made before it started, earlier fsyncs' included.
   */
  private syncSoon(): void {
    if (this.unsynced.length === 0 || this.inFlight.length >= MAX_SYNCS_IN_FLIGHT) return;
    let fd: number;
    try {
      fd = this.wal();
    } catch (e) {
      for (const c of this.unsynced.splice(0)) c.fail(e);
      return;
    }
    const sync: InFlightSync = { covered: this.unsynced.splice(0), done: Promise.resolve() };
    this.inFlight.push(sync);
    sync.done = new Promise<void>((resolve) => {
      fdatasync(fd, (err) => {
        const i = this.inFlight.indexOf(sync);
        if (err) {
          // Only this fsync's own commits are in doubt; earlier ones wait for their own fsync.
          if (i >= 0) this.inFlight.splice(i, 1);
          for (const c of sync.covered) c.fail(err);
        } else if (i >= 0) {
          for (const earlier of this.inFlight.splice(0, i + 1)) this.settle(earlier.covered);
        }
        resolve();
        if (!this.closed) this.syncSoon();
      });
    });
  }

  private settle(covered: { settle: () => void; lastSequence: number }[]): void {
    for (const c of covered) this.durableSequence = Math.max(this.durableSequence, c.lastSequence);
    for (const c of covered) c.settle();
  }

  /** A synchronous fsync of the WAL (start-up, import, close). */
  private syncNow(): void {
    fdatasyncSync(this.wal());
  }

  private wal(): number {
    if (this.walFd === undefined) {
      const path = `${this.db.name}-wal`;
      const created = !existsSync(path);
      this.walFd = openSync(path, created ? "a" : "r");
      // A WAL file SQLite has not created yet (nothing written) is created here, and its name made durable.
      if (created) syncDir(dirname(path));
    }
    return this.walFd;
  }
}

function orderOf(r: OrderRow): OrderSnapshot {
  return {
    id: r.id,
    accountId: r.account_id,
    status: r.status,
    clientOrderId: r.client_order_id,
    permId: r.perm_id,
    updatedAt: r.updated_at,
    finished: r.finished === 1,
    snapshot: JSON.parse(r.snapshot) as JsonValue,
  };
}

function closedError(): StoreError {
  return new StoreError("STORE_CLOSED", "The store is closed.");
}

/** Makes a rename durable; not supported everywhere (Windows), where it is skipped. */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    /* best effort */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
