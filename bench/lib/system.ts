import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createBrokerService,
  MemoryIdempotencyStore,
  type BrokerService,
  type TradingGuards,
} from "../../src/brokers";
import {
  createClientPortalBroker,
  type ClientPortalAdapter,
  type ClientPortalBrokerOptions,
} from "../../src/brokers/client-portal";
import { createFileIdempotencyStore } from "../../src/brokers/file-idempotency-store";
import { createTwsBroker, type TwsBrokerOptions } from "../../src/brokers/tws";
import { silentLogger } from "../../src/logger";
import { Metrics } from "../../src/metrics";
import { startServer, type RunningServer } from "../../src/server";
import { createBrokerage, type Brokerage, type BrokerageOptions } from "../../src/simulators/brokerage";
import {
  startClientPortalSimulator,
  type ClientPortalSimulatorOptions,
  type CpSimulator,
} from "../../src/simulators/client-portal";
import { startTwsSimulator, type TwsSimulator } from "../../src/simulators/tws";
import { waitUntil } from "./stats";

export const ACCOUNT = "DU1234567";
export const AAPL = 265598;
export const MSFT = 272093;
export const SPY = 756733;

const GUARDS: TradingGuards = {
  readOnly: false,
  allowLiveTrading: false,
  accounts: [],
  maxOrderQuantity: null,
  maxOrderNotional: null,
  liveTwsPort: false,
};

export interface SimSystemOptions {
  /** Run the TWS adapter (over the TWS simulator). @default true */
  tws?: boolean | Partial<TwsBrokerOptions>;
  /** Run the Client Portal adapter (over the Client Portal simulator). @default true */
  clientPortal?: boolean | Partial<ClientPortalBrokerOptions>;
  brokerage?: BrokerageOptions;
  cpSimulator?: Partial<ClientPortalSimulatorOptions>;
  /** Put some positions in the book before the adapters connect. @default true */
  seedPositions?: boolean;
  /** The fsync'ed file store the product uses; false = in memory (to isolate its cost). @default true */
  durableIdempotency?: boolean;
}

/** Both simulators over one brokerage and the real server over the real adapters, all on port 0. */
export interface SimSystem {
  brokerage: Brokerage;
  twsSim: TwsSimulator;
  cpSim: CpSimulator;
  server: RunningServer;
  broker: BrokerService;
  cpAdapter?: ClientPortalAdapter;
  stop(): Promise<void>;
}

/**
 * The composition `startApp` uses in SIMULATED mode (simulators in-process, the server connected to them
 * over real sockets, durable idempotency store, metrics), with each side switchable and the adapters'
 * options open, so a figure can isolate one API or shorten a cache TTL. Logging is silent: the figures
 * measure the server, not the log sink.
 */
export async function startSimSystem(options: SimSystemOptions = {}): Promise<SimSystem> {
  const brokerage = createBrokerage({ accounts: [ACCOUNT], ...options.brokerage });
  if (options.seedPositions ?? true) await seedPositions(brokerage);
  const twsSim = await startTwsSimulator({ brokerage, port: 0 });
  const cpSim = await startClientPortalSimulator({
    brokerage,
    twsControl: twsSim.control,
    dailyResetTime: null,
    requestLogSize: 200_000,
    ...options.cpSimulator,
  });
  const dataDir = await mkdtemp(join(tmpdir(), "ibkr-graphql-bench-"));
  const logger = silentLogger();
  const twsOpt = options.tws ?? true;
  const cpOpt = options.clientPortal ?? true;
  let cpAdapter: ClientPortalAdapter | undefined;
  const metrics: Metrics = new Metrics({ broker: () => broker });
  const broker = createBrokerService({
    simulated: true,
    logger,
    orderEventBuffer: 10_000,
    idempotency:
      (options.durableIdempotency ?? true)
        ? await createFileIdempotencyStore(dataDir)
        : new MemoryIdempotencyStore(),
    guards: GUARDS,
    hooks: {
      onOrderEvent: (e) => metrics.recordOrderEvent(e),
      onSessionEvent: (e) => metrics.recordSessionEvent(e),
    },
    tws: twsOpt
      ? (sink) =>
          createTwsBroker(
            {
              host: twsSim.host,
              port: twsSim.port,
              clientId: 0,
              logger,
              ...(typeof twsOpt === "object" ? twsOpt : {}),
            },
            sink,
          )
      : undefined,
    clientPortal: cpOpt
      ? (sink) =>
          (cpAdapter = createClientPortalBroker(
            {
              url: cpSim.url,
              caPem: cpSim.caPem,
              logger,
              ...(typeof cpOpt === "object" ? cpOpt : {}),
            },
            sink,
          ))
      : undefined,
  });
  await broker.start();
  const server = await startServer({ broker, logger, port: 0, landingPage: "none", metrics });
  await waitUntil("the server to be ready on the simulators", () => broker.readiness().ready, 20_000);
  return {
    brokerage,
    twsSim,
    cpSim,
    server,
    broker,
    cpAdapter,
    async stop() {
      await server.stop();
      await twsSim.stop();
      await cpSim.stop();
      brokerage.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
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
