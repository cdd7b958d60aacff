import type { Contract, ContractInput } from "../schema/contract.type";
import { AccountType, OrderSide, OrderType, type TimeInForce } from "../schema/enums";
import type { ModifyOrderInput } from "../schema/order.input";
import type { Order } from "../schema/order.type";

/**
 * The terms of one order, the one shape that validation, both adapters, modifications and the idempotency
 * fingerprint share. The contract is kept apart: a new order carries the user's ContractInput, a modification
 * the contract IB already holds.
 */
export interface OrderTerms {
  accountId: string;
  side: OrderSide;
  type: OrderType;
  quantity: number;
  limitPrice: number | null;
  stopPrice: number | null;
  timeInForce: TimeInForce;
  /*
   * The fields below are optional so that terms built by hand (tests, tools) may leave out what a simple order
   * does not use; absent means null (false for outsideRth).
   */
  /** TRAILING_STOP(_LIMIT): exactly one of amount and percent. */
  trailingAmount?: number | null;
  trailingPercent?: number | null;
  /** TRAILING_STOP_LIMIT: the limit's distance from the trailing stop. */
  limitOffset?: number | null;
  /** MARKET_IF_TOUCHED / LIMIT_IF_TOUCHED. */
  triggerPrice?: number | null;
  /** Set exactly when timeInForce is GTD. */
  goodTillDate?: Date | null;
  outsideRth?: boolean;
  ocaGroup?: string | null;
  /**
   * A combo (BAG) order's legs, as the user named them; absent or null for single-contract orders. Part of the
   * idempotency fingerprint.
   */
  legs?: ComboLegTerms[] | null;
  /** Null only for orders entered elsewhere (TWS's own window, another client): they have no key of ours. */
  clientOrderId: string | null;
}

/** One leg of a combo: for a BUY of the combo, `side` of `ratio` units of the leg per combo. */
export interface ComboLegTerms {
  contract: ContractInput;
  ratio: number;
  side: OrderSide;
}

/** A combo leg resolved to IB's contract (combo-orders.ts), what the adapters send. */
export interface ResolvedComboLeg {
  contract: Contract;
  ratio: number;
  side: OrderSide;
}

/** The exits of a bracket, checked against the entry's side and price. */
export interface BracketTerms {
  takeProfitLimitPrice: number | null;
  stopLossStopPrice: number | null;
  stopLossLimitPrice: number | null;
}

/** An order request after validation: every field checked, the contract still as the user gave it. */
export interface OrderRequest extends OrderTerms {
  contract: ContractInput;
  clientOrderId: string;
  bracket?: BracketTerms | null;
  /**
   * Set by the broker service for a combo once every leg resolved: the legs as IB knows them, and the BAG contract
   * the order is placed under (IB's spread conid for the currency).
   */
  combo?: { legs: ResolvedComboLeg[]; contract: Contract } | null;
}

/** The fields a simple order leaves at their defaults: for code that builds terms by hand. */
export const SIMPLE_TERMS = {
  trailingAmount: null,
  trailingPercent: null,
  limitOffset: null,
  triggerPrice: null,
  goodTillDate: null,
  outsideRth: false,
  ocaGroup: null,
} as const satisfies Partial<OrderTerms>;

/** The terms an order will have once a modification is applied: IB replaces an order whole. */
export function termsAfterModify(order: Order, changes: ModifyOrderInput): OrderTerms {
  return {
    accountId: order.accountId,
    side: order.side,
    type: order.type,
    quantity: changes.quantity ?? order.quantity,
    limitPrice: changes.limitPrice ?? order.limitPrice ?? null,
    stopPrice: changes.stopPrice ?? order.stopPrice ?? null,
    timeInForce: changes.timeInForce ?? order.timeInForce,
    trailingAmount: order.trailingAmount ?? null,
    trailingPercent: order.trailingPercent ?? null,
    limitOffset: order.limitOffset ?? null,
    triggerPrice: order.triggerPrice ?? null,
    goodTillDate: order.goodTillDate ?? null,
    outsideRth: order.outsideRth ?? false,
    ocaGroup: order.ocaGroup ?? null,
    legs:
      order.legs?.map((l) => ({ contract: { conid: l.contract.conid }, ratio: l.ratio, side: l.side })) ??
      null,
    clientOrderId: order.clientOrderId ?? null,
  };
}

/**
 * Paper or live, from the account id alone (the one rule used everywhere). Paper accounts are DU… (individual)
 * or DF… (advisor); IB's `type: "DEMO"` is not reliable. Anything else counts as live: the guards must treat
 * an account id they do not recognise as real money.
 */
export function accountTypeOf(id: string): AccountType {
  return /^D[A-Z]?\d/.test(id) ? AccountType.PAPER : AccountType.LIVE;
}

/**
 * A bracket's exits as orders of their own: the opposite side, the entry's quantity and time in force, keys
 * derived from the entry's (`<key>.tp`, `<key>.sl`). IB links them to the entry by parentId and makes them
 * one OCA group.
 */
export function bracketChildren(request: OrderRequest): { role: "tp" | "sl"; request: OrderRequest }[] {
  const b = request.bracket;
  if (!b) return [];
  const side = request.side === OrderSide.BUY ? OrderSide.SELL : OrderSide.BUY;
  const base = {
    accountId: request.accountId,
    contract: request.contract,
    side,
    quantity: request.quantity,
    timeInForce: request.timeInForce,
    outsideRth: request.outsideRth ?? false,
  };
  const out: { role: "tp" | "sl"; request: OrderRequest }[] = [];
  if (b.takeProfitLimitPrice != null) {
    out.push({
      role: "tp",
      request: {
        ...base,
        type: OrderType.LIMIT,
        limitPrice: b.takeProfitLimitPrice,
        stopPrice: null,
        clientOrderId: `${request.clientOrderId}.tp`,
      },
    });
  }
  if (b.stopLossStopPrice != null) {
    out.push({
      role: "sl",
      request: {
        ...base,
        type: b.stopLossLimitPrice != null ? OrderType.STOP_LIMIT : OrderType.STOP,
        limitPrice: b.stopLossLimitPrice,
        stopPrice: b.stopLossStopPrice,
        clientOrderId: `${request.clientOrderId}.sl`,
      },
    });
  }
  return out;
}
