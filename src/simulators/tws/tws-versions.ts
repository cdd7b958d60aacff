/**
 * Server versions of the TWS API that change a message layout the simulator reads or writes, named as IB's
 * clients name them. A client and the simulator agree on one version at the handshake; from then on both sides
 * add or drop fields by comparing that version with these thresholds.
 */
export const ServerVersion = {
  /** Lowest version of the length-prefixed "V100+" protocol; older handshakes are refused. */
  MIN_CLIENT_VER: 100,
  /** openOrder: PEG BENCH attributes, order conditions, adjusted stop fields; placeOrder sends them too. */
  PEGGED_TO_BENCHMARK: 102,
  /** openOrder / completedOrder / execDetails / placeOrder: the modelCode field. */
  MODELS_SUPPORT: 103,
  /** placeOrder: extOperator. */
  EXT_OPERATOR: 105,
  /** openOrder / placeOrder: soft-dollar tier name, value (and display name in openOrder). */
  SOFT_DOLLAR_TIER: 106,
  /** contractDetails: mdSizeMultiplier, until SIZE_RULES replaces it. */
  MD_SIZE_MULTIPLIER: 110,
  /** openOrder / placeOrder: cashQty. */
  CASH_QTY: 111,
  /** contractDetails: aggGroup. */
  AGG_GROUP: 121,
  /** contractDetails: underSymbol, underSecType. */
  UNDERLYING_INFO: 122,
  /** reqHistoricalData loses its version field. */
  SYNT_REALTIME_BARS: 124,
  /** contractDetails: marketRuleIds. */
  MARKET_RULES: 126,
  /** reqPnL / reqPnLSingle exist. */
  PNL: 127,
  /** pnl / pnlSingle: unrealized P&L. */
  UNREALIZED_PNL: 129,
  /** orderStatus loses its version field and gains mktCapPrice. */
  MARKET_CAP_PRICE: 131,
  /** contractDetails: realExpirationDate. */
  REAL_EXPIRATION_DATE: 134,
  /** pnl / pnlSingle: realized P&L. */
  REALIZED_PNL: 135,
  /** execDetails loses its version field and gains lastLiquidity. */
  LAST_LIQUIDITY: 136,
  /** placeOrder: mifid2DecisionMaker, mifid2DecisionAlgo. */
  DECISION_MAKER: 138,
  /** placeOrder: mifid2ExecutionTrader, mifid2ExecutionAlgo. */
  MIFID_EXECUTION: 139,
  /** openOrder / placeOrder: dontUseAutoPriceForHedge. */
  AUTO_PRICE_FOR_HEDGE: 141,
  /** openOrder: the six before/change margin fields of a what-if preview. */
  WHAT_IF_EXT_FIELDS: 142,
  /** reqScannerSubscription loses its version field. */
  SCANNER_GENERIC_OPTS: 143,
  /** openOrder and placeOrder lose their version field and gain isOmsContainer. */
  ORDER_CONTAINER: 145,
  /** openOrder / placeOrder: discretionaryUpToLimitPrice. */
  D_PEG_ORDERS: 148,
  /** reqCompletedOrders and completedOrder exist. */
  COMPLETED_ORDERS: 150,
  /** openOrder / placeOrder: usePriceMgmtAlgo. */
  PRICE_MGMT_ALGO: 151,
  /** contractDetails: stockType. */
  STOCK_TYPE: 152,
  /** errMsg texts escape non-ASCII characters as \uXXXX. */
  ENCODE_MSG_ASCII7: 153,
  /** replaceFA carries a request id. */
  REPLACE_FA_END: 157,
  /** openOrder / placeOrder: duration. */
  DURATION: 158,
  /** openOrder / placeOrder: postToAts. */
  POST_TO_ATS: 160,
  /** openOrder / placeOrder: autoCancelParent. */
  AUTO_CANCEL_PARENT: 162,
  /** Decimal sizes; contractDetails carries sizeMinTick at exactly this version. */
  FRACTIONAL_SIZE_SUPPORT: 163,
  /** contractDetails loses its version field and mdSizeMultiplier; gains minSize, sizeIncrement, suggestedSizeIncrement. */
  SIZE_RULES: 164,
  /** errMsg: advancedOrderRejectJson; placeOrder: advancedErrorOverride. */
  ADVANCED_ORDER_REJECT: 166,
  /** placeOrder: manualOrderTime; cancelOrder: manualOrderCancelTime. */
  MANUAL_ORDER_TIME: 169,
  /** openOrder / completedOrder / placeOrder: PEG BEST / PEG MID offsets. */
  PEGBEST_PEGMID_OFFSETS: 170,
  /** reqContractDetails: issuerId. */
  BOND_ISSUERID: 176,
  /** openOrder / completedOrder / placeOrder drop faProfile. */
  FA_PROFILE_DESUPPORT: 177,
  /** execDetails: pendingPriceRevision. */
  PENDING_PRICE_REVISION: 178,
  /** contractDetails: the 17 fund fields (secType FUND only). */
  FUND_DATA_FIELDS: 179,
  /** contractDetails: lastTradeDate after lastTradeDateOrContractMonth. */
  LAST_TRADE_DATE: 182,
  /** openOrder / completedOrder / placeOrder: customerAccount. */
  CUSTOMER_ACCOUNT: 183,
  /** openOrder / completedOrder / placeOrder: professionalCustomer. */
  PROFESSIONAL_CUSTOMER: 184,
  /** openOrder: bondAccruedInterest. */
  BOND_ACCRUED_INTEREST: 185,
  /** contractDetails: the ineligibility-reason list. */
  INELIGIBILITY_REASONS: 186,
  /** placeOrder +2 and cancelOrder +3 transient RFQ fields, until UNDO_RFQ_FIELDS. */
  RFQ_FIELDS: 187,
  /** openOrder / placeOrder: includeOvernight. */
  INCLUDE_OVERNIGHT: 189,
  /** The RFQ fields of 187–189 are gone again. */
  UNDO_RFQ_FIELDS: 190,
  /** placeOrder: manualOrderIndicator; cancelOrder and reqGlobalCancel lose their version field and gain extOperator + manualOrderIndicator. */
  CME_TAGGING_FIELDS: 192,
  /** openOrder: extOperator, manualOrderIndicator. The highest version @stoqey/ib 1.6.10 accepts. */
  CME_TAGGING_FIELDS_IN_OPEN_ORDER: 193,
} as const;

/** The highest version the simulator speaks; a client offering more is answered with this. */
export const MAX_SERVER_VERSION = ServerVersion.CME_TAGGING_FIELDS_IN_OPEN_ORDER;

/**
 * The version TWS answers a client's `v<min>..<max>` with: the highest both sides speak, or `null` when the
 * ranges do not meet (TWS then drops the connection without a reply).
 */
export function negotiateVersion(clientMin: number, clientMax: number): number | null {
  if (clientMax < clientMin) return null;
  const agreed = Math.min(MAX_SERVER_VERSION, clientMax);
  if (agreed < ServerVersion.MIN_CLIENT_VER || agreed < clientMin) return null;
  return agreed;
}
