/**
 * `npm run chaos -- --instances 3`: the kill series of a shared deployment (issue #20). N instances
 * (dist/src/main.js serve, each a process) share one PostgreSQL database and one simulator process. A
 * client places orders round-robin across them, retrying each on ANY error with the same clientOrderId;
 * every few seconds the leader is killed with SIGKILL (CHAOS_KILLS times, default 10) and started again
 * once the next leader is ready. A subscriber of `orderUpdates` follows whichever instance is alive,
 * resuming with its last cursor (`after`) when its instance dies.
 *
 * At the end: every order at most once in the simulated book, every order the client saw accepted in it,
 * and the subscriber's events exactly the journal's (once each, in order). Failover times are printed.
 * Exit codes: 0 all kept, 2 a promise broken, 1 the run crashed.
 */
import { spawnSync } from "node:child_process";
import pg from "pg";
import {
  CLUSTER_TOKEN,
  killLeaderAndTime,
  post,
  readyLeader,
  restingOrderInput,
  simOrders,
  startClusterHarness,
  type ClusterHarness,
  type Instance,
} from "../test/helpers/cluster";
import { wsClient } from "../test/helpers/graphql";
import { startPostgres } from "../test/helpers/postgres";
import { machineLine } from "./lib/report";
import { distribution, envNumber, ms, percentile } from "./lib/stats";

