/**
 * Combo (BAG) orders: IB's checks of the legs, the synthetic BAG contract, and the matching of a combo as one unit —
 * every leg fills together at the legs' current mids, and a limit combo rests until the net mid crosses its limit
 * (a BUY fills when the net mid is at or below the limit, a SELL when it is at or above; a negative net is a credit).
 */
import { IB_MAX_COMBO_LEGS, IB_SPREAD_CONIDS } from "../../ib-limits";
import type { Accounts } from "./accounts";
import { isWorking, money, posKey, sign, snapshotOrder, type BookContext, type OrderState } from "./book";
import type {
  SimComboLeg,
  SimCommissionReport,
  SimExecution,
  SimPlaceOrderRequest,
  SimQuote,
  SimReject,
  SimSide,
} from "./brokerage.types";
import type { SimInstrument } from "./instruments";
import { expiryEpochMs } from "./option-pricing";
import { isOnTick } from "./price-process";

/** Combo net prices trade in cents. */
const COMBO_TICK = 0.01;
/** Per option contract, IB Pro fixed; $1 minimum per leg execution. */
const OPTION_FEE_PER_CONTRACT = 0.65;

const bad = (reason: string): { reject: SimReject } => ({ reject: { code: "BAD_COMBO", reason } });

/** The synthetic contract a combo order is booked under: IB reports a BAG as the spread conid, class COMB. */
export function bagInstrument(symbol: string, currency: string, exchange: string): SimInstrument {
  return Object.freeze({
    conid: IB_SPREAD_CONIDS[currency] ?? IB_SPREAD_CONIDS.USD!,
    symbol,
    secType: "BAG",
    exchange,
    currency,
    localSymbol: symbol,
    tradingClass: "COMB",
    multiplier: 1,
    minTick: COMBO_TICK,
    description: `${symbol} combo`,
    initialPrice: 0,
  });
}

/** The underlying a leg trades: its underlying's conid for an option, itself otherwise. */
const underlyingOf = (i: SimInstrument): string => `${i.underlyingConid ?? i.symbol}`;

/**
 * The legs as the book will hold them, or IB's refusal: no legs (TWS 321), too many, a ratio that is not a positive
 * whole number, a leg IB does not list (200) or that expired (392), a leg on another exchange than the combo
 * (313), legs on different underlyings or currencies (IB's rule for smart combos, 10000/10011).
 */
export function resolveComboLegs(
  req: SimPlaceOrderRequest,
  find: (conid: number) => SimInstrument | undefined,
  now: number,
): { legs: SimComboLeg[]; instrument: SimInstrument } | { reject: SimReject } {
  const wanted = req.legs ?? [];
  if (wanted.length === 0) {
    return bad("Error validating request.-'bN' : cause - Security type 'BAG' requires combo leg details.");
  }
  if (wanted.length > IB_MAX_COMBO_LEGS) return bad(`A combo may have at most ${IB_MAX_COMBO_LEGS} legs.`);
  const comboExchange = (req.contract.exchange ?? "").trim().toUpperCase() || "SMART";
  const legs: SimComboLeg[] = [];
  for (const w of wanted) {
    const i = find(w.conid);
    if (!i || i.secType === "BAG") {
      return {
        reject: {
          code: "UNKNOWN_CONTRACT",
          reason: `No security definition has been found for the request (combo leg conid ${w.conid}).`,
        },
      };
    }
    if (!Number.isInteger(w.ratio) || w.ratio <= 0) {
      return bad(
        `Combo details for leg '${w.conid}' are invalid: ratio ${w.ratio} is not a positive integer.`,
      );
    }
    const legExchange = (w.exchange ?? "").trim().toUpperCase();
    if (legExchange !== "" && legExchange !== comboExchange) {
      return bad(
        `Combo details for leg '${w.conid}' are invalid: the leg is routed to ${legExchange} and the combo to ${comboExchange}.`,
      );
    }
    if (i.lastTradeDate && i.secType === "OPT" && expiryEpochMs(i.lastTradeDate) <= now) {
      return {
        reject: {
          code: "UNKNOWN_CONTRACT",
          reason: `Invalid order: contract expired (combo leg ${i.localSymbol}).`,
        },
      };
    }
    if (legs.some((l) => l.instrument.conid === i.conid)) {
      return bad(`Combo details for leg '${w.conid}' are invalid: the contract is given twice.`);
    }
    legs.push({ instrument: i, ratio: w.ratio, side: w.side });
  }
  const first = legs[0]!.instrument;
  if (legs.some((l) => l.instrument.currency !== first.currency)) {
    return bad("Cross currency combo is not supported.");
  }
  if (legs.some((l) => underlyingOf(l.instrument) !== underlyingOf(first))) {
    return bad("Combo legs must be on the same underlying for a smart combo order.");
  }
  return { legs, instrument: bagInstrument(first.symbol, first.currency, comboExchange) };
}

/** A combo's net price: any sign (negative = a credit), on the combo's cent tick; a limit needs one. */
export function checkComboPrice(orderType: string, limitPrice: number | null): SimReject | undefined {
  if (orderType !== "LMT" && orderType !== "MKT") {
    return { code: "BAD_COMBO", reason: `Combo orders are LMT or MKT in this simulator, not ${orderType}.` };
  }
  if (orderType === "MKT") return undefined;
  if (limitPrice == null || !Number.isFinite(limitPrice)) {
    return { code: "BAD_PRICE", reason: "A LMT combo order needs a net limit price." };
  }
  if (!isOnTick(limitPrice, COMBO_TICK)) {
    return {
      code: "BAD_PRICE",
      reason: `The price does not conform to the minimum price variation for this contract (${COMBO_TICK}).`,
    };
  }
  return undefined;
}

