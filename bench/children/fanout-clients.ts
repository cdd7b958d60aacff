/**
 * The subscribers of the fan-out figure, in their own process: N graphql-ws connections, one `orderUpdates`
 * subscription each. Notes the wall time every event arrives; tells the parent when every subscriber has
 * seen an order filled; computes latencies against the brokerage's emission times at the end.
 */
import { emitEvent, serveRpc } from "../lib/child-rpc";
import type { OrderEventData } from "../lib/operations";
import { orderStateKey } from "../lib/order-keys";
import { distribution } from "../lib/stats";
import { OrderUpdatesPool } from "../lib/subscriber-pool";

const arrivals = new Map<string, number[]>();
const filledCounts = new Map<string, number>();
const pool = new OrderUpdatesPool<OrderEventData>((ev, at) => {
  const o = ev.order;
  const permId = o.permId ?? o.id;
  const key = orderStateKey(permId, o.status, o.filledQuantity);
  let list = arrivals.get(key);
  if (!list) arrivals.set(key, (list = []));
  list.push(at);
  if (o.status === "FILLED") {
    const n = (filledCounts.get(permId) ?? 0) + 1;
    filledCounts.set(permId, n);
    if (n === pool.subscribers.length) emitEvent("filled", permId);
  }
});

serveRpc({
  /** Adds `count` subscribers (callable more than once); answers the total. */
  async connect(args: { url: string; count: number; query: string }) {
    return pool.add(args.url, args.count, args.query);
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
    const counts = [...pool.perSubscriber].sort((a, b) => a - b);
    return {
      latency: distribution(latencies),
      received: latencies.length + unmatched + warmup,
      warmup,
      unmatched,
      unmatchedKeys,
      errors: pool.errors,
      closes: pool.closes,
      eventsPerSubscriber: { min: counts[0] ?? 0, max: counts[counts.length - 1] ?? 0 },
    };
  },
  exit() {
    for (const s of pool.subscribers) s.close();
  },
});
