import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { after, describe, it } from "node:test";
import { createMutationForwarder } from "../src/cluster/mutation-forwarder";
import { loadConfig, redactedConfig } from "../src/config/config";
import type { ClusterStatus } from "../src/schema/cluster.type";
import { InstanceRole } from "../src/schema/enums";
import { reservedClosedPort } from "./helpers/ports";

const servers: Server[] = [];
after(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** An HTTP server that answers like a leader, or never answers (a hung one). */
async function fakeLeader(
  answer: "ok" | "hang",
): Promise<{ url: string; seen: { headers: IncomingHttpHeaders; body: string }[] }> {
  const seen: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      seen.push({ headers: req.headers, body });
      if (answer === "hang") return;
      res.setHeader("content-type", "application/graphql-response+json");
      res.end(JSON.stringify({ data: { placeOrder: { order: { id: "7" } } } }));
    });
  });
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`, seen };
}

/** The forwarder as it runs in a standby's HTTP server, in front of a stand-in for Apollo. */
async function standby(
  cluster: () => ClusterStatus,
  timeoutMs = 5_000,
): Promise<{ url: string; reachedApollo: () => number }> {
  const forward = createMutationForwarder({ cluster, isLeading: () => false, timeoutMs });
  let apollo = 0;
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (c: Buffer) => (text += c.toString()));
    req.on("end", () => {
      const withBody = Object.assign(req, { body: JSON.parse(text || "{}") as unknown });
      forward(withBody, res, () => {
        apollo++;
        res.end(JSON.stringify({ data: { served: "here" } }));
      });
    });
  });
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/graphql`,
    reachedApollo: () => apollo,
  };
}

function status(leaderUrl: string | null): ClusterStatus {
  return {
    instanceId: "standby-1",
    role: InstanceRole.STANDBY,
    leaderId: leaderUrl ? "leader-1" : null,
    leaderUrl,
    epoch: 3,
  };
}

async function send(url: string, query: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer caller-token", ...headers },
    body: JSON.stringify({ query, variables: { x: 1 } }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const MUTATION = "mutation { placeOrder(input: $x) { order { id } } }";

describe("a standby's mutation forwarder", () => {
  it("serves queries itself and sends mutations to the leader with the caller's Authorization", async () => {
    const leader = await fakeLeader("ok");
    const s = await standby(() => status(leader.url));
    const q = await send(s.url, "{ orders { id } }");
    assert.deepEqual(q.body, { data: { served: "here" } });
    assert.equal(leader.seen.length, 0);

    const m = await send(s.url, MUTATION);
    assert.equal(m.status, 200);
    assert.deepEqual(
      m.body,
      { data: { placeOrder: { order: { id: "7" } } } },
      "the leader's answer, as it is",
    );
    assert.equal(leader.seen.length, 1);
    assert.equal(leader.seen[0]?.headers.authorization, "Bearer caller-token");
    assert.equal(leader.seen[0]?.headers["x-ibkr-graphql-forwarded-by"], "standby-1");
    assert.deepEqual(JSON.parse(leader.seen[0]?.body ?? ""), { query: MUTATION, variables: { x: 1 } });
    assert.equal(s.reachedApollo(), 1, "only the query reached this instance's own executor");
  });

  it("sends queries of what only IB knows (quotes, bars, contracts) to the leader too", async () => {
    const leader = await fakeLeader("ok");
    const s = await standby(() => status(leader.url));
    await send(s.url, '{ quote(contract: { symbol: "AAPL" }) { last } }');
    await send(s.url, 'query Q { ...F } fragment F on Query { searchContracts(query: "AAPL") { conid } }');
    await send(s.url, "{ positions { quantity } session { ready } }");
    assert.equal(leader.seen.length, 2);
    assert.equal(s.reachedApollo(), 1, "positions and session are the store's");
  });

  it("answers LEADER_UNAVAILABLE, retryable, when no leader is known, the leader is unreachable, or it was forwarded already", async () => {
    const none = await standby(() => status(null));
    const closed = await reservedClosedPort();
    const unreachable = await standby(() => status(`http://127.0.0.1:${closed}`));
    const leader = await fakeLeader("ok");
    const loop = await standby(() => status(leader.url));
    for (const [s, headers] of [
      [none, {}],
      [unreachable, {}],
      [loop, { "x-ibkr-graphql-forwarded-by": "another-standby" }],
    ] as const) {
      const r = await send(s.url, MUTATION, headers);
      assert.equal(r.status, 503);
      const error = (r.body.errors as { extensions: Record<string, unknown> }[])[0];
      assert.equal(error?.extensions.code, "LEADER_UNAVAILABLE");
      assert.equal(error?.extensions.retryable, true);
    }
    assert.equal(leader.seen.length, 0, "a forwarded request is never forwarded again");
  });

  it("answers OUTCOME_UNKNOWN, retryable, when the leader took the request and never answered", async () => {
    const leader = await fakeLeader("hang");
    const s = await standby(() => status(leader.url), 300);
    const r = await send(s.url, MUTATION);
    assert.equal(r.status, 502);
    const error = (r.body.errors as { extensions: Record<string, unknown> }[])[0];
    assert.equal(error?.extensions.code, "OUTCOME_UNKNOWN");
    assert.equal(error?.extensions.retryable, true);
    assert.equal(leader.seen.length, 1);
  });
});

describe("cluster settings", () => {
  it("DATABASE_URL must be PostgreSQL's, is logged without its password; one default per option", () => {
    const c = loadConfig({ DATABASE_URL: "postgres://ibkr:s3cret@db.internal:5432/ibkr" }, {}, null);
    assert.equal(c.leaderLeaseSeconds, 10);
    assert.match(c.instanceId, /^.+-\d+-[0-9a-f]{6}$/, "host name, pid and a random part");
    assert.equal(c.advertiseUrl, undefined);
    const logged = JSON.stringify(redactedConfig(c));
    assert.ok(!logged.includes("s3cret"));
    assert.ok(logged.includes("db.internal:5432/ibkr"));
    assert.throws(() => loadConfig({ DATABASE_URL: "mysql://x@y/z" }, {}, null), /DATABASE_URL/);
    assert.throws(() => loadConfig({ LEADER_LEASE_SECONDS: "0" }, {}, null), /LEADER_LEASE_SECONDS/);
    assert.equal(loadConfig({ INSTANCE_ID: "ibkr-1" }, {}, null).instanceId, "ibkr-1");
    assert.equal(loadConfig({}, {}, null).databaseUrl, undefined, "no DATABASE_URL: SINGLE, on SQLite");
  });
});
