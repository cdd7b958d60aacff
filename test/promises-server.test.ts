/**
 * README promises about the HTTP server with a token set, over real sockets (the server in SIMULATED mode on
 * port 0): the health endpoints stay open, the audit lines name the client's address and user agent, and no
 * secret ever reaches the log. Each test's name quotes the promise it keeps.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { request } from "undici";
import WebSocket from "ws";
import { createClient } from "graphql-ws";
import { capturingLogger, startSimApp, wsOnce, type SimApp } from "./helpers/sim-app";
import type { Json } from "./helpers/cp-sim-client";
import { eventually } from "./helpers/wait";

const TOKEN = "promises-secret-token-0123456789";
const WRONG = "wrong-secret-token-9876543210abc";
const ACCT = "DU1234567";
const AAPL = 265598;
const PLACE = `mutation Place($i: PlaceOrderInput!) { placeOrder(input: $i) { order { id clientOrderId } } }`;
const order = (clientOrderId: string) => ({
  i: {
    accountId: ACCT,
    contract: { conid: AAPL },
    side: "BUY",
    type: "LIMIT",
    quantity: 1,
    limitPrice: 100,
    clientOrderId,
  },
});

describe("with API_TOKEN set", () => {
  let s: SimApp;
  let lines: Json[];
  let base: string;
  before(async () => {
    const captured = capturingLogger();
    lines = captured.lines;
    s = await startSimApp({ env: { API_TOKEN: TOKEN, LOG_LEVEL: "info" }, logger: captured.logger });
    base = s.httpUrl.replace(/\/graphql$/, "");
  });
  after(() => s?.stop());

  it("README: /livez and /readyz need no token (container probes); /graphql does", async () => {
    const livez = await request(`${base}/livez`);
    assert.equal(livez.statusCode, 200);
    await livez.body.dump();
    const readyz = await eventually("/readyz 200 without a token", async () => {
      const r = await request(`${base}/readyz`);
      const body = (await r.body.json()) as Json;
      return r.statusCode === 200 ? body : undefined;
    });
    assert.equal(readyz.ready, true);
    assert.ok(readyz.components.tws && readyz.components.clientPortal, "shows each side's state");
    // The control case: the API itself is closed without the token.
    const gql = await request(s.httpUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ session { ready } }" }),
    });
    assert.equal(gql.statusCode, 401);
    await gql.body.dump();
  });

  it("README: audit lines carry the client's address and user agent (HTTP and graphql-ws)", async () => {
    const http = await s.op(PLACE, order("audit-http-1"), {
      authorization: `Bearer ${TOKEN}`,
      "user-agent": "promises-audit-agent/1.0",
    });
    assert.deepEqual(http.errors, undefined);
    const ws = createClient({
      url: s.wsUrl,
      webSocketImpl: class extends WebSocket {
        constructor(address: string, protocols?: string | string[]) {
          super(address, protocols, { headers: { "user-agent": "promises-ws-agent/2.0" } });
        }
      },
      connectionParams: { authorization: `Bearer ${TOKEN}` },
      retryAttempts: 0,
      lazy: true,
    });
    try {
      const viaWs = await wsOnce(ws, PLACE, order("audit-ws-1"));
      assert.deepEqual(viaWs.errors, undefined);
    } finally {
      await ws.dispose();
    }
    const accepted = await eventually("both audit lines", () => {
      const found = lines.filter((l) => l.msg === "order accepted");
      return found.length >= 2 ? found : undefined;
    });
    const byKey = (key: string) => accepted.find((l) => JSON.stringify(l).includes(key));
    const h = byKey("audit-http-1");
    const w = byKey("audit-ws-1");
    assert.ok(h && w, JSON.stringify(accepted));
    assert.match(String(h.client), /^http (::ffff:)?127\.0\.0\.1 promises-audit-agent\/1\.0$/);
    assert.match(String(w.client), /^ws (::ffff:)?127\.0\.0\.1 promises-ws-agent\/2\.0$/);
  });

  it("README: secrets are never logged (right and wrong tokens, headers and connection params)", async () => {
    // A refused HTTP request, a refused graphql-ws connection, accepted ones, and an error answer.
    await s.op("{ session { ready } }", undefined, { authorization: `Bearer ${WRONG}` });
    await s.op("{ session { ready } }", undefined, { authorization: `Bearer ${TOKEN}` });
    await s.op("{ nope }", undefined, { authorization: `Bearer ${TOKEN}` });
    await s.op(PLACE, order("secret-1"), { authorization: `Bearer ${TOKEN}`, "x-api-key": TOKEN });
    const refused = createClient({
      url: s.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { token: WRONG },
      retryAttempts: 0,
      lazy: true,
    });
    await wsOnce(refused, "{ session { ready } }").catch(() => undefined);
    await refused.dispose();
    const accepted = createClient({
      url: s.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { token: TOKEN },
      retryAttempts: 0,
      lazy: true,
    });
    assert.deepEqual((await wsOnce(accepted, "{ session { ready } }")).errors, undefined);
    await accepted.dispose();
    // The log did record these requests (so the check below looks at something).
    await eventually("the order's audit line", () =>
      lines.find((l) => JSON.stringify(l).includes("secret-1")),
    );
    const all = lines.map((l) => JSON.stringify(l));
    assert.ok(all.length > 5, `${all.length} log lines`);
    for (const secret of [TOKEN, WRONG, TOKEN.slice(0, 16), WRONG.slice(0, 16)]) {
      const leaked = all.filter((l) => l.includes(secret));
      assert.deepEqual(leaked, [], `a log line holds ${secret.slice(0, 8)}…`);
    }
  });
});
