/**
 * Client Portal orders: place, confirm, modify and cancel, and the orders as IB lists them. IB may answer an
 * order request with a question; one loop answers the auto-confirmed ones, and an unanswered placement
 * question keeps the gateway to itself until confirmOrder, because IB forgets a question as soon as any
 * other request reaches the gateway.
 */
import type { Logger } from "pino";
import type { Contract } from "../../schema/contract.type";
import { BrokerApi, OrderStatus, TERMINAL_ORDER_STATUSES } from "../../schema/enums";
import type { ModifyOrderInput } from "../../schema/order.input";
import type { Order, OrderConfirmation, OrderPreview } from "../../schema/order.type";
import type { TimerHandle } from "../../session/clock";
import type { BrokerEventSink, OrderRequest, PlaceOutcome } from "../api-broker";
import { requestAfterModify } from "../order-validation";
import type { CpResult } from "./client-portal-client";
import type { CpConnection } from "./cp-connection";
import type { CpContracts } from "./cp-contracts";
import {
  confirmationGoneError,
  readOnlyError,
  unconfirmedModificationError,
  type CpErrors,
} from "./cp-errors";
import { bracketChildren } from "../order-terms";
import {
  cpOrderBody,
  mapQuestion,
  mapWhatIf,
  orderFromTrades,
  orderOfRequest,
  orderStatusOf,
} from "./cp-mapping";
import { isObject, str } from "./cp-parse";
import type { CpResponse } from "./http-client";
import { OrderFollower } from "./order-follower";
import { RequestPriority, type ExclusiveLane } from "./request-scheduler";

export interface CpOrdersOptions {
  /**
   * IB question ids answered "yes" without asking the API client (IB_CP_AUTO_CONFIRM), e.g. `["o163", "o354"]`.
   * They are also sent to /iserver/questions/suppress when a brokerage session opens (see `suppressQuestions`).
   * @default []
   */
  autoConfirm?: readonly string[];
  /** Suppress the `autoConfirm` ids at IB for each new brokerage session. @default true */
  suppressQuestions?: boolean;
  /**
   * How long a question waiting for `confirmOrder` keeps the gateway to itself (IB forgets a question as soon
   * as any other request arrives). Other Client Portal requests wait meanwhile.
   * @default 15000
   */
  confirmationHoldMs?: number;
  /** How long a placement waits for another order flow to finish. @default 20000 */
  orderLaneWaitMs?: number;
  /** Order polling while orders work (IB: 1 per 5 s). @default 5500 */
  orderPollMs?: number;
  /** Order polling otherwise. @default 30000 */
  backgroundOrderPollMs?: number;
  /** How long after an order action polling stays fast. @default 60000 */
  orderActiveWindowMs?: number;
  logger?: Logger;
}

/** What the order flows run on. */
export interface CpOrdersDeps {
  connection: CpConnection;
  errors: CpErrors;
  contracts: CpContracts;
  sink: Pick<BrokerEventSink, "order">;
}

interface PendingReply {
  lane: ExclusiveLane<CpResponse>;
  timer: TimerHandle;
  /** What to build once IB accepts. */
  request: OrderRequest;
  contract: Contract;
}

const MAX_REPLY_ROUNDS = 10;
/** Expired reply ids remembered, to tell "expired" from "never existed". */
const MAX_EXPIRED_REMEMBERED = 1_000;

export class CpOrders {
  private readonly connection: CpConnection;
  private readonly errors: CpErrors;
  private readonly contracts: CpContracts;
  private readonly follower: OrderFollower;
  private readonly autoConfirm: ReadonlySet<string>;
  private readonly suppress: boolean;
  private readonly holdMs: number;
  private readonly laneWaitMs: number;
  private readonly log?: Logger;
  private readonly pending = new Map<string, PendingReply>();
  private readonly expiredReplies = new Set<string>();

