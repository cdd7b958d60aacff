import { randomUUID } from "node:crypto";
import { AppError, ErrorCode } from "../errors";
import { AsyncQueue } from "./async-queue";

// The shapes of src/store/store.ts that this log uses, restated: the store imports the brokers' types, and
// the brokers import this folder, so importing the store from here would close a cycle of layers. The
// assembly (app.ts) hands the store in; it fits structurally.
export type JournalStream = "order" | "session";
type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export interface JournalEntry {
  sequence: number;
  at: number;
}
export interface JournalEvent extends JournalEntry {
  stream: JournalStream;
  payload: JsonValue;
}
export interface JournalBounds {
  first: number | null;
  last: number;
  purgedThrough: number;
}
export type CursorCheck =
  { ok: true; afterSequence: number } | { ok: false; reason: string; message: string; bounds: JournalBounds };

/** The part of the store a journaled log needs; `Store` fits it, and so does `MemoryJournal`. */
export interface Journal {
  readonly journalId: string;
  append(stream: JournalStream, payload: JsonValue): Promise<JournalEntry>;
  readAfter(stream: JournalStream, afterSequence: number, limit: number): Promise<JournalEvent[]>;
  bounds(): Promise<JournalBounds>;
  encodeCursor(sequence: number): string;
  checkCursor(cursor: string): Promise<CursorCheck>;
}

/** Where a subscriber resumes: a cursor (preferred) or, for older clients, a bare sequence. */
export interface ResumeFrom {
  after?: string | null;
  afterSequence?: number | null;
}

export interface JournaledLogOptions {
  journal: Journal;
  stream: JournalStream;
  /** How many undelivered live events one subscriber may have before it is cut off. @default 10_000 */
  subscriberBacklog?: number;
  /** Events read from the journal per replay step. @default 256 */
  pageSize?: number;
  /**
   * Events kept as objects, by sequence. Replays of one event then share one object, and so the subscription
   * engine's one execution per event: 1,000 subscribers replaying the same 100 events execute 100 times,
   * not 100,000. @default 4096
   */
  cacheSize?: number;
  /** An append the journal refused: the event is not delivered (it was never made durable). */
  onAppendError?: (error: unknown) => void;
}

type Sequenced = { sequence: number; cursor: string };

/**
 * An event stream whose every event is journaled before any subscriber sees it, so a sequence (and its
 * cursor) means the same thing after a restart. Subscribers may resume from a position: the journal is
 * replayed page by page as the subscriber pulls (back-pressure: the subscription engine's pacer spaces the
 * pulls), then the subscription continues live without a gap or a repeat.
 */
export class JournaledLog<T extends Sequenced> {
  private readonly subscribers = new Set<{ queue: AsyncQueue<T>; accept: (e: T) => boolean }>();
  /** Appends resolve in order, but publishing is chained too so subscribers always see ascending sequences. */
  private tail: Promise<unknown> = Promise.resolve();
  private readonly pageSize: number;
  private readonly cache = new Map<number, T>();
  private readonly cacheSize: number;

