import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createHash } from "node:crypto";
import { request } from "undici";
import { ConfigError, loadConfig } from "../src/config/config";
import type { Json } from "./helpers/cp-sim-client";
import { codesOf, startSimApp, wsOnce, type SimApp } from "./helpers/sim-app";

const TRADE = "trade-token-0123456789abcdef";
const READ = "read-token-0123456789abcdef";

const PLACE = `mutation Place($i: PlaceOrderInput!) { placeOrder(input: $i) { order { id source } } }`;
const placeVars = (clientOrderId: string) => ({
  i: {
    accountId: "DU1234567",
    contract: { conid: 265598 },
    side: "BUY",
    type: "LIMIT",
    quantity: 1,
    limitPrice: 100,
    clientOrderId,
  },
});
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

/** The socket close a refused graphql-ws connection ends with. */
async function closeCode(s: SimApp, params: Record<string, unknown> | undefined): Promise<number> {
  const client = s.ws(params);
  try {
    await wsOnce(client, "{ session { ready } }");
    return 1000;
  } catch (e) {
    return (e as { code?: number }).code ?? -1;
  } finally {
    await client.dispose();
  }
}

/**
 * Unauthenticated GETs that must all answer 401: `/metrics` (optional), an operation in `query`, and a
 * persisted query that an authorised client registered, replayed by its hash alone (no `query` parameter).
 */
async function getBypasses(
  s: SimApp,
  base: string,
  accepts: (string | undefined)[],
  options: { metrics: boolean; persisted: boolean },
): Promise<string[]> {
  const query = "{ accounts { id } }";
  const sha256Hash = createHash("sha256").update(query).digest("hex");
  const extensions = { persistedQuery: { version: 1, sha256Hash } };
  const registered = await request(s.httpUrl, {
    method: "POST",
    headers: { "content-type": "application/json", ...bearer(TRADE) },
    body: JSON.stringify({ query, extensions }),
  });
  assert.equal(registered.statusCode, 200);
  await registered.body.dump();
  const failures: string[] = [];
  for (const accept of accepts) {
    const headers: Record<string, string> = { "apollo-require-preflight": "true" };
    if (accept) headers.accept = accept;
    const urls = [
      `${s.httpUrl}?query=${encodeURIComponent(query)}`,
      ...(options.persisted
        ? [`${s.httpUrl}?extensions=${encodeURIComponent(JSON.stringify(extensions))}`]
        : []),
      ...(options.metrics ? [`${base}/metrics`] : []),
    ];
    for (const url of urls) {
      const r = await request(url, { headers });
      const text = await r.body.text();
      // The landing page (HTML, no data) is fine; anything with data or metrics is a bypass.
      if (r.statusCode !== 401 && (text.includes('"data"') || url.endsWith("/metrics"))) {
        failures.push(`${url.replace(base, "")} accept=${accept}: ${r.statusCode} ${text.slice(0, 80)}`);
      }
    }
  }
  return failures;
}

describe("API_TOKEN and API_READ_TOKEN, over HTTP and graphql-ws", () => {
  let s: SimApp;
  let base = "";
  const bookSize = async () => (await s.simOrders()).length;

  before(async () => {
    s = await startSimApp({ env: { API_TOKEN: TRADE, API_READ_TOKEN: READ } });
    base = s.httpUrl.replace(/\/graphql$/, "");
  });
  after(() => s?.stop());

  it("answers 401 UNAUTHENTICATED to HTTP requests without the token or with a wrong one", async () => {
    const before = await bookSize();
    for (const headers of [{}, bearer("wrong-token-0123456789abcdef"), { authorization: TRADE + "x" }]) {
      for (const query of ["{ session { ready } }", PLACE]) {
        const r = await s.op(query, query === PLACE ? placeVars("auth-401") : undefined, headers);
        assert.equal(r.status, 401, JSON.stringify(headers));
        assert.deepEqual(codesOf(r), ["UNAUTHENTICATED"]);
        assert.match(r.errors?.[0]?.message ?? "", /Authorization: Bearer/);
      }
    }
    assert.equal(await bookSize(), before);
  });

  it("answers 401 to GET operations without the token, whatever they accept", async () => {
    const failures = await getBypasses(s, base, ["*/*", undefined], { metrics: false, persisted: false });
    assert.deepEqual(failures, []);
  });

  it("answers 401 to GET /metrics and to persisted queries by hash without the token, whatever they accept", async () => {
    const failures = await getBypasses(
      s,
      base,
      [undefined, "*/*", "application/json, text/html", "text/html"],
      { metrics: true, persisted: true },
    );
    assert.deepEqual(failures, []);
  });

  it("closes graphql-ws connections without the token or with a wrong one with 4401", async () => {
    const before = await bookSize();
    assert.equal(await closeCode(s, undefined), 4401);
    assert.equal(await closeCode(s, bearer("wrong-token-0123456789abcdef")), 4401);
    assert.equal(await closeCode(s, { token: READ.slice(1) }), 4401);
    // A refused connection never runs an operation, mutations included.
    const client = s.ws({});
    await assert.rejects(wsOnce(client, PLACE, placeVars("auth-4401")), (e: Json) => e.code === 4401);
    await client.dispose();
    assert.equal(await bookSize(), before);
  });

  it("lets the read token query and subscribe but answers FORBIDDEN to every mutation", async () => {
    const writes = (await s.orderWrites()).length;
    const before = await bookSize();
    const q = await s.op("{ accounts { id } orders { id } }", undefined, bearer(READ));
    assert.deepEqual(q.errors, undefined);
    const mutations: [string, Record<string, unknown> | undefined][] = [
      [PLACE, placeVars("auth-read")],
      [`mutation { cancelOrder(id: "1") { id } }`, undefined],
      [`mutation { modifyOrder(id: "1", input: { quantity: 2 }) { id } }`, undefined],
      [`mutation { confirmOrder(replyId: "1", confirmed: true) { order { id } } }`, undefined],
      [`mutation { reauthenticate { ready } }`, undefined],
    ];
    const client = s.ws(bearer(READ));
    try {
      assert.deepEqual((await wsOnce(client, "{ session { ready } }")).errors, undefined);
      for (const [m, v] of mutations) {
        const http = await s.op(m, v, bearer(READ));
        assert.equal(http.status, 200);
        assert.deepEqual(codesOf(http), ["FORBIDDEN"], m);
        assert.match(http.errors?.[0]?.message ?? "", /use API_TOKEN/);
        const ws = await wsOnce(client, m, v);
        assert.deepEqual(codesOf(ws), ["FORBIDDEN"], `ws: ${m}`);
      }
    } finally {
      await client.dispose();
    }
    assert.equal(await bookSize(), before);
    assert.equal((await s.orderWrites()).length, writes);
  });

  it("lets the trade token place orders, over HTTP and graphql-ws, with the token in either param", async () => {
    const http = await s.op(PLACE, placeVars("auth-ok-http"), bearer(TRADE));
    assert.deepEqual(http.errors, undefined);
    for (const [name, params] of [
      ["authorization", bearer(TRADE)],
      ["token", { token: TRADE }],
    ] as const) {
      const client = s.ws(params);
      try {
        const ws = await wsOnce(client, PLACE, placeVars(`auth-ok-ws-${name}`));
        assert.deepEqual(ws.errors, undefined, name);
      } finally {
        await client.dispose();
      }
    }
    const book = await s.simOrders();
    for (const c of ["auth-ok-http", "auth-ok-ws-authorization", "auth-ok-ws-token"]) {
      assert.equal(book.filter((o) => o.clientOrderId === c).length, 1, c);
    }
  });

  it("serves the landing page without the token, but no operation through a GET", async () => {
    const page = await request(s.httpUrl, { headers: { accept: "text/html" } });
    assert.equal(page.statusCode, 200);
    await page.body.dump();
    const sneaky = await request(`${s.httpUrl}?query=${encodeURIComponent("{ accounts { id } }")}`, {
      headers: { accept: "text/html" },
    });
    assert.equal(sneaky.statusCode, 401);
    await sneaky.body.dump();
  });
});

