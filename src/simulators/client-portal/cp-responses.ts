import type {
  SimAccountValues,
  SimExecution,
  SimInstrument,
  SimOrder,
  SimOrderStatus,
  SimPosition,
} from "../brokerage";
import type { CpSessionSnapshot } from "./cp-session";

/**
 * JSON shapes of the Client Portal Gateway, built from the shared book. Field names, types (numbers as
 * strings where IB sends strings) and conventions follow client-portal-api.md and IBKR's cpapi-openapi.json.
 */

export interface CpIdentity {
  username: string;
  userId: number;
  mac: string;
  serverName: string;
  serverVersion: string;
}

export const DEFAULT_IDENTITY: CpIdentity = {
  username: "simuser1",
  userId: 87654321,
  mac: "02:42:AC:11:00:02",
  serverName: "SimGw01",
  serverVersion: "Build 10.30.1a (simulated), ibkr-graphql",
};

const pad2 = (n: number): string => String(n).padStart(2, "0");

/** `YYMMDDhhmmss` in UTC, as `lastExecutionTime` and `order_time`. */
export function ibCompactTime(ms: number): string {
  const d = new Date(ms);
  return (
    pad2(d.getUTCFullYear() % 100) +
    pad2(d.getUTCMonth() + 1) +
    pad2(d.getUTCDate()) +
    pad2(d.getUTCHours()) +
    pad2(d.getUTCMinutes()) +
    pad2(d.getUTCSeconds())
  );
}

/** `YYYYMMDD-hh:mm:ss` in UTC, as `trade_time`. */
export function ibTradeTime(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getUTCFullYear()}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}-` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`
  );
}

function decimalsOf(tick: number): number {
  return Math.max(2, Math.ceil(-Math.log10(tick) - 1e-9));
}

/** A price the way IB prints it: a string with the instrument's decimals (`"220.00"`). */
export function priceString(i: SimInstrument, price: number): string {
  return price.toFixed(decimalsOf(i.minTick));
}

/** `NASDAQ.NMS`-style listing exchange of the orders and trades endpoints. */
export function listingExchange(i: SimInstrument): string {
  return i.exchange === "NASDAQ" ? "NASDAQ.NMS" : i.exchange;
}

/** The venue a fill is reported on (`ISLAND` for NASDAQ). */
export function executionVenue(i: SimInstrument): string {
  return i.exchange === "NASDAQ" ? "ISLAND" : i.exchange;
}

function isPaper(accounts: readonly string[]): boolean {
  return accounts.every((a) => a.startsWith("D"));
}

export function authStatusJson(
  s: CpSessionSnapshot,
  id: CpIdentity,
  withFail = true,
): Record<string, unknown> {
  const authenticated = s.state === "AUTHENTICATED";
  return {
    authenticated,
    competing: s.competing,
    connected: s.state !== "NO_SSO",
    established: authenticated,
    message: s.competing ? "competing session" : "",
    MAC: id.mac,
    serverInfo: { serverName: id.serverName, serverVersion: id.serverVersion },
    hardware_info: `5f3c1a2b|${id.mac}`,
    ...(withFail ? { fail: "" } : {}),
  };
}

export function tickleJson(s: CpSessionSnapshot, id: CpIdentity): Record<string, unknown> {
  return {
    session: s.sessionId,
    ssoExpires: s.ssoExpiresMs,
    collission: false,
    userId: id.userId,
    hmds: { error: "no bridge" },
    iserver: { authStatus: authStatusJson(s, id, false) },
  };
}

export function ssoValidateJson(
  s: CpSessionSnapshot,
  id: CpIdentity,
  accounts: readonly string[],
  now: number,
): Record<string, unknown> {
  return {
    USER_ID: id.userId,
    USER_NAME: id.username,
    RESULT: true,
    AUTH_TIME: s.loginAt ?? now,
    SF_ENABLED: false,
    IS_FREE_TRIAL: false,
    CREDENTIAL: id.username,
    IP: "127.0.0.1",
    EXPIRES: s.ssoExpiresMs,
    expire: s.ssoExpiresMs,
    QUALIFIED_FOR_MOBILE_AUTH: null,
    LANDING_APP: "UNIVERSAL",
    IS_MASTER: false,
    lastAccessed: s.lastRequestAt ?? now,
    LOGIN_TYPE: isPaper(accounts) ? 2 : 1,
    PAPER_USER_NAME: id.username,
    features: {
      env: "PROD",
      wlms: true,
      realtime: true,
      bond: true,
      optionChains: true,
      calendar: true,
      newMf: true,
    },
    region: "NJ",
  };
}

