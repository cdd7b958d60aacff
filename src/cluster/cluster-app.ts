import { Counter, Gauge, type Registry } from "prom-client";
import type { BrokerService, OrderHistory, TradingGuards } from "../brokers";
import type { ClusterStatus } from "../schema/cluster.type";
import { InstanceRole } from "../schema/enums";
import { SessionEventType } from "../schema/enums";
import type { PgStore } from "../store/pg-store";
import { isFenced } from "../store/pg-errors";
import { ClusterBroker } from "./cluster-broker";
import type { ClusterState } from "./cluster-state";
import { fenceStoreWithElector } from "./fence-store";
import { createLeaderElector, type LeaderElector } from "./leader-elector";
import { createMutationForwarder } from "./mutation-forwarder";
import { SNAPSHOT_KEYS, snapshotValue, StandbyBroker } from "./standby-broker";

interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ClusterAppOptions {
  store: PgStore;
  databaseUrl: string;
  instanceId: string;
  /** Where the others forward mutations while this one leads; a function when it needs the bound port. */
  advertiseUrl: string | (() => string);
  leaseSeconds: number;
  /** @default leaseSeconds / 5 (the elector's) */
  checkIntervalMs?: number;
  guards: TradingGuards;
  history: OrderHistory;
  logger: Log;
  /**
   * Builds the leader's full broker service: adapters, and an idempotency cache loaded from the store NOW
   * (the previous leader's keys included). Called on each promotion; nothing connects before `start()`.
   */
  buildLeader: (cluster: () => ClusterStatus, mayTalk: () => boolean) => Promise<BrokerService>;
  /** How often the leader writes its reads (status, accounts, positions, account values) for standbys. @default 5000 */
  snapshotEveryMs?: number;
  /** The server's metrics registry: the role gauge and forward counter go there. */
  registry?: Registry;
}

export interface ClusterApp {
  /** What resolvers use: the leader's service while this instance leads, the standby's otherwise. */
  broker: ClusterBroker;
  /** For `startServer({ forwardMutations })`. */
  forwardMutations: ReturnType<typeof createMutationForwarder>;
  status(): ClusterStatus;
  /** Joins the election and follows the journal; resolves after the first round (the loop goes on). */
  start(): Promise<void>;
  /** Leaves the election (a standby takes over at once) and stops the leader's service. */
  stop(): Promise<void>;
}

/**
 * One instance of a shared deployment: an elector over the database, the store fenced by it, and the
 * broker service that follows the role. Only the leader builds and starts the adapters (connects to TWS,
 * tickles and logs in to Client Portal); on losing the lock it stops them at once, and the fenced store
 * refuses whatever it still tries to write.
 */
