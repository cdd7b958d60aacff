import { randomUUID } from "node:crypto";
import pg from "pg";
import type { IdempotencyRecord } from "../brokers/idempotency";
import { checkCursor, encodeCursor } from "./cursor";
import { StoreError } from "./errors";
import { isRecord } from "./jsonl-import";
import { fencedError, isFenced, redactUrl } from "./pg-errors";
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
  StoredSnapshot,
} from "./store";

/**
 * Advisory lock keys, two-int form: (namespace, object). The namespace is "IBKR" in ASCII, so these keys
 * do not collide with another application's advisory locks in a shared database.
 */
export const ADVISORY_NAMESPACE = 0x49424b52;
export const ADVISORY_MIGRATIONS = 1;
export const ADVISORY_LEADER = 2;

/** The channel `NOTIFY journal, '<sequence>'` is sent on after each committed append. */
export const JOURNAL_CHANNEL = "journal";

export interface PgStoreOptions {
  /** Journal events, finished orders and fills older than this are removed by `retentionStep`. @default 30 */
  retentionDays?: number;
  /** @default 604_800_000 (7 days, as the SQLite store) */
  idempotencyMaxAgeMs?: number;
  /** A connection not made by then fails the open, or the read or write that needed it. @default 10_000 */
  connectTimeoutMs?: number;
  /** Connections of the pool; one writes at a time, the rest serve reads. @default 5 */
  poolSize?: number;
  /**
   * Fencing: the cluster epoch this instance writes under. Every write transaction first reads the epoch
   * in the database (`FOR SHARE`) and is refused with FENCED if it differs, so a leader that was replaced
   * cannot write. `null`: fenced but not (yet) the writer, every write is refused. Omitted: no fencing
   * (a single instance). See `setEpoch`.
   */
  epoch?: number | null;
  /**
   * A transaction left open longer than this is ended by the server: a paused process must not hold the
   * cluster row (which would hold up the next leader's epoch increment) nor the journal head. Half the
   * default lease: a healthy store is never idle inside its few-millisecond transactions. @default 5_000
   */
  idleInTransactionTimeoutMs?: number;
  logger?: { warn(obj: object, msg: string): void };
  /** Clock for tests. @default Date.now */
  now?: () => number;
}

/**
 * Versioned schema: index i brings the database from version i to i + 1, each in the transaction that
 * records it in `schema_migrations`. Never edit a shipped step.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE store_meta (key text PRIMARY KEY, value text NOT NULL);
  -- One row: the last sequence assigned and the retention watermark. Its row lock serializes appends
  -- (see PgStore), and "last" survives retention, so a sequence is never reused.
  CREATE TABLE journal_head (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    last bigint NOT NULL,
    purged_through bigint NOT NULL
  );
  INSERT INTO journal_head (last, purged_through) VALUES (0, 0);
  -- Payloads are JSON text, not jsonb: text keeps the bytes the server wrote and accepts "\\u0000",
  -- which jsonb refuses.
  CREATE TABLE journal (
    sequence bigint PRIMARY KEY,
    stream text NOT NULL CHECK (stream IN ('order', 'session')),
    at bigint NOT NULL,
    payload text NOT NULL
  );
  CREATE INDEX journal_by_stream ON journal (stream, sequence);
  CREATE TABLE orders (
    id text PRIMARY KEY,
    account_id text NOT NULL,
    status text NOT NULL,
    client_order_id text,
    perm_id text,
    updated_at bigint NOT NULL,
    finished boolean NOT NULL,
    snapshot text NOT NULL
  );
  CREATE INDEX orders_by_account ON orders (account_id, updated_at);
  CREATE INDEX orders_by_status ON orders (status, updated_at);
  CREATE INDEX orders_by_finished ON orders (finished, updated_at);
  CREATE INDEX orders_by_client_order_id ON orders (client_order_id);
  CREATE INDEX orders_by_perm_id ON orders (perm_id);
  CREATE TABLE fills (
    execution_id text PRIMARY KEY,
    order_id text NOT NULL,
    account_id text NOT NULL,
    at bigint NOT NULL,
    fill text NOT NULL
  );
  CREATE INDEX fills_by_account ON fills (account_id, at);
  CREATE INDEX fills_by_at ON fills (at);
  -- record is the JSON text of an IdempotencyRecord; corrupt marks a row that must block its key.
  CREATE TABLE idempotency (
    client_order_id text PRIMARY KEY,
    record text NOT NULL,
    updated_at bigint NOT NULL,
    corrupt boolean NOT NULL DEFAULT false
  );
  CREATE INDEX idempotency_by_updated ON idempotency (corrupt, updated_at);
  CREATE TABLE rate_limit_windows (endpoint text PRIMARY KEY, busy_until bigint NOT NULL);
  -- Leadership: one row. The leader increments epoch when it takes over; writes check it (fencing).
  CREATE TABLE cluster (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    epoch bigint NOT NULL,
    leader_id text,
    leader_url text
  );
  INSERT INTO cluster (epoch) VALUES (0);
  -- The leader's heartbeat, in its own row so that renewing it never waits for (nor blocks) the write
  -- transactions holding the cluster row FOR SHARE.
  CREATE TABLE cluster_lease (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    epoch bigint NOT NULL,
    leader_pid integer NOT NULL,
    renewed_at timestamptz NOT NULL
  );
  `,
  `
  -- What the leader last read of IB (accounts, positions, account values), for standbys to serve with its
  -- time: they never talk to IB themselves.
  CREATE TABLE broker_snapshots (key text PRIMARY KEY, at bigint NOT NULL, value text NOT NULL);
  `,
];

export const PG_SCHEMA_VERSION = MIGRATIONS.length;

/** Everything `importAll` copies: what `migrate-store` read from the SQLite store. */
export interface StoreImport {
  journalId: string;
  bounds: JournalBounds;
  /** Both streams, ascending by sequence. */
  journal: JournalEvent[];
  orders: OrderSnapshot[];
  fills: Fill[];
  idempotency: IdempotencyLookup[];
  rateLimits: RateLimitMemory;
}

