/**
 * The order messages of the server: openOrder (5), orderStatus (3) and completedOrder (101), field for field
 * at the server version agreed with the client. A field the client does not expect at that version shifts every
 * later one, so each optional field is gated on the version that introduced it.
 */
import { UNSET_DOUBLE, UNSET_INTEGER, type WireField } from "./tws-codec";
import type { TwsMarginView, TwsOrderView } from "./tws-encoders";
import {
  isPegBench,
  type OrderConditionFields,
  type TwsContractFields,
  type TwsOrderFields,
} from "./tws-order-fields";
import { InMsg } from "./tws-protocol";
import { MAX_SERVER_VERSION, ServerVersion as V } from "./tws-versions";

type Fields = WireField[];

/** Double-or-undefined fields: the value, else what TWS sends for "unset". */
export const dbl = (value: number | undefined, unset: WireField = ""): WireField =>
  value === undefined ? unset : value;
export const int = (value: number | undefined, unset: WireField = ""): WireField =>
  value === undefined ? unset : value;
/** Non-options carry `?` in openOrder, as in real TWS frames; the client turns it into undefined. */
const rightOrQuestionMark = (right: string): string => (right === "" ? "?" : right);
/** Version field of openOrder before ORDER_CONTAINER, of orderStatus before MARKET_CAP_PRICE. */
const OPEN_ORDER_MSG_VERSION = 34;
const ORDER_STATUS_MSG_VERSION = 6;
/** Pushes `fields` only from version `since` on. */
const from = (v: number, since: number, fields: Fields): Fields => (v >= since ? fields : []);

/** orderStatus (3): 12 fields without a version field from MARKET_CAP_PRICE on; before it, a version and no mktCapPrice. */
export function orderStatus(view: TwsOrderView, v: number = MAX_SERVER_VERSION): Fields {
  const modern = v >= V.MARKET_CAP_PRICE;
  return [
    InMsg.ORDER_STATUS,
    ...(modern ? [] : [ORDER_STATUS_MSG_VERSION]),
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
    ...(modern ? [0] : []),
  ];
}

/** IB's comboLegsDescription: `conId|ratio` per leg, comma-separated, a SELL leg's ratio negative. */
function comboLegsDescription(contract: TwsContractFields): string {
  return contract.comboLegs.map((l) => `${l.conId}|${l.action === "BUY" ? l.ratio : -l.ratio}`).join(",");
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

function marginFields(m: TwsMarginView | undefined, v: number): Fields {
  // Before WHAT_IF_EXT_FIELDS a preview carried only the three "after" values.
  const count = v >= V.WHAT_IF_EXT_FIELDS ? 9 : 3;
  if (!m) return Array.from({ length: count }, () => UNSET_DOUBLE);
  const after = [m.initMarginAfter, m.maintMarginAfter, m.equityWithLoanAfter];
  if (count === 3) return after;
  return [
    m.initMarginBefore,
    m.maintMarginBefore,
    m.equityWithLoanBefore,
    m.initMarginChange,
    m.maintMarginChange,
    m.equityWithLoanChange,
    ...after,
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

/** The tail from PEG BENCH on, shared by openOrder's layout up to usePriceMgmtAlgo. */
function adjustedAndLaterFields(view: TwsOrderView, v: number): Fields {
  const { order } = view;
  if (v < V.PEGGED_TO_BENCHMARK) return [];
  return [
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
  ];
}

/**
 * openOrder (5): 133 fields at 193 for a plain order (deltaNeutralOrderType left empty), more with combo legs,
 * scale, hedge, delta-neutral contract, algo params, PEG BENCH or conditions; fewer at older versions.
 */
export function openOrder(view: TwsOrderView, v: number = MAX_SERVER_VERSION): Fields {
  const { order, contract } = view;
  return [
    InMsg.OPEN_ORDER,
    ...(v < V.ORDER_CONTAINER ? [OPEN_ORDER_MSG_VERSION] : []),
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
    ...(v < V.FA_PROFILE_DESUPPORT ? [""] : []), // faProfile
    ...from(v, V.MODELS_SUPPORT, [order.modelCode]),
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
    comboLegsDescription(contract),
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
    ...marginFields(view.margin, v),
    dbl(view.commission),
    "", // minCommission
    "", // maxCommission
    view.commissionCurrency ?? "",
    view.warningText ?? "",
    order.randomizeSize,
    order.randomizePrice,
    ...adjustedAndLaterFields(view, v),
    ...from(v, V.SOFT_DOLLAR_TIER, [order.softDollarTierName, order.softDollarTierValue, ""]),
    ...from(v, V.CASH_QTY, [dbl(order.cashQty, 0)]),
    ...from(v, V.AUTO_PRICE_FOR_HEDGE, [order.dontUseAutoPriceForHedge]),
    ...from(v, V.ORDER_CONTAINER, [order.isOmsContainer]),
    ...from(v, V.D_PEG_ORDERS, [order.discretionaryUpToLimitPrice]),
    ...from(v, V.PRICE_MGMT_ALGO, [order.usePriceMgmtAlgo ?? false]),
    ...from(v, V.DURATION, [int(order.duration)]),
    ...from(v, V.POST_TO_ATS, [int(order.postToAts)]),
    ...from(v, V.AUTO_CANCEL_PARENT, [order.autoCancelParent]),
    ...from(v, V.PEGBEST_PEGMID_OFFSETS, pegBestPegMidFields(order)),
    ...from(v, V.CUSTOMER_ACCOUNT, [order.customerAccount]),
    ...from(v, V.PROFESSIONAL_CUSTOMER, [order.professionalCustomer]),
    ...from(v, V.BOND_ACCRUED_INTEREST, [""]), // bondAccruedInterest
    ...from(v, V.INCLUDE_OVERNIGHT, [order.includeOvernight]),
    ...from(v, V.CME_TAGGING_FIELDS_IN_OPEN_ORDER, [
      order.extOperator,
      int(order.manualOrderIndicator, UNSET_INTEGER),
    ]),
  ];
}

/**
 * completedOrder (101, from COMPLETED_ORDERS on): no order id, client id, sharesAllocation, parent id or margin
 * fields; the completion attributes at the end.
 */
export function completedOrder(view: TwsOrderView, v: number = MAX_SERVER_VERSION): Fields {
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
    ...(v < V.FA_PROFILE_DESUPPORT ? [""] : []), // faProfile
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
    comboLegsDescription(contract),
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
    ...from(v, V.PEGBEST_PEGMID_OFFSETS, pegBestPegMidFields(order)),
    ...from(v, V.CUSTOMER_ACCOUNT, [order.customerAccount]),
    ...from(v, V.PROFESSIONAL_CUSTOMER, [order.professionalCustomer]),
  ];
}
