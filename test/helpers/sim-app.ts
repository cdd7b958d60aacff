import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FAST_TWS_TIMINGS } from "./tws-harness";
import { parse, print, type FormattedExecutionResult } from "graphql";
import { createClient, type Client } from "graphql-ws";
import { request } from "undici";
import WebSocket from "ws";
import { startApp, type App, type AppOptions } from "../../src/app";
import { loadConfig } from "../../src/config/config";
import pino from "pino";
import { silentLogger, type Logger } from "../../src/logger";
import type { CpRequestLogEntry } from "../../src/simulators/client-portal";
import { startSimulators, type Simulators, type SimulatorsOptions } from "../../src/simulators";
import { FAST, FAST_CP_APP_TIMINGS } from "./cp-broker-harness";
import { cpClient, type CpTestClient, type Json } from "./cp-sim-client";

/** An order as the simulator's `/sim/orders` shows it. */
export interface SimOrderRow {
  orderId: number;
  permId: number;
  account: string;
  conid: number;
  side: string;
  orderType: string;
  quantity: number;
  limitPrice: number | null;
  status: string;
  clientOrderId: string | null;
  api: string;
  timesPlaced: number;
}

/** Result of a raw operation: the body, plus the HTTP status. */
export type RawResult = FormattedExecutionResult<Json> & { status: number };

