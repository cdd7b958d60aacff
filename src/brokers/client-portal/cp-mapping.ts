import type { Account, AccountSummary } from "../../schema/account.type";
import type { Contract } from "../../schema/contract.type";
import {
  BrokerApi,
  OrderClass,
  OrderSide,
  OrderStatus,
  OrderType,
  SecType,
  TimeInForce,
} from "../../schema/enums";
import type { Fill, Order, OrderConfirmation, OrderPreview } from "../../schema/order.type";
import type { Position } from "../../schema/position.type";
import { comboLegsOf } from "../combo-orders";
import { optionRightOf } from "../contract-input";
import { accountTypeOf, type OrderRequest, type OrderTerms } from "../order-terms";
import { arr, ibTime, int, isObject, num, str, type Json } from "./cp-parse";

/** Client Portal shapes → the domain model (src/schema). One place, so both directions agree. */

export { accountTypeOf };

export function mapAccount(id: string, currency: string | null): Account {
  return { id, type: accountTypeOf(id), currency, sources: [BrokerApi.CLIENT_PORTAL] };
}

const SEC_TYPES = new Set<string>(Object.values(SecType));

export function secTypeOf(v: unknown): SecType {
  const s = typeof v === "string" ? v.toUpperCase() : "";
  if (SEC_TYPES.has(s)) return s as SecType;
  if (s === "FX" || s === "FOREX") return SecType.CASH;
  if (s === "CRYPTO" || s === "CRYPTOCURRENCY") return SecType.CRYPTO;
  return SecType.STK;
}

/** One entry of `/portfolio/{id}/summary`, null when IB marks it unset. */
function summaryAmount(summary: Json, key: string): number | null {
  const entry = summary[key];
  if (!isObject(entry)) return num(entry);
  if (entry.isNull === true || entry.isNone === true) return null;
  return num(entry.amount);
}

export function mapSummary(summary: Json, asOf: Date): AccountSummary {
  const net = summary.netliquidation;
  const currency = isObject(net) ? str(net.currency) : null;
  return {
    netLiquidation: summaryAmount(summary, "netliquidation"),
    totalCash: summaryAmount(summary, "totalcashvalue"),
    buyingPower: summaryAmount(summary, "buyingpower"),
    availableFunds: summaryAmount(summary, "availablefunds"),
    excessLiquidity: summaryAmount(summary, "excessliquidity"),
    initMarginReq: summaryAmount(summary, "initmarginreq"),
    maintMarginReq: summaryAmount(summary, "maintmarginreq"),
    equityWithLoan: summaryAmount(summary, "equitywithloanvalue"),
    grossPositionValue: summaryAmount(summary, "grosspositionvalue"),
    currency,
    source: BrokerApi.CLIENT_PORTAL,
    asOf,
  };
}

export function mapPosition(p: Json, asOf: Date): Position | null {
  const conid = int(p.conid);
  const accountId = str(p.acctId);
  const quantity = num(p.position);
  if (conid === null || accountId === null || quantity === null) return null;
  const secType = secTypeOf(p.assetClass);
  return {
    accountId,
    contract: {
      conid,
      symbol: str(p.ticker) ?? str(p.contractDesc)?.split(" ")[0] ?? String(conid),
      secType,
      exchange: str(p.listingExchange),
      currency: str(p.currency) ?? "USD",
      lastTradeDate:
        secType === SecType.STK || secType === SecType.CASH ? null : (str(p.expiry) ?? str(p.lastTradingDay)),
      ...derivativeFields(p, secType),
    },
    quantity,
    // IB's avgCost includes the multiplier, as TWS's averageCost does.
    averageCost: num(p.avgCost),
    marketPrice: num(p.mktPrice),
    marketValue: num(p.mktValue),
    unrealizedPnl: num(p.unrealizedPnl),
    realizedPnl: num(p.realizedPnl),
    source: BrokerApi.CLIENT_PORTAL,
    asOf,
  };
}

