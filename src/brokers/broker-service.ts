import type { Logger } from "pino";
import { JournaledLog, MemoryJournal, type Journal, type ResumeFrom } from "../events";
import { AppError, ErrorCode, isAppError, notFound } from "../errors";
import type { Account, AccountSummary } from "../schema/account.type";
import {
  AccountType,
  BrokerApi,
  ClientPortalState,
  TradingMode,
  TwsState,
  type OrderStatus,
} from "../schema/enums";
import type { ModifyOrderInput, PlaceOrderInput } from "../schema/order.input";
import type { Fill, Order, OrderEvent, OrderPreview, PlaceOrderPayload } from "../schema/order.type";
import type { Position } from "../schema/position.type";
import type { ClientPortalStatus, SessionEvent, SessionStatus, TwsStatus } from "../schema/session.type";
import type { ClusterStatus } from "../schema/cluster.type";
import { InstanceRole } from "../schema/enums";
import type {
  ApiBroker,
  BrokerEventSink,
  ClientPortalBroker,
  ComponentReadiness,
  TwsBroker,
} from "./api-broker";
import { ContractService } from "./contract-service";
import { MemoryIdempotencyStore, type IdempotencyStore } from "./idempotency";
import { OrderIdempotency } from "./order-idempotency";
import {
  createMarketDataService,
  type MarketDataOptions,
  type MarketDataService,
} from "./market-data/market-data-service";
import type { MarketDataFeed } from "./market-data/market-data.types";
import { bracketChildren, termsAfterModify, type OrderTerms } from "./order-terms";
import { OrderTracker, type OrderEventData, type OrderHistoryWriter } from "./order-tracker";
import { checkAccountId, checkOrderId, validateModifyOrder, validatePlaceOrder } from "./order-validation";
import { cancelAll } from "./cancel-all";
import { previewOrder } from "./order-preview";
import { routeOrder } from "./order-routing";
import { comboMultiplier, resolveCombo } from "./combo-orders";
import { marketPrice, route, routeExisting, sidesOf, type Sides } from "./routing";
import {
  accountAllowed,
  checkAllowed,
  checkComboLimits,
  checkLimits,
  checkLive,
  checkWritable,
  type TradingGuards,
} from "./trading-guards";

export type { TradingGuards } from "./trading-guards";

/** Who is calling, for the audit log line of every mutation. */
export interface Caller {
  client: string;
  /** False for read-only API tokens: every mutation answers FORBIDDEN. */
  canTrade: boolean;
  /**
   * The Authorization the caller presented, for a standby to relay its market-data subscriptions to the
   * leader as the caller's own (the leader checks it). Never logged: audit lines take `client` only.
   */
  credential?: string;
  /** The instance that relayed this subscription here (graphql-ws `relayedBy`): it is not relayed again. */
  relayedBy?: string;
}

/** What the journal keeps of orders and fills beyond this process (implemented over the store). */
export interface OrderHistory extends OrderHistoryWriter {
  /** Newest first. */
  listOrders(query: {
    accountId?: string | null;
    statuses?: readonly string[] | null;
    since?: Date | null;
    until?: Date | null;
  }): Promise<Order[]>;
  getOrder(id: string): Promise<Order | undefined>;
  /** Oldest first. */
  listFills(query: { accountId: string; since?: Date | null; until?: Date | null }): Promise<Fill[]>;
  /** What a previous run left that the tracker must know again: recent orders and their execution ids. */
  load(): Promise<{ orders: Order[]; executions: { executionId: string; orderId: string }[] }>;
}

export interface BrokerServiceOptions {
  /** The server runs on its own simulators. */
  simulated: boolean;
  guards: TradingGuards;
  orderEventBuffer: number;
  idempotency?: IdempotencyStore;
  /**
   * Where events are journaled before delivery (the store). Without it: an in-memory journal of
   * `orderEventBuffer` events, which a restart forgets.
   */
  journal?: Journal;
  /** Orders and fills kept across restarts (the store). */
  history?: OrderHistory;
  logger: Logger;
  /** Called for every emitted event (metrics). */
  hooks?: {
    onOrderEvent?: (e: OrderEventData) => void;
    onSessionEvent?: (e: SessionEvent) => void;
  };
  clientPortal?: (sink: BrokerEventSink) => ClientPortalBroker;
  tws?: (sink: BrokerEventSink) => TwsBroker;
  /** Line limit, linger, history pacing (MARKET_DATA_LINES). */
  marketData?: MarketDataOptions;
  /** This instance's place in a shared deployment, for `status().cluster`. @default SINGLE */
  cluster?: () => ClusterStatus;
}

