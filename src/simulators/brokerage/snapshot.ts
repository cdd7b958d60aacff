import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { BookState } from "./book";
import type { Brokerage } from "./brokerage";
import type { SimInstrument } from "./instruments";

/** What the file says it is, so a stray JSON file in DATA_DIR is not taken for a book. */
const FORMAT = "ibkr-graphql simulated brokerage";
/** Bumped when a saved book can no longer be read as-is; an older file is then refused, not misread. */
export const SNAPSHOT_VERSION = 1;
export const SNAPSHOT_FILE = "brokerage.json";

export interface SnapshotOptions {
  /** Directory of the snapshot file (SIMULATED mode: `DATA_DIR/simulated`, beside the server's store). */
  dir: string;
  /** Ignore (and delete) a saved book: start from an empty brokerage. @default false */
  fresh?: boolean;
  /** @default "brokerage.json" */
  fileName?: string;
  /** Also save this often, for the prices (which move without an order event). @default 5000 */
  everyMs?: number;
  /** Coalesce order changes into one write per this many ms at most. @default 25 */
  coalesceMs?: number;
  logger?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

/** A saved book that cannot be used: the message says which file, why, and what to do. */
export class SnapshotError extends Error {
  constructor(
    message: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "SnapshotError";
  }
}

export interface BrokeragePersistence {
  readonly path: string;
  /** Whether a saved book was loaded at start. */
  readonly restored: boolean;
  /** Writes the book now (after any write in flight). */
  save(): Promise<void>;
  /** Stops saving on changes and writes the book one last time. */
  close(): Promise<void>;
  /** Stops saving without a last write (a start that failed: the file keeps the book it had). */
  abandon(): void;
}

/**
 * Keeps a simulated brokerage in a file, so SIMULATED mode survives restarts: the saved book (accounts,
 * cash, positions, orders including resting ones, executions, next ids, price levels) is loaded at once,
 * then written after every order change (coalesced), periodically and on close.
 *
 * A write is atomic: a temporary file, fsync'ed, renamed over the old one, then the directory fsync'ed. A
 * crash leaves the previous book or the new one, never half of one. The book is serialized generically
 * (Maps and Sets tagged, instruments matched back by conid), so fields added to orders later are kept
 * without a change here. The simulator stands in for IB, whose book is durable; a kill -9 can lose the
 * last coalescing window of changes, which the server then sees as orders IB no longer reports.
 */
export function persistBrokerage(brokerage: Brokerage, options: SnapshotOptions): BrokeragePersistence {
  const path = join(options.dir, options.fileName ?? SNAPSHOT_FILE);
  try {
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new SnapshotError(
      `Cannot create ${options.dir} for the simulated brokerage: ${(e as Error).message}.`,
      path,
      { cause: e },
    );
  }
  let restored = false;
  if (options.fresh) {
    rmSync(path, { force: true });
  } else {
    const text = readIfPresent(path);
    if (text !== undefined) {
      brokerage.restoreState(decode(text, path, brokerage));
      restored = true;
    }
  }

  let writing: Promise<void> | undefined;
  let again = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const write = async (): Promise<void> => {
    // Serialized at once, in one turn: the file is one consistent state of the book.
    const text = encode(brokerage);
    const tmp = `${path}.tmp`;
    const fh = await open(tmp, "w", 0o600);
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    await syncDir(options.dir);
  };

  const save = (): Promise<void> => {
    if (writing) {
      again = true;
      return writing;
    }
    writing = write()
      .catch((err: unknown) => {
        options.logger?.warn({ err, path }, "could not save the simulated brokerage");
      })
      .finally(() => {
        writing = undefined;
        if (again) {
          again = false;
          void save();
        }
      });
    return writing;
  };

  const soon = () => {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void save();
    }, options.coalesceMs ?? 25);
  };
  const offs = [brokerage.on("order", soon), brokerage.on("execution", soon), brokerage.on("reset", soon)];
  const periodic = setInterval(() => void save(), options.everyMs ?? 5000);
  periodic.unref();

  const stop = () => {
    closed = true;
    clearInterval(periodic);
    clearTimeout(timer);
    timer = undefined;
    for (const off of offs) off();
  };

  return {
    path,
    restored,
    save,
    abandon: stop,
    async close() {
      if (closed) return;
      stop();
      while (writing) await writing;
      await write().catch((err: unknown) => {
        throw new SnapshotError(
          `Could not save the simulated brokerage to ${path}: ${(err as Error).message}`,
          path,
          { cause: err },
        );
      });
      await rm(`${path}.tmp`, { force: true });
    },
  };
}