  constructor(options: CpOrdersOptions, deps: CpOrdersDeps) {
    this.connection = deps.connection;
    this.errors = deps.errors;
    this.contracts = deps.contracts;
    this.autoConfirm = new Set(options.autoConfirm ?? []);
    this.suppress = options.suppressQuestions ?? true;
    this.holdMs = options.confirmationHoldMs ?? 15_000;
    this.laneWaitMs = options.orderLaneWaitMs ?? 20_000;
    this.log = options.logger;
    this.follower = new OrderFollower({
      client: this.connection.client,
      sink: deps.sink,
      clock: this.connection.clock,
      isReady: () => this.connection.isReady() && !this.connection.readOnly,
      activePollMs: options.orderPollMs ?? 5_500,
      backgroundPollMs: options.backgroundOrderPollMs ?? 30_000,
      activeWindowMs: options.orderActiveWindowMs ?? 60_000,
      failure: (what, e) => this.errors.readFailure(what, e),
    });
  }

  /** Starts following orders (never for read-only users: they have none). */
  start(): void {
    if (!this.connection.readOnly) this.follower.start();
  }

  /** Stops following and gives the gateway back from every held question. */
  stop(): void {
    this.follower.stop();
    for (const p of this.pending.values()) {
      this.connection.clock.clearTimeout(p.timer);
      p.lane.release();
    }
    this.pending.clear();
  }

  /** A new brokerage session: suppress the auto-confirmed questions at IB, then look at the orders. */
  async sessionOpened(): Promise<void> {
    const ids = [...this.autoConfirm];
    if (ids.length > 0 && this.suppress) {
      const r = await this.connection.client.post(
        "/iserver/questions/suppress",
        { messageIds: ids.slice(0, 51) },
        { priority: RequestPriority.SESSION },
      );
      if (r.error) this.log?.warn({ error: r.error }, "client portal: suppressing questions failed");
    }
    this.follower.kick();
  }

  /** Order rows the WebSocket's `sor` topic pushed. */
  streamed(rows: readonly unknown[]): void {
    this.follower.streamed(rows);
  }

  isConfirmationPending(replyId: string): boolean {
    return this.pending.has(replyId);
  }

  // ---- reads ----

  async listOrders(): Promise<Order[]> {
    this.connection.assertReady();
    if (this.connection.readOnly) return [];
    await this.connection.sessionSetUp();
    const { orders } = await this.follower.liveOrders();
    return orders;
  }

  async findByClientOrderId(clientOrderId: string): Promise<Order | null> {
    this.connection.assertReady();
    if (this.connection.readOnly) return null;
    const known = this.follower.known().find((o) => o.clientOrderId === clientOrderId);
    if (known) return known;
    const fresh = { fresh: true, priority: RequestPriority.ORDER };
    const { orders } = await this.follower.liveOrders(fresh);
    const live = orders.find((o) => o.clientOrderId === clientOrderId);
    if (live) return live;
    // Filled and gone from the live list: rebuild what the executions tell.
    const trades = (await this.follower.trades(fresh)).filter((t) => t.clientOrderId === clientOrderId);
    const conid = trades[0]?.conid ?? 0;
    return orderFromTrades(clientOrderId, trades, this.contracts.cached(conid));
  }

  // ---- order flows ----

  async placeOrder(request: OrderRequest, contract: Contract): Promise<PlaceOutcome> {
    this.assertWritable();
    await this.connection.sessionSetUp();
    await this.primeIserver();
    const lane = await this.connection.client.acquireExclusive(this.laneWaitMs);
    return this.inOrderFlow(lane, request, contract, async () => {
      const path = `/iserver/account/${encodeURIComponent(request.accountId)}/orders`;
      // A bracket is one request: the exits name the entry's cOID as parentId (and carry cOIDs of their own,
      // `<key>.tp` / `<key>.sl`, so they can be found by key like the entry).
      const children = bracketChildren(request).map((c) => ({
        ...cpOrderBody(c.request, contract, true),
        parentId: request.clientOrderId,
      }));
      const body = { orders: [cpOrderBody(request, contract, true), ...children] };
      const r = await this.errors.send("placement", () =>
        this.connection.client.post(path, body, { lane, priority: RequestPriority.ORDER }),
      );
      return this.placementOutcome(lane, r, request, contract);
    });
  }

