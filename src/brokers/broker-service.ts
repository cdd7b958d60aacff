import { createHash } from "node:crypto";
import type { Logger } from "pino";
import { SequencedLog } from "../events";
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
import type { Order, OrderEvent, PlaceOrderPayload } from "../schema/order.type";
import type { Position } from "../schema/position.type";
import type { ClientPortalStatus, SessionEvent, SessionStatus, TwsStatus } from "../schema/session.type";
import type {
  ApiBroker,
  BrokerEventSink,
  ClientPortalBroker,
  ComponentReadiness,
  OrderRequest,
  PlaceOutcome,
  TwsBroker,
} from "./api-broker";
import {
  KeyedMutex,
  MemoryIdempotencyStore,
  type IdempotencyRecord,
  type IdempotencyStore,
} from "./idempotency";
import {
  createMarketDataService,
  type MarketDataOptions,
  type MarketDataService,
} from "./market-data/market-data-service";
import type { MarketDataFeed } from "./market-data/market-data.types";
import { accountTypeOf } from "./order-terms";
import { OrderTracker } from "./order-tracker";
import {
  checkAccountId,
  checkOrderId,
  requestAfterModify,
  validateModifyOrder,
  validatePlaceOrder,
} from "./order-validation";

/** Who is calling, for the audit log line of every mutation. */
export interface Caller {
  client: string;
  /** False for read-only API tokens: every mutation answers FORBIDDEN. */
  canTrade: boolean;
}

export interface TradingGuards {
  /** Every mutation answers READ_ONLY. */
  readOnly: boolean;
  /** Orders to live accounts are refused unless this is set. */
  allowLiveTrading: boolean;
  /** Only these accounts may be read or traded; empty = all the gateways show. */
  accounts: string[];
  maxOrderQuantity: number | null;
  maxOrderNotional: number | null;
  /** The TWS port is a live one (7496, 4001). */
  liveTwsPort: boolean;
}

export interface BrokerServiceOptions {
  /** The server runs on its own simulators. */
  simulated: boolean;
  guards: TradingGuards;
  orderEventBuffer: number;
  idempotency?: IdempotencyStore;
  logger: Logger;
  /** Called for every emitted event (metrics). */
  hooks?: {
    onOrderEvent?: (e: OrderEvent) => void;
    onSessionEvent?: (e: SessionEvent) => void;
  };
  clientPortal?: (sink: BrokerEventSink) => ClientPortalBroker;
  tws?: (sink: BrokerEventSink) => TwsBroker;
  /** Line limit, linger, history pacing (MARKET_DATA_LINES). */
  marketData?: MarketDataOptions;
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
  orders(filter: { accountId?: string | null; status?: OrderStatus[] | null }): Promise<Order[]>;
  order(id: string): Promise<Order | null>;
  placeOrder(input: PlaceOrderInput, caller: Caller): Promise<PlaceOrderPayload>;
  modifyOrder(id: string, input: ModifyOrderInput, caller: Caller): Promise<Order>;
  cancelOrder(id: string, caller: Caller): Promise<Order>;
  confirmOrder(replyId: string, confirmed: boolean, caller: Caller): Promise<PlaceOrderPayload>;
  reauthenticate(caller: Caller): Promise<SessionStatus>;
  orderUpdates(filter: {
    accountId?: string | null;
    afterSequence?: number | null;
  }): AsyncIterableIterator<OrderEvent>;
  sessionEvents(): AsyncIterableIterator<SessionEvent>;
  /** Live subscriber counts, for metrics. */
  subscriberCounts(): { orderUpdates: number; sessionEvents: number };
  start(): Promise<void>;
  close(): Promise<void>;
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

export function createBrokerService(options: BrokerServiceOptions): BrokerService {
  return new UnifiedBrokerService(options);
}

/**
 * The one broker-facing interface resolvers use. It owns what is common to both APIs: validation, trading
 * guards, idempotency, routing, the merged view, and the sequenced event streams.
 */
class UnifiedBrokerService implements BrokerService {
  private readonly tracker: OrderTracker;
  private readonly sessionLog = new SequencedLog<SessionEvent>({ bufferSize: 200 });
  private readonly cp?: ClientPortalBroker;
  private readonly tws?: TwsBroker;
  private readonly store: IdempotencyStore;
  private readonly mutex = new KeyedMutex();
  private readonly replyOwners = new Map<string, string>();
  private readonly log: Logger;
  readonly marketData: MarketDataService;

