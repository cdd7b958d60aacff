import { createAccounts } from "./accounts";
import { createBookEvents } from "./book-events";
import type { BookContext, BookState } from "./book";
import { isWorking, posKey, setOrderStatus } from "./book";
import type {
  SimAccountValues,
  SimBrokerageEvents,
  SimChangeResult,
  SimEventName,
  SimExecution,
  SimModifyRequest,
  SimOrder,
  SimOrderRefStats,
  SimPlaceOrderRequest,
  SimPlaceResult,
  SimPnl,
  SimPosition,
  SimPositionPnl,
  SimQuote,
  SimSession,
  SimSettlement,
} from "./brokerage.types";
import { DEFAULT_COMMISSION, type SimCommissionSchedule } from "./commissions";
import {
  DEFAULT_INSTRUMENTS,
  matchInstrument,
  type InstrumentQuery,
  type SimInstrument,
} from "./instruments";
import {
  createMarketDataBook,
  type SimBar,
  type SimBarRequest,
  type SimMarketData,
  type SimOptionComputation,
} from "./market-data";
import { createMatching } from "./matching";
import { createOrders, type SimOrderFilter } from "./orders";
import { valueOption, type OptionValuation } from "./option-pricing";
import { expandUniverse } from "./options-universe";
import { createPrices } from "./prices";
import { createSimClock, nextOpenAfter, settleExpired } from "./expiry";

export type { BookState } from "./book";
export type { SimCommissionSchedule } from "./commissions";
export type { SimOrderFilter } from "./orders";

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
  /**
   * List derivatives generated from the clock at creation: options on every stock (weekly expiries over ~90 days)
   * and the next quarterly months of every future. @default true
   */
  listDerivatives?: boolean;
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
  /**
   * The model valuation of a listed option (price, implied volatility, delta, gamma, vega, theta) with its underlying
   * at `underlyingPrice` (default: the underlying's last) at `now` (default: the brokerage clock); undefined for a
   * conid that is not an option. This is the hook market data uses for option greeks.
   */
  optionQuote(conid: number, underlyingPrice?: number, now?: number): OptionValuation | undefined;
  /** Sets the last price (rounded to tick) and lets resting orders react. Throws for an unknown conid. */
  setPrice(conid: number, price: number): SimQuote;
  /** Moves every price one seeded random step. */
  tick(): void;
  startTicking(intervalMs: number): void;
  stopTicking(): void;
  /** The full quote: sizes, the day's volume, open, high, low (market-data.ts). */
  marketData(conid: number): SimMarketData | undefined;
  /** Seeded historical bars ending at the current price. Throws for an unknown conid. */
  bars(conid: number, request: SimBarRequest): SimBar[];
  /** Whether live market data of this contract is permitted (else 354 / 10089, or delayed data). */
  marketDataPermitted(conid: number): boolean;
  setMarketDataPermission(conid: number, allowed: boolean): void;
  /** Option greeks; undefined for anything but options (the hook of a later option model). */
  optionComputation(conid: number): SimOptionComputation | undefined;

  placeOrder(request: SimPlaceOrderRequest): SimPlaceResult;
  modifyOrder(permId: number, changes: SimModifyRequest): SimChangeResult;
  cancelOrder(permId: number): SimChangeResult;
  /** Cancels every working order (TWS reqGlobalCancel); returns the orders now PendingCancel. */
  cancelAll(account?: string): SimOrder[];
  /** The simulated trading day: `close` runs the closing auction, `open` starts regular hours. */
  advanceSession(to: "close" | "open"): SimSession;
  session(): SimSession;
  /** The simulated clock (epoch ms): real time plus what `advanceClock` moved it by. */
  now(): number;
  /**
   * Moves simulated time forward overnight: the close, then the clock to the next weekday's 14:30 UTC open (or by
   * `days` × 24 h), then expired options settle at intrinsic value, then the open. What `/sim/clock` drives; `now`
   * is the time moved to.
   */
  advanceClock(to: { days?: number }): { now: number; session: SimSession; settled: SimSettlement[] };
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
  /** Daily, unrealized and realized PnL of an account (what TWS reqPnL streams). Throws for an unknown account. */
  pnl(account: string): SimPnl;
  /**
   * PnL of one position (what TWS reqPnLSingle streams), closed positions of the day included; undefined when the
   * account never held the contract.
   */
  positionPnl(account: string, conid: number): SimPositionPnl | undefined;

  on<K extends SimEventName>(event: K, listener: (payload: SimBrokerageEvents[K]) => void): () => void;
  /** Resolves once no acknowledgement, fill or cancel is pending and every queued event was delivered. */
  whenIdle(): Promise<void>;
  /** Back to the initial state: cash, prices, seed, no orders, executions or positions. */
  reset(): void;
  /**
   * The book's live state, for snapshot.ts to serialize at once (never to keep or change): a simulated
   * brokerage that survives restarts.
   */
  exportState(): Readonly<BookState>;
  /**
   * Replaces the book's state with a saved one (snapshot.ts) and re-arms what its timers carried, which a
   * saved state cannot: acknowledgements, cancels and fills in flight, good-till-date expiries. Resting
   * orders then meet the restored prices. Fields the saved state lacks keep their initial values.
   */
  restoreState(saved: Partial<BookState>): void;
  /** Stops timers (auto-tick, pending fills). The book stays readable. */
  close(): void;
}

