import { EventEmitter } from "node:events";
import {
  TERMINAL_SIM_STATUSES,
  type SimAccountValues,
  type SimBrokerageEvents,
  type SimChangeResult,
  type SimCommissionReport,
  type SimEventName,
  type SimExecution,
  type SimModifyRequest,
  type SimOrder,
  type SimOrderChange,
  type SimOrderRefStats,
  type SimOrderStatus,
  type SimPlaceOrderRequest,
  type SimPlaceResult,
  type SimPosition,
  type SimQuote,
  type SimReject,
  type SimRejectCode,
  type SimSide,
} from "./brokerage.types";
import {
  DEFAULT_INSTRUMENTS,
  matchInstrument,
  type InstrumentQuery,
  type SimInstrument,
} from "./instruments";
import { createPrng, gaussian, isOnTick, roundToTick } from "./price-process";

/** Commission schedule (IB Pro fixed-style). */
export interface SimCommissionSchedule {
  /** @default 0.005 */
  perShare: number;
  /** Minimum per order, stocks. @default 1 */
  minPerOrder: number;
  /** Cap per order as a fraction of trade value, stocks. @default 0.01 */
  maxFractionOfValue: number;
  /** @default 0.85 */
  perFutureContract: number;
  /** FX: fraction of trade value. @default 0.00002 */
  fxFractionOfValue: number;
  /** @default 2 */
  fxMinPerOrder: number;
}

export interface BrokerageOptions {
  /** Account ids. @default ["DU1234567"] */
  accounts?: readonly string[];
  /** @default "USD" */
  baseCurrency?: string;
  /** Starting cash per account. @default 1_000_000 */
  initialCash?: number;
  /** @default DEFAULT_INSTRUMENTS (AAPL, MSFT, SPY, ES, EUR.USD) */
  instruments?: readonly SimInstrument[];
  /** Seed of the price process. @default 42 */
  seed?: number;
  /** Auto-tick every N ms; 0 = prices only move through `setPrice`/`tick`. @default 0 */
  tickIntervalMs?: number;
  /** Relative standard deviation of one tick. @default 0.0005 */
  volatility?: number;
  /** Delay from placement (PendingSubmit) to acknowledgement (Submitted/PreSubmitted). @default 0 */
  ackDelayMs?: number;
  /** Delay from an order becoming executable to its first fill. @default 0 */
  fillDelayMs?: number;
  /** Split each fill sequence into this many executions. @default 1 */
  partialFills?: number;
  /** Delay between partial fills. @default 0 */
  partialFillIntervalMs?: number;
  /** Delay from PendingCancel to Cancelled. @default 0 */
  cancelDelayMs?: number;
  commission?: Partial<SimCommissionSchedule>;
  /** First permId handed out. @default 1_928_374_001 */
  permIdStart?: number;
  /** Clock, epoch ms. @default Date.now */
  now?: () => number;
}

export interface SimOrderFilter {
  account?: string;
  api?: "TWS" | "CP";
  /** Include Filled / Cancelled / Inactive orders. @default true */
  includeTerminal?: boolean;
}

/** The simulated brokerage: one book of accounts, orders, executions and positions seen by both simulators. */
export interface Brokerage {
  readonly baseCurrency: string;
  accounts(): string[];
  hasAccount(account: string): boolean;
  instruments(): SimInstrument[];
  findInstrument(query: InstrumentQuery): SimInstrument | undefined;
  /** Symbol or description prefix search, case-insensitive. */
  searchInstruments(text: string): SimInstrument[];

  quote(conid: number): SimQuote | undefined;
  /** Sets the last price (rounded to tick) and lets resting orders react. Throws for an unknown conid. */
  setPrice(conid: number, price: number): SimQuote;
  /** Moves every price one seeded random step. */
  tick(): void;
  startTicking(intervalMs: number): void;
  stopTicking(): void;

  placeOrder(request: SimPlaceOrderRequest): SimPlaceResult;
  modifyOrder(permId: number, changes: SimModifyRequest): SimChangeResult;
  cancelOrder(permId: number): SimChangeResult;
  /** Cancels every working order (TWS reqGlobalCancel); returns the orders now PendingCancel. */
  cancelAll(account?: string): SimOrder[];
  getOrder(permId: number): SimOrder | undefined;
  /** The most recent order with this orderRef / cOID. */
  findOrderByRef(orderRef: string): SimOrder | undefined;
  findOrderByTwsId(clientId: number, orderId: number): SimOrder | undefined;
  listOrders(filter?: SimOrderFilter): SimOrder[];
  orderRefStats(): SimOrderRefStats[];
  executions(filter?: { account?: string; sinceMs?: number }): SimExecution[];