export interface Readiness {
  ready: boolean;
  components: Record<string, ComponentReadiness & { enabled: boolean }>;
}

export interface BrokerService {
  /** Quotes, bars, and the position and account streams (src/brokers/market-data). */
  readonly marketData: MarketDataService;
  status(): SessionStatus;
  readiness(): Readiness;
  accounts(): Promise<Account[]>;
  account(id: string): Promise<Account | null>;
  accountSummary(id: string): Promise<AccountSummary | null>;
  positions(accountId?: string | null): Promise<Position[]>;
  orders(filter: OrdersFilter): Promise<Order[]>;
  executions(filter: {
    accountId?: string | null;
    since?: Date | null;
    until?: Date | null;
  }): Promise<Fill[]>;
  order(id: string): Promise<Order | null>;
  /** Contract resolution and option chains (contract-service.ts). */
  contracts(): ContractService;
  placeOrder(input: PlaceOrderInput, caller: Caller): Promise<PlaceOrderPayload>;
  /** IB's what-if through the API placeOrder would use; nothing placed, the clientOrderId stays free. */
  previewOrder(input: PlaceOrderInput, caller: Caller): Promise<OrderPreview>;
  /** Cancels every working order of the account through the API that owns it. */
  cancelAllOrders(accountId: string, confirm: boolean, caller: Caller): Promise<Order[]>;
  orderByClientOrderId(clientOrderId: string): Promise<Order | null>;
  /** A bracket parent's children, as tracked. */
  childrenOf(order: Order): Order[];
  modifyOrder(id: string, input: ModifyOrderInput, caller: Caller): Promise<Order>;
  cancelOrder(id: string, caller: Caller): Promise<Order>;
  confirmOrder(replyId: string, confirmed: boolean, caller: Caller): Promise<PlaceOrderPayload>;
  reauthenticate(caller: Caller): Promise<SessionStatus>;
  orderUpdates(
    filter: { accountId?: string | null } & ResumeFrom,
  ): Promise<AsyncIterableIterator<OrderEvent>> | AsyncIterableIterator<OrderEvent>;
  /** Live, or from a cursor: the journal's session events after it first (CURSOR_INVALID as for orders). */
  sessionEvents(
    from?: Pick<ResumeFrom, "after">,
  ): Promise<AsyncIterableIterator<SessionEvent>> | AsyncIterableIterator<SessionEvent>;
  /** Live subscriber counts, for metrics. */
  subscriberCounts(): { orderUpdates: number; sessionEvents: number };
  start(): Promise<void>;
  close(): Promise<void>;
}

/** How long the order tracker remembers finished orders (its default retention). */
const TRACKER_MEMORY_MS = 7 * 24 * 3600_000;

export interface OrdersFilter {
  accountId?: string | null;
  status?: OrderStatus[] | null;
  /** Inclusive bounds on `updatedAt`. */
  since?: Date | null;
  until?: Date | null;
}

const DISABLED_CP: ClientPortalStatus = {
  enabled: false,
  state: ClientPortalState.DISABLED,
  authenticated: false,
  connected: false,
  competing: false,
  lastTickleAt: null,
  message: null,
  loginUrl: null,
  readOnly: false,
};
const DISABLED_TWS: TwsStatus = { enabled: false, state: TwsState.DISABLED };
const SINGLE_CLUSTER: ClusterStatus = {
  instanceId: "single",
  role: InstanceRole.SINGLE,
  leaderId: null,
  leaderUrl: null,
  epoch: null,
};

export function createBrokerService(options: BrokerServiceOptions): BrokerService {
  return new UnifiedBrokerService(options);
}

/**
 * The one broker-facing interface resolvers use: a facade over what is common to both APIs. It runs each
 * mutation's steps in order (validation, trading guards, routing, idempotency; each in its own module) with
 * the audit line, and owns the merged view of both APIs and the sequenced event streams.
 */
