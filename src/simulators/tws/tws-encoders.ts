/**
 * Server → client messages other than the order messages (`tws-order-encoders.ts`), field for field as IB's
 * decoders read them at the version agreed with the client. A wrong count makes a client report a decode error
 * (505 in @stoqey/ib), so every layout here is pinned by tests at several versions.
 */
import { UNSET_DOUBLE, type WireField } from "./tws-codec";
import { dbl } from "./tws-order-encoders";
import type { TwsContractFields, TwsOrderFields } from "./tws-order-fields";
import { InMsg } from "./tws-protocol";
import { MAX_SERVER_VERSION, ServerVersion as V } from "./tws-versions";

export { completedOrder, openOrder, orderStatus } from "./tws-order-encoders";

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
  /** Derivatives: YYYYMMDD (the lastTradeDate field from LAST_TRADE_DATE on). */
  lastTradeDate?: string;
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

/** Version field of execDetails before LAST_LIQUIDITY and of contractDetails before SIZE_RULES. */
const EXEC_DETAILS_MSG_VERSION = 10;
const CONTRACT_DATA_MSG_VERSION = 8;

/**
 * IB escapes non-ASCII in error texts as \uXXXX (server ≥ 153) and the client decodes them; doing the same keeps
 * multi-byte texts intact for every client.
 */
