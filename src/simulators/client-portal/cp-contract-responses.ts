import type { SimAccountValues, SimInstrument, SimQuote } from "../brokerage";
import { contractInfoJson, monthCode } from "./cp-responses";

/**
 * JSON shapes of the contract-rules, trading-schedule, futures-chain and iserver account-summary endpoints that
 * Python clients (ibind, ib_insync-style wrappers) call. Sources per function; `cpapi-openapi.json` is IBKR's
 * Swagger spec, the `client-portal-*.md` files are the project's references.
 */

/** IB's lower-case order type names in `orderTypes` (client-portal-derivatives.md §2.7), for the types we trade. */
const RULE_ORDER_TYPES = ["limit", "market", "stop", "stop_limit"] as const;

/** IB underlying (index) conids of the futures the default universe lists (client-portal-api.md §5: ES → 11004968). */
const FUTURE_UNDERLYING: Record<string, number> = { ES: 11004968 };

/** Decimals of a tick as written: 0.25 → 2, 0.01 → 2, 0.00005 → 5. */
function digits(tick: number): number {
  return String(tick).split(".")[1]?.length ?? 0;
}

function defaultSize(i: SimInstrument): number {
  if (i.secType === "FUT") return 1;
  return i.secType === "CASH" ? 20_000 : 100;
}

/**
 * The order-entry rules of one contract and side: `POST /iserver/contract/rules` answers this object alone,
 * `GET /iserver/contract/{conid}/info-and-rules` nests it as `rules` (client-portal-api.md §5, derivatives §2.7;
 * field names from cpapi-openapi.json). Only what the simulated book accepts is offered: MKT/LMT/STP/STP LMT and
 * DAY/GTC/IOC/OPG, so a client that builds its order ticket from the rules never builds one the book refuses.
 */
export function contractRulesJson(
  i: SimInstrument,
  q: SimQuote,
  isBuy: boolean,
  accounts: readonly string[],
): Record<string, unknown> {
  const d = digits(i.minTick);
  // IB pre-fills a buy limit at the bid and a sell limit at the ask (the passive side).
  const limit = Number((isBuy ? q.bid : q.ask).toFixed(d));
  return {
    algoEligible: false,
    overnightEligible: false,
    costReport: false,
    canTradeAcctIds: [...accounts],
    error: null,
    orderTypes: [...RULE_ORDER_TYPES],
    ibalgoTypes: [],
    fraqTypes: [],
    forceOrderPreview: false,
    cqtTypes: [],
    orderDefaults: { LMT: { LP: limit.toFixed(d) } },
    orderTypesOutside: ["limit", "stop_limit"],
    defaultSize: defaultSize(i),
    cashSize: 0,
    sizeIncrement: 1,
    // `o` = allowed outside regular hours, `a` = algo-eligible, as IB writes them.
    tifTypes: ["IOC/MARKET,LIMIT,STOP,STOP_LIMIT", "GTC/o", "OPG/LIMIT,MARKET", "DAY/o"],
    tifDefaults: { TIF: "DAY", SIZE: defaultSize(i).toFixed(2) },
    limitPrice: limit,
    stopprice: limit,
    orderOrigination: null,
    preview: true,
    displaySize: null,
    fraqInt: 0,
    cashCcy: i.currency,
    cashQtyIncr: 500,
    priceMagnifier: null,
    negativeCapable: false,
    incrementType: 1,
    incrementRules: [{ lowerEdge: 0, increment: i.minTick }],
    hasSecondary: false,
    increment: i.minTick,
    incrementDigits: d,
  };
}

/** `GET /iserver/contract/{conid}/info-and-rules`: the `/info` object plus `rules`. */
export function contractInfoAndRulesJson(
  i: SimInstrument,
  q: SimQuote,
  isBuy: boolean,
  accounts: readonly string[],
): Record<string, unknown> {
  return { ...contractInfoJson(i), rules: contractRulesJson(i, q, isBuy, accounts) };
}

/**
 * `GET /trsrv/futures?symbols=ES` entry (client-portal-derivatives.md §2.5, values as ints like the newer doc):
 * the simulator lists one contract per future, its last trade date doubling as expiry and cut-offs.
 */
export function futureJson(i: SimInstrument): Record<string, unknown> {
  const ltd = Number(i.lastTradeDate ?? "0");
  return {
    symbol: i.symbol,
    conid: i.conid,
    underlyingConid: FUTURE_UNDERLYING[i.symbol] ?? 0,
    expirationDate: ltd,
    ltd,
    shortFuturesCutOff: ltd,
    longFuturesCutOff: ltd,
  };
}

/** `desc2` of a secdef/info element: `JAN 05 '24 195 Put` for options, `DEC 18 '26` for futures. */
function secdefInfoDesc2(i: SimInstrument): string {
  const ltd = i.lastTradeDate ?? "";
  const date = `${monthCode(ltd).slice(0, 3)} ${ltd.slice(6, 8)} '${ltd.slice(2, 4)}`;
  if (i.secType !== "OPT") return date;
  return `${date} ${i.strike ?? 0} ${i.right === "P" ? "Put" : "Call"}`;
}