  constructor(private readonly options: JournaledLogOptions) {
    this.pageSize = options.pageSize ?? 256;
    this.cacheSize = options.cacheSize ?? 4096;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  get journalId(): string {
    return this.options.journal.journalId;
  }

  /** Resolves with the event as delivered, once it is durable and published; rejects if it could not be. */
  append(event: Omit<T, keyof Sequenced>): Promise<T> {
    const entry = this.options.journal.append(this.options.stream, toPayload(event));
    const published = this.tail
      .then(() => entry)
      .then((e) => {
        const full = this.sequenced(event, e.sequence);
        for (const s of this.subscribers) if (s.accept(full)) s.queue.push(full);
        return full;
      });
    this.tail = published.catch((e: unknown) => this.options.onAppendError?.(e));
    return published;
  }

  /**
   * Publishes events another process journaled (a standby following the leader's journal), in the order
   * given, which must be ascending and after everything published before. Nothing is appended: they are
   * durable already. Subscribers resuming from a cursor get them exactly as from `append`.
   */
  publishStored(events: readonly JournalEvent[]): void {
    for (const row of events) {
      if (row.stream !== this.options.stream) continue;
      const full =
        this.cache.get(row.sequence) ??
        this.remember(this.sequenced(fromPayload(row.payload) as Omit<T, keyof Sequenced>, row.sequence));
      for (const s of this.subscribers) if (s.accept(full)) s.queue.push(full);
    }
  }

  /** Resolves once every append made so far was published (or failed). */
  async flushed(): Promise<void> {
    await this.tail;
  }

  /**
   * A live subscription, or, with a resume position, a replay of everything after it first. A position the
   * journal cannot honour (malformed, another journal, purged by retention, ahead) is CURSOR_INVALID.
   */
  subscribe(
    accept: (e: T) => boolean = () => true,
    from: ResumeFrom = {},
  ): AsyncIterableIterator<T> | Promise<AsyncIterableIterator<T>> {
    // Live only: registered at once, as the subscribe message is handled, so no event published after it
    // can be missed while a check is awaited.
    if (from.after == null && from.afterSequence == null) return this.register(accept);
    return this.resolve(from).then((after) => {
      const queue = this.register(accept);
      if (after === undefined) return queue;
      return new ResumedSubscription<T>(queue, after, accept, (a) => this.readPage(a));
    });
  }

  /**
   * Registered before the first journal read: an event committed after that read is published after it,
   * so it lands in this queue; one committed before is in the read. The overlap is dropped by sequence.
   */
  private register(accept: (e: T) => boolean): AsyncQueue<T> {
    const entry = {
      accept,
      queue: new AsyncQueue<T>(
        this.options.subscriberBacklog ?? 10_000,
        () => this.subscribers.delete(entry),
        () =>
          new AppError(
            ErrorCode.RATE_LIMITED,
            "Subscriber fell too far behind; resubscribe with `after` set to the last cursor received.",
          ),
      ),
    };
    this.subscribers.add(entry);
    return entry.queue;
  }

  /** Ends every live subscription (server shutdown). */
  closeAll(): void {
    for (const s of [...this.subscribers]) void s.queue.return();
  }

  private async readPage(after: number): Promise<{ events: T[]; complete: boolean }> {
    const rows = await this.options.journal.readAfter(this.options.stream, after, this.pageSize);
    return {
      events: rows.map(
        (r) =>
          this.cache.get(r.sequence) ??
          this.remember(this.sequenced(fromPayload(r.payload) as Omit<T, keyof Sequenced>, r.sequence)),
      ),
      complete: rows.length < this.pageSize,
    };
  }

  private remember(event: T): T {
    this.cache.set(event.sequence, event);
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    return event;
  }

  private sequenced(event: Omit<T, keyof Sequenced>, sequence: number): T {
    return { ...event, sequence, cursor: this.options.journal.encodeCursor(sequence) } as T;
  }

  private async resolve(from: ResumeFrom): Promise<number | undefined> {
    const journal = this.options.journal;
    if (from.after != null && from.afterSequence != null) {
      throw new AppError(ErrorCode.BAD_USER_INPUT, "Pass either `after` or `afterSequence`, not both.");
    }
    if (from.after != null) {
      const check = await journal.checkCursor(from.after);
      if (check.ok) return check.afterSequence;
      throw cursorInvalid(journal, check.reason, check.message, check.bounds);
    }
    if (from.afterSequence != null) {
      const after = from.afterSequence;
      if (after < 0 || !Number.isInteger(after)) {
        throw new AppError(ErrorCode.BAD_USER_INPUT, "afterSequence must be a non-negative integer.");
      }
      // A bare sequence carries no journal id: it is honoured only within this journal's bounds. Sequences
      // now survive restarts, so a resume across one is honoured; one from another database is not
      // detectable here (that is what `after` cursors are for).
      const bounds = await journal.bounds();
      if (after > bounds.last) {
        throw cursorInvalid(
          journal,
          "AHEAD",
          `afterSequence ${after} is ahead of this journal (last ${bounds.last}).`,
          bounds,
        );
      }
      if (after < bounds.purgedThrough) {
        throw cursorInvalid(
          journal,
          "PURGED",
          `Events after sequence ${after} are no longer kept (kept from ${bounds.purgedThrough + 1}).`,
          bounds,
        );
      }
      return after;
    }
    return undefined;
  }
}

function cursorInvalid(journal: Journal, reason: string, message: string, bounds: JournalBounds): AppError {
  return new AppError(
    ErrorCode.CURSOR_INVALID,
    `${message} Subscribe without a position after re-reading \`orders\`, or from \`oldestCursor\`.`,
    {
      reason,
      journalId: journal.journalId,
      firstSequence: bounds.first,
      lastSequence: bounds.last,
      purgedThrough: bounds.purgedThrough,
      // Resume points that can be honoured: everything kept, or only what comes next.
      oldestCursor: journal.encodeCursor(bounds.purgedThrough),
      latestCursor: journal.encodeCursor(bounds.last),
    },
  );
}

/**
 * Replays the journal after `after` one page per pull, then serves the live queue, skipping what the replay
 * already delivered (events published while the replay ran).
 */
class ResumedSubscription<T extends Sequenced> implements AsyncIterableIterator<T> {
  private page: T[] = [];
  private replaying = true;
  private done = false;

