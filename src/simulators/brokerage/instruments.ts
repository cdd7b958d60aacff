/** Security types the simulated brokerage trades. */
/** BAG is only the synthetic contract of a combo order: never listed, never a position. */
export type SimSecType = "STK" | "FUT" | "CASH" | "OPT" | "BAG";

/** One tradable instrument, with IB's real contract id and listing details. */
export interface SimInstrument {
  /** IB's contract id. */
  conid: number;
  /** IB symbol: `AAPL`, `ES`, and `EUR` for EUR.USD. */
  symbol: string;
  secType: SimSecType;
  /** Listing exchange (IB's `primaryExchange`; for futures and FX the only exchange). */
  exchange: string;
  currency: string;
  /** `AAPL`, `ESZ6`, `EUR.USD`. */
  localSymbol: string;
  /** `NMS`, `ES`, `EUR.USD`. */
  tradingClass: string;
  /** Contract multiplier: 1 for stocks and FX. */
  multiplier: number;
  /** Futures and options: YYYYMMDD. */
  lastTradeDate?: string;
  /** Options: strike price. */
  strike?: number;
  /** Options: call or put. */
  right?: "C" | "P";
  /** Options: conid of the underlying stock (its price drives the option's). */
  underlyingConid?: number;
  minTick: number;
  /** IB's company / contract description (`APPLE INC`). */
  description: string;
  /** Starting price of the seeded price process. */
  initialPrice: number;
  /** Futures only: initial margin per contract, in `currency`. */
  initialMarginPerContract?: number;
}

/** The default universe: real IB conids so that clients written against IB recognise them. */
export const DEFAULT_INSTRUMENTS: readonly SimInstrument[] = [
  {
    conid: 265598,
    symbol: "AAPL",
    secType: "STK",
    exchange: "NASDAQ",
    currency: "USD",
    localSymbol: "AAPL",
    tradingClass: "NMS",
    multiplier: 1,
    minTick: 0.01,
    description: "APPLE INC",
    initialPrice: 190,
  },
  {
    conid: 272093,
    symbol: "MSFT",
    secType: "STK",
    exchange: "NASDAQ",
    currency: "USD",
    localSymbol: "MSFT",
    tradingClass: "NMS",
    multiplier: 1,
    minTick: 0.01,
    description: "MICROSOFT CORP",
    initialPrice: 420,
  },
  {
    conid: 756733,
    symbol: "SPY",
    secType: "STK",
    exchange: "ARCA",
    currency: "USD",
    localSymbol: "SPY",
    tradingClass: "SPY",
    multiplier: 1,
    minTick: 0.01,
    description: "SPDR S&P 500 ETF TRUST",
    initialPrice: 560,
  },
  {
    conid: 495512563,
    symbol: "ES",
    secType: "FUT",
    exchange: "CME",
    currency: "USD",
    localSymbol: "ESZ6",
    tradingClass: "ES",
    multiplier: 50,
    lastTradeDate: "20261218",
    minTick: 0.25,
    description: "E-mini S&P 500",
    initialPrice: 5600,
    initialMarginPerContract: 15_000,
  },
  {
    conid: 12087792,
    symbol: "EUR",
    secType: "CASH",
    exchange: "IDEALPRO",
    currency: "USD",
    localSymbol: "EUR.USD",
    tradingClass: "EUR.USD",
    multiplier: 1,
    minTick: 0.00005,
    description: "European Monetary Union Euro",
    initialPrice: 1.085,
  },
];

/** How an instrument may be looked up: by conid, or by symbol and secType (+ exchange, currency). */
export interface InstrumentQuery {
  conid?: number | null;
  symbol?: string | null;
  /** @default "STK" when a symbol is given */
  secType?: string | null;
  /** `SMART` and empty match any exchange. */
  exchange?: string | null;
  currency?: string | null;
  /** Derivatives: YYYYMMDD, or YYYYMM for every expiry of a month. */
  lastTradeDate?: string | null;
  strike?: number | null;
  right?: string | null;
}

/** `C`/`P` from IB's spellings (`C`, `CALL`, `P`, `PUT`), undefined for anything else. */
export function rightCode(right: string | null | undefined): "C" | "P" | undefined {
  const r = (right ?? "").trim().toUpperCase();
  if (r === "C" || r === "CALL") return "C";
  if (r === "P" || r === "PUT") return "P";
  return undefined;
}

export function matchInstrument(
  instruments: Iterable<SimInstrument>,
  query: InstrumentQuery,
): SimInstrument | undefined {
  const all = [...instruments];
  if (query.conid != null && query.conid !== 0) {
    const byId = all.find((i) => i.conid === query.conid);
    return byId;
  }
  if (!query.symbol) return undefined;
  const symbol = query.symbol.toUpperCase();
  const secType = (query.secType || "STK").toUpperCase();
  const exchange = query.exchange?.toUpperCase();
  const currency = query.currency?.toUpperCase();
  return all.find(
    (i) =>
      (i.symbol === symbol || i.localSymbol === symbol) &&
      i.secType === secType &&
      (!exchange || exchange === "SMART" || exchange === i.exchange) &&
      (!currency || currency === i.currency) &&
      (!query.lastTradeDate || (i.lastTradeDate ?? "").startsWith(query.lastTradeDate)) &&
      (!query.strike || i.strike === query.strike) &&
      (!query.right || i.right === rightCode(query.right)),
  );
}
