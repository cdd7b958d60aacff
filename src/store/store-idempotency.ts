import type { IdempotencyRecord, IdempotencyStore } from "../brokers/idempotency";
import { StoreError } from "./errors";
import type { Store } from "./store";

/**
 * The clientOrderId store over the durable store: a write-through cache loaded at start, because
 * `IdempotencyStore.get` is synchronous. `put` and `delete` resolve once committed, and only then change
 * the cache: a write that failed leaves the cache saying what the disk says.
 *
 * The PENDING record is written on its own, not with a journal event (`putIdempotencyWithEvent`): the
 * placement flow has no event to journal at that point. An order event needs the order IB numbers, which
 * exists only once the placement was answered; a PENDING key is what a crash leaves to be reconciled
 * against IB, and the NEW event follows once the order is seen.
 */
export async function createStoreIdempotencyStore(store: Store): Promise<IdempotencyStore> {
  if (!store.listIdempotency) {
    throw new StoreError(
      "STORE_UNREADABLE",
      "This store cannot list its idempotency keys, so a retried clientOrderId could place a second order.",
    );
  }
  const records = new Map<string, IdempotencyRecord>();
  const damaged = new Map<string, string>();
  for (const row of await store.listIdempotency()) {
    if (row.status === "present") records.set(row.record.clientOrderId, row.record);
    else if (row.status === "corrupt") {
      damaged.set(row.clientOrderId, "its stored record cannot be read (damaged row in the store)");
    }
  }
  return new StoreIdempotencyStore(store, records, damaged);
}

class StoreIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly store: Store,
    private readonly records: Map<string, IdempotencyRecord>,
    private readonly blocked: Map<string, string>,
  ) {}

  get(clientOrderId: string): IdempotencyRecord | undefined {
    return this.records.get(clientOrderId);
  }

  async put(record: IdempotencyRecord): Promise<void> {
    await this.store.putIdempotency(record);
    this.records.set(record.clientOrderId, { ...record });
  }

  async delete(clientOrderId: string): Promise<void> {
    await this.store.deleteIdempotency(clientOrderId);
    this.records.delete(clientOrderId);
  }

  damaged(clientOrderId: string): string | undefined {
    return this.blocked.get(clientOrderId);
  }

  damagedKeys(): string[] {
    return [...this.blocked.keys()];
  }

  /** The store is the app's to close (it holds the journal too). */
  async close(): Promise<void> {}
}
