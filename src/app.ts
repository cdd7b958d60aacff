import {
  createBrokerService,
  MemoryIdempotencyStore,
  type BrokerService,
  type IdempotencyStore,
} from "./brokers";
import { createClientPortalBroker, type ClientPortalAdapter } from "./brokers/client-portal";
import { createFileIdempotencyStore } from "./brokers/file-idempotency-store";
import type { MarketDataOptions } from "./brokers/market-data/market-data-service";
import { createTwsBroker } from "./brokers/tws";
import type { Config } from "./config/config";
import type { Logger } from "./logger";
import { Metrics } from "./metrics";
import { serverOptionsOf, startServer, type RunningServer } from "./server";
import { startSimulators, type Simulators } from "./simulators";

export interface App {
  server: RunningServer;
  broker: BrokerService;
  /** Present in SIMULATED mode. */
  simulators?: Simulators;
  stop(): Promise<void>;
}

export interface AppOptions {
  /** SIMULATED mode: options for the in-process simulators (tests shorten their timers). */
  simulators?: Parameters<typeof startSimulators>[0];
  /** Overrides of the adapters' timing options (tests). */
  clientPortal?: Partial<Parameters<typeof createClientPortalBroker>[0]>;
  tws?: Partial<Parameters<typeof createTwsBroker>[0]>;
  /** Market-data lines, linger and pacing over the config's (tests). */
  marketData?: MarketDataOptions;
}

/**
 * The composition root: one config in, a running server out. In SIMULATED mode the simulators are started
 * first and the server reaches them like real gateways: HTTPS with a pinned certificate, and TCP.
 */
export async function startApp(config: Config, logger: Logger, options: AppOptions = {}): Promise<App> {
  let simulators: Simulators | undefined;
  let cp: { url: string; caPem?: string } | undefined = config.cpUrl ? { url: config.cpUrl } : undefined;
  let tws: { host: string; port: number } | undefined =
    config.twsPort !== undefined ? { host: config.twsHost, port: config.twsPort } : undefined;
  if (config.simulated) {
    simulators = await startSimulators({
      host: "127.0.0.1",
      cpPort: config.simCpPort,
      twsPort: config.simTwsPort,
      // Prices move and market orders fill in two steps, so a demo shows the whole lifecycle.
      brokerage: { tickIntervalMs: 1000, fillDelayMs: 50, partialFills: 2, partialFillIntervalMs: 250 },
      logger: logger.child({ component: "simulator" }),
      ...options.simulators,
    });
    cp = { url: simulators.cp.url, caPem: simulators.cp.caPem };
    tws = { host: simulators.tws.host, port: simulators.tws.port };
    logger.warn(
      { clientPortal: simulators.cp.url, tws: `${tws.host}:${tws.port}` },
      "SIMULATED mode: no gateway configured (IB_CP_URL / IB_TWS_PORT), running on the built-in simulators. " +
        "No real orders are placed.",
    );
  }
  if (config.cpInsecureTls && cp) {
    logger.warn("IB_CP_INSECURE_TLS=true: the Client Portal gateway's certificate is NOT verified");
  }

  // A simulated brokerage starts empty each run, so its idempotency keys must too.
  const idempotency: IdempotencyStore = config.simulated
    ? new MemoryIdempotencyStore()
    : await createFileIdempotencyStore(config.dataDir);
  let cpAdapter: ClientPortalAdapter | undefined;
  const metrics: Metrics = new Metrics({
    broker: () => broker,
    schedulerQueue: () => cpAdapter?.stats().queueLength ?? 0,
  });
  const broker = createBrokerService({
    simulated: config.simulated,
    logger,
    orderEventBuffer: config.orderEventBuffer,
    idempotency,
    marketData: { maxLines: config.marketDataLines, ...options.marketData },
    hooks: {
      onOrderEvent: (e) => metrics.recordOrderEvent(e),
      onSessionEvent: (e) => metrics.recordSessionEvent(e),
    },
    guards: {
      readOnly: config.readOnly,
      allowLiveTrading: config.allowLiveTrading,
      accounts: config.accounts,
      maxOrderQuantity: config.maxOrderQuantity ?? null,
      maxOrderNotional: config.maxOrderNotional ?? null,
      liveTwsPort: config.twsPort === 7496 || config.twsPort === 4001,
    },
    clientPortal: cp
      ? (sink) =>
          (cpAdapter = createClientPortalBroker(
            {
              url: cp.url,
              caPem: cp.caPem,
              caFile: config.cpCaFile,
              insecureTls: config.cpInsecureTls,
              readOnly: config.cpReadOnly,
              tickleMs: config.cpTickleMs,
              autoConfirm: config.cpAutoConfirm,
              takeOverCompeting: config.cpTakeOverCompeting,
              autoLogin:
                config.cpLogin === "auto" && config.cpUsername && config.cpPassword
                  ? {
                      username: config.cpUsername,
                      password: config.cpPassword,
                      totpSecret: config.cpTotpSecret,
                      tradingMode: config.cpTradingMode,
                      browserPath: config.cpBrowser,
                      selectors: config.cpLoginSelectors,
                      timeoutMs: config.cpLoginTimeoutMs,
                      stateDir: config.simulated ? undefined : config.dataDir,
                    }
                  : undefined,
              onLoginAttempt: (outcome, seconds) => metrics.recordCpLogin(outcome, seconds),
              logger,
              onSchedulerEvent: (e) => {
                if (e.type === "request") {
                  metrics.recordUpstream("CLIENT_PORTAL", e.endpoint, e.status);
                  metrics.recordSchedulerWait(e.waitedMs / 1000);
                }
              },
              ...options.clientPortal,
            },
            sink,
          ))
      : undefined,
    tws: tws
      ? (sink) =>
          createTwsBroker(
            {
              host: tws.host,
              port: tws.port,
              clientId: config.twsClientId,
              clientIdRange: config.twsClientIdRange,
              marketDataType: config.marketDataType,
              logger,
              ...options.tws,
            },
            sink,
          )
      : undefined,
  });
  await broker.start();
  let server: RunningServer;
  try {
    server = await startServer({
      broker,
      logger,
      host: config.host,
      port: config.port,
      landingPage: config.landingPage,
      auth: { apiToken: config.apiToken, apiReadToken: config.apiReadToken },
      metrics,
      ...serverOptionsOf(config),
    });
  } catch (e) {
    await broker.close();
    await simulators?.stop();
    throw e;
  }
  return {
    server,
    broker,
    simulators,
    stop: async () => {
      await server.stop();
      await simulators?.stop();
      logger.debug("simulators stopped");
    },
  };
}
