/**
 * The listed derivatives of the simulated brokerage, generated from its clock at creation: equity options on every
 * stock (weekly Friday expiries over the next ~90 days, the third Friday being the monthly; strikes ±20% around the
 * starting price at IB-like increments; multiplier 100; OCC local symbols) and the next quarterly months of every
 * future. Conids are deterministic: the same universe and day give the same conids in both simulators and every run.
 */
import { expiryEpochMs } from "./option-pricing";
import type { SimInstrument } from "./instruments";

const DAY_MS = 24 * 60 * 60 * 1000;
/** How far ahead option expiries are listed. */
export const OPTION_HORIZON_DAYS = 90;
/** How many quarterly futures months are listed (besides the ones the base universe names). */
const FUTURE_MONTHS = 4;
const FUTURE_MONTH_CODES = "FGHJKMNQUVXZ";
/** Fixed-date US exchange holidays (MMDD): New Year, Juneteenth, Independence Day, Christmas. */
const FRIDAY_HOLIDAYS = new Set(["0101", "0619", "0704", "1225"]);

export const yyyymmdd = (ms: number): string => new Date(ms).toISOString().slice(0, 10).replace(/-/g, "");

/** Third Friday of a month (UTC calendar), as YYYYMMDD: the standard monthly option and equity-index future expiry. */
export function thirdFriday(year: number, month1: number): string {
  const first = new Date(Date.UTC(year, month1 - 1, 1)).getUTCDay();
  const day = 1 + ((5 - first + 7) % 7) + 14;
  return `${year}${String(month1).padStart(2, "0")}${String(day).padStart(2, "0")}`;
}

/** Every Friday whose 16:00 New York expiry is still ahead of `now` and within the horizon. */
export function optionExpiries(now: number, horizonDays = OPTION_HORIZON_DAYS): string[] {
  const out: string[] = [];
  const start = new Date(now);
  let d = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate());
  for (; d <= now + horizonDays * DAY_MS; d += DAY_MS) {
    if (new Date(d).getUTCDay() !== 5) continue;
    // A Friday exchange holiday moves the expiry to the Thursday before, as the OCC does.
    const date = yyyymmdd(FRIDAY_HOLIDAYS.has(yyyymmdd(d).slice(4)) ? d - DAY_MS : d);
    if (expiryEpochMs(date) > now) out.push(date);
  }
  return out;
}

/** IB-like strike spacing for a stock price. */
export function strikeIncrement(price: number): number {
  if (price < 25) return 0.5;
  if (price < 100) return 1;
  if (price < 250) return 2.5;
  return 5;
}

/** Strikes ±20% around `price` at its increment, ascending. */
export function strikesAround(price: number): number[] {
  const inc = strikeIncrement(price);
  const lo = Math.ceil((price * 0.8) / inc) * inc;
  const hi = Math.floor((price * 1.2) / inc) * inc;
  const out: number[] = [];
  for (let k = lo; k <= hi + 1e-9; k += inc) out.push(Number(k.toFixed(2)));
  return out;
}

/** OCC symbol as IB shows it in `localSymbol`: root padded to 6, YYMMDD, C/P, strike × 1000 in 8 digits. */
export function occSymbol(root: string, expiry: string, right: "C" | "P", strike: number): string {
  return `${root.padEnd(6, " ")}${expiry.slice(2)}${right}${String(Math.round(strike * 1000)).padStart(8, "0")}`;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A deterministic, real-looking (9-digit) conid for a generated contract, unique within `taken`. */
function conidFor(key: string, taken: Set<number>): number {
  let conid = 600_000_000 + (fnv1a(key) % 300_000_000);
  while (taken.has(conid)) conid++;
  taken.add(conid);
  return conid;
}

function optionsOf(stock: SimInstrument, now: number, taken: Set<number>): SimInstrument[] {
  const out: SimInstrument[] = [];
  const strikes = strikesAround(stock.initialPrice);
  for (const expiry of optionExpiries(now)) {
    for (const strike of strikes) {
      for (const right of ["C", "P"] as const) {
        const localSymbol = occSymbol(stock.symbol, expiry, right, strike);
        out.push({
          conid: conidFor(localSymbol, taken),
          symbol: stock.symbol,
          secType: "OPT",
          exchange: "SMART",
          currency: stock.currency,
          localSymbol,
          tradingClass: stock.symbol,
          multiplier: 100,
          lastTradeDate: expiry,
          strike,
          right,
          underlyingConid: stock.conid,
          minTick: 0.01,
          description: stock.description,
          // Replaced by the model price when the brokerage quotes it.
          initialPrice: 0.01,
        });
      }
    }
  }
  return out;
}

function futureMonthsOf(
  future: SimInstrument,
  listed: readonly SimInstrument[],
  now: number,
  taken: Set<number>,
): SimInstrument[] {
  const have = new Set(
    listed.filter((i) => i.secType === "FUT" && i.symbol === future.symbol).map((i) => i.lastTradeDate),
  );
  const out: SimInstrument[] = [];
  const start = new Date(now);
  let year = start.getUTCFullYear();
  let month = Math.ceil((start.getUTCMonth() + 1) / 3) * 3;
  while (out.length < FUTURE_MONTHS && year < start.getUTCFullYear() + 3) {
    const ltd = thirdFriday(year, month);
    if (expiryEpochMs(ltd) > now && !have.has(ltd)) {
      const localSymbol = `${future.symbol}${FUTURE_MONTH_CODES[month - 1]}${year % 10}`;
      out.push({
        ...future,
        conid: conidFor(`${future.symbol}${ltd}`, taken),
        localSymbol,
        lastTradeDate: ltd,
      });
      have.add(ltd);
    }
    month += 3;
    if (month > 12) {
      month -= 12;
      year++;
    }
  }
  return out;
}

/**
 * The base universe plus its listed derivatives at `now`: more quarterly months of every future, options on every
 * stock. Instruments that already carry a strike (given options) are kept as they are.
 */
export function expandUniverse(base: readonly SimInstrument[], now: number): SimInstrument[] {
  const taken = new Set(base.map((i) => i.conid));
  const out = [...base];
  for (const i of base) if (i.secType === "FUT") out.push(...futureMonthsOf(i, out, now, taken));
  for (const i of base) if (i.secType === "STK") out.push(...optionsOf(i, now, taken));
  return out;
}