/** Strike, right, multiplier and underlying of a derivative position row; empty for stocks and FX. */
function derivativeFields(p: Json, secType: SecType): Partial<Contract> {
  if (secType === SecType.STK || secType === SecType.CASH) return {};
  const strike = num(p.strike);
  const multiplier = num(p.multiplier);
  const underlying = int(p.undConid);
  return {
    strike: strike && strike > 0 ? strike : null,
    right: optionRightOf(p.putOrCall),
    multiplier: multiplier && multiplier > 0 ? multiplier : null,
    localSymbol: secType === SecType.OPT ? str(p.contractDesc) : null,
    underlyingConid: underlying && underlying > 0 ? underlying : null,
  };
}

/** `/iserver/contract/{conid}/info` (snake_case; some builds answer camelCase) → Contract. */
export function mapContractInfo(info: Json): Contract | null {
  const conid = int(info.con_id ?? info.conid ?? info.conId);
  const symbol = str(info.symbol) ?? str(info.ticker);
  if (conid === null || symbol === null) return null;
  const secType = secTypeOf(info.instrument_type ?? info.secType ?? info.assetClass);
  const derivative = secType !== SecType.STK && secType !== SecType.CASH;
  const strike = num(info.strike);
  const multiplier = num(info.multiplier);
  const underlying = int(info.underlying_con_id ?? info.undConid);
  return {
    conid,
    symbol,
    secType,
    exchange: str(info.exchange) ?? str(info.listingExchange),
    currency: str(info.currency) ?? "USD",
    lastTradeDate:
      secType === SecType.STK
        ? null
        : (str(info.maturity_date) ?? str(info.maturityDate) ?? str(info.expiry_full) ?? str(info.expiry)),
    strike: strike && strike > 0 ? strike : null,
    right: optionRightOf(info.right ?? info.putOrCall),
    multiplier: derivative && multiplier && multiplier > 0 ? multiplier : null,
    tradingClass: str(info.trading_class) ?? str(info.tradingClass),
    localSymbol: str(info.local_symbol),
    description: str(info.company_name) ?? str(info.name),
    underlyingConid: derivative && underlying ? underlying : null,
  };
}

// ---- orders ----

/** The order types Client Portal documents for `orderType`; IB takes the others through TWS only. */
const CP_ORDER_TYPES: Partial<Record<OrderType, string>> = {
  [OrderType.MARKET]: "MKT",
  [OrderType.LIMIT]: "LMT",
  [OrderType.STOP]: "STP",
  [OrderType.STOP_LIMIT]: "STOP_LIMIT",
  [OrderType.TRAILING_STOP]: "TRAIL",
  [OrderType.TRAILING_STOP_LIMIT]: "TRAILLMT",
  [OrderType.MARKET_ON_CLOSE]: "MOC",
  [OrderType.LIMIT_ON_CLOSE]: "LOC",
  [OrderType.MIDPRICE]: "MIDPRICE",
};
/** Client Portal's documented `tif` values (no goodTillDate field, no fill-or-kill). */
const CP_TIFS = new Set<TimeInForce>([TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.OPG]);

export function cpOrderType(t: OrderType): string {
  const code = CP_ORDER_TYPES[t];
  if (!code) throw new Error(`Client Portal has no order type for ${t}`);
  return code;
}

/**
 * Why Client Portal cannot take these terms as they are, or null when it can. Its trailing orders carry the
 * stop price in `price`/`auxPrice` (IB's documented shape), so they need an initial stopPrice here; named
 * OCA groups and GTD/FOK have no field in its order body.
 */
export function cpUnsupported(t: OrderTerms & { bracket?: unknown }): string | null {
  if (!CP_ORDER_TYPES[t.type]) return `Client Portal does not take ${t.type} orders`;
  if (!CP_TIFS.has(t.timeInForce)) return `Client Portal does not take timeInForce ${t.timeInForce}`;
  if (
    (t.type === OrderType.TRAILING_STOP || t.type === OrderType.TRAILING_STOP_LIMIT) &&
    t.stopPrice == null
  ) {
    return `Client Portal's ${t.type} needs an initial stopPrice`;
  }
  if (t.ocaGroup) return "Client Portal has no named OCA groups (ocaGroup)";
  return null;
}