function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new SnapshotError(`Cannot read the simulated brokerage ${path}: ${(e as Error).message}.`, path, {
      cause: e,
    });
  }
}

interface SnapshotFile {
  format: typeof FORMAT;
  version: number;
  savedAt: string;
  state: Partial<BookState>;
}

function encode(brokerage: Brokerage): string {
  const state = brokerage.exportState();
  // Options are priced from their underlying: only the walked prices are kept.
  const quotes = new Map(
    [...state.quotes].filter(([conid]) => brokerage.findInstrument({ conid })?.underlyingConid === undefined),
  );
  const file: SnapshotFile = {
    format: FORMAT,
    version: SNAPSHOT_VERSION,
    savedAt: new Date().toISOString(),
    state: { ...state, quotes },
  };
  return JSON.stringify(file, (key, value: unknown) => {
    // An order's timers are re-armed on restore (Brokerage.restoreState), never saved.
    if (key === "timers") return undefined;
    if (value instanceof Map) return { $map: [...value] };
    if (value instanceof Set) return { $set: [...value] };
    return value;
  });
}

function decode(text: string, path: string, brokerage: Brokerage): Partial<BookState> {
  const refuse = (why: string, cause?: unknown): never => {
    throw new SnapshotError(
      `The simulated brokerage saved in ${path} cannot be used: ${why}. Move the file away to keep it, or ` +
        "start with --fresh (SIM_FRESH=true) for an empty simulated brokerage (this also starts a new journal).",
      path,
      { cause },
    );
  };
  let file: SnapshotFile;
  try {
    file = JSON.parse(text, (key, value: unknown) => {
      if (isTagged(value, "$map")) return new Map(value.$map as [unknown, unknown][]);
      if (isTagged(value, "$set")) return new Set(value.$set as unknown[]);
      if (key === "instrument" && isInstrument(value)) {
        // The same object the book lists, so identity and freezing hold; an instrument no longer listed
        // (an expired option) keeps its saved definition.
        return brokerage.findInstrument({ conid: value.conid }) ?? Object.freeze(value);
      }
      return value;
    }) as SnapshotFile;
  } catch (e) {
    return refuse(`it is not valid JSON (${(e as Error).message}; a torn or edited file)`, e);
  }
  if (file === null || typeof file !== "object" || file.format !== FORMAT) {
    return refuse("it is not a saved simulated brokerage");
  }
  if (file.version > SNAPSHOT_VERSION) {
    return refuse(
      `it was written by a newer version (format ${file.version}, this one reads ${SNAPSHOT_VERSION})`,
    );
  }
  const s = file.state;
  const maps = ["quotes", "cash", "orders", "positions", "refStats"] as const;
  if (
    !s ||
    maps.some((k) => s[k] !== undefined && !(s[k] instanceof Map)) ||
    !Array.isArray(s.executions) ||
    typeof s.nextPermId !== "number" ||
    typeof s.orderSeq !== "number"
  ) {
    return refuse("its state is incomplete");
  }
  return s;
}

function isTagged<K extends string>(v: unknown, tag: K): v is Record<K, unknown> {
  return (
    v !== null &&
    typeof v === "object" &&
    !Array.isArray(v) &&
    Array.isArray((v as Record<string, unknown>)[tag])
  );
}

function isInstrument(v: unknown): v is SimInstrument {
  return v !== null && typeof v === "object" && typeof (v as { conid?: unknown }).conid === "number";
}

/** Makes the rename durable; not supported everywhere (Windows), where it is skipped. */
async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* best effort */
  }
}
