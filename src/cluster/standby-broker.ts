import type { BrokerService, Caller, OrderHistory, OrdersFilter, Readiness, TradingGuards } from "../brokers";
import type { ContractService } from "../brokers/contract-service";
import type { MarketDataService } from "../brokers/market-data/market-data-service";
import { checkAccountId, checkOrderId } from "../brokers/order-validation";
import { accountAllowed, checkAllowed } from "../brokers/trading-guards";
import { fromPayload, JournaledLog, type Journal, type ResumeFrom } from "../events";
import { AppError, ErrorCode } from "../errors";
import type { Account, AccountSummary } from "../schema/account.type";
import type { ClusterStatus } from "../schema/cluster.type";
import { ClientPortalState, TradingMode, TwsState } from "../schema/enums";
import type { Fill, Order, OrderEvent, OrderPreview, PlaceOrderPayload } from "../schema/order.type";
import type { Position } from "../schema/position.type";
import type { SessionEvent, SessionStatus } from "../schema/session.type";
import type { JsonValue, StoredSnapshot } from "../store/store";
import type { TailSource } from "./journal-tailer";
import { tailJournal, type JournalTailer } from "./journal-tailer";

/** Keys of the leader's last reads in the store (`putSnapshot`), shared by the writer and the readers. */
export const SNAPSHOT_KEYS = {
  accounts: "accounts",
  status: "status",
  positions: (accountId: string | null) => `positions:${accountId ?? "*"}`,
  summary: (accountId: string) => `summary:${accountId}`,
} as const;

/** What the standby needs of the shared store: the journal, its notifications, and the leader's reads. */
export interface StandbySource extends Journal, TailSource {
  getSnapshot?(key: string): Promise<StoredSnapshot | undefined>;
  /** A read that does not wait for this process's own queued writes (PgStore); `readAfter` otherwise. */
  readCommittedAfter?: TailSource["readAfter"];
}

export interface StandbyBrokerOptions {
  store: StandbySource;
  history: OrderHistory;
  guards: TradingGuards;
  cluster: () => ClusterStatus;
  logger?: { warn(obj: object, msg: string): void };
  /** Not ready when the store has not answered for this long (a partition from the database). @default 15_000 */
  storeStaleMs?: number;
}

/**
 * The broker service of an instance that does not lead: everything is read from the shared store, nothing
 * talks to IB. Orders and executions are what the leader journaled; accounts, positions and account
 * values are the leader's last reads (with their `asOf`). `orderUpdates` and `sessionEvents` follow the
 * journal (LISTEN/NOTIFY, then read by sequence), so a subscriber here gets the same events, sequences and
 * cursors as one on the leader, once each and in order.
 *
 * Mutations do not reach it over HTTP (the forwarder sends them to the leader); one that does (over a
 * WebSocket, or before a new leader is ready) answers LEADER_UNAVAILABLE, retryable: nothing was sent.
 */
export class StandbyBroker implements BrokerService {
  private readonly orderLog: JournaledLog<OrderEvent>;
  private readonly sessionLog: JournaledLog<SessionEvent>;
  private readonly tailers: JournalTailer[] = [];
  /** Orders as the journal last showed them, for `childrenOf` (synchronous). */
  private readonly known = new Map<string, Order>();
  readonly marketData: MarketDataService;

  constructor(private readonly options: StandbyBrokerOptions) {
    this.orderLog = new JournaledLog({ journal: options.store, stream: "order" });
    this.sessionLog = new JournaledLog({ journal: options.store, stream: "session" });
    this.marketData = leaderOnlyMarketData(() => this.notLeader("Market data"));
  }

  /** Starts following the journal from its current end: what comes after is delivered live. */
  async start(): Promise<void> {
    const store = this.options.store;
    const { last } = await store.bounds();
    const source: TailSource = {
      onAppended: (listener) => store.onAppended(listener),
      readAfter: (stream, after, limit) =>
        store.readCommittedAfter
          ? store.readCommittedAfter(stream, after, limit)
          : store.readAfter(stream, after, limit),
    };
    for (const [stream, log] of [
      ["order", this.orderLog],
      ["session", this.sessionLog],
    ] as const) {
      this.tailers.push(
        tailJournal(source, {
          stream,
          afterSequence: last,
          onEvents: (events) => {
            if (stream === "order") {
              for (const e of events) {
                const order = (fromPayload(e.payload) as { order?: Order }).order;
                if (order?.id) this.known.set(order.id, order);
              }
            }
            (log as JournaledLog<OrderEvent | SessionEvent>).publishStored(events);
          },
          onError: (err) => this.options.logger?.warn({ err, stream }, "cluster: reading the journal failed"),
        }),
      );
    }
  }

