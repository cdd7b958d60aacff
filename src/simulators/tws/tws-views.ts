/**
 * Translation from the simulated brokerage's objects to what TWS reports: contracts, contract details, account
 * summary tags and account-update keys.
 */
import { rightCode, type SimAccountValues, type SimInstrument, type SimPosition } from "../brokerage";
import { defaultContractFields, type TwsContractFields } from "./tws-order-fields";
import type { TwsContractDetailsView, TwsPortfolioView, TwsPositionView } from "./tws-encoders";

export type ReportedContract = TwsContractFields & { conId: number };

/** The contract as TWS reports it in positions, portfolio, executions and contract details. */
export function reportedContract(instrument: SimInstrument, exchange?: string): ReportedContract {
  return {
    ...defaultContractFields({
      symbol: instrument.symbol,
      secType: instrument.secType,
      lastTradeDateOrContractMonth: instrument.lastTradeDate ?? "",
      strike: instrument.strike ?? 0,
      right: instrument.right ?? "",
      multiplier:
        instrument.secType === "FUT" || instrument.secType === "OPT" ? String(instrument.multiplier) : "",
      exchange: exchange ?? instrument.exchange,
      primaryExch: instrument.secType === "STK" ? instrument.exchange : "",
      currency: instrument.currency,
      localSymbol: instrument.localSymbol,
      tradingClass: instrument.tradingClass,
    }),
    conId: instrument.conid,
  };
}

export function positionView(p: SimPosition): TwsPositionView {
  return {
    account: p.account,
    contract: reportedContract(p.instrument),
    position: p.quantity,
    avgCost: p.avgCost,
  };
}

export function portfolioView(p: SimPosition): TwsPortfolioView {
  return {
    ...positionView(p),
    marketPrice: p.marketPrice,
    marketValue: p.marketValue,
    unrealizedPnl: p.unrealizedPnl,
    realizedPnl: p.realizedPnl,
  };
}

/** How a reqContractDetails / placeOrder contract is matched against the instrument universe. */
export interface ContractQuery {
  conId?: number;
  symbol: string;
  secType: string;
  exchange: string;
  currency: string;
  localSymbol: string;
  lastTradeDateOrContractMonth: string;
  /** Derivatives: 0 or unset matches every strike. */
  strike?: number;
  /** `C`/`P`/`CALL`/`PUT`; empty matches both. */
  right?: string;
  multiplier?: string;
  tradingClass?: string;
  /** Dates before this YYYYMMDD are expired: such derivatives are not found (TWS without includeExpired). */
  today?: string;
}

/** Every instrument matching the query; TWS answers an ambiguous order contract with error 200. */
export function matchContracts(instruments: readonly SimInstrument[], q: ContractQuery): SimInstrument[] {
  if (q.conId !== undefined && q.conId !== 0) return instruments.filter((i) => i.conid === q.conId);
  const symbol = q.symbol.trim().toUpperCase();
  const localSymbol = q.localSymbol.trim().toUpperCase();
  if (!symbol && !localSymbol) return [];
  const secType = q.secType.trim().toUpperCase();
  const exchange = q.exchange.trim().toUpperCase();
  const currency = q.currency.trim().toUpperCase();
  const expiry = q.lastTradeDateOrContractMonth.trim();
  const strike = q.strike ?? 0;
  const right = rightCode(q.right);
  const multiplier = Number(q.multiplier ?? "") || 0;
  const tradingClass = (q.tradingClass ?? "").trim().toUpperCase();
  const today = q.today ?? "";
  return instruments.filter(
    (i) =>
      (!strike || i.strike === strike) &&
      (!right || i.right === right) &&
      (!multiplier || i.multiplier === multiplier) &&
      (!tradingClass || i.tradingClass === tradingClass) &&
      (!today || !i.lastTradeDate || i.lastTradeDate >= today) &&
      (!symbol || i.symbol === symbol) &&
      (!localSymbol || i.localSymbol === localSymbol) &&
      (!secType || i.secType === secType) &&
      (!exchange || exchange === i.exchange || (i.secType === "STK" && STOCK_EXCHANGE_SET.has(exchange))) &&
      (!currency || currency === i.currency) &&
      (!expiry || (i.lastTradeDate ?? "").startsWith(expiry)),
  );
}

