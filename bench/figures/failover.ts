import { performance } from "node:perf_hooks";
import {
  CLUSTER_TOKEN,
  clusterOf,
  killLeaderAndTime,
  post,
  readyLeader,
  restingOrderInput,
  startClusterHarness,
  type ClusterHarness,
  type Instance,
} from "../../test/helpers/cluster";
import { wsClient } from "../../test/helpers/graphql";
import { startPostgres } from "../../test/helpers/postgres";
import { verdict, type FigureResult } from "../lib/report";
import { distribution, envNumber, formatTail, ms, percentile } from "../lib/stats";

const FAILOVER_GOAL_MS = 15_000;
const LAG_GOAL_MS = 20;

const PLACE = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } } }`;

/**
 * Shared deployments (issue #20): three instances (dist/src/main.js serve, each a process) on one
 * PostgreSQL database against one simulator process.
 *
 * 9a: a subscriber of `orderUpdates` on a standby against one on the leader, over the same orders (paced
 * at FAILOVER_LAG_RATE/s): for
 * each event, the standby's arrival minus the leader's. In a shared deployment every instance, the leader
 * included, serves subscriptions by following the journal (LISTEN/NOTIFY, then a read by sequence), so this
 * is the cost of being a different process, not of a different path.
 *
 * 9b: the leader is killed with SIGKILL FAILOVER_KILLS times (default 10), at the default lease
 * (LEADER_LEASE_SECONDS=10); each time from the kill to the next leader's /readyz answering 200 (it holds
 * the lock, connected to TWS, logged in to Client Portal). The killed instance is started again before the
 * next kill.
 */
export async function failover(): Promise<FigureResult> {
  const kills = envNumber("FAILOVER_KILLS", 10);
  const leaseSeconds = envNumber("FAILOVER_LEASE_SECONDS", 10);
  const orders = envNumber("FAILOVER_LAG_ORDERS", 500); // 1,000 events: enough for a p99
  const pg = await startPostgres();
  let harness: ClusterHarness | undefined;
  try {
    harness = await startClusterHarness({
      databaseUrl: await pg.createDatabase("bench_failover"),
      count: 3,
      leaseSeconds,
    });
    const h = harness;
    const leader = await readyLeader(h.instances, 60_000);
    const standby = h.instances.find((i) => i !== leader) as Instance;
    const lag = await subscriberLag(leader, standby, orders);

    const times: number[] = [];
    for (let k = 0; k < kills; k++) {
      const { index, failoverMs } = await killLeaderAndTime(h.instances, 60_000);
      times.push(failoverMs);
      await h.restart(index);
      // The restarted instance is a standby that knows the leader before the next kill.
      await readyLeaderKnown(h.instances[index] as Instance);
    }
    const sorted = [...times].sort((a, b) => a - b);
    const p95 = percentile(sorted, 95);
    return {
      title: "Shared deployments: failover and standby subscribers",
      rows: [
        {
          figure: `9a orderUpdates on a standby behind the leader's subscriber (${lag.count} events, 3 instances)`,
          measured: `p50 ${ms(lag.p50)}, ${formatTail(lag)}`,
          goal: `≤ ${LAG_GOAL_MS} ms p99`,
          baseline: "the leader's own subscriber (0 by definition)",
          ratio: "n/a",
          verdict: verdict(lag.p99 <= LAG_GOAL_MS),
        },
        {
          figure: `9b Failover, kill -9 of the leader → next leader ready (${kills} kills, lease ${leaseSeconds} s)`,
          measured: `p95 ${ms(p95, 0)} (p50 ${ms(percentile(sorted, 50), 0)}, max ${ms(sorted.at(-1) ?? NaN, 0)})`,
          goal: `≤ ${FAILOVER_GOAL_MS.toLocaleString("en-US")} ms p95`,
          baseline: `lease ${leaseSeconds * 1000} ms`,
          ratio: "n/a",
          verdict: verdict(p95 <= FAILOVER_GOAL_MS),
        },
      ],
      notes: [
        "A killed leader's lock session ends with its TCP connection, so a standby takes the lock at its next " +
          "check (lease / 5); the rest is connecting to TWS and checking the Client Portal session. The lease " +
          "bounds the hang and partition cases (a paused leader is fenced, see test/cluster-instances.test.ts).",
        `Failovers (ms): ${times.map((t) => Math.round(t)).join(", ")}.`,
      ],
    };
  } finally {
    await harness?.stop();
    await pg.stop();
  }
}

async function readyLeaderKnown(inst: Instance): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const c = await clusterOf(inst);
    if (c?.leaderId && c.leaderId !== inst.id) return;
    if (Date.now() > deadline) throw new Error(`${inst.id} did not learn the leader`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Per event sequence: arrival on the standby's subscriber minus arrival on the leader's. */
async function subscriberLag(leader: Instance, standby: Instance, orders: number) {
  const arrivals = [new Map<number, number>(), new Map<number, number>()];
  const clients = [leader, standby].map((i) =>
    wsClient(i.wsUrl, { authorization: `Bearer ${CLUSTER_TOKEN}` }),
  );
  const stops = clients.map((client, n) =>
    client.subscribe<{ orderUpdates: { sequence: number } }>(
      { query: "subscription { orderUpdates { sequence } }" },
      {
        next: (r) => {
          const s = r.data?.orderUpdates.sequence;
          if (s !== undefined) arrivals[n]?.set(s, performance.now());
        },
        error: () => undefined,
        complete: () => undefined,
      },
    ),
  );
  try {
    // Both subscriptions are live once each has seen an event: a warm-up order.
    const warm = await post(leader.graphqlUrl, PLACE, { input: restingOrderInput("lag-warm") });
    if (!warm.body.data) throw new Error(`warm-up order failed: ${JSON.stringify(warm.body.errors)}`);
    await until(() => arrivals.every((a) => a.size > 0), 10_000);
    for (const a of arrivals) a.clear();
    // Paced (FAILOVER_LAG_RATE orders/s, default 50): the figure is the delay of a standby's subscriber,
    // not the order throughput of a 2-core machine running three servers, PostgreSQL and the simulators.
    const rate = envNumber("FAILOVER_LAG_RATE", 50);
    const t0 = performance.now();
    const placed: Promise<void>[] = [];
    for (let k = 0; k < orders; k++) {
      const due = t0 + (k * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      placed.push(
        post(leader.graphqlUrl, PLACE, { input: restingOrderInput(`lag-${k}`) }).then((r) => {
          if (!r.body.data) throw new Error(`order lag-${k} failed: ${JSON.stringify(r.body.errors)}`);
        }),
      );
    }
    await Promise.all(placed);
    const [onLeader, onStandby] = arrivals as [Map<number, number>, Map<number, number>];
    await until(() => onStandby.size >= onLeader.size && onLeader.size >= orders * 2, 30_000).catch(() => {
      throw new Error(
        `subscribers incomplete: leader ${onLeader.size}, standby ${onStandby.size} of ${orders * 2} events`,
      );
    });
    const lags: number[] = [];
    for (const [sequence, t] of onLeader) {
      const s = onStandby.get(sequence);
      if (s !== undefined) lags.push(s - t);
    }
    return distribution(lags);
  } finally {
    stops.forEach((s) => s());
    await Promise.all(clients.map((c) => c.dispose()));
  }
}

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
