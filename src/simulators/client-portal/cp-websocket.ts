/**
 * The simulated gateway's WebSocket, `wss://…/v1/api/ws` (client-portal-api.md §8): authenticated by the
 * session cookie (`x-sess-uuid`, or `api={"session":…}`), or by a `{"session":…}` frame after opening; the
 * `system` / `act` / `sts` burst, `system` heartbeats, `tic` answers, and the topics `smd` (market data,
 * changed fields only), `sor` (orders: the day's orders, then partial updates), `spl` (PnL) and `ssd` (account
 * summary) with their unsubscribes. A socket whose brokerage session ends gets `sts` authenticated:false and
 * is closed. Every subscribe and unsubscribe frame goes to the request log as a `WS` entry.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { Brokerage, SimOrder } from "../brokerage";
import type { Logger } from "../../logger";
import { snapshotFields } from "./cp-market-data-routes";
import { liveOrderJson, priceString, type CpIdentity } from "./cp-responses";
import type { CpSession } from "./cp-session";

export interface CpWebSocketOptions {
  brokerage: Brokerage;
  session: CpSession;
  identity: CpIdentity;
  clock: () => number;
  /** Records a subscribe or unsubscribe frame (the request log). */
  log(entry: { method: string; path: string; query: string; status: number }): void;
  logger: Logger;
  /** `system` heartbeat period. @default 10_000 */
  heartbeatMs?: number;
  /** How often `smd`, `spl` and `ssd` send what changed (IB: 500 ms). @default 500 */
  pushMs?: number;
}

export interface CpWebSocketServer {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Open sockets, for tests. */
  readonly clients: number;
  close(): void;
}

interface Client {
  ws: WebSocket;
  authenticated: boolean;
  sessionId: string | null;
  /** conid → the field values last sent. */
  md: Map<number, { fields: string[]; sent: Record<string, string> }>;
  orders: boolean;
  pnl: { sent: string } | null;
  /** Account → the values last sent, and the keys asked for (null: all). */
  summaries: Map<string, { sent: string; keys: Set<string> | null }>;
}

function cookieSession(header: string | undefined): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name === "x-sess-uuid" && value) return value;
    if (name === "api") {
      try {
        const parsed = JSON.parse(decodeURIComponent(value)) as { session?: unknown };
        if (typeof parsed.session === "string") return parsed.session;
      } catch {
        if (value) return value;
      }
    }
  }
  return null;
}

/** The partial `sor` update IB sends for an order change. */
function orderDelta(o: SimOrder): Record<string, unknown> {
  const out: Record<string, unknown> = {
    acct: o.account,
    orderId: o.permId,
    conid: o.instrument.conid,
    // As the placement reply says: a new order reads Submitted (PreSubmitted for stops), never PendingSubmit.
    status:
      o.status === "PendingSubmit"
        ? o.orderType.startsWith("STP")
          ? "PreSubmitted"
          : "Submitted"
        : o.status,
    filledQuantity: o.filled,
    remainingQuantity: o.remaining,
    totalSize: o.quantity,
    sizeAndFills: o.filled > 0 && o.remaining > 0 ? `${o.filled}/${o.remaining}` : String(o.quantity),
  };
  if (o.filled > 0) out.avgPrice = priceString(o.instrument, o.avgFillPrice);
  if (o.orderRef) out.order_ref = o.orderRef;
  return out;
}

