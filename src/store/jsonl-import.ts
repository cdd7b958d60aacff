import type { IdempotencyRecord } from "../brokers/idempotency";

/** The file `createFileIdempotencyStore` (src/brokers/file-idempotency-store.ts) writes in DATA_DIR. */
export const IDEMPOTENCY_JSONL_FILE = "idempotency.jsonl";

export interface JsonlImport {
  records: IdempotencyRecord[];
  /** Lines that could not be read but whose key could be recovered: imported as blocked keys. */
  corrupt: { clientOrderId: string; raw: string }[];
  /** Lines without a recoverable key: kept verbatim in the quarantine table for an operator. */
  unrecoverable: string[];
  /** Text after the last newline: a write torn by a crash, never acknowledged (today's store ignores it too). */
  tornTail: string | undefined;
}

type Line = { op: "put"; record: IdempotencyRecord } | { op: "del"; clientOrderId: string };

const KEY_PATTERN = /"clientOrderId"\s*:\s*"((?:[^"\\]|\\.)*)"/;

/**
 * Replays the append-only log the way the file store does (later lines win, `del` removes), except that an
 * unreadable line is not skipped: today that line may be the only trace of a key, and forgetting a key can
 * place an order twice. Its key, when it can still be found in the text, ends up blocked.
 */
export function parseIdempotencyJsonl(text: string): JsonlImport {
  const records = new Map<string, IdempotencyRecord>();
  const corrupt = new Map<string, string>();
  const unrecoverable: string[] = [];
  const lines = text.split("\n");
  const torn = lines.pop();
  for (const raw of lines) {
    if (raw.trim() === "") continue;
    const line = readLine(raw);
    if (line?.op === "put") {
      records.set(line.record.clientOrderId, line.record);
      corrupt.delete(line.record.clientOrderId);
    } else if (line?.op === "del") {
      records.delete(line.clientOrderId);
      corrupt.delete(line.clientOrderId);
    } else {
      const key = recoverKey(raw);
      if (key === undefined) {
        unrecoverable.push(raw);
      } else {
        records.delete(key);
        corrupt.set(key, raw);
      }
    }
  }
  return {
    records: [...records.values()],
    corrupt: [...corrupt].map(([clientOrderId, raw]) => ({ clientOrderId, raw })),
    unrecoverable,
    tornTail: torn ? torn : undefined,
  };
}

function readLine(raw: string): Line | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const line = value as Partial<{ op: string; record: Partial<IdempotencyRecord>; clientOrderId: unknown }>;
  if (line.op === "put" && isRecord(line.record)) return { op: "put", record: line.record };
  if (line.op === "del" && typeof line.clientOrderId === "string") {
    return { op: "del", clientOrderId: line.clientOrderId };
  }
  return undefined;
}

const STATES = new Set(["PENDING", "PLACED", "CONFIRMATION", "UNKNOWN", "FAILED"]);

/** The fields the placement logic relies on; anything less is a corrupt record. */
export function isRecord(r: unknown): r is IdempotencyRecord {
  const o = r as Partial<IdempotencyRecord> | null;
  return (
    typeof o === "object" &&
    o !== null &&
    typeof o.clientOrderId === "string" &&
    typeof o.fingerprint === "string" &&
    typeof o.state === "string" &&
    STATES.has(o.state) &&
    typeof o.accountId === "string" &&
    typeof o.updatedAt === "string"
  );
}

function recoverKey(raw: string): string | undefined {
  const m = KEY_PATTERN.exec(raw);
  if (!m) return undefined;
  try {
    return JSON.parse(`"${m[1]}"`) as string;
  } catch {
    return undefined;
  }
}