const STOCK_ORDER_TYPES =
  "ACTIVETIM,AD,ADJUST,ALERT,ALGO,ALLOC,AON,AVGCOST,BASKET,BENCHPX,CASHQTY,COND,CONDORDER,DARKONLY,DARKPOLL,DAY," +
  "DEACT,DEACTDIS,DEACTEOD,DIS,DUR,GAT,GTC,GTD,GTT,HID,IBKRATS,ICE,IMB,IOC,LIT,LMT,LOC,MIDPX,MIT,MKT,MOC,MTL," +
  "NGCOMB,NODARK,NONALGO,OCA,OPG,OPGREROUT,PEGBENCH,PEGMID,POSTATS,POSTONLY,PREOPGRTH,PRICECHK,REL,REL2MID," +
  "RELPCTOFS,RPI,RTH,SCALE,SCALEODD,SCALERST,SIZECHK,SNAPMID,SNAPMKT,SNAPREL,STP,STPLMT,SWEEP,TRAIL,TRAILLIT," +
  "TRAILLMT,TRAILMIT,WHATIF";
const FUTURE_ORDER_TYPES =
  "ACTIVETIM,AD,ADJUST,ALERT,ALGO,ALLOC,AVGCOST,BASKET,BENCHPX,COND,CONDORDER,DAY,DEACT,DEACTDIS,DEACTEOD,GAT," +
  "GTC,GTD,GTT,HID,ICE,IOC,LIT,LMT,LTH,MIT,MKT,MTL,NGCOMB,NONALGO,OCA,SCALE,SCALERST,SNAPMID,SNAPMKT,SNAPREL," +
  "STP,STPLMT,TRAIL,TRAILLIT,TRAILLMT,TRAILMIT,WHATIF";
const FX_ORDER_TYPES =
  "ACTIVETIM,AD,ADJUST,ALERT,ALGO,ALLOC,AVGCOST,BASKET,CASHQTY,COND,CONDORDER,DAY,DEACT,DEACTDIS,DEACTEOD,GAT," +
  "GTC,GTD,GTT,IOC,LIT,LMT,MIT,MKT,NONALGO,OCA,REL,RELPCTOFS,SCALE,SCALERST,STP,STPLMT,TRAIL,TRAILLIT,TRAILLMT," +
  "TRAILMIT,WHATIF";
const STOCK_EXCHANGES =
  "SMART,AMEX,NYSE,CBOE,PHLX,ISE,CHX,ARCA,ISLAND,DRCTEDGE,BEX,BATS,EDGEA,BYX,IEX,EDGX,FOXRIVER,PEARL,NYSENAT," +
  "LTSE,MEMX,IBEOS,OVERNIGHT,TPLUS0,PSX";

const OPTION_EXCHANGES =
  "SMART,AMEX,CBOE,PHLX,PSE,ISE,BOX,BATS,NASDAQOM,CBOE2,NASDAQBX,MIAX,GEMINI,EDGX,MERCURY,PEARL,EMERALD,MEMX,IBUSOPT";

/** IB conids of the indices futures hang off (tws-protocol-derivatives.md §3.4: ES → 11004968). */
export const INDEX_CONIDS: Readonly<Record<string, number>> = { ES: 11004968 };

const STOCK_EXCHANGE_SET = new Set(STOCK_EXCHANGES.split(","));

/** Reference data IB shows for the default universe; unknown instruments get neutral values. */
const REFERENCE: Readonly<
  Record<number, { isin?: string; industry: string; category: string; subcategory: string }>
> = {
  265598: { isin: "US0378331005", industry: "Technology", category: "Computers", subcategory: "Computers" },
  272093: {
    isin: "US5949181045",
    industry: "Technology",
    category: "Software",
    subcategory: "Applications Software",
  },
  756733: {
    isin: "US78462F1030",
    industry: "Funds",
    category: "Equity Fund",
    subcategory: "Growth&Income-Large Cap",
  },
};

function sessionHours(yyyymmdd: string, open: string, close: string): string {
  return `${yyyymmdd}:${open}-${yyyymmdd}:${close}`;
}