/** What a working combo reserves: the debit it may pay (a credit combo reserves nothing). */
export function comboReserve(o: {
  side: SimSide;
  limitPrice: number | null;
  remaining: number;
  legs?: SimComboLeg[];
}): number {
  const multiplier = Math.max(1, ...(o.legs ?? []).map((l) => l.instrument.multiplier));
  return Math.max(0, sign(o.side) * (o.limitPrice ?? 0)) * o.remaining * multiplier;
}

/** A leg's price now: the mid of its quote. */
function legPrice(quote: (conid: number) => SimQuote | undefined, conid: number): number {
  const q = quote(conid);
  if (!q) throw new Error(`combo leg ${conid} has no quote`);
  return (q.bid + q.ask) / 2;
}

/** Net mid of one combo for its buyer: Σ ratio × mid, bought legs positive, sold legs negative. */
export function netMid(legs: readonly SimComboLeg[], quote: (conid: number) => SimQuote | undefined): number {
  let net = 0;
  for (const l of legs) net += sign(l.side) * l.ratio * legPrice(quote, l.instrument.conid);
  return Math.round(net * 1e6) / 1e6;
}

export interface ComboMatchingOptions {
  /** A fresh quote (options are re-marked lazily). */
  quote(conid: number): SimQuote | undefined;
  fillDelayMs: number;
  /** Called after the combo filled. */
  onFilled(o: OrderState): void;
}

export interface ComboMatching {
  executable(o: OrderState): boolean;
  /** Starts the fill when the combo is executable now; a no-op otherwise. */
  evaluate(o: OrderState): void;
}

export function createComboMatching(
  ctx: BookContext,
  accounts: Accounts,
  options: ComboMatchingOptions,
): ComboMatching {
  const { state, events, now } = ctx;

  function executable(o: OrderState): boolean {
    if (!o.legs || !isWorking(o)) return false;
    if (state.session !== "REGULAR" && !o.outsideRth) return false;
    if (o.orderType === "MKT" || o.limitPrice == null) return true;
    // A BUY pays at most its limit, a SELL receives at least its limit.
    return sign(o.side) * (o.limitPrice - netMid(o.legs, options.quote)) >= -1e-9;
  }

  function fill(o: OrderState, qty: number): void {
    const legs = o.legs!;
    const time = now();
    const cumQty = o.filled + qty;
    const net = netMid(legs, options.quote);
    o.fillCount++;
    const avg = Number(((o.avgFillPrice * o.filled + net * qty) / cumQty).toFixed(8));
    const executions: SimExecution[] = [];
    let fees = 0;
    legs.forEach((l, n) => {
      const side: SimSide = sign(o.side) * sign(l.side) > 0 ? "BUY" : "SELL";
      const legQty = qty * l.ratio;
      const price = Number(legPrice(options.quote, l.instrument.conid).toFixed(6));
      const fee =
        l.instrument.secType === "OPT"
          ? Math.max(1, OPTION_FEE_PER_CONTRACT * legQty)
          : Math.max(1, 0.005 * legQty * l.instrument.multiplier);
      fees += fee;
      // The leg books like an order of its own on the leg's contract.
      const realized = accounts.bookFill({ ...o, instrument: l.instrument, side }, legQty, price, fee);
      // IB's execution ids: one per leg, the last part numbering the legs of this fill.
      const execId = `0000e0d5.${(0x6571a1b2 + o.seq).toString(16).padStart(8, "0")}.${o.fillCount
        .toString(16)
        .padStart(2, "0")}.${(n + 1).toString(16).padStart(2, "0")}`;
      const report: SimCommissionReport = {
        execId,
        commission: fee,
        currency: l.instrument.currency,
        realizedPnl: realized === null ? null : money(realized),
      };
      executions.push({
        execId,
        permId: o.permId,
        account: o.account,
        instrument: l.instrument,
        side,
        quantity: legQty,
        price,
        cumQty,
        avgPrice: avg,
        orderRef: o.orderRef,
        api: o.api,
        twsClientId: o.twsClientId,
        twsOrderId: o.twsOrderId,
        time,
        commission: report,
      });
    });
    o.filled = cumQty;
    o.remaining = o.quantity - cumQty;
    o.avgFillPrice = avg;
    o.lastFillPrice = net;
    o.commission = Math.round((o.commission + fees) * 1e4) / 1e4;
    o.status = o.remaining <= 0 ? "Filled" : o.status;
    o.updatedAt = time;
    state.executions.push(...executions);
    const snap = snapshotOrder(o);
    // As for a single order: the executions (one per leg), the order with its new filled quantity, then the
    // commission reports and the legs' positions.
    for (const execution of executions) events.emit("execution", { execution, order: snap });
    events.emit("order", { order: snap, change: "fill" });
    for (const execution of executions)
      events.emit("commission", { report: execution.commission, execution });
    for (const l of legs) {
      const p = state.positions.get(posKey(o.account, l.instrument.conid));
      if (p) events.emit("position", { position: accounts.positionSnapshot(p) });
    }
    accounts.emitAccount(o.account);
    if (o.status === "Filled") options.onFilled(o);
  }

  function evaluate(o: OrderState): void {
    if (o.filling || !executable(o)) return;
    o.filling = true;
    events.schedule(
      options.fillDelayMs,
      () => {
        o.filling = false;
        // The net may have moved away meanwhile: the combo rests again.
        if (executable(o)) fill(o, o.remaining);
      },
      o,
    );
  }

  return { executable, evaluate };
}
