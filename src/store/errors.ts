/**
 * Why the store refused. `CURSOR_INVALID` is meant for the API (the caller maps it to a GraphQL error code);
 * the others are start-up failures the server reports and exits on.
 */
export type StoreErrorCode =
  /** A replay cursor that cannot be honoured: malformed, from another journal, purged, or ahead. */
  | "CURSOR_INVALID"
  /** Another live server owns this DATA_DIR. */
  | "STORE_LOCKED"
  /** The database was written by a newer version of this server. */
  | "STORE_TOO_NEW"
  /** The database file cannot be opened or is not a SQLite database. */
  | "STORE_UNREADABLE"
  /** A call after `close()`. */
  | "STORE_CLOSED"
  /**
   * A write refused because this instance no longer leads the cluster (PostgreSQL store): the database
   * holds a newer epoch, or this instance is a standby. See pg-errors.ts.
   */
  | "FENCED";

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "StoreError";
    Object.setPrototypeOf(this, new.target.prototype);
  }
}