describe("Apollo's CSRF prevention", () => {
  let s: SimApp;
  before(async () => {
    s = await startSimApp();
  });
  after(() => s?.stop());

  it("refuses a simple GET with a query and no preflight header, and accepts it with one", async () => {
    const url = `${s.httpUrl}?query=${encodeURIComponent("{ session { ready } }")}`;
    const simple = await request(url);
    assert.equal(simple.statusCode, 400);
    assert.match(await simple.body.text(), /CSRF|apollo-require-preflight/i);
    const preflighted = await request(url, { headers: { "apollo-require-preflight": "true" } });
    assert.equal(preflighted.statusCode, 200);
    assert.deepEqual(((await preflighted.body.json()) as Json).data, { session: { ready: true } });
  });

  it("never runs a mutation from a form-like POST or a GET", async () => {
    const before = (await s.simOrders()).length;
    const body = JSON.stringify({ query: PLACE, variables: placeVars("csrf-1") });
    for (const type of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
    ]) {
      const r = await request(s.httpUrl, { method: "POST", headers: { "content-type": type }, body });
      assert.ok(r.statusCode >= 400, `${type}: ${r.statusCode}`);
      await r.body.dump();
    }
    const mutation = `mutation { placeOrder(input: { accountId: "DU1234567", contract: { conid: 265598 }, side: BUY,
      type: LIMIT, quantity: 1, limitPrice: 100, clientOrderId: "csrf-2" }) { order { id } } }`;
    const get = await request(`${s.httpUrl}?query=${encodeURIComponent(mutation)}`, {
      headers: { "apollo-require-preflight": "true" },
    });
    assert.equal(get.statusCode, 405, "mutations are not allowed over GET");
    await get.body.dump();
    assert.equal((await s.simOrders()).length, before);
  });
});

describe("binding beyond loopback", () => {
  it("is refused without API_TOKEN, with a message that says how to fix it", () => {
    for (const HOST of ["0.0.0.0", "::", "192.168.1.10", "example.org"]) {
      assert.throws(
        () => loadConfig({ HOST }, {}, null),
        (e: unknown) =>
          e instanceof ConfigError &&
          e.problems.some((p) => p.startsWith("HOST:") && p.includes("requires API_TOKEN")),
        HOST,
      );
    }
  });

  it("is allowed with API_TOKEN, and loopback is allowed without one", () => {
    assert.equal(loadConfig({ HOST: "0.0.0.0", API_TOKEN: TRADE }, {}, null).host, "0.0.0.0");
    for (const HOST of ["127.0.0.1", "127.0.0.2", "localhost", "::1"]) {
      assert.equal(loadConfig({ HOST }, {}, null).host, HOST);
    }
  });

  it("refuses a read token alone beyond loopback, and tokens shorter than 16 characters", () => {
    assert.throws(() => loadConfig({ HOST: "0.0.0.0", API_READ_TOKEN: READ }, {}, null), ConfigError);
    assert.throws(
      () => loadConfig({ API_TOKEN: "short" }, {}, null),
      (e: unknown) => e instanceof ConfigError && /API_TOKEN: .*\(hidden\)/.test(e.message),
    );
  });
});
