import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startApp, type AppOptions } from "../../src/app";
import type { BrokerService } from "../../src/brokers";
import { loadConfig, type ConfigOverrides } from "../../src/config/config";
import { silentLogger } from "../../src/logger";
import type { RunningServer } from "../../src/server";
import { startSimulators, type SimulatorsOptions } from "../../src/simulators";
import type { Brokerage, BrokerageOptions } from "../../src/simulators/brokerage";
import type { CpSimulator } from "../../src/simulators/client-portal";
import type { TwsSimulator } from "../../src/simulators/tws";
import { startChild } from "./child-rpc";
import { waitUntil } from "./stats";

export const ACCOUNT = "DU1234567";
export const AAPL = 265598;
export const MSFT = 272093;
export const SPY = 756733;

export interface SimSystemOptions {
  /**
   * `gateways` (default): the simulators are started first and the server is configured with IB_CP_URL /
   * IB_TWS_PORT pointing at them, the composition of a paper deployment (durable idempotency store).
   * `simulated`: no gateway configured, startApp's SIMULATED mode (simulators in-process, in-memory
   * idempotency store).
   */
  mode?: "gateways" | "simulated";
  /** Configure the TWS side (gateways mode). @default true */
  tws?: boolean;
  /** Configure the Client Portal side (gateways mode). @default true */
  clientPortal?: boolean;
  /** Adapter option overrides, as startApp takes them. */
  app?: AppOptions;
  /** The shared book's behaviour. @default immediate acknowledgements and fills, no price ticking */
  brokerage?: BrokerageOptions;
  simulators?: Omit<SimulatorsOptions, "brokerage">;
  /** Put some positions in the book before the server connects (gateways mode). @default true */
  seedPositions?: boolean;
  /** Configuration overrides (e.g. WebSocket limits for a thousand subscribers from one address). */
  config?: ConfigOverrides;
}

/** The simulators and the real server over the real adapters, all on free ports. */
export interface SimSystem {
  brokerage: Brokerage;
  twsSim: TwsSimulator;
  cpSim: CpSimulator;
  server: RunningServer;
  broker: BrokerService;
  stop(): Promise<void>;
}

/** WebSocket connections a bench server takes in all and from one address (its clients are all local). */
const BENCH_WS_CONNECTIONS = 10_000;

/**
 * Starts the system under measurement through the product's own composition root (`startApp` with a config
 * from `loadConfig`), silent logging (the figures measure the server, not a log sink).
 */
export async function startSimSystem(options: SimSystemOptions = {}): Promise<SimSystem> {
  const mode = options.mode ?? "gateways";
  const dataDir = await mkdtemp(join(tmpdir(), "ibkr-graphql-bench-"));
  // Every bench client connects from 127.0.0.1: the per-address and total WebSocket caps (security defaults
  // 32 / 1,000) are lifted so the figures measure delivery, not the caps.
  const overrides: ConfigOverrides = {
    wsMaxConnections: BENCH_WS_CONNECTIONS,
    wsMaxConnectionsPerAddress: BENCH_WS_CONNECTIONS,
    ...options.config,
    port: 0,
    landingPage: "none",
    dataDir,
  };
  const simulatorOptions: SimulatorsOptions = {
    ...options.simulators,
    brokerage: options.brokerage ?? {},
    cp: { dailyResetTime: null, requestLogSize: 200_000, ...options.simulators?.cp },
  };
  let sims: Awaited<ReturnType<typeof startSimulators>> | undefined;
  if (mode === "gateways") {
    sims = await startSimulators(simulatorOptions);
    if (options.seedPositions ?? true) await seedPositions(sims.brokerage);
    if (options.clientPortal ?? true) {
      const caFile = join(dataDir, "gateway.pem");
      await writeFile(caFile, sims.cp.caPem);
      overrides.cpUrl = sims.cp.url;
      overrides.cpCaFile = caFile;
    }
    if (options.tws ?? true) {
      overrides.twsHost = sims.tws.host;
      overrides.twsPort = sims.tws.port;
    }
  }
  const config = loadConfig({}, overrides, null);
  const app = await startApp(config, silentLogger(), {
    ...options.app,
    ...(mode === "simulated" ? { simulators: simulatorOptions } : {}),
  });
  const simulators = sims ?? app.simulators;
  if (!simulators) throw new Error("startApp did not start simulators in SIMULATED mode");
  try {
    await waitUntil("the server to be ready on the simulators", () => app.broker.readiness().ready, 30_000);
  } catch (e) {
    await app.stop();
    await sims?.stop();
    throw e;
  }
  return {
    brokerage: simulators.brokerage,
    twsSim: simulators.tws,
    cpSim: simulators.cp,
    server: app.server,
    broker: app.broker,
    async stop() {
      await app.stop();
      await sims?.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The server in this process over simulators in a child process (see children/sim-child). */
export interface RemoteSimSystem {
  server: RunningServer;
  broker: BrokerService;
  twsHost: string;
  twsPort: number;
  stop(): Promise<void>;
}

export async function startRemoteSimSystem(): Promise<RemoteSimSystem> {
  const child = startChild(join(__dirname, "..", "children", "sim-child.js"));
  const dataDir = await mkdtemp(join(tmpdir(), "ibkr-graphql-bench-"));
  try {
    const sims = await child.call<{ cpUrl: string; caPem: string; twsHost: string; twsPort: number }>(
      "start",
    );
    const caFile = join(dataDir, "gateway.pem");
    await writeFile(caFile, sims.caPem);
    const config = loadConfig(
      {},
      {
        port: 0,
        landingPage: "none",
        dataDir,
        cpUrl: sims.cpUrl,
        cpCaFile: caFile,
        twsHost: sims.twsHost,
        twsPort: sims.twsPort,
      },
      null,
    );
    const app = await startApp(config, silentLogger());
    await waitUntil("the server to be ready on the simulators", () => app.broker.readiness().ready, 30_000);
    return {
      server: app.server,
      broker: app.broker,
      twsHost: sims.twsHost,
      twsPort: sims.twsPort,
      async stop() {
        await app.stop();
        await child.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await child.stop();
    throw e;
  }
}

/** A few filled buys so that `positions` has rows to serialize. */
export async function seedPositions(brokerage: Brokerage): Promise<void> {
  for (const [conid, quantity] of [
    [AAPL, 100],
    [MSFT, 50],
    [SPY, 20],
  ] as const) {
    brokerage.placeOrder({
      account: ACCOUNT,
      contract: { conid },
      side: "BUY",
      orderType: "MKT",
      quantity,
      api: "TWS",
    });
  }
  await brokerage.whenIdle();
}
