import type { SimAccountValues, SimPnl, SimPosition, SimPositionPnl } from "./brokerage.types";
import {
  lastPrice,
  money,
  posKey,
  sign,
  type BookContext,
  type OrderState,
  type PositionState,
} from "./book";
import type { SimInstrument } from "./instruments";
import { TERMINAL_SIM_STATUSES } from "./brokerage.types";
import { comboReserve } from "./combos";

/** Cash, positions, margin and PnL of the book's accounts. */
export interface Accounts {
  computeAccount(account: string): SimAccountValues;
  /** Funds that working orders (plus `extra`) would consume if they filled at their reference price. */
  reservedFunds(
    account: string,
    extra?: { instrument: SimInstrument; signedQty: number; price: number },
  ): number;
  referencePrice(o: {
    orderType: string;
    limitPrice: number | null;
    stopPrice: number | null;
    instrument: SimInstrument;
  }): number;
  emitAccount(account: string): void;
  positionSnapshot(p: PositionState): SimPosition;
  /** Emits the position and account updates a price move of `conid` causes. */
  emitMarkToMarket(conid: number): void;
  /** Books a fill into position and cash; returns the realized PnL (null when only opening). */
  bookFill(o: OrderState, qty: number, price: number, fee: number): number | null;
  pnl(account: string): SimPnl;
  positionPnl(account: string, conid: number): SimPositionPnl | undefined;
}