  /** Open positions (quantity ≠ 0), optionally including today's closed ones. */
  positions(account?: string, options?: { includeClosed?: boolean }): SimPosition[];
  /** The open position, or undefined when flat. */
  position(account: string, conid: number): SimPosition | undefined;
  accountValues(account: string): SimAccountValues;

  on<K extends SimEventName>(event: K, listener: (payload: SimBrokerageEvents[K]) => void): () => void;
  /** Resolves once no acknowledgement, fill or cancel is pending and every queued event was delivered. */
  whenIdle(): Promise<void>;
  /** Back to the initial state: cash, prices, seed, no orders, executions or positions. */
  reset(): void;
  /** Stops timers (auto-tick, pending fills). The book stays readable. */
  close(): void;
}

const DEFAULT_COMMISSION: SimCommissionSchedule = {
  perShare: 0.005,
  minPerOrder: 1,
  maxFractionOfValue: 0.01,
  perFutureContract: 0.85,
  fxFractionOfValue: 0.00002,
  fxMinPerOrder: 2,
};

interface OrderState extends SimOrder {
  seq: number;
  fillCount: number;
  /** A fill sequence is scheduled. */
  filling: boolean;
  timers: Set<NodeJS.Timeout>;
}

interface PositionState {
  account: string;
  instrument: SimInstrument;
  quantity: number;
  avgPrice: number;
  realizedPnl: number;
}

const money = (x: number): number => Math.round(x * 1e6) / 1e6;
const sign = (side: SimSide): 1 | -1 => (side === "BUY" ? 1 : -1);

