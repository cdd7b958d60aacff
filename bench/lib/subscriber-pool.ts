import { RawSubscriber } from "./graphql-client";
import { wallNow } from "./stats";

/**
 * Many graphql-ws subscribers of `orderUpdates` in one process (a bench child): connected 100 at a time so a
 * thousand handshakes do not all wait on one another, each one's events counted. `onEvent` gets every event
 * with the wall time it arrived, taken before anything else is done with it.
 */
export class OrderUpdatesPool<E> {
  readonly subscribers: RawSubscriber[] = [];
  /** Events each subscriber has received. */
  readonly perSubscriber: number[] = [];
  /** Messages without an `orderUpdates` event (GraphQL errors). */
  errors = 0;
  closes = 0;

  constructor(private readonly onEvent: (ev: E, arrivedAt: number) => void) {}

  /** Adds `count` subscribers to `url` (callable more than once); answers the total. */
  async add(
    url: string,
    count: number,
    query: string,
    timeoutMs?: number,
    init?: Record<string, unknown>,
  ): Promise<number> {
    const batch = 100;
    for (let i = 0; i < count; i += batch) {
      const started: Promise<void>[] = [];
      for (let k = i; k < Math.min(count, i + batch); k++) {
        const j = this.perSubscriber.push(0) - 1;
        const s = new RawSubscriber(url, {
          onNext: (payload) => {
            const arrived = wallNow();
            const ev = (payload.data as { orderUpdates?: E } | undefined)?.orderUpdates;
            if (!ev) {
              this.errors++;
              return;
            }
            this.perSubscriber[j]!++;
            this.onEvent(ev, arrived);
          },
          onClose: () => this.closes++,
        });
        this.subscribers.push(s);
        started.push(s.start(query, undefined, timeoutMs, init));
      }
      await Promise.all(started);
    }
    return this.subscribers.length;
  }
}