export function iserverAccountsJson(
  accounts: readonly string[],
  selected: string,
  id: CpIdentity,
  sessionId: string | null,
): Record<string, unknown> {
  const props = Object.fromEntries(
    accounts.map((a) => [
      a,
      {
        hasChildAccounts: false,
        supportsCashQty: true,
        noFXConv: false,
        isProp: false,
        supportsFractions: true,
        allowCustomerTime: false,
      },
    ]),
  );
  return {
    accounts: [...accounts],
    acctProps: props,
    aliases: Object.fromEntries(accounts.map((a) => [a, a])),
    allowFeatures: {
      showGFIS: true,
      showEUCostReport: false,
      allowEventContract: false,
      allowFXConv: true,
      allowFinancialLens: false,
      allowMTA: true,
      allowTypeAhead: true,
      allowEventTrading: false,
      snapshotRefreshTimeout: 30,
      liteUser: false,
      showWebNews: true,
      research: true,
      debugPnl: true,
      showTaxOpt: true,
      showImpactDashboard: true,
      allowDynAccount: false,
      allowCrypto: false,
      allowedAssetTypes: "STK,FUT,CASH",
    },
    chartPeriods: { STK: ["*"], FUT: ["*"], CASH: ["*"] },
    groups: [],
    profiles: [],
    selectedAccount: selected,
    serverInfo: { serverName: id.serverName, serverVersion: id.serverVersion },
    sessionId: sessionId ? `${sessionId.slice(0, 7)}.${sessionId.slice(7, 15)}` : null,
    isFT: false,
    isPaper: isPaper(accounts),
  };
}

export function portfolioAccountJson(
  account: string,
  currency: string,
  createdAt: number,
): Record<string, unknown> {
  return {
    id: account,
    "PrepaidCrypto-Z": false,
    "PrepaidCrypto-P": false,
    brokerageAccess: true,
    accountId: account,
    accountVan: account,
    accountTitle: account.startsWith("D") ? "Paper Trader" : "Simulated Trader",
    displayName: account,
    accountAlias: null,
    accountStatus: createdAt,
    currency,
    type: account.startsWith("D") ? "DEMO" : "INDIVIDUAL",
    tradingType: "STKNOPT",
    businessType: "INDEPENDENT",
    ibEntity: "IBLLC-US",
    faclient: false,
    clearingStatus: "O",
    covestor: false,
    noClientTrading: false,
    trackVirtualFXPortfolio: false,
    parent: { mmc: [], accountId: "", isMParent: false, isMChild: false, isMultiplex: false },
    desc: account,
  };
}

function summaryEntry(amount: number, currency: string | null, now: number, value: string | null = null) {
  return { amount, currency, isNull: false, timestamp: now, value, severity: 0 };
}