export function createCpWebSocketServer(o: CpWebSocketOptions): CpWebSocketServer {
  const wss = new WebSocketServer({ noServer: true });
  const clients = new Set<Client>();
  const b = o.brokerage;

  const send = (c: Client, msg: unknown) => {
    if (c.ws.readyState === c.ws.OPEN) c.ws.send(JSON.stringify(msg));
  };

  function sessionValid(c: Client): boolean {
    const snap = o.session.snapshot(o.clock());
    return snap.state === "AUTHENTICATED" && snap.sessionId !== null && snap.sessionId === c.sessionId;
  }

  function authenticate(c: Client, sessionId: string | null): void {
    c.sessionId = sessionId;
    if (!sessionValid(c)) return;
    c.authenticated = true;
    const snap = o.session.snapshot(o.clock());
    const accounts = b.accounts();
    send(c, { topic: "system", success: o.identity.username, isFT: false, isPaper: true });
    send(c, {
      topic: "act",
      args: {
        accounts,
        selectedAccount: accounts[0],
        sessionId: snap.sessionId,
        isFT: false,
        isPaper: true,
      },
    });
    send(c, {
      topic: "sts",
      args: { authenticated: true, competing: false, connected: true, established: true, message: "" },
    });
  }

  function pushMarketData(c: Client, conid: number, first: boolean): void {
    const sub = c.md.get(conid);
    const i = b.findInstrument({ conid });
    if (!sub || !i) return;
    const all = snapshotFields(b, i) ?? {};
    const changed: Record<string, string> = {};
    for (const f of sub.fields) {
      const v = all[f];
      if (v !== undefined && (first || sub.sent[f] !== v)) changed[f] = v;
    }
    if (first) changed["6509"] = all["6509"] ?? "RpB";
    if (Object.keys(changed).length === 0) return;
    Object.assign(sub.sent, changed);
    send(c, {
      server_id: "q0",
      conidEx: String(conid),
      conid,
      _updated: o.clock(),
      "6119": "q0",
      ...changed,
      topic: `smd+${conid}`,
    });
  }

  function pnlArgs(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const a of b.accounts()) {
      const p = b.pnl(a);
      const v = b.accountValues(a);
      out[`${a}.Core`] = {
        rowType: 1,
        dpl: p.dailyPnl,
        upl: p.unrealizedPnl,
        nl: v.netLiquidation,
        el: v.excessLiquidity,
        mv: v.stockMarketValue,
      };
    }
    return out;
  }

  function summaryResult(account: string, keys: Set<string> | null): Record<string, unknown>[] {
    const v = b.accountValues(account);
    const t = o.clock();
    const row = (key: string, value: number) => ({
      key: `${key}-S`,
      monetaryValue: value,
      currency: v.currency,
      severity: 0,
      timestamp: t,
    });
    const rows = [
      row("NetLiquidation", v.netLiquidation),
      row("TotalCashValue", v.cash),
      row("BuyingPower", v.buyingPower),
      row("AvailableFunds", v.availableFunds),
      row("ExcessLiquidity", v.excessLiquidity),
      row("InitMarginReq", v.initMarginReq),
      row("MaintMarginReq", v.maintMarginReq),
      row("EquityWithLoanValue", v.equityWithLoanValue),
      row("GrossPositionValue", v.grossPositionValue),
    ];
    return keys ? rows.filter((r) => keys.has(r.key.toLowerCase().replace(/-s$/, ""))) : rows;
  }

  function push(c: Client): void {
    if (!c.authenticated) return;
    if (!sessionValid(c)) {
      send(c, { topic: "sts", args: { authenticated: false } });
      c.ws.close(1000, "session ended");
      return;
    }
    for (const conid of c.md.keys()) pushMarketData(c, conid, false);
    if (c.pnl) {
      const args = pnlArgs();
      const text = JSON.stringify(args);
      if (text !== c.pnl.sent) {
        c.pnl.sent = text;
        send(c, { topic: "spl", args });
      }
    }
    for (const [account, s] of c.summaries) {
      const result = summaryResult(account, s.keys);
      const text = JSON.stringify(result.map((r) => r.monetaryValue));
      if (text !== s.sent) {
        s.sent = text;
        send(c, { result, topic: `ssd+${account}` });
      }
    }
  }

  function onMessage(c: Client, text: string): void {
    const t = text.trim();
    if (t.startsWith("{")) {
      try {
        const m = JSON.parse(t) as { session?: unknown };
        if (typeof m.session === "string" && !c.authenticated) authenticate(c, m.session);
      } catch {
        send(c, { error: "invalid message" });
      }
      return;
    }
    if (t === "tic") {
      const snap = o.session.snapshot(o.clock());
      send(c, {
        topic: "tic",
        alive: snap.state === "AUTHENTICATED",
        id: snap.sessionId,
        lastAccessed: o.clock(),
      });
      return;
    }
    if (t === "ech+hb") {
      send(c, { topic: "ech+hb", hb: o.clock() });
      return;
    }
    if (!c.authenticated) {
      send(c, { message: "waiting for session" });
      return;
    }
    const plus = t.indexOf("+");
    const topic = plus < 0 ? t : t.slice(0, plus);
    const rest = plus < 0 ? "" : t.slice(plus + 1);
    const brace = rest.indexOf("{");
    const target = (brace < 0 ? rest : rest.slice(0, brace)).replace(/\+$/, "");
    let args: Record<string, unknown> = {};
    if (brace >= 0) {
      try {
        args = JSON.parse(rest.slice(brace)) as Record<string, unknown>;
      } catch {
        send(c, { error: `invalid arguments for ${topic}` });
        return;
      }
    }
    o.log({ method: "WS", path: "/v1/api/ws", query: t, status: 101 });
    switch (topic) {
      case "smd": {
        const conid = Number(target.split("@")[0]);
        if (!b.findInstrument({ conid })) {
          send(c, { topic: `smd+${target}`, error: `Invalid conid ${target}` });
          return;
        }
        const fields = Array.isArray(args.fields) ? args.fields.map(String) : ["31", "84", "86"];
        c.md.set(conid, { fields, sent: {} });
        pushMarketData(c, conid, true);
        return;
      }
      case "umd":
        c.md.delete(Number(target.split("@")[0]));
        return;
      case "sor":
        c.orders = true;
        send(c, { topic: "sor", args: b.listOrders().map(liveOrderJson) });
        return;
      case "uor":
        c.orders = false;
        return;
      case "spl":
        c.pnl = { sent: "" };
        push(c);
        return;
      case "upl":
        c.pnl = null;
        return;
      case "ssd":
        if (!b.hasAccount(target)) {
          send(c, { topic: `ssd+${target}`, error: `Account ${target} not found` });
          return;
        }
        // `{"keys":["NetLiquidation",…]}` narrows the rows; without it every key is sent.
        c.summaries.set(target, {
          sent: "",
          keys: Array.isArray(args.keys)
            ? new Set(args.keys.map((k) => String(k).toLowerCase().replace(/-s$/, "")))
            : null,
        });
        push(c);
        return;
      case "usd":
        c.summaries.delete(target);
        send(c, { result: "unsubscribed from summary" });
        return;
      default:
        send(c, { error: `unknown topic ${topic}` });
    }
  }

  const stopOrders = b.on("order", ({ order }) => {
    for (const c of clients)
      if (c.authenticated && c.orders) send(c, { topic: "sor", args: [orderDelta(order)] });
  });
  // A new brokerage session means the one every authenticated socket belongs to has ended, however quickly
  // the client logged in again: such a socket is told and closed at once, as IB does, not at the next push
  // (a re-login inside one push interval would otherwise leave it open on a dead session).
  o.session.onBrokerageSession(() => {
    for (const c of clients) {
      if (!c.authenticated) continue;
      send(c, { topic: "sts", args: { authenticated: false } });
      c.ws.close(1000, "session ended");
    }
  });
  const pushTimer = setInterval(() => {
    for (const c of clients) push(c);
  }, o.pushMs ?? 500);
  pushTimer.unref();
  const hbTimer = setInterval(() => {
    for (const c of clients) if (c.authenticated) send(c, { topic: "system", hb: o.clock() });
  }, o.heartbeatMs ?? 10_000);
  hbTimer.unref();

  return {
    get clients() {
      return clients.size;
    },
    handleUpgrade(req, socket, head) {
      const snap = o.session.snapshot(o.clock());
      if (snap.state === "NO_SSO") {
        socket.end("HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n");
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const c: Client = {
          ws,
          authenticated: false,
          sessionId: null,
          md: new Map(),
          orders: false,
          pnl: null,
          summaries: new Map(),
        };
        clients.add(c);
        ws.on("message", (data) => {
          try {
            onMessage(c, String(data));
          } catch (err) {
            o.logger.warn({ err }, "simulated gateway: websocket message failed");
          }
        });
        ws.on("close", () => clients.delete(c));
        ws.on("error", () => clients.delete(c));
        const session = cookieSession(req.headers.cookie);
        if (session) authenticate(c, session);
        if (!c.authenticated) send(c, { message: "waiting for session" });
      });
    },
    close() {
      stopOrders();
      clearInterval(pushTimer);
      clearInterval(hbTimer);
      for (const c of clients) c.ws.terminate();
      clients.clear();
      wss.close();
    },
  };
}
