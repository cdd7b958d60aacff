import {
  OrderAction,
  OrderType as IbOrderType,
  type SecType as IbSecType,
  type CommissionReport as IbCommissionReport,
  type Contract as IbContract,
  type ContractDetails as IbContractDetails,
  type Execution as IbExecution,
  type Order as IbOrder,
  type OrderState as IbOrderState,
  type Position as IbPosition,
} from "@stoqey/ib";
import type { AccountSummary } from "../../schema/account.type";
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
import type { Fill, Order, OrderPreview } from "../../schema/order.type";
import type { Position } from "../../schema/position.type";
import { optionRightOf } from "../contract-input";
import { buyOrSell, comboLegsOf, rememberLegContracts } from "../combo-orders";
import type { OrderTerms, ResolvedComboLeg } from "../order-terms";

/** IB's "unset" markers for int and double fields. */
const UNSET_INT = 2147483647;
const UNSET_DOUBLE_MIN = 1.7e308;

/** A number IB actually set, or null for its unset markers (1.797e308, 2147483647), NaN and Infinity. */
export function ibNumber(v: unknown): number | null {
  const n = typeof v === "string" ? (v.trim() === "" ? NaN : Number(v)) : v;
  if (typeof n !== "number" || !Number.isFinite(n)) return null;
  if (n === UNSET_INT || Math.abs(n) >= UNSET_DOUBLE_MIN) return null;
  return n;
}

/** An IB text field, or null when empty. */
export function ibText(v: unknown): string | null {
  if (typeof v !== "string") return null;
  const t = v.trim();
  return t === "" ? null : t;
}

const SEC_TYPES = new Set<string>(Object.values(SecType));

export function toSecType(v: string | undefined | null): SecType {
  const s = (v ?? "").toUpperCase();
  if (SEC_TYPES.has(s)) return s as SecType;
  if (s === "CONTFUT") return SecType.FUT;
  if (s === "IOPT") return SecType.WAR;
  // CMDTY, BILL, FWD, …: not in our enum; STK is the only universally tradable fallback.
  return SecType.STK;
}

/** A contract as IB reports it (openOrder, execDetails, position, contractDetails). */
export function toContract(c: IbContract, details?: IbContractDetails): Contract {
  const lastTrade = ibText(c.lastTradeDate) ?? ibText(c.lastTradeDateOrContractMonth);
  const secType = toSecType(c.secType);
  const derivative = secType !== SecType.STK && secType !== SecType.CASH;
  const strike = ibNumber(c.strike);
  const multiplier = ibNumber(c.multiplier);
  return {
    conid: ibNumber(c.conId) ?? 0,
    symbol: ibText(c.symbol) ?? ibText(c.localSymbol) ?? "",
    secType,
    exchange: ibText(c.exchange) ?? ibText(c.primaryExch) ?? ibText(details?.contract.primaryExch),
    currency: ibText(c.currency) ?? "USD",
    lastTradeDate: lastTrade ? lastTrade.split(/[ -]/)[0]! : null,
    strike: strike && strike > 0 ? strike : null,
    right: optionRightOf(c.right),
    multiplier: derivative && multiplier && multiplier > 0 ? multiplier : null,
    tradingClass: ibText(c.tradingClass),
    localSymbol: ibText(c.localSymbol),
    description: ibText(details?.longName),
    underlyingConid: derivative ? ibNumber(details?.underConId) || null : null,
  };
}

/** The contract to send with an order: by conid, routed through `exchange` (SMART unless asked). */
export function toIbOrderContract(contract: Contract, exchange?: string | null): IbContract {
  return {
    conId: contract.conid,
    symbol: contract.symbol || undefined,
    secType: contract.secType as unknown as IbSecType,
    exchange: exchange ?? (contract.secType === SecType.STK ? "SMART" : (contract.exchange ?? "SMART")),
    currency: contract.currency,
  };
}

/**
 * A combo as IB's samples send one: secType BAG on the underlying's symbol, SMART, the currency, and one comboLeg
 * per leg (conId, ratio, action, exchange). Remembers the legs' contracts for the orders read back.
 */
