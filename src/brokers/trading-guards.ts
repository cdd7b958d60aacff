import { AppError, ErrorCode } from "../errors";
import { AccountType, OrderSide, TradingMode } from "../schema/enums";
import { accountTypeOf, type OrderTerms } from "./order-terms";

/** The operator's trading limits (from the environment); every mutation passes them before anything is sent. */
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

export function accountAllowed(guards: TradingGuards, id: string): boolean {
  return guards.accounts.length === 0 || guards.accounts.includes(id);
}

export function checkAllowed(guards: TradingGuards, id: string): void {
  if (!accountAllowed(guards, id)) {
    throw new AppError(ErrorCode.FORBIDDEN, `Account ${id} is not in IB_ACCOUNTS on this server.`, {
      accountId: id,
    });
  }
}

/** `brokerReadOnly`: the IB user itself may only read (Client Portal says so). */
export function checkWritable(guards: TradingGuards, canTrade: boolean, brokerReadOnly: boolean): void {
  if (!canTrade) {
    throw new AppError(
      ErrorCode.FORBIDDEN,
      "This API token may read but not trade; use API_TOKEN for mutations.",
    );
  }
  if (guards.readOnly || brokerReadOnly) {
    throw new AppError(
      ErrorCode.READ_ONLY,
      "This server is read-only (READ_ONLY=true or a read-only IB user); mutations are disabled.",
    );
  }
}

/** An order to a live account, or any order while the server is LIVE, needs ALLOW_LIVE_TRADING. */
export function checkLive(guards: TradingGuards, accountId: string, mode: TradingMode): void {
  if (guards.allowLiveTrading) return;
  if (accountTypeOf(accountId) === AccountType.LIVE || mode === TradingMode.LIVE) {
    throw new AppError(
      ErrorCode.LIVE_TRADING_DISABLED,
      `Refusing to trade live account ${accountId}: set ALLOW_LIVE_TRADING=true to allow orders to live accounts.`,
      { accountId },
    );
  }
}

/**
 * Whether the worst-case price of an order depends on the market. Only a buy with a limit is bounded by its
 * own terms: IB never fills it above the limit. A sell limit fills at its limit *or better*, so a sell far
 * below the market fills at the market; a stop becomes a market order once triggered (at once when the
 * market is already through it); a market order has no price of its own.
 */
export function needsMarketPrice(terms: OrderTerms): boolean {
  return !(terms.side === OrderSide.BUY && terms.limitPrice != null);
}

/**
 * The highest price per unit the order can fill at, as far as the server can tell: the buy limit, else the
 * larger of the order's own prices and the current market. Null when the market is needed and unknown.
 */
export function worstCasePrice(terms: OrderTerms, market: number | null): number | null {
  if (!needsMarketPrice(terms)) return terms.limitPrice;
  if (market == null || !Number.isFinite(market) || market <= 0) return null;
  return Math.max(market, terms.limitPrice ?? 0, terms.stopPrice ?? 0, terms.triggerPrice ?? 0);
}

/**
 * The limits of a combo: MAX_ORDER_QUANTITY on the number of combos, MAX_ORDER_NOTIONAL on |net limit| × quantity ×
 * multiplier (the legs' contract multiplier). A MARKET combo has no bound of its own, so it is refused while
 * MAX_ORDER_NOTIONAL is set.
 */
export function checkComboLimits(guards: TradingGuards, terms: OrderTerms, multiplier: number): void {
  const { maxOrderQuantity, maxOrderNotional } = guards;
  if (maxOrderQuantity != null && terms.quantity > maxOrderQuantity) {
    throw new AppError(
      ErrorCode.FORBIDDEN,
      `quantity ${terms.quantity} exceeds MAX_ORDER_QUANTITY ${maxOrderQuantity}.`,
      { field: "quantity", limit: maxOrderQuantity },
    );
  }
  if (maxOrderNotional == null) return;
  if (terms.limitPrice == null) {
    throw new AppError(
      ErrorCode.FORBIDDEN,
      "MAX_ORDER_NOTIONAL is set and a MARKET combo has no net price to bound it; give a LIMIT with a net price.",
      { field: "type" },
    );
  }
  const notional = Math.abs(terms.limitPrice) * terms.quantity * multiplier;
  if (notional > maxOrderNotional) {
    throw new AppError(
      ErrorCode.FORBIDDEN,
      `Combo notional ${notional.toFixed(2)} exceeds MAX_ORDER_NOTIONAL ${maxOrderNotional} ` +
        `(|${terms.limitPrice}| × ${terms.quantity} × multiplier ${multiplier}).`,
      { limit: maxOrderNotional, price: terms.limitPrice },
    );
  }
}

/**
 * MAX_ORDER_QUANTITY, then MAX_ORDER_NOTIONAL at the worst-case price. `market` is asked only when the
 * order's worst case depends on it (it may cost an upstream request).
 */
export async function checkLimits(
  guards: TradingGuards,
  terms: OrderTerms,
  market: () => Promise<number | null>,
  conid: number,
): Promise<void> {
  const { maxOrderQuantity, maxOrderNotional } = guards;
  if (maxOrderQuantity != null && terms.quantity > maxOrderQuantity) {
    throw new AppError(
      ErrorCode.FORBIDDEN,
      `quantity ${terms.quantity} exceeds MAX_ORDER_QUANTITY ${maxOrderQuantity}.`,
      { field: "quantity", limit: maxOrderQuantity },
    );
  }
  if (maxOrderNotional == null) return;
  const price = worstCasePrice(terms, needsMarketPrice(terms) ? await market() : null);
  if (price == null) {
    throw new AppError(
      ErrorCode.FORBIDDEN,
      `MAX_ORDER_NOTIONAL is set but no market price is known for this contract, and a ${terms.side} ` +
        `${terms.type} order can fill at the market; only a BUY with a limit price is bounded without one.`,
      { conid },
    );
  }
  const notional = price * terms.quantity;
  if (notional > maxOrderNotional) {
    throw new AppError(
      ErrorCode.FORBIDDEN,
      `Order notional ${notional.toFixed(2)} exceeds MAX_ORDER_NOTIONAL ${maxOrderNotional} ` +
        `(${terms.quantity} at ${price}, the worst price it can fill at).`,
      { limit: maxOrderNotional, price },
    );
  }
}
