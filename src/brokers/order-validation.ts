import { badInput } from "../errors";
import type { ContractInput } from "../schema/contract.type";
import { checkContractInput } from "./contract-input";
import { OrderType, SecType } from "../schema/enums";
import type { ModifyOrderInput, PlaceOrderInput } from "../schema/order.input";
import type { Order } from "../schema/order.type";
import { termsAfterModify, type OrderRequest } from "./order-terms";

const ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
const SYMBOL_PATTERN = /^[A-Za-z0-9.\- /]{1,32}$/;
const CODE_PATTERN = /^[A-Za-z0-9.]{1,16}$/;
const CURRENCY_PATTERN = /^[A-Z]{3}$/;
const MAX_QUANTITY = 1e9;
const MAX_PRICE = 1e9;
/**
 * IB's smallest price increment (sub-dollar stocks trade in 0.0001). A price below it is no price IB can
 * hold; without this floor a denormal such as 1e-320 passes `> 0` and reaches the book.
 */
export const MIN_PRICE = 0.0001;
/**
 * IB takes fractional share quantities to 4 decimal places, so 0.0001 is the smallest quantity that can
 * be an order; anything smaller (1e-320…) is a mistake or a probe, answered here rather than by IB.
 */
export const MIN_QUANTITY = 0.0001;

const NEEDS_LIMIT = new Set([OrderType.LIMIT, OrderType.STOP_LIMIT]);
const NEEDS_STOP = new Set([OrderType.STOP, OrderType.STOP_LIMIT]);

/**
 * Checks and normalizes an order before anything goes upstream. Every message names the field and what to
 * send instead, because the reader is usually a script author looking at a failed mutation.
 */
export function validatePlaceOrder(input: PlaceOrderInput): OrderRequest {
  const clientOrderId = input.clientOrderId?.trim() ?? "";
  if (!ID_PATTERN.test(clientOrderId)) {
    throw badInput(
      "clientOrderId must be 1-64 characters of letters, digits, '.', '_', ':' or '-' (e.g. \"bot-20260101-0001\").",
      { field: "clientOrderId" },
    );
  }
  const accountId = checkAccountId(input.accountId);
  checkQuantity(input.quantity, "quantity");
  const limitPrice = checkPrice(input.type, input.limitPrice, "limitPrice", NEEDS_LIMIT.has(input.type));
  const stopPrice = checkPrice(input.type, input.stopPrice, "stopPrice", NEEDS_STOP.has(input.type));
  return {
    accountId,
    contract: normalizeContract(input.contract),
    side: input.side,
    type: input.type,
    quantity: input.quantity,
    limitPrice,
    stopPrice,
    timeInForce: input.timeInForce,
    clientOrderId,
  };
}

/** Checks a modification against the order's type; at least one field must change. */
export function validateModifyOrder(type: OrderType, input: ModifyOrderInput): ModifyOrderInput {
  const { quantity, limitPrice, stopPrice, timeInForce } = input;
  if (quantity == null && limitPrice == null && stopPrice == null && timeInForce == null) {
    throw badInput("Nothing to modify: give at least one of quantity, limitPrice, stopPrice, timeInForce.");
  }
  if (quantity != null) checkQuantity(quantity, "quantity");
  if (limitPrice != null) checkPrice(type, limitPrice, "limitPrice", NEEDS_LIMIT.has(type));
  if (stopPrice != null) checkPrice(type, stopPrice, "stopPrice", NEEDS_STOP.has(type));
  return input;
}

export function checkAccountId(raw: string): string {
  const id = raw?.trim() ?? "";
  if (!/^[A-Za-z0-9]{1,32}$/.test(id)) {
    throw badInput(`accountId "${String(raw).slice(0, 40)}" is not an IB account id (e.g. "DU1234567").`, {
      field: "accountId",
    });
  }
  return id;
}

export function checkOrderId(raw: string): string {
  const id = raw?.trim() ?? "";
  if (!/^[0-9A-Za-z:_-]{1,64}$/.test(id)) {
    throw badInput(`Order id "${String(raw).slice(0, 40)}" is malformed; use the \`id\` field of an Order.`, {
      field: "id",
    });
  }
  return id;
}

function checkQuantity(q: number, field: string): void {
  if (!Number.isFinite(q) || q < MIN_QUANTITY || q > MAX_QUANTITY) {
    throw badInput(
      `${field} must be a positive finite number of at least ${MIN_QUANTITY} and up to ${MAX_QUANTITY} (got ${q}).`,
      {
        field,
      },
    );
  }
}

function checkPrice(type: OrderType, price: number | null | undefined, field: string, required: boolean) {
  if (required) {
    if (price == null) throw badInput(`${field} is required for ${type} orders.`, { field });
    if (!Number.isFinite(price) || price < MIN_PRICE || price > MAX_PRICE) {
      throw badInput(
        `${field} must be a positive finite price of at least ${MIN_PRICE} (IB's smallest tick) and up to ${MAX_PRICE} (got ${price}).`,
        { field },
      );
    }
    return price;
  }
  if (price != null) {
    throw badInput(`${field} must be absent for ${type} orders; remove it or change the order type.`, {
      field,
    });
  }
  return null;
}

function normalizeContract(c: ContractInput): ContractInput {
  if (!c)
    throw badInput("contract is required: give a conid, or a symbol with secType.", { field: "contract" });
  if (c.conid != null) {
    if (!Number.isInteger(c.conid) || c.conid <= 0) {
      throw badInput(`contract.conid must be a positive integer IB contract id (got ${c.conid}).`, {
        field: "contract.conid",
      });
    }
  } else if (c.symbol == null || c.symbol.trim() === "") {
    throw badInput('contract needs a conid, or a symbol (e.g. { symbol: "AAPL", secType: STK }).', {
      field: "contract",
    });
  }
  const symbol = c.symbol?.trim().toUpperCase() ?? null;
  if (symbol != null && !SYMBOL_PATTERN.test(symbol)) {
    throw badInput(`contract.symbol "${symbol.slice(0, 40)}" is not a valid symbol.`, {
      field: "contract.symbol",
    });
  }
  const exchange = c.exchange?.trim().toUpperCase() ?? null;
  if (exchange != null && !CODE_PATTERN.test(exchange)) {
    throw badInput(`contract.exchange "${exchange.slice(0, 40)}" is not an exchange code (e.g. SMART).`, {
      field: "contract.exchange",
    });
  }
  const currency = c.currency?.trim().toUpperCase() ?? null;
  if (currency != null && !CURRENCY_PATTERN.test(currency)) {
    throw badInput(`contract.currency "${currency.slice(0, 40)}" must be a 3-letter ISO code (e.g. USD).`, {
      field: "contract.currency",
    });
  }
  return {
    // Derivative fields (expiry, strike, right…): checked by the contract module.
    ...checkContractInput(c),
    conid: c.conid ?? null,
    symbol,
    secType: c.secType ?? (symbol != null ? SecType.STK : null),
    exchange,
    currency,
  };
}

/** The order as a modification would leave it: what the limits check and Client Portal resends whole. */
export function requestAfterModify(order: Order, changes: ModifyOrderInput): OrderRequest {
  return {
    ...termsAfterModify(order, changes),
    contract: { conid: order.contract.conid },
    clientOrderId: order.clientOrderId ?? "",
  };
}
