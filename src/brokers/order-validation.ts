import { badInput, isAppError } from "../errors";
import { IB_MAX_COMBO_LEGS } from "../ib-limits";
import type { ContractInput } from "../schema/contract.type";
import { checkContractInput } from "./contract-input";
import { OrderSide, OrderType, SecType, TimeInForce } from "../schema/enums";
import type { ComboLegInput } from "../schema/combo-leg.type";
import type { BracketInput, ModifyOrderInput, PlaceOrderInput } from "../schema/order.input";
import type { Order } from "../schema/order.type";
import { termsAfterModify, type BracketTerms, type ComboLegTerms, type OrderRequest } from "./order-terms";

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

type Need = "required" | "optional" | "forbidden";

/** Which prices each order type takes, as IB's order types define them. */
const PRICES: Record<OrderType, { limit: Need; stop: Need; trail: Need; trigger: Need }> = {
  [OrderType.MARKET]: { limit: "forbidden", stop: "forbidden", trail: "forbidden", trigger: "forbidden" },
  [OrderType.LIMIT]: { limit: "required", stop: "forbidden", trail: "forbidden", trigger: "forbidden" },
  [OrderType.STOP]: { limit: "forbidden", stop: "required", trail: "forbidden", trigger: "forbidden" },
  [OrderType.STOP_LIMIT]: { limit: "required", stop: "required", trail: "forbidden", trigger: "forbidden" },
  // IB's trailStopPrice: the initial stop; without it IB starts the trail from the market.
  [OrderType.TRAILING_STOP]: {
    limit: "forbidden",
    stop: "optional",
    trail: "required",
    trigger: "forbidden",
  },
  [OrderType.TRAILING_STOP_LIMIT]: {
    limit: "forbidden",
    stop: "optional",
    trail: "required",
    trigger: "forbidden",
  },
  [OrderType.MARKET_ON_CLOSE]: {
    limit: "forbidden",
    stop: "forbidden",
    trail: "forbidden",
    trigger: "forbidden",
  },
  [OrderType.LIMIT_ON_CLOSE]: {
    limit: "required",
    stop: "forbidden",
    trail: "forbidden",
    trigger: "forbidden",
  },
  [OrderType.MARKET_IF_TOUCHED]: {
    limit: "forbidden",
    stop: "forbidden",
    trail: "forbidden",
    trigger: "required",
  },
  [OrderType.LIMIT_IF_TOUCHED]: {
    limit: "required",
    stop: "forbidden",
    trail: "forbidden",
    trigger: "required",
  },
  // The limit is MIDPRICE's optional price cap.
  [OrderType.MIDPRICE]: { limit: "optional", stop: "forbidden", trail: "forbidden", trigger: "forbidden" },
};

/**
 * The time-in-force values IB takes per order type: OPG is for market/limit on the open only, the close
 * types are day orders by definition, fill-or-kill is for market and limit orders.
 */
const TIFS: Partial<Record<TimeInForce, readonly OrderType[]>> = {
  [TimeInForce.OPG]: [OrderType.MARKET, OrderType.LIMIT],
  [TimeInForce.FOK]: [OrderType.MARKET, OrderType.LIMIT],
  [TimeInForce.IOC]: [
    OrderType.MARKET,
    OrderType.LIMIT,
    OrderType.STOP,
    OrderType.STOP_LIMIT,
    OrderType.MIDPRICE,
  ],
};
const DAY_ONLY = new Set([OrderType.MARKET_ON_CLOSE, OrderType.LIMIT_ON_CLOSE]);
/** IB ignores outsideRth for these (warning 2109): they trade only in the regular session. */
const RTH_ONLY = new Set([
  OrderType.MARKET,
  OrderType.MARKET_ON_CLOSE,
  OrderType.LIMIT_ON_CLOSE,
  OrderType.MIDPRICE,
]);
const MAX_TRAILING_PERCENT = 99.99;
/** A combo of one leg is that leg's own order; the most is IB_MAX_COMBO_LEGS. */
export const MIN_COMBO_LEGS = 2;
/** The order types IB takes for smart combos here; the rest need per-leg prices or are not offered. */
const COMBO_TYPES: readonly OrderType[] = [OrderType.LIMIT, OrderType.MARKET];
/** What bracket children append to the parent's key; the parent's key leaves room for it within 64. */
export const BRACKET_SUFFIXES = { takeProfit: ".tp", stopLoss: ".sl" } as const;