export function toIbComboContract(bag: Contract, legs: readonly ResolvedComboLeg[]): IbContract {
  rememberLegContracts(legs.map((l) => l.contract));
  return {
    symbol: bag.symbol,
    secType: "BAG" as IbSecType,
    exchange: "SMART",
    currency: bag.currency,
    comboLegs: legs.map((l) => ({
      conId: l.contract.conid,
      ratio: l.ratio,
      action: l.side === OrderSide.BUY ? OrderAction.BUY : OrderAction.SELL,
      exchange: "SMART",
    })),
  };
}

const IB_ORDER_TYPE: Record<OrderType, IbOrderType> = {
  [OrderType.MARKET]: IbOrderType.MKT,
  [OrderType.LIMIT]: IbOrderType.LMT,
  [OrderType.STOP]: IbOrderType.STP,
  [OrderType.STOP_LIMIT]: IbOrderType.STP_LMT,
  [OrderType.TRAILING_STOP]: IbOrderType.TRAIL,
  [OrderType.TRAILING_STOP_LIMIT]: IbOrderType.TRAIL_LIMIT,
  [OrderType.MARKET_ON_CLOSE]: IbOrderType.MOC,
  [OrderType.LIMIT_ON_CLOSE]: IbOrderType.LOC,
  [OrderType.MARKET_IF_TOUCHED]: IbOrderType.MIT,
  [OrderType.LIMIT_IF_TOUCHED]: IbOrderType.LIT,
  [OrderType.MIDPRICE]: IbOrderType.MIDPRICE,
};

/** IB's OCA type 1: when one order of the group fills, cancel the others, with overfill protection (block). */
export const OCA_CANCEL_WITH_BLOCK = 1;

