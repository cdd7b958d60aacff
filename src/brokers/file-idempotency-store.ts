import { mkdir, open, readFile, rename, writeFile, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../logger";
import { keyOfDamaged, parseRecord, type IdempotencyRecord, type IdempotencyStore } from "./idempotency";

export interface FileIdempotencyStoreOptions {
  /** Records not updated for this long are dropped when the store is opened. @default 604_800_000 (7 days) */
  maxAgeMs?: number;
  /** @default "idempotency.jsonl" */
  fileName?: string;
  /** Damaged lines are reported here (error level), a torn last line at warn. */
  logger?: Logger;
  /** Clock, for tests of expiry. @default Date.now */
  now?: () => number;
}

type Line =
  | { op: "put"; record: IdempotencyRecord }
  | { op: "del"; clientOrderId: string; at: string }
  /** A key whose record was found unreadable: kept blocked across compactions and restarts. */
  | { op: "damaged"; clientOrderId: string; reason: string; at: string };

interface Damage {
  reason: string;
  at: string;
}

interface Replayed {
  records: Map<string, IdempotencyRecord>;
  damaged: Map<string, Damage>;
  /** Complete lines that could not be read, named key or not. */
  badLines: number;
}

const DEFAULT_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Opens (creating if needed) the durable clientOrderId store in `dataDir`.
 *
 * The file is an append-only log of JSON lines, each one fsync'ed before `put`/`delete` resolve, so a key
 * that was acknowledged survives a crash or power loss. On open the log is replayed, a torn last line (a
 * crash mid-write) is ignored, expired records are dropped, and the file is rewritten compacted (write to a
 * temporary file, fsync, rename) so it never grows beyond one line per live key plus this run's changes.
 * One data directory must serve one server process.
 *
 * A complete line that cannot be read (bit rot, an edit by hand) is not skipped: the key it names is blocked
 * (`damaged`), because the lost record may have been the one that says an order was placed. The block is
 * written back on compaction, so it survives restarts and expires like any record; the damaged file is
 * kept beside the store (`<file>.damaged-<time>`) for inspection. A line too damaged to name its key can
 * block nothing: it is logged at error level like the rest.
 */
export async function createFileIdempotencyStore(
  dataDir: string,
  options: FileIdempotencyStoreOptions = {},
): Promise<IdempotencyStore> {
  const now = options.now ?? Date.now;
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  const path = join(dataDir, options.fileName ?? "idempotency.jsonl");
  await mkdir(dataDir, { recursive: true, mode: 0o700 });

  const text = await readIfExists(path);
  const { records, damaged, badLines } = replay(text, new Date(now()).toISOString(), options.logger);
  if (badLines > 0) await writeFile(`${path}.damaged-${now()}`, text, { mode: 0o600 });
  const cutoff = now() - maxAgeMs;
  const expired = (at: string) => !(Date.parse(at) >= cutoff);
  for (const [id, r] of records) if (expired(r.updatedAt)) records.delete(id);
  for (const [id, d] of damaged) if (expired(d.at)) damaged.delete(id);
  const lines: Line[] = [
    ...[...records.values()].map((record): Line => ({ op: "put", record })),
    ...[...damaged].map(([clientOrderId, d]): Line => ({ op: "damaged", clientOrderId, ...d })),
  ];
  await rewrite(path, lines.map(serialize).join(""));
  const handle = await open(path, "a", 0o600);
  return new FileIdempotencyStore(records, damaged, handle);
}

class FileIdempotencyStore implements IdempotencyStore {
  /** Lines waiting for the writer, with the callers to resolve once they are on disk. */
  private pending: { text: string; done: () => void; fail: (e: unknown) => void }[] = [];
  private writing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly records: Map<string, IdempotencyRecord>,
    private readonly blocked: Map<string, Damage>,
    private readonly handle: FileHandle,
  ) {}

  damaged(clientOrderId: string): string | undefined {
    return this.blocked.get(clientOrderId)?.reason;
  }

  damagedKeys(): string[] {
    return [...this.blocked.keys()];
  }

  get(clientOrderId: string): IdempotencyRecord | undefined {
    const r = this.records.get(clientOrderId);
    return r ? { ...r } : undefined;
  }

  put(record: IdempotencyRecord): Promise<void> {
    this.assertOpen();
    this.records.set(record.clientOrderId, { ...record });
    return this.append({ op: "put", record });
  }

  delete(clientOrderId: string): Promise<void> {
    this.assertOpen();
    this.records.delete(clientOrderId);
    return this.append({ op: "del", clientOrderId, at: new Date().toISOString() });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.writing) await this.writing;
    await this.handle.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("idempotency store is closed");
  }

  private append(line: Line): Promise<void> {
    return new Promise<void>((done, fail) => {
      this.pending.push({ text: serialize(line), done, fail });
      this.writing ??= this.drain();
    });
  }

  /**
   * One writer at a time; everything queued while a write+fsync runs goes out in the next batch, so
   * concurrent placements share fsyncs instead of waiting for one each.
   */
  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        try {
          await this.handle.write(batch.map((b) => b.text).join(""));
          await this.handle.sync();
          for (const b of batch) b.done();
        } catch (e) {
          for (const b of batch) b.fail(e);
        }
      }
    } finally {
      this.writing = undefined;
    }
  }
}