export function orderTypeOf(v: unknown): OrderType {
  const s = (typeof v === "string" ? v : "")
    .toUpperCase()
    .replace(/[\s_]+/g, " ")
    .trim();
  switch (s) {
    case "MKT":
    case "MARKET":
      return OrderType.MARKET;
    case "STP":
    case "STOP":
      return OrderType.STOP;
    case "STOP LIMIT":
    case "STP LMT":
    case "STPLMT":
      return OrderType.STOP_LIMIT;
    case "TRAIL":
    case "TRAILING STOP":
      return OrderType.TRAILING_STOP;
    case "TRAILLMT":
    case "TRAIL LIMIT":
    case "TRAILING STOP LIMIT":
      return OrderType.TRAILING_STOP_LIMIT;
    case "MOC":
    case "MARKET ON CLOSE":
      return OrderType.MARKET_ON_CLOSE;
    case "LOC":
    case "LIMIT ON CLOSE":
      return OrderType.LIMIT_ON_CLOSE;
    case "MIDPRICE":
      return OrderType.MIDPRICE;
    case "MIT":
      return OrderType.MARKET_IF_TOUCHED;
    case "LIT":
      return OrderType.LIMIT_IF_TOUCHED;
    default:
      return OrderType.LIMIT;
  }
}

export function timeInForceOf(v: unknown): TimeInForce {
  const s = typeof v === "string" ? v.toUpperCase() : "";
  return (Object.values(TimeInForce) as string[]).includes(s) ? (s as TimeInForce) : TimeInForce.DAY;
}

export function sideOf(v: unknown): OrderSide {
  const s = typeof v === "string" ? v.toUpperCase() : "";
  return s === "SELL" || s === "S" || s === "SLD" ? OrderSide.SELL : OrderSide.BUY;
}

/** IB's status text (live orders' `status`, placement's `order_status`) → OrderStatus. */
export function orderStatusOf(v: unknown, filled = 0, remaining = 1): OrderStatus {
  const s = (typeof v === "string" ? v : "").replace(/[\s_]/g, "").toLowerCase();
  switch (s) {
    case "pendingsubmit":
    case "apipending":
      return OrderStatus.PENDING_SUBMIT;
    case "presubmitted":
      return filled > 0 && remaining > 0 ? OrderStatus.PARTIALLY_FILLED : OrderStatus.PRE_SUBMITTED;
    case "submitted":
    case "warnstate":
      return filled > 0 && remaining > 0 ? OrderStatus.PARTIALLY_FILLED : OrderStatus.SUBMITTED;
    case "filled":
      return OrderStatus.FILLED;
    case "pendingcancel":
      return OrderStatus.PENDING_CANCEL;
    case "cancelled":
    case "canceled":
    case "apicancelled":
      return OrderStatus.CANCELLED;
    case "rejected":
      return OrderStatus.REJECTED;
    case "inactive":
      return OrderStatus.INACTIVE;
    default:
      return filled > 0 && remaining > 0 ? OrderStatus.PARTIALLY_FILLED : OrderStatus.SUBMITTED;
  }
}

/**
 * One element of `/iserver/account/orders` → Order. `firstSeen` keeps createdAt stable across polls, since
 * IB's live orders carry only the last execution time.
 */
