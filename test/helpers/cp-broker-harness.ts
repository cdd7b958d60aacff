import { createServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { Agent, request } from "undici";
import type { OrderObservation } from "../../src/brokers";
import {
  createClientPortalBroker,
  DEFAULT_ENDPOINT_RULES,
  type ClientPortalAdapter,
  type ClientPortalBrokerOptions,
  type EndpointRule,
} from "../../src/brokers/client-portal";
import type { SessionEventType } from "../../src/schema/enums";
import {
  DEFAULT_ENDPOINT_LIMITS,
  generateLocalhostCertificate,
  startClientPortalSimulator,
  type ClientPortalSimulatorOptions,
  type CpEndpointLimit,
  type CpRequestLogEntry,
  type CpSimulator,
} from "../../src/simulators/client-portal";
import { eventually } from "./wait";

export const ACCT = "DU1234567";
export const AAPL = 265598;
export const MSFT = 272093;

/**
 * IB's per-endpoint windows shrunk by `factor` on both sides: the simulator enforces the shrunk documented
 * limits, the client paces with its usual margin over them. The global 10/s stays as it is at IB.
 *
 * Both sides scale the same tables, so "the simulator never answered 429" here shows only that the client
 * and the simulator agree, not that the client keeps IB's limits: test/ib-limits.test.ts checks the client's
 * own rules against IB's numbers (src/ib-limits.ts, with IB's URLs) at IB's real windows on a fake clock.
 */
export function scaledLimits(factor: number): { sim: CpEndpointLimit[]; client: EndpointRule[] } {
  return {
    sim: DEFAULT_ENDPOINT_LIMITS.map((l) => ({ ...l, windowMs: Math.round(l.windowMs * factor) })),
    client: DEFAULT_ENDPOINT_RULES.map((r) => ({
      ...r,
      limit: { ...r.limit, windowMs: Math.round(r.limit.windowMs * factor) },
    })),
  };
}

export const FAST = scaledLimits(0.05);

/** Simulator timings for tests: a short idle timeout and fast re-authentication, no daily reset. */
export function simOptions(over: Partial<ClientPortalSimulatorOptions> = {}): ClientPortalSimulatorOptions {
  return {
    brokerageOptions: { accounts: [ACCT] },
    rateLimits: { endpoints: FAST.sim, penaltyMs: 60_000 },
    idleTimeoutMs: 2_500,
    reauthDelayMs: 100,
    dailyResetTime: null,
    ...over,
  };
}

/** Adapter timings scaled to the simulator's: every interval short, every limit still respected. */
/**
 * Client Portal timings for a whole app in tests (the sim, gateway and journal apps): short enough that expiries,
 * heals and order polls resolve within a test's few seconds, IB's limits scaled by `FAST`.
 */
export const FAST_CP_APP_TIMINGS = {
  tickleMs: 700,
  recoveryPollMs: 200,
  reauthWaitMs: 2_000,
  reauthPollMs: 100,
  reauthBackoffMs: 300,
  endpointRules: FAST.client,
  globalLimit: { max: 30, windowMs: 1_000 },
  orderPollMs: 300,
  backgroundOrderPollMs: 600,
  orderActiveWindowMs: 3_000,
  confirmationHoldMs: 3_000,
  penaltyMs: 60_000,
} satisfies Partial<ClientPortalBrokerOptions>;

export function brokerOptions(
  sim: CpSimulator,
  over: Partial<ClientPortalBrokerOptions> = {},
): ClientPortalBrokerOptions {
  return {
    url: sim.url,
    caPem: sim.caPem,
    tickleMs: 700,
    recoveryPollMs: 200,
    reauthWaitMs: 2_000,
    reauthPollMs: 100,
    reauthBackoffMs: 300,
    endpointRules: FAST.client,
    orderPollMs: 500,
    backgroundOrderPollMs: 1_000,
    orderActiveWindowMs: 3_000,
    confirmationHoldMs: 3_000,
    penaltyMs: 60_000,
    ...over,
  };
}

/**
 * A global budget four times IB's, for tests about order flows rather than the global limit (the session
 * tests keep IB's real 10/s): fewer one-second waits in a suite that makes many requests in little time.
 */
export const ROOMY_GLOBAL = {
  sim: { rateLimits: { endpoints: FAST.sim, penaltyMs: 60_000, globalPerSecond: 40 } },
  broker: { globalLimit: { max: 30, windowMs: 1_000 } },
} as const;

export interface SessionRecord {
  type: SessionEventType;
  message?: string;
  at: number;
}

export interface CpHarness {
  sim: CpSimulator;
  broker: ClientPortalAdapter;
  events: SessionRecord[];
  observations: OrderObservation[];
  /** POST a `/sim/...` control endpoint over HTTPS. */
  control(path: string, body?: unknown): Promise<unknown>;
  /** GET a `/sim/...` endpoint over HTTPS. */
  simGet<T = unknown>(path: string): Promise<T>;
  /** The simulator's request log over HTTPS (`/sim/requests`). */
  requests(): Promise<CpRequestLogEntry[]>;
  /** The next session event of `type` recorded at or after index `from`. */
  waitForEvent(type: SessionEventType, from?: number, timeoutMs?: number): Promise<SessionRecord>;
  close(): Promise<void>;
}

export async function startCpHarness(
  options: {
    sim?: Partial<ClientPortalSimulatorOptions>;
    broker?: Partial<ClientPortalBrokerOptions>;
    start?: boolean;
  } = {},
): Promise<CpHarness> {
  const sim = await startClientPortalSimulator(simOptions(options.sim));
  const events: SessionRecord[] = [];
  const observations: OrderObservation[] = [];
  const broker = createClientPortalBroker(brokerOptions(sim, options.broker), {
    session: (_api, type, message) => events.push({ type, message, at: Date.now() }),
    order: (o) => observations.push(o),
  });
  const agent = new Agent({ connect: { ca: sim.caPem } });
  const simCall = async (method: "GET" | "POST", path: string, body?: unknown): Promise<unknown> => {
    const res = await request(`${sim.url}${path}`, {
      method,
      dispatcher: agent,
      headers: { "content-type": "application/json" },
      body: method === "POST" ? JSON.stringify(body ?? {}) : undefined,
    });
    const json = (await res.body.json()) as unknown;
    if (res.statusCode !== 200) throw new Error(`${path}: HTTP ${res.statusCode} ${JSON.stringify(json)}`);
    return json;
  };
  if (options.start ?? true) await broker.start();
  return {
    sim,
    broker,
    events,
    observations,
    control: (path, body) => simCall("POST", path, body),
    simGet: async <T>(path: string) => (await simCall("GET", path)) as T,
    requests: async () =>
      ((await simCall("GET", "/sim/requests")) as { requests: CpRequestLogEntry[] }).requests,
    waitForEvent: (type, from = 0, timeoutMs = 5_000) =>
      eventually(`session event ${type}`, () => events.slice(from).find((e) => e.type === type), timeoutMs),
    close: async () => {
      await broker.close();
      await agent.close();
      await sim.stop();
    },
  };
}

/** Requests answered 429 and requests over a limit, computed from the simulator's own log. */
export function rateReport(log: CpRequestLogEntry[]): { total: number; tooMany: number } {
  return { total: log.length, tooMany: log.filter((e) => e.status === 429).length };
}

/** A gateway between the adapter and the simulator whose answers to order placements can be lost. */
export interface CpLossyGateway {
  /** `https://127.0.0.1:PORT`, the adapter's `url`. */
  url: string;
  /** This hop's own certificate, the adapter's `caPem`. */
  caPem: string;
  /**
   * While on, a placement (`POST /iserver/account/{acct}/orders`) reaches the simulator, so IB has the order,
   * and then the connection dies before the answer: a network failure after sending.
   */
  losePlacementAnswers(on: boolean): void;
  /** Placement answers lost so far. */
  readonly lost: number;
  /** Ends every connection to this hop at once, requests in flight included; new ones are taken. */
  dropConnections(): void;
  stop(): Promise<void>;
}

const PLACEMENT = /^\/v1\/api\/iserver\/account\/[^/]+\/orders(\?|$)/;
/** Hop-by-hop headers (undici refuses some of them) and the length, which undici sets itself. */
const HOP_HEADERS = new Set([
  "host",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "content-length",
]);

/** An HTTPS hop on port 0 that passes every request to `sim` and can lose placement answers. */
export async function startLossyGateway(sim: CpSimulator): Promise<CpLossyGateway> {
  const tls = await generateLocalhostCertificate();
  const upstream = new Agent({ connect: { ca: sim.caPem } });
  const sockets = new Set<Socket>();
  let lose = false;
  let lost = 0;
  const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const headers = Object.fromEntries(
          Object.entries(req.headers).filter(([name]) => !HOP_HEADERS.has(name)),
        ) as Record<string, string>;
        const method = (req.method ?? "GET") as "GET" | "POST";
        const r = await request(`${sim.url}${req.url ?? "/"}`, {
          method,
          headers,
          body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
          dispatcher: upstream,
        });
        const body = Buffer.from(await r.body.arrayBuffer());
        if (lose && method === "POST" && PLACEMENT.test(req.url ?? "")) {
          lost++;
          req.socket.destroy();
          return;
        }
        const out = Object.fromEntries(
          Object.entries(r.headers).filter(([name]) => !HOP_HEADERS.has(name)),
        ) as Record<string, string | string[]>;
        res.writeHead(r.statusCode, out);
        res.end(body);
      })().catch(() => req.socket.destroy());
    });
  });
  server.on("secureConnection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caPem: tls.cert,
    losePlacementAnswers: (on) => void (lose = on),
    get lost() {
      return lost;
    },
    dropConnections: () => {
      for (const s of sockets) s.destroy();
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await upstream.close();
    },
  };
}