  async close(): Promise<void> {
    for (const t of this.tailers.splice(0)) t.stop();
    this.orderLog.closeAll();
    this.sessionLog.closeAll();
    this.marketData.close();
  }

  status(): SessionStatus {
    const last = this.lastStatus;
    return {
      mode: last?.mode ?? TradingMode.PAPER,
      ready: last?.ready ?? false,
      clientPortal: last?.clientPortal ?? {
        enabled: false,
        state: ClientPortalState.DISABLED,
        authenticated: false,
        connected: false,
        competing: false,
        readOnly: false,
      },
      tws: last?.tws ?? { enabled: false, state: TwsState.DISABLED },
      cluster: this.options.cluster(),
    };
  }

  /** The leader's status as it last wrote it; refreshed in the background by `refreshStatus`. */
  private lastStatus: SessionStatus | undefined;

  /** performance.now() of the last read of the store that succeeded (`refreshStatus`). */
  private storeAnsweredAt: number | undefined;

  /** Re-reads the leader's status; run every few seconds, it is also what tells that the store answers. */
  async refreshStatus(): Promise<void> {
    const s = await this.snapshot<SessionStatus>(SNAPSHOT_KEYS.status);
    this.storeAnsweredAt = performance.now();
    if (s) this.lastStatus = s.value;
  }

  /** "Can serve, leader known": the store answered lately and some other instance leads. */
  readiness(): Readiness {
    const c = this.options.cluster();
    const leaderKnown = c.leaderId != null && c.leaderId !== c.instanceId;
    const storeOk =
      this.storeAnsweredAt !== undefined &&
      performance.now() - this.storeAnsweredAt < (this.options.storeStaleMs ?? 15_000);
    const ready = leaderKnown && storeOk;
    return {
      ready,
      components: {
        cluster: {
          enabled: true,
          ready,
          state: c.role,
          detail: !storeOk
            ? "the shared store does not answer"
            : leaderKnown
              ? `leader ${c.leaderId} at ${c.leaderUrl}`
              : "no leader known",
        },
      },
    };
  }

  // ---- reads, from the store ----

  async accounts(): Promise<Account[]> {
    const s = await this.snapshot<Account[]>(SNAPSHOT_KEYS.accounts);
    return (s?.value ?? []).filter((a) => accountAllowed(this.options.guards, a.id));
  }

  async account(id: string): Promise<Account | null> {
    const accountId = checkAccountId(id);
    return (await this.accounts()).find((a) => a.id === accountId) ?? null;
  }

  async accountSummary(id: string): Promise<AccountSummary | null> {
    checkAllowed(this.options.guards, id);
    return (await this.snapshot<AccountSummary>(SNAPSHOT_KEYS.summary(id)))?.value ?? null;
  }

  async positions(accountId?: string | null): Promise<Position[]> {
    if (accountId != null) checkAllowed(this.options.guards, checkAccountId(accountId));
    const s = await this.snapshot<Position[]>(SNAPSHOT_KEYS.positions(accountId ?? null));
    return (s?.value ?? []).filter((p) => accountAllowed(this.options.guards, p.accountId));
  }

  async orders(filter: OrdersFilter): Promise<Order[]> {
    if (filter.accountId != null) checkAllowed(this.options.guards, checkAccountId(filter.accountId));
    const list = await this.options.history.listOrders({
      accountId: filter.accountId,
      statuses: filter.status,
      since: filter.since,
      until: filter.until,
    });
    return list
      .filter((o) => accountAllowed(this.options.guards, o.accountId))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  async executions(filter: { accountId?: string | null; since?: Date | null; until?: Date | null }) {
    if (filter.accountId != null) checkAllowed(this.options.guards, checkAccountId(filter.accountId));
    const accounts =
      filter.accountId != null
        ? [filter.accountId]
        : [...new Set((await this.orders({})).map((o) => o.accountId))];
    const lists = await Promise.all(
      accounts.map((accountId) =>
        this.options.history.listFills({ accountId, since: filter.since, until: filter.until }),
      ),
    );
    const byId = new Map<string, Fill>();
    for (const f of lists.flat()) if (!byId.has(f.executionId)) byId.set(f.executionId, f);
    return [...byId.values()].sort((a, b) => a.at.getTime() - b.at.getTime());
  }

  async order(id: string): Promise<Order | null> {
    const stored = await this.options.history.getOrder(checkOrderId(id));
    return stored && accountAllowed(this.options.guards, stored.accountId) ? stored : null;
  }

  async orderByClientOrderId(clientOrderId: string): Promise<Order | null> {
    const key = clientOrderId?.trim() ?? "";
    const found = (await this.orders({})).filter((o) => o.clientOrderId === key);
    return found.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0] ?? null;
  }