/**
 * Checks and normalizes an order before anything goes upstream. Every message names the field and what to
 * send instead, because the reader is usually a script author looking at a failed mutation.
 */
export function validatePlaceOrder(input: PlaceOrderInput, now: Date = new Date()): OrderRequest {
  const clientOrderId = input.clientOrderId?.trim() ?? "";
  if (!ID_PATTERN.test(clientOrderId)) {
    throw badInput(
      "clientOrderId must be 1-64 characters of letters, digits, '.', '_', ':' or '-' (e.g. \"bot-20260101-0001\").",
      { field: "clientOrderId" },
    );
  }
  const accountId = checkAccountId(input.accountId);
  checkQuantity(input.quantity, "quantity");
  const { type } = input;
  const spec = PRICES[type];
  if (input.legs != null) return validateCombo(input, clientOrderId, accountId);
  const limitPrice = checkPrice(type, input.limitPrice, "limitPrice", spec.limit);
  const stopPrice = checkPrice(type, input.stopPrice, "stopPrice", spec.stop);
  const triggerPrice = checkPrice(type, input.triggerPrice, "triggerPrice", spec.trigger);
  const { trailingAmount, trailingPercent } = checkTrail(type, input, spec.trail);
  const limitOffset = checkLimitOffset(type, input.limitOffset);
  const timeInForce = input.timeInForce ?? TimeInForce.DAY;
  const goodTillDate = checkTimeInForce(type, timeInForce, input.goodTillDate ?? null, now);
  const outsideRth = input.outsideRth ?? false;
  if (outsideRth && RTH_ONLY.has(type)) {
    throw badInput(
      `outsideRth is not possible for ${type} orders: IB only executes them in regular trading hours. Remove it.`,
      { field: "outsideRth" },
    );
  }
  const ocaGroup = checkOcaGroup(input.ocaGroup);
  const bracket = input.bracket
    ? checkBracket(input, input.bracket, { limitPrice, stopPrice, triggerPrice }, clientOrderId)
    : null;
  if (bracket && ocaGroup) {
    throw badInput("ocaGroup and bracket exclude each other: a bracket's exits form their own OCA group.", {
      field: "ocaGroup",
    });
  }
  return {
    accountId,
    contract: normalizeContract(input.contract ?? null),
    side: input.side,
    type,
    quantity: input.quantity,
    limitPrice,
    stopPrice,
    timeInForce,
    trailingAmount,
    trailingPercent,
    limitOffset,
    triggerPrice,
    goodTillDate,
    outsideRth,
    ocaGroup,
    clientOrderId,
    bracket,
  };
}

/**
 * A combo (BAG) order: 2–6 legs with positive whole ratios and distinct contracts, LIMIT (a net price of any sign,
 * negative = a credit) or MARKET, whole combos, DAY or GTC, none of the single-order extras. The legs' contracts are
 * checked like any contract here and resolved by the broker service (same underlying and currency, IB's rule).
 */
