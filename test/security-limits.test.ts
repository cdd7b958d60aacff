import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";
import { getIntrospectionQuery, parse } from "graphql";
import { request } from "undici";
import type { Client } from "graphql-ws";
import { operationCost } from "../src/query-limits";
import { startMemoryApp, type MemoryApp } from "./helpers/memory-app";
import { wsClient } from "./helpers/graphql";
import { wsOnce } from "./helpers/sim-app";
import { within } from "./helpers/wait";
import type { Json } from "./helpers/cp-sim-client";
import WebSocket from "ws";

const place = (i: number) =>
  `p${i}: placeOrder(input: { accountId: "DU0000001", contract: { conid: 265598 }, side: BUY, type: LIMIT,
    quantity: 1, limitPrice: 100, clientOrderId: "pad-${i}" }) { order { id } }`;
const padding = (n: number) => Array.from({ length: n }, (_, i) => `t${i}: __typename`).join(" ");
const PADDED_MUTATION = `mutation { ${Array.from({ length: 250 }, (_, i) => place(i)).join(" ")} ${padding(10_500)} }`;
const WIDE_READ = `{ ${Array.from({ length: 2_500 }, (_, i) => `a${i}: accounts { summary { netLiquidation } }`).join(" ")} }`;
const DEEP_INTROSPECTION = `{ __schema { types { fields { type ${"{ ofType ".repeat(42)}{ name }${" }".repeat(42)} } } } }`;
const CYCLE = "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
const UNKNOWN = "query { ...Nope }";