interface QueuedWrite {
  run: (client: pg.PoolClient, batch: Batch) => Promise<unknown>;
  resolve: (value: never) => void;
  reject: (error: unknown) => void;
}

/** What one transaction of writes appended, for its single NOTIFY. */
interface Batch {
  lastSequence: number;
}

interface JournalRow {
  sequence: string;
  stream: JournalStream;
  at: string;
  payload: string;
}

interface OrderRow {
  id: string;
  account_id: string;
  status: string;
  client_order_id: string | null;
  perm_id: string | null;
  updated_at: string;
  finished: boolean;
  snapshot: string;
}

interface FillRow {
  execution_id: string;
  order_id: string;
  account_id: string;
  at: string;
  fill: string;
}

/**
 * Opens the store over PostgreSQL at `databaseUrl`, creating or migrating its schema. Throws a `StoreError`
 * (STORE_UNREADABLE when the database cannot be reached, STORE_TOO_NEW) rather than a raw driver error.
 */
export async function openPgStore(databaseUrl: string, options: PgStoreOptions = {}): Promise<PgStore> {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: Math.max(2, options.poolSize ?? 5),
    application_name: "ibkr-graphql store",
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? 5_000,
  });
  // An idle pooled connection that dies (server restart, pg_terminate_backend) is dropped by the pool; the
  // event must have a listener, or it would be thrown as an unhandled 'error'.
  pool.on("error", (e) => options.logger?.warn({ err: e }, "store: an idle PostgreSQL connection failed"));
  try {
    await migratePgSchema(pool, databaseUrl);
    const { rows } = await pool.query<{ value: string }>(
      "SELECT value FROM store_meta WHERE key = 'journal_id'",
    );
    return new PgStore(pool, databaseUrl, (rows[0] as { value: string }).value, options);
  } catch (e) {
    await pool.end().catch(() => undefined);
    if (e instanceof StoreError) throw e;
    throw new StoreError(
      "STORE_UNREADABLE",
      `Cannot open the PostgreSQL store ${redactUrl(databaseUrl)}: ${(e as Error).message}. Check DATABASE_URL, ` +
        "that the server is running and that this role may create tables in the database.",
      { databaseUrl: redactUrl(databaseUrl) },
      { cause: e },
    );
  }
}

/**
 * Brings the schema to `PG_SCHEMA_VERSION` in one transaction, under an advisory lock so instances starting
 * together migrate once. Refuses (STORE_TOO_NEW) a database a newer server migrated. Exported for the
 * leader elector, which needs the `cluster` table even before a store is opened.
 */
export async function migratePgSchema(pool: pg.Pool | pg.ClientBase, databaseUrl = ""): Promise<void> {
  const client = pool instanceof pg.Pool ? await pool.connect() : pool;
  // A lent client has no error listener of the pool's: a session ended between two queries would throw.
  const onError = () => undefined;
  if (pool instanceof pg.Pool) client.on("error", onError);
  try {
    await client.query("BEGIN");
    try {
      await client.query("SELECT pg_advisory_xact_lock($1, $2)", [ADVISORY_NAMESPACE, ADVISORY_MIGRATIONS]);
      await client.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations (
           version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const { rows } = await client.query<{ version: number | null }>(
        "SELECT max(version) AS version FROM schema_migrations",
      );
      const version = rows[0]?.version ?? 0;
      if (version > PG_SCHEMA_VERSION) {
        throw new StoreError(
          "STORE_TOO_NEW",
          `The PostgreSQL store ${redactUrl(databaseUrl)} has schema version ${version}, newer than this server ` +
            `understands (${PG_SCHEMA_VERSION}). Run the newer server, or restore a backup made before the upgrade.`,
          { version, supported: PG_SCHEMA_VERSION },
        );
      }
      for (let v = version; v < PG_SCHEMA_VERSION; v++) {
        await client.query(MIGRATIONS[v] as string);
        if (v === 0) {
          await client.query("INSERT INTO store_meta (key, value) VALUES ('journal_id', $1)", [randomUUID()]);
        }
        await client.query("INSERT INTO schema_migrations (version) VALUES ($1)", [v + 1]);
      }
      await client.query("COMMIT");
    } catch (e) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw e;
    }
  } finally {
    if (pool instanceof pg.Pool) {
      client.off("error", onError);
      (client as pg.PoolClient).release();
    }
  }
}