export function summaryJson(v: SimAccountValues, now: number): Record<string, unknown> {
  const money: Record<string, number> = {
    netliquidation: v.netLiquidation,
    totalcashvalue: v.cash,
    settledcash: v.cash,
    accruedcash: 0,
    buyingpower: v.buyingPower,
    availablefunds: v.availableFunds,
    excessliquidity: v.excessLiquidity,
    grosspositionvalue: v.grossPositionValue,
    equitywithloanvalue: v.equityWithLoanValue,
    previousdayequitywithloanvalue: v.equityWithLoanValue,
    initmarginreq: v.initMarginReq,
    maintmarginreq: v.maintMarginReq,
    fullinitmarginreq: v.initMarginReq,
    fullmaintmarginreq: v.maintMarginReq,
    fullavailablefunds: v.availableFunds,
    fullexcessliquidity: v.excessLiquidity,
    lookaheadinitmarginreq: v.initMarginReq,
    lookaheadmaintmarginreq: v.maintMarginReq,
    lookaheadavailablefunds: v.availableFunds,
    lookaheadexcessliquidity: v.excessLiquidity,
    accrueddividend: 0,
    sma: v.availableFunds,
    regtequity: v.equityWithLoanValue,
    regtmargin: v.initMarginReq,
  };
  const out: Record<string, unknown> = {
    accountcode: summaryEntry(0, null, now, v.account),
    accountready: summaryEntry(0, null, now, "true"),
    accounttype: summaryEntry(0, null, now, "INDIVIDUAL"),
    cushion: summaryEntry(v.netLiquidation > 0 ? v.excessLiquidity / v.netLiquidation : 0, null, now),
    daytradesremaining: summaryEntry(-1, null, now),
    "leverage-s": summaryEntry(v.netLiquidation > 0 ? v.grossPositionValue / v.netLiquidation : 0, null, now),
    highestseverity: summaryEntry(0, null, now),
  };
  for (const [key, amount] of Object.entries(money)) {
    out[key] = summaryEntry(amount, v.currency, now);
    // The securities segment carries the same values here: futures and FX are folded into one book.
    out[`${key}-s`] = summaryEntry(amount, v.currency, now);
    out[`${key}-c`] = summaryEntry(0, v.currency, now);
  }
  return out;
}

export function ledgerJson(
  v: SimAccountValues,
  positions: readonly SimPosition[],
  now: number,
): Record<string, Record<string, unknown>> {
  const futuresPnl = positions
    .filter((p) => p.instrument.secType === "FUT")
    .reduce((sum, p) => sum + p.unrealizedPnl, 0);
  const entry = (currency: string): Record<string, unknown> => ({
    commoditymarketvalue: 0,
    futuremarketvalue: 0,
    settledcash: v.cash,
    exchangerate: 1,
    sessionid: 1,
    cashbalance: v.cash,
    corporatebondsmarketvalue: 0,
    warrantsmarketvalue: 0,
    netliquidationvalue: v.netLiquidation,
    interest: 0,
    unrealizedpnl: v.unrealizedPnl,
    stockmarketvalue: v.stockMarketValue,
    moneyfunds: 0,
    currency,
    realizedpnl: v.realizedPnl,
    funds: 0,
    acctcode: v.account,
    issueroptionsmarketvalue: 0,
    key: "LedgerList",
    timestamp: Math.floor(now / 1000),
    severity: 0,
    stockoptionmarketvalue: 0,
    futuresonlypnl: Math.round(futuresPnl * 100) / 100,
    tbondsmarketvalue: 0,
    futureoptionmarketvalue: 0,
    cashbalancefxsegment: 0,
    secondkey: currency,
    tbillsmarketvalue: 0,
    dividends: 0,
    cryptocurrencyvalue: 0,
  });
  return { [v.currency]: entry(v.currency), BASE: { ...entry("BASE"), endofbundle: 1 } };
}

function assetType(i: SimInstrument): string {
  if (i.secType === "STK") return i.symbol === "SPY" ? "ETF" : "COMMON";
  return i.secType === "FUT" ? "FUT" : "CASH";
}