  /**
   * IB's what-if (`/orders/whatif`): the placement body, answered with amounts IB writes as strings with
   * thousands separators. Not a write: allowed for a read-only IB user, and no cOID is sent.
   */
  async previewOrder(request: OrderRequest, contract: Contract): Promise<OrderPreview> {
    await this.connection.sessionSetUp();
    await this.primeIserver();
    const path = `/iserver/account/${encodeURIComponent(request.accountId)}/orders/whatif`;
    const body = { orders: [cpOrderBody(request, contract, false)] };
    const r = await this.errors.send("what-if", () =>
      this.connection.client.post(path, body, { priority: RequestPriority.ORDER }),
    );
    if (r.error !== null || r.status !== 200) throw this.errors.notAccepted(r, "what-if", null);
    return mapWhatIf(r.json);
  }

  async confirmOrder(replyId: string, confirmed: boolean): Promise<PlaceOutcome> {
    this.assertWritable();
    const pending = this.pending.get(replyId);
    if (!pending) throw confirmationGoneError(replyId, this.expiredReplies.has(replyId), this.holdMs);
    this.pending.delete(replyId);
    this.connection.clock.clearTimeout(pending.timer);
    const { lane, request, contract } = pending;
    return this.inOrderFlow(lane, request, contract, async () => {
      const r = await this.reply(lane, replyId, confirmed, "confirmation");
      if (!confirmed) return { order: this.declinedOrder(replyId, request, contract) };
      return this.placementOutcome(lane, r, request, contract);
    });
  }

