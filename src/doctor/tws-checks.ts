import type { EventEmitter } from "node:events";
import { Socket } from "node:net";
import { EventName, IBApi, SecType } from "@stoqey/ib";
import type { Check } from "./check";

export interface TwsCheckOptions {
  host: string;
  port: number;
  clientId: number;
  /** Per step. @default 4000 */
  timeoutMs?: number;
}

const LIVE_PORTS = new Set([7496, 4001]);
const PAPER_PORTS = new Set([7497, 4002]);
const API_SETTINGS =
  'In TWS / IB Gateway: Configure → Settings → API → Settings: tick "Enable ActiveX and Socket Clients", set the ' +
  "Socket port (TWS 7497 paper / 7496 live, IB Gateway 4002 paper / 4001 live)";

/** Connects as the server would, step by step, and stops at the first step that fails. */
export async function checkTws(o: TwsCheckOptions): Promise<Check[]> {
  const timeout = o.timeoutMs ?? 4000;
  const where = `${o.host}:${o.port}`;
  const checks: Check[] = [];
  const tcp = await tcpProbe(o.host, o.port, timeout);
  if (tcp !== "ok") {
    checks.push({
      api: "TWS",
      name: "reachable",
      ok: false,
      detail: `${where}: ${tcp}`,
      fix:
        tcp === "connection refused"
          ? `Nothing listens on ${where}. Start TWS or IB Gateway and log in. ${API_SETTINGS}, and set IB_TWS_PORT to it.`
          : `No answer from ${where}: check IB_TWS_HOST, firewalls and Docker networking (IB Gateway in Docker exposes 4003/4004 via socat).`,
    });
    return checks;
  }
  checks.push({ api: "TWS", name: "reachable", ok: true, detail: `${where} accepts TCP` });

  const api = new IBApi({ host: o.host, port: o.port });
  const notices: { code: number; message: string }[] = [];
  const onNotice = (err: unknown, code: number) => {
    notices.push({ code, message: err instanceof Error ? err.message : String(err) });
  };
  api.on(EventName.error, onNotice);
  api.on(EventName.info, (message: string, code: number) => notices.push({ code, message }));
  try {
    // One connect does the handshake and startApi; listen for every step before starting it.
    const connectedP = waitEvent(api, EventName.connected, timeout);
    const accountsP = waitEvent<string>(api, EventName.managedAccounts, timeout * 2);
    const idP = waitEvent<number>(api, EventName.nextValidId, timeout * 2);
    api.connect(o.clientId);
    const connected = await connectedP;
    if (!connected) {
      const refused = notices.find((n) => n.code === 502);
      checks.push({
        api: "TWS",
        name: "API handshake",
        ok: false,
        detail: refused
          ? `error 502: ${refused.message}`
          : `the port accepts TCP but the API never answered within ${timeout} ms`,
        fix: refused
          ? `${API_SETTINGS}; add this machine to "Trusted IPs" (or accept the incoming-connection prompt).`
          : `Either this client's IP is not in "Trusted IPs" (TWS waits on an "accept incoming connection" dialog) or the gateway is hung (a "zombie" after its nightly restart): restart TWS / IB Gateway.`,
      });
      return checks;
    }
    checks.push({
      api: "TWS",
      name: "API handshake",
      ok: true,
      detail: `server version ${api.serverVersion}`,
    });

    const [accounts, nextId] = await Promise.all([accountsP, idP]);
    const inUse = notices.find((n) => n.code === 326);
    if (inUse || nextId === undefined) {
      checks.push({
        api: "TWS",
        name: "session start",
        ok: false,
        detail: inUse
          ? `error 326: client id ${o.clientId} is already in use`
          : `no nextValidId within ${timeout} ms`,
        fix: inUse
          ? `Another program is connected with client id ${o.clientId}: set IB_TWS_CLIENT_ID to a free id (the server rotates through IB_TWS_CLIENT_ID_RANGE ids).`
          : "The gateway accepted the session but sends no order ids: it is hung or still starting. Restart TWS / IB Gateway.",
      });
      return checks;
    }
    const list = (accounts ?? "").split(",").filter(Boolean);
    checks.push({
      api: "TWS",
      name: "session start",
      ok: true,
      detail: `client id ${o.clientId}, nextValidId ${nextId}`,
    });
    checks.push({
      api: "TWS",
      name: "managed accounts",
      ok: list.length > 0,
      detail: list.length > 0 ? list.join(", ") : "none",
      fix: "The logged-in user sees no accounts: check the user's trading permissions.",
    });

    const paper = list.length > 0 && list.every((a) => a.startsWith("D"));
    const mixup = (paper && LIVE_PORTS.has(o.port)) || (!paper && list.length > 0 && PAPER_PORTS.has(o.port));
    checks.push({
      api: "TWS",
      name: "paper / live",
      ok: !mixup,
      detail: `${paper ? "paper" : "live"} account(s) on port ${o.port}`,
      fix: paper
        ? `Port ${o.port} is a live port but the accounts are paper (DU…): use 7497 (TWS) or 4002 (IB Gateway), or log in with live credentials.`
        : `Port ${o.port} is a paper port but the accounts are live: use 7496 / 4001 for live, and set ALLOW_LIVE_TRADING only deliberately.`,
    });

    const reqId = 9001;
    const end = waitEvent<number>(api, EventName.contractDetailsEnd, timeout);
    api.reqContractDetails(reqId, {
      symbol: "AAPL",
      secType: SecType.STK,
      exchange: "SMART",
      currency: "USD",
    });
    const done = await end;
    const noDef = notices.find((n) => n.code === 200);
    checks.push({
      api: "TWS",
      name: "contract lookup",
      ok: done !== undefined && !noDef,
      detail: noDef
        ? `error 200: ${noDef.message}`
        : done !== undefined
          ? "AAPL resolved"
          : `no answer within ${timeout} ms`,
      fix: "No security definition: check the contract (symbol, secType, exchange, currency) and that the account has market data subscriptions for it.",
    });
    return checks;
  } finally {
    api.disconnect();
  }
}

/** A paper port with live accounts, or a live port with paper accounts: the classic mix-up. */
export function portAccountMismatch(port: number, accounts: readonly string[]): boolean {
  if (accounts.length === 0) return false;
  const paper = accounts.every((a) => a.startsWith("D"));
  return (paper && LIVE_PORTS.has(port)) || (!paper && PAPER_PORTS.has(port));
}

function waitEvent<T>(api: IBApi, event: EventName, timeoutMs: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      api.removeListener(event, handler);
      resolve(undefined);
    }, timeoutMs);
    const handler = (...args: unknown[]) => {
      clearTimeout(timer);
      api.removeListener(event, handler);
      resolve((args[0] ?? true) as T);
    };
    // The typed overloads are per event; this helper is generic over them.
    (api as unknown as EventEmitter).on(event, handler);
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (r: string) => {
      s.destroy();
      resolve(r);
    };
    s.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs} ms`));
    s.once("connect", () => done("ok"));
    s.once("error", (e: NodeJS.ErrnoException) =>
      done(e.code === "ECONNREFUSED" ? "connection refused" : (e.code ?? e.message)),
    );
    s.connect(port, host);
  });
}