  constructor(private readonly options: BrokerServiceOptions) {
    this.tracker = new OrderTracker({
      bufferSize: options.orderEventBuffer,
      onEvent: options.hooks?.onOrderEvent,
      placedVia: (o) => (o.clientOrderId ? this.store.get(o.clientOrderId)?.api : undefined),
    });
    this.store = options.idempotency ?? new MemoryIdempotencyStore();
    this.log = options.logger;
    const sink: BrokerEventSink = {
      order: (obs) => {
        if (!this.accountAllowed(obs.order.accountId)) return;
        this.tracker.observe(obs);
      },
      session: (api, type, message) => {
        const event = this.sessionLog.append({
          api,
          type,
          message: message ?? null,
          at: new Date(),
          status: this.status(),
        });
        this.log.info({ api, event: type, message, sequence: event.sequence }, "session transition");
        options.hooks?.onSessionEvent?.(event);
      },
    };
    this.cp = options.clientPortal?.(sink);
    this.tws = options.tws?.(sink);
    this.marketData = createMarketDataService(
      {
        feeds: () => this.sides().flatMap((b): MarketDataFeed[] => (b.marketData ? [b.marketData] : [])),
        assertAnyReady: () => void this.route(null),
        resolveContract: (input) => this.route(null).resolveContract(input),
        readPositions: (accountId) => this.positions(accountId),
        readSummary: (accountId) => this.accountSummary(accountId),
        accountIds: async () => (await this.accounts()).map((a) => a.id),
        orderEvents: () => this.tracker.log.subscribe(() => true),
        logger: this.log,
      },
      options.marketData,
    );
  }

  async start(): Promise<void> {
    await Promise.all([this.cp?.start(), this.tws?.start()]);
    // Knowing the accounts from the start is what lets a live login put the server in LIVE mode at once.
    await this.accounts().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.marketData.close();
    this.tracker.log.closeAll();
    this.sessionLog.closeAll();
    await Promise.allSettled([this.cp?.close(), this.tws?.close()]);
    await this.store.close();
  }

