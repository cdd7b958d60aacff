import { FieldCursor, TwsRequestParseError } from "./field-cursor";
import {
  defaultContractFields,
  isPegBench,
  isPegBest,
  isPegMid,
  type ComboLegFields,
  type OrderConditionFields,
  type ParsedPlaceOrder,
  type TagValue,
  type TwsContractFields,
  type TwsOrderFields,
} from "./tws-order-fields";
import { MAX_SERVER_VERSION, ServerVersion as V } from "./tws-versions";

function tagValues(c: FieldCursor, count: number, name: string): TagValue[] {
  const list: TagValue[] = [];
  for (let i = 0; i < count; i += 1) list.push({ tag: c.str(`${name} tag`), value: c.str(`${name} value`) });
  return list;
}

function readCount(c: FieldCursor, name: string): number {
  const count = c.int(name) ?? 0;
  if (count < 0 || count > 1000) throw new TwsRequestParseError(`${name}: implausible count ${count}`);
  return count;
}

function readCondition(c: FieldCursor): OrderConditionFields {
  const type = c.int("condition type");
  const conjunction = c.str("condition conjunction");
  switch (type) {
    case 1:
      return {
        type,
        conjunction,
        isMore: c.bool(),
        value: c.str("price condition value"),
        conId: c.intOr(0),
        exchange: c.str(),
        triggerMethod: c.intOr(0),
      };
    case 3:
    case 4:
      return { type, conjunction, isMore: c.bool(), value: c.str("condition value") };
    case 5:
      return { type, conjunction, secType: c.str(), exchange: c.str(), symbol: c.str() };
    case 6:
    case 7:
      return {
        type,
        conjunction,
        isMore: c.bool(),
        value: c.str("condition value"),
        conId: c.intOr(0),
        exchange: c.str(),
      };
    default:
      throw new TwsRequestParseError(`unknown order condition type ${String(type)}`);
  }
}

/**
 * Parses a placeOrder (message 3) exactly as a client at server version `v` sends it: 118 fields for a plain
 * order at 193 (114 at 178), plus the conditional blocks (BAG legs, delta-neutral, scale, hedge, delta-neutral
 * contract, algo, PEG BENCH/BEST/MID, conditions). The fields a version does not send read as unset. Throws
 * `TwsRequestParseError` unless every field is consumed.
 */
