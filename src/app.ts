import { join } from "node:path";
import { createBrokerService, type BrokerService } from "./brokers";
import { createClientPortalBroker, type ClientPortalAdapter } from "./brokers/client-portal";
import type { SchedulerMemory } from "./brokers/client-portal/request-scheduler";
import type { MarketDataOptions } from "./brokers/market-data/market-data-service";
import { createTwsBroker } from "./brokers/tws";
import {
  createOrderHistory,
  createRateLimitNotes,
  createStoreIdempotencyStore,
  isFenced,
  openPgStore,
  openSqliteStore,
  StoreError,
  wipeSqliteStore,
  type Store,
} from "./store";
import { createClusterApp, type ClusterApp } from "./cluster/cluster-app";
import type { ClusterStatus } from "./schema/cluster.type";
import { InstanceRole } from "./schema/enums";
import type { Config } from "./config/config";
import type { Logger } from "./logger";
import { Metrics } from "./metrics";
import { serverOptionsOf, startServer, type RunningServer } from "./server";
import { SnapshotError, startSimulators, type Simulators } from "./simulators";

export interface App {
  server: RunningServer;
  broker: BrokerService;
  /** The journal, orders, fills, idempotency keys and rate-limit memory. */
  store: Store;
  /** Present in SIMULATED mode. */
  simulators?: Simulators;
  /** Present with DATABASE_URL: the election and the role this instance plays. */
  cluster?: ClusterApp;
  stop(): Promise<void>;
}

export interface AppOptions {
  /** SIMULATED mode: options for the in-process simulators (tests shorten their timers). */
  simulators?: Parameters<typeof startSimulators>[0];
  /** Overrides of the adapters' timing options (tests). */
  clientPortal?: Partial<Parameters<typeof createClientPortalBroker>[0]>;
  tws?: Partial<Parameters<typeof createTwsBroker>[0]>;
  /** Pause between retention steps. @default 1000 ms; retention runs every hour until nothing is due. */
  retentionStepMs?: number;
  /** Market-data lines, linger and pacing over the config's (tests). */
  marketData?: MarketDataOptions;
  /** With DATABASE_URL: how often the leader writes its reads for standbys (tests shorten it). */
  clusterSnapshotEveryMs?: number;
}

const RETENTION_EVERY_MS = 3600_000;

/**
 * The composition root: one config in, a running server out. In SIMULATED mode the simulators are started
 * first and the server reaches them like real gateways: HTTPS with a pinned certificate, and TCP.
 */
