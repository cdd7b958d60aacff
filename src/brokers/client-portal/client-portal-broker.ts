import { readFileSync } from "node:fs";
import type { Logger } from "pino";
import { AppError, ErrorCode, isAppError, notFound } from "../../errors";
import type { Account, AccountSummary } from "../../schema/account.type";
import type { Contract, ContractInput } from "../../schema/contract.type";
import {
  BrokerApi,
  ClientPortalState,
  OrderStatus,
  OrderType,
  SecType,
  TERMINAL_ORDER_STATUSES,
  TimeInForce,
} from "../../schema/enums";
import type { ModifyOrderInput } from "../../schema/order.input";
import type { Order, OrderConfirmation } from "../../schema/order.type";
import type { Position } from "../../schema/position.type";
import type { ClientPortalStatus } from "../../schema/session.type";
import { createClientPortalSessionApi } from "../../session/client-portal-session-api";
import { ClientPortalSupervisor } from "../../session/client-portal-supervisor";
import type {
  BrokerEventSink,
  ClientPortalBroker,
  ComponentReadiness,
  OrderRequest,
  PlaceOutcome,
} from "../api-broker";
import { ClientPortalClient, type CpResult } from "./client-portal-client";
import { systemClock, type Clock, type TimerHandle } from "./clock";
import { cpOrderType, mapAccount, mapPosition, mapSummary, orderStatusOf } from "./cp-mapping";
import { arr, isObject, num, str, type Json } from "./cp-parse";
import type { EndpointLimit, EndpointRule } from "./endpoint-limits";
import { ContractResolver } from "./contract-resolver";
import { CpTransportError, type CpResponse } from "./http-client";
import { requestAfterModify } from "../order-validation";
import { OrderFollower } from "./order-follower";
import {
  RequestPriority,
  type ExclusiveLane,
  type SchedulerEvent,
  type SchedulerStats,
} from "./request-scheduler";

export interface ClientPortalBrokerOptions {
  /** The gateway's URL (IB_CP_URL), e.g. `https://localhost:5001`; its `/` is the login page. */
  url: string;
  /** The gateway certificate to trust, as PEM text (pins a self-signed certificate). */
  caPem?: string | Buffer;
  /** File holding that PEM (IB_CP_CA_FILE); read once at creation. */
  caFile?: string;
  /**
   * Skip certificate verification (IB_CP_INSECURE_TLS). Explicit opt-in; log a warning when set.
   * @default false
   */
  insecureTls?: boolean;
  /**
   * Portfolio-only IB user (IB_CP_READ_ONLY): no brokerage session is ever opened (no ssodh/init, no
   * /iserver calls), only portfolio endpoints are read, and every mutation answers READ_ONLY.
   * @default false
   */
  readOnly?: boolean;
  /** Keep-alive period (IB_CP_TICKLE_MS), jittered, capped below 60 s. @default 55000 */
  tickleMs?: number;
  /**
   * IB question ids answered "yes" without asking the API client (IB_CP_AUTO_CONFIRM), e.g. `["o163", "o354"]`.
   * They are also sent to /iserver/questions/suppress when a brokerage session opens (see `suppressQuestions`).
   * @default []
   */
  autoConfirm?: readonly string[];
  /** Suppress the `autoConfirm` ids at IB for each new brokerage session. @default true */
  suppressQuestions?: boolean;
  /** Take the brokerage session back when another login competes for it. @default false */
  takeOverCompeting?: boolean;
  /**
   * How long a question waiting for `confirmOrder` keeps the gateway to itself (IB forgets a question as soon
   * as any other request arrives). Other Client Portal requests wait meanwhile.
   * @default 15000
   */
  confirmationHoldMs?: number;
  /** How long a placement waits for another order flow to finish. @default 20000 */
  orderLaneWaitMs?: number;
  /** Per-request timeout. @default 10000 */
  requestTimeoutMs?: number;
  /** Read cache TTL. @default 1500 */
  cacheTtlMs?: number;
  /** Pause of all traffic after a 429. @default 900000 */
  penaltyMs?: number;
  /** How long a read may wait for a rate-limit slot. @default 10000 */
  queueDeadlineMs?: number;
  /** @default { max: 8, windowMs: 1100 } */
  globalLimit?: EndpointLimit;
  /** @default DEFAULT_ENDPOINT_RULES */
  endpointRules?: readonly EndpointRule[];
  /** Probe period while the session is not usable. @default 5000 */
  recoveryPollMs?: number;
  /** @default 3 */
  maxReauthPerMinute?: number;
  /** @default 5000 */
  reauthBackoffMs?: number;
  /** @default 10000 */
  reauthWaitMs?: number;
  /** @default 1000 */
  reauthPollMs?: number;
  /** @default 240000 */
  ssoValidateMs?: number;
  /** Order polling while orders work (IB: 1 per 5 s). @default 5500 */
  orderPollMs?: number;
  /** Order polling otherwise. @default 30000 */
  backgroundOrderPollMs?: number;
  /** @default 60000 */
  orderActiveWindowMs?: number;
  /** Cookies to start with (some gateway builds want the browser login's cookies). */
  cookies?: Record<string, string>;
  logger?: Logger;
  /** Every upstream request, cache hit, rejection and penalty (for Prometheus). */
  onSchedulerEvent?(event: SchedulerEvent): void;
  clock?: Clock;
}

