import type { SimInstrument } from "../../src/simulators/brokerage";

/** A NASDAQ stock for the simulated brokerage, beyond its default instruments (more contracts to quote). */
export const simStock = (
  conid: number,
  symbol: string,
  description: string,
  initialPrice: number,
): SimInstrument => ({
  conid,
  symbol,
  secType: "STK",
  exchange: "NASDAQ",
  currency: "USD",
  localSymbol: symbol,
  tradingClass: "NMS",
  multiplier: 1,
  minTick: 0.01,
  description,
  initialPrice,
});
