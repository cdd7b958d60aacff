import { AppError, ErrorCode } from "../errors";
import { AsyncQueue } from "./async-queue";

export interface SequencedLogOptions {
  /** How many past events are kept for `afterSequence` replays. */
  bufferSize: number;
  /** How many undelivered events one subscriber may have before it is cut off. @default 10_000 */
  subscriberBacklog?: number;
}

/**
 * An append-only stream with a strictly increasing `sequence`, a bounded replay buffer and live subscribers.
 * Subscribing replays and goes live in one synchronous step, so no event falls between the two.
 */
export class SequencedLog<T extends { sequence: number }> {
  private seq = 0;
  private readonly buffer: T[] = [];
  private readonly subscribers = new Set<{ queue: AsyncQueue<T>; accept: (e: T) => boolean }>();

  constructor(private readonly options: SequencedLogOptions) {}

  get lastSequence(): number {
    return this.seq;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  append(event: Omit<T, "sequence">): T {
    const full = { ...event, sequence: ++this.seq } as T;
    this.buffer.push(full);
    if (this.buffer.length > this.options.bufferSize) this.buffer.shift();
    for (const s of this.subscribers) if (s.accept(full)) s.queue.push(full);
    return full;
  }

  /** Events still in the buffer with a sequence above `after`. */
  since(after: number): T[] {
    // Sequences in the buffer are consecutive: a slice, not a scan of up to ORDER_EVENT_BUFFER events for
    // every subscription of a burst.
    const oldest = this.buffer[0]?.sequence ?? this.seq + 1;
    return this.buffer.slice(Math.max(0, Math.floor(after) - oldest + 1));
  }

  subscribe(accept: (e: T) => boolean = () => true, afterSequence?: number | null): AsyncIterableIterator<T> {
    if (afterSequence != null) this.checkResumable(afterSequence);
    const entry = {
      accept,
      queue: new AsyncQueue<T>(
        this.options.subscriberBacklog ?? 10_000,
        () => this.subscribers.delete(entry),
        () =>
          new AppError(
            ErrorCode.RATE_LIMITED,
            "Subscriber fell too far behind; resubscribe with afterSequence set to the last sequence received.",
            { lastSequence: this.seq },
          ),
      ),
    };
    // Registered before the replay: a replay that overflows the backlog closes the entry, which must find
    // itself in the set to leave it. All synchronous, so no live event can fall in between.
    this.subscribers.add(entry);
    if (afterSequence != null) for (const e of this.since(afterSequence)) if (accept(e)) entry.queue.push(e);
    return entry.queue;
  }

  /** Ends every live subscription (server shutdown). */
  closeAll(): void {
    for (const s of [...this.subscribers]) void s.queue.return();
  }

  private checkResumable(after: number): void {
    if (after < 0 || !Number.isInteger(after)) {
      throw new AppError(ErrorCode.BAD_USER_INPUT, "afterSequence must be a non-negative integer.");
    }
    if (after > this.seq) {
      throw new AppError(
        ErrorCode.BAD_USER_INPUT,
        `afterSequence ${after} is ahead of this server (last sequence ${this.seq}); the server restarted. ` +
          "Re-read `orders` and subscribe without afterSequence.",
        { lastSequence: this.seq },
      );
    }
    const oldest = this.buffer[0]?.sequence ?? this.seq + 1;
    if (after < oldest - 1) {
      throw new AppError(
        ErrorCode.BAD_USER_INPUT,
        `afterSequence ${after} is older than the replay buffer (oldest kept: ${oldest}). ` +
          "Re-read `orders` and subscribe without afterSequence, or raise ORDER_EVENT_BUFFER.",
        { oldestSequence: oldest, lastSequence: this.seq },
      );
    }
  }
}