class UnifiedBrokerService implements BrokerService {
  private readonly tracker: OrderTracker;
  private readonly orderLog: JournaledLog<OrderEvent>;
  private readonly sessionLog: JournaledLog<SessionEvent>;
  private readonly cp?: ClientPortalBroker;
  private readonly tws?: TwsBroker;
  private readonly store: IdempotencyStore;
  private readonly idempotency: OrderIdempotency;
  private readonly log: Logger;
  readonly marketData: MarketDataService;

  constructor(private readonly options: BrokerServiceOptions) {
    this.log = options.logger;
    const journal = options.journal ?? new MemoryJournal(options.orderEventBuffer);
    const onAppendError = (stream: string) => (err: unknown) =>
      this.log.error({ err, stream }, "journal append failed: the event is not delivered");
    this.orderLog = new JournaledLog({ journal, stream: "order", onAppendError: onAppendError("order") });
    this.sessionLog = new JournaledLog({
      journal,
      stream: "session",
      onAppendError: onAppendError("session"),
    });
    this.tracker = new OrderTracker({
      bufferSize: options.orderEventBuffer,
      onEvent: options.hooks?.onOrderEvent,
      placedVia: (o) => (o.clientOrderId ? this.idempotency.placedVia(o.clientOrderId) : undefined),
      publish: (e) => void this.orderLog.append(e).catch(() => undefined),
      history: options.history,
    });
    this.store = options.idempotency ?? new MemoryIdempotencyStore();
    this.idempotency = new OrderIdempotency({
      store: this.store,
      tracker: this.tracker,
      logger: this.log,
      side: (api) => (api === BrokerApi.TWS ? this.tws : this.cp),
      clientPortal: () => this.cp,
      findOrder: (id) => this.order(id),
    });
    const sink: BrokerEventSink = {
      knownOrder: (id, clientOrderId) =>
        this.tracker.get(id) !== undefined ||
        (clientOrderId !== null && this.store.get(clientOrderId) !== undefined),
      order: (obs) => {
        if (!this.accountAllowed(obs.order.accountId)) return;
        this.tracker.observe(obs);
      },
      session: (api, type, message) => {
        const data = { api, type, message: message ?? null, at: new Date(), status: this.status() };
        this.log.info({ api, event: type, message }, "session transition");
        void this.sessionLog.append(data).then(
          (event) => options.hooks?.onSessionEvent?.(event),
          () => undefined,
        );
      },
    };
    this.cp = options.clientPortal?.(sink);
    this.tws = options.tws?.(sink);
    this.marketData = createMarketDataService(
      {
        feeds: () => this.sides().flatMap((b): MarketDataFeed[] => (b.marketData ? [b.marketData] : [])),
        assertAnyReady: () => void route(this.sidesMap(), null),
        resolveContract: (input) => route(this.sidesMap(), null).resolveContract(input),
        readPositions: (accountId) => this.positions(accountId),
        readSummary: async (accountId) => {
          const s = await this.accountSummary(accountId);
          const side = s && this.sides().find((b) => b.api === s.source);
          const pnl = side?.accountPnl ? await side.accountPnl(accountId).catch(() => ({})) : {};
          return s && { ...s, ...pnl };
        },
        accountIds: async () => (await this.accounts()).map((a) => a.id),
        orderEvents: () => this.tracker.log.subscribe(() => true),
        accountChanges: (listener) => {
          const offs = this.sides().map((b) => b.onAccountChange?.(listener));
          return () => offs.forEach((off) => off?.());
        },
        logger: this.log,
      },
      options.marketData,
    );
  }

  async start(): Promise<void> {
    this.idempotency.reportCorrupt();
    if (this.options.history) {
      // Before the adapters connect: their first reports are then compared with the journaled state, so
      // only what changed while the server was down becomes an event.
      const { orders, executions } = await this.options.history.load();
      this.tracker.restore(
        orders.filter((o) => this.accountAllowed(o.accountId)),
        executions,
      );
      if (orders.length > 0) this.log.info({ orders: orders.length }, "orders restored from the journal");
    }
    await Promise.all([this.cp?.start(), this.tws?.start()]);
    // Knowing the accounts from the start is what lets a live login put the server in LIVE mode at once.
    await this.accounts().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.marketData.close();
    this.orderLog.closeAll();
    this.sessionLog.closeAll();
    await Promise.allSettled([this.cp?.close(), this.tws?.close()]);
    // Events already handed to the journal are committed before the store is closed under them.
    await Promise.all([this.orderLog.flushed(), this.sessionLog.flushed()]);
    await this.store.close();
  }