export function positionJson(p: SimPosition, pageSize: number): Record<string, unknown> {
  const i = p.instrument;
  return {
    acctId: p.account,
    conid: i.conid,
    contractDesc: i.secType === "FUT" ? `${i.symbol} ${i.lastTradeDate ?? ""}`.trim() : i.localSymbol,
    position: p.quantity,
    mktPrice: p.marketPrice,
    mktValue: p.marketValue,
    currency: i.currency,
    avgCost: p.avgCost,
    avgPrice: p.avgPrice,
    realizedPnl: p.realizedPnl,
    unrealizedPnl: p.unrealizedPnl,
    exchs: null,
    expiry: i.lastTradeDate ?? null,
    putOrCall: i.right ?? null,
    multiplier: i.secType === "FUT" || i.secType === "OPT" ? i.multiplier : 0,
    strike: String(i.strike ?? 0),
    exerciseStyle: i.secType === "OPT" ? "AMERICAN" : null,
    conExchMap: [],
    assetClass: i.secType,
    undConid: i.underlyingConid ?? 0,
    model: "",
    baseMktValue: p.marketValue,
    baseMktPrice: p.marketPrice,
    baseAvgCost: p.avgCost,
    baseAvgPrice: p.avgPrice,
    baseRealizedPnl: p.realizedPnl,
    baseUnrealizedPnl: p.unrealizedPnl,
    time: 10,
    chineseName: null,
    allExchanges: i.exchange,
    listingExchange: i.exchange,
    countryCode: "US",
    name: i.description,
    lastTradingDay: i.lastTradeDate ?? null,
    group: null,
    sector: null,
    sectorGroup: null,
    ticker: i.symbol,
    type: assetType(i),
    hasOptions: i.secType === "STK",
    fullName: i.secType === "FUT" ? `${i.symbol} ${i.lastTradeDate ?? ""}`.trim() : i.localSymbol,
    isUS: true,
    incrementRules: [{ lowerEdge: 0, increment: i.minTick }],
    displayRule: {
      magnification: 0,
      displayRuleStep: [{ decimalDigits: decimalsOf(i.minTick), lowerEdge: 0 }],
    },
    isEventContract: false,
    pageSize,
  };
}

const ORIG_ORDER_TYPE: Record<SimOrder["orderType"], string> = {
  MKT: "MARKET",
  LMT: "LIMIT",
  STP: "STOP",
  "STP LMT": "STOP_LIMIT",
  TRAIL: "TRAILING_STOP",
  "TRAIL LIMIT": "TRAILING_STOP_LIMIT",
  MOC: "MARKET_ON_CLOSE",
  LOC: "LIMIT_ON_CLOSE",
  MIT: "MIT",
  LIT: "LIT",
  MIDPRICE: "MIDPRICE",
};
const ORDER_TYPE_TEXT: Record<SimOrder["orderType"], string> = {
  MKT: "Market",
  LMT: "Limit",
  STP: "Stop",
  "STP LMT": "Stop Limit",
  TRAIL: "Trail",
  "TRAIL LIMIT": "Trail Limit",
  MOC: "Market On Close",
  LOC: "Limit On Close",
  MIT: "Market if Touched",
  LIT: "Limit if Touched",
  MIDPRICE: "Midprice",
};

/** `"Buy 10 Limit 220.00, DAY"`, as IB writes `orderDesc`. */
export function orderDescription(o: SimOrder): string {
  const i = o.instrument;
  const side = o.side === "BUY" ? "Buy" : "Sell";
  let what: string = ORDER_TYPE_TEXT[o.orderType];
  if (o.orderType === "LMT") what += ` ${priceString(i, o.limitPrice!)}`;
  if (o.orderType === "STP") what += ` ${priceString(i, o.stopPrice!)}`;
  if (o.orderType === "STP LMT")
    what += ` ${priceString(i, o.limitPrice!)}, Stop ${priceString(i, o.stopPrice!)}`;
  return `${side} ${o.quantity} ${what}, ${o.tif}`;
}

const STATUS_COLORS: Partial<Record<SimOrderStatus, [string, string]>> = {
  Submitted: ["#000000", "#00F000"],
  PreSubmitted: ["#000000", "#00F000"],
  Filled: ["#FFFFFF", "#000000"],
  Cancelled: ["#FFFFFF", "#AD0000"],
  Inactive: ["#FFFFFF", "#AD0000"],
};

/** `"filled/total"` while the order lives (`"0/10"`), just the size once filled. */
function sizeAndFills(o: SimOrder): string {
  return o.status === "Filled" ? String(o.quantity) : `${o.filled}/${o.quantity}`;
}

/** One element of `GET /iserver/account/orders`. */
/** A combo order's conidex as IB shows it in live orders: the spread conid, then each leg's conid/signed ratio. */
function comboConidex(o: SimOrder): string {
  if (!o.legs) return String(o.instrument.conid);
  const legs = o.legs.map((l) => `${l.instrument.conid}/${l.side === "BUY" ? l.ratio : -l.ratio}`);
  return `${o.instrument.conid};;;${legs.join(",")}`;
}

