import type { GraphQLFormattedError } from "graphql";

/**
 * What the server refused, or why the request never got an answer. `code` is the server's
 * `extensions.code` (FORBIDDEN, CURSOR_INVALID, ORDER_REJECTED, …), or one of the client's own:
 * `NETWORK_ERROR`, `HTTP_ERROR`, `HANDLER_ERROR`, `SOCKET_CLOSED`.
 */
export class IbkrClientError extends Error {
  constructor(
    message: string,
    public readonly code: string,
    public readonly errors: readonly GraphQLFormattedError[] = [],
    /** The HTTP status, when the error came from an HTTP request. */
    public readonly status?: number,
  ) {
    super(message);
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = "IbkrClientError";
  }

  static fromErrors(errors: readonly GraphQLFormattedError[], status?: number): IbkrClientError {
    const first = errors[0];
    const code = typeof first?.extensions?.code === "string" ? first.extensions.code : "GRAPHQL_ERROR";
    return new IbkrClientError(errors.map((e) => e.message).join("; "), code, errors, status);
  }
}

/**
 * The server cannot replay from the cursor given: it belongs to another journal (the server runs on another
 * DATA_DIR, or restored an older backup), its events were purged by JOURNAL_RETENTION_DAYS, or it is ahead
 * of the journal. Re-read `orders`, then follow `orderUpdates` again without `after` (or from the
 * `latestCursor` / `oldestCursor` in the error's extensions).
 */
export function isCursorError(e: unknown): e is IbkrClientError {
  if (!(e instanceof IbkrClientError)) return false;
  if (e.code === "CURSOR_INVALID") return true;
  // Before the durable journal, the server refuses a cursor it cannot honour as BAD_USER_INPUT with
  // `lastSequence` in the extensions.
  return e.code === "BAD_USER_INPUT" && e.errors.some((x) => x.extensions?.lastSequence !== undefined);
}
