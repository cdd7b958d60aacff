/**
 * Server → client messages at server version 193, field for field as @stoqey/ib 1.6.10 (and IB's own decoders)
 * read them. A wrong count makes the client report error 505, so every layout here is pinned by tests.
 */
import { UNSET_DOUBLE, UNSET_INTEGER, type WireField } from "./tws-codec";
import {
  isPegBench,
  type OrderConditionFields,
  type TwsContractFields,
  type TwsOrderFields,
} from "./tws-order-fields";
import { InMsg } from "./tws-protocol";

/** An order as it is reported in openOrder / orderStatus / completedOrder. */
export interface TwsOrderView {
  /** 0 for orders that were not placed through the TWS API (e.g. Client Portal). */
  orderId: number;
  clientId: number;
  permId: number;
  contract: TwsContractFields;
  order: TwsOrderFields;
  /** TWS status text: PendingSubmit, PreSubmitted, Submitted, Filled, Cancelled, Inactive, … */
  status: string;
  filled: number;
  remaining: number;
  avgFillPrice: number;
  lastFillPrice: number;
  /** Total commission once known (openOrder fields 96/99). */
  commission?: number;
  commissionCurrency?: string;
  warningText?: string;
  whyHeld?: string;
  /** What-if previews: the margin impact (openOrder fields 87–95). */
  margin?: TwsMarginView;
  /** For completedOrder: `yyyyMMdd HH:mm:ss zone` and IB's completed status text. */
  completedTime?: string;
  completedStatus?: string;
}

export interface TwsMarginView {
  initMarginBefore: number;
  maintMarginBefore: number;
  equityWithLoanBefore: number;
  initMarginChange: number;
  maintMarginChange: number;
  equityWithLoanChange: number;
  initMarginAfter: number;
  maintMarginAfter: number;
  equityWithLoanAfter: number;
}

export interface TwsExecutionView {
  /** -1 for a live fill, the request id when answering reqExecutions. */
  reqId: number;
  orderId: number;
  clientId: number;
  permId: number;
  contract: TwsContractFields;
  execId: string;
  /** `yyyyMMdd HH:mm:ss zone` */
  time: string;
  account: string;
  exchange: string;
  /** BOT or SLD */
  side: string;
  shares: number;
  price: number;
  cumQty: number;
  avgPrice: number;
  orderRef: string;
  modelCode?: string;
  /** 1 added liquidity, 2 removed. */
  lastLiquidity: number;
}

export interface TwsCommissionView {
  execId: string;
  commission: number;
  currency: string;
  /** `undefined` for an opening trade (sent as the unset marker, like TWS). */
  realizedPnl?: number;
}

export interface TwsContractDetailsView {
  contract: TwsContractFields & { conId: number };
  marketName: string;
  minTick: number;
  orderTypes: string;
  validExchanges: string;
  longName: string;
  industry: string;
  category: string;
  subcategory: string;
  timeZoneId: string;
  tradingHours: string;
  liquidHours: string;
  secIdList: { tag: string; value: string }[];
  marketRuleIds: string;
  stockType: string;
  minSize: number;
  sizeIncrement: number;
  suggestedSizeIncrement: number;
  underConId?: number;
  underSymbol?: string;
  underSecType?: string;
  contractMonth?: string;
  realExpirationDate?: string;
}

export interface TwsPositionView {
  account: string;
  contract: TwsContractFields & { conId: number };
  position: number;
  avgCost: number;
}

export interface TwsPortfolioView extends TwsPositionView {
  marketPrice: number;
  marketValue: number;
  unrealizedPnl: number;
  realizedPnl: number;
}

type Fields = WireField[];

/** Double-or-undefined fields: the value, else what TWS sends for "unset". */
const dbl = (value: number | undefined, unset: WireField = ""): WireField =>
  value === undefined ? unset : value;
const int = (value: number | undefined, unset: WireField = ""): WireField =>
  value === undefined ? unset : value;
