import type { JournalEvent, JournalStream } from "../store/store";

/** What a tailer needs of a store: `PgStore` has both. */
export interface TailSource {
  onAppended(listener: (sequence: number) => void): () => void;
  readAfter(stream: JournalStream, afterSequence: number, limit: number): Promise<JournalEvent[]>;
}

export interface TailOptions {
  stream: JournalStream;
  /** Deliver events after this sequence (a cursor's position). */
  afterSequence: number;
  /** Called with each page, in order; the next read waits for it. */
  onEvents: (events: JournalEvent[]) => void | Promise<void>;
  /** A failed read; it is retried at the next notification. */
  onError?: (error: unknown) => void;
  /** @default 500 */
  pageSize?: number;
}

export interface JournalTailer {
  /** The sequence of the last event delivered. */
  readonly position: number;
  stop(): void;
}

/**
 * Follows the journal as a standby does: each notification wakes ONE reader that pages "after position" until
 * it is caught up; notifications arriving meanwhile only mark it to read once more. Nothing is skipped
 * because the store commits sequences in order (a sequence visible means every lower one is), and nothing is
 * delivered twice because the position only moves forward.
 */
export function tailJournal(source: TailSource, options: TailOptions): JournalTailer {
  const pageSize = options.pageSize ?? 500;
  let position = options.afterSequence;
  let stopped = false;
  let reading = false;
  let again = false;

  const read = async () => {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      do {
        again = false;
        for (;;) {
          const page = await source.readAfter(options.stream, position, pageSize);
          if (stopped || page.length === 0) break;
          await options.onEvents(page);
          position = (page[page.length - 1] as JournalEvent).sequence;
          if (page.length < pageSize) break;
        }
      } while (again && !stopped);
    } catch (e) {
      options.onError?.(e);
    } finally {
      reading = false;
    }
  };

  // Subscribed before the first read: an append committed between the two still wakes us.
  const unsubscribe = source.onAppended((sequence) => {
    if (!stopped && sequence > position) void read();
  });
  void read();
  return {
    get position() {
      return position;
    },
    stop() {
      stopped = true;
      unsubscribe();
    },
  };
}