export function mapLiveOrder(o: Json, firstSeen: (id: string) => Date): Order | null {
  const id = str(o.orderId ?? o.order_id);
  const accountId = str(o.acct ?? o.account);
  const conid = int(o.conid ?? (typeof o.conidex === "string" ? o.conidex.split(/[@;]/)[0] : undefined));
  if (id === null || accountId === null || conid === null) return null;
  const legs = legsOfConidex(o.conidex);
  const filled = num(o.filledQuantity) ?? 0;
  const total = num(o.totalSize) ?? (num(o.remainingQuantity) ?? 0) + filled;
  const remaining = num(o.remainingQuantity) ?? Math.max(0, total - filled);
  const type = orderTypeOf(o.origOrderType ?? o.orderType);
  const price = num(o.price);
  const aux = num(o.auxPrice ?? o.stop_price);
  const status = orderStatusOf(o.status ?? o.order_ccp_status, filled, remaining);
  const updatedAt = ibTime(o.lastExecutionTime_r) ?? ibTime(o.lastExecutionTime) ?? new Date();
  return {
    id,
    clientOrderId: str(o.order_ref),
    accountId,
    contract: {
      conid,
      symbol: str(o.ticker) ?? str(o.description1) ?? String(conid),
      secType: secTypeOf(o.secType),
      exchange: str(o.listingExchange),
      currency: str(o.cashCcy) ?? "USD",
    },
    ...(legs
      ? {
          legs: comboLegsOf(
            { symbol: str(o.ticker) ?? String(conid), currency: str(o.cashCcy) ?? "USD" },
            legs,
          ),
        }
      : {}),
    side: sideOf(o.side),
    type,
    quantity: total,
    limitPrice: CP_LIMITED.has(type) ? price : null,
    stopPrice:
      type === OrderType.STOP || type === OrderType.TRAILING_STOP
        ? (price ?? aux)
        : type === OrderType.STOP_LIMIT || type === OrderType.TRAILING_STOP_LIMIT
          ? aux
          : null,
    outsideRth: o.outsideRTH === true || o.outside_rth === true,
    ...(str(o.parentId) ? { parentId: str(o.parentId), orderClass: OrderClass.BRACKET } : {}),
    timeInForce: timeInForceOf(o.timeInForce ?? o.tif),
    status,
    filledQuantity: filled,
    remainingQuantity: remaining,
    averageFillPrice: filled > 0 ? num(o.avgPrice) : null,
    source: BrokerApi.CLIENT_PORTAL,
    // The Client Portal order id is IB's permanent order id, the one TWS reports as permId.
    permId: id,
    brokerOrderId: id,
    statusMessage:
      status === OrderStatus.REJECTED || status === OrderStatus.INACTIVE || status === OrderStatus.CANCELLED
        ? str(o.text)
        : null,
    createdAt: firstSeen(id),
    updatedAt,
  };
}

const CP_LIMITED = new Set([
  OrderType.LIMIT,
  OrderType.STOP_LIMIT,
  OrderType.LIMIT_ON_CLOSE,
  OrderType.MIDPRICE,
  OrderType.TRAILING_STOP_LIMIT,
]);

export interface CpTrade {
  orderId: string;
  side: OrderSide;
  accountId: string | null;
  clientOrderId: string | null;
  conid: number | null;
  fill: Fill;
}

/** One element of `/iserver/account/trades`. */
export function mapTrade(t: Json): CpTrade | null {
  const executionId = str(t.execution_id);
  const orderId = str(t.order_id);
  const quantity = num(t.size);
  const price = num(t.price);
  if (executionId === null || orderId === null || quantity === null || price === null) return null;
  return {
    orderId,
    side: sideOf(t.side),
    accountId: str(t.account) ?? str(t.accountCode),
    clientOrderId: str(t.order_ref),
    conid: int(t.conid),
    fill: {
      executionId,
      quantity,
      price,
      commission: num(t.commission),
      at: ibTime(t.trade_time_r) ?? ibTime(t.trade_time) ?? new Date(),
    },
  };
}

/**
 * A filled order gone from the live list, rebuilt from its executions (all of one order, oldest first). IB's
 * trades do not carry the order's type or limit: it reads as a filled DAY market order.
 */
