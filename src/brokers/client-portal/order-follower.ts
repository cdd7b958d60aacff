import { TERMINAL_ORDER_STATUSES, OrderStatus } from "../../schema/enums";
import type { Order } from "../../schema/order.type";
import type { BrokerEventSink } from "../api-broker";
import type { ClientPortalClient, CpResult } from "./client-portal-client";
import type { Clock, TimerHandle } from "../../session/clock";
import { mapLiveOrder, mapTrade, orderStatusOf, type CpTrade } from "./cp-mapping";
import { arr, isObject, num, str } from "./cp-parse";
import { RequestPriority } from "./request-scheduler";

export interface OrderFollowerOptions {
  client: ClientPortalClient;
  sink: Pick<BrokerEventSink, "order">;
  clock: Clock;
  /** Whether the brokerage session is usable now. */
  isReady(): boolean;
  /** Poll period while orders are working or were touched recently (IB allows 1 per 5 s). */
  activePollMs: number;
  /** Poll period otherwise, to notice orders placed elsewhere (IB's website, another client). */
  backgroundPollMs: number;
  /** How long after a placement, modification or cancel polling stays fast. */
  activeWindowMs: number;
  /** Maps a transport or HTTP failure of a read to an AppError. */
  failure(what: string, e: unknown): Error;
}

const MAX_REMEMBERED = 10_000;

/**
 * Follows Client Portal orders by polling live orders and trades within IB's 1-per-5-s limits, fast only
 * while something is happening, and reports every change (and every execution, by id) to the sink. The
 * broker service's OrderTracker turns repeats into nothing, so reporting is allowed to be generous.
 */