async function post(url: string, body: unknown) {
  const res = await request(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = (await res.body.json()) as {
    data?: unknown;
    errors?: { message: string; extensions: { code: string } }[];
  };
  return { status: res.statusCode, ...json };
}

/** A full collection, reachable without --expose-gc on the command line. */
function gc(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

describe("security: query limits", () => {
  let app: MemoryApp;
  let client: Client;
  before(async () => {
    app = await startMemoryApp();
    client = wsClient(app.server.wsUrl);
  });
  after(async () => {
    await client.dispose();
    await app.server.stop();
  });

  it("a mutation padded past 10,000 selections is refused with 400 over both transports; no order placed", async () => {
    const r = await post(app.server.httpUrl, { query: PADDED_MUTATION });
    assert.equal(r.status, 400);
    assert.equal(r.errors?.[0]?.extensions.code, "BAD_USER_INPUT");
    const w = await wsOnce(client, PADDED_MUTATION, undefined, 20_000);
    assert.equal(String(w.errors?.[0]?.extensions?.code), "BAD_USER_INPUT");
    assert.equal(app.tws.placed.length, 0);
  });

  it("2,500 x accounts { summary } is refused with 400 over both transports", async () => {
    const r = await post(app.server.httpUrl, { query: WIDE_READ });
    assert.equal(r.status, 400);
    assert.equal(r.errors?.[0]?.extensions.code, "BAD_USER_INPUT");
    const w = await wsOnce(client, WIDE_READ, undefined, 20_000);
    assert.equal(String(w.errors?.[0]?.extensions?.code), "BAD_USER_INPUT");
  });

  it("counts every field however large the operation (no node cap), aliases of mutations fully", () => {
    assert.equal(operationCost(parse(`{ ${padding(20_000)} }`), undefined), 20_000);
    // Each root mutation field costs 20 on top of its 3 fields: 10 placeOrders are 10 x (3 + 20).
    const ten = parse(`mutation { ${Array.from({ length: 10 }, (_, i) => place(i)).join(" ")} }`);
    assert.equal(operationCost(ten, undefined), 10 * 23);
    // A fragment bomb costs arithmetic, not time.
    const bomb = Array.from(
      { length: 40 },
      (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`,
    );
    const doc = parse(`query { ...F0 } ${bomb.join(" ")} fragment F40 on Query { __typename }`);
    assert.equal(operationCost(doc, undefined), 2 ** 40);
  });

  it("a complexity refusal is HTTP 400 with its code", async () => {
    const wide = `{ ${Array.from({ length: 600 }, (_, i) => `a${i}: session { mode }`).join(" ")} }`;
    const r = await post(app.server.httpUrl, { query: wide });
    assert.equal(r.status, 400);
    assert.equal(r.errors?.[0]?.extensions.code, "BAD_USER_INPUT");
    assert.match(r.errors?.[0]?.message ?? "", /complexity/);
  });

  it("the depth limit includes introspection; the standard introspection query still passes", async () => {
    const r = await post(app.server.httpUrl, { query: DEEP_INTROSPECTION });
    assert.equal(r.status, 400);
    assert.equal(r.errors?.[0]?.extensions.code, "BAD_USER_INPUT");
    assert.match(r.errors?.[0]?.message ?? "", /depth/);
    const w = await wsOnce(client, DEEP_INTROSPECTION);
    assert.equal(String(w.errors?.[0]?.extensions?.code), "BAD_USER_INPUT");
    const standard = await post(app.server.httpUrl, { query: getIntrospectionQuery() });
    assert.equal(standard.status, 200);
    assert.equal(standard.errors, undefined);
  });

  it("README: depth ≤ 10: ten levels pass, eleven are refused, over HTTP and graphql-ws", async () => {
    // orders (1) › children × (n − 2) › id (n): an operation n fields deep.
    const deep = (n: number) => `{ orders { ${"children { ".repeat(n - 2)}id${" }".repeat(n - 2)} } }`;
    const ten = await post(app.server.httpUrl, { query: deep(10) });
    assert.equal(ten.status, 200, JSON.stringify(ten.errors));
    assert.equal(ten.errors, undefined);
    const eleven = await post(app.server.httpUrl, { query: deep(11) });
    assert.equal(eleven.status, 400);
    assert.equal(eleven.errors?.[0]?.extensions.code, "BAD_USER_INPUT");
    assert.match(eleven.errors?.[0]?.message ?? "", /maximum operation depth of 10\b/);
    assert.equal((await wsOnce(client, deep(10))).errors, undefined);
    assert.equal(String((await wsOnce(client, deep(11))).errors?.[0]?.extensions?.code), "BAD_USER_INPUT");
  });

  it("README: request bodies and WebSocket messages ≤ 256 kB (HTTP 413, close 1009)", async () => {
    const LIMIT = 256 * 1024;
    // A body of exactly `bytes` bytes: a small query and an unused variable padded to size.
    const body = (bytes: number) => {
      const shell = JSON.stringify({ query: "{ session { mode } }", variables: { pad: "" } });
      return JSON.stringify({
        query: "{ session { mode } }",
        variables: { pad: "x".repeat(bytes - shell.length) },
      });
    };
    const send = async (text: string) => {
      const res = await request(app.server.httpUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: text,
      });
      return { status: res.statusCode, json: (await res.body.json()) as { errors?: { extensions: Json }[] } };
    };
    assert.equal(body(LIMIT).length, LIMIT);
    const at = await send(body(LIMIT));
    assert.equal(at.status, 200, JSON.stringify(at.json.errors));
    const over = await send(body(LIMIT + 1));
    assert.equal(over.status, 413);
    assert.equal(over.json.errors?.[0]?.extensions.code, "BAD_USER_INPUT");

    // graphql-ws: a subscribe message one byte over the limit closes the socket with 1009.
    const ws = new WebSocket(app.server.wsUrl, "graphql-transport-ws");
    const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    ws.send(JSON.stringify({ type: "connection_init" }));
    await new Promise<void>((resolve) => ws.once("message", () => resolve()));
    const frame = (bytes: number) => {
      const shell = JSON.stringify({
        id: "1",
        type: "subscribe",
        payload: { query: "{ session { mode } }", variables: { pad: "" } },
      });
      return JSON.stringify({
        id: "1",
        type: "subscribe",
        payload: { query: "{ session { mode } }", variables: { pad: "x".repeat(bytes - shell.length) } },
      });
    };
    ws.send(frame(LIMIT + 1));
    assert.equal(await within("the socket to close", closed, 5_000), 1009);
  });

  it("fragment cycles and unknown fragments answer BAD_USER_INPUT (400), never 500 or a stack", async () => {
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      written.push(String(chunk));
      return write(chunk, ...rest);
    }) as typeof process.stderr.write;
    try {
      for (const query of [CYCLE, UNKNOWN]) {
        const r = await post(app.server.httpUrl, { query });
        assert.equal(r.status, 400, query);
        assert.equal(r.errors?.[0]?.extensions.code, "BAD_USER_INPUT", query);
        assert.doesNotMatch(JSON.stringify(r), /Maximum call stack/);
        const w = await wsOnce(client, query);
        assert.equal(String(w.errors?.[0]?.extensions?.code), "BAD_USER_INPUT", query);
      }
    } finally {
      process.stderr.write = write;
    }
    assert.doesNotMatch(written.join(""), /Maximum call stack|\n\s+at /);
  });

  it("variables are not kept: 100 distinct 250 kB variable sets leave the heap flat", async () => {
    const collect = gc();
    const query = "query Q { session { mode } }";
    // Warm up: the document, Apollo's caches, the connection pool.
    for (let i = 0; i < 5; i++) await post(app.server.httpUrl, { query, variables: { pad: `${i}` } });
    collect();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 100; i++) {
      const r = await post(app.server.httpUrl, { query, variables: { pad: `${i}`.padEnd(250_000, "x") } });
      assert.equal(r.status, 200);
    }
    for (let i = 0; i < 30; i++) {
      const w = await wsOnce(client, query, { pad: `${i}`.padEnd(200_000, "y") });
      assert.equal(w.errors, undefined);
    }
    collect();
    const grown = (process.memoryUsage().heapUsed - before) / 1024 / 1024;
    assert.ok(grown < 8, `heap grew ${grown.toFixed(1)} MB`);
  });
});