export function escapeNonAscii(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** errMsg (4), version 2; the advancedOrderReject field from ADVANCED_ORDER_REJECT on. */
export function errorMessage(
  id: number,
  code: number,
  message: string,
  advancedOrderReject = "",
  v: number = MAX_SERVER_VERSION,
): Fields {
  const text = v >= V.ENCODE_MSG_ASCII7 ? escapeNonAscii(message) : message;
  const fields: Fields = [InMsg.ERR_MSG, 2, id, code, text];
  if (v >= V.ADVANCED_ORDER_REJECT) fields.push(advancedOrderReject);
  return fields;
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

/**
 * securityDefinitionOptionParameter (75), no version: one per (exchange, trading class) of an option chain, with
 * the union of its expirations and strikes (tws-protocol-derivatives.md §4.2).
 */
export function securityDefinitionOptionParameter(
  reqId: number,
  chain: {
    exchange: string;
    underlyingConId: number;
    tradingClass: string;
    multiplier: string;
    expirations: readonly string[];
    strikes: readonly number[];
  },
): Fields {
  return [
    InMsg.SECURITY_DEFINITION_OPTION_PARAMETER,
    reqId,
    chain.exchange,
    chain.underlyingConId,
    chain.tradingClass,
    chain.multiplier,
    chain.expirations.length,
    ...chain.expirations,
    chain.strikes.length,
    ...chain.strikes,
  ];
}
export const securityDefinitionOptionParameterEnd = (reqId: number): Fields => [
  InMsg.SECURITY_DEFINITION_OPTION_PARAMETER_END,
  reqId,
];
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

/**
 * execDetails (11): 32 fields at 193; a version field instead of lastLiquidity before LAST_LIQUIDITY, and
 * pendingPriceRevision only from PENDING_PRICE_REVISION on.
 */
export function execDetails(view: TwsExecutionView, v: number = MAX_SERVER_VERSION): Fields {
  const c = view.contract;
  const fields: Fields = [
    InMsg.EXECUTION_DATA,
    ...(v < V.LAST_LIQUIDITY ? [EXEC_DETAILS_MSG_VERSION] : []),
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
  ];
  if (v >= V.MODELS_SUPPORT) fields.push(view.modelCode ?? "");
  if (v >= V.LAST_LIQUIDITY) fields.push(view.lastLiquidity);
  if (v >= V.PENDING_PRICE_REVISION) fields.push(false);
  return fields;
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

/**
 * contractDetails (10): 44 fields for a stock with one secId pair at 193. Before SIZE_RULES it has a version field
 * and mdSizeMultiplier; lastTradeDate (LAST_TRADE_DATE) and the ineligibility list (INELIGIBILITY_REASONS) are
 * newer.
 */
export function contractDetails(
  reqId: number,
  view: TwsContractDetailsView,
  v: number = MAX_SERVER_VERSION,
): Fields {
  const c = view.contract;
  const fields: Fields = [InMsg.CONTRACT_DATA];
  if (v < V.SIZE_RULES) fields.push(CONTRACT_DATA_MSG_VERSION);
  fields.push(reqId, c.symbol, c.secType, c.lastTradeDateOrContractMonth);
  if (v >= V.LAST_TRADE_DATE) fields.push(view.lastTradeDate ?? "");
  fields.push(
    c.strike ?? 0,
    c.right,
    c.exchange,
    c.currency,
    c.localSymbol,
    view.marketName,
    c.tradingClass,
    c.conId,
    view.minTick,
  );
  if (v >= V.MD_SIZE_MULTIPLIER && v < V.SIZE_RULES) fields.push(1); // mdSizeMultiplier
  fields.push(
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
  );
  for (const id of view.secIdList) fields.push(id.tag, id.value);
  if (v >= V.AGG_GROUP) fields.push(1); // aggGroup
  if (v >= V.UNDERLYING_INFO) fields.push(view.underSymbol ?? "", view.underSecType ?? "");
  if (v >= V.MARKET_RULES) fields.push(view.marketRuleIds);
  if (v >= V.REAL_EXPIRATION_DATE) fields.push(view.realExpirationDate ?? "");
  if (v >= V.STOCK_TYPE) fields.push(view.stockType);
  if (v === V.FRACTIONAL_SIZE_SUPPORT) fields.push(view.sizeIncrement); // sizeMinTick, one version only
  if (v >= V.SIZE_RULES) fields.push(view.minSize, view.sizeIncrement, view.suggestedSizeIncrement);
  if (v >= V.FUND_DATA_FIELDS && c.secType === "FUND") {
    // 17 fund fields; the instrument universe has no funds, but the layout stays complete.
    fields.push("", "", "", "", "", "", "", false, false, false, "", "", "", "", "", "", "");
  }
  if (v >= V.INELIGIBILITY_REASONS) fields.push(0); // ineligibilityReasonCount
  return fields;
}

/** positionMulti (71), version 1: position plus the request id and model code. */
export function positionMulti(reqId: number, view: TwsPositionView, modelCode: string): Fields {
  const [, , ...rest] = position(view);
  return [InMsg.POSITION_MULTI, 1, reqId, ...rest, modelCode];
}
export const positionMultiEnd = (reqId: number): Fields => [InMsg.POSITION_MULTI_END, 1, reqId];

/** accountUpdateMulti (73), version 1. */
export const accountUpdateMulti = (
  reqId: number,
  account: string,
  modelCode: string,
  key: string,
  value: string,
  currency: string,
): Fields => [InMsg.ACCOUNT_UPDATE_MULTI, 1, reqId, account, modelCode, key, value, currency];
export const accountUpdateMultiEnd = (reqId: number): Fields => [InMsg.ACCOUNT_UPDATE_MULTI_END, 1, reqId];

export interface TwsPnlView {
  daily: number;
  unrealized: number;
  realized: number;
}

/** pnl (94): no version field; unrealized from UNREALIZED_PNL on, realized from REALIZED_PNL on. */
export function pnl(reqId: number, view: TwsPnlView, v: number = MAX_SERVER_VERSION): Fields {
  const fields: Fields = [InMsg.PNL, reqId, view.daily];
  if (v >= V.UNREALIZED_PNL) fields.push(view.unrealized);
  if (v >= V.REALIZED_PNL) fields.push(view.realized);
  return fields;
}

/** pnlSingle (95): position, daily, [unrealized], [realized], value. */
export function pnlSingle(
  reqId: number,
  position: number,
  view: TwsPnlView & { value: number },
  v: number = MAX_SERVER_VERSION,
): Fields {
  const fields: Fields = [InMsg.PNL_SINGLE, reqId, position, view.daily];
  if (v >= V.UNREALIZED_PNL) fields.push(view.unrealized);
  if (v >= V.REALIZED_PNL) fields.push(view.realized);
  fields.push(view.value);
  return fields;
}
