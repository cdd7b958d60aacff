/**
 * The subscribers of the fan-out figure, in their own process: N graphql-ws connections, one `orderUpdates`
 * subscription each. Notes the wall time every event arrives; tells the parent when every subscriber has
 * seen an order filled; computes latencies against the brokerage's emission times at the end.
 */
import { emitEvent, serveRpc } from "../lib/child-rpc";
import { RawSubscriber } from "../lib/graphql-client";
import type { OrderEventData } from "../lib/operations";
import { orderStateKey } from "../lib/order-keys";
import { distribution, wallNow } from "../lib/stats";

const subscribers: RawSubscriber[] = [];
const arrivals = new Map<string, number[]>();
const filledCounts = new Map<string, number>();
const perSubscriber: number[] = [];
let errors = 0;
let closes = 0;

serveRpc({
  /** Adds `count` subscribers (callable more than once); answers the total. */
  async connect(args: { url: string; count: number; query: string }) {
    const batch = 100;
    for (let i = 0; i < args.count; i += batch) {
      const started: Promise<void>[] = [];
      for (let k = i; k < Math.min(args.count, i + batch); k++) {
        const j = perSubscriber.push(0) - 1;
        const s = new RawSubscriber(args.url, {
          onNext: (payload) => {
            const at = wallNow();
            const ev = (payload.data as { orderUpdates?: OrderEventData } | undefined)?.orderUpdates;
            if (!ev) {
              errors++;
              return;
            }
            perSubscriber[j]!++;
            const o = ev.order;
            const permId = o.permId ?? o.id;
            const key = orderStateKey(permId, o.status, o.filledQuantity);
            let list = arrivals.get(key);
            if (!list) arrivals.set(key, (list = []));
            list.push(at);
            if (o.status === "FILLED") {
              const n = (filledCounts.get(permId) ?? 0) + 1;
              filledCounts.set(permId, n);
              if (n === subscribers.length) emitEvent("filled", permId);
            }
          },
          onClose: () => closes++,
        });
        subscribers.push(s);
        started.push(s.start(args.query));
      }
      await Promise.all(started);
    }
    return subscribers.length;
  },
  /** Latencies against the brokerage's emission times; events of `excluded` orders (warm-up) are left out. */
  report(args: { emitted: Record<string, number>; excluded: string[] }) {
    const excluded = new Set(args.excluded);
    const latencies: number[] = [];
    let unmatched = 0;
    let warmup = 0;
    const unmatchedKeys: string[] = [];
    for (const [key, times] of arrivals) {
      if (excluded.has(key.split("|")[0]!)) {
        warmup += times.length;
        continue;
      }
      const t0 = args.emitted[key];
      if (t0 === undefined) {
        unmatched += times.length;
        if (unmatchedKeys.length < 5) unmatchedKeys.push(key);
        continue;
      }
      for (const t of times) latencies.push(t - t0);
    }
    const counts = [...perSubscriber].sort((a, b) => a - b);
    return {
      latency: distribution(latencies),
      received: latencies.length + unmatched + warmup,
      warmup,
      unmatched,
      unmatchedKeys,
      errors,
      closes,
      eventsPerSubscriber: { min: counts[0] ?? 0, max: counts[counts.length - 1] ?? 0 },
    };
  },
  exit() {
    for (const s of subscribers) s.close();
  },
});
