import assert from "node:assert/strict";
import { describe, it } from "node:test";
import pg from "pg";
import {
  ACCOUNT,
  CLUSTER_TOKEN,
  clusterOf,
  isReady,
  killHard,
  post,
  readyLeader,
  restingOrderInput,
  simOrders,
  type Instance,
} from "./helpers/cluster";
import { wsClient } from "./helpers/graphql";
import { clusterForFile } from "./helpers/cluster-suite";
import { eventually, within } from "./helpers/wait";

const LEASE_SECONDS = 2;
const ORDERS = 200;

const PLACE = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id clientOrderId } } }`;

const cluster = clusterForFile("cluster", 3, LEASE_SECONDS);

async function sql<T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: cluster().databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

/**
 * A client behind a round-robin load balancer: each order goes to the next instance, and on ANY error
 * (refused connection, reset, a GraphQL error) is retried on the next one with the same clientOrderId.
 */
async function placeRoundRobin(
  instances: () => Instance[],
  key: string,
  start: number,
  deadlineMs = 60_000,
): Promise<{ orderId: string; attempts: number; codes: string[] }> {
  const deadline = Date.now() + deadlineMs;
  const codes: string[] = [];
  for (let attempt = 0; ; attempt++) {
    const all = instances();
    const target = all[(start + attempt) % all.length] as Instance;
    try {
      const r = await post(target.graphqlUrl, PLACE, { input: restingOrderInput(key) }, 20_000);
      const order = (r.body.data?.placeOrder as { order?: { id: string } } | undefined)?.order;
      if (order) return { orderId: order.id, attempts: attempt + 1, codes };
      codes.push(r.body.errors?.[0]?.extensions?.code ?? `HTTP ${r.status}`);
    } catch (e) {
      codes.push((e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name);
    }
    if (Date.now() > deadline)
      throw new Error(`order ${key} not accepted in ${deadlineMs} ms: ${codes.join(", ")}`);
    // A client's back-off between retries (not a test's wait): grows to 200 ms.
    await new Promise((r) => setTimeout(r, Math.min(200, 20 * (attempt + 1))));
  }
}

describe("three instances on one database, against one simulator", () => {
  let firstLeader: Instance;
  let killedAt = 0;

  it("elects one leader; only it connects to TWS and logs in to Client Portal; standbys are ready", async () => {
    const { instances } = cluster();
    firstLeader = await readyLeader(instances, 60_000);
    for (const inst of instances) {
      const c = await clusterOf(inst);
      assert.equal(c?.leaderId, firstLeader.id, `${inst.id} knows the leader`);
      assert.equal(c?.role, inst === firstLeader ? "LEADER" : "STANDBY");
    }
    await eventually("the standbys to be ready (leader known)", async () => {
      for (const inst of instances) if (!(await isReady(inst))) return false;
      return true;
    });
    assert.ok(firstLeader.tws.connections.length >= 1, "the leader connected to TWS");
    assert.ok(firstLeader.cp.connections.length >= 1, "the leader talks to Client Portal");
    for (const inst of instances.filter((i) => i !== firstLeader)) {
      assert.equal(inst.tws.connections.length, 0, `${inst.id} never connected to TWS`);
      assert.equal(inst.cp.connections.length, 0, `${inst.id} never reached Client Portal`);
    }
    // A standby answers reads from the store: the accounts the leader last read, with its metrics role.
    const standby = instances.find((i) => i !== firstLeader) as Instance;
    await eventually(
      "a standby to serve the leader's accounts",
      async () => {
        const r = await post(standby.graphqlUrl, "{ accounts { id } }");
        return (r.body.data?.accounts as { id: string }[] | undefined)?.some((a) => a.id === ACCOUNT);
      },
      15_000,
      100,
    );
    const metrics = await (
      await fetch(`${standby.url}/metrics`, { headers: { authorization: `Bearer ${CLUSTER_TOKEN}` } })
    ).text();
    assert.match(metrics, /ibkr_graphql_cluster_role\{role="STANDBY"\} 1/);
  });

  it("200 orders round-robin, leader kill -9ed midway: each order at most once in the book, every accepted one there; a standby's subscriber sees every event once, in order", async () => {
    const h = cluster();
    const instances = h.instances;
    const watcher = instances.find((i) => i !== firstLeader) as Instance;
    const third = instances.find((i) => i !== firstLeader && i !== watcher) as Instance;

    // From the start of the journal: the subscriber's events must be exactly the journal's, once each.
    const seen: { sequence: number; type: string; clientOrderId: string | null }[] = [];
    let subscriptionError: unknown;
    const ws = wsClient(watcher.wsUrl, { authorization: `Bearer ${CLUSTER_TOKEN}` });
    const unsubscribe = ws.subscribe<{
      orderUpdates: { sequence: number; type: string; order: { clientOrderId: string | null } };
    }>(
      {
        query:
          "subscription { orderUpdates(afterSequence: 0) { sequence cursor type order { id clientOrderId } } }",
      },
      {
        next: (r) => {
          const e = r.data?.orderUpdates;
          if (e) seen.push({ sequence: e.sequence, type: e.type, clientOrderId: e.order.clientOrderId });
          if (r.errors) subscriptionError = r.errors;
        },
        error: (e) => (subscriptionError = e),
        complete: () => undefined,
      },
    );

    const sessionEvents: { type: string; leaderId: string | null }[] = [];
    const unsubscribeSession = ws.subscribe<{
      sessionEvents: { type: string; status: { cluster: { leaderId: string | null } } };
    }>(
      { query: "subscription { sessionEvents { sequence type api status { cluster { leaderId } } } }" },
      {
        next: (r) => {
          const e = r.data?.sessionEvents;
          if (e) sessionEvents.push({ type: e.type, leaderId: e.status.cluster.leaderId });
        },
        error: (e) => (subscriptionError = e),
        complete: () => undefined,
      },
    );

    const accepted = new Map<string, string>();
    const retried: string[] = [];
    const keys = Array.from({ length: ORDERS }, (_, k) => `rr-${k}`);
    let next = 0;
    let killing: Promise<void> | undefined;
    let failoverMs = 0;
    const worker = async () => {
      for (;;) {
        const k = next++;
        if (k >= keys.length) return;
        const key = keys[k] as string;
        const r = await placeRoundRobin(() => instances, key, k);
        accepted.set(key, r.orderId);
        retried.push(...r.codes);
        if (accepted.size === ORDERS / 2 && !killing) {
          killing = (async () => {
            killedAt = Date.now();
            await killHard(firstLeader);
            const survivors = instances.filter((i) => i !== firstLeader);
            await readyLeader(survivors, 30_000);
            failoverMs = Date.now() - killedAt;
          })();
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: 4 }, worker));
      await within("the failover to finish", killing ?? Promise.resolve(), 30_000);
      console.log(
        `# cluster failover (kill -9 → new leader ready): ${failoverMs} ms (lease ${LEASE_SECONDS} s)`,
      );
      const tally = new Map<string, number>();
      for (const c of retried) tally.set(c, (tally.get(c) ?? 0) + 1);
      console.log(`# cluster round-robin retries by cause: ${JSON.stringify(Object.fromEntries(tally))}`);
      assert.equal(accepted.size, ORDERS);

      // The book: each clientOrderId at most once, and every order the client saw accepted is there.
      const book = await simOrders(h.sim);
      const byKey = new Map<string, number>();
      for (const o of book) {
        if (!o.clientOrderId?.startsWith("rr-")) continue;
        byKey.set(o.clientOrderId, (byKey.get(o.clientOrderId) ?? 0) + 1);
        assert.ok(o.timesPlaced <= 1, `${o.clientOrderId} submitted ${o.timesPlaced} times`);
      }
      for (const [key, n] of byKey) assert.equal(n, 1, `${key} is in the book ${n} times`);
      for (const key of accepted.keys())
        assert.ok(byKey.has(key), `${key} was accepted but is not in the book`);

      // Exactly one instance at a time talked to IB: the first leader until it died, then one other.
      const secondLeader = await readyLeader(instances.filter((i) => i !== firstLeader));
      assert.ok(firstLeader.tws.connections.every((t) => t < killedAt));
      assert.ok(secondLeader.tws.connections.length >= 1, "the new leader connected to TWS");
      assert.ok(
        secondLeader.tws.connections.every((t) => t >= killedAt),
        "…only after the kill",
      );
      assert.ok(secondLeader.cp.connections.every((t) => t >= killedAt));
      const other = secondLeader === watcher ? third : watcher;
      assert.equal(other.tws.connections.length, 0, `${other.id} never connected to TWS`);
      assert.equal(other.cp.connections.length, 0, `${other.id} never reached Client Portal`);

      // The standby's subscriber: every order event of the journal, once, in order.
      const journal = await sql<{ sequence: string }>(
        "SELECT sequence FROM journal WHERE stream = 'order' ORDER BY sequence",
      );
      const expected = journal.map((r) => Number(r.sequence));
      await eventually(
        "the standby's subscriber to reach the end of the journal",
        () => {
          if (subscriptionError) throw new Error(`subscription failed: ${JSON.stringify(subscriptionError)}`);
          return seen.length >= expected.length;
        },
        15_000,
      );
      assert.deepEqual(
        seen.map((e) => e.sequence),
        expected,
        "every journaled order event once, in order",
      );
      for (const key of accepted.keys()) {
        assert.ok(
          seen.some((e) => e.clientOrderId === key),
          `the subscriber saw an event of ${key}`,
        );
      }
      // The same standby serves the orders from the store, and told its session subscriber who leads now.
      const listed = await post(watcher.graphqlUrl, "{ orders { clientOrderId } }");
      const listedKeys = new Set(
        (listed.body.data?.orders as { clientOrderId: string | null }[]).map((o) => o.clientOrderId),
      );
      for (const key of accepted.keys()) assert.ok(listedKeys.has(key), `${key} listed by the standby`);
      await eventually(
        "LEADER_CHANGED naming the new leader",
        () => sessionEvents.some((e) => e.type === "LEADER_CHANGED" && e.leaderId === secondLeader.id),
        10_000,
      );
    } finally {
      unsubscribeSession();
      unsubscribe();
      await ws.dispose();
    }
  });

  it("a leader paused past its lease and resumed places nothing and journals nothing (fencing)", async () => {
    const h = cluster();
    const survivors = h.instances.filter((i) => i.alive());
    const paused = await readyLeader(survivors);
    const clientIdBefore = new Set((await simOrders(h.sim)).map((o) => o.twsClientId));
    assert.equal(clientIdBefore.size, 1, "one TWS client id placed every order so far");

    paused.process.kill("SIGSTOP");
    const pausedAt = Date.now();
    let resumed = false;
    try {
      const successor = await readyLeader(
        survivors.filter((i) => i !== paused),
        30_000,
      );
      console.log(`# cluster failover (SIGSTOP → new leader ready): ${Date.now() - pausedAt} ms`);
      // A request that reached the paused leader while it was stopped, marked as already forwarded so it
      // cannot be passed on: whatever it still believes on waking, it must not place or journal this.
      const probe = fetch(paused.graphqlUrl, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${CLUSTER_TOKEN}`,
          "x-ibkr-graphql-forwarded-by": "test",
        },
        body: JSON.stringify({ query: PLACE, variables: { input: restingOrderInput("fenced-probe") } }),
      });
      const lastBefore = Number((await sql<{ last: string }>("SELECT last FROM journal_head"))[0]?.last ?? 0);
      paused.process.kill("SIGCONT");
      resumed = true;
      const answer = (await (await within("the paused leader's answer", probe, 30_000)).json()) as {
        data?: { placeOrder?: { order?: unknown } } | null;
        errors?: { extensions?: { code?: string } }[];
      };
      assert.ok(!answer.data?.placeOrder?.order, "the old leader placed nothing");
      assert.ok(answer.errors?.[0]?.extensions?.code, "…and answered with a coded error");
      await eventually(
        "the old leader to know it is a standby",
        async () => {
          const c = await clusterOf(paused);
          return c?.role === "STANDBY" && c.leaderId === successor.id;
        },
        15_000,
      );

      assert.ok(!(await simOrders(h.sim)).some((o) => o.clientOrderId === "fenced-probe"), "not in the book");
      const keys = await sql("SELECT 1 FROM idempotency WHERE client_order_id = 'fenced-probe'");
      assert.equal(keys.length, 0, "no idempotency key written");
      const journaled = await sql<{ payload: string }>("SELECT payload FROM journal WHERE sequence > $1", [
        lastBefore,
      ]);
      assert.ok(!journaled.some((r) => r.payload.includes("fenced-probe")), "nothing journaled of it");
      // Nothing placed by the old leader's TWS connection after it woke.
      const placedAfter = (await simOrders(h.sim)).filter((o) => new Date(o.createdAt).getTime() >= pausedAt);
      for (const o of placedAfter)
        assert.ok(!clientIdBefore.has(o.twsClientId), "no order from the old session");
    } finally {
      if (!resumed) paused.process.kill("SIGCONT");
    }
  });
});
