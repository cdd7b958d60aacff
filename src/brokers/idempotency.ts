import type { BrokerApi } from "../schema/enums";

export type IdempotencyState = "PENDING" | "PLACED" | "CONFIRMATION" | "UNKNOWN" | "FAILED";

/** What the server remembers of one clientOrderId. Survives restarts when the store is durable. */
export interface IdempotencyRecord {
  clientOrderId: string;
  /** The normalized order terms; a different one under the same key is IDEMPOTENCY_CONFLICT. */
  fingerprint: string;
  state: IdempotencyState;
  api: BrokerApi;
  accountId: string;
  orderId?: string;
  replyId?: string;
  messages?: string[];
  messageIds?: string[];
  errorCode?: string;
  errorMessage?: string;
  updatedAt: string;
}

export interface IdempotencyStore {
  get(clientOrderId: string): IdempotencyRecord | undefined;
  put(record: IdempotencyRecord): Promise<void>;
  delete(clientOrderId: string): Promise<void>;
  close(): Promise<void>;
}

export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly records = new Map<string, IdempotencyRecord>();
  get(id: string) {
    return this.records.get(id);
  }
  async put(r: IdempotencyRecord) {
    this.records.set(r.clientOrderId, { ...r });
  }
  async delete(id: string) {
    this.records.delete(id);
  }
  async close() {}
}

/** Serializes work per key, so concurrent placements with one clientOrderId run one after the other. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const result = prev.then(fn, fn);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