export function createClusterApp(options: ClusterAppOptions): ClusterApp {
  const { store, logger } = options;
  // Made at start: the advertised URL may need the port the server was given.
  let elector: LeaderElector | undefined;
  const before: ClusterState = {
    instanceId: options.instanceId,
    role: "STANDBY",
    leaderId: null,
    leaderUrl: null,
    epoch: 0,
  };
  const status = (): ClusterStatus => {
    const s = elector?.state() ?? before;
    return {
      instanceId: s.instanceId,
      role: s.role === "LEADER" ? InstanceRole.LEADER : InstanceRole.STANDBY,
      leaderId: s.leaderId,
      leaderUrl: s.leaderUrl,
      epoch: s.epoch,
    };
  };
  const standby = new StandbyBroker({
    store,
    history: options.history,
    guards: options.guards,
    cluster: status,
    logger,
    // Three missed refreshes.
    storeStaleMs: 3 * (options.snapshotEveryMs ?? 5000),
  });
  const broker = new ClusterBroker(standby, status, { logger });

  const roleGauge = options.registry
    ? new Gauge({
        name: "ibkr_graphql_cluster_role",
        help: "1 for this instance's current role in a shared deployment (LEADER or STANDBY), 0 for the other.",
        labelNames: ["role"],
        registers: [options.registry],
      })
    : undefined;
  const forwards = options.registry
    ? new Counter({
        name: "ibkr_graphql_cluster_forwarded_mutations_total",
        help: "Mutations a standby forwarded to the leader, by outcome.",
        labelNames: ["outcome"],
        registers: [options.registry],
      })
    : undefined;
  const epochGauge = options.registry
    ? new Gauge({
        name: "ibkr_graphql_cluster_epoch",
        help: "The cluster epoch this instance last saw.",
        registers: [options.registry],
      })
    : undefined;
  if (options.registry) {
    new Gauge({
      name: "ibkr_graphql_cluster_relayed_streams",
      help:
        "Market-data and account streams this instance relays (one per contract or account filter and " +
        "credential, however many local subscribers share it).",
      registers: [options.registry],
      collect() {
        this.set(broker.marketData.relayedCount());
      },
    });
  }
  const showRole = (s: ClusterState) => {
    roleGauge?.set({ role: "LEADER" }, s.role === "LEADER" ? 1 : 0);
    roleGauge?.set({ role: "STANDBY" }, s.role === "LEADER" ? 0 : 1);
    epochGauge?.set(s.epoch);
  };

  /** Bumped on every change of role: a promotion that finishes after it was overtaken undoes itself. */
  let generation = 0;
  let snapshots: NodeJS.Timeout | undefined;
  let standbyRefresh: NodeJS.Timeout | undefined;
  let stopped = false;
  const snapshotEveryMs = options.snapshotEveryMs ?? 5000;

  const promote = async (gen: number, epoch: number, since: number) => {
    let leader: BrokerService | undefined;
    try {
      leader = await options.buildLeader(status, () => elector?.holdsFreshLease() ?? false);
      if (gen !== generation) return;
      // Restores the tracker from the journal and connects; the adapters' first reports are reconciled
      // against what the previous leader journaled (catch-up events for what happened meanwhile).
      await leader.start();
      if (gen !== generation) return;
      broker.setLeader(leader);
      const taken = leader;
      leader = undefined;
      logger.info(
        { epoch, readyInMs: Math.round(performance.now() - since) },
        "cluster: leading; the IB sessions are this instance's",
      );
      await store.append("session", {
        api: null,
        type: SessionEventType.LEADER_CHANGED,
        message: `${options.instanceId} leads (epoch ${epoch})`,
        at: new Date().toISOString(),
        status: snapshotValue(broker.status()),
      });
      writeSnapshots(taken, gen);
    } catch (e) {
      if (isFenced(e)) return; // overtaken meanwhile: the next change of role cleans up
      logger.error({ err: e, epoch }, "cluster: could not start leading; leaving the election to retry");
      // Without a working leader service, holding the lock would stop trading for everyone: let go.
      if (gen === generation && !stopped && elector) {
        const e = elector;
        await e.stop();
        if (!stopped) await e.start();
      }
    } finally {
      await leader?.close().catch(() => undefined);
    }
  };

  let closing: Promise<void> = Promise.resolve();
  const demote = (reason: string | undefined) => {
    clearTimeout(snapshots);
    const leader = broker.leading;
    broker.setLeader(undefined);
    if (leader) {
      logger.warn({ reason }, "cluster: no longer leading; the IB sessions are stopped");
      // Not awaited here: the store is already fenced (nothing of it can be written), and the elector's
      // listeners must return at once. `stop` waits for it.
      closing = leader
        .close()
        .catch((err: unknown) => logger.warn({ err }, "cluster: closing the old leader failed"));
    }
  };

  const writeSnapshots = (leader: BrokerService, gen: number) => {
    const round = async () => {
      if (gen !== generation) return;
      const put = (key: string, value: unknown) => store.putSnapshot(key, snapshotValue(value));
      await put(SNAPSHOT_KEYS.status, leader.status());
      const accounts = await leader.accounts().catch(() => undefined);
      if (!accounts) return;
      await put(SNAPSHOT_KEYS.accounts, accounts);
      const all = await leader.positions(null).catch(() => undefined);
      if (all) await put(SNAPSHOT_KEYS.positions(null), all);
      for (const a of accounts) {
        const positions = await leader.positions(a.id).catch(() => undefined);
        if (positions) await put(SNAPSHOT_KEYS.positions(a.id), positions);
        const summary = await leader.accountSummary(a.id).catch(() => undefined);
        if (summary) await put(SNAPSHOT_KEYS.summary(a.id), summary);
      }
    };
    const loop = () => {
      void round()
        .catch((err: unknown) => {
          if (!isFenced(err)) logger.warn({ err }, "cluster: writing the leader's reads for standbys failed");
        })
        .finally(() => {
          if (gen !== generation || stopped) return;
          snapshots = setTimeout(loop, snapshotEveryMs);
          snapshots.unref();
        });
    };
    loop();
  };

  const refreshStandby = () => {
    void standby
      .refreshStatus()
      .catch(() => undefined)
      .finally(() => {
        if (stopped) return;
        standbyRefresh = setTimeout(refreshStandby, snapshotEveryMs);
        standbyRefresh.unref();
      });
  };

  return {
    broker,
    status,
    forwardMutations: createMutationForwarder({
      cluster: status,
      isLeading: () => broker.leading !== undefined,
      // Longer than a failover: a forward to a leader that hangs is answered once a standby took over.
      timeoutMs: Math.max(5_000, options.leaseSeconds * 1500 + 5_000),
      logger,
      onForward: (outcome) => forwards?.inc({ outcome }),
    }),
    async start() {
      await standby.start();
      await standby.refreshStatus().catch(() => undefined);
      refreshStandby();
      const e = createLeaderElector({
        databaseUrl: options.databaseUrl,
        instanceId: options.instanceId,
        advertiseUrl:
          typeof options.advertiseUrl === "function" ? options.advertiseUrl() : options.advertiseUrl,
        leaseSeconds: options.leaseSeconds,
        checkIntervalMs: options.checkIntervalMs,
        logger,
      });
      elector = e;
      fenceStoreWithElector(store, e);
      e.onChange((s, previous) => {
        showRole(s);
        if (s.leaderUrl !== previous.leaderUrl || s.leaderId !== previous.leaderId) broker.leaderChanged();
        if (s.role === previous.role) return;
        generation++;
        if (s.role === "LEADER") void promote(generation, s.epoch, performance.now());
        else demote(s.reason);
      });
      showRole(e.state());
      await e.start();
    },
    async stop() {
      stopped = true;
      clearTimeout(standbyRefresh);
      generation++;
      await elector?.stop();
      demote("stopped");
      await closing;
      await broker.close();
    },
  };
}