/**
 * Wires the book's parts: accounts (cash, positions, margin, PnL), orders (lifecycle and reads), matching (fills
 * and commissions) and prices (quotes and the random walk) over one shared state and one event queue.
 */
export function createBrokerage(options: BrokerageOptions = {}): Brokerage {
  const accountIds = [...(options.accounts ?? ["DU1234567"])];
  if (accountIds.length === 0) throw new Error("createBrokerage: at least one account is needed");
  const baseCurrency = options.baseCurrency ?? "USD";
  const initialCash = options.initialCash ?? 1_000_000;
  // Simulated time: the given (or real) clock plus what `advanceClock` moved it by (expiry.ts).
  const clock = createSimClock(options.now ?? Date.now);
  const now = clock.now;
  const baseInstruments = options.instruments ?? DEFAULT_INSTRUMENTS;
  const instrumentList = (
    options.listDerivatives === false ? [...baseInstruments] : expandUniverse(baseInstruments, now())
  ).map((i) => Object.freeze({ ...i }));
  const instrumentById = new Map(instrumentList.map((i) => [i.conid, i]));
  const commission: SimCommissionSchedule = { ...DEFAULT_COMMISSION, ...options.commission };
  const permIdStart = options.permIdStart ?? 1_928_374_001;

  const state: BookState = {
    quotes: new Map(),
    cash: new Map(),
    orders: new Map(),
    executions: [],
    positions: new Map(),
    refStats: new Map(),
    nextPermId: permIdStart,
    orderSeq: 0,
    session: "REGULAR",
  };
  const events = createBookEvents();
  const ctx: BookContext = { state, events, now };
  const accounts = createAccounts(ctx, baseCurrency);
  const matching = createMatching(ctx, accounts, {
    commission,
    fillDelayMs: options.fillDelayMs ?? 0,
    partialFills: Math.max(1, Math.floor(options.partialFills ?? 1)),
    partialFillIntervalMs: options.partialFillIntervalMs ?? 0,
    // Declared below; only called once the book runs.
    quote: (conid) => prices.quote(conid),
  });
  const orders = createOrders(ctx, accounts, matching, {
    accountIds,
    instruments: instrumentList,
    baseCurrency,
    ackDelayMs: options.ackDelayMs ?? 0,
    cancelDelayMs: options.cancelDelayMs ?? 0,
  });
  const prices = createPrices(ctx, {
    instruments: instrumentList,
    seed: options.seed ?? 42,
    volatility: options.volatility ?? 0.0005,
    // The market-data book moves before the `price` event: the TWS and CP simulators read it from their
    // listeners, and would otherwise send the previous tick's values.
    onQuote: (q) => marketData.onPrice(q),
    onMove(i) {
      for (const o of state.orders.values()) {
        if (o.instrument.conid === i.conid || o.legs?.some((l) => l.instrument.conid === i.conid))
          matching.evaluate(o);
      }
      accounts.emitMarkToMarket(i.conid);
    },
    watched() {
      const conids = new Set<number>();
      for (const o of state.orders.values()) {
        conids.add(o.instrument.conid);
        for (const l of o.legs ?? []) conids.add(l.instrument.conid);
      }
      for (const p of state.positions.values()) conids.add(p.instrument.conid);
      return conids;
    },
  });

  const marketData = createMarketDataBook({
    instruments: instrumentList,
    seed: options.seed ?? 42,
    quote: (conid) => state.quotes.get(conid),
    now,
  });

  function initState(): void {
    prices.reset();
    marketData.reset(state.quotes.values());
    state.cash = new Map(accountIds.map((a) => [a, initialCash]));
    state.orders = new Map();
    state.executions = [];
    state.positions = new Map();
    state.refStats = new Map();
    state.nextPermId = permIdStart;
    state.orderSeq = 0;
    state.session = "REGULAR";
    clock.reset();
  }

  /** Types IB holds as PreSubmitted once acknowledged (orders.ts decides the same for a live order). */
  const WAITING_TYPES = new Set(["STP", "STP LMT", "TRAIL", "TRAIL LIMIT", "MIT", "LIT", "MOC", "LOC"]);

  function restoreState(saved: Partial<BookState>): void {
    events.clearTimers();
    events.dropQueued();
    const { quotes, cash, ...rest } = saved;
    Object.assign(state, rest);
    for (const [a, c] of cash ?? []) state.cash.set(a, c);
    for (const o of state.orders.values()) {
      // Timers do not survive a restart: whatever was in flight is re-armed below.
      o.timers = new Set();
      o.filling = false;
    }
    for (const o of [...state.orders.values()]) {
      if (o.status === "PendingSubmit") {
        const parentWaits = o.parentPermId != null && state.orders.get(o.parentPermId)?.status !== "Filled";
        const waits = WAITING_TYPES.has(o.orderType) || parentWaits;
        setOrderStatus(ctx, o, waits ? "PreSubmitted" : "Submitted", "acknowledged");
      } else if (o.status === "PendingCancel") {
        // The cancel was accepted before the restart: finish it (and what it does to a bracket or group).
        o.status = "Submitted";
        orders.cancelOrder(o.permId);
      } else if (isWorking(o) && o.goodTillDate != null) {
        const gtd = o.goodTillDate;
        events.schedule(
          Math.max(0, gtd - now()),
          () => {
            if (!isWorking(o)) return;
            o.statusMessage = "Good-till-date order expired.";
            orders.cancelOrder(o.permId);
          },
          o,
        );
      }
    }
    // Restored prices are set through the price process, so options re-mark from their underlying and
    // resting orders meet the price (a marketable one fills, a fill in flight continues).
    for (const [conid, q] of quotes ?? []) {
      if (!instrumentById.has(conid)) continue;
      state.quotes.set(conid, { ...q });
      prices.setPrice(conid, q.last);
    }
    marketData.reset(state.quotes.values());
    for (const o of state.orders.values()) matching.evaluate(o);
    for (const a of accountIds) {
      if (!state.cash.has(a)) state.cash.set(a, initialCash);
      accounts.emitAccount(a);
    }
  }

  function knownAccount(account: string): void {
    if (!accountIds.includes(account)) throw new Error(`Unknown account ${account}`);
  }

  initState();
  if (options.tickIntervalMs) prices.startTicking(options.tickIntervalMs);

  return {
    baseCurrency,
    accounts: () => [...accountIds],
    hasAccount: (a) => accountIds.includes(a),
    instruments: () => [...instrumentList],
    findInstrument: (q) =>
      q.conid != null && q.conid !== 0 ? instrumentById.get(q.conid) : matchInstrument(instrumentList, q),
    searchInstruments(text) {
      const t = text.trim().toUpperCase();
      if (!t) return [];
      return instrumentList.filter(
        (i) =>
          (i.secType !== "OPT" || i.localSymbol === t) &&
          (i.symbol === t ||
            i.localSymbol === t ||
            i.symbol.startsWith(t) ||
            i.description.toUpperCase().startsWith(t)),
      );
    },
    quote: prices.quote,
    optionQuote(conid, underlyingPrice, at) {
      const o = instrumentById.get(conid);
      if (!o || o.underlyingConid === undefined) return undefined;
      const s = underlyingPrice ?? prices.quote(o.underlyingConid)?.last;
      return s === undefined ? undefined : valueOption(o, s, at ?? now());
    },
    setPrice: prices.setPrice,
    tick: prices.tick,
    startTicking: prices.startTicking,
    stopTicking: prices.stopTicking,
    marketData(conid) {
      // An option's quote is re-marked lazily: bring it up to date before it is read.
      prices.quote(conid);
      return marketData.get(conid);
    },
    bars(conid, request) {
      const i = instrumentList.find((x) => x.conid === conid);
      if (!i) throw new Error(`Unknown conid ${conid}`);
      return marketData.bars(i, request);
    },
    marketDataPermitted: marketData.permitted,
    setMarketDataPermission: marketData.setPermission,
    optionComputation: marketData.optionComputation,
    placeOrder(request) {
      // An option's quote is re-marked lazily: bring it up to date before the order meets it.
      const i = request.contract.conid ? instrumentById.get(request.contract.conid) : undefined;
      if (i?.underlyingConid !== undefined) prices.quote(i.conid);
      for (const l of request.legs ?? []) if (instrumentById.has(l.conid)) prices.quote(l.conid);
      return orders.placeOrder(request);
    },
    modifyOrder: orders.modifyOrder,
    cancelOrder: orders.cancelOrder,
    cancelAll: orders.cancelAll,
    advanceSession: orders.advanceSession,
    session: () => state.session,
    now,
    advanceClock(to) {
      const from = now();
      const target = to.days !== undefined ? from + to.days * 24 * 3600_000 : nextOpenAfter(from);
      // Overnight: the close (closing auction, DAY orders end), the clock moves, expiries settle, then the open.
      if (state.session === "REGULAR") orders.advanceSession("close");
      clock.advance(target - from);
      const settled = settleExpired(ctx, accounts, orders.expireOrder);
      // Time moved every option's value: re-mark them, so resting combos see the morning's prices.
      prices.remarkOptions();
      const session = orders.advanceSession("open");
      // The time moved to (the clock runs on from there).
      return { now: target, session, settled };
    },
    getOrder: orders.getOrder,
    findOrderByRef: orders.findOrderByRef,
    findOrderByTwsId: orders.findOrderByTwsId,
    listOrders: orders.listOrders,
    orderRefStats: orders.orderRefStats,
    executions: orders.executions,
    positions(account, opts = {}) {
      return [...state.positions.values()]
        .filter((p) => (!account || p.account === account) && (opts.includeClosed || p.quantity !== 0))
        .map(accounts.positionSnapshot);
    },
    position(account, conid) {
      const p = state.positions.get(posKey(account, conid));
      return p && p.quantity !== 0 ? accounts.positionSnapshot(p) : undefined;
    },
    accountValues(account) {
      knownAccount(account);
      return accounts.computeAccount(account);
    },
    pnl(account) {
      knownAccount(account);
      return accounts.pnl(account);
    },
    positionPnl: accounts.positionPnl,
    on: events.on,
    whenIdle: events.whenIdle,
    reset() {
      events.clearTimers();
      events.dropQueued();
      initState();
      events.emit("reset", {});
      for (const a of accountIds) accounts.emitAccount(a);
    },
    exportState: () => state,
    restoreState,
    close() {
      prices.stopTicking();
      events.clearTimers();
      events.checkIdle();
    },
  };
}