  status(): SessionStatus {
    const clientPortal = this.cp?.status() ?? DISABLED_CP;
    const tws = this.tws?.status() ?? DISABLED_TWS;
    const ready = this.readiness().ready;
    const cluster = this.options.cluster?.() ?? SINGLE_CLUSTER;
    return { mode: this.mode(), ready, clientPortal, tws, cluster };
  }

  readiness(): Readiness {
    const components: Readiness["components"] = {};
    const sides: [string, ApiBroker | undefined][] = [
      ["clientPortal", this.cp],
      ["tws", this.tws],
    ];
    for (const [name, side] of sides) {
      components[name] = side
        ? { enabled: true, ...side.readiness() }
        : { enabled: false, ready: true, state: "DISABLED" };
    }
    const enabled = Object.values(components).filter((c) => c.enabled);
    return { ready: enabled.length > 0 && enabled.every((c) => c.ready), components };
  }

  private mode(): TradingMode {
    if (this.options.simulated) return TradingMode.SIMULATED;
    if (this.options.guards.liveTwsPort || this.knownAccounts.some((a) => a.type === AccountType.LIVE)) {
      return TradingMode.LIVE;
    }
    return TradingMode.PAPER;
  }

  private knownAccounts: Account[] = [];

  // ---- reads ----

  async accounts(): Promise<Account[]> {
    const lists = await this.fromEach((b) => b.listAccounts());
    const byId = new Map<string, Account>();
    for (const list of lists) {
      for (const a of list) {
        if (!this.accountAllowed(a.id)) continue;
        const prev = byId.get(a.id);
        byId.set(a.id, prev ? { ...prev, sources: [...new Set([...prev.sources, ...a.sources])] } : a);
      }
    }
    this.knownAccounts = [...byId.values()];
    return this.knownAccounts;
  }

  async account(id: string): Promise<Account | null> {
    const accountId = checkAccountId(id);
    return (await this.accounts()).find((a) => a.id === accountId) ?? null;
  }

  async accountSummary(id: string): Promise<AccountSummary | null> {
    this.checkAllowed(id);
    return this.readFromPreferred((b) => b.getAccountSummary(id));
  }

  async positions(accountId?: string | null): Promise<Position[]> {
    if (accountId != null) this.checkAllowed(checkAccountId(accountId));
    const list = await this.readFromPreferred((b) => b.listPositions(accountId ?? undefined));
    return list.filter((p) => this.accountAllowed(p.accountId));
  }

