import { join } from "node:path";
import { cpus } from "node:os";
import {
  CLUSTER_TOKEN,
  isReady,
  post,
  readyLeader,
  restingOrderInput,
  startClusterHarness,
  type Instance,
} from "../../test/helpers/cluster";
import { startPostgres } from "../../test/helpers/postgres";
import { startChild, type ChildHandle } from "../lib/child-rpc";
import { verdict, type FigureResult } from "../lib/report";
import {
  distribution,
  envNumber,
  formatTail,
  ms,
  ratio,
  tail,
  waitUntil,
  type Distribution,
} from "../lib/stats";

/** "Hold the fan-out figure": the tail of three loaded instances within this factor of one's. */
const HOLD_FACTOR = 1.25;
/** A limit order far below the market stays working: NEW and SUBMITTED, two events each. */
const EVENTS_PER_ORDER = 2;
const WARMUP_ORDERS = 3;

const PLACE = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } } }`;

interface ClientsReport {
  latency: Distribution;
  samples: number[];
  errors: number;
  closes: number;
  eventsPerSubscriber: { min: number; max: number };
}

interface Phase {
  latency: Distribution;
  perInstance: ClientsReport[];
  seconds: number;
  timedOut: number;
}

const clientsScript = join(__dirname, "..", "children", "cluster-clients.js");

/**
 * Figure 10 (issue #20): "3 instances × 1,000 subscribers hold the fan-out figure of one instance". One
 * shared deployment of three instances (processes) on one PostgreSQL database and one simulator. Phase A:
 * 1,000 `orderUpdates` subscribers on the leader alone. Phase B: 1,000 more on each standby (3,000 in all).
 * Each group of 1,000 has a client process of its own. In both phases the same closed loop: an order is
 * placed on the leader once every subscriber saw both events of the previous one. Latency: from the event's
 * `at` (the leader's clock when it recorded the event) to its arrival at each subscriber.
 */
export async function clusterFanOut(): Promise<FigureResult> {
  const subscribers = envNumber("CLUSTER_FANOUT_SUBSCRIBERS", 1000);
  const orders = envNumber("CLUSTER_FANOUT_ORDERS", 50);
  const pg = await startPostgres();
  const groups: ChildHandle[] = [];
  const harness = await startClusterHarness({
    databaseUrl: await pg.createDatabase("bench_cluster_fanout"),
    count: 3,
    // No kill here: the default lease, so no election traffic beyond production's.
    leaseSeconds: 10,
    // All the subscribers connect from 127.0.0.1: the per-address limit would refuse them as a flood.
    env: {
      WS_MAX_CONNECTIONS: String(subscribers + 100),
      WS_MAX_CONNECTIONS_PER_ADDRESS: String(subscribers + 100),
    },
  }).catch(async (e: unknown) => {
    await pg.stop();
    throw e;
  });
  try {
    const leader = await readyLeader(harness.instances, 60_000);
    const standbys = harness.instances.filter((i) => i !== leader);
    await waitUntil(
      "the standbys to be ready",
      async () => (await Promise.all(standbys.map(isReady))).every(Boolean),
      30_000,
      100,
    );

    const delivered = new Map<string, number>();
    const waiters = new Map<string, () => void>();
    const addGroup = async (inst: Instance) => {
      const child = startChild(clientsScript);
      groups.push(child);
      child.onEvent((e) => {
        if (e.event !== "delivered") return;
        const id = String(e.data);
        delivered.set(id, (delivered.get(id) ?? 0) + 1);
        waiters.get(id)?.();
      });
      await child.call(
        "connect",
        { url: inst.wsUrl, count: subscribers, token: CLUSTER_TOKEN, eventsPerOrder: EVENTS_PER_ORDER },
        120_000,
      );
    };
    let serial = 0;
    const placeOne = async (): Promise<string> => {
      const r = await post(leader.graphqlUrl, PLACE, {
        input: restingOrderInput(`fanout-${serial++}`),
      });
      const id = (r.body.data?.placeOrder as { order?: { id: string } } | undefined)?.order?.id;
      if (!id) throw new Error(`order failed: ${JSON.stringify(r.body.errors)}`);
      return id;
    };
    /** Resolves once every group reported every subscriber saw both events of the order (false: timed out). */
    const allDelivered = (id: string, timeoutMs: number) =>
      new Promise<boolean>((resolve) => {
        const done = () => (delivered.get(id) ?? 0) >= groups.length;
        if (done()) return resolve(true);
        const timer = setTimeout(() => {
          waiters.delete(id);
          resolve(false);
        }, timeoutMs);
        waiters.set(id, () => {
          if (!done()) return;
          clearTimeout(timer);
          waiters.delete(id);
          resolve(true);
        });
      });
    const phase = async (): Promise<Phase> => {
      // Every subscription live: warm-up orders until each subscriber has seen one.
      for (let w = 0; ; w++) {
        await allDelivered(await placeOne(), 20_000);
        const mins = await Promise.all(groups.map((g) => g.call<number>("minEvents")));
        if (w + 1 >= WARMUP_ORDERS && mins.every((m) => m > 0)) break;
        if (w > 20) throw new Error(`subscribers not live after ${w + 1} warm-up orders: ${mins.join(", ")}`);
      }
      await Promise.all(groups.map((g) => g.call("reset")));
      let timedOut = 0;
      const t0 = Date.now();
      for (let k = 0; k < orders; k++) if (!(await allDelivered(await placeOne(), 20_000))) timedOut++;
      const seconds = (Date.now() - t0) / 1000;
      const perInstance = await Promise.all(groups.map((g) => g.call<ClientsReport>("report")));
      const all = distribution(perInstance.flatMap((r) => r.samples));
      return { latency: all, perInstance, seconds, timedOut };
    };

    await addGroup(leader);
    const one = await phase();
    for (const s of standbys) await addGroup(s);
    const three = await phase();

    const t1 = tail(one.latency);
    const t3 = tail(three.latency);
    const lost = (p: Phase) => p.timedOut + p.perInstance.reduce((n, r) => n + r.errors + r.closes, 0);
    const describe = (name: string, p: Phase) =>
      `${name}: ${orders} orders in ${p.seconds.toFixed(1)} s, ${p.latency.count} deliveries; per instance ` +
      p.perInstance
        .map(
          (r, i) =>
            `${i === 0 ? "leader" : `standby ${i}`} p50 ${ms(r.latency.p50)}, ${formatTail(r.latency)} ` +
            `(${r.eventsPerSubscriber.min}–${r.eventsPerSubscriber.max} events per subscriber, ${r.errors} errors, ` +
            `${r.closes} closes)`,
        )
        .join("; ") +
      `; ${p.timedOut} orders not delivered to every subscriber in 20 s.`;
    return {
      title: "10. Fan-out across instances",
      rows: [
        {
          figure: `10. orderUpdates to ${subscribers} subscribers on each of 3 instances (${three.latency.count} deliveries)`,
          measured: `p50 ${ms(three.latency.p50)}, ${formatTail(three.latency)}`,
          goal: `${t3.label} ≤ ${HOLD_FACTOR}× one instance's`,
          baseline: `${subscribers} on the leader alone: p50 ${ms(one.latency.p50)}, ${formatTail(one.latency)}`,
          ratio: `${ratio(three.latency.p50 / one.latency.p50)} p50, ${ratio(t3.value / t1.value)} ${t3.label}`,
          verdict: verdict(t3.value <= HOLD_FACTOR * t1.value && lost(three) === 0 && lost(one) === 0),
        },
      ],
      notes: [
        `Machine: ${cpus().length} cores for three servers, PostgreSQL, the simulators and ` +
          "the subscriber processes: phase B does three times the work of phase A on the same cores, so what it " +
          "shows is that standbys add their subscribers' own cost and nothing on the leader's path (each " +
          "instance follows the journal itself: LISTEN/NOTIFY, then one read by sequence per wake-up).",
        describe("One instance (phase A)", one),
        describe("Three instances (phase B)", three),
        ...(t3.value > HOLD_FACTOR * t1.value
          ? [
              "Why the goal is missed here: phase B's 3,000 subscribers cost three servers and three client " +
                "processes the same CPU per delivery as phase A's 1,000, on the same 2 cores (shared with other " +
                "work: see the load average of the run), so every delivery queues behind the others' on the CPU, " +
                "the leader's subscribers as much as the standbys' (compare the per-instance tails). Nothing " +
                "is serialized through the leader: standbys read the journal themselves. What would close it: " +
                "instances on cores (or hosts) of their own, which is what a shared deployment is for.",
            ]
          : []),
      ],
    };
  } finally {
    await Promise.all(groups.map((g) => g.stop()));
    await harness.stop();
    await pg.stop();
  }
}
