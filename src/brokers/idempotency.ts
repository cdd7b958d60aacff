import { createHash } from "node:crypto";
import { BrokerApi } from "../schema/enums";
import type { ContractInput } from "../schema/contract.type";
import type { BracketTerms, OrderTerms } from "./order-terms";

/** What every readable record knows: the key, the terms it was used for, and the API it went to. */
interface RecordBase {
  clientOrderId: string;
  /** The normalized order terms; a different one under the same key is IDEMPOTENCY_CONFLICT. */
  fingerprint: string;
  api: BrokerApi;
  accountId: string;
  updatedAt: string;
}

/**
 * What the server remembers of one clientOrderId, one variant per state, so each state carries exactly the
 * fields its replay needs. Survives restarts when the store is durable.
 */
export type IdempotencyRecord =
  /**
   * Written before the order is sent: a crash from here on leaves a key that must be reconciled. No order id
   * yet (spelled out so that a record rewritten as PENDING may clear one).
   */
  | (RecordBase & { state: "PENDING"; orderId?: undefined })
  | (RecordBase & { state: "PLACED"; orderId: string })
  /** Client Portal asked a question (precautionary warning); nothing is placed until it is answered. */
  | (RecordBase & { state: "CONFIRMATION"; replyId: string; messages: string[]; messageIds: string[] })
  /** Sent, but the answer was lost: reconciled against IB, never resent blindly. */
  | (RecordBase & { state: "UNKNOWN" })
  /** IB rejected it; a retry gets the same rejection. `orderId` when IB numbered the rejected order. */
  | (RecordBase & { state: "FAILED"; errorCode: string; errorMessage: string; orderId?: string });

export type IdempotencyState = IdempotencyRecord["state"];

export interface IdempotencyStore {
  get(clientOrderId: string): IdempotencyRecord | undefined;
  put(record: IdempotencyRecord): Promise<void>;
  delete(clientOrderId: string): Promise<void>;
  /**
   * Why this key is blocked, if its stored record could not be read back (a damaged line of a durable
   * store). Whatever the record said, the key may have placed an order, so it is never used again; a store
   * that cannot be damaged leaves this out.
   */
  damaged?(clientOrderId: string): string | undefined;
  /** Every blocked key, for the error log at start. */
  damagedKeys?(): string[];
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

/**
 * The fingerprint of an order's terms and contract as the user gave them (after validation). The key's own
 * id is left out: it is what the fingerprint is stored under.
 */
export function fingerprintOf(
  terms: OrderTerms & { contract: ContractInput; bracket?: BracketTerms | null },
): string {
  const { accountId, contract, side, type, quantity, limitPrice, stopPrice, timeInForce } = terms;
  const fields: unknown[] = [
    accountId,
    contract.conid,
    contract.symbol,
    contract.secType,
    contract.exchange,
    contract.currency,
    side,
    type,
    quantity,
    limitPrice,
    stopPrice,
    timeInForce,
  ];
  // Appended only when set, so the fingerprints of simple orders stored before these fields existed stay valid.
  const extra = {
    trailingAmount: terms.trailingAmount ?? null,
    trailingPercent: terms.trailingPercent ?? null,
    limitOffset: terms.limitOffset ?? null,
    triggerPrice: terms.triggerPrice ?? null,
    goodTillDate: terms.goodTillDate ? terms.goodTillDate.toISOString() : null,
    outsideRth: terms.outsideRth || null,
    ocaGroup: terms.ocaGroup ?? null,
    bracket: terms.bracket ?? null,
    // A combo is its legs: the same key with other legs is another order.
    legs:
      terms.legs?.map((l) => [
        l.contract.conid ?? null,
        l.contract.symbol ?? null,
        l.contract.secType ?? null,
        l.contract.lastTradeDate ?? null,
        l.contract.strike ?? null,
        l.contract.right ?? null,
        l.contract.localSymbol ?? null,
        l.ratio,
        l.side,
      ]) ?? null,
  };
  for (const [k, v] of Object.entries(extra)) if (v != null) fields.push(k, v);
  return createHash("sha256").update(JSON.stringify(fields)).digest("hex").slice(0, 32);
}

const KEY_PATTERN = /"clientOrderId"\s*:\s*"([A-Za-z0-9._:-]{1,64})"/;
const APIS: ReadonlySet<unknown> = new Set(Object.values(BrokerApi));

/**
 * Reads one stored record back, checking that it is a complete record of its state. Anything else is null:
 * the caller decides how loudly to fail (see `keyOfDamaged`).
 */
export function parseRecord(value: unknown): IdempotencyRecord | null {
  if (!isObject(value) || !isText(value.clientOrderId) || !isText(value.updatedAt)) return null;
  if (!isText(value.fingerprint) || !isText(value.accountId) || !APIS.has(value.api)) return null;
  return completeFor(value) ? (value as unknown as IdempotencyRecord) : null;
}

/** Whether the fields its state needs are there. */
function completeFor(v: Record<string, unknown>): boolean {
  switch (v.state) {
    case "PENDING":
    case "UNKNOWN":
      return true;
    case "PLACED":
      return isText(v.orderId);
    case "CONFIRMATION":
      return isText(v.replyId) && isTextList(v.messages) && isTextList(v.messageIds);
    case "FAILED":
      return (
        isText(v.errorCode) &&
        typeof v.errorMessage === "string" &&
        (v.orderId === undefined || isText(v.orderId))
      );
    default:
      return false;
  }
}

/** The clientOrderId a damaged stored line still names, if any, so that key can be blocked. */
export function keyOfDamaged(raw: string): string | null {
  return KEY_PATTERN.exec(raw)?.[1] ?? null;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isText(v: unknown): v is string {
  return typeof v === "string" && v.length > 0;
}

function isTextList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === "string");
}