function validateCombo(input: PlaceOrderInput, clientOrderId: string, accountId: string): OrderRequest {
  const legsIn = input.legs!;
  if (legsIn.length < MIN_COMBO_LEGS || legsIn.length > IB_MAX_COMBO_LEGS) {
    throw badInput(
      `A combo needs ${MIN_COMBO_LEGS} to ${IB_MAX_COMBO_LEGS} legs (got ${legsIn.length}); a single contract is an order without legs.`,
      { field: "legs" },
    );
  }
  const legs = legsIn.map((l, n) => checkLeg(l, n));
  const seen = new Set<string>();
  for (const [n, l] of legs.entries()) {
    const key = JSON.stringify([
      l.contract.conid,
      l.contract.symbol,
      l.contract.lastTradeDate,
      l.contract.strike,
      l.contract.right,
      l.contract.localSymbol,
    ]);
    if (seen.has(key))
      throw badInput(`legs[${n}] names the same contract as an earlier leg: give each contract once.`, {
        field: `legs[${n}].contract`,
      });
    seen.add(key);
  }
  const symbols = new Set(legs.map((l) => l.contract.symbol).filter((x): x is string => x != null));
  if (symbols.size > 1) {
    throw badInput(
      `The legs of a combo must share one underlying (IB's rule); got ${[...symbols].join(", ")}.`,
      { field: "legs" },
    );
  }
  const currencies = new Set(legs.map((l) => l.contract.currency).filter((x): x is string => x != null));
  if (currencies.size > 1) {
    throw badInput(
      `The legs of a combo must share one currency (IB's rule); got ${[...currencies].join(", ")}.`,
      {
        field: "legs",
      },
    );
  }
  const { type } = input;
  if (!COMBO_TYPES.includes(type)) {
    throw badInput(`A combo order is LIMIT or MARKET, not ${type}.`, { field: "type" });
  }
  if (!Number.isInteger(input.quantity)) {
    throw badInput(`quantity of a combo is a whole number of combos (got ${input.quantity}).`, {
      field: "quantity",
    });
  }
  const limitPrice = type === OrderType.LIMIT ? checkNetPrice(input.limitPrice, "limitPrice") : null;
  if (type === OrderType.MARKET && input.limitPrice != null) {
    throw badInput("limitPrice must be absent for MARKET orders; remove it or change the order type.", {
      field: "limitPrice",
    });
  }
  for (const field of [
    "stopPrice",
    "triggerPrice",
    "trailingAmount",
    "trailingPercent",
    "limitOffset",
    "goodTillDate",
    "ocaGroup",
    "bracket",
  ] as const) {
    if (input[field] != null)
      throw badInput(
        `${field} is not possible for a combo order (IB's smart combos take a net limit only).`,
        {
          field,
        },
      );
  }
  const timeInForce = input.timeInForce ?? TimeInForce.DAY;
  if (timeInForce !== TimeInForce.DAY && timeInForce !== TimeInForce.GTC) {
    throw badInput(`timeInForce of a combo is DAY or GTC (got ${timeInForce}).`, { field: "timeInForce" });
  }
  // `contract` may name the combo's underlying: it must then agree with the legs.
  const named = input.contract?.symbol?.trim().toUpperCase() || null;
  const legSymbol = [...symbols][0] ?? null;
  if (named && legSymbol && named !== legSymbol) {
    throw badInput(`contract.symbol ${named} is not the legs' underlying ${legSymbol}.`, {
      field: "contract.symbol",
    });
  }
  if (
    input.contract?.conid != null ||
    (input.contract?.secType != null && input.contract.secType !== SecType.BAG)
  ) {
    throw badInput(
      "With legs, contract may only name the underlying symbol (or be left out): the legs say what trades.",
      {
        field: "contract",
      },
    );
  }
  return {
    accountId,
    contract: {
      symbol: named ?? legSymbol,
      secType: SecType.BAG,
      exchange: "SMART",
      currency: [...currencies][0] ?? null,
    },
    side: input.side,
    type,
    quantity: input.quantity,
    limitPrice,
    stopPrice: null,
    timeInForce,
    trailingAmount: null,
    trailingPercent: null,
    limitOffset: null,
    triggerPrice: null,
    goodTillDate: null,
    outsideRth: input.outsideRth ?? false,
    ocaGroup: null,
    legs,
    clientOrderId,
    bracket: null,
  };
}