  async modifyOrder(order: Order, changes: ModifyOrderInput): Promise<Order> {
    this.assertWritable();
    await this.primeIserver();
    const request = requestAfterModify(order, changes);
    const lane = await this.connection.client.acquireExclusive(this.laneWaitMs);
    try {
      const path = `/iserver/account/${encodeURIComponent(order.accountId)}/order/${encodeURIComponent(brokerIdOf(order))}`;
      // IB wants the whole order again, with the changed fields, as a single object.
      const body = cpOrderBody(request, order.contract, false);
      const first = await this.errors.send("modification", () =>
        this.connection.client.post(path, body, { lane, priority: RequestPriority.ORDER }),
      );
      const { answer, question } = await this.answerAutoConfirmed(lane, first, "modification", request);
      if (question) {
        // No client round trip for a modification: decline at IB, so nothing is left half-sent.
        await this.reply(lane, question.replyId, false, "modification");
        throw unconfirmedModificationError(question, order.id);
      }
      const accepted = this.acceptedOf(answer, "modification", order.id);
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
        updatedAt: new Date(this.connection.clock.now()),
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
    const path = `/iserver/account/${encodeURIComponent(order.accountId)}/order/${encodeURIComponent(brokerIdOf(order))}`;
    try {
      const r = await this.errors.send("cancel", () =>
        this.connection.client.delete(path, { priority: RequestPriority.ORDER }),
      );
      const refused = this.errors.cancelRefused(r, order.id);
      if (refused) throw refused;
      // "Request was submitted" is not "cancelled": the poll reports CANCELLED when IB confirms.
      const updated: Order = TERMINAL_ORDER_STATUSES.has(order.status)
        ? order
        : { ...order, status: OrderStatus.PENDING_CANCEL, updatedAt: new Date(this.connection.clock.now()) };
      this.follower.note(updated);
      return updated;
    } finally {
      this.follower.kick();
    }
  }

  // ---- helpers ----

  private assertWritable(): void {
    if (this.connection.readOnly) throw readOnlyError();
    this.connection.assertReady();
  }

  private async primeIserver(): Promise<void> {
    await this.connection.client.primeIserver().catch((e: unknown) => {
      throw this.errors.readFailure("accounts", e);
    });
  }

  /**
   * Runs one step of a placement on its exclusive lane. A step that ends in a question keeps the lane until
   * confirmOrder or the hold expires; any other end releases it.
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

  private holdForConfirmation(
    replyId: string,
    lane: ExclusiveLane<CpResponse>,
    request: OrderRequest,
    contract: Contract,
  ): void {
    const timer = this.connection.clock.setTimeout(() => {
      const p = this.pending.get(replyId);
      if (!p) return;
      this.pending.delete(replyId);
      this.expiredReplies.add(replyId);
      if (this.expiredReplies.size > MAX_EXPIRED_REMEMBERED)
        this.expiredReplies.delete(this.expiredReplies.values().next().value!);
      p.lane.release();
      this.log?.info(
        { replyId, clientOrderId: request.clientOrderId },
        "client portal order question expired unanswered",
      );
    }, this.holdMs);
    this.pending.set(replyId, { lane, timer, request, contract });
  }

  /** A placement's (or confirmation's) answer: a question for the API client, or the order IB accepted. */
  private async placementOutcome(
    lane: ExclusiveLane<CpResponse>,
    first: CpResult,
    request: OrderRequest,
    contract: Contract,
  ): Promise<PlaceOutcome> {
    const { answer, question } = await this.answerAutoConfirmed(lane, first, "confirmation", request);
    if (question) return { confirmation: question };
    const accepted = this.acceptedOf(answer, "placement", null);
    const order = orderOfRequest(
      request,
      contract,
      {
        id: accepted.orderId,
        status: orderStatusOf(accepted.status ?? "PendingSubmit", 0, request.quantity),
        remainingQuantity: request.quantity,
        permId: accepted.orderId,
        brokerOrderId: accepted.orderId,
        statusMessage: null,
      },
      new Date(this.connection.clock.now()),
    );
    this.follower.note(order);
    return { order };
  }

  /**
   * IB's question loop: answers "yes" to each question whose ids are all auto-confirmed, and stops at the
   * first other question, unanswered. `answer` is IB's last answer.
   */
  private async answerAutoConfirmed(
    lane: ExclusiveLane<CpResponse>,
    first: CpResult,
    what: string,
    request: OrderRequest,
  ): Promise<{ answer: CpResult; question: OrderConfirmation | null }> {
    let answer = first;
    for (let round = 0; round < MAX_REPLY_ROUNDS; round++) {
      const question = mapQuestion(answer.json);
      if (!question) break;
      const auto =
        question.messageIds.length > 0 && question.messageIds.every((id) => this.autoConfirm.has(id));
      if (!auto) return { answer, question };
      this.log?.info(
        { messageIds: question.messageIds, clientOrderId: request.clientOrderId },
        "client portal question auto-confirmed",
      );
      answer = await this.reply(lane, question.replyId, true, what);
    }
    return { answer, question: null };
  }

  private reply(
    lane: ExclusiveLane<CpResponse>,
    replyId: string,
    confirmed: boolean,
    what: string,
  ): Promise<CpResult> {
    return this.errors.send(what, () =>
      this.connection.client.post(
        `/iserver/reply/${encodeURIComponent(replyId)}`,
        { confirmed },
        { lane, priority: RequestPriority.ORDER },
      ),
    );
  }

  /** The `order_id` of an accepted placement/modification, or the AppError that says why there is none. */
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
    throw this.errors.notAccepted(r, what, orderId);
  }

  /** confirmOrder(…, false): IB discarded the order; nothing exists at IB under this request. */
  private declinedOrder(replyId: string, request: OrderRequest, contract: Contract): Order {
    return orderOfRequest(
      request,
      contract,
      {
        id: `declined-${replyId.replace(/[^0-9A-Za-z_-]/g, "").slice(0, 50)}`,
        status: OrderStatus.CANCELLED,
        remainingQuantity: 0,
        permId: null,
        brokerOrderId: null,
        statusMessage: "Declined with confirmOrder(confirmed: false); nothing was placed at IB.",
      },
      new Date(this.connection.clock.now()),
    );
  }
}

/**
 * The id Client Portal knows an order by: IB's permId. An order placed through TWS carries TWS's own order
 * id as brokerOrderId, which means nothing to Client Portal.
 */
function brokerIdOf(order: Order): string {
  if (order.permId) return order.permId;
  if (order.source === BrokerApi.CLIENT_PORTAL && order.brokerOrderId) return order.brokerOrderId;
  return order.id;
}
