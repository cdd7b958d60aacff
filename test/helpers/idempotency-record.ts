import type { IdempotencyRecord } from "../../src/brokers/idempotency";
import { BrokerApi } from "../../src/schema/enums";

/**
 * A PLACED idempotency record for `id` through TWS, or whatever state and fields `over` gives; `over` is
 * loose (any fields) so a test can also set one its state does not have.
 */
export function idempotencyRecord(id: string, over: Record<string, unknown> = {}): IdempotencyRecord {
  return {
    clientOrderId: id,
    fingerprint: `fp-${id}`,
    state: "PLACED",
    api: BrokerApi.TWS,
    accountId: "DU1234567",
    orderId: `9${id.length}`,
    updatedAt: new Date().toISOString(),
    ...over,
  } as IdempotencyRecord;
}