function checkLeg(l: ComboLegInput, n: number): ComboLegTerms {
  const field = `legs[${n}]`;
  if (!Number.isInteger(l.ratio) || l.ratio <= 0 || l.ratio > 1000) {
    throw badInput(`${field}.ratio must be a whole number from 1 to 1000 (got ${l.ratio}).`, {
      field: `${field}.ratio`,
    });
  }
  if (l.side !== OrderSide.BUY && l.side !== OrderSide.SELL) {
    throw badInput(`${field}.side must be BUY or SELL.`, { field: `${field}.side` });
  }
  let contract: ContractInput;
  try {
    contract = normalizeContract(l.contract);
  } catch (e) {
    // The same checks as an order's contract, reported against the leg.
    if (!isAppError(e)) throw e;
    const f = typeof e.details.field === "string" ? e.details.field : "contract";
    throw badInput(`${field}: ${e.message}`, { ...e.details, field: `${field}.${f}` });
  }
  if (contract.secType === SecType.BAG)
    throw badInput(`${field}.contract cannot be a combo itself.`, { field: `${field}.contract.secType` });
  return { contract, ratio: l.ratio, side: l.side };
}

/** A combo's net price per combo: any sign (negative = a credit), finite, within IB's range. */
function checkNetPrice(price: number | null | undefined, field: string): number {
  if (price == null)
    throw badInput(`${field} is required for a LIMIT combo: the net price per combo.`, { field });
  if (!Number.isFinite(price) || Math.abs(price) > MAX_PRICE) {
    throw badInput(`${field} must be a finite net price up to ${MAX_PRICE} either way (got ${price}).`, {
      field,
    });
  }
  return price;
}

function checkTrail(
  type: OrderType,
  input: Pick<PlaceOrderInput, "trailingAmount" | "trailingPercent">,
  need: Need,
): { trailingAmount: number | null; trailingPercent: number | null } {
  const amount = input.trailingAmount ?? null;
  const percent = input.trailingPercent ?? null;
  if (need === "forbidden") {
    const field = amount != null ? "trailingAmount" : percent != null ? "trailingPercent" : null;
    if (field) {
      throw badInput(`${field} is only for TRAILING_STOP and TRAILING_STOP_LIMIT orders, not ${type}.`, {
        field,
      });
    }
    return { trailingAmount: null, trailingPercent: null };
  }
  if ((amount == null) === (percent == null)) {
    throw badInput(`${type} needs exactly one of trailingAmount (price units) and trailingPercent.`, {
      field: "trailingAmount",
    });
  }
  if (amount != null) checkPrice(type, amount, "trailingAmount", "required");
  if (percent != null && (!Number.isFinite(percent) || percent <= 0 || percent > MAX_TRAILING_PERCENT)) {
    throw badInput(`trailingPercent must be above 0 and at most ${MAX_TRAILING_PERCENT} (got ${percent}).`, {
      field: "trailingPercent",
    });
  }
  return { trailingAmount: amount, trailingPercent: percent };
}

function checkLimitOffset(type: OrderType, offset: number | null | undefined): number | null {
  if (type !== OrderType.TRAILING_STOP_LIMIT) {
    if (offset != null) {
      throw badInput(`limitOffset is only for TRAILING_STOP_LIMIT orders, not ${type}.`, {
        field: "limitOffset",
      });
    }
    return null;
  }
  if (offset == null) {
    throw badInput(
      "limitOffset is required for TRAILING_STOP_LIMIT orders: the limit's distance from the trailing stop.",
      { field: "limitOffset" },
    );
  }
  // 0 is a valid offset: the limit sits at the stop price.
  if (!Number.isFinite(offset) || offset < 0 || offset > MAX_PRICE) {
    throw badInput(`limitOffset must be a finite price distance of 0 or more (got ${offset}).`, {
      field: "limitOffset",
    });
  }
  return offset;
}