  async orders(filter: OrdersFilter): Promise<Order[]> {
    if (filter.accountId != null) this.checkAllowed(checkAccountId(filter.accountId));
    const lists = await this.fromEach((b) => b.listOrders());
    for (const list of lists)
      for (const o of list) if (this.accountAllowed(o.accountId)) this.tracker.observe({ order: o });
    const byId = new Map(this.tracker.all().map((o) => [o.id, o]));
    // The tracker holds working orders and the last week's finished ones, journaled before a restart
    // included. Older finished orders are read from the journal only when `since` reaches back to them, so
    // a plain `orders` does not parse a month of history each time. The tracker's copy wins.
    const history = this.options.history;
    const reachesBack = filter.since != null && filter.since.getTime() < Date.now() - TRACKER_MEMORY_MS;
    const stored =
      history && reachesBack
        ? await history.listOrders({
            accountId: filter.accountId,
            statuses: filter.status,
            since: filter.since,
            until: filter.until,
          })
        : [];
    for (const o of stored) if (!byId.has(o.id)) byId.set(o.id, o);
    const since = filter.since?.getTime() ?? -Infinity;
    const until = filter.until?.getTime() ?? Infinity;
    return [...byId.values()]
      .filter((o) => this.accountAllowed(o.accountId))
      .filter((o) => filter.accountId == null || o.accountId === filter.accountId)
      .filter((o) => !filter.status?.length || filter.status.includes(o.status))
      .filter((o) => o.updatedAt.getTime() >= since && o.updatedAt.getTime() <= until)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  async executions(filter: {
    accountId?: string | null;
    since?: Date | null;
    until?: Date | null;
  }): Promise<Fill[]> {
    if (filter.accountId != null) this.checkAllowed(checkAccountId(filter.accountId));
    const history = this.options.history;
    if (!history) return [];
    let accounts: string[];
    if (filter.accountId != null) accounts = [filter.accountId];
    else {
      const known = new Set(this.knownAccounts.map((a) => a.id));
      for (const o of this.tracker.all()) known.add(o.accountId);
      accounts = [...known].filter((a) => this.accountAllowed(a));
    }
    const lists = await Promise.all(
      accounts.map((accountId) => history.listFills({ accountId, since: filter.since, until: filter.until })),
    );
    // Stored once per execution id already; the map keeps that true across accounts too.
    const byId = new Map<string, Fill>();
    for (const f of lists.flat()) if (!byId.has(f.executionId)) byId.set(f.executionId, f);
    return [...byId.values()].sort((a, b) => a.at.getTime() - b.at.getTime());
  }

  async order(id: string): Promise<Order | null> {
    const orderId = checkOrderId(id);
    const known = this.tracker.get(orderId);
    if (known) return known;
    const live = (await this.orders({})).find((o) => o.id === orderId);
    if (live) return live;
    const stored = await this.options.history?.getOrder(orderId);
    return stored && this.accountAllowed(stored.accountId) ? stored : null;
  }

  contracts(): ContractService {
    this.contractService ??= new ContractService(() => this.sidesMap());
    return this.contractService;
  }

  private contractService?: ContractService;

  // ---- mutations ----

  async placeOrder(input: PlaceOrderInput, caller: Caller): Promise<PlaceOrderPayload> {
    const audit = {
      op: "placeOrder",
      client: caller.client,
      accountId: input.accountId,
      clientOrderId: input.clientOrderId,
    };
    try {
      this.checkWritable(caller);
      const validated = validatePlaceOrder(input);
      checkAllowed(this.options.guards, validated.accountId);
      checkLive(this.options.guards, validated.accountId, this.mode());
      await this.checkKnownAccount(validated.accountId);
      const api = routeOrder(this.sidesMap(), input.via ?? null, validated);
      // A combo's legs resolve through the order's API before anything is placed (combo-orders.ts).
      const request = await resolveCombo(api, validated);
      const result = await this.idempotency.place(api, request, async (contract) => {
        if (request.combo)
          return checkComboLimits(this.options.guards, request, comboMultiplier(request.combo.legs));
        await this.checkLimits(api, request, contract.conid);
        // A bracket's exits are orders of their own: each one is held to the same limits.
        for (const child of bracketChildren(request))
          await this.checkLimits(api, child.request, contract.conid);
      });
      this.log.info(
        {
          ...audit,
          mode: this.mode(),
          api: api.api,
          orderId: result.order?.id,
          replyId: result.confirmation?.replyId,
        },
        "order accepted",
      );
      return result;
    } catch (e) {
      this.auditRefusal(audit, e);
      throw e;
    }
  }

  previewOrder(input: PlaceOrderInput, caller: Caller): Promise<OrderPreview> {
    // The same steps as placeOrder except the write checks: a preview sends no order (read tokens may ask).
    return previewOrder(input, caller, {
      guards: this.options.guards,
      mode: () => this.mode(),
      sides: () => this.sidesMap(),
      checkKnownAccount: (id) => this.checkKnownAccount(id),
      checkLimits: (api, terms, conid) => this.checkLimits(api, terms, conid),
      log: this.log,
      auditRefusal: (audit, e) => this.auditRefusal(audit, e),
    });
  }

  cancelAllOrders(accountId: string, confirm: boolean, caller: Caller): Promise<Order[]> {
    return cancelAll(accountId, confirm, caller, {
      guards: this.options.guards,
      mode: () => this.mode(),
      sides: () => this.sidesMap(),
      orders: (id) => this.orders({ accountId: id }),
      checkWritable: (c) => this.checkWritable(c),
      observe: (o) => {
        this.tracker.observe({ order: o });
        return this.tracker.get(o.id) ?? o;
      },
      log: this.log,
      auditRefusal: (audit, e) => this.auditRefusal(audit, e),
    });
  }

  async orderByClientOrderId(clientOrderId: string): Promise<Order | null> {
    const key = clientOrderId?.trim() ?? "";
    const find = () =>
      this.tracker
        .all()
        .filter((o) => o.clientOrderId === key && this.accountAllowed(o.accountId))
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0] ?? null;
    const known = find();
    if (known) return known;
    await this.orders({});
    return find();
  }

