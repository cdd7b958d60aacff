/**
 * The subscribers of figure 10 on ONE instance of a shared deployment, in their own process (one such
 * process per instance, so three groups of 1,000 do not share one client event loop): N graphql-ws
 * connections with the cluster's token, one `orderUpdates` subscription each. Each arrival's latency is
 * measured against the event's `at` (when the leader recorded it; one wall clock on one machine), and the
 * parent is told when every subscriber has seen all `eventsPerOrder` events of an order.
 */
import { emitEvent, serveRpc } from "../lib/child-rpc";
import { distribution } from "../lib/stats";
import { OrderUpdatesPool } from "../lib/subscriber-pool";

const QUERY = "subscription { orderUpdates { sequence at type order { id status } } }";

let latencies: number[] = [];
const deliveries = new Map<string, number>();
let eventsPerOrder = 2;
const pool = new OrderUpdatesPool<{ at: string; order: { id: string } }>((ev, arrived) => {
  latencies.push(arrived - Date.parse(ev.at));
  const n = (deliveries.get(ev.order.id) ?? 0) + 1;
  deliveries.set(ev.order.id, n);
  if (n === eventsPerOrder * pool.subscribers.length) emitEvent("delivered", ev.order.id);
});

serveRpc({
  /** Adds `count` subscribers to `url`; answers the total. */
  async connect(args: { url: string; count: number; token: string; eventsPerOrder: number }) {
    eventsPerOrder = args.eventsPerOrder;
    return pool.add(args.url, args.count, QUERY, 30_000, { authorization: `Bearer ${args.token}` });
  },
  /** The fewest events any subscriber received so far (0 until every subscription is live). */
  minEvents() {
    return pool.perSubscriber.reduce((m, n) => Math.min(m, n), Infinity);
  },
  /** Forgets what was measured (after warm-up). */
  reset() {
    latencies = [];
    pool.perSubscriber.fill(0);
    return true;
  },
  report() {
    const counts = [...pool.perSubscriber].sort((a, b) => a - b);
    return {
      latency: distribution(latencies),
      // The parent's percentiles over every group are exact: ~100,000 numbers per group is a small message.
      samples: latencies.map((v) => Math.round(v * 100) / 100),
      errors: pool.errors,
      closes: pool.closes,
      eventsPerSubscriber: { min: counts[0] ?? 0, max: counts.at(-1) ?? 0 },
    };
  },
  exit() {
    for (const s of pool.subscribers) s.close();
  },
});