function checkTimeInForce(
  type: OrderType,
  tif: TimeInForce,
  goodTillDate: Date | null,
  now: Date,
): Date | null {
  const allowed = TIFS[tif];
  if ((allowed && !allowed.includes(type)) || (DAY_ONLY.has(type) && tif !== TimeInForce.DAY)) {
    throw badInput(
      DAY_ONLY.has(type)
        ? `${type} orders are day orders: use timeInForce DAY.`
        : `timeInForce ${tif} is only possible for ${allowed!.join(", ")} orders, not ${type}.`,
      { field: "timeInForce" },
    );
  }
  if (tif !== TimeInForce.GTD) {
    if (goodTillDate != null) {
      throw badInput("goodTillDate needs timeInForce GTD; remove it or set timeInForce: GTD.", {
        field: "goodTillDate",
      });
    }
    return null;
  }
  if (goodTillDate == null || !Number.isFinite(goodTillDate.getTime())) {
    throw badInput('timeInForce GTD needs goodTillDate (e.g. "2026-12-31T21:00:00Z").', {
      field: "goodTillDate",
    });
  }
  if (goodTillDate.getTime() <= now.getTime()) {
    throw badInput(`goodTillDate ${goodTillDate.toISOString()} is not in the future.`, {
      field: "goodTillDate",
    });
  }
  // IB takes the date to the second.
  return new Date(Math.floor(goodTillDate.getTime() / 1000) * 1000);
}

function checkOcaGroup(raw: string | null | undefined): string | null {
  if (raw == null) return null;
  const group = raw.trim();
  if (!ID_PATTERN.test(group)) {
    throw badInput("ocaGroup must be 1-64 characters of letters, digits, '.', '_', ':' or '-'.", {
      field: "ocaGroup",
    });
  }
  return group;
}

/**
 * The exits must lie on the right side of the entry: for a BUY, take-profit above and stop-loss below the
 * entry's price (and the other way round for a SELL), or IB would fill the exit the moment it activates.
 */
function checkBracket(
  input: PlaceOrderInput,
  b: BracketInput,
  prices: { limitPrice: number | null; stopPrice: number | null; triggerPrice: number | null },
  clientOrderId: string,
): BracketTerms {
  const tp = b.takeProfitLimitPrice ?? null;
  const sl = b.stopLossStopPrice ?? null;
  const slLimit = b.stopLossLimitPrice ?? null;
  if (tp == null && sl == null) {
    throw badInput("bracket needs at least one leg: takeProfitLimitPrice and/or stopLossStopPrice.", {
      field: "bracket",
    });
  }
  if (slLimit != null && sl == null) {
    throw badInput("bracket.stopLossLimitPrice needs bracket.stopLossStopPrice.", {
      field: "bracket.stopLossLimitPrice",
    });
  }
  if (tp != null) checkPrice(input.type, tp, "bracket.takeProfitLimitPrice", "required");
  if (sl != null) checkPrice(input.type, sl, "bracket.stopLossStopPrice", "required");
  if (slLimit != null) checkPrice(input.type, slLimit, "bracket.stopLossLimitPrice", "required");
  if (input.ocaGroup != null) {
    throw badInput("ocaGroup and bracket exclude each other: a bracket's exits form their own OCA group.", {
      field: "ocaGroup",
    });
  }
  const longest = Math.max(...Object.values(BRACKET_SUFFIXES).map((x) => x.length));
  if (clientOrderId.length + longest > 64) {
    throw badInput(
      `clientOrderId of a bracket may have at most ${64 - longest} characters: its exits append ".tp" / ".sl".`,
      { field: "clientOrderId" },
    );
  }
  const up = input.side === OrderSide.BUY ? 1 : -1;
  const entry = prices.limitPrice ?? prices.stopPrice ?? prices.triggerPrice;
  const side = input.side === OrderSide.BUY ? "above" : "below";
  const other = input.side === OrderSide.BUY ? "below" : "above";
  if (entry != null && tp != null && up * (tp - entry) <= 0) {
    throw badInput(
      `bracket.takeProfitLimitPrice ${tp} must be ${side} the entry price ${entry} for a ${input.side}.`,
      { field: "bracket.takeProfitLimitPrice" },
    );
  }
  if (entry != null && sl != null && up * (entry - sl) <= 0) {
    throw badInput(
      `bracket.stopLossStopPrice ${sl} must be ${other} the entry price ${entry} for a ${input.side}.`,
      {
        field: "bracket.stopLossStopPrice",
      },
    );
  }
  if (tp != null && sl != null && up * (tp - sl) <= 0) {
    throw badInput(
      `bracket.takeProfitLimitPrice ${tp} must be ${side} bracket.stopLossStopPrice ${sl} for a ${input.side}.`,
      { field: "bracket.takeProfitLimitPrice" },
    );
  }
  if (slLimit != null && sl != null && up * (sl - slLimit) < 0) {
    // The exit sells (for a BUY entry): a stop-limit sell's limit at or below its stop, so it can fill.
    throw badInput(
      `bracket.stopLossLimitPrice ${slLimit} must be ${other} or at bracket.stopLossStopPrice ${sl} for a ${input.side} entry.`,
      { field: "bracket.stopLossLimitPrice" },
    );
  }
  return { takeProfitLimitPrice: tp, stopLossStopPrice: sl, stopLossLimitPrice: slLimit };
}