export function liveOrderJson(o: SimOrder): Record<string, unknown> {
  const i = o.instrument;
  const [bg, fg] = STATUS_COLORS[o.status] ?? ["#000000", "#FFFFFF"];
  const out: Record<string, unknown> = {
    acct: o.account,
    account: o.account,
    conidex: comboConidex(o),
    conid: i.conid,
    orderId: o.permId,
    // A bracket child names its parent's order id.
    ...(o.parentPermId != null ? { parentId: String(o.parentPermId) } : {}),
    cashCcy: i.currency,
    sizeAndFills: sizeAndFills(o),
    orderDesc: orderDescription(o),
    description1: i.secType === "FUT" ? `${i.symbol} ${i.lastTradeDate ?? ""}`.trim() : i.localSymbol,
    ticker: i.symbol,
    secType: i.secType,
    listingExchange: listingExchange(i),
    remainingQuantity: o.remaining,
    filledQuantity: o.filled,
    totalSize: o.quantity,
    companyName: i.description,
    status: o.status,
    order_ccp_status: o.status,
    origOrderType: ORIG_ORDER_TYPE[o.orderType],
    supportsTaxOpt: "1",
    lastExecutionTime: ibCompactTime(o.updatedAt),
    lastExecutionTime_r: o.updatedAt,
    orderType: ORDER_TYPE_TEXT[o.orderType],
    timeInForce: o.tif,
    side: o.side,
    outsideRTH: o.outsideRth,
    bgColor: bg,
    fgColor: fg,
  };
  if (o.orderRef) out.order_ref = o.orderRef;
  if (o.orderType === "LMT" || o.orderType === "STP LMT") out.price = priceString(i, o.limitPrice!);
  if (o.orderType === "STP") out.price = priceString(i, o.stopPrice!);
  if (o.stopPrice !== null) out.auxPrice = priceString(i, o.stopPrice);
  if (o.filled > 0) out.avgPrice = priceString(i, o.avgFillPrice);
  if (o.statusMessage) out.text = o.statusMessage;
  return out;
}

/** `GET /iserver/account/order/status/{orderId}`: snake_case, values mostly strings. */
export function orderStatusJson(o: SimOrder): Record<string, unknown> {
  const i = o.instrument;
  const [bg, fg] = STATUS_COLORS[o.status] ?? ["#000000", "#FFFFFF"];
  const working = o.status === "Submitted" || o.status === "PreSubmitted" || o.status === "PendingSubmit";
  const description = orderDescription(o);
  const out: Record<string, unknown> = {
    sub_type: null,
    request_id: String(o.permId % 100_000),
    server_id: "0",
    order_id: o.permId,
    conidex: comboConidex(o),
    conid: i.conid,
    symbol: i.symbol,
    side: o.side === "BUY" ? "B" : "S",
    contract_description_1: i.localSymbol,
    listing_exchange: listingExchange(i),
    option_acct: "c",
    company_name: i.description,
    size: String(o.remaining),
    total_size: String(o.quantity),
    currency: i.currency,
    account: o.account,
    order_type: ORIG_ORDER_TYPE[o.orderType],
    cum_fill: String(o.filled),
    order_status: o.status,
    order_ccp_status: o.status,
    order_status_description: statusDescription(o.status),
    tif: o.tif,
    fg_color: fg,
    bg_color: bg,
    order_not_editable: !working,
    editable_fields: working ? "quantity,price,tif" : "",
    cannot_cancel_order: !working,
    deactivate_order: false,
    sec_type: i.secType,
    available_chart_periods: "#R|1",
    order_description: description,
    order_description_with_contract: description.replace(/^(Buy|Sell) (\S+) /, `$1 $2 ${i.localSymbol} `),
    alert_active: 1,
    child_order_type: "0",
    order_clearing_account: o.account,
    size_and_fills: sizeAndFills(o),
    exit_strategy_display_price: priceString(i, o.limitPrice ?? o.stopPrice ?? o.lastFillPrice),
    exit_strategy_chart_description: description,
    exit_strategy_tool_availability: "1",
    allowed_duplicate_opposite: true,
    order_time: ibCompactTime(o.createdAt),
    outside_rth: o.outsideRth,
    use_price_mgmt_algo: false,
  };
  if (o.limitPrice !== null) out.limit_price = priceString(i, o.limitPrice);
  if (o.stopPrice !== null) out.stop_price = priceString(i, o.stopPrice);
  if (o.filled > 0) out.average_price = priceString(i, o.avgFillPrice);
  return out;
}