export function orderFromTrades(
  clientOrderId: string,
  trades: readonly CpTrade[],
  known?: Contract,
): Order | null {
  const first = trades[0];
  if (!first) return null;
  const quantity = trades.reduce((s, t) => s + t.fill.quantity, 0);
  const notional = trades.reduce((s, t) => s + t.fill.quantity * t.fill.price, 0);
  const conid = first.conid ?? 0;
  const contract = known ?? { conid, symbol: String(conid), secType: SecType.STK, currency: "USD" };
  return {
    id: first.orderId,
    clientOrderId,
    accountId: first.accountId ?? "",
    contract,
    side: first.side,
    type: OrderType.MARKET,
    quantity,
    limitPrice: null,
    stopPrice: null,
    timeInForce: TimeInForce.DAY,
    status: OrderStatus.FILLED,
    filledQuantity: quantity,
    remainingQuantity: 0,
    averageFillPrice: quantity > 0 ? notional / quantity : null,
    source: BrokerApi.CLIENT_PORTAL,
    permId: first.orderId,
    brokerOrderId: first.orderId,
    statusMessage: null,
    createdAt: first.fill.at,
    updatedAt: trades.at(-1)?.fill.at ?? first.fill.at,
  };
}

/** An IB order question (`[{id, message[], messageIds[]}]`), as our OrderConfirmation. */
export function mapQuestion(json: unknown): OrderConfirmation | null {
  const row = Array.isArray(json) ? json[0] : json;
  if (!isObject(row)) return null;
  const replyId = str(row.id);
  if (!replyId || str(row.order_id) || !("message" in row || "messageIds" in row)) return null;
  const messages = arr(row.message).filter((m): m is string => typeof m === "string");
  if (typeof row.message === "string") messages.push(row.message);
  const messageIds = arr(row.messageIds).filter((m): m is string => typeof m === "string");
  return { replyId, messages, messageIds };
}

/**
 * A combo in IB's spread syntax: `{spread conid};;;{leg conid}/{ratio},…`, a SELL leg's ratio negative (the
 * spread conid is the BAG's, per currency: 28812380 for USD).
 */
export function conidexOf(
  bag: Pick<Contract, "conid">,
  legs: readonly { contract: { conid?: number | null }; ratio: number; side: OrderSide }[],
): string {
  const parts = legs.map((l) => `${l.contract.conid}/${l.side === OrderSide.BUY ? l.ratio : -l.ratio}`);
  return `${bag.conid};;;${parts.join(",")}`;
}

/** A live order's conidex `spread;;;leg/ratio,…` as legs; null for a single contract. */
export function legsOfConidex(conidex: unknown): { conid: number; ratio: number; side: OrderSide }[] | null {
  if (typeof conidex !== "string" || !conidex.includes(";;;")) return null;
  const legs = conidex
    .split(";;;")[1]!
    .split(",")
    .map((part) => /^\s*(\d+)\/(-?\d+)\s*$/.exec(part))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({
      conid: Number(m[1]),
      ratio: Math.abs(Number(m[2])),
      side: Number(m[2]) < 0 ? OrderSide.SELL : OrderSide.BUY,
    }));
  return legs.length > 0 ? legs : null;
}