/**
 * The PostgreSQL store. All SQL of the store lives in this module.
 *
 * Sequencing: a sequence is taken by `UPDATE journal_head SET last = last + 1`, inside the transaction that
 * inserts the event. The row lock is held until COMMIT, so the next appender (any connection, any process)
 * gets its number only after the previous one committed or rolled back: sequences are committed in
 * increasing order and without holes (a rolled-back number is handed out again, never seen by anyone). A
 * reader that saw N therefore already sees every event below N — a tailer reading "after N" cannot miss a
 * late commit, which a plain `bigserial` (numbers taken at INSERT, commits in any order) would allow.
 *
 * Writes of this process are queued and committed together, one transaction at a time (group commit, and
 * the journal order is the call order as with SQLite); each write runs in its own savepoint, so a failing
 * write rejects alone. A promise resolves after COMMIT. The NOTIFY of an append is sent inside its
 * transaction, so PostgreSQL delivers it only if, and when, it committed.
 */
export class PgStore implements Store {
  /** Replaced only by `importAll`, which takes over the migrated journal's id. */
  private id: string;
  private readonly now: () => number;
  private readonly retentionMs: number;
  private readonly idempotencyMaxAgeMs: number;
  private queue: QueuedWrite[] = [];
  private flushing: Promise<void> | undefined;
  /** Writes requested and writes settled (committed or refused) so far, for read-your-writes. */
  private requested = 0;
  private settled = 0;
  private readers: { target: number; resolve: () => void }[] = [];
  private closed = false;
  private fencing: boolean;
  private epoch: number | null;
  private listener: JournalListener | undefined;

  /** @internal use `openPgStore` */
  constructor(
    private readonly pool: pg.Pool,
    private readonly databaseUrl: string,
    journalId: string,
    private readonly options: PgStoreOptions,
  ) {
    this.id = journalId;
    this.now = options.now ?? Date.now;
    this.retentionMs = (options.retentionDays ?? DEFAULT_JOURNAL_RETENTION_DAYS) * DAY_MS;
    this.idempotencyMaxAgeMs = options.idempotencyMaxAgeMs ?? DEFAULT_IDEMPOTENCY_MAX_AGE_MS;
    this.fencing = options.epoch !== undefined;
    this.epoch = options.epoch ?? null;
  }

  get journalId(): string {
    return this.id;
  }

  /**
   * The epoch this instance now writes under (it became leader), or null (it stepped down: every write is
   * refused locally, before reaching the database). Turns fencing on if it was off. An epoch can only grow.
   */
  setEpoch(epoch: number | null): void {
    if (epoch !== null && this.epoch !== null && epoch < this.epoch) {
      throw new Error(`The epoch cannot go back (from ${this.epoch} to ${epoch}).`);
    }
    this.fencing = true;
    this.epoch = epoch;
  }

  /**
   * Calls `listener(sequence)` after each committed append of any instance (LISTEN on a dedicated
   * connection), and with the current last sequence whenever that connection was (re-)established, since
   * notifications sent while it was not listening are lost. Returns the unsubscribe function.
   */
  onAppended(listener: (sequence: number) => void): () => void {
    if (this.closed) throw closedError();
    this.listener ??= new JournalListener(this.databaseUrl, this.options.logger, () => this.lastSequence());
    return this.listener.add(listener);
  }

  // --- journal ---

  append(stream: JournalStream, payload: JsonValue): Promise<JournalEntry> {
    const text = JSON.stringify(payload);
    return this.write((client, batch) => this.appendIn(client, batch, stream, text));
  }

  async readAfter(stream: JournalStream, afterSequence: number, limit: number): Promise<JournalEvent[]> {
    await this.readable();
    return this.readCommittedAfter(stream, afterSequence, limit);
  }