export function contractDetailsView(
  instrument: SimInstrument,
  requestedExchange: string,
  todayYyyymmdd: string,
): TwsContractDetailsView {
  const isStock = instrument.secType === "STK";
  const isFuture = instrument.secType === "FUT";
  const isOption = instrument.secType === "OPT";
  // Stocks can be routed to (and are described for) every exchange of their list; others only trade at home.
  const exchange =
    isStock || isOption ? requestedExchange.trim().toUpperCase() || "SMART" : instrument.exchange;
  const ref = REFERENCE[isOption ? (instrument.underlyingConid ?? 0) : instrument.conid];
  const trading = isStock
    ? sessionHours(todayYyyymmdd, "0400", "2000")
    : isOption
      ? sessionHours(todayYyyymmdd, "0930", "1600")
      : isFuture
        ? sessionHours(todayYyyymmdd, "0000", "1600")
        : sessionHours(todayYyyymmdd, "0000", "2359");
  const liquid = isStock ? sessionHours(todayYyyymmdd, "0930", "1600") : trading;
  return {
    contract: reportedContract(instrument, exchange),
    marketName: instrument.tradingClass,
    minTick: instrument.minTick,
    orderTypes: isStock ? STOCK_ORDER_TYPES : isFuture || isOption ? FUTURE_ORDER_TYPES : FX_ORDER_TYPES,
    validExchanges: isStock
      ? STOCK_EXCHANGES
      : isOption
        ? OPTION_EXCHANGES
        : isFuture
          ? `${instrument.exchange},QBALGO`
          : instrument.exchange,
    underConId: isOption ? instrument.underlyingConid : isFuture ? (INDEX_CONIDS[instrument.symbol] ?? 0) : 0,
    longName: instrument.description,
    industry: ref?.industry ?? "",
    category: ref?.category ?? "",
    subcategory: ref?.subcategory ?? "",
    timeZoneId: isFuture ? "US/Central" : "US/Eastern",
    tradingHours: trading,
    liquidHours: liquid,
    secIdList: ref?.isin && !isOption ? [{ tag: "ISIN", value: ref.isin }] : [],
    marketRuleIds: isStock ? "26" : isOption ? "32" : isFuture ? "67" : "239",
    stockType: isStock ? (instrument.conid === 756733 ? "ETF" : "COMMON") : "",
    // The simulated book trades whole units only (fractional stock quantities are rejected).
    minSize: 1,
    sizeIncrement: 1,
    suggestedSizeIncrement: isStock ? 100 : 1,
    contractMonth: isFuture || isOption ? (instrument.lastTradeDate ?? "").slice(0, 6) : "",
    realExpirationDate: isFuture || isOption ? (instrument.lastTradeDate ?? "") : "",
    lastTradeDate: isFuture || isOption ? (instrument.lastTradeDate ?? "") : "",
    underSymbol: isFuture || isOption ? instrument.symbol : "",
    underSecType: isFuture ? "IND" : isOption ? "STK" : "",
  };
}

const money = (n: number): string => n.toFixed(2);

export interface AccountRow {
  key: string;
  value: string;
  currency: string;
}

type Extractor = (v: SimAccountValues) => [value: string, currency: string];

const cur =
  (pick: (v: SimAccountValues) => number): Extractor =>
  (v) => [money(pick(v)), v.currency];
const ratio =
  (pick: (v: SimAccountValues) => number): Extractor =>
  (v) => [v.netLiquidation === 0 ? "0" : (pick(v) / v.netLiquidation).toFixed(6), ""];

/** reqAccountSummary tags TWS knows (unknown tags are ignored, as TWS does). */
export const SUMMARY_TAGS: Readonly<Record<string, Extractor>> = {
  AccountType: () => ["INDIVIDUAL", ""],
  NetLiquidation: cur((v) => v.netLiquidation),
  TotalCashValue: cur((v) => v.cash),
  SettledCash: cur((v) => v.cash),
  AccruedCash: cur(() => 0),
  BuyingPower: cur((v) => v.buyingPower),
  EquityWithLoanValue: cur((v) => v.equityWithLoanValue),
  PreviousDayEquityWithLoanValue: cur((v) => v.equityWithLoanValue),
  GrossPositionValue: cur((v) => v.grossPositionValue),
  RegTEquity: cur((v) => v.equityWithLoanValue),
  RegTMargin: cur((v) => v.initMarginReq),
  SMA: cur((v) => v.availableFunds),
  InitMarginReq: cur((v) => v.initMarginReq),
  MaintMarginReq: cur((v) => v.maintMarginReq),
  AvailableFunds: cur((v) => v.availableFunds),
  ExcessLiquidity: cur((v) => v.excessLiquidity),
  Cushion: ratio((v) => v.excessLiquidity),
  FullInitMarginReq: cur((v) => v.initMarginReq),
  FullMaintMarginReq: cur((v) => v.maintMarginReq),
  FullAvailableFunds: cur((v) => v.availableFunds),
  FullExcessLiquidity: cur((v) => v.excessLiquidity),
  LookAheadNextChange: () => ["0", ""],
  LookAheadInitMarginReq: cur((v) => v.initMarginReq),
  LookAheadMaintMarginReq: cur((v) => v.maintMarginReq),
  LookAheadAvailableFunds: cur((v) => v.availableFunds),
  LookAheadExcessLiquidity: cur((v) => v.excessLiquidity),
  HighestSeverity: () => ["0", ""],
  DayTradesRemaining: () => ["-1", ""],
  Leverage: ratio((v) => v.grossPositionValue),
};

