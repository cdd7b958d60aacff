import assert from "node:assert/strict";
import { once } from "node:events";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { request } from "undici";
import WebSocket from "ws";
import { startSimApp, type SimApp } from "./helpers/sim-app";
import { eventually } from "./helpers/wait";

const ACCT = "DU1234567";
const AAPL = 265598;
const PLACE = `mutation { placeOrder(input: { accountId: "${ACCT}", contract: { conid: ${AAPL} }, side: BUY,
  type: MARKET, quantity: 1, clientOrderId: "cross-site" }) { order { id status } } }`;

interface Upgrade {
  opened: boolean;
  status?: number;
  body?: string;
  ws: WebSocket;
}

/** Opens a raw WebSocket with the given headers; resolves with the upgrade's outcome. */
async function upgrade(url: string, headers: Record<string, string>): Promise<Upgrade> {
  const ws = new WebSocket(url, "graphql-transport-ws", { headers });
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve({ opened: true, ws }));
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ opened: false, status: res.statusCode, body, ws }));
    });
    ws.once("error", (e) => reject(e));
  });
}

/** Sends a placeOrder over graphql-ws on a raw socket; resolves with the first answer to it. */
async function placeOverRawWs(ws: WebSocket): Promise<unknown> {
  ws.send(JSON.stringify({ type: "connection_init", payload: {} }));
  const messages: { type: string; id?: string; payload?: unknown }[] = [];
  ws.on("message", (m: Buffer) => messages.push(JSON.parse(m.toString())));
  await eventually("connection_ack", () => messages.some((m) => m.type === "connection_ack"));
  ws.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: PLACE } }));
  return eventually("the answer to placeOrder", () => messages.find((m) => m.id === "1"));
}

describe("security: Origin and Host (cross-site WebSocket, DNS rebinding)", () => {
  let s: SimApp;
  let listed: SimApp;
  before(async () => {
    s = await startSimApp();
    listed = await startSimApp({
      env: { ALLOWED_ORIGINS: "https://app.example.com", ALLOWED_HOSTS: "gateway.internal" },
    });
  });
  after(async () => {
    await s?.stop();
    await listed?.stop();
  });

  it("refuses a WebSocket upgrade from another site's page, and no order reaches the gateway", async () => {
    const u = await upgrade(s.wsUrl, { Origin: "https://evil.example" });
    assert.equal(u.opened, false, "the upgrade must be refused");
    if (u.opened) await placeOverRawWs(u.ws);
    assert.equal(u.status, 403);
    assert.equal(JSON.parse(u.body!).errors[0].extensions.code, "ORIGIN_NOT_ALLOWED");
    for (const origin of ["null", "http://127.0.0.1.evil.example", "file://"]) {
      const v = await upgrade(s.wsUrl, { Origin: origin });
      assert.equal(v.status, 403, origin);
    }
    assert.deepEqual(await s.orderWrites(), []);
  });

  it("accepts the server's own origin and clients that send no Origin", async () => {
    const own = new URL(s.wsUrl);
    for (const headers of [{ Origin: `http://${own.host}` }, {}] as Record<string, string>[]) {
      const u = await upgrade(s.wsUrl, headers);
      assert.equal(u.opened, true, JSON.stringify(headers));
      const answer = (await placeOverRawWs(u.ws)) as { type: string };
      assert.equal(answer.type, "next");
      u.ws.close();
    }
  });

  it("ALLOWED_ORIGINS lets a listed frontend open the WebSocket and call over HTTP (CORS)", async () => {
    const u = await upgrade(listed.wsUrl, { Origin: "https://app.example.com" });
    assert.equal(u.opened, true);
    u.ws.close();
    const evil = await upgrade(listed.wsUrl, { Origin: "https://evil.example" });
    assert.equal(evil.status, 403);
    const preflight = await request(listed.httpUrl, {
      method: "OPTIONS",
      headers: { origin: "https://app.example.com", "access-control-request-method": "POST" },
    });
    await preflight.body.dump();
    assert.equal(preflight.statusCode, 204);
    assert.equal(preflight.headers["access-control-allow-origin"], "https://app.example.com");
  });

  it("refuses HTTP and WebSocket requests whose Host is not this server's (DNS rebinding)", async () => {
    const port = new URL(s.httpUrl).port;
    const rebound = await request(s.httpUrl, {
      method: "POST",
      headers: { "content-type": "application/json", host: `rebind.evil.example:${port}` },
      body: JSON.stringify({ query: "{ accounts { id summary { netLiquidation } } }" }),
    });
    const text = await rebound.body.text();
    assert.equal(rebound.statusCode, 403);
    assert.equal(JSON.parse(text).errors[0].extensions.code, "HOST_NOT_ALLOWED");
    assert.doesNotMatch(text, new RegExp(ACCT));
    const ws = await upgrade(s.wsUrl, { Host: `rebind.evil.example:${port}` });
    assert.equal(ws.status, 403);
    assert.equal(JSON.parse(ws.body!).errors[0].extensions.code, "HOST_NOT_ALLOWED");

    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, "localhost"]) {
      const ok = await request(s.httpUrl.replace("/graphql", "/livez"), { headers: { host } });
      await ok.body.dump();
      assert.equal(ok.statusCode, 200, host);
    }
    const listedHost = await request(listed.httpUrl.replace("/graphql", "/livez"), {
      headers: { host: "gateway.internal:4000" },
    });
    await listedHost.body.dump();
    assert.equal(listedHost.statusCode, 200);
    assert.deepEqual(await s.orderWrites(), []);
  });

  it("refuses WebSocket frames larger than 256 kB from their header; memory stays flat", async () => {
    const { host, port } = new URL(s.wsUrl);
    const rssBefore = process.memoryUsage().rss;
    const sent = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const socket = connect(Number(port), host.split(":")[0]!);
        await once(socket, "connect");
        socket.write(
          `GET /graphql HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
            "Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n",
        );
        let response = Buffer.alloc(0);
        socket.on("data", (c: Buffer) => (response = Buffer.concat([response, c])));
        await eventually("101", () => response.includes("\r\n\r\n"));
        assert.match(response.toString("latin1"), /^HTTP\/1.1 101/);
        // A masked text frame announcing 60 MB, then its payload in 64 kB chunks until the server hangs up.
        const header = Buffer.alloc(14);
        header[0] = 0x81;
        header[1] = 0x80 | 127;
        header.writeBigUInt64BE(60n * 1024n * 1024n, 2);
        socket.write(header);
        let written = 0;
        let closed = false;
        socket.on("close", () => (closed = true));
        socket.on("error", () => (closed = true));
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        while (!closed && written < 60 * 1024 * 1024) {
          if (!socket.write(chunk)) await Promise.race([once(socket, "drain"), once(socket, "close")]);
          written += chunk.length;
        }
        await eventually("the server closes the socket", () => closed, 5_000);
        socket.destroy();
        return written;
      }),
    );
    for (const written of sent)
      assert.ok(written < 16 * 1024 * 1024, `wrote ${written} bytes before the close`);
    const grown = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
    assert.ok(grown < 100, `RSS grew ${grown.toFixed(0)} MB`);
  });
});
