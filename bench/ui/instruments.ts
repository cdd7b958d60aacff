import { DEFAULT_INSTRUMENTS, type SimInstrument } from "../../src/simulators/brokerage";

const stock = (conid: number, symbol: string, initialPrice: number): SimInstrument => ({
  conid,
  symbol,
  secType: "STK",
  exchange: "NASDAQ",
  currency: "USD",
  localSymbol: symbol,
  tradingClass: "NMS",
  multiplier: 1,
  minTick: 0.01,
  description: `${symbol} (bench)`,
  initialPrice,
});

/** Made-up conids, far from the real ones of the default universe. */
const EXTRA = [
  "NVDA",
  "AMZN",
  "TSLA",
  "GOOGL",
  "META",
  "NFLX",
  "AMD",
  "INTC",
  "ORCL",
  "CSCO",
  "ADBE",
  "CRM",
  "QCOM",
  "TXN",
  "AVGO",
  "PEP",
  "COST",
].map((symbol, i) => stock(900_000 + i, symbol, 50 + 20 * i));

/** The default universe plus 17 stocks. */
export const UI_BENCH_INSTRUMENTS: readonly SimInstrument[] = [...DEFAULT_INSTRUMENTS, ...EXTRA];

/** The 20 stocks the bench holds and ticks: the default three and the extra 17. */
export const UI_BENCH_STOCKS: readonly SimInstrument[] = UI_BENCH_INSTRUMENTS.filter(
  (i) => i.secType === "STK",
);