function statusDescription(s: SimOrderStatus): string {
  switch (s) {
    case "PendingSubmit":
      return "Order Pending Submit";
    case "PreSubmitted":
      return "Order Held";
    case "Submitted":
      return "Order Submitted";
    case "Filled":
      return "Order Filled";
    case "PendingCancel":
      return "Cancel Pending";
    case "Cancelled":
      return "Order Cancelled";
    case "Inactive":
      return "Order Inactive";
  }
}

/** One element of `GET /iserver/account/trades`. */
export function tradeJson(e: SimExecution, submitter: string): Record<string, unknown> {
  const i = e.instrument;
  const venue = executionVenue(i);
  return {
    execution_id: e.execId,
    symbol: i.symbol,
    supports_tax_opt: "1",
    side: e.side === "BUY" ? "B" : "S",
    order_description: `${e.side === "BUY" ? "Bot" : "Sold"} ${e.quantity} @ ${priceString(i, e.price)} on ${venue}`,
    trade_time: ibTradeTime(e.time),
    trade_time_r: e.time,
    size: e.quantity,
    price: priceString(i, e.price),
    order_ref: e.orderRef ?? "",
    order_id: e.permId,
    submitter,
    exchange: venue,
    commission: e.commission.commission.toFixed(2),
    net_amount: Math.round(e.quantity * e.price * i.multiplier * 100) / 100,
    account: e.account,
    accountCode: e.account,
    account_allocation_name: e.account,
    company_name: i.description,
    contract_description_1: i.localSymbol,
    sec_type: i.secType,
    listing_exchange: listingExchange(i),
    conid: i.conid,
    conidEx: String(i.conid),
    clearing_id: "IB",
    clearing_name: "IB",
    liquidation_trade: "0",
    is_event_trading: "0",
  };
}

/** `MMMYY` as IB writes a contract month in secdef search/strikes/info (`DEC26`). */
export function monthCode(yyyymmdd: string): string {
  const months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
  return `${months[Number(yyyymmdd.slice(4, 6)) - 1] ?? "DEC"}${yyyymmdd.slice(2, 4)}`;
}

/** Distinct `MMMYY` months of non-expired contracts, in expiry order, `;`-joined as IB lists them. */
function monthsOf(contracts: readonly SimInstrument[], now: number): string {
  const today = new Date(now).toISOString().slice(0, 10).replace(/-/g, "");
  const dates = contracts.map((c) => c.lastTradeDate ?? "").filter((d) => d >= today);
  return [...new Set(dates.sort().map(monthCode))].join(";");
}

/** Exchanges IB lists in an equity-option section. */
export const OPTION_SECTION_EXCHANGES =
  "SMART;AMEX;BATS;BOX;CBOE;CBOE2;EDGX;EMERALD;GEMINI;IBUSOPT;ISE;MERCURY;MIAX;NASDAQBX;NASDAQOM;PEARL;PHLX;PSE";

/**
 * One element of `/iserver/secdef/search`: note `conid` is a string here. `sections` lists the derivatives that hang
 * off the underlying (OPT months for a stock, FUT months for a future's symbol) when `universe` is given.
 */
