/**
 * Checks of a ContractInput's derivative fields, before anything is sent to IB, and what both adapters share to
 * resolve derivatives: the cache key, IB's right codes, and the AMBIGUOUS_CONTRACT error.
 */
import { AppError, ErrorCode, badInput } from "../errors";
// Types only: the adapters' mapping modules load without type-graphql's decorator metadata.
import type { Contract, ContractInput, OptionRight } from "../schema/contract.type";
import { SecType } from "../schema/enums";

/** `YYYYMMDD` that is a real calendar date, or `YYYYMM` with a real month. */
function isDateText(text: string): boolean {
  const m = /^(\d{4})(\d{2})(\d{2})?$/.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), m[3] === undefined ? 1 : Number(m[3])];
  if (y < 1990 || y > 2100 || mo < 1 || mo > 12) return false;
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/**
 * The input with its derivative fields checked and trimmed: a date that is not a date, a strike ≤ 0, a right
 * without strike, an option by symbol without expiry → BAD_USER_INPUT. Stock-only inputs pass unchanged.
 */
export function checkContractInput(input: ContractInput): ContractInput {
  const out: ContractInput = { ...input };
  const ltd = input.lastTradeDate?.trim();
  if (ltd != null && ltd !== "") {
    if (!isDateText(ltd))
      throw badInput(`contract.lastTradeDate "${ltd.slice(0, 20)}" is not a date: use YYYYMMDD or YYYYMM.`, {
        field: "contract.lastTradeDate",
      });
    out.lastTradeDate = ltd;
  } else out.lastTradeDate = null;
  if (input.strike != null && !(Number.isFinite(input.strike) && input.strike > 0))
    throw badInput(`contract.strike must be a positive price (got ${input.strike}).`, {
      field: "contract.strike",
    });
  if (input.right != null && input.strike == null)
    throw badInput("contract.right needs a strike: give strike with right.", { field: "contract.strike" });
  if (input.multiplier != null && !(Number.isFinite(input.multiplier) && input.multiplier > 0))
    throw badInput(`contract.multiplier must be positive (got ${input.multiplier}).`, {
      field: "contract.multiplier",
    });
  const isOption = input.secType === SecType.OPT || input.secType === SecType.FOP;
  // An OCC local symbol names the whole option: fill in what it says and the input leaves out.
  const occ = isOption ? parseOccSymbol(input.localSymbol) : null;
  if (occ) {
    out.symbol = input.symbol ?? occ.symbol;
    out.lastTradeDate ??= occ.lastTradeDate;
    out.strike = input.strike ?? occ.strike;
    out.right = input.right ?? occ.right;
  }
  if (input.conid == null && isOption && !occ && out.lastTradeDate == null)
    throw badInput(
      "An option needs its expiry: give lastTradeDate (YYYYMMDD), strike and right, or its conid.",
      {
        field: "contract.lastTradeDate",
      },
    );
  if (!isOption && input.conid == null && (input.strike != null || input.right != null))
    throw badInput("strike and right are for options: set secType OPT.", { field: "contract.secType" });
  out.localSymbol = occ?.localSymbol ?? (input.localSymbol?.trim() || null);
  out.tradingClass = input.tradingClass?.trim().toUpperCase() || null;
  return out;
}

/** `AAPL  270115C00190000` → AAPL, 20270115, CALL, 190; null for anything else. */
export function parseOccSymbol(
  text: string | null | undefined,
): { symbol: string; lastTradeDate: string; right: OptionRight; strike: number; localSymbol: string } | null {
  const m = /^([A-Z0-9.]{1,6}) *(\d{6})([CP])(\d{8})$/.exec((text ?? "").trim().toUpperCase());
  if (!m) return null;
  return {
    symbol: m[1]!,
    lastTradeDate: `20${m[2]}`,
    right: m[3] === "C" ? ("CALL" as OptionRight) : ("PUT" as OptionRight),
    strike: Number(m[4]) / 1000,
    localSymbol: `${m[1]!.padEnd(6, " ")}${m[2]}${m[3]}${m[4]}`,
  };
}

/** The key an adapter caches a resolution under. */
export function contractInputKey(input: ContractInput): string {
  return JSON.stringify([
    input.conid ?? null,
    input.symbol?.toUpperCase() ?? null,
    input.secType ?? null,
    input.exchange?.toUpperCase() ?? null,
    input.currency?.toUpperCase() ?? null,
    input.lastTradeDate ?? null,
    input.strike ?? null,
    input.right ?? null,
    input.multiplier ?? null,
    input.tradingClass ?? null,
    input.localSymbol ?? null,
  ]);
}

const CALL = "CALL" as OptionRight;
const PUT = "PUT" as OptionRight;

export const ibRight = (r: OptionRight | null | undefined): "C" | "P" | undefined =>
  r === CALL ? "C" : r === PUT ? "P" : undefined;

export function optionRightOf(v: unknown): OptionRight | null {
  const s = typeof v === "string" ? v.trim().toUpperCase() : "";
  if (s === "C" || s === "CALL") return CALL;
  if (s === "P" || s === "PUT") return PUT;
  return null;
}

/** A short human description of what an input names, for error messages. */
export function describeInput(input: ContractInput): string {
  if (input.conid != null) return `conid ${input.conid}`;
  const parts = [input.symbol ?? input.localSymbol ?? "?", input.secType ?? SecType.STK];
  if (input.lastTradeDate) parts.push(input.lastTradeDate);
  if (input.strike != null) parts.push(String(input.strike));
  if (input.right) parts.push(input.right);
  return parts.join(" ");
}

/** Several contracts match: AMBIGUOUS_CONTRACT with up to 20 candidates in `extensions.candidates`. */
export function ambiguous(input: ContractInput, api: string, candidates: readonly Contract[]): AppError {
  return new AppError(
    ErrorCode.AMBIGUOUS_CONTRACT,
    `${describeInput(input)} names ${candidates.length} contracts at ${api}; give the conid or more fields ` +
      "(lastTradeDate, strike, right, exchange, currency).",
    { field: "contract", api, candidates: candidates.slice(0, 20) },
  );
}

/** Today as YYYYMMDD (UTC), for expiry comparisons. */
export const todayYyyymmdd = (now = Date.now()): string =>
  new Date(now).toISOString().slice(0, 10).replace(/-/g, "");

/** The nearest non-expired of several futures (front month), or undefined. */
export function frontMonth(contracts: readonly Contract[], now = Date.now()): Contract | undefined {
  const today = todayYyyymmdd(now);
  return [...contracts]
    .filter((c) => (c.lastTradeDate ?? "") >= today)
    .sort((a, b) => (a.lastTradeDate ?? "").localeCompare(b.lastTradeDate ?? ""))[0];
}
