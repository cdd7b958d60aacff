import type { ContractInput } from "../schema/contract.type";
import { AccountType, type OrderSide, type OrderType, type TimeInForce } from "../schema/enums";
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
  /** Null only for orders entered elsewhere (TWS's own window, another client): they have no key of ours. */
  clientOrderId: string | null;
}

/** An order request after validation: every field checked, the contract still as the user gave it. */
export interface OrderRequest extends OrderTerms {
  contract: ContractInput;
  clientOrderId: string;
}

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
