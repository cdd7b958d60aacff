import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, print, type FormattedExecutionResult } from "graphql";
import { request } from "undici";
import { startApp, type App, type AppOptions } from "../../src/app";
import { loadConfig } from "../../src/config/config";
import { silentLogger, type Logger } from "../../src/logger";
import { startSimulators, type Simulators, type SimulatorsOptions } from "../../src/simulators";
import { FAST, FAST_CP_APP_TIMINGS } from "./cp-broker-harness";
import { cpClient, type CpTestClient, type Json } from "./cp-sim-client";
import { FAST_TWS_TIMINGS } from "./tws-harness";

/**
 * The product as a deployment runs it: the simulators started first, as gateways would be, and the server
 * configured through its environment (IB_CP_URL, IB_CP_CA_FILE, IB_TWS_PORT, …) pointing at them. Unlike
 * startSimApp (SIMULATED mode), the mode is PAPER or LIVE and every setting goes through loadConfig.
 */
export interface GatewayApp {
  app: App;
  sims: Simulators;
  httpUrl: string;
  /** HTTPS client of the Client Portal simulator (certificate pinned), for `/sim/*`. */
  cp: CpTestClient;
  /** Where IB_CP_CA_FILE points. */
  caFile: string;
  op(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GqlResult>;
  /** Every `/sim/requests` entry (method, path, status). */
  requests(): Promise<{ method: string; path: string; status: number }[]>;
  stop(): Promise<void>;
}

export type GqlResult = FormattedExecutionResult<Json> & { status: number };

export interface GatewayAppOptions {
  simulators?: SimulatorsOptions;
  /**
   * The environment, on top of the simulator's address. `(sims, caFile) => env` to build IB_CP_URL or
   * IB_TWS_PORT from them; by default IB_CP_URL and IB_CP_CA_FILE point at the Client Portal simulator.
   */
  env?: (sims: Simulators, caFile: string) => Record<string, string>;
  clientPortal?: AppOptions["clientPortal"];
  tws?: AppOptions["tws"];
  logger?: Logger;
}

export async function startGatewayApp(options: GatewayAppOptions = {}): Promise<GatewayApp> {
  const dataDir = await mkdtemp(join(tmpdir(), "ibkr-graphql-gw-"));
  const sims = await startSimulators({
    ...options.simulators,
    brokerage: { tickIntervalMs: 0, fillDelayMs: 0, partialFills: 1, ...options.simulators?.brokerage },
    cp: {
      rateLimits: { endpoints: FAST.sim, penaltyMs: 60_000, globalPerSecond: 40 },
      reauthDelayMs: 100,
      dailyResetTime: null,
      ...options.simulators?.cp,
    },
  });
  let app: App | undefined;
  const cp = cpClient(sims.cp);
  try {
    const caFile = join(dataDir, "gateway.pem");
    await writeFile(caFile, sims.cp.caPem);
    const env = options.env ? options.env(sims, caFile) : { IB_CP_URL: sims.cp.url, IB_CP_CA_FILE: caFile };
    const config = loadConfig({ PORT: "0", LOG_LEVEL: "silent", DATA_DIR: dataDir, ...env }, {}, null);
    app = await startApp(config, options.logger ?? silentLogger(), {
      clientPortal: {
        ...FAST_CP_APP_TIMINGS,
        ...options.clientPortal,
      },
      tws: { ...FAST_TWS_TIMINGS, ...options.tws },
    });
    const running = app;
    const httpUrl = running.server.httpUrl;
    return {
      app: running,
      sims,
      httpUrl,
      cp,
      caFile,
      async op(query, variables, headers = {}) {
        const res = await request(httpUrl, {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body: JSON.stringify({ query: print(parse(query)), variables }),
        });
        const text = await res.body.text();
        return { ...(JSON.parse(text) as FormattedExecutionResult<Json>), status: res.statusCode };
      },
      async requests() {
        const r = await cp.get<{ requests: { method: string; path: string; status: number }[] }>(
          "/sim/requests",
        );
        return r.body.requests;
      },
      async stop() {
        await cp.close();
        await running.stop();
        await sims.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await cp.close();
    await app?.stop();
    await sims.stop();
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
}