function serialize(line: Line): string {
  return `${JSON.stringify(line)}\n`;
}

async function readIfExists(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw e;
  }
}

function replay(text: string, nowIso: string, logger?: Logger): Replayed {
  const records = new Map<string, IdempotencyRecord>();
  const damaged = new Map<string, Damage>();
  let badLines = 0;
  const lines = text.split("\n");
  // Text after the last newline was never completed: a write torn by a crash. Everything before it was
  // fsync'ed whole, so a complete line that does not read back is damage, not a crash.
  const torn = lines.pop();
  if (torn) logger?.warn({ bytes: torn.length }, "idempotency store: ignoring a torn last line");
  lines.forEach((raw, i) => {
    if (raw.trim() === "") return;
    const line = readLine(raw);
    if (line && line.op === "put") {
      if (!damaged.has(line.record.clientOrderId)) records.set(line.record.clientOrderId, line.record);
      return;
    }
    if (line && line.op === "del") {
      records.delete(line.clientOrderId);
      return;
    }
    if (line) {
      // A block written by an earlier run: it stays.
      damaged.set(line.clientOrderId, { reason: line.reason, at: line.at });
      records.delete(line.clientOrderId);
      return;
    }
    badLines++;
    const key = keyOfDamaged(raw);
    logger?.error(
      { line: i + 1, clientOrderId: key },
      key
        ? "idempotency store: unreadable record; its clientOrderId is blocked"
        : "idempotency store: unreadable line naming no clientOrderId; nothing can be blocked for it",
    );
    if (!key) return;
    // Blocked even when a later line reads well: whichever line was damaged, what the key did is unsure.
    if (!damaged.has(key)) damaged.set(key, { reason: `unreadable line ${i + 1}`, at: nowIso });
    records.delete(key);
  });
  return { records, damaged, badLines };
}

/** One line of the log, checked whole; null when any part of it does not read as written. */
function readLine(raw: string): Line | null {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof v !== "object" || v === null) return null;
  const line = v as Record<string, unknown>;
  const key = line.clientOrderId;
  switch (line.op) {
    case "put": {
      const record = parseRecord(line.record);
      return record ? { op: "put", record } : null;
    }
    case "del":
      return typeof key === "string" && key !== "" && typeof line.at === "string"
        ? { op: "del", clientOrderId: key, at: line.at }
        : null;
    case "damaged":
      return typeof key === "string" &&
        key !== "" &&
        typeof line.reason === "string" &&
        typeof line.at === "string"
        ? { op: "damaged", clientOrderId: key, reason: line.reason, at: line.at }
        : null;
    default:
      return null;
  }
}

/** Replaces the file atomically: a crash leaves either the old or the new content, never a mix. */
async function rewrite(path: string, content: string): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, "w", 0o600);
  try {
    await fh.write(content);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  await syncDir(join(path, ".."));
}

async function syncDir(dir: string): Promise<void> {
  // Makes the rename itself durable; not supported on every platform (Windows), where it is skipped.
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, "r");
    await fh.sync();
  } catch {
    /* best effort */
  } finally {
    await fh?.close();
  }
}
