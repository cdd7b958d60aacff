import { StoreError, type StoreErrorCode } from "./errors";

/**
 * A write refused because this instance is no longer the leader: the database holds a newer cluster epoch
 * than the one it writes under (another instance took over), or it stepped down and holds none.
 */
export const FENCED: StoreErrorCode = "FENCED";

export function fencedError(mine: number | null, current: number | null): StoreError {
  const message =
    mine === null
      ? "This instance is not the leader: it does not write. Send the mutation to the leader."
      : `This instance's leadership (epoch ${mine}) has ended: the cluster is at epoch ${current ?? "?"}. ` +
        "The write was refused; the new leader carries on.";
  return new StoreError(FENCED, message, { epoch: mine, currentEpoch: current });
}

export function isFenced(e: unknown): e is StoreError {
  return e instanceof StoreError && e.code === FENCED;
}

/** A database URL for a log line or an error message: without its password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparsable DATABASE_URL)";
  }
}