export function parsePlaceOrder(fields: readonly string[], v: number = MAX_SERVER_VERSION): ParsedPlaceOrder {
  const c = new FieldCursor(fields, 1);
  const at = (since: number): boolean => v >= since;
  if (!at(V.ORDER_CONTAINER)) c.str("version");
  const orderId = c.int("orderId");
  if (orderId === undefined) throw new TwsRequestParseError("placeOrder without an order id");

  const contract: TwsContractFields = defaultContractFields({
    conId: c.int("conId"),
    symbol: c.str("symbol"),
    secType: c.str("secType"),
    lastTradeDateOrContractMonth: c.str(),
    strike: c.num("strike"),
    right: c.str(),
    multiplier: c.str(),
    exchange: c.str(),
    primaryExch: c.str(),
    currency: c.str(),
    localSymbol: c.str(),
    tradingClass: c.str(),
    secIdType: c.str(),
    secId: c.str(),
  });
  const isBag = contract.secType.toUpperCase() === "BAG";

  const action = c.str("action");
  const totalQuantity = c.num("totalQuantity");
  const orderType = c.str("orderType");
  const lmtPrice = c.num("lmtPrice");
  const auxPrice = c.num("auxPrice");
  const tif = c.str();
  const ocaGroup = c.str();
  const account = c.str();
  const openClose = c.str();
  const origin = c.intOr(0);
  const orderRef = c.str();
  const transmit = c.optBool("transmit");
  const parentId = c.intOr(0);
  const blockOrder = c.bool();
  const sweepToFill = c.bool();
  const displaySize = c.int();
  const triggerMethod = c.intOr(0);
  const outsideRth = c.bool();
  const hidden = c.bool();

  const orderComboLegPrices: (number | undefined)[] = [];
  let smartComboRoutingParams: TagValue[] = [];
  if (isBag) {
    const legCount = readCount(c, "comboLegsCount");
    for (let i = 0; i < legCount; i += 1) {
      const leg: ComboLegFields = {
        conId: c.intOr(0),
        ratio: c.intOr(0),
        action: c.str(),
        exchange: c.str(),
        openClose: c.intOr(0),
        shortSaleSlot: c.intOr(0),
        designatedLocation: c.str(),
        exemptCode: c.intOr(-1),
      };
      contract.comboLegs.push(leg);
    }
    const priceCount = readCount(c, "orderComboLegsCount");
    for (let i = 0; i < priceCount; i += 1) orderComboLegPrices.push(c.num("combo leg price"));
    smartComboRoutingParams = tagValues(
      c,
      readCount(c, "smartComboRoutingParamsCount"),
      "smartComboRoutingParams",
    );
  }

  c.str("sharesAllocation");
  const discretionaryAmt = c.num();
  const goodAfterTime = c.str();
  const goodTillDate = c.str();
  const faGroup = c.str();
  const faMethod = c.str();
  const faPercentage = c.str();
  if (!at(V.FA_PROFILE_DESUPPORT)) c.str("faProfile");
  const modelCode = at(V.MODELS_SUPPORT) ? c.str() : "";
  const shortSaleSlot = c.intOr(0);
  const designatedLocation = c.str();
  const exemptCode = c.int();
  const ocaType = c.int();
  const rule80A = c.str();
  const settlingFirm = c.str();
  const allOrNone = c.bool();
  const minQty = c.int();
  const percentOffset = c.num();
  const eTradeOnly = c.bool();
  const firmQuoteOnly = c.bool();
  const nbboPriceCap = c.num();
  const auctionStrategy = c.int();
  const startingPrice = c.num();
  const stockRefPrice = c.num();
  const delta = c.num();
  const stockRangeLower = c.num();
  const stockRangeUpper = c.num();
  const overridePercentageConstraints = c.bool();
  const volatility = c.num();
  const volatilityType = c.int();
  const deltaNeutralOrderType = c.str();
  const deltaNeutralAuxPrice = c.num();
  const dn = {
    deltaNeutralConId: undefined as number | undefined,
    deltaNeutralSettlingFirm: "",
    deltaNeutralClearingAccount: "",
    deltaNeutralClearingIntent: "",
    deltaNeutralOpenClose: "",
    deltaNeutralShortSale: false,
    deltaNeutralShortSaleSlot: undefined as number | undefined,
    deltaNeutralDesignatedLocation: "",
  };
  if (deltaNeutralOrderType !== "") {
    dn.deltaNeutralConId = c.int();
    dn.deltaNeutralSettlingFirm = c.str();
    dn.deltaNeutralClearingAccount = c.str();
    dn.deltaNeutralClearingIntent = c.str();
    dn.deltaNeutralOpenClose = c.str();
    dn.deltaNeutralShortSale = c.bool();
    dn.deltaNeutralShortSaleSlot = c.int();
    dn.deltaNeutralDesignatedLocation = c.str();
  }
  const continuousUpdate = c.intOr(0);
  const referencePriceType = c.int();
  const trailStopPrice = c.num();
  const trailingPercent = c.num();
  const scaleInitLevelSize = c.int();
  const scaleSubsLevelSize = c.int();
  const scalePriceIncrementText = fields[c.position] ?? "";
  const scalePriceIncrement = c.num("scalePriceIncrement");
  const scale = {
    scalePriceAdjustValue: undefined as number | undefined,
    scalePriceAdjustInterval: undefined as number | undefined,
    scaleProfitOffset: undefined as number | undefined,
    scaleAutoReset: false,
    scaleInitPosition: undefined as number | undefined,
    scaleInitFillQty: undefined as number | undefined,
    scaleRandomPercent: false,
  };
  // The client sends the block whenever the value is defined on its side, even 0; on the wire that is "non-empty".
  if (scalePriceIncrementText !== "") {
    scale.scalePriceAdjustValue = c.num();
    scale.scalePriceAdjustInterval = c.int();
    scale.scaleProfitOffset = c.num();
    scale.scaleAutoReset = c.bool();
    scale.scaleInitPosition = c.int();
    scale.scaleInitFillQty = c.int();
    scale.scaleRandomPercent = c.bool();
  }
  const scaleTable = c.str();
  const activeStartTime = c.str();
  const activeStopTime = c.str();
  const hedgeType = c.str();
  const hedgeParam = hedgeType !== "" ? c.str("hedgeParam") : "";
  const optOutSmartRouting = c.bool();
  const clearingAccount = c.str();
  const clearingIntent = c.str();
  const notHeld = c.bool();
  if (c.bool("deltaNeutralContract present")) {
    contract.deltaNeutralContract = { conId: c.intOr(0), delta: c.num() ?? 0, price: c.num() ?? 0 };
  }
  const algoStrategy = c.str();
  const algoParams = algoStrategy !== "" ? tagValues(c, readCount(c, "algoParamsCount"), "algoParams") : [];
  const algoId = c.str();
  const whatIf = c.bool();
  const orderMiscOptions = c.str();
  const solicited = c.bool();
  const randomizeSize = c.bool();
  const randomizePrice = c.bool();
  const bench = {
    referenceContractId: undefined as number | undefined,
    isPeggedChangeAmountDecrease: false,
    peggedChangeAmount: undefined as number | undefined,
    referenceChangeAmount: undefined as number | undefined,
    referenceExchangeId: "",
  };
  const newer = at(V.PEGGED_TO_BENCHMARK);
  if (newer && isPegBench(orderType)) {
    bench.referenceContractId = c.int();
    bench.isPeggedChangeAmountDecrease = c.bool();
    bench.peggedChangeAmount = c.num();
    bench.referenceChangeAmount = c.num();
    bench.referenceExchangeId = c.str();
  }
  const conditions: OrderConditionFields[] = [];
  let conditionsIgnoreRth = false;
  let conditionsCancelOrder = false;
  const conditionCount = newer ? readCount(c, "conditionsCount") : 0;
  if (conditionCount > 0) {
    for (let i = 0; i < conditionCount; i += 1) conditions.push(readCondition(c));
    conditionsIgnoreRth = c.bool();
    conditionsCancelOrder = c.bool();
  }
  const adjustedOrderType = newer ? c.str() : "";
  const triggerPrice = newer ? c.num() : undefined;
  const lmtPriceOffset = newer ? c.num() : undefined;
  const adjustedStopPrice = newer ? c.num() : undefined;
  const adjustedStopLimitPrice = newer ? c.num() : undefined;
  const adjustedTrailingAmount = newer ? c.num() : undefined;
  const adjustableTrailingUnit = newer ? c.intOr(0) : 0;
  const extOperator = at(V.EXT_OPERATOR) ? c.str() : "";
  const softDollarTierName = at(V.SOFT_DOLLAR_TIER) ? c.str() : "";
  const softDollarTierValue = at(V.SOFT_DOLLAR_TIER) ? c.str() : "";
  const cashQty = at(V.CASH_QTY) ? c.num() : undefined;
  const mifid2DecisionMaker = at(V.DECISION_MAKER) ? c.str() : "";
  const mifid2DecisionAlgo = at(V.DECISION_MAKER) ? c.str() : "";
  const mifid2ExecutionTrader = at(V.MIFID_EXECUTION) ? c.str() : "";
  const mifid2ExecutionAlgo = at(V.MIFID_EXECUTION) ? c.str() : "";
  const dontUseAutoPriceForHedge = at(V.AUTO_PRICE_FOR_HEDGE) && c.bool();
  const isOmsContainer = at(V.ORDER_CONTAINER) && c.bool();
  const discretionaryUpToLimitPrice = at(V.D_PEG_ORDERS) && c.bool();
  const usePriceMgmtAlgo = at(V.PRICE_MGMT_ALGO) ? c.optBool() : undefined;
  const duration = at(V.DURATION) ? c.int() : undefined;
  const postToAts = at(V.POST_TO_ATS) ? c.int() : undefined;
  const autoCancelParent = at(V.AUTO_CANCEL_PARENT) && c.bool();
  const advancedErrorOverride = at(V.ADVANCED_ORDER_REJECT) ? c.str() : "";
  const manualOrderTime = at(V.MANUAL_ORDER_TIME) ? c.str() : "";
  const peg = {
    minTradeQty: undefined as number | undefined,
    minCompeteSize: undefined as number | undefined,
    competeAgainstBestOffset: undefined as number | undefined,
    midOffsetAtWhole: undefined as number | undefined,
    midOffsetAtHalf: undefined as number | undefined,
  };
  const pegOffsets = at(V.PEGBEST_PEGMID_OFFSETS);
  if (pegOffsets && contract.exchange === "IBKRATS") peg.minTradeQty = c.int();
  let sendMidOffsets = false;
  if (pegOffsets && isPegBest(orderType)) {
    peg.minCompeteSize = c.int();
    peg.competeAgainstBestOffset = c.num();
    sendMidOffsets = peg.competeAgainstBestOffset === Infinity;
  } else if (pegOffsets && isPegMid(orderType)) {
    sendMidOffsets = true;
  }
  if (sendMidOffsets) {
    peg.midOffsetAtWhole = c.num();
    peg.midOffsetAtHalf = c.num();
  }
  const customerAccount = at(V.CUSTOMER_ACCOUNT) ? c.str() : "";
  const professionalCustomer = at(V.PROFESSIONAL_CUSTOMER) && c.bool();
  if (at(V.RFQ_FIELDS) && !at(V.UNDO_RFQ_FIELDS)) {
    c.str("RFQ externalUserId");
    c.str("RFQ manualOrderIndicator");
  }
  const includeOvernight = at(V.INCLUDE_OVERNIGHT) && c.bool();
  const manualOrderIndicator = at(V.CME_TAGGING_FIELDS) ? c.int() : undefined;
  c.assertConsumed(`placeOrder ${orderId}`);

  const order: TwsOrderFields = {
    action,
    totalQuantity,
    orderType,
    lmtPrice,
    auxPrice,
    tif,
    ocaGroup,
    account,
    openClose,
    origin,
    orderRef,
    transmit,
    parentId,
    blockOrder,
    sweepToFill,
    displaySize,
    triggerMethod,
    outsideRth,
    hidden,
    orderComboLegPrices,
    smartComboRoutingParams,
    discretionaryAmt,
    goodAfterTime,
    goodTillDate,
    faGroup,
    faMethod,
    faPercentage,
    modelCode,
    shortSaleSlot,
    designatedLocation,
    exemptCode,
    ocaType,
    rule80A,
    settlingFirm,
    allOrNone,
    minQty,
    percentOffset,
    eTradeOnly,
    firmQuoteOnly,
    nbboPriceCap,
    auctionStrategy,
    startingPrice,
    stockRefPrice,
    delta,
    stockRangeLower,
    stockRangeUpper,
    overridePercentageConstraints,
    volatility,
    volatilityType,
    deltaNeutralOrderType,
    deltaNeutralAuxPrice,
    ...dn,
    continuousUpdate,
    referencePriceType,
    trailStopPrice,
    trailingPercent,
    scaleInitLevelSize,
    scaleSubsLevelSize,
    scalePriceIncrement,
    ...scale,
    scaleTable,
    activeStartTime,
    activeStopTime,
    hedgeType,
    hedgeParam,
    optOutSmartRouting,
    clearingAccount,
    clearingIntent,
    notHeld,
    algoStrategy,
    algoParams,
    algoId,
    whatIf,
    orderMiscOptions,
    solicited,
    randomizeSize,
    randomizePrice,
    ...bench,
    conditions,
    conditionsIgnoreRth,
    conditionsCancelOrder,
    adjustedOrderType,
    triggerPrice,
    lmtPriceOffset,
    adjustedStopPrice,
    adjustedStopLimitPrice,
    adjustedTrailingAmount,
    adjustableTrailingUnit,
    extOperator,
    softDollarTierName,
    softDollarTierValue,
    cashQty,
    mifid2DecisionMaker,
    mifid2DecisionAlgo,
    mifid2ExecutionTrader,
    mifid2ExecutionAlgo,
    dontUseAutoPriceForHedge,
    isOmsContainer,
    discretionaryUpToLimitPrice,
    usePriceMgmtAlgo,
    duration,
    postToAts,
    autoCancelParent,
    advancedErrorOverride,
    manualOrderTime,
    ...peg,
    customerAccount,
    professionalCustomer,
    includeOvernight,
    manualOrderIndicator,
  };
  return { orderId, contract, order };
}
