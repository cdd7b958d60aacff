import type { IdempotencyRecord } from "../brokers/idempotency";

/** Defaults every store implementation applies, stated once. */
export const DEFAULT_JOURNAL_RETENTION_DAYS = 30;
/** Same as the file store's expiry, so a key lives as long as it did before the move to a database. */
export const DEFAULT_IDEMPOTENCY_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;
export const DAY_MS = 24 * 60 * 60 * 1000;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * The journal's streams. They share ONE sequence: a sequence number orders every event of the server, so a
 * single cursor position is meaningful on any stream, and "strictly increasing" needs one counter, not two.
 * A stream read therefore sees gaps (the other stream's numbers); callers must not expect `n + 1`.
 */
export type JournalStream = "order" | "session";

export interface JournalEntry {
  /** Strictly increasing across restarts and never reused, even after retention emptied the journal. */
  sequence: number;
  /** Epoch ms at which the event was journaled. */
  at: number;
}

export interface JournalEvent extends JournalEntry {
  stream: JournalStream;
  payload: JsonValue;
}

export interface JournalBounds {
  /** Lowest sequence still stored (any stream); null when the journal is empty. */
  first: number | null;
  /** Highest sequence ever assigned; 0 before the first append. Survives retention. */
  last: number;
  /** Every sequence up to and including this one was deleted by retention; 0 when nothing was. */
  purgedThrough: number;
}

/** A parsed cursor: "everything after `sequence` of journal `journalId`". */
export interface CursorPosition {
  journalId: string;
  sequence: number;
}

export type CursorRejection = "MALFORMED" | "OTHER_JOURNAL" | "PURGED" | "AHEAD";

/** A typed answer rather than a throw, so the caller maps a refusal to its own error (CURSOR_INVALID). */
export type CursorCheck =
  | { ok: true; afterSequence: number }
  | { ok: false; reason: CursorRejection; message: string; bounds: JournalBounds };

/** Indexed columns of an order; the whole snapshot is kept alongside as JSON. */
export interface OrderSnapshot {
  /** Unique across both APIs (the caller's unified order id). */
  id: string;
  accountId: string;
  status: string;
  clientOrderId?: string | null;
  permId?: string | null;
  /** Epoch ms. An upsert with an older `updatedAt` than the stored one is ignored (a late, stale snapshot). */
  updatedAt: number;
  /** Filled, cancelled, rejected…: only finished orders are ever removed by retention. */
  finished: boolean;
  snapshot: JsonValue;
}

export interface OrderQuery {
  accountId?: string;
  statuses?: readonly string[];
  finished?: boolean;
  /** Inclusive epoch ms bounds on `updatedAt`. */
  updatedFrom?: number;
  updatedTo?: number;
  /** @default 1000 */
  limit?: number;
}

export interface Fill {
  /** The broker's execution id; a fill seen twice is stored once. */
  executionId: string;
  orderId: string;
  accountId: string;
  /** Epoch ms of the execution. */
  at: number;
  fill: JsonValue;
}

export interface FillQuery {
  accountId: string;
  /** Inclusive epoch ms bounds on `at`. */
  from?: number;
  to?: number;
  /** @default 1000 */
  limit?: number;
}

/**
 * What the store knows of one clientOrderId. `corrupt` is a record that exists but cannot be read: the key
 * stays blocked (a placement under it must be refused) until an operator deletes it, because forgetting it
 * could place the same order twice.
 */
export type IdempotencyLookup =
  | { status: "absent" }
  | { status: "present"; record: IdempotencyRecord }
  | { status: "corrupt"; clientOrderId: string; raw: string };

/** The Client Portal scheduler's memory, so a restarted server waits out its predecessor's windows. */
export interface RateLimitMemory {
  /** Endpoint key → epoch ms before which the endpoint must not be called. Only entries still in force. */
  windows: Record<string, number>;
  /** Epoch ms of the end of an active 429 penalty, or null. */
  penaltyUntil: number | null;
}

export interface RetentionOptions {
  /** @default Date.now() */
  now?: number;
  /** Rows deleted per table per step, so one step holds the write lock for milliseconds. @default 500 */
  batchSize?: number;
}

export interface RetentionStep {
  journal: number;
  orders: number;
  fills: number;
  idempotency: number;
  rateLimits: number;
  /** More rows are due: schedule another step (after yielding to the event loop). */
  more: boolean;
}

/** A value the leader read of IB (positions, account values), with when it was written (epoch ms). */
export interface StoredSnapshot {
  at: number;
  value: JsonValue;
}

/**
 * The durable layer under the order journal, orders, fills, idempotency keys and rate-limit memory.
 *
 * Every method is async so a PostgreSQL implementation fits the same shape. Writes resolve only once
 * committed durably: callers publish an event to subscribers after `append` resolved, never before
 * ("journal before delivering").
 */
export interface Store {
  /** Random id created with the database; cursors carry it so another database's cursor is refused. */
  readonly journalId: string;

  append(stream: JournalStream, payload: JsonValue): Promise<JournalEntry>;
  /** Events of `stream` with a sequence above `afterSequence`, oldest first, at most `limit`. */
  readAfter(stream: JournalStream, afterSequence: number, limit: number): Promise<JournalEvent[]>;
  bounds(): Promise<JournalBounds>;
  encodeCursor(sequence: number): string;
  /** Parses and checks a client's cursor against this journal. */
  checkCursor(cursor: string): Promise<CursorCheck>;

  /** Returns false when the stored snapshot is newer (the upsert was ignored). */
  upsertOrder(order: OrderSnapshot): Promise<boolean>;
  getOrder(id: string): Promise<OrderSnapshot | undefined>;
  /** Newest first. */
  listOrders(query: OrderQuery): Promise<OrderSnapshot[]>;
  /** Returns false for an execution id already stored. */
  addFill(fill: Fill): Promise<boolean>;
  /** Oldest first. */
  listFills(query: FillQuery): Promise<Fill[]>;

  getIdempotency(clientOrderId: string): Promise<IdempotencyLookup>;
  /**
   * Every stored key (present or corrupt), for a cache loaded at start: `IdempotencyStore.get` is
   * synchronous. Optional only so that a store written before it still compiles; the server refuses to
   * start on a store without it (a key it cannot list could place an order twice).
   */
  listIdempotency?(): Promise<IdempotencyLookup[]>;
  putIdempotency(record: IdempotencyRecord): Promise<void>;
  /**
   * Stores the record and journals the order's event (its PENDING event) in ONE transaction: after a crash
   * either both exist or neither, so a key is never PENDING without its event, nor the reverse.
   */
  putIdempotencyWithEvent(record: IdempotencyRecord, orderEvent: JsonValue): Promise<JournalEntry>;
  deleteIdempotency(clientOrderId: string): Promise<void>;

  /** Keeps the later of the stored and the given time. */
  noteEndpointWindow(endpoint: string, busyUntil: number): Promise<void>;
  setPenaltyUntil(until: number | null): Promise<void>;
  rateLimitMemory(now?: number): Promise<RateLimitMemory>;

  /**
   * The leader's last read of IB under `key` (e.g. `positions:DU1`), replaced at each write, so standbys
   * can answer reads without talking to IB. Optional: only the shared (PostgreSQL) store has them.
   */
  putSnapshot?(key: string, value: JsonValue): Promise<void>;
  getSnapshot?(key: string): Promise<StoredSnapshot | undefined>;

  /** One small retention step; the caller schedules it off the hot path and repeats while `more`. */
  retentionStep(options?: RetentionOptions): Promise<RetentionStep>;

  /** Commits what is queued, closes the database and releases the DATA_DIR lock. */
  close(): Promise<void>;
}
