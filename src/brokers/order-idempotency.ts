import type { Logger } from "pino";
import { AppError, ErrorCode, isAppError } from "../errors";
import type { BrokerApi } from "../schema/enums";
import type { Contract } from "../schema/contract.type";
import type { Order, PlaceOrderPayload } from "../schema/order.type";
import type { ApiBroker, ClientPortalBroker, PlaceOutcome } from "./api-broker";
import { fingerprintOf, KeyedMutex, type IdempotencyRecord, type IdempotencyStore } from "./idempotency";
import type { OrderRequest } from "./order-terms";
import type { OrderTracker } from "./order-tracker";

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

/** Codes that say what happened to a placement; anything else is reported as OUTCOME_UNKNOWN. */
const ANSWERED: ReadonlySet<string> = new Set([
  ...NOTHING_SENT,
  ErrorCode.ORDER_REJECTED,
  ErrorCode.OUTCOME_UNKNOWN,
]);

type Base = Pick<IdempotencyRecord, "clientOrderId" | "fingerprint" | "api" | "accountId">;

export interface OrderIdempotencyOptions {
  store: IdempotencyStore;
  tracker: OrderTracker;
  logger: Logger;
  side(api: BrokerApi): ApiBroker | undefined;
  clientPortal(): ClientPortalBroker | undefined;
  /** The order with this id, tracked or read from IB. */
  findOrder(id: string): Promise<Order | null>;
  now?: () => number;
}

/**
 * One clientOrderId places at most one order: every placement and confirmation runs under its key's lock,
 * is recorded before it is sent, and a key seen before is replayed or reconciled against IB, never resent
 * blindly.
 */
export class OrderIdempotency {
  private readonly mutex = new KeyedMutex();
  /** Client Portal question → the key that asked it, for this process's lifetime. */
  private readonly replyOwners = new Map<string, string>();
  private readonly store: IdempotencyStore;
  private readonly now: () => number;

  constructor(private readonly o: OrderIdempotencyOptions) {
    this.store = o.store;
    this.now = o.now ?? Date.now;
  }

  /** The API this server placed the key's order through, if it did. */
  placedVia(clientOrderId: string): BrokerApi | undefined {
    return this.store.get(clientOrderId)?.api;
  }

  /** Logs every key the store found damaged (error level: each one blocks a key until it expires). */
  reportCorrupt(): void {
    for (const clientOrderId of this.store.damagedKeys?.() ?? []) {
      this.o.logger.error(
        { clientOrderId },
        "idempotency store: unreadable record; this clientOrderId is blocked (IDEMPOTENCY_CONFLICT)",
      );
    }
  }

  /**
   * Places `request` through `api` once per key. `beforeSend` runs after the contract is resolved and before
   * anything is recorded or sent (the per-order limits); a refusal there leaves the key unused.
   */
  place(
    api: ApiBroker,
    request: OrderRequest,
    beforeSend: (contract: Contract) => Promise<void>,
  ): Promise<PlaceOrderPayload> {
    return this.mutex.run(request.clientOrderId, () => this.placeOnce(api, request, beforeSend));
  }

  /** Answers a Client Portal question under the lock of the key that asked it. */
  confirm(cp: ClientPortalBroker, replyId: string, confirmed: boolean): Promise<PlaceOrderPayload> {
    const owner = this.replyOwners.get(replyId);
    // Under the key's lock: a placeOrder retry with the same clientOrderId must not find the question
    // gone (the adapter drops it before sending the answer) and place the order a second time.
    const run = () => this.confirmOnce(cp, replyId, confirmed, owner);
    return owner ? this.mutex.run(owner, run) : run();
  }