export function createAccounts(ctx: BookContext, baseCurrency: string): Accounts {
  const { state, events } = ctx;

  /**
   * Stocks and FX: full value (a cash account, no leverage). Futures: IB's initial margin per contract, or 10 %
   * of notional when the instrument names none.
   */
  function requirement(i: SimInstrument, quantity: number, price: number): number {
    if (i.secType === "FUT")
      return Math.abs(quantity) * (i.initialMarginPerContract ?? price * i.multiplier * 0.1);
    return Math.abs(quantity) * price * i.multiplier;
  }

  function unrealizedOf(p: PositionState): number {
    return (lastPrice(state, p.instrument.conid) - p.avgPrice) * p.quantity * p.instrument.multiplier;
  }

  function computeAccount(account: string): SimAccountValues {
    let stockValue = 0;
    let gross = 0;
    let futuresUnrealized = 0;
    let unrealized = 0;
    let realized = 0;
    let margin = 0;
    for (const p of state.positions.values()) {
      if (p.account !== account) continue;
      realized += p.realizedPnl;
      if (p.quantity === 0) continue;
      const mkt = lastPrice(state, p.instrument.conid);
      const upnl = unrealizedOf(p);
      unrealized += upnl;
      margin += requirement(p.instrument, p.quantity, mkt);
      if (p.instrument.secType === "FUT") {
        // Futures are marked to market into cash at IB; here their open PnL counts towards net liquidation.
        futuresUnrealized += upnl;
      } else {
        const mv = p.quantity * mkt * p.instrument.multiplier;
        stockValue += mv;
        gross += Math.abs(mv);
      }
    }
    const c = state.cash.get(account) ?? 0;
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

  function referencePrice(o: {
    orderType: string;
    limitPrice: number | null;
    stopPrice: number | null;
    instrument: SimInstrument;
  }): number {
    const last = lastPrice(state, o.instrument.conid);
    if ((o.orderType === "LMT" || o.orderType === "STP LMT") && o.limitPrice != null) return o.limitPrice;
    if (o.orderType === "STP" && o.stopPrice != null) return Math.max(o.stopPrice, last);
    return last;
  }

  function reservedFunds(
    account: string,
    extra?: { instrument: SimInstrument; signedQty: number; price: number },
  ): number {
    // Per contract: the requirement of position + working orders beyond the position's own. So an order that
    // closes a position reserves nothing, like IB's what-if margin check.
    const byConid = new Map<number, { instrument: SimInstrument; working: number; price: number }>();
    const add = (instrument: SimInstrument, signedQty: number, price: number): void => {
      const e = byConid.get(instrument.conid) ?? { instrument, working: 0, price };
      e.working += signedQty;
      e.price = Math.max(e.price, price);
      byConid.set(instrument.conid, e);
    };
    let combos = 0;
    for (const o of state.orders.values()) {
      if (o.account !== account || TERMINAL_SIM_STATUSES.has(o.status)) continue;
      if (o.legs) {
        // A combo has no quote of its own: it reserves the debit it may pay.
        combos += comboReserve(o);
        continue;
      }
      add(o.instrument, sign(o.side) * o.remaining, referencePrice(o));
    }
    if (extra) add(extra.instrument, extra.signedQty, extra.price);
    let total = combos;
    for (const e of byConid.values()) {
      const held = state.positions.get(posKey(account, e.instrument.conid))?.quantity ?? 0;
      total += Math.max(
        0,
        requirement(e.instrument, held + e.working, e.price) - requirement(e.instrument, held, e.price),
      );
    }
    return total;
  }

  function emitAccount(account: string): void {
    events.emit("account", { values: computeAccount(account) });
  }

  function positionSnapshot(p: PositionState): SimPosition {
    const mkt = lastPrice(state, p.instrument.conid);
    const mult = p.instrument.multiplier;
    return {
      account: p.account,
      instrument: p.instrument,
      quantity: p.quantity,
      avgPrice: money(p.avgPrice),
      avgCost: money(p.avgPrice * mult),
      marketPrice: mkt,
      marketValue: money(p.quantity * mkt * mult),
      unrealizedPnl: money(unrealizedOf(p)),
      realizedPnl: money(p.realizedPnl),
    };
  }

  function emitMarkToMarket(conid: number): void {
    const touched = new Set<string>();
    for (const p of state.positions.values()) {
      if (p.instrument.conid !== conid || p.quantity === 0) continue;
      events.emit("position", { position: positionSnapshot(p) });
      touched.add(p.account);
    }
    for (const a of touched) emitAccount(a);
  }

  function bookFill(o: OrderState, qty: number, price: number, fee: number): number | null {
    const i = o.instrument;
    const mult = i.multiplier;
    const key = posKey(o.account, i.conid);
    const p = state.positions.get(key) ?? {
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
    state.positions.set(key, p);
    const c = state.cash.get(o.account) ?? 0;
    if (i.secType === "FUT") {
      // Futures exchange no premium: cash moves by realized PnL (commissions of both legs included) only.
      state.cash.set(o.account, c + (realized ?? 0));
    } else {
      state.cash.set(o.account, c - s * qty * price * mult - fee);
    }
    return realized;
  }

  // The book's trading day starts at creation or reset (the quotes' `close` is the price then) and every position
  // was opened within it, so IB's daily PnL (change since the previous close, realized included) is realized +
  // unrealized here: the same `dpl` the Client Portal partitioned PnL reports.

  function pnl(account: string): SimPnl {
    const v = computeAccount(account);
    return {
      account,
      dailyPnl: money(v.unrealizedPnl + v.realizedPnl),
      unrealizedPnl: v.unrealizedPnl,
      realizedPnl: v.realizedPnl,
    };
  }

  function positionPnl(account: string, conid: number): SimPositionPnl | undefined {
    const p = state.positions.get(posKey(account, conid));
    if (!p) return undefined;
    const s = positionSnapshot(p);
    return {
      account,
      conid,
      position: p.quantity,
      dailyPnl: money(s.unrealizedPnl + s.realizedPnl),
      unrealizedPnl: s.unrealizedPnl,
      realizedPnl: s.realizedPnl,
      value: s.marketValue,
    };
  }

  return {
    computeAccount,
    reservedFunds,
    referencePrice,
    emitAccount,
    positionSnapshot,
    emitMarkToMarket,
    bookFill,
    pnl,
    positionPnl,
  };
}
