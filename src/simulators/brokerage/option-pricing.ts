/**
 * Black-Scholes prices, greeks and implied volatility for the simulated option universe. The volatility surface is
 * a per-underlying base level with a smile (skew and curvature in log-moneyness) and a term structure (short expiries
 * richer), so quotes look like a real chain: puts below the money dearer than calls above it, weeklies above monthlies.
 */
import type { SimInstrument } from "./instruments";

/** Risk-free rate (continuously compounded) the simulator prices with. */
export const RISK_FREE_RATE = 0.045;

/** Annual at-the-money volatility far from expiry, per underlying symbol; others get DEFAULT_BASE_VOL. */
const BASE_VOL: Readonly<Record<string, number>> = { AAPL: 0.24, MSFT: 0.22, SPY: 0.14 };
const DEFAULT_BASE_VOL = 0.3;

const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

/** Option expiries settle at 16:00 New York time; 21:00 UTC is that time in winter and close enough in summer. */
export function expiryEpochMs(yyyymmdd: string): number {
  const y = Number(yyyymmdd.slice(0, 4));
  const m = Number(yyyymmdd.slice(4, 6));
  const d = Number(yyyymmdd.slice(6, 8));
  return Date.UTC(y, m - 1, d, 21, 0, 0);
}

/** Years from `now` to the expiry of `yyyymmdd`; 0 once expired. */
export function yearsToExpiry(yyyymmdd: string, now: number): number {
  return Math.max(0, (expiryEpochMs(yyyymmdd) - now) / YEAR_MS);
}

/** The surface: implied volatility of strike `k` with the underlying at `s` and `t` years to expiry. */
export function smileVolatility(symbol: string, s: number, k: number, t: number): number {
  const base = BASE_VOL[symbol] ?? DEFAULT_BASE_VOL;
  // Term structure: up to +35% of the base level for the shortest expiries, fading over about a month.
  const atm = base * (1 + 0.35 * Math.exp(-t / 0.08));
  const x = Math.log(k / s) / Math.sqrt(Math.max(t, 1 / 365));
  // Smile in standardised moneyness: negative skew plus curvature, floored so wings stay sane.
  return Math.max(0.05, atm * (1 - 0.12 * x + 0.06 * x * x));
}

function normCdf(x: number): number {
  // Abramowitz–Stegun 7.1.26 on erf; absolute error below 1.5e-7.
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

function normPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

export type OptionRightCode = "C" | "P";

/** A Black-Scholes valuation: price per share, greeks per share (vega per 1 vol point, theta per calendar day). */
export interface OptionValuation {
  price: number;
  impliedVolatility: number;
  delta: number;
  gamma: number;
  vega: number;
  theta: number;
  underlyingPrice: number;
}

/** Black-Scholes with no dividends. At or after expiry the value is intrinsic and the greeks are those of a step. */
export function blackScholes(
  right: OptionRightCode,
  s: number,
  k: number,
  t: number,
  vol: number,
  r: number = RISK_FREE_RATE,
): OptionValuation {
  if (t <= 0 || vol <= 0) {
    const intrinsic = right === "C" ? Math.max(0, s - k) : Math.max(0, k - s);
    const itm = right === "C" ? s > k : s < k;
    return {
      price: intrinsic,
      impliedVolatility: vol,
      delta: itm ? (right === "C" ? 1 : -1) : 0,
      gamma: 0,
      vega: 0,
      theta: 0,
      underlyingPrice: s,
    };
  }
  const sq = Math.sqrt(t);
  const d1 = (Math.log(s / k) + (r + 0.5 * vol * vol) * t) / (vol * sq);
  const d2 = d1 - vol * sq;
  const disc = Math.exp(-r * t);
  const price =
    right === "C" ? s * normCdf(d1) - k * disc * normCdf(d2) : k * disc * normCdf(-d2) - s * normCdf(-d1);
  const delta = right === "C" ? normCdf(d1) : normCdf(d1) - 1;
  const gamma = normPdf(d1) / (s * vol * sq);
  const vega = (s * normPdf(d1) * sq) / 100;
  const decay = -(s * normPdf(d1) * vol) / (2 * sq);
  const carry = right === "C" ? -r * k * disc * normCdf(d2) : r * k * disc * normCdf(-d2);
  return {
    price,
    impliedVolatility: vol,
    delta,
    gamma,
    vega,
    theta: (decay + carry) / 365,
    underlyingPrice: s,
  };
}

/** Volatility that makes Black-Scholes give `price` (bisection; null when no volatility in 1%..500% does). */
export function impliedVolatility(
  right: OptionRightCode,
  price: number,
  s: number,
  k: number,
  t: number,
  r: number = RISK_FREE_RATE,
): number | null {
  if (t <= 0 || price <= 0) return null;
  let lo = 0.01;
  let hi = 5;
  if (blackScholes(right, s, k, t, lo, r).price > price || blackScholes(right, s, k, t, hi, r).price < price)
    return null;
  for (let n = 0; n < 60; n++) {
    const mid = (lo + hi) / 2;
    if (blackScholes(right, s, k, t, mid, r).price < price) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** The model value of a listed option with its underlying at `underlyingPrice` at time `now` (epoch ms). */
export function valueOption(option: SimInstrument, underlyingPrice: number, now: number): OptionValuation {
  const k = option.strike ?? 0;
  const t = yearsToExpiry(option.lastTradeDate ?? "", now);
  const vol = smileVolatility(option.symbol, underlyingPrice, k, t);
  return blackScholes(option.right ?? "C", underlyingPrice, k, t, vol);
}