  constructor(
    private readonly live: AsyncQueue<T>,
    private last: number,
    private readonly accept: (e: T) => boolean,
    private readonly read: (after: number) => Promise<{ events: T[]; complete: boolean }>,
  ) {}

  async next(): Promise<IteratorResult<T>> {
    for (;;) {
      if (this.done) return { value: undefined, done: true };
      const queued = this.page.shift();
      if (queued) return { value: queued, done: false };
      if (!this.replaying) break;
      const { events, complete } = await this.read(this.last);
      if (this.done) return { value: undefined, done: true };
      const lastRead = events.at(-1);
      if (lastRead) this.last = lastRead.sequence;
      this.page = events.filter(this.accept);
      if (complete) this.replaying = false;
    }
    for (;;) {
      const r = await this.live.next();
      if (r.done || r.value.sequence > this.last) return r;
    }
  }

  return(): Promise<IteratorResult<T>> {
    this.done = true;
    this.page = [];
    return this.live.return();
  }

  throw(error: unknown): Promise<IteratorResult<T>> {
    this.done = true;
    return this.live.throw(error);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}

/** JSON of an event: Dates become ISO strings (revived by `fromPayload`). */
function toPayload(event: object): JsonValue {
  return JSON.parse(JSON.stringify(event)) as JsonValue;
}

/** The fields of events that are Dates: order times, fill times, the session's last tickle. */
const DATE_KEYS = new Set(["at", "createdAt", "updatedAt", "lastTickleAt", "time"]);

export function fromPayload(payload: JsonValue): unknown {
  return revive(payload, "");
}

function revive(value: JsonValue, key: string): unknown {
  if (typeof value === "string" && DATE_KEYS.has(key)) return new Date(value);
  if (Array.isArray(value)) return value.map((v) => revive(v, ""));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = revive(v, k);
    return out;
  }
  return value;
}

/**
 * The journal of a server without a store (unit tests, the in-memory broker): the same contract over a
 * bounded in-memory buffer. Older events are "purged" as the buffer turns over, so a resume past it is
 * CURSOR_INVALID just as after retention.
 */
export class MemoryJournal implements Journal {
  readonly journalId = randomUUID();
  private readonly events: JournalEvent[] = [];
  private last = 0;
  private purgedThrough = 0;

  constructor(private readonly capacity = 10_000) {}

  async append(stream: JournalStream, payload: JsonValue): Promise<JournalEntry> {
    const event: JournalEvent = { sequence: ++this.last, at: Date.now(), stream, payload };
    this.events.push(event);
    if (this.events.length > this.capacity) this.purgedThrough = this.events.shift()!.sequence;
    return { sequence: event.sequence, at: event.at };
  }

  async readAfter(stream: JournalStream, afterSequence: number, limit: number): Promise<JournalEvent[]> {
    // Sequences ascend: a binary search, not a scan of the whole buffer for every resume of a burst.
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.events[mid]!.sequence <= afterSequence) lo = mid + 1;
      else hi = mid;
    }
    const out: JournalEvent[] = [];
    for (let i = lo; i < this.events.length && out.length < limit; i++) {
      if (this.events[i]!.stream === stream) out.push(this.events[i]!);
    }
    return out;
  }

  async bounds(): Promise<JournalBounds> {
    return { first: this.events[0]?.sequence ?? null, last: this.last, purgedThrough: this.purgedThrough };
  }

  /** The store's cursor format (see src/store/cursor.ts): base64url of `<journalId>:<sequence>`. */
  encodeCursor(sequence: number): string {
    return Buffer.from(`${this.journalId}:${sequence}`, "utf8").toString("base64url");
  }

  async checkCursor(cursor: string): Promise<CursorCheck> {
    const bounds = await this.bounds();
    const match = /^([0-9a-f-]{36}):(0|[1-9][0-9]{0,15})$/.exec(
      Buffer.from(cursor, "base64url").toString("utf8"),
    );
    if (!match)
      return { ok: false, reason: "MALFORMED", message: "The cursor is not one this server issued.", bounds };
    if (match[1] !== this.journalId) {
      return {
        ok: false,
        reason: "OTHER_JOURNAL",
        message: "The cursor belongs to another journal.",
        bounds,
      };
    }
    const sequence = Number(match[2]);
    if (sequence < bounds.purgedThrough) {
      return {
        ok: false,
        reason: "PURGED",
        message: `Events after sequence ${sequence} are no longer kept.`,
        bounds,
      };
    }
    if (sequence > bounds.last) {
      return {
        ok: false,
        reason: "AHEAD",
        message: `The cursor is ahead of this journal (last ${bounds.last}).`,
        bounds,
      };
    }
    return { ok: true, afterSequence: sequence };
  }
}
