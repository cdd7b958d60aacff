/**
 * Every contract and order attribute a placeOrder message can carry at server version 193. The simulator keeps
 * them per order so that openOrder / completedOrder echo what the client sent, as TWS does.
 */

export interface TagValue {
  tag: string;
  value: string;
}

export interface ComboLegFields {
  conId: number;
  ratio: number;
  action: string;
  exchange: string;
  openClose: number;
  shortSaleSlot: number;
  designatedLocation: string;
  exemptCode: number;
}

export interface DeltaNeutralContractFields {
  conId: number;
  delta: number;
  price: number;
}

/** Order conditions. `value` stays as the client's text so that it is echoed verbatim. */
export type OrderConditionFields =
  | {
      type: 1;
      conjunction: string;
      isMore: boolean;
      value: string;
      conId: number;
      exchange: string;
      triggerMethod: number;
    }
  | { type: 3; conjunction: string; isMore: boolean; value: string }
  | { type: 4; conjunction: string; isMore: boolean; value: string }
  | { type: 5; conjunction: string; secType: string; exchange: string; symbol: string }
  | { type: 6; conjunction: string; isMore: boolean; value: string; conId: number; exchange: string }
  | { type: 7; conjunction: string; isMore: boolean; value: string; conId: number; exchange: string };

export interface TwsContractFields {
  conId?: number;
  symbol: string;
  secType: string;
  lastTradeDateOrContractMonth: string;
  strike?: number;
  right: string;
  multiplier: string;
  exchange: string;
  primaryExch: string;
  currency: string;
  localSymbol: string;
  tradingClass: string;
  secIdType: string;
  secId: string;
  comboLegs: ComboLegFields[];
  deltaNeutralContract?: DeltaNeutralContractFields;
}

/** Numbers are `undefined` when the client left them unset (empty field or an unset marker). */
export interface TwsOrderFields {
  action: string;
  totalQuantity?: number;
  orderType: string;
  lmtPrice?: number;
  auxPrice?: number;
  tif: string;
  ocaGroup: string;
  account: string;
  openClose: string;
  origin: number;
  orderRef: string;
  /** `undefined` when the field was empty (the app did not set it). */
  transmit?: boolean;
  parentId: number;
  blockOrder: boolean;
  sweepToFill: boolean;
  displaySize?: number;
  triggerMethod: number;
  outsideRth: boolean;
  hidden: boolean;
  orderComboLegPrices: (number | undefined)[];
  smartComboRoutingParams: TagValue[];
  discretionaryAmt?: number;
  goodAfterTime: string;
  goodTillDate: string;
  faGroup: string;
  faMethod: string;
  faPercentage: string;
  modelCode: string;
  shortSaleSlot: number;
  designatedLocation: string;
  exemptCode?: number;
  ocaType?: number;
  rule80A: string;
  settlingFirm: string;
  allOrNone: boolean;
  minQty?: number;
  percentOffset?: number;
  eTradeOnly: boolean;
  firmQuoteOnly: boolean;
  nbboPriceCap?: number;
  auctionStrategy?: number;
  startingPrice?: number;
  stockRefPrice?: number;
  delta?: number;
  stockRangeLower?: number;
  stockRangeUpper?: number;
  overridePercentageConstraints: boolean;
  volatility?: number;
  volatilityType?: number;
  deltaNeutralOrderType: string;
  deltaNeutralAuxPrice?: number;
  deltaNeutralConId?: number;
  deltaNeutralSettlingFirm: string;
  deltaNeutralClearingAccount: string;
  deltaNeutralClearingIntent: string;
  deltaNeutralOpenClose: string;
  deltaNeutralShortSale: boolean;
  deltaNeutralShortSaleSlot?: number;
  deltaNeutralDesignatedLocation: string;
  continuousUpdate: number;
  referencePriceType?: number;
  trailStopPrice?: number;
  trailingPercent?: number;
  scaleInitLevelSize?: number;
  scaleSubsLevelSize?: number;
  scalePriceIncrement?: number;
  scalePriceAdjustValue?: number;
  scalePriceAdjustInterval?: number;
  scaleProfitOffset?: number;
  scaleAutoReset: boolean;
  scaleInitPosition?: number;
  scaleInitFillQty?: number;
  scaleRandomPercent: boolean;
  scaleTable: string;
  activeStartTime: string;
  activeStopTime: string;
  hedgeType: string;
  hedgeParam: string;
  optOutSmartRouting: boolean;
  clearingAccount: string;
  clearingIntent: string;
  notHeld: boolean;
  algoStrategy: string;
  algoParams: TagValue[];
  algoId: string;
  whatIf: boolean;
  orderMiscOptions: string;
  solicited: boolean;
  randomizeSize: boolean;
  randomizePrice: boolean;
  referenceContractId?: number;
  isPeggedChangeAmountDecrease: boolean;
  peggedChangeAmount?: number;
  referenceChangeAmount?: number;
  referenceExchangeId: string;
  conditions: OrderConditionFields[];
  conditionsIgnoreRth: boolean;
  conditionsCancelOrder: boolean;
  adjustedOrderType: string;
  triggerPrice?: number;
  lmtPriceOffset?: number;
  adjustedStopPrice?: number;
  adjustedStopLimitPrice?: number;
  adjustedTrailingAmount?: number;
  adjustableTrailingUnit: number;
  extOperator: string;
  softDollarTierName: string;
  softDollarTierValue: string;
  cashQty?: number;
  mifid2DecisionMaker: string;
  mifid2DecisionAlgo: string;
  mifid2ExecutionTrader: string;
  mifid2ExecutionAlgo: string;
  dontUseAutoPriceForHedge: boolean;
  isOmsContainer: boolean;
  discretionaryUpToLimitPrice: boolean;
  usePriceMgmtAlgo?: boolean;
  duration?: number;
  postToAts?: number;
  autoCancelParent: boolean;
  advancedErrorOverride: string;
  manualOrderTime: string;
  minTradeQty?: number;
  minCompeteSize?: number;
  competeAgainstBestOffset?: number;
  midOffsetAtWhole?: number;
  midOffsetAtHalf?: number;
  customerAccount: string;
  professionalCustomer: boolean;
  includeOvernight: boolean;
  manualOrderIndicator?: number;
}