export function createBrokerage(options: BrokerageOptions = {}): Brokerage {
  const accountIds = [...(options.accounts ?? ["DU1234567"])];
  if (accountIds.length === 0) throw new Error("createBrokerage: at least one account is needed");
  const baseCurrency = options.baseCurrency ?? "USD";
  const initialCash = options.initialCash ?? 1_000_000;
  const instrumentList = (options.instruments ?? DEFAULT_INSTRUMENTS).map((i) => Object.freeze({ ...i }));
  const instrumentById = new Map(instrumentList.map((i) => [i.conid, i]));
  const seed = options.seed ?? 42;
  const volatility = options.volatility ?? 0.0005;
  const ackDelayMs = options.ackDelayMs ?? 0;
  const fillDelayMs = options.fillDelayMs ?? 0;
  const partialFills = Math.max(1, Math.floor(options.partialFills ?? 1));
  const partialFillIntervalMs = options.partialFillIntervalMs ?? 0;
  const cancelDelayMs = options.cancelDelayMs ?? 0;
  const commission: SimCommissionSchedule = { ...DEFAULT_COMMISSION, ...options.commission };
  const permIdStart = options.permIdStart ?? 1_928_374_001;
  const now = options.now ?? Date.now;

  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);

  let random = createPrng(seed);
  let quotes = new Map<number, SimQuote>();
  let cash = new Map<string, number>();
  let orders = new Map<number, OrderState>();
  let executionsList: SimExecution[] = [];
  let positionsMap = new Map<string, PositionState>();
  let refStats = new Map<string, SimOrderRefStats>();
  let nextPermId = permIdStart;
  let orderSeq = 0;
  const timers = new Set<NodeJS.Timeout>();
  let tickTimer: NodeJS.Timeout | undefined;

  // Events are queued and delivered on a later turn, in order: callers of placeOrder etc. get their answer
  // before any listener hears about it, as with the real gateways.
  const queue: { name: SimEventName; payload: unknown }[] = [];
  let flushScheduled = false;
  let idleWaiters: (() => void)[] = [];

  function initState(): void {
    random = createPrng(seed);
    const t = now();
    quotes = new Map(instrumentList.map((i) => [i.conid, makeQuote(i, i.initialPrice, i.initialPrice, t)]));
    cash = new Map(accountIds.map((a) => [a, initialCash]));
    orders = new Map();
    executionsList = [];
    positionsMap = new Map();
    refStats = new Map();
    nextPermId = permIdStart;
    orderSeq = 0;
  }

  function makeQuote(i: SimInstrument, last: number, close: number, time: number): SimQuote {
    return {
      conid: i.conid,
      last,
      bid: roundToTick(last - i.minTick, i.minTick),
      ask: roundToTick(last + i.minTick, i.minTick),
      close,
      time,
    };
  }

  function emit<K extends SimEventName>(name: K, payload: SimBrokerageEvents[K]): void {
    queue.push({ name, payload });
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  }

  function flush(): void {
    flushScheduled = false;
    while (queue.length > 0) {
      const item = queue.shift()!;
      for (const listener of emitter.listeners(item.name)) {
        try {
          (listener as (p: unknown) => void)(item.payload);
        } catch (err) {
          process.emitWarning(`simulated brokerage: a ${item.name} listener threw: ${String(err)}`);
        }
      }
    }
    checkIdle();
  }

  function checkIdle(): void {
    if (queue.length > 0 || flushScheduled || timers.size > 0 || idleWaiters.length === 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  }

  function schedule(delayMs: number, fn: () => void, owner?: OrderState): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      owner?.timers.delete(timer);
      fn();
      checkIdle();
    }, delayMs);
    timers.add(timer);
    owner?.timers.add(timer);
  }

  function snapshot(o: OrderState): SimOrder {
    return {
      permId: o.permId,
      account: o.account,
      instrument: o.instrument,
      side: o.side,
      orderType: o.orderType,
      quantity: o.quantity,
      limitPrice: o.limitPrice,
      stopPrice: o.stopPrice,
      tif: o.tif,
      outsideRth: o.outsideRth,
      orderRef: o.orderRef,
      api: o.api,
      twsClientId: o.twsClientId,
      twsOrderId: o.twsOrderId,
      status: o.status,
      triggered: o.triggered,
      filled: o.filled,
      remaining: o.remaining,
      avgFillPrice: o.avgFillPrice,
      lastFillPrice: o.lastFillPrice,
      commission: o.commission,
      statusMessage: o.statusMessage,
      createdAt: o.createdAt,
      updatedAt: o.updatedAt,
    };
  }

  function setStatus(o: OrderState, status: SimOrderStatus, change: SimOrderChange, message?: string): void {
    o.status = status;
    if (message !== undefined) o.statusMessage = message;
    o.updatedAt = now();
    emit("order", { order: snapshot(o), change });
  }

  function isWorking(o: OrderState): boolean {
    return o.status === "PreSubmitted" || o.status === "Submitted";
  }

  function lastPrice(conid: number): number {
    return quotes.get(conid)!.last;
  }

  // ---- accounts and margin ----

  function requirement(i: SimInstrument, quantity: number, price: number): number {
    if (i.secType === "FUT")
      return Math.abs(quantity) * (i.initialMarginPerContract ?? price * i.multiplier * 0.1);
    return Math.abs(quantity) * price * i.multiplier;
  }

  function computeAccount(account: string): SimAccountValues {
    let stockValue = 0;
    let gross = 0;
    let futuresUnrealized = 0;
    let unrealized = 0;
    let realized = 0;
    let margin = 0;
    for (const p of positionsMap.values()) {
      if (p.account !== account) continue;
      realized += p.realizedPnl;
      if (p.quantity === 0) continue;
      const mkt = lastPrice(p.instrument.conid);
      const upnl = (mkt - p.avgPrice) * p.quantity * p.instrument.multiplier;
      unrealized += upnl;
      margin += requirement(p.instrument, p.quantity, mkt);
      if (p.instrument.secType === "FUT") {
        futuresUnrealized += upnl;
      } else {
        const mv = p.quantity * mkt * p.instrument.multiplier;
        stockValue += mv;
        gross += Math.abs(mv);
      }
    }
    const c = cash.get(account) ?? 0;
    const netLiq = c + stockValue + futuresUnrealized;
    const available = netLiq - margin;
    return {
      account,
      currency: baseCurrency,
      cash: money(c),
      netLiquidation: money(netLiq),
      grossPositionValue: money(gross),
      stockMarketValue: money(stockValue),
      initMarginReq: money(margin),
      maintMarginReq: money(margin),
      availableFunds: money(available),
      excessLiquidity: money(available),
      buyingPower: money(available),
      equityWithLoanValue: money(netLiq),
      unrealizedPnl: money(unrealized),
      realizedPnl: money(realized),
    };
  }

  /** Funds that working orders of the account would consume if they filled at their reference price. */
  function reservedFunds(
    account: string,
    extra?: { instrument: SimInstrument; signedQty: number; price: number },
  ): number {
    const byConid = new Map<number, { instrument: SimInstrument; working: number; price: number }>();
    const add = (instrument: SimInstrument, signedQty: number, price: number): void => {
      const e = byConid.get(instrument.conid) ?? { instrument, working: 0, price };
      e.working += signedQty;
      e.price = Math.max(e.price, price);
      byConid.set(instrument.conid, e);
    };
    for (const o of orders.values()) {
      if (o.account !== account || TERMINAL_SIM_STATUSES.has(o.status)) continue;
      add(o.instrument, sign(o.side) * o.remaining, referencePrice(o));
    }
    if (extra) add(extra.instrument, extra.signedQty, extra.price);
    let total = 0;
    for (const e of byConid.values()) {
      const held = positionsMap.get(posKey(account, e.instrument.conid))?.quantity ?? 0;
      total += Math.max(
        0,
        requirement(e.instrument, held + e.working, e.price) - requirement(e.instrument, held, e.price),
      );
    }
    return total;
  }

  function referencePrice(o: {
    orderType: string;
    limitPrice: number | null;
    stopPrice: number | null;
    instrument: SimInstrument;
  }): number {
    const last = lastPrice(o.instrument.conid);
    if ((o.orderType === "LMT" || o.orderType === "STP LMT") && o.limitPrice != null) return o.limitPrice;
    if (o.orderType === "STP" && o.stopPrice != null) return Math.max(o.stopPrice, last);
    return last;
  }

  function emitAccount(account: string): void {
    emit("account", { values: computeAccount(account) });
  }

  // ---- positions ----

  function posKey(account: string, conid: number): string {
    return `${account}:${conid}`;
  }

  function positionSnapshot(p: PositionState): SimPosition {
    const mkt = lastPrice(p.instrument.conid);
    const mult = p.instrument.multiplier;
    return {
      account: p.account,
      instrument: p.instrument,
      quantity: p.quantity,
      avgPrice: money(p.avgPrice),
      avgCost: money(p.avgPrice * mult),
      marketPrice: mkt,
      marketValue: money(p.quantity * mkt * mult),
      unrealizedPnl: money((mkt - p.avgPrice) * p.quantity * mult),
      realizedPnl: money(p.realizedPnl),
    };
  }

  /** Books a fill into position and cash; returns the realized PnL (null when only opening). */
  function bookFill(o: OrderState, qty: number, price: number, fee: number): number | null {
    const i = o.instrument;
    const mult = i.multiplier;
    const key = posKey(o.account, i.conid);
    const p = positionsMap.get(key) ?? {
      account: o.account,
      instrument: i,
      quantity: 0,
      avgPrice: 0,
      realizedPnl: 0,
    };
    const s = sign(o.side);
    let realized: number | null = null;
    const closing = p.quantity !== 0 && Math.sign(p.quantity) !== s ? Math.min(qty, Math.abs(p.quantity)) : 0;
    const opening = qty - closing;
    const closingFee = (fee * closing) / qty;
    const openingFee = fee - closingFee;
    if (closing > 0) {
      realized = (price - p.avgPrice) * closing * mult * Math.sign(p.quantity) - closingFee;
      p.realizedPnl += realized;
      p.quantity += s * closing;
      if (p.quantity === 0) p.avgPrice = 0;
    }
    if (opening > 0) {
      const held = Math.abs(p.quantity);
      // Commissions are folded into the average price, as IB does: buys cost more, sells yield less.
      const unitFee = openingFee / (opening * mult);
      const openPrice = price + s * unitFee;
      p.avgPrice = (held * p.avgPrice + opening * openPrice) / (held + opening);
      p.quantity += s * opening;
    }
    positionsMap.set(key, p);
    const c = cash.get(o.account) ?? 0;
    if (i.secType === "FUT") {
      // Futures exchange no premium: cash moves by realized PnL (commissions of both legs included) only.
      cash.set(o.account, c + (realized ?? 0));
    } else {
      cash.set(o.account, c - s * qty * price * mult - fee);
    }
    return realized;
  }

  // ---- commissions ----

  function commissionFor(o: OrderState, cumQty: number, cumValue: number): number {
    const i = o.instrument;
    let total: number;
    if (i.secType === "FUT") {
      total = cumQty * commission.perFutureContract;
    } else if (i.secType === "CASH") {
      total = Math.max(commission.fxMinPerOrder, cumValue * commission.fxFractionOfValue);
    } else {
      total = Math.min(
        Math.max(commission.minPerOrder, cumQty * commission.perShare),
        Math.max(commission.minPerOrder, cumValue * commission.maxFractionOfValue),
      );
    }
    // The order pays its total over its fills: the first partial fill pays the minimum, later ones the rest.
    return Math.max(0, Math.round((total - o.commission) * 1e4) / 1e4);
  }

  // ---- execution engine ----

  function executable(o: OrderState): boolean {
    if (!isWorking(o)) return false;
    const last = lastPrice(o.instrument.conid);
    const s = sign(o.side);
    if ((o.orderType === "STP" || o.orderType === "STP LMT") && !o.triggered) {
      const stop = o.stopPrice!;
      if (s * (last - stop) >= 0) {
        o.triggered = true;
        setStatus(o, "Submitted", "triggered");
      } else {
        return false;
      }
    }
    if (o.orderType === "LMT" || o.orderType === "STP LMT") return s * (o.limitPrice! - last) >= 0;
    return true;
  }

  function evaluate(o: OrderState): void {
    if (o.filling || !executable(o)) return;
    o.filling = true;
    const parts = o.orderType === "MKT" || o.remaining >= partialFills ? partialFills : 1;
    const plan = splitQuantity(o.remaining, parts, o.instrument.secType !== "CASH");
    let step = 0;
    const next = (): void => {
      if (!isWorking(o)) {
        o.filling = false;
        return;
      }
      if (o.orderType !== "MKT" && o.orderType !== "STP" && !executable(o)) {
        // A limit that was marketable is not any more: it rests again.
        o.filling = false;
        return;
      }
      const qty = step === plan.length - 1 ? o.remaining : Math.min(plan[step]!, o.remaining);
      fill(o, qty);
      step++;
      if (o.remaining > 0 && step < plan.length) {
        schedule(partialFillIntervalMs, next, o);
      } else {
        o.filling = false;
      }
    };
    schedule(fillDelayMs, next, o);
  }

  function splitQuantity(total: number, parts: number, whole: boolean): number[] {
    if (parts <= 1) return [total];
    const base = whole ? Math.floor(total / parts) : total / parts;
    if (base <= 0) return [total];
    const out = Array.from({ length: parts }, () => base);
    out[parts - 1] = total - base * (parts - 1);
    return out;
  }

  function fill(o: OrderState, qty: number): void {
    const last = lastPrice(o.instrument.conid);
    let price = last;
    if (o.limitPrice != null && (o.orderType === "LMT" || o.orderType === "STP LMT")) {
      price = o.side === "BUY" ? Math.min(last, o.limitPrice) : Math.max(last, o.limitPrice);
    }
    const prevValue = o.avgFillPrice * o.filled;
    const cumQty = o.filled + qty;
    const cumValue = (prevValue + price * qty) * o.instrument.multiplier;
    const fee = commissionFor(o, cumQty, cumValue);
    const realized = bookFill(o, qty, price, fee);
    o.fillCount++;
    o.filled = cumQty;
    o.remaining = o.quantity - cumQty;
    o.avgFillPrice = Number(((prevValue + price * qty) / cumQty).toFixed(8));
    o.lastFillPrice = price;
    o.commission = Math.round((o.commission + fee) * 1e4) / 1e4;
    const time = now();
    const execId = `0000e0d5.${(0x6571a1b2 + o.seq).toString(16).padStart(8, "0")}.${o.fillCount
      .toString(16)
      .padStart(2, "0")}.01`;
    const report: SimCommissionReport = {
      execId,
      commission: fee,
      currency: o.instrument.currency,
      realizedPnl: realized === null ? null : money(realized),
    };
    const execution: SimExecution = {
      execId,
      permId: o.permId,
      account: o.account,
      instrument: o.instrument,
      side: o.side,
      quantity: qty,
      price,
      cumQty,
      avgPrice: o.avgFillPrice,
      orderRef: o.orderRef,
      api: o.api,
      twsClientId: o.twsClientId,
      twsOrderId: o.twsOrderId,
      time,
      commission: report,
    };
    executionsList.push(execution);
    o.status = o.remaining <= 0 ? "Filled" : o.status;
    o.updatedAt = time;
    const snap = snapshot(o);
    emit("execution", { execution, order: snap });
    emit("order", { order: snap, change: "fill" });
    emit("commission", { report, execution });
    emit("position", {
      position: positionSnapshot(positionsMap.get(posKey(o.account, o.instrument.conid))!),
    });
    emitAccount(o.account);
  }

  // ---- validation ----

  function reject(code: SimRejectCode, reason: string): { reject: SimReject } {
    return { reject: { code, reason } };
  }

  function checkPrices(
    i: SimInstrument,
    orderType: string,
    limitPrice: number | null,
    stopPrice: number | null,
  ): SimReject | undefined {
    const needsLimit = orderType === "LMT" || orderType === "STP LMT";
    const needsStop = orderType === "STP" || orderType === "STP LMT";
    for (const [name, value, needed] of [
      ["limit", limitPrice, needsLimit],
      ["stop", stopPrice, needsStop],
    ] as const) {
      if (!needed) continue;
      if (value == null || !Number.isFinite(value) || value <= 0) {
        return { code: "BAD_PRICE", reason: `A ${orderType} order needs a positive ${name} price.` };
      }
      if (!isOnTick(value, i.minTick)) {
        return {
          code: "BAD_PRICE",
          reason: `The price does not conform to the minimum price variation for this contract (${i.minTick}).`,
        };
      }
    }
    return undefined;
  }

  function checkQuantity(i: SimInstrument, quantity: number): SimReject | undefined {
    if (!Number.isFinite(quantity) || quantity <= 0) {
      return { code: "BAD_QUANTITY", reason: `Order quantity must be positive (got ${quantity}).` };
    }
    if (i.secType !== "CASH" && !Number.isInteger(quantity)) {
      return {
        code: "BAD_QUANTITY",
        reason: `Fractional quantity ${quantity} is not supported for ${i.symbol}.`,
      };
    }
    return undefined;
  }

  // ---- orders ----

  function placeOrder(req: SimPlaceOrderRequest): SimPlaceResult {
    if (req.orderRef) {
      const stats = refStats.get(req.orderRef) ?? { orderRef: req.orderRef, submissions: 0, permIds: [] };
      stats.submissions++;
      refStats.set(req.orderRef, stats);
      if (req.rejectDuplicateOrderRef && stats.permIds.length > 0) {
        return reject("DUPLICATE_ORDER_REF", `Local order ID=${req.orderRef} is already registered.`);
      }
    }
    if (!accountIds.includes(req.account)) {
      return reject("UNKNOWN_ACCOUNT", `Account ${req.account} is not managed by this login.`);
    }
    const instrument = matchInstrument(instrumentList, req.contract);
    if (!instrument)
      return reject("UNKNOWN_CONTRACT", "No security definition has been found for the request.");
    const badQty = checkQuantity(instrument, req.quantity);
    if (badQty) return { reject: badQty };
    const limitPrice = req.limitPrice ?? null;
    const stopPrice = req.stopPrice ?? null;
    const badPrice = checkPrices(instrument, req.orderType, limitPrice, stopPrice);
    if (badPrice) return { reject: badPrice };

    const t = now();
    const o: OrderState = {
      permId: nextPermId++,
      account: req.account,
      instrument,
      side: req.side,
      orderType: req.orderType,
      quantity: req.quantity,
      limitPrice: req.orderType === "LMT" || req.orderType === "STP LMT" ? limitPrice : null,
      stopPrice: req.orderType === "STP" || req.orderType === "STP LMT" ? stopPrice : null,
      tif: req.tif ?? "DAY",
      outsideRth: req.outsideRth ?? false,
      orderRef: req.orderRef ?? null,
      api: req.api,
      twsClientId: req.twsClientId ?? null,
      twsOrderId: req.twsOrderId ?? null,
      status: "PendingSubmit",
      triggered: false,
      filled: 0,
      remaining: req.quantity,
      avgFillPrice: 0,
      lastFillPrice: 0,
      commission: 0,
      statusMessage: null,
      createdAt: t,
      updatedAt: t,
      seq: ++orderSeq,
      fillCount: 0,
      filling: false,
      timers: new Set(),
    };
    const s = sign(o.side);
    const available = computeAccount(o.account).availableFunds;
    const reserved = reservedFunds(o.account, {
      instrument,
      signedQty: s * o.quantity,
      price: referencePrice(o),
    });
    const bpReject =
      reserved > available + 1e-9
        ? {
            code: "INSUFFICIENT_BUYING_POWER" as const,
            reason:
              `Your account has insufficient funds: this order needs ${money(reserved).toFixed(2)} ${baseCurrency} ` +
              `and ${money(available).toFixed(2)} ${baseCurrency} is available.`,
          }
        : undefined;

    orders.set(o.permId, o);
    if (o.orderRef) refStats.get(o.orderRef)!.permIds.push(o.permId);
    if (bpReject) {
      // IB books the order and makes it Inactive with the reason.
      o.status = "Inactive";
      o.statusMessage = bpReject.reason;
      emit("order", { order: snapshot(o), change: "rejected" });
      return { reject: bpReject, order: snapshot(o) };
    }
    emit("order", { order: snapshot(o), change: "new" });
    schedule(ackDelayMs, () => acknowledge(o), o);
    return { order: snapshot(o) };
  }

  function acknowledge(o: OrderState): void {
    if (o.status !== "PendingSubmit") return;
    const waitsForTrigger = o.orderType === "STP" || o.orderType === "STP LMT";
    setStatus(o, waitsForTrigger ? "PreSubmitted" : "Submitted", "acknowledged");
    evaluate(o);
    if (o.tif === "IOC" && !o.filling && isWorking(o)) {
      setStatus(o, "Cancelled", "cancelled", "Immediate-or-cancel order could not be filled.");
    }
  }

  function modifyOrder(permId: number, changes: SimModifyRequest): SimChangeResult {
    const o = orders.get(permId);
    if (!o) return reject("UNKNOWN_ORDER", `Order ${permId} is not found.`);
    if (!(o.status === "PendingSubmit" || isWorking(o))) {
      return reject("NOT_MODIFIABLE", `Order ${permId} cannot be modified, state: ${o.status}.`);
    }
    const quantity = changes.quantity ?? o.quantity;
    const badQty = checkQuantity(o.instrument, quantity);
    if (badQty) return { reject: badQty };
    if (quantity < o.filled) {
      return reject("BAD_QUANTITY", `New quantity ${quantity} is below the filled quantity ${o.filled}.`);
    }
    const limitPrice =
      o.orderType === "LMT" || o.orderType === "STP LMT"
        ? changes.limitPrice !== undefined
          ? changes.limitPrice
          : o.limitPrice
        : null;
    const stopPrice =
      o.orderType === "STP" || o.orderType === "STP LMT"
        ? changes.stopPrice !== undefined
          ? changes.stopPrice
          : o.stopPrice
        : null;
    const badPrice = checkPrices(o.instrument, o.orderType, limitPrice, stopPrice);
    if (badPrice) return { reject: badPrice };
    o.quantity = quantity;
    o.remaining = quantity - o.filled;
    o.limitPrice = limitPrice;
    o.stopPrice = stopPrice;
    if (changes.tif) o.tif = changes.tif;
    if (o.remaining <= 0) {
      setStatus(o, "Filled", "modified");
    } else {
      setStatus(o, o.status, "modified");
      evaluate(o);
    }
    return { order: snapshot(o) };
  }

  function cancelOrder(permId: number): SimChangeResult {
    const o = orders.get(permId);
    if (!o) return reject("UNKNOWN_ORDER", `OrderId ${permId} that needs to be cancelled is not found.`);
    if (o.status === "PendingCancel") return { order: snapshot(o) };
    if (TERMINAL_SIM_STATUSES.has(o.status)) {
      return reject(
        "NOT_CANCELLABLE",
        `OrderId ${permId} that needs to be cancelled cannot be cancelled, state: ${o.status}.`,
      );
    }
    for (const t of o.timers) {
      clearTimeout(t);
      timers.delete(t);
    }
    o.timers.clear();
    o.filling = false;
    setStatus(o, "PendingCancel", "pendingCancel");
    schedule(cancelDelayMs, () => {
      if (o.status === "PendingCancel") setStatus(o, "Cancelled", "cancelled");
    });
    return { order: snapshot(o) };
  }

  function cancelAll(account?: string): SimOrder[] {
    const out: SimOrder[] = [];
    for (const o of orders.values()) {
      if (account && o.account !== account) continue;
      if (o.status === "PendingSubmit" || isWorking(o)) {
        const r = cancelOrder(o.permId);
        if (r.order) out.push(r.order);
      }
    }
    return out;
  }

  // ---- prices ----

  function applyPrice(i: SimInstrument, price: number): SimQuote {
    const prev = quotes.get(i.conid)!;
    const last = Math.max(i.minTick, roundToTick(price, i.minTick));
    const q = makeQuote(i, last, prev.close, now());
    quotes.set(i.conid, q);
    emit("price", { quote: q });
    for (const o of orders.values()) {
      if (o.instrument.conid === i.conid) evaluate(o);
    }
    const touched = new Set<string>();
    for (const p of positionsMap.values()) {
      if (p.instrument.conid !== i.conid || p.quantity === 0) continue;
      emit("position", { position: positionSnapshot(p) });
      touched.add(p.account);
    }
    for (const a of touched) emitAccount(a);
    return q;
  }

  function setPrice(conid: number, price: number): SimQuote {
    const i = instrumentById.get(conid);
    if (!i) throw new Error(`Unknown conid ${conid}`);
    if (!Number.isFinite(price) || price <= 0) throw new Error(`Price must be positive (got ${price})`);
    return applyPrice(i, price);
  }

  function tick(): void {
    for (const i of instrumentList) {
      const last = quotes.get(i.conid)!.last;
      applyPrice(i, last * Math.exp(volatility * gaussian(random)));
    }
  }

  function startTicking(intervalMs: number): void {
    stopTicking();
    if (intervalMs <= 0) return;
    tickTimer = setInterval(tick, intervalMs);
    tickTimer.unref();
  }

  function stopTicking(): void {
    if (tickTimer) clearInterval(tickTimer);
    tickTimer = undefined;
  }

  function clearTimers(): void {
    for (const t of timers) clearTimeout(t);
    timers.clear();
  }

  initState();
  if (options.tickIntervalMs) startTicking(options.tickIntervalMs);

  return {
    baseCurrency,
    accounts: () => [...accountIds],
    hasAccount: (a) => accountIds.includes(a),
    instruments: () => [...instrumentList],
    findInstrument: (q) => matchInstrument(instrumentList, q),
    searchInstruments(text) {
      const t = text.trim().toUpperCase();
      if (!t) return [];
      return instrumentList.filter(
        (i) =>
          i.symbol === t ||
          i.localSymbol === t ||
          i.symbol.startsWith(t) ||
          i.description.toUpperCase().startsWith(t),
      );
    },
    quote: (conid) => {
      const q = quotes.get(conid);
      return q ? { ...q } : undefined;
    },
    setPrice,
    tick,
    startTicking,
    stopTicking,
    placeOrder,
    modifyOrder,
    cancelOrder,
    cancelAll,
    getOrder(permId) {
      const o = orders.get(permId);
      return o ? snapshot(o) : undefined;
    },
    findOrderByRef(orderRef) {
      const ids = refStats.get(orderRef)?.permIds;
      const last = ids?.[ids.length - 1];
      const o = last === undefined ? undefined : orders.get(last);
      return o ? snapshot(o) : undefined;
    },
    findOrderByTwsId(clientId, orderId) {
      for (const o of orders.values()) {
        if (o.twsClientId === clientId && o.twsOrderId === orderId) return snapshot(o);
      }
      return undefined;
    },
    listOrders(filter = {}) {
      const includeTerminal = filter.includeTerminal ?? true;
      return [...orders.values()]
        .filter(
          (o) =>
            (!filter.account || o.account === filter.account) &&
            (!filter.api || o.api === filter.api) &&
            (includeTerminal || !TERMINAL_SIM_STATUSES.has(o.status)),
        )
        .map(snapshot);
    },
    orderRefStats: () => [...refStats.values()].map((s) => ({ ...s, permIds: [...s.permIds] })),
    executions(filter = {}) {
      return executionsList.filter(
        (e) =>
          (!filter.account || e.account === filter.account) &&
          (filter.sinceMs === undefined || e.time >= filter.sinceMs),
      );
    },
    positions(account, opts = {}) {
      return [...positionsMap.values()]
        .filter((p) => (!account || p.account === account) && (opts.includeClosed || p.quantity !== 0))
        .map(positionSnapshot);
    },
    position(account, conid) {
      const p = positionsMap.get(posKey(account, conid));
      return p && p.quantity !== 0 ? positionSnapshot(p) : undefined;
    },
    accountValues(account) {
      if (!accountIds.includes(account)) throw new Error(`Unknown account ${account}`);
      return computeAccount(account);
    },
    on(event, listener) {
      emitter.on(event, listener);
      return () => {
        emitter.off(event, listener);
      };
    },
    whenIdle() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        // Defer the check so that events queued by the caller's own synchronous calls are delivered first.
        setImmediate(checkIdle);
      });
    },
    reset() {
      clearTimers();
      queue.length = 0;
      initState();
      emit("reset", {});
      for (const a of accountIds) emitAccount(a);
    },
    close() {
      stopTicking();
      clearTimers();
      checkIdle();
    },
  };
}