  /**
   * `readAfter` without waiting for this process's own queued writes (read-your-writes): what a tailer
   * woken by NOTIFY needs, since a notification is only sent for a committed append. On a leader that
   * writes all the time, waiting for its queue would put every subscriber behind its group commits.
   */
  async readCommittedAfter(
    stream: JournalStream,
    afterSequence: number,
    limit: number,
  ): Promise<JournalEvent[]> {
    if (this.closed) throw closedError();
    const { rows } = await this.pool.query<JournalRow>(
      `SELECT sequence, stream, at, payload FROM journal WHERE stream = $1 AND sequence > $2
       ORDER BY sequence LIMIT $3`,
      [stream, afterSequence, limit],
    );
    return rows.map((r) => ({
      sequence: Number(r.sequence),
      stream: r.stream,
      at: Number(r.at),
      payload: JSON.parse(r.payload) as JsonValue,
    }));
  }

  async bounds(): Promise<JournalBounds> {
    await this.readable();
    return this.boundsNow();
  }

  encodeCursor(sequence: number): string {
    return encodeCursor(this.journalId, sequence);
  }

  async checkCursor(cursor: string): Promise<CursorCheck> {
    await this.readable();
    return checkCursor(cursor, this.journalId, await this.boundsNow());
  }

  // --- orders and fills ---

  upsertOrder(o: OrderSnapshot): Promise<boolean> {
    const snapshot = JSON.stringify(o.snapshot);
    return this.write(async (client) => {
      const r = await client.query(
        `INSERT INTO orders (id, account_id, status, client_order_id, perm_id, updated_at, finished, snapshot)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id, status = excluded.status,
           client_order_id = excluded.client_order_id, perm_id = excluded.perm_id,
           updated_at = excluded.updated_at, finished = excluded.finished, snapshot = excluded.snapshot
         WHERE excluded.updated_at >= orders.updated_at`,
        [
          o.id,
          o.accountId,
          o.status,
          o.clientOrderId ?? null,
          o.permId ?? null,
          o.updatedAt,
          o.finished,
          snapshot,
        ],
      );
      return (r.rowCount ?? 0) > 0;
    });
  }

  async getOrder(id: string): Promise<OrderSnapshot | undefined> {
    await this.readable();
    const { rows } = await this.pool.query<OrderRow>("SELECT * FROM orders WHERE id = $1", [id]);
    return rows[0] && orderOf(rows[0]);
  }

  async listOrders(q: OrderQuery): Promise<OrderSnapshot[]> {
    await this.readable();
    // Built from fixed fragments only; every value is a bound parameter.
    const where: string[] = [];
    const params: (string | number | boolean | readonly string[])[] = [];
    const add = (clause: string, value: string | number | boolean | readonly string[]) => {
      params.push(value);
      where.push(clause.replace("?", `$${params.length}`));
    };
    if (q.accountId !== undefined) add("account_id = ?", q.accountId);
    if (q.statuses !== undefined) {
      if (q.statuses.length === 0) return [];
      add("status = ANY(?::text[])", q.statuses);
    }
    if (q.finished !== undefined) add("finished = ?", q.finished);
    if (q.updatedFrom !== undefined) add("updated_at >= ?", q.updatedFrom);
    if (q.updatedTo !== undefined) add("updated_at <= ?", q.updatedTo);
    params.push(q.limit ?? 1000);
    const { rows } = await this.pool.query<OrderRow>(
      `SELECT * FROM orders ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ` +
        `ORDER BY updated_at DESC, id COLLATE "C" LIMIT $${params.length}`,
      params,
    );
    return rows.map(orderOf);
  }

  addFill(f: Fill): Promise<boolean> {
    const fill = JSON.stringify(f.fill);
    return this.write(async (client) => {
      const r = await client.query(
        `INSERT INTO fills (execution_id, order_id, account_id, at, fill) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING`,
        [f.executionId, f.orderId, f.accountId, f.at, fill],
      );
      return (r.rowCount ?? 0) > 0;
    });
  }

  async listFills(q: FillQuery): Promise<Fill[]> {
    await this.readable();
    const { rows } = await this.pool.query<FillRow>(
      `SELECT * FROM fills WHERE account_id = $1 AND at >= $2 AND at <= $3
       ORDER BY at, execution_id COLLATE "C" LIMIT $4`,
      [q.accountId, q.from ?? Number.MIN_SAFE_INTEGER, q.to ?? Number.MAX_SAFE_INTEGER, q.limit ?? 1000],
    );
    return rows.map((r) => ({
      executionId: r.execution_id,
      orderId: r.order_id,
      accountId: r.account_id,
      at: Number(r.at),
      fill: JSON.parse(r.fill) as JsonValue,
    }));
  }

  // --- idempotency ---