export async function startApp(config: Config, logger: Logger, options: AppOptions = {}): Promise<App> {
  let simulators: Simulators | undefined;
  let cp: { url: string; caPem?: string } | undefined = config.cpUrl ? { url: config.cpUrl } : undefined;
  let tws: { host: string; port: number } | undefined =
    config.twsPort !== undefined ? { host: config.twsHost, port: config.twsPort } : undefined;
  // The journal, keys and rate-limit memory live in DATA_DIR (a StoreError here: see main.ts). A simulated
  // brokerage's book is kept beside them in DATA_DIR/simulated, never mixed with a real gateway's journal:
  // its order ids mean nothing to IB. The store is opened first, so its DATA_DIR lock guards the book too.
  const storeDir = config.simulated ? join(config.dataDir, "simulated") : config.dataDir;
  // A fresh simulated brokerage needs a fresh journal too: the new book's order ids start over.
  if (config.simulated && config.simFresh) wipeSqliteStore(storeDir);
  // DATABASE_URL: the shared store of a deployment of several instances, fenced until this one leads.
  const store: Store = config.databaseUrl
    ? await openPgStore(config.databaseUrl, {
        retentionDays: config.journalRetentionDays,
        logger,
        epoch: null,
      })
    : await openSqliteStore(storeDir, { retentionDays: config.journalRetentionDays, logger });
  if (config.simulated) {
    simulators = await startSimulators({
      persistence: { dir: storeDir, fresh: config.simFresh },
      host: "127.0.0.1",
      cpPort: config.simCpPort,
      twsPort: config.simTwsPort,
      // Prices move and market orders fill in two steps, so a demo shows the whole lifecycle.
      brokerage: { tickIntervalMs: 1000, fillDelayMs: 50, partialFills: 2, partialFillIntervalMs: 250 },
      logger: logger.child({ component: "simulator" }),
      ...options.simulators,
    }).catch(async (e: unknown) => {
      await store.close();
      // A saved book that cannot be used is refused like an unreadable store: a message, not a stack.
      if (e instanceof SnapshotError) throw new StoreError("STORE_UNREADABLE", e.message, { path: e.path });
      throw e;
    });
    if (simulators.persistence?.restored) {
      logger.info(
        { path: simulators.persistence.path },
        "SIMULATED mode: the simulated brokerage was restored",
      );
    }
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

  const storeLog = logger.child({ component: "store" });
  // Orders and fills in the store: one reader and writer for the single, leader and standby brokers alike.
  const history = createOrderHistory(store, { logger: storeLog });
  const rateNotes = createRateLimitNotes(store, (what, err) =>
    storeLog.warn({ err }, `could not remember the Client Portal ${what}`),
  );
  let broker: BrokerService;
  let cpAdapter: ClientPortalAdapter | undefined;
  const metrics: Metrics = new Metrics({
    broker: () => broker,
    schedulerQueue: () => cpAdapter?.stats().queueLength ?? 0,
  });
  let cluster: ClusterApp | undefined;
  try {
    if (config.databaseUrl) {
      const shared = store as Awaited<ReturnType<typeof openPgStore>>;
      cluster = createClusterApp({
        store: shared,
        databaseUrl: config.databaseUrl,
        instanceId: config.instanceId,
        advertiseUrl: () => config.advertiseUrl ?? advertisedDefault(config.host, server),
        leaseSeconds: config.leaderLeaseSeconds,
        guards: guardsOf(config),
        history,
        logger: logger.child({ component: "cluster" }),
        registry: metrics.registry,
        snapshotEveryMs: options.clusterSnapshotEveryMs,
        // Loaded at each promotion: the keys and rate-limit windows the previous leader left.
        buildLeader: async (clusterStatus, mayTalk) =>
          buildBroker(
            await createStoreIdempotencyStore(store),
            await rateLimitMemoryOf(),
            clusterStatus,
            mayTalk,
          ),
      });
      broker = cluster.broker;
    } else {
      const single = (): ClusterStatus => ({
        instanceId: config.instanceId,
        role: InstanceRole.SINGLE,
        leaderId: null,
        leaderUrl: null,
        epoch: null,
      });
      broker = buildBroker(await createStoreIdempotencyStore(store), await rateLimitMemoryOf(), single);
    }
  } catch (e) {
    await store.close();
    await simulators?.stop();
    throw e;
  }

  async function rateLimitMemoryOf(): Promise<SchedulerMemory> {
    const rateMemory = await store.rateLimitMemory();
    const rateLimitMemory: SchedulerMemory = {
      ...rateMemory,
      noteWindow: (endpoint, until) => rateNotes.noteWindow(endpoint, until),
      notePenalty: (until) => rateNotes.notePenalty(until),
    };
    if (rateMemory.penaltyUntil !== null) {
      logger.warn(
        { until: new Date(rateMemory.penaltyUntil).toISOString() },
        "Client Portal is still in the previous process's 429 penalty; its traffic waits until it ends",
      );
    }
    return rateLimitMemory;
  }

  function buildBroker(
    idempotency: Awaited<ReturnType<typeof createStoreIdempotencyStore>>,
    rateLimitMemory: SchedulerMemory,
    clusterStatus: () => ClusterStatus,
    /** A shared deployment's leader: whether it still holds a fresh lease (nothing goes to IB otherwise). */
    mayTalk?: () => boolean,
  ): BrokerService {
    return createBrokerService({
      simulated: config.simulated,
      logger,
      orderEventBuffer: config.orderEventBuffer,
      idempotency,
      marketData: { maxLines: config.marketDataLines, ...options.marketData },
      journal: store,
      history,
      hooks: {
        onOrderEvent: (e) => metrics.recordOrderEvent(e),
        onSessionEvent: (e) => metrics.recordSessionEvent(e),
      },
      guards: guardsOf(config),
      cluster: clusterStatus,
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
                rateLimitMemory,
                mayTalk,
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
                // The first connection after a restart reports fills of journaled orders it missed.
                knownOrder: sink.knownOrder ? (id, key) => sink.knownOrder!(id, key) : undefined,
                ...options.tws,
              },
              sink,
            )
        : undefined,
    });
  }
  const retention = scheduleRetention(store, storeLog, options.retentionStepMs ?? 1000);
  let closed = false;
  const closeStore = async () => {
    if (closed) return;
    closed = true;
    retention.stop();
    await rateNotes.flush();
    await store.close();
  };
  try {
    // A cluster instance starts once its server listens (its advertised URL may need the port).
    if (!cluster) await broker.start();
  } catch (e) {
    await broker.close();
    await simulators?.stop();
    await closeStore();
    throw e;
  }
  let server: RunningServer | undefined;
  try {
    server = await startServer({
      broker,
      logger,
      host: config.host,
      port: config.port,
      landingPage: config.landingPage,
      auth: { apiToken: config.apiToken, apiReadToken: config.apiReadToken },
      metrics,
      forwardMutations: cluster?.forwardMutations,
      ...serverOptionsOf(config),
    });
    await cluster?.start();
  } catch (e) {
    await cluster?.stop().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await broker.close();
    await simulators?.stop();
    await closeStore();
    throw e;
  }
  const running = server;
  return {
    server: running,
    broker,
    store,
    simulators,
    cluster,
    stop: async () => {
      // Leaves the election first: a standby takes over while this one drains its requests.
      await cluster?.stop();
      // The server's stop closes the broker, which waits for the journal's last appends.
      await running.stop();
      // The simulated book is saved before the store lets go of DATA_DIR's lock, which guards both.
      await simulators?.stop();
      logger.debug("simulators stopped");
      await closeStore();
    },
  };
}