/** goodTillDate as TWS takes it: `yyyyMMdd HH:mm:ss UTC` (a zone name TWS knows; no local-zone guessing). */
export function ibDateTime(d: Date): string {
  const iso = d.toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)} ${iso.slice(11, 19)} UTC`;
}

/**
 * The whole IB order: TWS replaces an order with what placeOrder carries, so modifications send all terms.
 * Where each of our fields goes follows IB's use per type: a trailing amount and a touch trigger ride in
 * auxPrice, a trailing stop's initial stop in trailStopPrice, TRAIL LIMIT's offset in lmtPriceOffset.
 */
export function toIbOrder(t: OrderTerms): IbOrder {
  const trailing = t.type === OrderType.TRAILING_STOP || t.type === OrderType.TRAILING_STOP_LIMIT;
  const touched = t.type === OrderType.MARKET_IF_TOUCHED || t.type === OrderType.LIMIT_IF_TOUCHED;
  const aux = trailing
    ? (t.trailingAmount ?? undefined)
    : touched
      ? (t.triggerPrice ?? undefined)
      : t.stopPrice;
  const order: IbOrder = {
    action: t.side === OrderSide.BUY ? OrderAction.BUY : OrderAction.SELL,
    totalQuantity: t.quantity,
    orderType: IB_ORDER_TYPE[t.type],
    lmtPrice: t.limitPrice ?? undefined,
    auxPrice: aux ?? undefined,
    tif: t.timeInForce,
    account: t.accountId,
    orderRef: t.clientOrderId ?? undefined,
    transmit: true,
  };
  if (trailing) {
    if (t.trailingPercent != null) order.trailingPercent = t.trailingPercent;
    if (t.stopPrice != null) order.trailStopPrice = t.stopPrice;
    if (t.type === OrderType.TRAILING_STOP_LIMIT) order.lmtPriceOffset = t.limitOffset ?? 0;
  }
  if (t.goodTillDate) order.goodTillDate = ibDateTime(t.goodTillDate);
  if (t.outsideRth) order.outsideRth = true;
  if (t.ocaGroup) {
    order.ocaGroup = t.ocaGroup;
    order.ocaType = OCA_CANCEL_WITH_BLOCK;
  }
  return order;
}

const FROM_IB_ORDER_TYPE: Readonly<Record<string, OrderType>> = {
  MKT: OrderType.MARKET,
  LMT: OrderType.LIMIT,
  STP: OrderType.STOP,
  "STP LMT": OrderType.STOP_LIMIT,
  TRAIL: OrderType.TRAILING_STOP,
  "TRAIL LIMIT": OrderType.TRAILING_STOP_LIMIT,
  MOC: OrderType.MARKET_ON_CLOSE,
  LOC: OrderType.LIMIT_ON_CLOSE,
  MIT: OrderType.MARKET_IF_TOUCHED,
  LIT: OrderType.LIMIT_IF_TOUCHED,
  MIDPRICE: OrderType.MIDPRICE,
};

export function toOrderType(o: Pick<IbOrder, "orderType" | "lmtPrice">): OrderType {
  const known = FROM_IB_ORDER_TYPE[String(o.orderType ?? "").toUpperCase()];
  if (known) return known;
  // Orders entered in TWS with other types (REL, PEG MID, …): shown by what they carry.
  return ibNumber(o.lmtPrice) != null ? OrderType.LIMIT : OrderType.MARKET;
}

export function toSide(action: string | undefined): OrderSide {
  return action === "BUY" || action === "SLONG" ? OrderSide.BUY : OrderSide.SELL;
}

export function toTimeInForce(tif: string | undefined): TimeInForce {
  switch ((tif ?? "").toUpperCase()) {
    case "GTC":
      return TimeInForce.GTC;
    case "GTD":
      return TimeInForce.GTD;
    case "IOC":
      return TimeInForce.IOC;
    case "FOK":
      return TimeInForce.FOK;
    case "OPG":
      return TimeInForce.OPG;
    default:
      return TimeInForce.DAY;
  }
}

/**
 * IB's status text plus the fill counts as our status. IB keeps saying `Submitted` while an order is
 * partly filled; we say PARTIALLY_FILLED.
 */
export function toOrderStatus(
  ibStatus: string | undefined,
  filled: number,
  remaining: number | null,
): OrderStatus {
  switch (ibStatus) {
    case "PendingSubmit":
    case "ApiPending":
      return OrderStatus.PENDING_SUBMIT;
    case "PreSubmitted":
    case "Submitted":
      if (filled > 0 && (remaining == null || remaining > 0)) return OrderStatus.PARTIALLY_FILLED;
      if (filled > 0 && remaining === 0) return OrderStatus.FILLED;
      return ibStatus === "Submitted" ? OrderStatus.SUBMITTED : OrderStatus.PRE_SUBMITTED;
    case "Filled":
      return OrderStatus.FILLED;
    case "PendingCancel":
      return OrderStatus.PENDING_CANCEL;
    case "Cancelled":
    case "ApiCancelled":
      return OrderStatus.CANCELLED;
    case "Inactive":
      return OrderStatus.INACTIVE;
    default:
      if (filled > 0) return remaining === 0 ? OrderStatus.FILLED : OrderStatus.PARTIALLY_FILLED;
      return OrderStatus.SUBMITTED;
  }
}

const LIMITED = new Set([
  OrderType.LIMIT,
  OrderType.STOP_LIMIT,
  OrderType.LIMIT_ON_CLOSE,
  OrderType.LIMIT_IF_TOUCHED,
  OrderType.MIDPRICE,
  // TWS computes TRAIL LIMIT's limit from the stop and the offset, and echoes it.
  OrderType.TRAILING_STOP_LIMIT,
]);

/** What the adapter knows of one TWS order, merged from openOrder, orderStatus, execDetails and errors. */
export interface TwsOrderView {
  /** A bracket child's parent's permId, once the adapter knows it (TWS gives the parent's orderId). */
  parentPermId?: number | null;
  permId: number;
  /** TWS orderId; 0 for orders not placed through the API. */
  orderId: number;
  clientId: number | null;
  contract: IbContract;
  order: IbOrder;
  ibStatus: string;
  filled: number;
  remaining: number | null;
  avgFillPrice: number | null;
  statusMessage: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export function toOrder(r: TwsOrderView): Order {
  const quantity = ibNumber(r.order.totalQuantity) ?? 0;
  const type = toOrderType(r.order);
  const filled = r.filled;
  const remaining = r.remaining ?? Math.max(0, quantity - filled);
  const lmt = ibNumber(r.order.lmtPrice);
  const aux = ibNumber(r.order.auxPrice);
  const trailing = type === OrderType.TRAILING_STOP || type === OrderType.TRAILING_STOP_LIMIT;
  const touched = type === OrderType.MARKET_IF_TOUCHED || type === OrderType.LIMIT_IF_TOUCHED;
  const percent = trailing ? ibNumber(r.order.trailingPercent) : null;
  const parentId = ibNumber(r.order.parentId);
  const ocaGroup = ibText(r.order.ocaGroup);
  const contract = toContract(r.contract);
  const comboLegs = contract.secType === SecType.BAG ? (r.contract.comboLegs ?? []) : [];
  return {
    id: String(r.permId),
    clientOrderId: ibText(r.order.orderRef),
    accountId: ibText(r.order.account) ?? "",
    contract,
    ...(comboLegs.length > 0
      ? {
          legs: comboLegsOf(
            contract,
            comboLegs.map((l) => ({
              conid: ibNumber(l.conId) ?? 0,
              ratio: ibNumber(l.ratio) ?? 1,
              side: buyOrSell(l.action),
            })),
          ),
        }
      : {}),
    side: toSide(r.order.action),
    type,
    quantity,
    limitPrice: LIMITED.has(type) ? lmt : null,
    stopPrice: type === OrderType.STOP || type === OrderType.STOP_LIMIT ? aux : null,
    timeInForce: toTimeInForce(r.order.tif),
    // A percent trail leaves auxPrice unset (or 0 in some echoes): the percent is the trail then.
    trailingAmount: trailing && percent == null ? aux : null,
    trailingPercent: percent,
    trailStopPrice: trailing ? ibNumber(r.order.trailStopPrice) : null,
    limitOffset: type === OrderType.TRAILING_STOP_LIMIT ? ibNumber(r.order.lmtPriceOffset) : null,
    triggerPrice: touched ? aux : null,
    goodTillDate: parseIbTime(r.order.goodTillDate),
    outsideRth: r.order.outsideRth === true,
    ocaGroup,
    // TWS ids: the tracker links the parent's orderId to its id (permId): see parentPermId.
    parentId: parentId && parentId > 0 ? (r.parentPermId != null ? String(r.parentPermId) : null) : null,
    orderClass: parentId && parentId > 0 ? OrderClass.BRACKET : ocaGroup ? OrderClass.OCA : OrderClass.SIMPLE,
    status: toOrderStatus(r.ibStatus, filled, remaining),
    filledQuantity: filled,
    remainingQuantity: remaining,
    averageFillPrice: filled > 0 ? r.avgFillPrice : null,
    source: BrokerApi.TWS,
    permId: String(r.permId),
    brokerOrderId: r.orderId > 0 ? String(r.orderId) : null,
    statusMessage: r.statusMessage,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

/**
 * An execution as our fill. `leg`: the execution's contract when it is a leg of a combo order (TWS reports one
 * execution per leg, with the leg's contract and side): the fill then carries them.
 */
export function toFill(e: IbExecution, commission?: IbCommissionReport, leg?: IbContract): Fill {
  const fill: Fill = {
    executionId: e.execId ?? "",
    quantity: ibNumber(e.shares) ?? 0,
    price: ibNumber(e.price) ?? 0,
    commission: commission ? ibNumber(commission.commission) : null,
    at: parseIbTime(e.time) ?? new Date(),
  };
  if (leg) {
    fill.contract = toContract(leg);
    rememberLegContracts([fill.contract]);
    fill.side = e.side === "BOT" || e.side === "BUY" ? OrderSide.BUY : OrderSide.SELL;
  }
  return fill;
}

export function toPosition(p: IbPosition, asOf: Date): Position {
  return {
    accountId: p.account,
    contract: toContract(p.contract),
    quantity: ibNumber(p.pos) ?? 0,
    averageCost: ibNumber(p.avgCost),
    marketPrice: ibNumber(p.marketPrice),
    marketValue: ibNumber(p.marketValue),
    unrealizedPnl: ibNumber(p.unrealizedPNL),
    realizedPnl: ibNumber(p.realizedPNL),
    source: BrokerApi.TWS,
    asOf,
  };
}

/** The account summary tags we keep a subscription to. */
export const SUMMARY_TAGS = [
  "NetLiquidation",
  "TotalCashValue",
  "BuyingPower",
  "AvailableFunds",
  "ExcessLiquidity",
  "InitMarginReq",
  "MaintMarginReq",
  "EquityWithLoanValue",
  "GrossPositionValue",
] as const;

/** tag → currency → value, as IBApiNext delivers one account's summary. */
export type SummaryValues = ReadonlyMap<string, ReadonlyMap<string, { value: string; ingressTm: number }>>;

export function toAccountSummary(values: SummaryValues): AccountSummary {
  let currency: string | null = null;
  let newest = 0;
  const pick = (tag: string): number | null => {
    const byCurrency = values.get(tag);
    if (!byCurrency) return null;
    for (const [cur, v] of byCurrency) {
      if (cur) currency ??= cur;
      newest = Math.max(newest, v.ingressTm);
      const n = ibNumber(v.value);
      if (n != null) return n;
    }
    return null;
  };
  return {
    netLiquidation: pick("NetLiquidation"),
    totalCash: pick("TotalCashValue"),
    buyingPower: pick("BuyingPower"),
    availableFunds: pick("AvailableFunds"),
    excessLiquidity: pick("ExcessLiquidity"),
    initMarginReq: pick("InitMarginReq"),
    maintMarginReq: pick("MaintMarginReq"),
    equityWithLoan: pick("EquityWithLoanValue"),
    grossPositionValue: pick("GrossPositionValue"),
    currency,
    source: BrokerApi.TWS,
    asOf: new Date(newest || Date.now()),
  };
}

const ZONE_ABBREVIATIONS: Record<string, number> = {
  UTC: 0,
  GMT: 0,
  EST: -5,
  EDT: -4,
  CST: -6,
  CDT: -5,
  MST: -7,
  MDT: -6,
  PST: -8,
  PDT: -7,
  CET: 1,
  CEST: 2,
  MET: 1,
  MEST: 2,
  JST: 9,
  HKT: 8,
};

/**
 * IB's time texts: `20260413 15:27:04 US/Eastern` (newer TWS), `20231116-12:15:35` (UTC), `20231116  12:15:35`
 * (local to TWS, read as UTC), or epoch seconds. Null when unreadable.
 */
export function parseIbTime(text: string | undefined | null): Date | null {
  const t = (text ?? "").trim();
  if (t === "") return null;
  if (/^\d{9,11}$/.test(t)) return new Date(Number(t) * 1000);
  const m = /^(\d{4})(\d{2})(\d{2})[ -]+(\d{2}):(\d{2}):(\d{2})(?:\s+(\S+))?$/.exec(t);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, zone] = m;
  const utcGuess = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (!zone) return new Date(utcGuess);
  const fixed = ZONE_ABBREVIATIONS[zone.toUpperCase()];
  if (fixed !== undefined) return new Date(utcGuess - fixed * 3_600_000);
  try {
    // The zone's offset at that wall-clock time: format the guess in the zone and compare.
    const first = utcGuess - zoneOffsetMs(utcGuess, zone);
    return new Date(utcGuess - zoneOffsetMs(first, zone));
  } catch {
    return new Date(utcGuess);
  }
}

function zoneOffsetMs(at: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(at));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(
    get("year"),
    get("month") - 1,
    get("day"),
    get("hour"),
    get("minute"),
    get("second"),
  );
  return asUtc - Math.floor(at / 1000) * 1000;
}

/** A what-if's openOrder state as a preview; IB's unset markers (and empty texts) become null. */
export function toPreview(state: IbOrderState): OrderPreview {
  const warning = ibText(state.warningText);
  return {
    commission: ibNumber(state.commission),
    minCommission: ibNumber(state.minCommission),
    maxCommission: ibNumber(state.maxCommission),
    commissionCurrency: ibText(state.commissionCurrency),
    initMarginChange: ibNumber(state.initMarginChange),
    maintMarginChange: ibNumber(state.maintMarginChange),
    equityWithLoanAfter: ibNumber(state.equityWithLoanAfter),
    initMarginAfter: ibNumber(state.initMarginAfter),
    maintMarginAfter: ibNumber(state.maintMarginAfter),
    warnings: warning ? [warning] : [],
    source: BrokerApi.TWS,
  };
}