export function secdefSearchJson(
  i: SimInstrument,
  universe: readonly SimInstrument[] = [],
  now = Date.now(),
): Record<string, unknown> {
  const futures = universe.filter((u) => u.secType === "FUT" && u.symbol === i.symbol);
  const options = universe.filter((u) => u.underlyingConid === i.conid);
  const sections: Record<string, unknown>[] =
    i.secType === "FUT"
      ? [
          {
            secType: "FUT",
            months: futures.length ? monthsOf(futures, now) : monthCode(i.lastTradeDate ?? "20261218"),
            exchange: i.exchange,
          },
        ]
      : i.secType === "CASH"
        ? [{ secType: "CASH", exchange: i.exchange }]
        : [{ secType: "STK" }];
  if (options.length)
    sections.push({ secType: "OPT", months: monthsOf(options, now), exchange: OPTION_SECTION_EXCHANGES });
  return {
    conid: String(i.conid),
    companyHeader: `${i.description} - ${i.exchange}`,
    companyName: i.description,
    symbol: i.symbol,
    description: i.exchange,
    restricted: null,
    fop: null,
    opt: options.length ? [...new Set(options.map((o) => o.lastTradeDate))].sort().join(";") : null,
    war: null,
    sections,
  };
}

/** `GET /iserver/contract/{conid}/info`. */
export function contractInfoJson(i: SimInstrument): Record<string, unknown> {
  const isStock = i.secType === "STK";
  return {
    cfi_code: isStock ? "ESXXXX" : "",
    symbol: i.symbol,
    cusip: null,
    expiry_full: i.lastTradeDate ?? null,
    con_id: i.conid,
    maturity_date: i.lastTradeDate ?? null,
    industry: isStock ? (i.symbol === "SPY" ? "Funds" : "Technology") : "",
    instrument_type: i.secType,
    trading_class: i.tradingClass,
    valid_exchanges: isStock ? `SMART,${i.exchange}` : i.exchange,
    allow_sell_long: false,
    is_zero_commission_security: false,
    local_symbol: i.localSymbol,
    contract_clarification_type: null,
    classifier: null,
    currency: i.currency,
    text: null,
    underlying_con_id: i.underlyingConid ?? 0,
    r_t_h: true,
    multiplier: i.secType === "FUT" || i.secType === "OPT" ? String(i.multiplier) : "",
    strike: i.strike ?? 0,
    right: i.right ?? null,
    underlying_issuer: null,
    contract_month: i.lastTradeDate ? i.lastTradeDate.slice(0, 6) : null,
    company_name: i.description,
    smart_available: isStock,
    exchange: isStock ? "SMART" : i.exchange,
    category: isStock ? (i.symbol === "SPY" ? "Exchange Traded Fund" : "Computers") : "",
  };
}

/** `GET /trsrv/stocks` entry for one symbol. */
export function trsrvStockJson(i: SimInstrument): Record<string, unknown> {
  return {
    name: i.description,
    chineseName: null,
    assetClass: "STK",
    contracts: [{ conid: i.conid, exchange: i.exchange, isUS: true }],
  };
}

/** One element of `GET /trsrv/secdef` (`{"secdef": [...]}`). */
export function trsrvSecdefJson(i: SimInstrument, now: number): Record<string, unknown> {
  return {
    incrementRules: [{ lowerEdge: 0, increment: i.minTick }],
    displayRule: {
      magnification: 0,
      displayRuleStep: [{ decimalDigits: decimalsOf(i.minTick), lowerEdge: 0 }],
    },
    conid: i.conid,
    currency: i.currency,
    time: now % 1000,
    chineseName: null,
    allExchanges: i.secType === "STK" ? `SMART,${i.exchange}` : i.exchange,
    listingExchange: i.exchange,
    countryCode: "US",
    name: i.description,
    assetClass: i.secType,
    expiry: i.lastTradeDate ?? null,
    lastTradingDay: i.lastTradeDate ?? null,
    group: null,
    putOrCall: i.right ?? null,
    sector: null,
    sectorGroup: null,
    strike: String(i.strike ?? 0),
    ticker: i.symbol,
    undConid: i.underlyingConid ?? 0,
    multiplier: i.secType === "FUT" || i.secType === "OPT" ? i.multiplier : 0,
    type: assetType(i),
    hasOptions: i.secType === "STK",
    fullName: i.secType === "FUT" ? `${i.symbol} ${i.lastTradeDate ?? ""}`.trim() : i.localSymbol,
    isUS: true,
    isEventContract: false,
  };
}