  private async placeOnce(
    api: ApiBroker,
    request: OrderRequest,
    beforeSend: (contract: Contract) => Promise<void>,
  ): Promise<PlaceOrderPayload> {
    const fingerprint = fingerprintOf(request);
    const damaged = this.store.damaged?.(request.clientOrderId);
    if (damaged) {
      throw new AppError(
        ErrorCode.IDEMPOTENCY_CONFLICT,
        `The stored record of clientOrderId "${request.clientOrderId}" is unreadable, so whether it placed ` +
          "an order is unknown. It will not be used again: check the account's orders, then use a new clientOrderId.",
        { clientOrderId: request.clientOrderId, reason: "RECORD_UNREADABLE" },
      );
    }
    const existing = this.store.get(request.clientOrderId);
    if (existing) {
      if (existing.fingerprint !== fingerprint) {
        throw new AppError(
          ErrorCode.IDEMPOTENCY_CONFLICT,
          `clientOrderId "${request.clientOrderId}" was already used for a different order; use a new clientOrderId.`,
          { clientOrderId: request.clientOrderId, orderId: orderIdOf(existing) },
        );
      }
      const replay = await this.replay(existing);
      if (replay) return replay;
    }
    // A combo's legs were resolved by the service (combo-orders.ts); IB answers no contract details for a BAG.
    const contract = request.combo?.contract ?? (await api.resolveContract(request.contract));
    await beforeSend(contract);
    const base: Base = {
      clientOrderId: request.clientOrderId,
      fingerprint,
      api: api.api,
      accountId: request.accountId,
    };
    await this.store.put({ ...base, state: "PENDING", updatedAt: this.stamp() });
    let outcome: PlaceOutcome;
    try {
      outcome = await api.placeOrder(request, contract);
    } catch (e) {
      await this.recordFailure(base, e);
      if (!isAppError(e) || !ANSWERED.has(e.code)) {
        throw new AppError(
          ErrorCode.OUTCOME_UNKNOWN,
          "The connection failed while the order was being placed; it may or may not be at IB. It will not be " +
            "resent. Query `orders` or retry with the same clientOrderId to reconcile.",
          { clientOrderId: request.clientOrderId, cause: e instanceof Error ? e.message : String(e) },
        );
      }
      throw e;
    }
    return this.recordOutcome(base, outcome);
  }

  /** What a failed send leaves: a free key (nothing sent), a replayable rejection, or an unknown outcome. */
  private async recordFailure(base: Base, e: unknown): Promise<void> {
    if (isAppError(e) && NOTHING_SENT.has(e.code)) {
      await this.store.delete(base.clientOrderId);
    } else if (isAppError(e) && e.code === ErrorCode.ORDER_REJECTED) {
      const orderId = e.details.orderId;
      await this.store.put({
        ...base,
        state: "FAILED",
        errorCode: e.code,
        errorMessage: e.message,
        ...(typeof orderId === "string" ? { orderId } : {}),
        updatedAt: this.stamp(),
      });
    } else {
      await this.store.put({ ...base, state: "UNKNOWN", updatedAt: this.stamp() });
    }
  }

  private async recordOutcome(base: Base, outcome: PlaceOutcome): Promise<PlaceOrderPayload> {
    const updatedAt = this.stamp();
    if (outcome.order) {
      this.o.tracker.observe({ order: outcome.order });
      // Not awaited: the store answers from memory at once, and if the process dies before this reaches the
      // disk the key is still PENDING there, which a retry reconciles against IB (and finds the order).
      this.store
        .put({ ...base, state: "PLACED", orderId: outcome.order.id, updatedAt })
        .catch((e: unknown) =>
          this.o.logger.error({ err: e, clientOrderId: base.clientOrderId }, "idempotency write failed"),
        );
      return { order: this.o.tracker.get(outcome.order.id) ?? outcome.order, confirmation: null };
    }
    const c = outcome.confirmation;
    this.replyOwners.set(c.replyId, base.clientOrderId);
    await this.store.put({
      ...base,
      state: "CONFIRMATION",
      replyId: c.replyId,
      messages: c.messages,
      messageIds: c.messageIds,
      updatedAt,
    });
    return { order: null, confirmation: c };
  }

