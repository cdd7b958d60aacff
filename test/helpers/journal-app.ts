import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, print, type FormattedExecutionResult } from "graphql";
import { createClient, type Client } from "graphql-ws";
import { request } from "undici";
import WebSocket from "ws";
import { startApp, type App } from "../../src/app";
import { loadConfig } from "../../src/config/config";
import { silentLogger } from "../../src/logger";
import { startSimulators, type Simulators, type SimulatorsOptions } from "../../src/simulators";
import type { CpRequestLogEntry } from "../../src/simulators/client-portal";
import type { EndpointRule } from "../../src/brokers/client-portal/endpoint-limits";
import { FAST, FAST_CP_APP_TIMINGS, scaledLimits } from "./cp-broker-harness";
import { cpClient, type CpTestClient, type Json } from "./cp-sim-client";
import { FAST_TWS_TIMINGS } from "./tws-harness";
import { eventually } from "./wait";

export const ACCT = "DU1234567";
export const AAPL = 265598;

/**
 * The gateways outlive the server here: a restart test stops the app and starts another on the same
 * DATA_DIR while the simulated brokerage (its orders, its fills, its rate-limit windows) carries on.
 */
export interface Gateways {
  sims: Simulators;
  cp: CpTestClient;
  /** The CA of the Client Portal simulator, written to a file (for a server started as a child process). */
  caFile: string;
  /** The endpoint rules the simulator enforces, scaled as the client's. */
  clientRules: readonly EndpointRule[];
  requests(): Promise<CpRequestLogEntry[]>;
  stop(): Promise<void>;
}

export async function startGateways(
  options: { limitsScale?: number; simulators?: SimulatorsOptions } = {},
): Promise<Gateways> {
  const limits = options.limitsScale === undefined ? FAST : scaledLimits(options.limitsScale);
  const sims = await startSimulators({
    ...options.simulators,
    brokerage: { tickIntervalMs: 0, fillDelayMs: 0, partialFills: 1, ...options.simulators?.brokerage },
    cp: {
      rateLimits: { endpoints: limits.sim, penaltyMs: 60_000, globalPerSecond: 40 },
      reauthDelayMs: 100,
      dailyResetTime: null,
    },
  });
  const dir = await mkdtemp(join(tmpdir(), "journal-ca-"));
  const caFile = join(dir, "cp.pem");
  await writeFile(caFile, sims.cp.caPem);
  const cp = cpClient(sims.cp);
  return {
    sims,
    cp,
    caFile,
    clientRules: limits.client,
    async requests() {
      const r = await cp.get<{ requests: CpRequestLogEntry[] }>("/sim/requests");
      if (r.status !== 200) throw new Error(`/sim/requests answered ${r.status}`);
      return r.body.requests;
    },
    async stop() {
      await cp.close();
      await sims.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface JournalApp {
  app: App;
  httpUrl: string;
  op(query: string, variables?: Record<string, unknown>): Promise<FormattedExecutionResult<Json>>;
  ws(): Client;
  stop(): Promise<void>;
}

/** The server against the gateways (not SIMULATED mode), its store in `dataDir`. */
export async function startJournalApp(
  gw: Gateways,
  dataDir: string,
  options: { apis?: "both" | "cp" | "tws"; env?: Record<string, string> } = {},
): Promise<JournalApp> {
  const apis = options.apis ?? "both";
  const env: Record<string, string> = { PORT: "0", LOG_LEVEL: "silent", DATA_DIR: dataDir, ...options.env };
  if (apis !== "tws") env.IB_CP_URL = gw.sims.cp.url;
  if (apis !== "cp") {
    env.IB_TWS_HOST = gw.sims.tws.host;
    env.IB_TWS_PORT = String(gw.sims.tws.port);
  }
  const config = loadConfig(env, {}, null);
  const app = await startApp(config, silentLogger(), {
    clientPortal: {
      caPem: gw.sims.cp.caPem,
      ...FAST_CP_APP_TIMINGS,
      endpointRules: gw.clientRules,
    },
    tws: { ...FAST_TWS_TIMINGS },
  });
  const httpUrl = app.server.httpUrl;
  const op = async (query: string, variables?: Record<string, unknown>) => {
    const res = await request(httpUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: print(parse(query)), variables }),
    });
    return (await res.body.json()) as FormattedExecutionResult<Json>;
  };
  try {
    await eventually(
      "the server ready",
      async () => {
        const r = await op("{ session { ready } }");
        return r.data?.session.ready === true;
      },
      15_000,
    );
  } catch (e) {
    // The caller never gets the app to stop: stop it here, or its sockets keep the test process alive.
    await app.stop();
    throw e;
  }
  return {
    app,
    httpUrl,
    op,
    ws: () => createClient({ url: app.server.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true }),
    stop: () => app.stop(),
  };
}

export const PLACE = `mutation Place($i: PlaceOrderInput!) {
  placeOrder(input: $i) { order { id clientOrderId source status } confirmation { replyId } }
}`;

export const marketOrder = (clientOrderId: string, via: "TWS" | "CLIENT_PORTAL", quantity = 1) => ({
  i: {
    accountId: ACCT,
    contract: { conid: AAPL },
    side: "BUY",
    type: "MARKET",
    quantity,
    clientOrderId,
    via,
  },
});

export const ORDER_UPDATES = `subscription Updates($after: String, $afterSequence: Int) {
  orderUpdates(after: $after, afterSequence: $afterSequence) {
    sequence cursor type catchUp order { id clientOrderId status } fill { executionId orderId }
  }
}`;

/** A subscription that records every event (and the error that ended it, if any). */
export interface Recorder {
  events: Json[];
  error?: unknown;
  done: boolean;
  stop(): void;
}

/** Records every `data[field]` of a subscription to `query` (the journal tests each watch one stream). */
export function recordSubscription(
  client: Client,
  query: string,
  field: string,
  variables: Record<string, unknown> = {},
): Recorder {
  const rec: Recorder = { events: [], done: false, stop: () => {} };
  rec.stop = client.subscribe<Json>(
    { query, variables },
    {
      next: (r) => {
        if (r.errors) rec.error = r.errors;
        else if (r.data) rec.events.push(r.data[field] as Json);
      },
      error: (e) => {
        rec.error = e;
        rec.done = true;
      },
      complete: () => {
        rec.done = true;
      },
    },
  );
  return rec;
}

export function record(client: Client, variables: Record<string, unknown> = {}): Recorder {
  return recordSubscription(client, ORDER_UPDATES, "orderUpdates", variables);
}

export async function tempDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "journal-data-"));
}