  childrenOf(order: Order): Order[] {
    return this.tracker
      .all()
      .filter((o) => o.parentId != null && o.parentId === order.id)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  async confirmOrder(replyId: string, confirmed: boolean, caller: Caller): Promise<PlaceOrderPayload> {
    const audit = { op: "confirmOrder", client: caller.client, replyId, confirmed };
    try {
      this.checkWritable(caller);
      const result = await this.idempotency.confirm(this.requireCp(), replyId, confirmed);
      this.log.info({ ...audit, orderId: result.order?.id }, "order confirmation answered");
      return result;
    } catch (e) {
      this.auditRefusal(audit, e);
      throw e;
    }
  }

  modifyOrder(id: string, input: ModifyOrderInput, caller: Caller): Promise<Order> {
    return this.changeOrder("modifyOrder", id, caller, "order modified", async (order) => {
      checkLive(this.options.guards, order.accountId, this.mode());
      const changes = validateModifyOrder(order.type, input, order.legs != null);
      const api = routeExisting(this.sidesMap(), order);
      // The per-order limits hold for the order as it will be, not only as it was placed.
      if (order.legs)
        checkComboLimits(this.options.guards, termsAfterModify(order, changes), comboMultiplier(order.legs));
      else await this.checkLimits(api, termsAfterModify(order, changes), order.contract.conid);
      return { api, updated: await api.modifyOrder(order, changes) };
    });
  }

  /** Cancelling is allowed on live accounts without ALLOW_LIVE_TRADING: it only lowers risk. */
  cancelOrder(id: string, caller: Caller): Promise<Order> {
    return this.changeOrder("cancelOrder", id, caller, "order cancel requested", async (order) => {
      const api = routeExisting(this.sidesMap(), order);
      return { api, updated: await api.cancelOrder(order) };
    });
  }

  /** What modify and cancel share: the guards, the audit line (accepted or refused), and tracking. */
  private async changeOrder(
    op: "modifyOrder" | "cancelOrder",
    id: string,
    caller: Caller,
    accepted: string,
    change: (order: Order) => Promise<{ api: ApiBroker; updated: Order }>,
  ): Promise<Order> {
    const audit = { op, client: caller.client, orderId: id, accountId: this.accountOfKnown(id) };
    try {
      this.checkWritable(caller);
      const order = await this.requireOrder(id);
      audit.accountId = order.accountId;
      checkAllowed(this.options.guards, order.accountId);
      const { api, updated } = await change(order);
      this.tracker.observe({ order: updated });
      this.log.info({ ...audit, mode: this.mode(), api: api.api }, accepted);
      return this.tracker.get(updated.id) ?? updated;
    } catch (e) {
      this.auditRefusal(audit, e);
      throw e;
    }
  }

  async reauthenticate(caller: Caller): Promise<SessionStatus> {
    if (!caller.canTrade) {
      throw new AppError(
        ErrorCode.FORBIDDEN,
        "This API token may read but not manage the session; use API_TOKEN.",
      );
    }
    if (this.options.guards.readOnly) {
      // Taking the brokerage session over ends the user's other login (TWS, the website): not read-only.
      throw new AppError(
        ErrorCode.READ_ONLY,
        "This server is read-only (READ_ONLY=true): mutations are disabled, reauthenticate included. An " +
          "expired session heals on its own; end a competing login where it was opened.",
      );
    }
    this.log.info({ op: "reauthenticate", client: caller.client }, "reauthenticate requested");
    await this.requireCp().reauthenticate();
    return this.status();
  }

  orderUpdates(filter: { accountId?: string | null } & ResumeFrom) {
    const accountId = filter.accountId != null ? checkAccountId(filter.accountId) : null;
    if (accountId != null) this.checkAllowed(accountId);
    return this.orderLog.subscribe((e) => accountId == null || e.order.accountId === accountId, {
      after: filter.after,
      afterSequence: filter.afterSequence,
    });
  }

  sessionEvents(from: Pick<ResumeFrom, "after"> = {}) {
    return this.sessionLog.subscribe(() => true, { after: from.after });
  }

  subscriberCounts() {
    return { orderUpdates: this.orderLog.subscriberCount, sessionEvents: this.sessionLog.subscriberCount };
  }

  // ---- helpers ----

  private sidesMap(): Sides {
    return { tws: this.tws, cp: this.cp };
  }

  /** Configured sides, TWS first: the preferred one for trading and positions. */
  private sides(): ApiBroker[] {
    return sidesOf(this.sidesMap());
  }

  private async requireOrder(id: string): Promise<Order> {
    const order = await this.order(id);
    if (!order) throw notFound(`No order with id "${id}". Use \`orders\` to list them.`, { id });
    return order;
  }

  private requireCp(): ClientPortalBroker {
    if (!this.cp)
      throw new AppError(ErrorCode.BROKER_UNAVAILABLE, "Client Portal is not configured: set IB_CP_URL.", {
        api: BrokerApi.CLIENT_PORTAL,
        state: "DISABLED",
      });
    return this.cp;
  }

  /** Each ready side's answer; a side that fails is skipped as long as another answered. */
  private async fromEach<T>(fn: (b: ApiBroker) => Promise<T>): Promise<T[]> {
    const all = this.sides();
    if (all.length === 0) return [];
    let sides = all.filter((b) => b.isReady());
    if (sides.length === 0) {
      // Nothing usable: say why (SESSION_NOT_READY / BROKER_UNAVAILABLE with the state), not an empty list.
      all[0]!.assertReady();
      sides = [all[0]!];
    }
    const settled = await Promise.allSettled(sides.map(fn));
    const ok = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (ok.length === 0 && failed) throw failed.reason;
    return ok;
  }

  /** TWS while it is ready, Client Portal otherwise. */
  private async readFromPreferred<T>(fn: (b: ApiBroker) => Promise<T>): Promise<T> {
    const empty = [] as unknown as T;
    if (this.tws?.isReady()) return fn(this.tws);
    if (this.cp?.isReady()) return fn(this.cp);
    const any = this.tws ?? this.cp;
    if (!any) return empty;
    any.assertReady();
    return fn(any);
  }

  /**
   * An account no API lists is refused before anything is sent: TWS checks its managed accounts itself, but
   * Client Portal would post the order to the gateway, which rejects it. Skipped when no API can list
   * accounts right now (routing then answers with the state).
   */
  private async checkKnownAccount(id: string): Promise<void> {
    if (this.knownAccounts.some((a) => a.id === id)) return;
    const accounts = await this.accounts().catch(() => null);
    if (!accounts || accounts.length === 0 || accounts.some((a) => a.id === id)) return;
    throw notFound(
      `Account ${id} is not an account of this IB login (${accounts.map((a) => a.id).join(", ")}); use \`accounts\` to list them.`,
      { field: "accountId", accountId: id },
    );
  }

  /** The account of an order already tracked, for the audit line of a refusal (no upstream read). */
  private accountOfKnown(id: string): string | undefined {
    return this.tracker.get(id)?.accountId;
  }

  private accountAllowed(id: string): boolean {
    return accountAllowed(this.options.guards, id);
  }

  private checkAllowed(id: string): void {
    checkAllowed(this.options.guards, id);
  }

  private checkWritable(caller: Caller): void {
    checkWritable(this.options.guards, caller.canTrade, this.cp?.status().readOnly ?? false);
  }

  /** The per-order limits, with the market price asked of the order's API first. */
  private checkLimits(api: ApiBroker, terms: OrderTerms, conid: number): Promise<void> {
    return checkLimits(this.options.guards, terms, () => marketPrice(this.sidesMap(), api, conid), conid);
  }

  private auditRefusal(audit: Record<string, unknown>, e: unknown): void {
    const code = isAppError(e) ? e.code : ErrorCode.INTERNAL_SERVER_ERROR;
    this.log.warn(
      { ...audit, mode: this.mode(), code, reason: e instanceof Error ? e.message : String(e) },
      "mutation refused",
    );
  }
}