const PLACE = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } } }`;

/** For bench/chaos.ts: `--instances N` runs this file in its own process and returns its exit code. */
export function runClusterChaosSync(argv: readonly string[]): number {
  const at = argv.indexOf("--instances");
  const instances = Number(argv[at + 1] ?? 3);
  const r = spawnSync(process.execPath, ["--enable-source-maps", __filename, String(instances)], {
    stdio: "inherit",
  });
  return r.status ?? 1;
}

async function main(instanceCount: number): Promise<number> {
  const kills = envNumber("CHAOS_KILLS", 10);
  const leaseSeconds = envNumber("CHAOS_LEASE_SECONDS", 10);
  const pgServer = await startPostgres();
  let harness: ClusterHarness | undefined;
  console.log(`ibkr-graphql chaos, shared deployment: ${machineLine()}`);
  console.log(`${instanceCount} instances, ${kills} kills of the leader, lease ${leaseSeconds} s`);
  try {
    const databaseUrl = await pgServer.createDatabase("chaos");
    harness = await startClusterHarness({ databaseUrl, count: instanceCount, leaseSeconds });
    const h = harness;
    await readyLeader(h.instances, 60_000);

    const subscriber = followJournal(() => h.instances);
    let stop = false;
    const accepted = new Map<string, string>();
    let failedKeys = 0;
    let next = 0;
    const client = async () => {
      while (!stop) {
        const k = next++;
        const key = `chaos-cluster-${k}`;
        const id = await placeWithRetries(() => h.instances, key, k, 120_000).catch(() => undefined);
        if (id) accepted.set(key, id);
        else failedKeys++;
      }
    };
    const clients = Array.from({ length: 3 }, client);

    const failovers: number[] = [];
    for (let n = 0; n < kills; n++) {
      // Some orders under a steady leader between kills.
      await waitFor(() => accepted.size >= (n + 1) * 20, 120_000);
      const { killed: leader, index, failoverMs } = await killLeaderAndTime(h.instances, 60_000);
      failovers.push(failoverMs);
      console.log(`kill ${n + 1}: ${leader.id} → next leader ready in ${ms(failovers.at(-1) ?? NaN, 0)}`);
      await h.restart(index);
    }
    stop = true;
    await Promise.all(clients);

    // The book against what the client saw.
    const book = await simOrders(h.sim);
    const times = new Map<string, number>();
    let resubmitted = 0;
    for (const o of book) {
      if (!o.clientOrderId?.startsWith("chaos-cluster-")) continue;
      times.set(o.clientOrderId, (times.get(o.clientOrderId) ?? 0) + 1);
      if (o.timesPlaced > 1) resubmitted++;
    }
    const duplicated = [...times.values()].filter((n) => n > 1).length + resubmitted;
    const missing = [...accepted.keys()].filter((k) => !times.has(k)).length;

    // The subscriber against the journal.
    const journal = await sequences(databaseUrl);
    await waitFor(() => subscriber.seen.length >= journal.length, 30_000).catch(() => undefined);
    const seen = subscriber.seen;
    const inOrder = seen.every((s, i) => i === 0 || s > (seen[i - 1] as number));
    const sameAsJournal = seen.length === journal.length && seen.every((s, i) => s === journal[i]);
    subscriber.stop();

    const sorted = [...failovers].sort((a, b) => a - b);
    const d = distribution(failovers);
    console.log(
      `orders accepted ${accepted.size}, given up ${failedKeys}; duplicated in the book ${duplicated}; ` +
        `accepted but missing ${missing}`,
    );
    console.log(
      `subscriber: ${seen.length} events (journal ${journal.length}), in order ${inOrder}, ` +
        `same as the journal ${sameAsJournal}, resumed ${subscriber.resumes} times`,
    );
    console.log(
      `failover kill -9 → next leader ready: p50 ${ms(d.p50, 0)}, p95 ${ms(percentile(sorted, 95), 0)}, ` +
        `max ${ms(d.max, 0)} over ${failovers.length} kills`,
    );
    const ok = duplicated === 0 && missing === 0 && inOrder && sameAsJournal;
    console.log(ok ? "PASS: every promise kept" : "FAIL: a promise was broken (see above)");
    return ok ? 0 : 2;
  } finally {
    await harness?.stop();
    await pgServer.stop();
  }
}

async function placeWithRetries(
  instances: () => Instance[],
  key: string,
  start: number,
  deadlineMs: number,
): Promise<string> {
  const deadline = Date.now() + deadlineMs;
  for (let attempt = 0; ; attempt++) {
    const all = instances();
    const target = all[(start + attempt) % all.length] as Instance;
    try {
      const r = await post(
        target.graphqlUrl,
        PLACE,
        {
          input: restingOrderInput(key),
        },
        30_000,
      );
      const order = (r.body.data?.placeOrder as { order?: { id: string } } | undefined)?.order;
      if (order) return order.id;
    } catch {
      /* any error: the next instance */
    }
    if (Date.now() > deadline) throw new Error(`${key} not accepted`);
    await new Promise((r) => setTimeout(r, Math.min(500, 25 * (attempt + 1))));
  }
}

/** A subscriber that moves to another instance, resuming after its last cursor, when its own dies. */
function followJournal(instances: () => Instance[]) {
  const seen: number[] = [];
  let cursor: string | undefined;
  let stopped = false;
  let resumes = 0;
  let dispose: (() => void) | undefined;
  let turn = 0;
  const connect = () => {
    if (stopped) return;
    const alive = instances().filter((i) => i.alive());
    const target = alive[turn++ % Math.max(1, alive.length)];
    if (!target) {
      setTimeout(connect, 200);
      return;
    }
    const client = wsClient(target.wsUrl, { authorization: `Bearer ${CLUSTER_TOKEN}` });
    const again = () => {
      void client.dispose();
      if (stopped) return;
      resumes++;
      setTimeout(connect, 100);
    };
    const unsubscribe = client.subscribe<{ orderUpdates: { sequence: number; cursor: string } }>(
      {
        query:
          "subscription($after: String, $afterSequence: Int) { " +
          "orderUpdates(after: $after, afterSequence: $afterSequence) { sequence cursor } }",
        // The first time from the start of the journal, then after the last event seen.
        variables: cursor ? { after: cursor } : { afterSequence: 0 },
      },
      {
        next: (r) => {
          const e = r.data?.orderUpdates;
          if (!e) return;
          seen.push(e.sequence);
          cursor = e.cursor;
        },
        error: again,
        complete: again,
      },
    );
    dispose = () => {
      unsubscribe();
      void client.dispose();
    };
  };
  connect();
  return {
    seen,
    get resumes() {
      return resumes;
    },
    stop() {
      stopped = true;
      dispose?.();
    },
  };
}

async function sequences(databaseUrl: string): Promise<number[]> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ sequence: string }>(
      "SELECT sequence FROM journal WHERE stream = 'order' ORDER BY sequence",
    );
    return rows.map((r) => Number(r.sequence));
  } finally {
    await c.end();
  }
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

if (require.main === module) {
  main(Number(process.argv[2] ?? 3)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error("chaos (shared deployment) crashed:", e);
      process.exit(1);
    },
  );
}