export interface ParsedPlaceOrder {
  orderId: number;
  contract: TwsContractFields;
  order: TwsOrderFields;
}

/** Order attributes for orders the simulator did not receive through placeOrder (e.g. placed via Client Portal). */
export function defaultOrderFields(overrides: Partial<TwsOrderFields> = {}): TwsOrderFields {
  return {
    action: "BUY",
    orderType: "MKT",
    tif: "DAY",
    ocaGroup: "",
    account: "",
    openClose: "",
    origin: 0,
    orderRef: "",
    transmit: true,
    parentId: 0,
    blockOrder: false,
    sweepToFill: false,
    triggerMethod: 0,
    outsideRth: false,
    hidden: false,
    orderComboLegPrices: [],
    smartComboRoutingParams: [],
    goodAfterTime: "",
    goodTillDate: "",
    faGroup: "",
    faMethod: "",
    faPercentage: "",
    modelCode: "",
    shortSaleSlot: 0,
    designatedLocation: "",
    rule80A: "",
    settlingFirm: "",
    allOrNone: false,
    eTradeOnly: false,
    firmQuoteOnly: false,
    overridePercentageConstraints: false,
    deltaNeutralOrderType: "",
    deltaNeutralSettlingFirm: "",
    deltaNeutralClearingAccount: "",
    deltaNeutralClearingIntent: "",
    deltaNeutralOpenClose: "",
    deltaNeutralShortSale: false,
    deltaNeutralDesignatedLocation: "",
    continuousUpdate: 0,
    scaleAutoReset: false,
    scaleRandomPercent: false,
    scaleTable: "",
    activeStartTime: "",
    activeStopTime: "",
    hedgeType: "",
    hedgeParam: "",
    optOutSmartRouting: false,
    clearingAccount: "",
    clearingIntent: "",
    notHeld: false,
    algoStrategy: "",
    algoParams: [],
    algoId: "",
    whatIf: false,
    orderMiscOptions: "",
    solicited: false,
    randomizeSize: false,
    randomizePrice: false,
    isPeggedChangeAmountDecrease: false,
    referenceExchangeId: "",
    conditions: [],
    conditionsIgnoreRth: false,
    conditionsCancelOrder: false,
    adjustedOrderType: "",
    adjustableTrailingUnit: 0,
    extOperator: "",
    softDollarTierName: "",
    softDollarTierValue: "",
    mifid2DecisionMaker: "",
    mifid2DecisionAlgo: "",
    mifid2ExecutionTrader: "",
    mifid2ExecutionAlgo: "",
    dontUseAutoPriceForHedge: false,
    isOmsContainer: false,
    discretionaryUpToLimitPrice: false,
    autoCancelParent: false,
    advancedErrorOverride: "",
    manualOrderTime: "",
    customerAccount: "",
    professionalCustomer: false,
    includeOvernight: false,
    ...overrides,
  };
}

export function defaultContractFields(overrides: Partial<TwsContractFields> = {}): TwsContractFields {
  return {
    symbol: "",
    secType: "",
    lastTradeDateOrContractMonth: "",
    right: "",
    multiplier: "",
    exchange: "",
    primaryExch: "",
    currency: "",
    localSymbol: "",
    tradingClass: "",
    secIdType: "",
    secId: "",
    comboLegs: [],
    ...overrides,
  };
}

export function isPegBench(orderType: string): boolean {
  return orderType === "PEG BENCH" || orderType === "PEGBENCH";
}
export function isPegBest(orderType: string): boolean {
  return orderType === "PEG BEST" || orderType === "PEGBEST";
}
export function isPegMid(orderType: string): boolean {
  return orderType === "PEG MID" || orderType === "PEGMID";
}
