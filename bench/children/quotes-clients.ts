/**
 * The subscribers of the quotes fan-out figure, in their own process: N graphql-ws connections, one `quotes`
 * subscription each over the same contracts. Notes when each subscriber first sees a contract's new last
 * price (a tick), and computes latencies against the source's tick times at the end.
 */
import { serveRpc } from "../lib/child-rpc";
import { RawSubscriber } from "../lib/graphql-client";
import { distribution, wallNow } from "../lib/stats";

interface QuoteData {
  contract: { conid: number };
  last: number | null;
}

/** As quotes-server's: the contract and its new last price (the children share no module with side effects). */
const tickKey = (conid: number, last: number): string => `${conid}|${last.toFixed(6)}`;

const subscribers: RawSubscriber[] = [];
/** Tick key → the arrival time at each subscriber that saw it. */
const arrivals = new Map<string, number[]>();
const perSubscriber: number[] = [];
let events = 0;
let errors = 0;
/** The first error a subscriber received, as sent. */
let firstError: string | null = null;
let closes = 0;

serveRpc({
  /** Adds `count` subscribers (callable more than once); answers the total. */
  async connect(args: { url: string; count: number; query: string; variables: Record<string, unknown> }) {
    const batch = 100;
    for (let i = 0; i < args.count; i += batch) {
      const started: Promise<void>[] = [];
      for (let k = i; k < Math.min(args.count, i + batch); k++) {
        const j = perSubscriber.push(0) - 1;
        const lastSeen = new Map<number, number | null>();
        const s = new RawSubscriber(args.url, {
          onNext: (payload) => {
            const at = wallNow();
            const q = (payload.data as { quotes?: QuoteData } | undefined)?.quotes;
            if (!q || payload.errors) {
              errors++;
              firstError ??= JSON.stringify(payload.errors ?? payload).slice(0, 300);
              return;
            }
            events++;
            perSubscriber[j]!++;
            const conid = q.contract.conid;
            if (q.last === null || lastSeen.get(conid) === q.last) return;
            lastSeen.set(conid, q.last);
            const key = tickKey(conid, q.last);
            let list = arrivals.get(key);
            if (!list) arrivals.set(key, (list = []));
            list.push(at);
          },
          onClose: () => closes++,
        });
        subscribers.push(s);
        started.push(s.start(args.query, args.variables));
      }
      await Promise.all(started);
    }
    return subscribers.length;
  },
  /** Quote events received so far (the parent polls it to see the backlog drain). */
  events: () => events,
  /** Subscribers that have received at least one quote. */
  ready: () => perSubscriber.filter((n) => n > 0).length,
  /** Latencies of the recorded ticks; ticks seen but not recorded (warm-up, initial quotes) are counted apart. */
  report(args: { emitted: Record<string, number> }) {
    const latencies: number[] = [];
    let unrecorded = 0;
    let missed = 0;
    for (const [key, times] of arrivals) {
      const t0 = args.emitted[key];
      if (t0 === undefined) {
        unrecorded += times.length;
        continue;
      }
      for (const t of times) latencies.push(t - t0);
    }
    for (const key of Object.keys(args.emitted)) {
      missed += subscribers.length - (arrivals.get(key)?.length ?? 0);
    }
    const counts = [...perSubscriber].sort((a, b) => a - b);
    return {
      latency: distribution(latencies),
      ticks: Object.keys(args.emitted).length,
      missed,
      unrecorded,
      events,
      errors,
      firstError,
      closes,
      eventsPerSubscriber: { min: counts[0] ?? 0, max: counts[counts.length - 1] ?? 0 },
    };
  },
  exit() {
    for (const s of subscribers) s.close();
  },
});
