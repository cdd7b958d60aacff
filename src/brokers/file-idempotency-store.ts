import { mkdir, open, readFile, rename, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../logger";
import type { IdempotencyRecord, IdempotencyStore } from "./idempotency";

export interface FileIdempotencyStoreOptions {
  /** Records not updated for this long are dropped when the store is opened. @default 604_800_000 (7 days) */
  maxAgeMs?: number;
  /** @default "idempotency.jsonl" */
  fileName?: string;
  /** Skipped (corrupt) lines are reported here. */
  logger?: Logger;
  /** Clock, for tests of expiry. @default Date.now */
  now?: () => number;
}

type Line = { op: "put"; record: IdempotencyRecord } | { op: "del"; clientOrderId: string; at: string };

const DEFAULT_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Opens (creating if needed) the durable clientOrderId store in `dataDir`.
 *
 * The file is an append-only log of JSON lines, each one fsync'ed before `put`/`delete` resolve, so a key
 * that was acknowledged survives a crash or power loss. On open the log is replayed, a torn last line (a
 * crash mid-write) is ignored, expired records are dropped, and the file is rewritten compacted (write to a
 * temporary file, fsync, rename) so it never grows beyond one line per live key plus this run's changes.
 * One data directory must serve one server process.
 */
export async function createFileIdempotencyStore(
  dataDir: string,
  options: FileIdempotencyStoreOptions = {},
): Promise<IdempotencyStore> {
  const now = options.now ?? Date.now;
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  const path = join(dataDir, options.fileName ?? "idempotency.jsonl");
  await mkdir(dataDir, { recursive: true, mode: 0o700 });

  const records = replay(await readIfExists(path), options.logger);
  const cutoff = now() - maxAgeMs;
  for (const [id, r] of records) {
    const t = Date.parse(r.updatedAt);
    if (!Number.isFinite(t) || t < cutoff) records.delete(id);
  }
  await rewrite(path, [...records.values()].map((record) => serialize({ op: "put", record })).join(""));
  const handle = await open(path, "a", 0o600);
  return new FileIdempotencyStore(records, handle);
}

class FileIdempotencyStore implements IdempotencyStore {
  /** Lines waiting for the writer, with the callers to resolve once they are on disk. */
  private pending: { text: string; done: () => void; fail: (e: unknown) => void }[] = [];
  private writing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly records: Map<string, IdempotencyRecord>,
    private readonly handle: FileHandle,
  ) {}

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

function replay(text: string, logger?: Logger): Map<string, IdempotencyRecord> {
  const records = new Map<string, IdempotencyRecord>();
  const lines = text.split("\n");
  // Text after the last newline was never completed: a write torn by a crash. Everything before it was
  // fsync'ed whole.
  const torn = lines.pop();
  if (torn) logger?.warn({ bytes: torn.length }, "idempotency store: ignoring a torn last line");
  lines.forEach((raw, i) => {
    if (raw.trim() === "") return;
    let line: Line;
    try {
      line = JSON.parse(raw) as Line;
    } catch {
      logger?.warn({ line: i + 1 }, "idempotency store: skipping an unreadable line");
      return;
    }
    if (line.op === "put" && typeof line.record?.clientOrderId === "string") {
      records.set(line.record.clientOrderId, line.record);
    } else if (line.op === "del" && typeof line.clientOrderId === "string") {
      records.delete(line.clientOrderId);
    }
  });
  return records;
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