  async getIdempotency(clientOrderId: string): Promise<IdempotencyLookup> {
    await this.readable();
    const { rows } = await this.pool.query<IdempotencyRow>(
      "SELECT client_order_id, record, corrupt FROM idempotency WHERE client_order_id = $1",
      [clientOrderId],
    );
    return rows[0] ? lookupOf(rows[0]) : { status: "absent" };
  }

  async listIdempotency(): Promise<IdempotencyLookup[]> {
    await this.readable();
    const { rows } = await this.pool.query<IdempotencyRow>(
      "SELECT client_order_id, record, corrupt FROM idempotency",
    );
    return rows.map(lookupOf);
  }

  putIdempotency(record: IdempotencyRecord): Promise<void> {
    const text = JSON.stringify(record);
    return this.write((client) => this.putIdempotencyIn(client, record, text));
  }

  putIdempotencyWithEvent(record: IdempotencyRecord, orderEvent: JsonValue): Promise<JournalEntry> {
    const text = JSON.stringify(record);
    const payload = JSON.stringify(orderEvent);
    // One savepoint inside one transaction: both rows or neither.
    return this.write(async (client, batch) => {
      await this.putIdempotencyIn(client, record, text);
      return this.appendIn(client, batch, "order", payload);
    });
  }

  deleteIdempotency(clientOrderId: string): Promise<void> {
    return this.write(async (client) => {
      await client.query("DELETE FROM idempotency WHERE client_order_id = $1", [clientOrderId]);
    });
  }

  // --- the leader's last reads, for standbys ---

  putSnapshot(key: string, value: JsonValue): Promise<void> {
    const text = JSON.stringify(value);
    const at = this.now();
    return this.write(async (client) => {
      await client.query(
        `INSERT INTO broker_snapshots (key, at, value) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET at = excluded.at, value = excluded.value`,
        [key, at, text],
      );
    });
  }

  async getSnapshot(key: string): Promise<StoredSnapshot | undefined> {
    await this.readable();
    const { rows } = await this.pool.query<{ at: string; value: string }>(
      "SELECT at, value FROM broker_snapshots WHERE key = $1",
      [key],
    );
    const row = rows[0];
    return row && { at: Number(row.at), value: JSON.parse(row.value) as JsonValue };
  }

  // --- rate-limit memory ---

  noteEndpointWindow(endpoint: string, busyUntil: number): Promise<void> {
    return this.write(async (client) => {
      await client.query(
        `INSERT INTO rate_limit_windows (endpoint, busy_until) VALUES ($1, $2)
         ON CONFLICT (endpoint) DO UPDATE SET busy_until = greatest(rate_limit_windows.busy_until, excluded.busy_until)`,
        [endpoint, Math.ceil(busyUntil)],
      );
    });
  }