  status(): SessionStatus {
    const clientPortal = this.cp?.status() ?? DISABLED_CP;
    const tws = this.tws?.status() ?? DISABLED_TWS;
    const ready = this.readiness().ready;
    return { mode: this.mode(), ready, clientPortal, tws };
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

  async orders(filter: { accountId?: string | null; status?: OrderStatus[] | null }): Promise<Order[]> {
    if (filter.accountId != null) this.checkAllowed(checkAccountId(filter.accountId));
    const lists = await this.fromEach((b) => b.listOrders());
    for (const list of lists)
      for (const o of list) if (this.accountAllowed(o.accountId)) this.tracker.observe({ order: o });
    return this.tracker
      .all()
      .filter((o) => this.accountAllowed(o.accountId))
      .filter((o) => filter.accountId == null || o.accountId === filter.accountId)
      .filter((o) => !filter.status?.length || filter.status.includes(o.status))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  async order(id: string): Promise<Order | null> {
    const orderId = checkOrderId(id);
    const known = this.tracker.get(orderId);
    if (known) return known;
    return (await this.orders({})).find((o) => o.id === orderId) ?? null;
  }

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
      const request = validatePlaceOrder(input);
      this.checkAllowed(request.accountId);
      this.checkLive(request.accountId);
      await this.checkKnownAccount(request.accountId);
      const api = this.route(input.via ?? null);
      const result = await this.mutex.run(request.clientOrderId, () => this.placeOnce(api, request));
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

  private async placeOnce(api: ApiBroker, request: OrderRequest): Promise<PlaceOrderPayload> {
    const fingerprint = fingerprintOf(request);
    const existing = this.store.get(request.clientOrderId);
    if (existing) {
      if (existing.fingerprint !== fingerprint) {
        throw new AppError(
          ErrorCode.IDEMPOTENCY_CONFLICT,
          `clientOrderId "${request.clientOrderId}" was already used for a different order; use a new clientOrderId.`,
          { clientOrderId: request.clientOrderId, orderId: existing.orderId ?? null },
        );
      }
      const replay = await this.replay(existing);
      if (replay) return replay;
    }
    const contract = await api.resolveContract(request.contract);
    await this.checkLimits(api, request, contract.conid);
    const base = {
      clientOrderId: request.clientOrderId,
      fingerprint,
      api: api.api,
      accountId: request.accountId,
    };
    await this.store.put({ ...base, state: "PENDING", updatedAt: new Date().toISOString() });
    let outcome: PlaceOutcome;
    try {
      outcome = await api.placeOrder(request, contract);
    } catch (e) {
      if (isAppError(e) && NOTHING_SENT.has(e.code)) {
        await this.store.delete(request.clientOrderId);
      } else if (isAppError(e) && e.code === ErrorCode.ORDER_REJECTED) {
        await this.store.put({
          ...base,
          state: "FAILED",
          errorCode: e.code,
          errorMessage: e.message,
          orderId: (e.details.orderId as string) ?? undefined,
          updatedAt: new Date().toISOString(),
        });
      } else {
        await this.store.put({ ...base, state: "UNKNOWN", updatedAt: new Date().toISOString() });
        if (!isAppError(e) || e.code !== ErrorCode.OUTCOME_UNKNOWN) {
          throw new AppError(
            ErrorCode.OUTCOME_UNKNOWN,
            "The connection failed while the order was being placed; it may or may not be at IB. It will not be " +
              "resent. Query `orders` or retry with the same clientOrderId to reconcile.",
            { clientOrderId: request.clientOrderId, cause: e instanceof Error ? e.message : String(e) },
          );
        }
      }
      throw e;
    }
    return this.recordOutcome(base, outcome);
  }

  private async recordOutcome(
    base: Pick<IdempotencyRecord, "clientOrderId" | "fingerprint" | "api" | "accountId">,
    outcome: PlaceOutcome,
  ): Promise<PlaceOrderPayload> {
    const now = new Date().toISOString();
    if (outcome.order) {
      this.tracker.observe({ order: outcome.order });
      // Not awaited: the store answers from memory at once, and if the process dies before this reaches the
      // disk the key is still PENDING there, which a retry reconciles against IB (and finds the order).
      this.store
        .put({ ...base, state: "PLACED", orderId: outcome.order.id, updatedAt: now })
        .catch((e: unknown) =>
          this.log.error({ err: e, clientOrderId: base.clientOrderId }, "idempotency write failed"),
        );
      return { order: this.tracker.get(outcome.order.id) ?? outcome.order, confirmation: null };
    }
    const c = outcome.confirmation;
    this.replyOwners.set(c.replyId, base.clientOrderId);
    await this.store.put({
      ...base,
      state: "CONFIRMATION",
      replyId: c.replyId,
      messages: c.messages,
      messageIds: c.messageIds,
      updatedAt: now,
    });
    return { order: null, confirmation: c };
  }

  /** The answer for a clientOrderId seen before, or null when it is known that nothing reached IB. */
  private async replay(rec: IdempotencyRecord): Promise<PlaceOrderPayload | null> {
    const api = this.side(rec.api);
    switch (rec.state) {
      case "PLACED": {
        const order =
          (rec.orderId && (await this.order(rec.orderId))) ||
          (await api?.findByClientOrderId(rec.clientOrderId));
        if (order) return { order, confirmation: null };
        throw new AppError(
          ErrorCode.OUTCOME_UNKNOWN,
          `Order for clientOrderId "${rec.clientOrderId}" was placed but cannot be read right now; retry shortly.`,
          { clientOrderId: rec.clientOrderId, orderId: rec.orderId ?? null },
        );
      }
      case "CONFIRMATION": {
        if (rec.replyId && this.cp && !this.cp.isConfirmationPending(rec.replyId)) {
          // IB dropped the question unanswered, so nothing was placed: the key may place again.
          await this.store.delete(rec.clientOrderId);
          return null;
        }
        return {
          order: null,
          confirmation: {
            replyId: rec.replyId ?? "",
            messages: rec.messages ?? [],
            messageIds: rec.messageIds ?? [],
          },
        };
      }
      case "FAILED":
        throw new AppError(
          (rec.errorCode as ErrorCode) ?? ErrorCode.ORDER_REJECTED,
          rec.errorMessage ?? "Order was rejected.",
          { clientOrderId: rec.clientOrderId, orderId: rec.orderId ?? null, replayed: true },
        );
      case "PENDING":
      case "UNKNOWN": {
        if (!api?.isReady()) {
          throw new AppError(
            ErrorCode.OUTCOME_UNKNOWN,
            `The outcome of clientOrderId "${rec.clientOrderId}" is not known yet and ${rec.api} is not connected to reconcile it. It will not be resent; retry when the session is ready.`,
            { clientOrderId: rec.clientOrderId, api: rec.api },
          );
        }
        const found = await api.findByClientOrderId(rec.clientOrderId);
        if (!found && Date.now() - Date.parse(rec.updatedAt) > RECONCILE_HORIZON_MS) {
          // IB's lists (open and completed orders, executions) cover about a trading day: past that, not
          // finding the order proves nothing, so the key is never placed again.
          throw new AppError(
            ErrorCode.OUTCOME_UNKNOWN,
            `The outcome of clientOrderId "${rec.clientOrderId}" from ${rec.updatedAt} is unknown and too old to ` +
              "reconcile against IB's lists. Check the account's orders and trades, then use a new clientOrderId.",
            { clientOrderId: rec.clientOrderId, api: rec.api, since: rec.updatedAt },
          );
        }
        if (found) {
          this.tracker.observe({ order: found });
          await this.store.put({
            ...rec,
            state: "PLACED",
            orderId: found.id,
            updatedAt: new Date().toISOString(),
          });
          return { order: found, confirmation: null };
        }
        this.log.warn(
          { clientOrderId: rec.clientOrderId, api: rec.api },
          "reconciled: earlier placement never reached IB; placing now",
        );
        return null;
      }
    }
  }

  async confirmOrder(replyId: string, confirmed: boolean, caller: Caller): Promise<PlaceOrderPayload> {
    const audit = { op: "confirmOrder", client: caller.client, replyId, confirmed };
    try {
      this.checkWritable(caller);
      const cp = this.requireCp();
      const owner = this.replyOwners.get(replyId);
      // Under the key's lock: a placeOrder retry with the same clientOrderId must not find the question
      // gone (the adapter drops it before sending the answer) and place the order a second time.
      const run = () => this.confirmOnce(cp, replyId, confirmed, owner);
      const result = owner ? await this.mutex.run(owner, run) : await run();
      this.log.info({ ...audit, orderId: result.order?.id }, "order confirmation answered");
      return result;
    } catch (e) {
      this.auditRefusal(audit, e);
      throw e;
    }
  }

  private async confirmOnce(
    cp: ClientPortalBroker,
    replyId: string,
    confirmed: boolean,
    owner: string | undefined,
  ): Promise<PlaceOrderPayload> {
    const rec = owner ? this.store.get(owner) : undefined;
    let outcome: PlaceOutcome;
    try {
      outcome = await cp.confirmOrder(replyId, confirmed);
    } catch (e) {
      this.replyOwners.delete(replyId);
      if (rec && isAppError(e) && (e.code === ErrorCode.NOT_FOUND || NOTHING_SENT.has(e.code))) {
        // The question expired at IB, or the answer never left: nothing was placed.
        await this.store.delete(rec.clientOrderId);
      } else if (rec && confirmed) {
        // The "yes" may have reached IB: a retry must reconcile against IB, not treat the key as free.
        await this.store.put({ ...rec, state: "UNKNOWN", updatedAt: new Date().toISOString() });
      }
      throw e;
    }
    this.replyOwners.delete(replyId);
    if (rec) {
      if (!confirmed) await this.store.delete(rec.clientOrderId);
      else return await this.recordOutcome(rec, outcome);
    }
    // A declined question leaves no order at IB; the placeholder the adapter returns is not tracked.
    if (outcome.order && confirmed) this.tracker.observe({ order: outcome.order });
    return { order: outcome.order ?? null, confirmation: outcome.confirmation ?? null };
  }

  modifyOrder(id: string, input: ModifyOrderInput, caller: Caller): Promise<Order> {
    return this.changeOrder("modifyOrder", id, caller, "order modified", async (order) => {
      this.checkLive(order.accountId);
      const changes = validateModifyOrder(order.type, input);
      const api = this.routeExisting(order);
      // The per-order limits hold for the order as it will be, not only as it was placed.
      await this.checkLimits(api, requestAfterModify(order, changes), order.contract.conid);
      return { api, updated: await api.modifyOrder(order, changes) };
    });
  }

  /** Cancelling is allowed on live accounts without ALLOW_LIVE_TRADING: it only lowers risk. */
  cancelOrder(id: string, caller: Caller): Promise<Order> {
    return this.changeOrder("cancelOrder", id, caller, "order cancel requested", async (order) => {
      const api = this.routeExisting(order);
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
      this.checkAllowed(order.accountId);
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

  orderUpdates(filter: { accountId?: string | null; afterSequence?: number | null }) {
    const accountId = filter.accountId != null ? checkAccountId(filter.accountId) : null;
    if (accountId != null) this.checkAllowed(accountId);
    return this.tracker.log.subscribe(
      (e) => accountId == null || e.order.accountId === accountId,
      filter.afterSequence,
    );
  }

  sessionEvents() {
    return this.sessionLog.subscribe();
  }

  subscriberCounts() {
    return { orderUpdates: this.tracker.log.subscriberCount, sessionEvents: this.sessionLog.subscriberCount };
  }

  // ---- helpers ----

  /** Configured sides, TWS first: the preferred one for trading and positions. */
  private sides(): ApiBroker[] {
    const all: (ApiBroker | undefined)[] = [this.tws, this.cp];
    return all.filter((b): b is ApiBroker => b !== undefined);
  }

  private side(api: BrokerApi): ApiBroker | undefined {
    return api === BrokerApi.TWS ? this.tws : this.cp;
  }

  /** `via` if given, else TWS when it is ready, else Client Portal. */
  private route(via: BrokerApi | null): ApiBroker {
    if (via) {
      const side = this.side(via);
      if (!side)
        throw new AppError(ErrorCode.BROKER_UNAVAILABLE, `${via} is not configured on this server.`, {
          api: via,
          state: "DISABLED",
        });
      side.assertReady();
      return side;
    }
    const candidates = this.sides();
    if (candidates.length === 0) {
      throw new AppError(
        ErrorCode.BROKER_UNAVAILABLE,
        "No IB API is configured: set IB_TWS_PORT and/or IB_CP_URL.",
        { state: "DISABLED" },
      );
    }
    const ready = candidates.find((b) => b.isReady());
    if (ready) return ready;
    candidates[0]!.assertReady();
    return candidates[0]!;
  }

  /**
   * An existing order is changed through the API that placed it, else through another ready API that may
   * change it. TWS lets only the placing client id change an order, so an order entered elsewhere (Client
   * Portal, the website, TWS's own window) goes through Client Portal even when TWS reported it first; when
   * no able API is ready, the answer carries the state of the one that could do it.
   */
  private routeExisting(order: Order): ApiBroker {
    const able = this.sides().filter((b) => b.canChange?.(order) ?? true);
    const placing = able.find((b) => b.api === order.source);
    if (placing?.isReady()) return placing;
    const ready = able.find((b) => b.isReady());
    if (ready) return ready;
    const first = placing ?? able[0];
    if (!first) return this.route(null);
    first.assertReady();
    return first;
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
    const list = this.options.guards.accounts;
    return list.length === 0 || list.includes(id);
  }

  private checkAllowed(id: string): void {
    if (!this.accountAllowed(id)) {
      throw new AppError(ErrorCode.FORBIDDEN, `Account ${id} is not in IB_ACCOUNTS on this server.`, {
        accountId: id,
      });
    }
  }

  private checkWritable(caller: Caller): void {
    if (!caller.canTrade) {
      throw new AppError(
        ErrorCode.FORBIDDEN,
        "This API token may read but not trade; use API_TOKEN for mutations.",
      );
    }
    if (this.options.guards.readOnly || this.cp?.status().readOnly) {
      throw new AppError(
        ErrorCode.READ_ONLY,
        "This server is read-only (READ_ONLY=true or a read-only IB user); mutations are disabled.",
      );
    }
  }

  private checkLive(accountId: string): void {
    if (this.options.guards.allowLiveTrading) return;
    if (isLiveAccount(accountId) || this.mode() === TradingMode.LIVE) {
      throw new AppError(
        ErrorCode.LIVE_TRADING_DISABLED,
        `Refusing to trade live account ${accountId}: set ALLOW_LIVE_TRADING=true to allow orders to live accounts.`,
        { accountId },
      );
    }
  }

  private async checkLimits(api: ApiBroker, r: OrderRequest, conid: number): Promise<void> {
    const { maxOrderQuantity, maxOrderNotional } = this.options.guards;
    if (maxOrderQuantity != null && r.quantity > maxOrderQuantity) {
      throw new AppError(
        ErrorCode.FORBIDDEN,
        `quantity ${r.quantity} exceeds MAX_ORDER_QUANTITY ${maxOrderQuantity}.`,
        { field: "quantity", limit: maxOrderQuantity },
      );
    }
    if (maxOrderNotional != null) {
      const price = r.limitPrice ?? r.stopPrice ?? (await api.lastPrice?.(conid)) ?? null;
      if (price == null) {
        throw new AppError(
          ErrorCode.FORBIDDEN,
          "MAX_ORDER_NOTIONAL is set but no price is known for this contract; use a LIMIT order.",
          { conid },
        );
      }
      if (price * r.quantity > maxOrderNotional) {
        throw new AppError(
          ErrorCode.FORBIDDEN,
          `Order notional ${(price * r.quantity).toFixed(2)} exceeds MAX_ORDER_NOTIONAL ${maxOrderNotional}.`,
          { limit: maxOrderNotional },
        );
      }
    }
  }

  private auditRefusal(audit: Record<string, unknown>, e: unknown): void {
    const code = isAppError(e) ? e.code : ErrorCode.INTERNAL_SERVER_ERROR;
    this.log.warn(
      { ...audit, mode: this.mode(), code, reason: e instanceof Error ? e.message : String(e) },
      "mutation refused",
    );
  }
}

/** How far back IB's order and execution lists reliably reach when reconciling an unknown outcome. */
const RECONCILE_HORIZON_MS = 20 * 3600_000;

/** Codes an adapter uses only when nothing was sent upstream, so the key may be used again. */
const NOTHING_SENT: ReadonlySet<string> = new Set([
  ErrorCode.BAD_USER_INPUT,
  ErrorCode.NOT_FOUND,
  ErrorCode.BROKER_UNAVAILABLE,
  ErrorCode.SESSION_NOT_READY,
  ErrorCode.RATE_LIMITED,
  ErrorCode.FORBIDDEN,
]);

export function isLiveAccount(accountId: string): boolean {
  return accountTypeOf(accountId) === AccountType.LIVE;
}

function fingerprintOf(r: OrderRequest): string {
  const { accountId, contract, side, type, quantity, limitPrice, stopPrice, timeInForce } = r;
  const terms = [
    accountId,
    contract.conid,
    contract.symbol,
    contract.secType,
    contract.exchange,
    contract.currency,
    side,
    type,
    quantity,
    limitPrice,
    stopPrice,
    timeInForce,
  ];
  return createHash("sha256").update(JSON.stringify(terms)).digest("hex").slice(0, 32);
}
