import { DEFAULT_INSTRUMENTS, type SimInstrument } from "../../src/simulators/brokerage";
import { simStock } from "../lib/sim-stock";

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
].map((symbol, i) => simStock(900_000 + i, symbol, `${symbol} (bench)`, 50 + 20 * i));

/** The default universe plus 17 stocks. */
export const UI_BENCH_INSTRUMENTS: readonly SimInstrument[] = [...DEFAULT_INSTRUMENTS, ...EXTRA];

/** The 20 stocks the bench holds and ticks: the default three and the extra 17. */
export const UI_BENCH_STOCKS: readonly SimInstrument[] = UI_BENCH_INSTRUMENTS.filter(
  (i) => i.secType === "STK",
);
