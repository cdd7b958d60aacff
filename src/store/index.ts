export { checkCursor, encodeCursor, parseCursor } from "./cursor";
export { StoreError, type StoreErrorCode } from "./errors";
export { IDEMPOTENCY_JSONL_FILE } from "./jsonl-import";
export { FENCED, isFenced } from "./pg-errors";
export { openPgStore, PG_SCHEMA_VERSION, PgStore, type PgStoreOptions, type StoreImport } from "./pg-store";
export { migrateSqliteToPg, type MigrationReport } from "./migrate-store";
export { DEFAULT_JOURNAL_RETENTION_DAYS } from "./store";
export {
  openSqliteStore,
  SCHEMA_VERSION,
  SqliteStore,
  wipeSqliteStore,
  type SqliteStoreOptions,
} from "./sqlite-store";
export type {
  CursorCheck,
  CursorPosition,
  CursorRejection,
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
export { createStoreIdempotencyStore } from "./store-idempotency";
export { createOrderHistory } from "./order-history";
export { createRateLimitNotes, type RateLimitNotes } from "./rate-limit-notes";