/**
 * Checks a modification against the order's type; at least one field must change. A combo's limit is a net price
 * of any sign, its quantity whole combos, and it has no stop.
 */
export function validateModifyOrder(
  type: OrderType,
  input: ModifyOrderInput,
  combo = false,
): ModifyOrderInput {
  if (combo) {
    if (input.quantity == null && input.limitPrice == null && input.timeInForce == null) {
      throw badInput("Nothing to modify: give at least one of quantity, limitPrice, timeInForce.");
    }
    if (input.quantity != null) {
      checkQuantity(input.quantity, "quantity");
      if (!Number.isInteger(input.quantity))
        throw badInput(`quantity of a combo is a whole number of combos (got ${input.quantity}).`, {
          field: "quantity",
        });
    }
    if (input.stopPrice != null) throw badInput("A combo order has no stopPrice.", { field: "stopPrice" });
    if (input.limitPrice != null) {
      if (type !== OrderType.LIMIT)
        throw badInput(`limitPrice must be absent for ${type} orders.`, { field: "limitPrice" });
      checkNetPrice(input.limitPrice, "limitPrice");
    }
    if (
      input.timeInForce != null &&
      input.timeInForce !== TimeInForce.DAY &&
      input.timeInForce !== TimeInForce.GTC
    )
      throw badInput(`timeInForce of a combo is DAY or GTC (got ${input.timeInForce}).`, {
        field: "timeInForce",
      });
    return input;
  }
  const { quantity, limitPrice, stopPrice, timeInForce } = input;
  if (quantity == null && limitPrice == null && stopPrice == null && timeInForce == null) {
    throw badInput("Nothing to modify: give at least one of quantity, limitPrice, stopPrice, timeInForce.");
  }
  if (quantity != null) checkQuantity(quantity, "quantity");
  if (timeInForce === TimeInForce.GTD) {
    throw badInput("A modification cannot carry a goodTillDate: cancel and place a new GTD order.", {
      field: "timeInForce",
    });
  }
  if (timeInForce != null) checkTimeInForce(type, timeInForce, null, new Date());
  if (limitPrice != null) checkPrice(type, limitPrice, "limitPrice", PRICES[type].limit);
  if (stopPrice != null) checkPrice(type, stopPrice, "stopPrice", PRICES[type].stop);
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

function checkPrice(
  type: OrderType,
  price: number | null | undefined,
  field: string,
  need: Need,
): number | null {
  if (need === "required" || (need === "optional" && price != null)) {
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

function normalizeContract(c: ContractInput | null): ContractInput {
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