/** The adapter plus what the lead needs for metrics. */
export interface ClientPortalAdapter extends ClientPortalBroker {
  /** Scheduler counters: requests by endpoint and status, waits, queue length, 429s. */
  stats(): SchedulerStats;
  /** The gateway's login page (`<url>/`). */
  readonly loginUrl: string;
  /**
   * Whether IB still holds this order question (it is forgotten once its hold ends): lets the service drop a
   * stored confirmation that can no longer be answered and place the order again.
   */
  isConfirmationPending(replyId: string): boolean;
}

interface PendingReply {
  replyId: string;
  lane: ExclusiveLane<CpResponse>;
  timer: TimerHandle;
  /** What to build once IB accepts: a placement or a modification. */
  request: OrderRequest;
  contract: Contract;
}

export function createClientPortalBroker(
  options: ClientPortalBrokerOptions,
  sink: BrokerEventSink,
): ClientPortalAdapter {
  return new ClientPortalBrokerImpl(options, sink);
}

const MAX_REPLY_ROUNDS = 10;
const MAX_POSITION_PAGES = 100;

class ClientPortalBrokerImpl implements ClientPortalAdapter {
  readonly api = BrokerApi.CLIENT_PORTAL;
  readonly loginUrl: string;
  private readonly client: ClientPortalClient;
  private readonly supervisor: ClientPortalSupervisor;
  private readonly follower: OrderFollower;
  private readonly clock: Clock;
  private readonly readOnly: boolean;
  private readonly autoConfirm: ReadonlySet<string>;
  private readonly log?: Logger;
  private readonly contracts: ContractResolver;
  private readonly pending = new Map<string, PendingReply>();
  private readonly expiredReplies = new Set<string>();
  private sessionSetup: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly options: ClientPortalBrokerOptions,
    private readonly sink: BrokerEventSink,
  ) {
    this.clock = options.clock ?? systemClock;
    this.readOnly = options.readOnly ?? false;
    this.autoConfirm = new Set(options.autoConfirm ?? []);
    this.log = options.logger;
    const caPem = options.caPem ?? (options.caFile ? readFileSync(options.caFile) : undefined);
    this.client = new ClientPortalClient({
      url: options.url,
      caPem,
      insecureTls: options.insecureTls,
      timeoutMs: options.requestTimeoutMs,
      cookies: options.cookies,
      readOnly: this.readOnly,
      cacheTtlMs: options.cacheTtlMs,
      penaltyMs: options.penaltyMs,
      queueDeadlineMs: options.queueDeadlineMs,
      globalLimit: options.globalLimit,
      endpointRules: options.endpointRules,
      clock: this.clock,
      onSchedulerEvent: options.onSchedulerEvent,
    });
    this.loginUrl = `${this.client.rootUrl}/`;
    this.supervisor = new ClientPortalSupervisor({
      api: createClientPortalSessionApi(this.client),
      sink,
      loginUrl: this.loginUrl,
      tickleMs: options.tickleMs,
      recoveryPollMs: options.recoveryPollMs,
      maxReauthPerMinute: options.maxReauthPerMinute,
      reauthBackoffMs: options.reauthBackoffMs,
      reauthWaitMs: options.reauthWaitMs,
      reauthPollMs: options.reauthPollMs,
      ssoValidateMs: options.ssoValidateMs,
      takeOverCompeting: options.takeOverCompeting,
      readOnly: this.readOnly,
      clock: this.clock,
      onAuthenticated: () => this.onNewSession(),
    });
    this.follower = new OrderFollower({
      client: this.client,
      sink,
      clock: this.clock,
      isReady: () => this.isReady() && !this.readOnly,
      activePollMs: options.orderPollMs ?? 5_500,
      backgroundPollMs: options.backgroundOrderPollMs ?? 30_000,
      activeWindowMs: options.orderActiveWindowMs ?? 60_000,
      failure: (what, e) => this.readFailure(what, e),
    });
    this.contracts = new ContractResolver({
      client: this.client,
      readOnly: this.readOnly,
      call: (what, fn) => this.call(what, fn),
      failure: (what, r) => this.readFailure(what, r),
    });
    this.client.onUnauthorized(() => this.supervisor.poke());
  }

  // ---- lifecycle and state ----

  async start(): Promise<void> {
    await this.supervisor.start();
    await this.sessionSetup.catch(() => undefined);
    if (!this.readOnly) this.follower.start();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.supervisor.close();
    this.follower.stop();
    for (const p of this.pending.values()) {
      this.clock.clearTimeout(p.timer);
      p.lane.release();
    }
    this.pending.clear();
    await this.client.close();
  }

  status(): ClientPortalStatus {
    const s = this.supervisor.status();
    const penalty = this.client.scheduler.penaltyUntil();
    if (penalty !== null && s.state === ClientPortalState.AUTHENTICATED) {
      return {
        ...s,
        message: `Rate limited by IB (HTTP 429): all requests paused until ${new Date(penalty).toISOString()}.`,
      };
    }
    return s;
  }

  stats(): SchedulerStats {
    return this.client.stats();
  }

  isConfirmationPending(replyId: string): boolean {
    return this.pending.has(replyId);
  }

  isReady(): boolean {
    return (
      !this.closed &&
      this.supervisor.currentState === ClientPortalState.AUTHENTICATED &&
      this.client.scheduler.penaltyUntil() === null
    );
  }

  readiness(): ComponentReadiness {
    const s = this.status();
    return {
      ready: this.isReady(),
      state: s.state,
      detail: s.message ?? (s.readOnly ? "read-only user" : undefined),
      lastMessageAt: this.client.lastAnswer?.toISOString() ?? null,
    };
  }

  assertReady(): void {
    const penalty = this.client.scheduler.penaltyUntil();
    if (penalty !== null) {
      const retryAt = new Date(penalty).toISOString();
      throw new AppError(
        ErrorCode.RATE_LIMITED,
        `IB's gateway answered 429 (too many requests); Client Portal requests are paused until ${retryAt}.`,
        { api: BrokerApi.CLIENT_PORTAL, retryAt, state: this.supervisor.currentState },
      );
    }
    if (this.closed || this.supervisor.currentState !== ClientPortalState.AUTHENTICATED) {
      throw this.supervisor.notReady();
    }
  }

  async reauthenticate(): Promise<void> {
    await this.supervisor.reauthenticate();
  }

  /** A new brokerage session: priming, question suppression and the orders warm-up, before anything else. */
  private onNewSession(): void {
    this.client.newSession();
    this.sessionSetup = this.setupSession();
    this.sessionSetup.catch((e: unknown) =>
      this.log?.warn(
        { err: e instanceof Error ? e.message : String(e) },
        "client portal session setup failed",
      ),
    );
  }

  private async setupSession(): Promise<void> {
    if (this.readOnly) {
      await this.client.primePortfolio();
      return;
    }
    await this.client.primeIserver();
    const ids = [...this.autoConfirm];
    if (ids.length > 0 && (this.options.suppressQuestions ?? true)) {
      const r = await this.client.post(
        "/iserver/questions/suppress",
        { messageIds: ids.slice(0, 51) },
        { priority: RequestPriority.SESSION },
      );
      if (r.error) this.log?.warn({ error: r.error }, "client portal: suppressing questions failed");
    }
    this.follower.kick();
  }

  // ---- reads ----

  async listAccounts(): Promise<Account[]> {
    this.assertReady();
    const portfolio = await this.readJson("accounts", () => this.client.get("/portfolio/accounts"));
    const byId = new Map<string, Account>();
    for (const raw of arr(portfolio.json)) {
      if (!isObject(raw)) continue;
      const id = str(raw.accountId) ?? str(raw.id);
      if (id) byId.set(id, mapAccount(id, str(raw.currency)));
    }
    if (!this.readOnly) {
      const iserver = await this.readJson("accounts", () => this.client.get("/iserver/accounts"));
      for (const id of isObject(iserver.json) ? arr(iserver.json.accounts) : []) {
        if (typeof id === "string" && !byId.has(id)) byId.set(id, mapAccount(id, null));
      }
    }
    return [...byId.values()];
  }

  async getAccountSummary(accountId: string): Promise<AccountSummary | null> {
    this.assertReady();
    const r = await this.call("account summary", () =>
      this.client.get(`/portfolio/${encodeURIComponent(accountId)}/summary`),
    );
    if (r.status === 400 || r.status === 404) return null;
    this.expectOk("account summary", r);
    return isObject(r.json) ? mapSummary(r.json, r.asOf) : null;
  }

  async listPositions(accountId?: string): Promise<Position[]> {
    this.assertReady();
    const ids = accountId ? [accountId] : (await this.listAccounts()).map((a) => a.id);
    const out: Position[] = [];
    for (const id of ids) {
      for (let page = 0; page < MAX_POSITION_PAGES; page++) {
        const r = await this.call("positions", () =>
          this.client.get(`/portfolio/${encodeURIComponent(id)}/positions/${page}`),
        );
        if ((r.status === 400 || r.status === 404) && page === 0 && accountId) return [];
        this.expectOk("positions", r);
        const rows = arr(r.json);
        // IB's page size has been 30 and 100; only an empty page ends the list.
        if (rows.length === 0) break;
        for (const row of rows) {
          const p = isObject(row) ? mapPosition(row, r.asOf) : null;
          if (p && p.quantity !== 0) out.push(p);
        }
      }
    }
    return out;
  }

  async listOrders(): Promise<Order[]> {
    this.assertReady();
    if (this.readOnly) return [];
    await this.sessionSetup.catch(() => undefined);
    const { orders } = await this.follower.liveOrders();
    return orders;
  }

  async findByClientOrderId(clientOrderId: string): Promise<Order | null> {
    this.assertReady();
    if (this.readOnly) return null;
    const known = this.follower.known().find((o) => o.clientOrderId === clientOrderId);
    if (known) return known;
    const { orders } = await this.follower.liveOrders({ fresh: true, priority: RequestPriority.ORDER });
    const live = orders.find((o) => o.clientOrderId === clientOrderId);
    if (live) return live;
    const trades = (await this.follower.trades({ fresh: true, priority: RequestPriority.ORDER })).filter(
      (t) => t.clientOrderId === clientOrderId,
    );
    const first = trades[0];
    if (!first) return null;
    // Filled and gone from the live list: rebuild what the executions tell.
    const quantity = trades.reduce((s, t) => s + t.fill.quantity, 0);
    const notional = trades.reduce((s, t) => s + t.fill.quantity * t.fill.price, 0);
    const conid = first.conid ?? 0;
    const contract = this.contracts.cached(conid) ?? {
      conid,
      symbol: String(conid),
      secType: SecType.STK,
      currency: "USD",
    };
    return {
      id: first.orderId,
      clientOrderId,
      accountId: first.accountId ?? "",
      contract,
      side: first.side,
      type: OrderType.MARKET,
      quantity,
      limitPrice: null,
      stopPrice: null,
      timeInForce: TimeInForce.DAY,
      status: OrderStatus.FILLED,
      filledQuantity: quantity,
      remainingQuantity: 0,
      averageFillPrice: quantity > 0 ? notional / quantity : null,
      source: BrokerApi.CLIENT_PORTAL,
      permId: first.orderId,
      brokerOrderId: first.orderId,
      statusMessage: null,
      createdAt: first.fill.at,
      updatedAt: trades.at(-1)?.fill.at ?? first.fill.at,
    };
  }

  async resolveContract(input: ContractInput): Promise<Contract> {
    this.assertReady();
    return this.contracts.resolve(input);
  }

  async lastPrice(conid: number): Promise<number | null> {
    if (this.readOnly || !this.isReady()) return null;
    const path = `/iserver/marketdata/snapshot?conids=${conid}&fields=31`;
    for (let i = 0; i < 2; i++) {
      // The first snapshot of a conid only subscribes; the second one carries prices.
      const r = await this.call("market data", () => this.client.get(path, { fresh: i > 0 }));
      const row = arr(r.json)[0];
      const last = isObject(row) ? num(String(row["31"] ?? "").replace(/^[CH]/, "")) : null;
      if (last !== null) return last;
    }
    return null;
  }

  // ---- orders ----

  async placeOrder(request: OrderRequest, contract: Contract): Promise<PlaceOutcome> {
    this.assertWritable();
    await this.sessionSetup.catch(() => undefined);
    await this.client.primeIserver().catch((e: unknown) => {
      throw this.readFailure("accounts", e);
    });
    const lane = await this.client.acquireExclusive(this.options.orderLaneWaitMs ?? 20_000);
    return this.inOrderFlow(lane, request, contract, async () => {
      const path = `/iserver/account/${encodeURIComponent(request.accountId)}/orders`;
      const body = { orders: [this.orderBody(request, contract, true)] };
      const r = await this.orderCall("placement", () =>
        this.client.post(path, body, { lane, priority: RequestPriority.ORDER }),
      );
      return this.answerQuestions(lane, r, request, contract);
    });
  }

  /**
   * Runs one step of an order flow on its exclusive lane. A step that ends in a question keeps the lane
   * (IB forgets the question as soon as any other request reaches the gateway) until confirmOrder or the
   * hold expires; any other end releases it.
   */
  private async inOrderFlow(
    lane: ExclusiveLane<CpResponse>,
    request: OrderRequest,
    contract: Contract,
    step: () => Promise<PlaceOutcome>,
  ): Promise<PlaceOutcome> {
    let keep = false;
    try {
      const outcome = await step();
      if (outcome.confirmation) {
        keep = true;
        this.holdForConfirmation(outcome.confirmation.replyId, lane, request, contract);
      }
      return outcome;
    } finally {
      if (!keep) lane.release();
      this.follower.kick();
    }
  }

  async confirmOrder(replyId: string, confirmed: boolean): Promise<PlaceOutcome> {
    this.assertWritable();
    const pending = this.pending.get(replyId);
    if (!pending) {
      const expired = this.expiredReplies.has(replyId);
      throw notFound(
        expired
          ? `Confirmation ${replyId.slice(0, 40)} expired: IB keeps an order question only until the next request reaches the gateway, and it was held ${this.holdMs()} ms. Nothing was placed; place the order again.`
          : `No pending Client Portal confirmation with replyId "${replyId.slice(0, 40)}"; nothing was placed. Place the order again.`,
        { replyId, expired },
      );
    }
    this.pending.delete(replyId);
    this.clock.clearTimeout(pending.timer);
    const { lane, request, contract } = pending;
    return this.inOrderFlow(lane, request, contract, async () => {
      const r = await this.orderCall("confirmation", () =>
        this.client.post(
          `/iserver/reply/${encodeURIComponent(replyId)}`,
          { confirmed },
          { lane, priority: RequestPriority.ORDER },
        ),
      );
      if (!confirmed) return { order: this.declinedOrder(replyId, request, contract) };
      return this.answerQuestions(lane, r, request, contract);
    });
  }

  async modifyOrder(order: Order, changes: ModifyOrderInput): Promise<Order> {
    this.assertWritable();
    await this.client.primeIserver().catch((e: unknown) => {
      throw this.readFailure("accounts", e);
    });
    const request = requestAfterModify(order, changes);
    const lane = await this.client.acquireExclusive(this.options.orderLaneWaitMs ?? 20_000);
    try {
      const path = `/iserver/account/${encodeURIComponent(order.accountId)}/order/${encodeURIComponent(this.brokerIdOf(order))}`;
      // IB wants the whole order again, with the changed fields, as a single object.
      const body = this.orderBody(request, order.contract, false);
      let r = await this.orderCall("modification", () =>
        this.client.post(path, body, { lane, priority: RequestPriority.ORDER }),
      );
      for (let round = 0; round < MAX_REPLY_ROUNDS; round++) {
        const question = questionOf(r.json);
        if (!question) break;
        const confirm =
          question.messageIds.length > 0 && question.messageIds.every((id) => this.autoConfirm.has(id));
        r = await this.orderCall("modification", () =>
          this.client.post(
            `/iserver/reply/${encodeURIComponent(question.replyId)}`,
            { confirmed: confirm },
            { lane, priority: RequestPriority.ORDER },
          ),
        );
        if (!confirm) {
          throw new AppError(
            ErrorCode.ORDER_REJECTED,
            `IB asks for confirmation of this modification (${question.messageIds.join(", ")}: ${question.messages.join(" ")}). It was not sent; add the ids to IB_CP_AUTO_CONFIRM to accept such warnings.`,
            { orderId: order.id, messageIds: question.messageIds },
          );
        }
      }
      const accepted = this.acceptedOf(r, "modification", order.id);
      const updated: Order = {
        ...order,
        quantity: request.quantity,
        limitPrice: request.limitPrice,
        stopPrice: request.stopPrice,
        timeInForce: request.timeInForce,
        remainingQuantity: Math.max(0, request.quantity - order.filledQuantity),
        status: accepted.status
          ? orderStatusOf(accepted.status, order.filledQuantity, request.quantity - order.filledQuantity)
          : order.status,
        updatedAt: new Date(this.clock.now()),
      };
      this.follower.note(updated);
      return updated;
    } finally {
      lane.release();
      this.follower.kick();
    }
  }

  async cancelOrder(order: Order): Promise<Order> {
    this.assertWritable();
    const path = `/iserver/account/${encodeURIComponent(order.accountId)}/order/${encodeURIComponent(this.brokerIdOf(order))}`;
    try {
      const r = await this.orderCall("cancel", () =>
        this.client.delete(path, { priority: RequestPriority.ORDER }),
      );
      if (r.error !== null || r.status !== 200) {
        throw new AppError(
          ErrorCode.ORDER_REJECTED,
          `IB refused to cancel order ${order.id}: ${r.error ?? `HTTP ${r.status}`}`,
          {
            orderId: order.id,
            httpStatus: r.status,
          },
        );
      }
      // "Request was submitted" is not "cancelled": the poll reports CANCELLED when IB confirms.
      const updated: Order = TERMINAL_ORDER_STATUSES.has(order.status)
        ? order
        : { ...order, status: OrderStatus.PENDING_CANCEL, updatedAt: new Date(this.clock.now()) };
      this.follower.note(updated);
      return updated;
    } finally {
      this.follower.kick();
    }
  }

  // ---- order helpers ----

  private assertWritable(): void {
    if (this.readOnly) {
      throw new AppError(
        ErrorCode.READ_ONLY,
        "The Client Portal user is read-only (IB_CP_READ_ONLY=true): no brokerage session, no orders.",
        { api: BrokerApi.CLIENT_PORTAL },
      );
    }
    this.assertReady();
  }

  private holdMs(): number {
    return this.options.confirmationHoldMs ?? 15_000;
  }

  private holdForConfirmation(
    replyId: string,
    lane: ExclusiveLane<CpResponse>,
    request: OrderRequest,
    contract: Contract,
  ): void {
    const timer = this.clock.setTimeout(() => {
      const p = this.pending.get(replyId);
      if (!p) return;
      this.pending.delete(replyId);
      this.expiredReplies.add(replyId);
      if (this.expiredReplies.size > 1_000)
        this.expiredReplies.delete(this.expiredReplies.values().next().value!);
      p.lane.release();
      this.log?.info(
        { replyId, clientOrderId: request.clientOrderId },
        "client portal order question expired unanswered",
      );
    }, this.holdMs());
    this.pending.set(replyId, { replyId, lane, timer, request, contract });
  }

  /** IB's question loop: auto-confirm the configured ids, hand any other question to the API client. */
  private async answerQuestions(
    lane: ExclusiveLane<CpResponse>,
    first: CpResult,
    request: OrderRequest,
    contract: Contract,
  ): Promise<PlaceOutcome> {
    let r = first;
    for (let round = 0; round < MAX_REPLY_ROUNDS; round++) {
      const question = questionOf(r.json);
      if (!question) break;
      const auto =
        question.messageIds.length > 0 && question.messageIds.every((id) => this.autoConfirm.has(id));
      if (!auto) return { confirmation: question };
      this.log?.info(
        { messageIds: question.messageIds, clientOrderId: request.clientOrderId },
        "client portal question auto-confirmed",
      );
      r = await this.orderCall("confirmation", () =>
        this.client.post(
          `/iserver/reply/${encodeURIComponent(question.replyId)}`,
          { confirmed: true },
          { lane, priority: RequestPriority.ORDER },
        ),
      );
    }
    const accepted = this.acceptedOf(r, "placement", null);
    const order = this.orderOf(request, contract, {
      id: accepted.orderId,
      status: orderStatusOf(accepted.status ?? "PendingSubmit", 0, request.quantity),
      remainingQuantity: request.quantity,
      permId: accepted.orderId,
      brokerOrderId: accepted.orderId,
      statusMessage: null,
    });
    this.follower.note(order);
    return { order };
  }

  /** The `order_id` of an accepted placement/modification, or the right AppError. */
  private acceptedOf(
    r: CpResult,
    what: string,
    orderId: string | null,
  ): { orderId: string; status: string | null } {
    const rows = Array.isArray(r.json) ? r.json : isObject(r.json) && !("error" in r.json) ? [r.json] : [];
    for (const row of rows) {
      if (!isObject(row)) continue;
      const id = str(row.order_id) ?? str(row.orderId);
      if (id) return { orderId: id, status: str(row.order_status) };
    }
    const reason = r.error ?? (isObject(r.json) && r.json.prompt ? str(r.json.text) : null);
    if (r.status === 200 && isObject(r.json) && r.json.prompt === true) {
      throw new AppError(
        ErrorCode.OUTCOME_UNKNOWN,
        `IB answered the ${what} with a prompt this server cannot answer (${reason ?? "no text"}); check the order in IB's Client Portal.`,
        { orderId, httpStatus: r.status },
      );
    }
    // A gateway failure without IB's reason, or a 200 this code cannot read, says nothing about IB's side;
    // so does "already registered" (an earlier attempt with this cOID is at IB). Only IB's own refusal is
    // ORDER_REJECTED, which the service remembers for good as FAILED.
    if (
      r.status === 503 ||
      r.status === 502 ||
      r.status === 504 ||
      (r.status >= 500 && r.error === null) ||
      (r.status === 200 && reason === null) ||
      (reason !== null && /already registered/i.test(reason))
    ) {
      throw new AppError(
        ErrorCode.OUTCOME_UNKNOWN,
        `The gateway's answer to the ${what} (HTTP ${r.status}${reason ? `: ${reason}` : ""}) does not say whether IB has the order; it will not be resent. Retry the same clientOrderId to reconcile.`,
        { orderId, httpStatus: r.status },
      );
    }
    if (r.status === 401) throw this.supervisor.notReady();
    if (reason && /reply id not found/i.test(reason)) {
      throw notFound(
        `IB no longer knows this confirmation (${reason}); nothing was placed. Place the order again.`,
        { orderId },
      );
    }
    throw new AppError(
      ErrorCode.ORDER_REJECTED,
      `IB rejected the ${what}: ${reason ?? `unexpected answer (HTTP ${r.status})`}`,
      {
        orderId,
        httpStatus: r.status,
        reason: reason ?? null,
      },
    );
  }

  /** Runs an order request, turning transport failures into "not placed" or "outcome unknown". */
  private async orderCall(what: string, fn: () => Promise<CpResult>): Promise<CpResult> {
    let r: CpResult;
    try {
      r = await fn();
    } catch (e) {
      if (e instanceof CpTransportError) {
        if (!e.sent) {
          this.supervisor.poke();
          throw new AppError(ErrorCode.BROKER_UNAVAILABLE, `The ${what} was not sent: ${e.message}`, {
            api: BrokerApi.CLIENT_PORTAL,
            state: this.supervisor.currentState,
          });
        }
        throw new AppError(
          ErrorCode.OUTCOME_UNKNOWN,
          `The connection to the gateway failed during the ${what} (${e.message}); it may or may not have reached IB. It will not be resent.`,
          { api: BrokerApi.CLIENT_PORTAL },
        );
      }
      throw e;
    }
    if (r.status === 401 || (r.error !== null && /no bridge/i.test(r.error))) {
      // Refused before anything was placed: the session is gone, the supervisor looks at it now.
      this.supervisor.poke();
      if (this.supervisor.currentState !== ClientPortalState.AUTHENTICATED) throw this.supervisor.notReady();
      throw new AppError(
        ErrorCode.SESSION_NOT_READY,
        `The Client Portal session is not open (${r.error ?? "HTTP 401"}); nothing was sent. It is being restored.`,
        { api: BrokerApi.CLIENT_PORTAL, state: ClientPortalState.EXPIRED },
      );
    }
    return r;
  }

  private orderBody(request: OrderRequest, contract: Contract, withCoid: boolean): Json {
    const body: Json = {
      acctId: request.accountId,
      conid: contract.conid,
      secType: `${contract.conid}:${contract.secType}`,
      orderType: cpOrderType(request.type),
      side: request.side,
      quantity: request.quantity,
      tif: request.timeInForce,
      outsideRTH: false,
    };
    if (withCoid && request.clientOrderId) body.cOID = request.clientOrderId;
    if (contract.exchange && contract.exchange !== "SMART") body.listingExchange = contract.exchange;
    if (contract.symbol) body.ticker = contract.symbol;
    switch (request.type) {
      case OrderType.LIMIT:
        body.price = request.limitPrice;
        break;
      case OrderType.STOP:
        body.price = request.stopPrice;
        break;
      case OrderType.STOP_LIMIT:
        body.price = request.limitPrice;
        body.auxPrice = request.stopPrice;
        break;
      default:
        break;
    }
    return body;
  }

  /**
   * The id Client Portal knows an order by: IB's permId. An order placed through TWS carries TWS's own order
   * id as brokerOrderId, which means nothing to Client Portal.
   */
  private brokerIdOf(order: Order): string {
    if (order.permId) return order.permId;
    if (order.source === BrokerApi.CLIENT_PORTAL && order.brokerOrderId) return order.brokerOrderId;
    return order.id;
  }

  /** confirmOrder(…, false): IB discarded the order; nothing exists at IB under this request. */
  private declinedOrder(replyId: string, request: OrderRequest, contract: Contract): Order {
    return this.orderOf(request, contract, {
      id: `declined-${replyId.replace(/[^0-9A-Za-z_-]/g, "").slice(0, 50)}`,
      status: OrderStatus.CANCELLED,
      remainingQuantity: 0,
      permId: null,
      brokerOrderId: null,
      statusMessage: "Declined with confirmOrder(confirmed: false); nothing was placed at IB.",
    });
  }

  /** An order as this adapter's request describes it, before any fill: what differs is IB's answer. */
  private orderOf(
    request: OrderRequest,
    contract: Contract,
    answer: Pick<Order, "id" | "status" | "remainingQuantity" | "permId" | "brokerOrderId" | "statusMessage">,
  ): Order {
    const now = new Date(this.clock.now());
    return {
      clientOrderId: request.clientOrderId,
      accountId: request.accountId,
      contract,
      side: request.side,
      type: request.type,
      quantity: request.quantity,
      limitPrice: request.limitPrice,
      stopPrice: request.stopPrice,
      timeInForce: request.timeInForce,
      filledQuantity: 0,
      averageFillPrice: null,
      source: BrokerApi.CLIENT_PORTAL,
      createdAt: now,
      updatedAt: now,
      ...answer,
    };
  }

  // ---- read helpers ----

  private async call(what: string, fn: () => Promise<CpResult>): Promise<CpResult> {
    try {
      return await fn();
    } catch (e) {
      throw this.readFailure(what, e);
    }
  }

  private async readJson(what: string, fn: () => Promise<CpResult>): Promise<CpResult> {
    const r = await this.call(what, fn);
    this.expectOk(what, r);
    return r;
  }

  private expectOk(what: string, r: CpResult): void {
    if (r.status === 200 && r.error === null) return;
    throw this.readFailure(what, r);
  }

  /** A read that failed, as the AppError a client can act on. */
  private readFailure(what: string, e: unknown): Error {
    if (isAppError(e)) return e;
    if (e instanceof CpTransportError) {
      this.supervisor.poke();
      return new AppError(ErrorCode.BROKER_UNAVAILABLE, `Client Portal ${what}: ${e.message}`, {
        api: BrokerApi.CLIENT_PORTAL,
        state: this.supervisor.currentState,
      });
    }
    if (isCpResult(e)) {
      if (e.status === 401 || (e.error !== null && /no bridge|not authenticated/i.test(e.error))) {
        this.supervisor.poke();
        return new AppError(
          ErrorCode.SESSION_NOT_READY,
          `The Client Portal session is not usable right now (${e.error ?? "HTTP 401"}); it is being checked.`,
          // The gateway said so before the supervisor noticed: never report AUTHENTICATED with this error.
          {
            api: BrokerApi.CLIENT_PORTAL,
            state:
              this.supervisor.currentState === ClientPortalState.AUTHENTICATED
                ? ClientPortalState.EXPIRED
                : this.supervisor.currentState,
          },
        );
      }
      return new AppError(
        ErrorCode.BROKER_UNAVAILABLE,
        `Client Portal ${what} failed: ${e.error ?? `HTTP ${e.status}`}`,
        {
          api: BrokerApi.CLIENT_PORTAL,
          httpStatus: e.status,
        },
      );
    }
    return e instanceof Error ? e : new Error(String(e));
  }
}

function isCpResult(v: unknown): v is CpResult {
  return isObject(v) && typeof v.status === "number" && "error" in v && "asOf" in v;
}

/** An IB order question (`[{id, message[], messageIds[]}]`), as our OrderConfirmation. */
function questionOf(json: unknown): OrderConfirmation | null {
  const row = Array.isArray(json) ? json[0] : json;
  if (!isObject(row)) return null;
  const replyId = str(row.id);
  if (!replyId || str(row.order_id) || !("message" in row || "messageIds" in row)) return null;
  const messages = arr(row.message).filter((m): m is string => typeof m === "string");
  if (typeof row.message === "string") messages.push(row.message);
  const messageIds = arr(row.messageIds).filter((m): m is string => typeof m === "string");
  return { replyId, messages, messageIds };
}