/** One element of `GET /iserver/secdef/info` (client-portal-derivatives.md §2.4). */
export function secdefInfoJson(i: SimInstrument): Record<string, unknown> {
  const isOption = i.secType === "OPT";
  return {
    conid: i.conid,
    symbol: i.symbol,
    secType: i.secType,
    exchange: isOption ? "SMART" : i.exchange,
    listingExchange: null,
    right: i.right ?? "?",
    strike: i.strike ?? 0,
    currency: i.currency,
    cusip: null,
    coupon: "No Coupon",
    desc1: i.symbol,
    desc2: secdefInfoDesc2(i),
    maturityDate: i.lastTradeDate ?? "",
    multiplier: String(i.multiplier),
    tradingClass: i.tradingClass,
    validExchanges: isOption
      ? "SMART,AMEX,CBOE,PHLX,PSE,ISE,BOX,BATS,NASDAQOM,CBOE2,NASDAQBX,MIAX,GEMINI,EDGX"
      : i.exchange,
  };
}

interface VenueHours {
  timezone: string;
  /** Whole trading day, HHMM exchange time. */
  open: number;
  close: number;
  /** Liquid (regular) hours, HHMM exchange time. */
  liquidOpen: number;
  liquidClose: number;
}

/** Typical hours of the venues the default universe lists (NASDAQ/ARCA extended hours, CME Globex, IDEALPRO). */
function hoursOf(i: SimInstrument): VenueHours {
  if (i.secType === "FUT")
    return { timezone: "America/Chicago", open: 1700, close: 1600, liquidOpen: 830, liquidClose: 1500 };
  if (i.secType === "CASH")
    return { timezone: "America/New_York", open: 1715, close: 1700, liquidOpen: 1715, liquidClose: 1700 };
  return { timezone: "America/New_York", open: 400, close: 2000, liquidOpen: 930, liquidClose: 1600 };
}

/**
 * `GET /trsrv/secdef/schedule`: one element per exchange with a weekly pattern. Field names and int types follow
 * cpapi-openapi.json (`id`, `tradeVenueId`, `schedules[]` of `clearingCycleEndTime`, `tradingScheduleDate`
 * where 20000103…20000107 stand for any Monday…Friday, `sessions`, `tradingTimes`); the array wrapper and the
 * `exchange`/`description`/`timezone` fields are how IB's current documentation shows the answer.
 */
export function tradingScheduleJson(i: SimInstrument): Record<string, unknown> {
  const h = hoursOf(i);
  const weekdays = [20000103, 20000104, 20000105, 20000106, 20000107];
  return {
    id: `p${i.conid}`,
    tradeVenueId: `v${i.conid}`,
    exchange: i.exchange,
    description: i.exchange,
    timezone: h.timezone,
    schedules: weekdays.map((day) => ({
      clearingCycleEndTime: h.close,
      tradingScheduleDate: day,
      sessions: {
        openingTime: h.liquidOpen,
        closingTime: h.liquidClose,
        // IB marks the session LIQUID when it spans the whole trading day.
        prop: h.liquidOpen === h.open && h.liquidClose === h.close ? "LIQUID" : "",
      },
      tradingTimes: { openingTime: h.open, closingTime: h.close, cancelDayOrders: "Y" },
    })),
  };
}

/**
 * `GET /iserver/account/{accountId}/summary`: flat numbers, unlike `/portfolio/{id}/summary`. Fields as IBKR's
 * Web API spec declares `AccountSummaryResponse` (accountType, status, balance, SMA, buyingPower, availableFunds,
 * excessLiquidity, netLiquidationValue, equityWithLoanValue, regTLoan, securitiesGVP, totalCashValue,
 * accruedInterest, regTMargin, initialMargin, maintenanceMargin, cashBalances[currency, balance, settledCash]).
 */
export function iserverAccountSummaryJson(v: SimAccountValues): Record<string, unknown> {
  const cash = { balance: v.cash, settledCash: v.cash };
  return {
    accountType: "",
    status: "",
    balance: v.cash,
    SMA: v.availableFunds,
    buyingPower: v.buyingPower,
    availableFunds: v.availableFunds,
    excessLiquidity: v.excessLiquidity,
    netLiquidationValue: v.netLiquidation,
    equityWithLoanValue: v.equityWithLoanValue,
    regTLoan: 0,
    securitiesGVP: v.grossPositionValue,
    totalCashValue: v.cash,
    accruedInterest: 0,
    regTMargin: v.initMarginReq,
    initialMargin: v.initMarginReq,
    maintenanceMargin: v.maintMarginReq,
    // One row per currency held plus IB's base-currency total row.
    cashBalances: [
      { currency: v.currency, ...cash },
      { currency: `Total (in ${v.currency})`, ...cash },
    ],
  };
}