  setPenaltyUntil(until: number | null): Promise<void> {
    return this.write(async (client) => {
      if (until === null) await client.query("DELETE FROM store_meta WHERE key = 'penalty_until'");
      else {
        await client.query(
          `INSERT INTO store_meta (key, value) VALUES ('penalty_until', $1)
           ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
          [String(Math.ceil(until))],
        );
      }
    });
  }

  async rateLimitMemory(now = this.now()): Promise<RateLimitMemory> {
    await this.readable();
    const [windowRows, penaltyRows] = await Promise.all([
      this.pool.query<{ endpoint: string; busy_until: string }>(
        "SELECT endpoint, busy_until FROM rate_limit_windows WHERE busy_until > $1",
        [now],
      ),
      this.pool.query<{ value: string }>("SELECT value FROM store_meta WHERE key = 'penalty_until'"),
    ]);
    const windows: Record<string, number> = {};
    for (const r of windowRows.rows) windows[r.endpoint] = Number(r.busy_until);
    const penalty = Number(penaltyRows.rows[0]?.value ?? NaN);
    return { windows, penaltyUntil: Number.isFinite(penalty) && penalty > now ? penalty : null };
  }

  // --- retention ---

  retentionStep(options: RetentionOptions = {}): Promise<RetentionStep> {
    const now = options.now ?? this.now();
    const batch = Math.max(1, Math.floor(options.batchSize ?? 500));
    const cutoff = now - this.retentionMs;
    return this.write(async (client) => {
      const journal = await this.purgeJournal(client, cutoff, batch);
      const count = async (sql: string, params: number[]) => (await client.query(sql, params)).rowCount ?? 0;
      const orders = await count(
        "DELETE FROM orders WHERE id IN (SELECT id FROM orders WHERE finished AND updated_at < $1 LIMIT $2)",
        [cutoff, batch],
      );
      // A fill of an order still working stays: its order may need it for a long-lived position.
      const fills = await count(
        `DELETE FROM fills WHERE execution_id IN (
           SELECT execution_id FROM fills WHERE at < $1
             AND order_id NOT IN (SELECT id FROM orders WHERE NOT finished) LIMIT $2)`,
        [cutoff, batch],
      );
      // Corrupt rows are never expired: only an operator may unblock such a key.
      const idempotency = await count(
        `DELETE FROM idempotency WHERE client_order_id IN (
           SELECT client_order_id FROM idempotency WHERE NOT corrupt AND updated_at < $1 LIMIT $2)`,
        [now - this.idempotencyMaxAgeMs, batch],
      );
      const rateLimits = await count(
        `DELETE FROM rate_limit_windows WHERE endpoint IN (
           SELECT endpoint FROM rate_limit_windows WHERE busy_until <= $1 LIMIT $2)`,
        [now, batch],
      );
      const more = [journal, orders, fills, idempotency, rateLimits].some((n) => n >= batch);
      return { journal, orders, fills, idempotency, rateLimits, more };
    });
  }

  /**
   * Copies another store's whole content into this one, which must be empty (`migrate-store`): the
   * journal keeps its id and every sequence, so the cursors clients hold stay valid on the new store. One
   * transaction: all of it or nothing.
   */
  async importAll(source: StoreImport): Promise<void> {
    await this.readable();
    const client = await this.pool.connect();
    const onError = () => undefined;
    client.on("error", onError);
    try {
      await client.query("BEGIN");
      try {
        const { rows } = await client.query<{ last: string; orders: string; keys: string }>(
          `SELECT (SELECT last FROM journal_head) AS last, (SELECT count(*) FROM orders) AS orders,
                  (SELECT count(*) FROM idempotency) AS keys`,
        );
        const used = rows[0] as { last: string; orders: string; keys: string };
        if (Number(used.last) > 0 || Number(used.orders) > 0 || Number(used.keys) > 0) {
          throw new StoreError(
            "STORE_UNREADABLE",
            `The PostgreSQL store ${redactUrl(this.databaseUrl)} is not empty (journal at ${used.last}, ` +
              `${used.orders} orders, ${used.keys} keys): migrate into a new database.`,
          );
        }
        await client.query("UPDATE store_meta SET value = $1 WHERE key = 'journal_id'", [source.journalId]);
        for (const e of source.journal) {
          await client.query("INSERT INTO journal (sequence, stream, at, payload) VALUES ($1, $2, $3, $4)", [
            e.sequence,
            e.stream,
            e.at,
            JSON.stringify(e.payload),
          ]);
        }
        await client.query("UPDATE journal_head SET last = $1, purged_through = $2", [
          source.bounds.last,
          source.bounds.purgedThrough,
        ]);
        for (const o of source.orders) {
          await client.query(
            `INSERT INTO orders (id, account_id, status, client_order_id, perm_id, updated_at, finished, snapshot)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
            [
              o.id,
              o.accountId,
              o.status,
              o.clientOrderId ?? null,
              o.permId ?? null,
              o.updatedAt,
              o.finished,
              JSON.stringify(o.snapshot),
            ],
          );
        }
        for (const f of source.fills) {
          await client.query(
            `INSERT INTO fills (execution_id, order_id, account_id, at, fill) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT DO NOTHING`,
            [f.executionId, f.orderId, f.accountId, f.at, JSON.stringify(f.fill)],
          );
        }
        for (const k of source.idempotency) {
          if (k.status === "present") {
            await this.putIdempotencyIn(client, k.record, JSON.stringify(k.record));
          } else if (k.status === "corrupt") {
            // Still blocked on the new store: only an operator may free a key whose record is unreadable.
            await client.query(
              "INSERT INTO idempotency (client_order_id, record, updated_at, corrupt) VALUES ($1, $2, $3, true)",
              [k.clientOrderId, k.raw, this.now()],
            );
          }
        }
        for (const [endpoint, until] of Object.entries(source.rateLimits.windows)) {
          await client.query("INSERT INTO rate_limit_windows (endpoint, busy_until) VALUES ($1, $2)", [
            endpoint,
            Math.ceil(until),
          ]);
        }
        if (source.rateLimits.penaltyUntil !== null) {
          await client.query("INSERT INTO store_meta (key, value) VALUES ('penalty_until', $1)", [
            String(Math.ceil(source.rateLimits.penaltyUntil)),
          ]);
        }
        await client.query("COMMIT");
      } catch (e) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw e;
      }
    } finally {
      client.off("error", onError);
      client.release();
    }
    this.id = source.journalId;
  }

  /** Commits what is queued, then closes the pool and the LISTEN connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing) await this.flushing;
    await this.listener?.close();
    await this.pool.end();
  }

  // --- internals ---

  private async appendIn(
    client: pg.PoolClient,
    batch: Batch,
    stream: JournalStream,
    payloadText: string,
  ): Promise<JournalEntry> {
    const at = this.now();
    // The journal_head row lock, held to COMMIT, is what orders sequences by commit (see the class doc).
    const { rows } = await client.query<{ sequence: string }>(
      `WITH head AS (UPDATE journal_head SET last = last + 1 RETURNING last)
       INSERT INTO journal (sequence, stream, at, payload) SELECT last, $1, $2, $3 FROM head
       RETURNING sequence`,
      [stream, at, payloadText],
    );
    const sequence = Number((rows[0] as { sequence: string }).sequence);
    batch.lastSequence = sequence;
    return { sequence, at };
  }

  private async putIdempotencyIn(client: pg.PoolClient, record: IdempotencyRecord, text: string) {
    const t = Date.parse(record.updatedAt);
    await client.query(
      `INSERT INTO idempotency (client_order_id, record, updated_at, corrupt) VALUES ($1, $2, $3, false)
       ON CONFLICT (client_order_id) DO UPDATE SET record = excluded.record, updated_at = excluded.updated_at,
         corrupt = false`,
      [record.clientOrderId, text, Number.isFinite(t) ? t : this.now()],
    );
  }

  private async boundsNow(): Promise<JournalBounds> {
    const { rows } = await this.pool.query<{ first: string | null; last: string; purged_through: string }>(
      `SELECT (SELECT min(sequence) FROM journal) AS first, last, purged_through FROM journal_head`,
    );
    const r = rows[0] as { first: string | null; last: string; purged_through: string };
    return {
      first: r.first === null ? null : Number(r.first),
      last: Number(r.last),
      purgedThrough: Number(r.purged_through),
    };
  }

  private async lastSequence(): Promise<number> {
    return (await this.boundsNow()).last;
  }

  /**
   * Deletes only a prefix of the journal (the oldest rows, up to the first one still young), so "everything
   * after purged_through is stored" stays true and cursors can be checked against one number.
   */
  private async purgeJournal(client: pg.PoolClient, cutoff: number, batch: number): Promise<number> {
    const { rows } = await client.query<{ sequence: string; at: string }>(
      "SELECT sequence, at FROM journal ORDER BY sequence LIMIT $1",
      [batch],
    );
    let through = 0;
    let count = 0;
    for (const row of rows) {
      if (Number(row.at) >= cutoff) break;
      through = Number(row.sequence);
      count++;
    }
    if (count === 0) return 0;
    await client.query("DELETE FROM journal WHERE sequence <= $1", [through]);
    await client.query("UPDATE journal_head SET purged_through = greatest(purged_through, $1)", [through]);
    return count;
  }

  private write<T>(run: (client: pg.PoolClient, batch: Batch) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(closedError());
    if (this.fencing && this.epoch === null) return Promise.reject(fencedError(null, null));
    this.requested++;
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, resolve: resolve as (v: never) => void, reject });
      this.flushing ??= this.flushLoop();
    });
  }

  /**
   * Reads see every write already requested (read-your-writes), as with the SQLite store: they wait for
   * those writes to settle, not for the queue to be empty, so a steady stream of writes cannot starve them.
   */
  private async readable(): Promise<void> {
    if (this.closed) throw closedError();
    const target = this.requested;
    if (this.settled >= target) return;
    await new Promise<void>((resolve) => this.readers.push({ target, resolve }));
  }

  /** One transaction at a time, until the queue is empty: the journal order is the call order. */
  private async flushLoop(): Promise<void> {
    // Yield once so writes requested in the same tick share the transaction.
    await new Promise<void>((r) => setImmediate(r));
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        await this.commitBatch(batch);
        this.settled += batch.length;
        const waiting = this.readers;
        this.readers = [];
        for (const r of waiting) {
          if (r.target <= this.settled) r.resolve();
          else this.readers.push(r);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async commitBatch(batch: QueuedWrite[]): Promise<void> {
    const outcomes: { ok: boolean; value: unknown }[] = [];
    const state: Batch = { lastSequence: 0 };
    let client: pg.PoolClient | undefined;
    let broken: Error | undefined;
    // The pool stops listening for errors on a client it lent: a session ended by the server between two
    // of our queries (idle_in_transaction_session_timeout, pg_terminate_backend) would be an uncaught error.
    const onError = (e: Error) => (broken ??= e);
    try {
      client = await this.pool.connect();
      client.on("error", onError);
      await client.query("BEGIN");
      await this.checkFence(client);
      for (const w of batch) {
        const before = state.lastSequence;
        await client.query("SAVEPOINT w");
        try {
          outcomes.push({ ok: true, value: await w.run(client, state) });
          await client.query("RELEASE SAVEPOINT w");
        } catch (e) {
          state.lastSequence = before;
          outcomes.push({ ok: false, value: e });
          await client.query("ROLLBACK TO SAVEPOINT w");
        }
      }
      if (state.lastSequence > 0) {
        await client.query("SELECT pg_notify($1, $2)", [JOURNAL_CHANNEL, String(state.lastSequence)]);
      }
      await client.query("COMMIT");
    } catch (e) {
      // BEGIN, the fence, a savepoint or COMMIT failed: nothing of the batch is durable.
      broken = e as Error;
      await client?.query("ROLLBACK").catch(() => undefined);
      if (isFenced(e)) {
        this.options.logger?.warn({ epoch: this.epoch }, "store: write refused, another leader took over");
      }
      for (const w of batch) w.reject(e);
      return;
    } finally {
      // A connection that failed mid-transaction is destroyed rather than returned to the pool.
      client?.off("error", onError);
      client?.release(broken && !isFenced(broken) ? broken : undefined);
    }
    batch.forEach((w, i) => {
      const o = outcomes[i] as { ok: boolean; value: unknown };
      if (o.ok) w.resolve(o.value as never);
      else w.reject(o.value);
    });
  }

  /**
   * FOR SHARE keeps the cluster row locked to COMMIT: a new leader's epoch increment (an UPDATE of that row)
   * waits for this transaction, and every transaction after the increment sees the new epoch. So no write of
   * an older epoch can commit once a newer leader has started.
   */
  private async checkFence(client: pg.PoolClient): Promise<void> {
    if (!this.fencing) return;
    const mine = this.epoch;
    if (mine === null) throw fencedError(null, null);
    const { rows } = await client.query<{ epoch: string }>("SELECT epoch FROM cluster FOR SHARE");
    const current = Number((rows[0] as { epoch: string }).epoch);
    if (current !== mine) throw fencedError(mine, current);
  }
}

/** The dedicated LISTEN connection behind `onAppended`, re-established with a back-off when it drops. */
class JournalListener {
  private readonly listeners = new Set<(sequence: number) => void>();
  private client: pg.Client | undefined;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;
  private failures = 0;

  constructor(
    private readonly databaseUrl: string,
    private readonly logger: PgStoreOptions["logger"],
    private readonly lastSequence: () => Promise<number>,
  ) {
    this.connecting = this.connect();
  }

  add(listener: (sequence: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.connecting;
    await this.client?.end().catch(() => undefined);
  }

  private emit(sequence: number): void {
    for (const l of [...this.listeners]) l(sequence);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.databaseUrl,
      application_name: "ibkr-graphql listen",
    });
    client.on("notification", (n) => {
      const sequence = Number(n.payload);
      if (n.channel === JOURNAL_CHANNEL && Number.isSafeInteger(sequence)) this.emit(sequence);
    });
    client.on("error", (e) => this.lost(client, e));
    client.on("end", () => this.lost(client, new Error("connection ended")));
    try {
      await client.connect();
      await client.query(`LISTEN ${JOURNAL_CHANNEL}`);
      if (this.closed) {
        await client.end();
        return;
      }
      this.client = client;
      this.failures = 0;
      // Appends committed before LISTEN was in place sent notifications nobody heard: wake the tailers
      // once now, so none waits for the next append to see them.
      this.emit(await this.lastSequence());
    } catch (e) {
      client.removeAllListeners("end");
      await client.end().catch(() => undefined);
      this.lost(client, e as Error);
    } finally {
      this.connecting = undefined;
    }
  }

  private lost(client: pg.Client, e: Error): void {
    if (this.closed || (this.client !== undefined && this.client !== client)) return;
    if (this.client === client) this.client = undefined;
    if (this.retryTimer) return;
    this.failures++;
    this.logger?.warn({ err: e }, "store: the journal LISTEN connection was lost; reconnecting");
    const delay = Math.min(5_000, 100 * 2 ** Math.min(this.failures, 6));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.closed) this.connecting = this.connect();
    }, delay);
    this.retryTimer.unref();
  }
}

interface IdempotencyRow {
  client_order_id: string;
  record: string;
  corrupt: boolean;
}

/** A row we cannot read blocks its key (corrupt), rather than vanishing and freeing it. */
function lookupOf(row: IdempotencyRow): IdempotencyLookup {
  if (!row.corrupt) {
    try {
      const record = JSON.parse(row.record) as unknown;
      if (isRecord(record) && record.clientOrderId === row.client_order_id)
        return { status: "present", record };
    } catch {
      /* falls through */
    }
  }
  return { status: "corrupt", clientOrderId: row.client_order_id, raw: row.record };
}

function orderOf(r: OrderRow): OrderSnapshot {
  return {
    id: r.id,
    accountId: r.account_id,
    status: r.status,
    clientOrderId: r.client_order_id,
    permId: r.perm_id,
    updatedAt: Number(r.updated_at),
    finished: r.finished,
    snapshot: JSON.parse(r.snapshot) as JsonValue,
  };
}

function closedError(): StoreError {
  return new StoreError("STORE_CLOSED", "The store is closed.");
}
