/**
 * The subscribers of figure 10 on ONE instance of a shared deployment, in their own process (one such
 * process per instance, so three groups of 1,000 do not share one client event loop): N graphql-ws
 * connections with the cluster's token, one `orderUpdates` subscription each. Each arrival's latency is
 * measured against the event's `at` (when the leader recorded it; one wall clock on one machine), and the
 * parent is told when every subscriber has seen all `eventsPerOrder` events of an order.
 */
import { emitEvent, serveRpc } from "../lib/child-rpc";
import { RawSubscriber } from "../lib/graphql-client";
import { distribution, wallNow } from "../lib/stats";

const QUERY = "subscription { orderUpdates { sequence at type order { id status } } }";

const subscribers: RawSubscriber[] = [];
const perSubscriber: number[] = [];
let latencies: number[] = [];
const deliveries = new Map<string, number>();
let eventsPerOrder = 2;
let errors = 0;
let closes = 0;

serveRpc({
  /** Adds `count` subscribers to `url`; answers the total. */
  async connect(args: { url: string; count: number; token: string; eventsPerOrder: number }) {
    eventsPerOrder = args.eventsPerOrder;
    const batch = 100;
    for (let i = 0; i < args.count; i += batch) {
      const started: Promise<void>[] = [];
      for (let k = i; k < Math.min(args.count, i + batch); k++) {
        const j = perSubscriber.push(0) - 1;
        const s = new RawSubscriber(args.url, {
          onNext: (payload) => {
            const arrived = wallNow();
            const ev = (payload.data as { orderUpdates?: { at: string; order: { id: string } } } | undefined)
              ?.orderUpdates;
            if (!ev) {
              errors++;
              return;
            }
            perSubscriber[j]!++;
            latencies.push(arrived - Date.parse(ev.at));
            const n = (deliveries.get(ev.order.id) ?? 0) + 1;
            deliveries.set(ev.order.id, n);
            if (n === eventsPerOrder * subscribers.length) emitEvent("delivered", ev.order.id);
          },
          onClose: () => closes++,
        });
        subscribers.push(s);
        started.push(s.start(QUERY, undefined, 30_000, { authorization: `Bearer ${args.token}` }));
      }
      await Promise.all(started);
    }
    return subscribers.length;
  },
  /** The fewest events any subscriber received so far (0 until every subscription is live). */
  minEvents() {
    return perSubscriber.reduce((m, n) => Math.min(m, n), Infinity);
  },
  /** Forgets what was measured (after warm-up). */
  reset() {
    latencies = [];
    perSubscriber.fill(0);
    return true;
  },
  report() {
    const counts = [...perSubscriber].sort((a, b) => a - b);
    return {
      latency: distribution(latencies),
      // The parent's percentiles over every group are exact: ~100,000 numbers per group is a small message.
      samples: latencies.map((v) => Math.round(v * 100) / 100),
      errors,
      closes,
      eventsPerSubscriber: { min: counts[0] ?? 0, max: counts.at(-1) ?? 0 },
    };
  },
  exit() {
    for (const s of subscribers) s.close();
  },
});