function ledgerRows(v: SimAccountValues, currency: string): AccountRow[] {
  return [
    { key: "CashBalance", value: money(v.cash), currency },
    { key: "TotalCashBalance", value: money(v.cash), currency },
    { key: "AccruedCash", value: money(0), currency },
    { key: "StockMarketValue", value: money(v.stockMarketValue), currency },
    { key: "NetLiquidationByCurrency", value: money(v.netLiquidation), currency },
    { key: "UnrealizedPnL", value: money(v.unrealizedPnl), currency },
    { key: "RealizedPnL", value: money(v.realizedPnl), currency },
    { key: "ExchangeRate", value: "1.00", currency },
  ];
}

/** Rows of one account for a comma-separated tag list, `$LEDGER`, `$LEDGER:USD` and `$LEDGER:ALL` included. */
export function accountSummaryRows(v: SimAccountValues, tagList: string): AccountRow[] {
  const rows: AccountRow[] = [];
  for (const raw of tagList.split(",")) {
    const tag = raw.trim();
    if (tag === "") continue;
    if (tag.startsWith("$LEDGER")) {
      const which = tag.slice("$LEDGER".length).replace(/^:/, "").toUpperCase();
      if (which === "" || which === "ALL") rows.push(...ledgerRows(v, "BASE"));
      if (which === "ALL" || which === v.currency) rows.push(...ledgerRows(v, v.currency));
      continue;
    }
    const extract = SUMMARY_TAGS[tag];
    if (!extract) continue;
    const [value, currency] = extract(v);
    rows.push({ key: tag, value, currency });
  }
  return rows;
}

/** The keys reqAccountUpdates delivers through updateAccountValue. */
export function accountUpdateRows(v: SimAccountValues): AccountRow[] {
  const c = v.currency;
  const both = (key: string, n: number): AccountRow[] => [
    { key, value: money(n), currency: c },
    { key, value: money(n), currency: "BASE" },
  ];
  return [
    { key: "AccountCode", value: v.account, currency: "" },
    { key: "AccountOrGroup", value: v.account, currency: c },
    { key: "AccountReady", value: "true", currency: "" },
    { key: "AccountType", value: "INDIVIDUAL", currency: "" },
    { key: "AvailableFunds", value: money(v.availableFunds), currency: c },
    { key: "BuyingPower", value: money(v.buyingPower), currency: c },
    ...both("CashBalance", v.cash),
    { key: "Currency", value: c, currency: c },
    { key: "Cushion", value: SUMMARY_TAGS.Cushion!(v)[0], currency: "" },
    { key: "EquityWithLoanValue", value: money(v.equityWithLoanValue), currency: c },
    { key: "ExcessLiquidity", value: money(v.excessLiquidity), currency: c },
    { key: "ExchangeRate", value: "1.00", currency: c },
    { key: "FullAvailableFunds", value: money(v.availableFunds), currency: c },
    { key: "FullExcessLiquidity", value: money(v.excessLiquidity), currency: c },
    { key: "FullInitMarginReq", value: money(v.initMarginReq), currency: c },
    { key: "FullMaintMarginReq", value: money(v.maintMarginReq), currency: c },
    { key: "GrossPositionValue", value: money(v.grossPositionValue), currency: c },
    { key: "InitMarginReq", value: money(v.initMarginReq), currency: c },
    { key: "MaintMarginReq", value: money(v.maintMarginReq), currency: c },
    { key: "NetLiquidation", value: money(v.netLiquidation), currency: c },
    ...both("NetLiquidationByCurrency", v.netLiquidation),
    ...both("RealizedPnL", v.realizedPnl),
    ...both("StockMarketValue", v.stockMarketValue),
    ...both("TotalCashBalance", v.cash),
    { key: "TotalCashValue", value: money(v.cash), currency: c },
    ...both("UnrealizedPnL", v.unrealizedPnl),
  ];
}