/** Non-options carry `?` in openOrder, as in real TWS frames; the client turns it into undefined. */
const rightOrQuestionMark = (right: string): string => (right === "" ? "?" : right);

/**
 * IB escapes non-ASCII in error texts as \uXXXX (server ≥ 153) and the client decodes them; doing the same keeps
 * multi-byte texts intact for every client.
 */
export function escapeNonAscii(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

export function errorMessage(id: number, code: number, message: string, advancedOrderReject = ""): Fields {
  return [InMsg.ERR_MSG, 2, id, code, escapeNonAscii(message), advancedOrderReject];
}

export const managedAccounts = (accounts: readonly string[]): Fields => [
  InMsg.MANAGED_ACCTS,
  1,
  accounts.join(","),
];
export const nextValidId = (orderId: number): Fields => [InMsg.NEXT_VALID_ID, 1, orderId];
export const currentTime = (epochSeconds: number): Fields => [InMsg.CURRENT_TIME, 1, epochSeconds];
export const positionEnd = (): Fields => [InMsg.POSITION_END, 1];
export const accountSummary = (
  reqId: number,
  account: string,
  tag: string,
  value: string,
  currency: string,
): Fields => [InMsg.ACCOUNT_SUMMARY, 1, reqId, account, tag, value, currency];
export const accountSummaryEnd = (reqId: number): Fields => [InMsg.ACCOUNT_SUMMARY_END, 1, reqId];
export const accountValue = (key: string, value: string, currency: string, account: string): Fields => [
  InMsg.ACCT_VALUE,
  2,
  key,
  value,
  currency,
  account,
];
export const accountUpdateTime = (hhmm: string): Fields => [InMsg.ACCT_UPDATE_TIME, 1, hhmm];
export const accountDownloadEnd = (account: string): Fields => [InMsg.ACCT_DOWNLOAD_END, 1, account];
export const openOrderEnd = (): Fields => [InMsg.OPEN_ORDER_END, 1];
export const execDetailsEnd = (reqId: number): Fields => [InMsg.EXECUTION_DATA_END, 1, reqId];
export const contractDetailsEnd = (reqId: number): Fields => [InMsg.CONTRACT_DATA_END, 1, reqId];
export const completedOrdersEnd = (): Fields => [InMsg.COMPLETED_ORDERS_END];

/** position (61), version 3: 16 fields. */
export function position(view: TwsPositionView): Fields {
  const c = view.contract;
  return [
    InMsg.POSITION,
    3,
    view.account,
    c.conId,
    c.symbol,
    c.secType,
    c.lastTradeDateOrContractMonth,
    c.strike ?? 0,
    c.right,
    c.multiplier,
    c.exchange,
    c.currency,
    c.localSymbol,
    c.tradingClass,
    view.position,
    view.avgCost,
  ];
}

/** updatePortfolio (7), version 8: 20 fields. */
export function portfolioValue(view: TwsPortfolioView): Fields {
  const c = view.contract;
  return [
    InMsg.PORTFOLIO_VALUE,
    8,
    c.conId,
    c.symbol,
    c.secType,
    c.lastTradeDateOrContractMonth,
    c.strike ?? 0,
    c.right === "" ? "0" : c.right,
    c.multiplier,
    c.primaryExch,
    c.currency,
    c.localSymbol,
    c.tradingClass,
    view.position,
    view.marketPrice,
    view.marketValue,
    view.avgCost,
    view.unrealizedPnl,
    view.realizedPnl,
    view.account,
  ];
}

/** orderStatus (3): 12 fields, no version field. */
export function orderStatus(view: TwsOrderView): Fields {
  return [
    InMsg.ORDER_STATUS,
    view.orderId,
    view.status,
    view.filled,
    view.remaining,
    view.avgFillPrice,
    view.permId,
    view.order.parentId,
    view.lastFillPrice,
    view.clientId,
    view.whyHeld ?? "",
    0,
  ];
}

function comboLegFields(contract: TwsContractFields, order: TwsOrderFields): Fields {
  const fields: Fields = [contract.comboLegs.length];
  for (const leg of contract.comboLegs) {
    fields.push(
      leg.conId,
      leg.ratio,
      leg.action,
      leg.exchange,
      leg.openClose,
      leg.shortSaleSlot,
      leg.designatedLocation,
      leg.exemptCode,
    );
  }
  fields.push(order.orderComboLegPrices.length);
  for (const price of order.orderComboLegPrices) fields.push(dbl(price, UNSET_DOUBLE));
  fields.push(order.smartComboRoutingParams.length);
  for (const p of order.smartComboRoutingParams) fields.push(p.tag, p.value);
  return fields;
}

function scaleFields(order: TwsOrderFields): Fields {
  const fields: Fields = [
    int(order.scaleInitLevelSize, UNSET_INTEGER),
    int(order.scaleSubsLevelSize, UNSET_INTEGER),
    dbl(order.scalePriceIncrement),
  ];
  // The decoders read the 7 extra fields only for a positive increment.
  if (order.scalePriceIncrement !== undefined && order.scalePriceIncrement > 0) {
    fields.push(
      dbl(order.scalePriceAdjustValue),
      int(order.scalePriceAdjustInterval),
      dbl(order.scaleProfitOffset),
      order.scaleAutoReset,
      int(order.scaleInitPosition),
      int(order.scaleInitFillQty),
      order.scaleRandomPercent,
    );
  }
  return fields;
}

function hedgeFields(order: TwsOrderFields): Fields {
  return order.hedgeType === "" ? [""] : [order.hedgeType, order.hedgeParam];
}

function deltaNeutralContractFields(contract: TwsContractFields): Fields {
  const dnc = contract.deltaNeutralContract;
  return dnc ? [1, dnc.conId, dnc.delta, dnc.price] : [0];
}

function algoFields(order: TwsOrderFields): Fields {
  if (order.algoStrategy === "") return [""];
  const fields: Fields = [order.algoStrategy, order.algoParams.length];
  for (const p of order.algoParams) fields.push(p.tag, p.value);
  return fields;
}

function pegBenchFields(order: TwsOrderFields): Fields {
  if (!isPegBench(order.orderType)) return [];
  return [
    int(order.referenceContractId, 0),
    order.isPeggedChangeAmountDecrease,
    dbl(order.peggedChangeAmount, 0),
    dbl(order.referenceChangeAmount, 0),
    order.referenceExchangeId,
  ];
}

function conditionFields(conditions: readonly OrderConditionFields[], order: TwsOrderFields): Fields {
  const fields: Fields = [conditions.length];
  if (conditions.length === 0) return fields;
  for (const cond of conditions) {
    fields.push(cond.type, cond.conjunction);
    switch (cond.type) {
      case 1:
        fields.push(cond.isMore, cond.value, cond.conId, cond.exchange, cond.triggerMethod);
        break;
      case 3:
      case 4:
        fields.push(cond.isMore, cond.value);
        break;
      case 5:
        fields.push(cond.secType, cond.exchange, cond.symbol);
        break;
      case 6:
      case 7:
        fields.push(cond.isMore, cond.value, cond.conId, cond.exchange);
        break;
    }
  }
  fields.push(order.conditionsIgnoreRth, order.conditionsCancelOrder);
  return fields;
}

function volOrderFields(order: TwsOrderFields, openOrderAttributes: boolean): Fields {
  const fields: Fields = [dbl(order.volatility), int(order.volatilityType, 0), order.deltaNeutralOrderType];
  fields.push(dbl(order.deltaNeutralAuxPrice));
  if (order.deltaNeutralOrderType !== "") {
    fields.push(int(order.deltaNeutralConId, 0));
    if (openOrderAttributes) {
      fields.push(
        order.deltaNeutralSettlingFirm,
        order.deltaNeutralClearingAccount,
        order.deltaNeutralClearingIntent,
      );
      fields.push(order.deltaNeutralOpenClose === "" ? "?" : order.deltaNeutralOpenClose);
    }
    fields.push(
      order.deltaNeutralShortSale,
      int(order.deltaNeutralShortSaleSlot, 0),
      order.deltaNeutralDesignatedLocation,
    );
  }
  fields.push(order.continuousUpdate, int(order.referencePriceType, 0));
  return fields;
}

function pegBestPegMidFields(order: TwsOrderFields): Fields {
  return [
    int(order.minTradeQty),
    int(order.minCompeteSize),
    dbl(order.competeAgainstBestOffset),
    dbl(order.midOffsetAtWhole),
    dbl(order.midOffsetAtHalf),
  ];
}

function marginFields(m: TwsMarginView | undefined): Fields {
  if (!m) return Array.from({ length: 9 }, () => UNSET_DOUBLE);
  return [
    m.initMarginBefore,
    m.maintMarginBefore,
    m.equityWithLoanBefore,
    m.initMarginChange,
    m.maintMarginChange,
    m.equityWithLoanChange,
    m.initMarginAfter,
    m.maintMarginAfter,
    m.equityWithLoanAfter,
  ];
}

function contractFields(c: TwsContractFields): Fields {
  return [
    c.conId ?? 0,
    c.symbol,
    c.secType,
    c.lastTradeDateOrContractMonth,
    c.strike ?? 0,
    rightOrQuestionMark(c.right),
    c.multiplier,
    c.exchange,
    c.currency,
    c.localSymbol,
    c.tradingClass,
  ];
}

/**
 * openOrder (5): no version field; 133 fields for a plain order (deltaNeutralOrderType left empty), more with
 * combo legs, scale, hedge, delta-neutral contract, algo params, PEG BENCH or conditions.
 */
export function openOrder(view: TwsOrderView): Fields {
  const { order, contract } = view;
  return [
    InMsg.OPEN_ORDER,
    view.orderId,
    ...contractFields(contract),
    order.action,
    dbl(order.totalQuantity),
    order.orderType,
    dbl(order.lmtPrice, UNSET_DOUBLE),
    dbl(order.auxPrice, 0),
    order.tif === "" ? "DAY" : order.tif,
    order.ocaGroup,
    order.account,
    order.openClose,
    order.origin,
    order.orderRef,
    view.clientId,
    view.permId,
    order.outsideRth,
    order.hidden,
    dbl(order.discretionaryAmt, 0),
    order.goodAfterTime,
    "", // sharesAllocation (deprecated)
    order.faGroup,
    order.faMethod,
    order.faPercentage,
    order.modelCode,
    order.goodTillDate,
    order.rule80A,
    dbl(order.percentOffset),
    order.settlingFirm,
    order.shortSaleSlot,
    order.designatedLocation,
    int(order.exemptCode, -1),
    int(order.auctionStrategy, 0),
    dbl(order.startingPrice),
    dbl(order.stockRefPrice),
    dbl(order.delta),
    dbl(order.stockRangeLower),
    dbl(order.stockRangeUpper),
    int(order.displaySize, UNSET_INTEGER),
    order.blockOrder,
    order.sweepToFill,
    order.allOrNone,
    int(order.minQty),
    int(order.ocaType, 3),
    order.eTradeOnly,
    order.firmQuoteOnly,
    dbl(order.nbboPriceCap),
    order.parentId,
    order.triggerMethod,
    ...volOrderFields(order, true),
    dbl(order.trailStopPrice),
    dbl(order.trailingPercent),
    "", // basisPoints
    "", // basisPointsType
    "", // comboLegsDescription
    ...comboLegFields(contract, order),
    ...scaleFields(order),
    ...hedgeFields(order),
    order.optOutSmartRouting,
    order.clearingAccount,
    order.clearingIntent === "" ? "IB" : order.clearingIntent,
    order.notHeld,
    ...deltaNeutralContractFields(contract),
    ...algoFields(order),
    order.solicited,
    order.whatIf,
    view.status,
    ...marginFields(view.margin),
    dbl(view.commission),
    "", // minCommission
    "", // maxCommission
    view.commissionCurrency ?? "",
    view.warningText ?? "",
    order.randomizeSize,
    order.randomizePrice,
    ...pegBenchFields(order),
    ...conditionFields(order.conditions, order),
    order.adjustedOrderType === "" ? "None" : order.adjustedOrderType,
    dbl(order.triggerPrice, UNSET_DOUBLE),
    dbl(order.trailStopPrice, UNSET_DOUBLE),
    dbl(order.lmtPriceOffset, UNSET_DOUBLE),
    dbl(order.adjustedStopPrice, UNSET_DOUBLE),
    dbl(order.adjustedStopLimitPrice, UNSET_DOUBLE),
    dbl(order.adjustedTrailingAmount, UNSET_DOUBLE),
    order.adjustableTrailingUnit,
    order.softDollarTierName,
    order.softDollarTierValue,
    "", // softDollarTier displayName
    dbl(order.cashQty, 0),
    order.dontUseAutoPriceForHedge,
    order.isOmsContainer,
    order.discretionaryUpToLimitPrice,
    order.usePriceMgmtAlgo ?? false,
    int(order.duration),
    int(order.postToAts),
    order.autoCancelParent,
    ...pegBestPegMidFields(order),
    order.customerAccount,
    order.professionalCustomer,
    "", // bondAccruedInterest
    order.includeOvernight,
    order.extOperator,
    int(order.manualOrderIndicator, UNSET_INTEGER),
  ];
}

/**
 * completedOrder (101): no order id, client id, sharesAllocation, parent id, margin fields; adds the
 * completion attributes at the end. Layout of @stoqey/ib's `decodeMsg_COMPLETED_ORDER` (IB's EOrderDecoder).
 */
export function completedOrder(view: TwsOrderView): Fields {
  const { order, contract } = view;
  return [
    InMsg.COMPLETED_ORDER,
    ...contractFields(contract),
    order.action,
    dbl(order.totalQuantity),
    order.orderType,
    dbl(order.lmtPrice, UNSET_DOUBLE),
    dbl(order.auxPrice, 0),
    order.tif === "" ? "DAY" : order.tif,
    order.ocaGroup,
    order.account,
    order.openClose,
    order.origin,
    order.orderRef,
    view.permId,
    order.outsideRth,
    order.hidden,
    dbl(order.discretionaryAmt, 0),
    order.goodAfterTime,
    order.faGroup,
    order.faMethod,
    order.faPercentage,
    order.modelCode,
    order.goodTillDate,
    order.rule80A,
    dbl(order.percentOffset),
    order.settlingFirm,
    order.shortSaleSlot,
    order.designatedLocation,
    int(order.exemptCode, -1),
    dbl(order.startingPrice),
    dbl(order.stockRefPrice),
    dbl(order.delta),
    dbl(order.stockRangeLower),
    dbl(order.stockRangeUpper),
    int(order.displaySize, UNSET_INTEGER),
    order.sweepToFill,
    order.allOrNone,
    int(order.minQty),
    int(order.ocaType, 3),
    order.triggerMethod,
    ...volOrderFields(order, false),
    dbl(order.trailStopPrice),
    dbl(order.trailingPercent),
    "", // comboLegsDescription
    ...comboLegFields(contract, order),
    ...scaleFields(order),
    ...hedgeFields(order),
    order.clearingAccount,
    order.clearingIntent === "" ? "IB" : order.clearingIntent,
    order.notHeld,
    ...deltaNeutralContractFields(contract),
    ...algoFields(order),
    order.solicited,
    view.status,
    order.randomizeSize,
    order.randomizePrice,
    ...pegBenchFields(order),
    ...conditionFields(order.conditions, order),
    dbl(order.trailStopPrice, UNSET_DOUBLE),
    dbl(order.lmtPriceOffset, UNSET_DOUBLE),
    dbl(order.cashQty, 0),
    order.dontUseAutoPriceForHedge,
    order.isOmsContainer,
    "", // autoCancelDate
    view.filled,
    0, // refFuturesConId
    order.autoCancelParent,
    "", // shareholder
    false, // imbalanceOnly
    false, // routeMarketableToBbo
    0, // parentPermId
    view.completedTime ?? "",
    view.completedStatus ?? "",
    ...pegBestPegMidFields(order),
    order.customerAccount,
    order.professionalCustomer,
  ];
}

/** execDetails (11): 32 fields, no version field. */
export function execDetails(view: TwsExecutionView): Fields {
  const c = view.contract;
  return [
    InMsg.EXECUTION_DATA,
    view.reqId,
    view.orderId,
    c.conId ?? 0,
    c.symbol,
    c.secType,
    c.lastTradeDateOrContractMonth,
    c.strike ?? 0,
    c.right,
    c.multiplier,
    c.exchange,
    c.currency,
    c.localSymbol,
    c.tradingClass,
    view.execId,
    view.time,
    view.account,
    view.exchange,
    view.side,
    view.shares,
    view.price,
    view.permId,
    view.clientId,
    0, // liquidation
    view.cumQty,
    view.avgPrice,
    view.orderRef,
    "", // evRule
    "", // evMultiplier
    view.modelCode ?? "",
    view.lastLiquidity,
    false, // pendingPriceRevision
  ];
}

/** commissionReport (59), version 1: 8 fields. */
export function commissionReport(view: TwsCommissionView): Fields {
  return [
    InMsg.COMMISSION_REPORT,
    1,
    view.execId,
    view.commission,
    view.currency,
    dbl(view.realizedPnl, UNSET_DOUBLE),
    UNSET_DOUBLE, // yield
    "", // yieldRedemptionDate
  ];
}

/** contractDetails (10): no version field; 44 fields for a stock with one secId pair. */
export function contractDetails(reqId: number, view: TwsContractDetailsView): Fields {
  const c = view.contract;
  const fields: Fields = [
    InMsg.CONTRACT_DATA,
    reqId,
    c.symbol,
    c.secType,
    c.lastTradeDateOrContractMonth,
    "", // lastTradeDate
    c.strike ?? 0,
    c.right,
    c.exchange,
    c.currency,
    c.localSymbol,
    view.marketName,
    c.tradingClass,
    c.conId,
    view.minTick,
    c.multiplier,
    view.orderTypes,
    view.validExchanges,
    1, // priceMagnifier
    view.underConId ?? 0,
    view.longName,
    c.primaryExch,
    view.contractMonth ?? "",
    view.industry,
    view.category,
    view.subcategory,
    view.timeZoneId,
    view.tradingHours,
    view.liquidHours,
    "", // evRule
    "", // evMultiplier
    view.secIdList.length,
  ];
  for (const id of view.secIdList) fields.push(id.tag, id.value);
  fields.push(
    1, // aggGroup
    view.underSymbol ?? "",
    view.underSecType ?? "",
    view.marketRuleIds,
    view.realExpirationDate ?? "",
    view.stockType,
    view.minSize,
    view.sizeIncrement,
    view.suggestedSizeIncrement,
  );
  if (c.secType === "FUND") {
    // 17 fund fields; the instrument universe has no funds, but the layout stays complete.
    fields.push("", "", "", "", "", "", "", false, false, false, "", "", "", "", "", "", "");
  }
  fields.push(0); // ineligibilityReasonCount
  return fields;
}