export class OrderFollower {
  private readonly latest = new Map<string, Order>();
  private readonly reported = new Map<string, string>();
  private readonly executions = new Set<string>();
  private readonly firstSeen = new Map<string, Date>();
  /** Orders this adapter placed or changed itself: what the first poll of a session shows of them is live. */
  private readonly local = new Set<string>();
  /**
   * Orders whose filled quantity grew beyond the executions reported so far, with the rounds left to find
   * them: trades are asked for until every fill seen in the orders list has its execution.
   */
  private readonly awaitingFills = new Map<string, number>();
  private readonly executedByOrder = new Map<string, number>();
  private warmEpoch = -1;
  private observedEpoch = -1;
  private lastActivity = 0;
  private timer: TimerHandle | undefined;
  private nextAt = Infinity;
  private polling: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly o: OrderFollowerOptions) {}

  start(): void {
    this.stopped = false;
    this.scheduleIn(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.nextAt = Infinity;
  }

  /** Something was just done to an order: follow closely for a while, starting now. */
  kick(): void {
    this.lastActivity = this.o.clock.now();
    this.scheduleIn(0);
  }

  /** An order the adapter itself just placed or changed; the service reports it, the poll reports changes. */
  note(order: Order): void {
    if (!this.firstSeen.has(order.id)) this.firstSeen.set(order.id, order.createdAt);
    this.local.add(order.id);
    this.latest.set(order.id, order);
    this.reported.set(order.id, fingerprint(order));
  }

  /**
   * Order rows pushed by the WebSocket's `sor` topic: whole live orders first, then partial updates keyed by
   * `orderId` (status, filled and remaining quantity, average price). A change is reported at once; a fill
   * also makes the next poll fetch its execution, and polling stays the fallback when the socket is down.
   */
  streamed(rows: readonly unknown[]): void {
    let filled = false;
    for (const raw of rows) {
      if (!isObject(raw)) continue;
      const id = str(raw.orderId ?? raw.order_id);
      if (id === null) continue;
      const prev = this.latest.get(id);
      let order: Order | null;
      if (prev) {
        const filledQuantity = num(raw.filledQuantity) ?? prev.filledQuantity;
        const remainingQuantity = num(raw.remainingQuantity) ?? prev.remainingQuantity;
        const avg = num(raw.avgPrice);
        order = {
          ...prev,
          status: streamedStatus(prev.status, raw.status, filledQuantity, remainingQuantity),
          filledQuantity,
          remainingQuantity,
          averageFillPrice: filledQuantity > 0 ? (avg ?? prev.averageFillPrice) : prev.averageFillPrice,
          updatedAt: new Date(this.o.clock.now()),
        };
      } else {
        // A partial row of an order not seen yet carries too little; the poll this triggers brings it whole.
        order =
          raw.conid !== undefined && raw.side !== undefined ? mapLiveOrder(raw, this.firstSeenOf) : null;
        if (!order) {
          this.kick();
          continue;
        }
      }
      if (order.filledQuantity > (prev?.filledQuantity ?? 0)) {
        this.awaitingFills.set(order.id, MAX_FILL_ROUNDS);
        filled = true;
      }
      this.latest.set(order.id, order);
      const fp = fingerprint(order);
      if (this.reported.get(order.id) !== fp) {
        this.reported.set(order.id, fp);
        this.o.sink.order({ order });
      }
    }
    if (filled) this.kick();
  }

  known(): Order[] {
    return [...this.latest.values()];
  }

  firstSeenOf = (id: string): Date => {
    let at = this.firstSeen.get(id);
    if (!at) {
      at = new Date(this.o.clock.now());
      this.firstSeen.set(id, at);
    }
    return at;
  };

  /**
   * The live orders. The first call of a brokerage session (and any `force`) only starts IB's order
   * subscription and answers an empty list; that warm-up is redone here, invisible to callers.
   */
  async liveOrders(
    options: { fresh?: boolean; priority?: RequestPriority } = {},
  ): Promise<{ orders: Order[]; asOf: Date }> {
    const call = (fresh: boolean) =>
      this.o.client.get("/iserver/account/orders", {
        priority: options.priority ?? RequestPriority.READ,
        fresh,
        // Long enough to wait out IB's 5 s window once.
        deadlineMs: 15_000,
      });
    let r = await this.read("live orders", () => call(options.fresh ?? false));
    const epoch = this.o.client.sessionEpoch;
    if (
      isWarmUp(r.json) ||
      (this.warmEpoch !== epoch &&
        isObject(r.json) &&
        r.json.snapshot !== true &&
        arr(r.json.orders).length === 0)
    ) {
      this.warmEpoch = epoch;
      r = await this.read("live orders", () => call(true));
    }
    this.warmEpoch = epoch;
    const list = isObject(r.json) ? arr(r.json.orders) : arr(r.json);
    const orders = list.flatMap((raw) => {
      const order = isObject(raw) ? mapLiveOrder(raw, this.firstSeenOf) : null;
      return order ? [order] : [];
    });
    return { orders, asOf: r.asOf };
  }

  async trades(options: { fresh?: boolean; priority?: RequestPriority } = {}): Promise<CpTrade[]> {
    const r = await this.read("trades", () =>
      this.o.client.get("/iserver/account/trades", {
        priority: options.priority ?? RequestPriority.READ,
        fresh: options.fresh,
        deadlineMs: 15_000,
      }),
    );
    return arr(r.json).flatMap((raw) => {
      const t = isObject(raw) ? mapTrade(raw) : null;
      return t ? [t] : [];
    });
  }

  /** One round: report changed orders, then new executions when fills moved or orders are working. */
  poll(): Promise<void> {
    if (this.polling) return this.polling;
    this.polling = this.pollOnce().finally(() => {
      this.polling = null;
      this.scheduleIn(this.nextDelay());
    });
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    if (this.stopped || !this.o.isReady()) return;
    const epoch = this.o.client.sessionEpoch;
    // The first round of a session reports what happened while nobody was looking (start, re-login).
    const firstRound = epoch !== this.observedEpoch;
    const catchUpOf = (id: string) => firstRound && !this.local.has(id);
    // Fresh reads: a cached answer could predate a fill this round is meant to see. The scheduler still paces.
    const { orders } = await this.liveOrders({ priority: RequestPriority.BACKGROUND, fresh: true });
    for (const order of orders) {
      const prev = this.latest.get(order.id);
      if (order.filledQuantity > (prev?.filledQuantity ?? 0))
        this.awaitingFills.set(order.id, MAX_FILL_ROUNDS);
      this.latest.set(order.id, order);
      const fp = fingerprint(order);
      if (this.reported.get(order.id) !== fp) {
        this.reported.set(order.id, fp);
        this.o.sink.order({ order, catchUp: catchUpOf(order.id) });
      }
    }
    if (this.awaitingFills.size > 0 || firstRound || this.working()) {
      const trades = await this.trades({ priority: RequestPriority.BACKGROUND, fresh: true });
      // A combo's trades are its legs' (leg units): each counts as its share of the combos it fills.
      const units = (t: CpTrade): number => comboUnits(this.latest.get(t.orderId), t) ?? t.fill.quantity;
      const filledByOrder = new Map<string, number>();
      for (const t of trades) filledByOrder.set(t.orderId, (filledByOrder.get(t.orderId) ?? 0) + units(t));
      // Oldest first, so a later execution is never reported before an earlier one of the same order.
      const cumulative = new Map<string, number>();
      for (const t of [...trades].sort((a, b) => a.fill.at.getTime() - b.fill.at.getTime())) {
        const upToHere = (cumulative.get(t.orderId) ?? 0) + units(t);
        cumulative.set(t.orderId, upToHere);
        if (this.executions.has(t.fill.executionId)) continue;
        const order = this.latest.get(t.orderId);
        if (!order) continue;
        this.executions.add(t.fill.executionId);
        const executedTotal = filledByOrder.get(t.orderId) ?? 0;
        const current = withFills(order, executedTotal);
        this.executedByOrder.set(t.orderId, (this.executedByOrder.get(t.orderId) ?? 0) + units(t));
        const leg = order.legs?.find((l) => l.contract.conid === t.conid);
        this.o.sink.order({
          // Executions after this one are not part of it (older ones may be past IB's trades window).
          order: atFill(current, current.filledQuantity - (executedTotal - upToHere)),
          // A combo's execution is one leg's: it carries the leg's contract and side.
          fill: leg ? { ...t.fill, contract: leg.contract, side: t.side } : t.fill,
          catchUp: catchUpOf(t.orderId),
        });
      }
      for (const [id, rounds] of this.awaitingFills) {
        const filled = this.latest.get(id)?.filledQuantity ?? 0;
        // Executions older than IB's trades window never show up: give up after a few rounds.
        if ((this.executedByOrder.get(id) ?? 0) >= filled || rounds <= 1) this.awaitingFills.delete(id);
        else this.awaitingFills.set(id, rounds - 1);
      }
    }
    this.observedEpoch = epoch;
    this.forgetFinished();
  }

  /**
   * Keeps a server that runs for weeks bounded: past MAX_REMEMBERED orders, the oldest finished ones are
   * forgotten (never a working one), and execution ids past MAX_REMEMBERED * 5, oldest first. The
   * OrderTracker keeps its own week of history, so a late report of a forgotten order repeats no event.
   */
  private forgetFinished(): void {
    if (this.latest.size > MAX_REMEMBERED) {
      for (const [id, order] of this.latest) {
        if (this.latest.size <= MAX_REMEMBERED * 0.9) break;
        if (!TERMINAL_ORDER_STATUSES.has(order.status) || this.awaitingFills.has(id)) continue;
        for (const m of [this.latest, this.reported, this.firstSeen, this.executedByOrder]) m.delete(id);
        this.local.delete(id);
      }
    }
    for (const id of this.executions) {
      if (this.executions.size <= MAX_REMEMBERED * 5) break;
      this.executions.delete(id);
    }
  }

  private working(): boolean {
    for (const o of this.latest.values()) if (!TERMINAL_ORDER_STATUSES.has(o.status)) return true;
    return false;
  }

  private nextDelay(): number {
    const active =
      this.working() ||
      this.awaitingFills.size > 0 ||
      this.o.clock.now() - this.lastActivity < this.o.activeWindowMs;
    return active ? this.o.activePollMs : this.o.backgroundPollMs;
  }

  private scheduleIn(ms: number): void {
    if (this.stopped) return;
    const at = this.o.clock.now() + ms;
    if (this.timer !== undefined && at >= this.nextAt) return;
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    this.nextAt = at;
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined;
      this.nextAt = Infinity;
      // A failed poll is retried on the next round; the session supervisor reports why.
      void this.poll().catch(() => undefined);
    }, ms);
  }

  private async read(what: string, call: () => Promise<CpResult>): Promise<CpResult> {
    let r: CpResult;
    try {
      r = await call();
    } catch (e) {
      throw this.o.failure(what, e);
    }
    if (r.status !== 200 || r.error !== null) throw this.o.failure(what, r);
    return r;
  }
}

