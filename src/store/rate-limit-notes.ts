import type { Store } from "./store";

/**
 * Client Portal's rate-limit windows, written to the store a moment after they are noted, coalesced per
 * endpoint. Each store write is an fsync (synchronous=FULL) that blocks the event loop for a few ms; one per
 * upstream request put that cost on every read's answer (the uncached-reads figure). A short delay takes it off
 * the answer's path and folds a burst into one commit, and it stays safe: a restarted process cannot be up and
 * calling IB within `delayMs` of the note that matters (start-up alone takes hundreds of ms), and `flush()` runs
 * on an orderly stop. Penalties are rare and written at once.
 */
export interface RateLimitNotes {
  noteWindow(endpoint: string, busyUntil: number): void;
  notePenalty(until: number): void;
  /** Writes what is pending; resolves when it is durable. */
  flush(): Promise<void>;
}

export function createRateLimitNotes(
  store: Pick<Store, "noteEndpointWindow" | "setPenaltyUntil">,
  onError: (what: string, err: unknown) => void,
  delayMs = 50,
): RateLimitNotes {
  const pending = new Map<string, number>();
  let timer: NodeJS.Timeout | null = null;
  const flush = async (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = null;
    const batch = [...pending];
    pending.clear();
    await Promise.all(
      batch.map(([endpoint, until]) =>
        store.noteEndpointWindow(endpoint, until).catch((e: unknown) => onError("window", e)),
      ),
    );
  };
  return {
    noteWindow(endpoint, busyUntil) {
      pending.set(endpoint, Math.max(pending.get(endpoint) ?? 0, busyUntil));
      if (!timer) {
        timer = setTimeout(() => void flush(), delayMs);
        timer.unref();
      }
    },
    notePenalty(until) {
      void store.setPenaltyUntil(until).catch((e: unknown) => onError("penalty", e));
    },
    flush,
  };
}