/** http://HOST:PORT with the port the server was given (PORT=0 in tests). */
function advertisedDefault(host: string, server: RunningServer | undefined): string {
  const url = new URL(server?.httpUrl ?? `http://${host}:4000`);
  url.pathname = "/";
  return url.toString().replace(/\/$/, "");
}

function guardsOf(config: Config) {
  return {
    readOnly: config.readOnly,
    allowLiveTrading: config.allowLiveTrading,
    accounts: config.accounts,
    maxOrderQuantity: config.maxOrderQuantity ?? null,
    maxOrderNotional: config.maxOrderNotional ?? null,
    liveTwsPort: config.twsPort === 7496 || config.twsPort === 4001,
  };
}

/**
 * Retention off the hot path: one small step (milliseconds of write lock) at a time with a pause between,
 * hourly, until nothing is due. The first run starts a step's pause after start-up, not during it.
 */
function scheduleRetention(store: Store, log: Logger, stepMs: number): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const step = () => {
    store.retentionStep().then(
      (r) => {
        if (stopped) return;
        if (r.journal + r.orders + r.fills + r.idempotency > 0) log.info({ deleted: r }, "retention step");
        timer = setTimeout(step, r.more ? stepMs : RETENTION_EVERY_MS);
        timer.unref();
      },
      (err: unknown) => {
        if (stopped) return;
        // A standby of a shared deployment does not write: the leader runs retention for everyone.
        if (isFenced(err)) log.debug("retention step left to the leader");
        else log.warn({ err }, "retention step failed; retrying in an hour");
        timer = setTimeout(step, RETENTION_EVERY_MS);
        timer.unref();
      },
    );
  };
  timer = setTimeout(step, stepMs);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