const MAX_FILL_ROUNDS = 10;

/** A pushed status, except that an order IB already acknowledged never goes back to PENDING_SUBMIT. */
function streamedStatus(prev: OrderStatus, raw: unknown, filled: number, remaining: number): OrderStatus {
  if (raw === undefined) return prev;
  const next = orderStatusOf(raw, filled, remaining);
  return next === OrderStatus.PENDING_SUBMIT && prev !== OrderStatus.PENDING_SUBMIT ? prev : next;
}

function isWarmUp(json: unknown): boolean {
  return isObject(json) && json.snapshot === false;
}

/** A combo leg's trade in combos: its quantity over the leg's ratio, shared among the legs; undefined otherwise. */
function comboUnits(order: Order | undefined, t: CpTrade): number | undefined {
  const legs = order?.legs;
  const leg = legs?.find((l) => l.contract.conid === t.conid);
  if (!legs || !leg) return undefined;
  return t.fill.quantity / leg.ratio / legs.length;
}

/** The order as it was right after an execution that brought it to `filled`: each fill reads as its own step. */
function atFill(order: Order, filled: number): Order {
  if (filled >= order.filledQuantity) return order;
  const remaining = Math.max(0, order.quantity - filled);
  return {
    ...order,
    filledQuantity: filled,
    remainingQuantity: remaining,
    status: remaining <= 0 ? OrderStatus.FILLED : OrderStatus.PARTIALLY_FILLED,
  };
}

function fingerprint(o: Order): string {
  return [
    o.status,
    o.filledQuantity,
    o.remainingQuantity,
    o.quantity,
    o.limitPrice,
    o.stopPrice,
    o.timeInForce,
    o.averageFillPrice,
  ].join("|");
}

/** The order as of its executions: a trade seen before the orders list caught up still completes the order. */
function withFills(order: Order, executed: number): Order {
  if (executed <= order.filledQuantity) return order;
  const filled = Math.min(executed, order.quantity);
  const remaining = Math.max(0, order.quantity - filled);
  return {
    ...order,
    filledQuantity: filled,
    remainingQuantity: remaining,
    status: remaining <= 0 ? OrderStatus.FILLED : OrderStatus.PARTIALLY_FILLED,
  };
}