export interface SimApp {
  app: App;
  httpUrl: string;
  wsUrl: string;
  /** HTTPS client of the Client Portal simulator (certificate pinned), for `/sim/*`. */
  cp: CpTestClient;
  /** POST a `/sim/...` control route; fails unless it answers 200. */
  control(path: string, body?: unknown): Promise<Json>;
  /** The book as `/sim/orders` shows it. */
  simOrders(): Promise<SimOrderRow[]>;
  /** `/sim/requests` entries that write orders: placement, modification, cancel, question replies. */
  orderWrites(): Promise<CpRequestLogEntry[]>;
  /** Every `/sim/requests` entry. */
  requests(): Promise<CpRequestLogEntry[]>;
  /** One operation over HTTP POST, as raw text. */
  op(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<RawResult>;
  /** A graphql-ws client of this server (lazy, no retries). */
  ws(connectionParams?: Record<string, unknown>): Client;
  stop(): Promise<void>;
}

export interface SimAppOptions {
  /** Environment for `loadConfig` (PORT is 0, nothing is read from `.env` or the process). */
  env?: Record<string, string>;
  /** Simulator options over the fast defaults below (`accounts`, `brokerage`, …). */
  simulators?: SimulatorsOptions;
  clientPortal?: AppOptions["clientPortal"];
  tws?: AppOptions["tws"];
  marketData?: AppOptions["marketData"];
  /** @default silentLogger() */
  logger?: Logger;
}

/** A pino logger at `info` that keeps every line, parsed, for assertions on audit lines. */
export function capturingLogger(): { logger: Logger; lines: Json[] } {
  const lines: Json[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

/** Order writes in Client Portal paths: `/iserver/account/{acct}/order(s)…` and `/iserver/reply/{id}`. */
const ORDER_WRITE = /^\/v1\/api\/iserver\/(account\/(?!orders\b)[^/]+\/orders?\b|reply\/)/;

/**
 * The whole product in SIMULATED mode (`startApp` with no gateway configured): both simulators over one book,
 * both adapters over real sockets, the GraphQL server on port 0, every interval short. Prices do not move
 * on their own and orders fill at once, so what a test sees depends only on what it does.
 */
export async function startSimApp(options: SimAppOptions = {}): Promise<SimApp> {
  // SIMULATED mode keeps its book and journal in DATA_DIR: each app gets its own, removed on stop, unless
  // the test names one (a restart test).
  const ownDataDir = options.env?.DATA_DIR ? undefined : await mkdtemp(join(tmpdir(), "sim-app-"));
  const dropDataDir = () => (ownDataDir ? rm(ownDataDir, { recursive: true, force: true }) : undefined);
  const config = loadConfig(
    { PORT: "0", LOG_LEVEL: "silent", ...(ownDataDir ? { DATA_DIR: ownDataDir } : {}), ...options.env },
    {},
    null,
  );
  const app = await startApp(config, options.logger ?? silentLogger(), {
    simulators: fastSimulators(options.simulators),
    clientPortal: {
      ...FAST_CP_APP_TIMINGS,
      ...options.clientPortal,
    },
    tws: { ...FAST_TWS_TIMINGS, ...options.tws },
    marketData: { lingerMs: 200, routeCheckMs: 100, accountPollMs: 500, ...options.marketData },
  }).catch(async (e: unknown) => {
    await dropDataDir();
    throw e;
  });
  const simulators = app.simulators;
  if (!simulators) {
    await app.stop();
    await dropDataDir();
    throw new Error("startSimApp: the config was not SIMULATED (a gateway is configured)");
  }
  const cp = cpClient(simulators.cp);
  const { httpUrl, wsUrl } = app.server;

  const requests = async (): Promise<CpRequestLogEntry[]> => {
    const r = await cp.get<{ requests: CpRequestLogEntry[] }>("/sim/requests");
    if (r.status !== 200) throw new Error(`/sim/requests answered ${r.status}`);
    return r.body.requests;
  };

  return {
    app,
    httpUrl,
    wsUrl,
    cp,
    control: (path, body) => postControl(cp, path, body),
    simOrders: () => readSimOrders(cp),
    orderWrites: async () => (await requests()).filter((e) => ORDER_WRITE.test(e.path)),
    requests,
    async op(query, variables, headers = {}) {
      const res = await request(httpUrl, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        // Parsing and printing here catches a typo in a test's own query before the server sees it.
        body: JSON.stringify({ query: print(parse(query)), variables }),
      });
      const text = await res.body.text();
      let body: FormattedExecutionResult<Json>;
      try {
        body = JSON.parse(text) as FormattedExecutionResult<Json>;
      } catch {
        throw new Error(`HTTP ${res.statusCode}, not JSON: ${text.slice(0, 200)}`);
      }
      return { ...body, status: res.statusCode };
    },
    ws: (connectionParams) =>
      createClient({ url: wsUrl, webSocketImpl: WebSocket, connectionParams, retryAttempts: 0, lazy: true }),
    async stop() {
      await cp.close();
      await app.stop();
      await dropDataDir();
    },
  };
}

/** Prices still and orders filled at once, so what a test sees depends only on what it does; fast sessions. */
function fastSimulators(sims: SimulatorsOptions = {}): SimulatorsOptions {
  return {
    ...sims,
    brokerage: { tickIntervalMs: 0, fillDelayMs: 0, partialFills: 1, ...sims.brokerage },
    cp: {
      rateLimits: { endpoints: FAST.sim, penaltyMs: 60_000, globalPerSecond: 40 },
      reauthDelayMs: 100,
      dailyResetTime: null,
      ...sims.cp,
    },
  };
}

async function postControl(cp: CpTestClient, path: string, body: unknown = {}): Promise<Json> {
  const r = await cp.post(path, body);
  if (r.status !== 200) throw new Error(`${path} answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

async function readSimOrders(cp: CpTestClient): Promise<SimOrderRow[]> {
  const r = await cp.get<{ orders: SimOrderRow[] }>("/sim/orders");
  if (r.status !== 200) throw new Error(`/sim/orders answered ${r.status}`);
  return r.body.orders;
}

/** Both simulators over one book, without the server: for tests that start their own adapters. */
export interface BookSimulators {
  sims: Simulators;
  /** HTTPS client of the Client Portal simulator (certificate pinned), for `/sim/*`. */
  cp: CpTestClient;
  /** POST a `/sim/...` control route (`/sim/tws/zombie` included); fails unless it answers 200. */
  control(path: string, body?: unknown): Promise<Json>;
  /** The book as `/sim/orders` shows it, `timesPlaced` included. */
  simOrders(): Promise<SimOrderRow[]>;
  stop(): Promise<void>;
}

/** `startSimulators` with the settings `startSimApp` gives them, on free ports. */
export async function startBookSimulators(options: SimulatorsOptions = {}): Promise<BookSimulators> {
  const sims = await startSimulators(fastSimulators(options));
  const cp = cpClient(sims.cp);
  return {
    sims,
    cp,
    control: (path, body) => postControl(cp, path, body),
    simOrders: () => readSimOrders(cp),
    async stop() {
      await cp.close();
      await sims.stop();
    },
  };
}

/** Runs one operation (query or mutation) over graphql-ws and returns its single result. */
export function wsOnce(
  client: Client,
  query: string,
  variables?: Record<string, unknown>,
  timeoutMs = 5_000,
): Promise<FormattedExecutionResult<Json>> {
  return new Promise((resolve, reject) => {
    let result: FormattedExecutionResult<Json> | undefined;
    const timer = setTimeout(() => {
      dispose();
      reject(new Error(`no graphql-ws result within ${timeoutMs} ms`));
    }, timeoutMs);
    const dispose = client.subscribe<Json>(
      { query, variables },
      {
        next: (r) => {
          result = r as FormattedExecutionResult<Json>;
        },
        error: (e) => {
          clearTimeout(timer);
          // graphql-ws hands GraphQL errors of a refused operation as an array, socket closes as CloseEvents.
          if (Array.isArray(e)) resolve({ errors: e });
          else reject(closeError(e));
        },
        complete: () => {
          clearTimeout(timer);
          if (result) resolve(result);
          else reject(new Error("graphql-ws operation completed without a result"));
        },
      },
    );
  });
}

function closeError(e: unknown): Error {
  if (e instanceof Error) return e;
  const close = e as { code?: number; reason?: string };
  if (typeof close?.code === "number") {
    return Object.assign(new Error(`socket closed ${close.code}: ${close.reason ?? ""}`), {
      code: close.code,
    });
  }
  return new Error(JSON.stringify(e));
}

/** The `extensions.code` of each error, for compact assertions. */
export function codesOf(r: { errors?: readonly { extensions?: Record<string, unknown> }[] }): string[] {
  return (r.errors ?? []).map((e) => String(e.extensions?.code));
}

export { eventually } from "./wait";