  childrenOf(order: Order): Order[] {
    return [...this.known.values()]
      .filter((o) => o.parentId != null && o.parentId === order.id)
      .sort((a, b) => new Date(a.createdAt).getTime() - new Date(b.createdAt).getTime());
  }

  contracts(): ContractService {
    throw this.notLeader("Contract lookups");
  }

  // ---- mutations: the leader's ----

  placeOrder(_input: unknown, _caller: Caller): Promise<PlaceOrderPayload> {
    return Promise.reject(this.notLeader("placeOrder"));
  }
  previewOrder(_input: unknown, _caller: Caller): Promise<OrderPreview> {
    return Promise.reject(this.notLeader("previewOrder"));
  }
  cancelAllOrders(_accountId: string, _confirm: boolean, _caller: Caller): Promise<Order[]> {
    return Promise.reject(this.notLeader("cancelAllOrders"));
  }
  modifyOrder(_id: string, _input: unknown, _caller: Caller): Promise<Order> {
    return Promise.reject(this.notLeader("modifyOrder"));
  }
  cancelOrder(_id: string, _caller: Caller): Promise<Order> {
    return Promise.reject(this.notLeader("cancelOrder"));
  }
  confirmOrder(_replyId: string, _confirmed: boolean, _caller: Caller): Promise<PlaceOrderPayload> {
    return Promise.reject(this.notLeader("confirmOrder"));
  }
  reauthenticate(_caller: Caller): Promise<SessionStatus> {
    return Promise.reject(this.notLeader("reauthenticate"));
  }

  // ---- streams, from the journal ----

  orderUpdates(filter: { accountId?: string | null } & ResumeFrom) {
    const accountId = filter.accountId != null ? checkAccountId(filter.accountId) : null;
    if (accountId != null) checkAllowed(this.options.guards, accountId);
    return this.orderLog.subscribe(
      (e) =>
        accountAllowed(this.options.guards, e.order.accountId) &&
        (accountId == null || e.order.accountId === accountId),
      { after: filter.after, afterSequence: filter.afterSequence },
    );
  }

  sessionEvents() {
    return this.sessionLog.subscribe();
  }

  subscriberCounts() {
    return { orderUpdates: this.orderLog.subscriberCount, sessionEvents: this.sessionLog.subscriberCount };
  }

  private async snapshot<T>(key: string): Promise<{ at: number; value: T } | undefined> {
    const s = await this.options.store.getSnapshot?.(key);
    return s && { at: s.at, value: fromPayload(s.value) as T };
  }

  notLeader(what: string): AppError {
    const c = this.options.cluster();
    return new AppError(
      ErrorCode.LEADER_UNAVAILABLE,
      c.leaderUrl && c.leaderId !== c.instanceId
        ? `${what} is the leader's (${c.leaderId}); send it over HTTP, which forwards it, or to ${c.leaderUrl}.`
        : `${what} needs the leader, and no instance leads right now (a failover is under way). Nothing was ` +
            "sent; retry in a moment with the same clientOrderId.",
      { retryable: true, leaderId: c.leaderId ?? null, leaderUrl: c.leaderUrl ?? null },
    );
  }
}

/** Market data comes from IB through the leader's lines: a standby answers that it cannot serve it here. */
function leaderOnlyMarketData(refusal: () => Error): MarketDataService {
  const refuse = () => Promise.reject(refusal());
  const refuseStream = (): AsyncIterableIterator<never> => {
    const it: AsyncIterableIterator<never> = {
      next: () => Promise.reject(refusal()),
      return: () => Promise.resolve({ value: undefined, done: true }),
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  };
  return {
    quote: refuse,
    quotes: refuse,
    bars: refuse,
    quoteStream: refuse,
    positionStream: refuseStream,
    accountStream: refuseStream,
    lineCount: () => 0,
    close: () => undefined,
  };
}

/** What `putSnapshot` stores: the JSON of the leader's objects (Dates as ISO strings). */
export function snapshotValue(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value ?? null)) as JsonValue;
}