/** The order object IB's order endpoints take; `withCoid` for placements (a modification keeps its cOID). */
export function cpOrderBody(request: OrderRequest, contract: Contract, withCoid: boolean): Json {
  const legs = request.combo?.legs ?? (contract.secType === SecType.BAG ? request.legs : null);
  const body: Json = {
    acctId: request.accountId,
    // A combo names no conid (IB would route that one contract): its conidex says what trades.
    ...(legs ? { conidex: conidexOf(contract, legs) } : { conid: contract.conid }),
    secType: `${contract.conid}:${contract.secType}`,
    orderType: cpOrderType(request.type),
    side: request.side,
    quantity: request.quantity,
    tif: request.timeInForce,
    outsideRTH: request.outsideRth ?? false,
  };
  if (withCoid && request.clientOrderId) body.cOID = request.clientOrderId;
  if (contract.exchange && contract.exchange !== "SMART") body.listingExchange = contract.exchange;
  if (contract.symbol) body.ticker = contract.symbol;
  switch (request.type) {
    case OrderType.LIMIT:
      body.price = request.limitPrice;
      break;
    case OrderType.STOP:
      body.price = request.stopPrice;
      break;
    case OrderType.STOP_LIMIT:
      body.price = request.limitPrice;
      body.auxPrice = request.stopPrice;
      break;
    case OrderType.LIMIT_ON_CLOSE:
      body.price = request.limitPrice;
      break;
    case OrderType.MIDPRICE:
      if (request.limitPrice != null) body.price = request.limitPrice;
      break;
    case OrderType.TRAILING_STOP:
      body.price = request.stopPrice;
      Object.assign(body, cpTrailing(request));
      break;
    case OrderType.TRAILING_STOP_LIMIT: {
      // TRAILLMT: price is the limit, auxPrice the stop; the limit sits limitOffset beyond the stop.
      const stop = request.stopPrice!;
      const offset = request.limitOffset ?? 0;
      body.price = request.side === OrderSide.BUY ? stop + offset : stop - offset;
      body.auxPrice = stop;
      Object.assign(body, cpTrailing(request));
      break;
    }
    default:
      break;
  }
  return body;
}

function cpTrailing(t: OrderTerms): Json {
  return t.trailingPercent != null
    ? { trailingAmt: t.trailingPercent, trailingType: "%" }
    : { trailingAmt: t.trailingAmount, trailingType: "amt" };
}

/** An order as a request describes it, before any fill: what differs is IB's answer. */
export function orderOfRequest(
  request: OrderRequest,
  contract: Contract,
  answer: Pick<Order, "id" | "status" | "remainingQuantity" | "permId" | "brokerOrderId" | "statusMessage">,
  now: Date,
): Order {
  return {
    clientOrderId: request.clientOrderId,
    accountId: request.accountId,
    contract,
    ...(request.combo
      ? { legs: request.combo.legs.map((l) => ({ contract: l.contract, ratio: l.ratio, side: l.side })) }
      : {}),
    side: request.side,
    type: request.type,
    quantity: request.quantity,
    limitPrice: request.limitPrice,
    stopPrice: request.stopPrice,
    timeInForce: request.timeInForce,
    trailingAmount: request.trailingAmount ?? null,
    trailingPercent: request.trailingPercent ?? null,
    limitOffset: request.limitOffset ?? null,
    outsideRth: request.outsideRth ?? false,
    filledQuantity: 0,
    averageFillPrice: null,
    source: BrokerApi.CLIENT_PORTAL,
    createdAt: now,
    updatedAt: now,
    ...answer,
  };
}

/** IB's amounts in what-if answers: `"215,415,594"`, `"1.00 USD"`; null when absent or unreadable. */
function amount(v: unknown): number | null {
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (typeof v !== "string") return null;
  const n = Number(
    v
      .replace(/,/g, "")
      .replace(/[A-Z]{3}$/, "")
      .trim(),
  );
  return v.trim() !== "" && Number.isFinite(n) ? n : null;
}

/** `/orders/whatif`'s answer as a preview. */
export function mapWhatIf(json: unknown): OrderPreview {
  const o: Json = isObject(json) ? json : {};
  const block = (k: string): Json => (isObject(o[k]) ? (o[k] as Json) : {});
  const commissionText = block("amount").commission;
  const currency =
    typeof commissionText === "string" ? (/([A-Z]{3})\s*$/.exec(commissionText)?.[1] ?? null) : null;
  const warnings = [o.warn, o.error].filter((w): w is string => typeof w === "string" && w.trim() !== "");
  return {
    commission: amount(commissionText),
    minCommission: null,
    maxCommission: null,
    commissionCurrency: currency,
    initMarginChange: amount(block("initial").change),
    maintMarginChange: amount(block("maintenance").change),
    equityWithLoanAfter: amount(block("equity").after),
    initMarginAfter: amount(block("initial").after),
    maintMarginAfter: amount(block("maintenance").after),
    warnings,
    source: BrokerApi.CLIENT_PORTAL,
  };
}