  /** The answer for a clientOrderId seen before, or null when it is known that nothing reached IB. */
  private async replay(rec: IdempotencyRecord): Promise<PlaceOrderPayload | null> {
    const api = this.o.side(rec.api);
    switch (rec.state) {
      case "PLACED": {
        const order =
          (await this.o.findOrder(rec.orderId)) || (await api?.findByClientOrderId(rec.clientOrderId));
        if (order) return { order, confirmation: null };
        throw new AppError(
          ErrorCode.OUTCOME_UNKNOWN,
          `Order for clientOrderId "${rec.clientOrderId}" was placed but cannot be read right now; retry shortly.`,
          { clientOrderId: rec.clientOrderId, orderId: rec.orderId },
        );
      }
      case "CONFIRMATION": {
        const cp = this.o.clientPortal();
        if (cp && !cp.isConfirmationPending(rec.replyId)) {
          // IB dropped the question unanswered, so nothing was placed: the key may place again.
          await this.store.delete(rec.clientOrderId);
          return null;
        }
        return {
          order: null,
          confirmation: { replyId: rec.replyId, messages: rec.messages, messageIds: rec.messageIds },
        };
      }
      case "FAILED":
        throw new AppError(rec.errorCode as ErrorCode, rec.errorMessage || "Order was rejected.", {
          clientOrderId: rec.clientOrderId,
          orderId: rec.orderId ?? null,
          replayed: true,
        });
      case "PENDING":
      case "UNKNOWN":
        return this.reconcile(rec, api);
    }
  }

  /** A key whose order may or may not be at IB: found there (now PLACED), or proven absent (null). */
  private async reconcile(
    rec: IdempotencyRecord,
    api: ApiBroker | undefined,
  ): Promise<PlaceOrderPayload | null> {
    if (!api?.isReady()) {
      throw new AppError(
        ErrorCode.OUTCOME_UNKNOWN,
        `The outcome of clientOrderId "${rec.clientOrderId}" is not known yet and ${rec.api} is not connected to reconcile it. It will not be resent; retry when the session is ready.`,
        { clientOrderId: rec.clientOrderId, api: rec.api },
      );
    }
    const found = await api.findByClientOrderId(rec.clientOrderId);
    if (!found && this.now() - Date.parse(rec.updatedAt) > RECONCILE_HORIZON_MS) {
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
      this.o.tracker.observe({ order: found });
      await this.store.put({ ...baseOf(rec), state: "PLACED", orderId: found.id, updatedAt: this.stamp() });
      return { order: found, confirmation: null };
    }
    this.o.logger.warn(
      { clientOrderId: rec.clientOrderId, api: rec.api },
      "reconciled: earlier placement never reached IB; placing now",
    );
    return null;
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
        await this.store.put({ ...baseOf(rec), state: "UNKNOWN", updatedAt: this.stamp() });
      }
      throw e;
    }
    this.replyOwners.delete(replyId);
    if (rec) {
      if (!confirmed) await this.store.delete(rec.clientOrderId);
      else return await this.recordOutcome(baseOf(rec), outcome);
    }
    // A declined question leaves no order at IB; the placeholder the adapter returns is not tracked.
    if (outcome.order && confirmed) this.o.tracker.observe({ order: outcome.order });
    return { order: outcome.order ?? null, confirmation: outcome.confirmation ?? null };
  }

  private stamp(): string {
    return new Date(this.now()).toISOString();
  }
}

function baseOf(rec: IdempotencyRecord): Base {
  return {
    clientOrderId: rec.clientOrderId,
    fingerprint: rec.fingerprint,
    api: rec.api,
    accountId: rec.accountId,
  };
}

function orderIdOf(rec: IdempotencyRecord): string | null {
  return "orderId" in rec ? (rec.orderId ?? null) : null;
}
