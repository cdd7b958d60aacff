/**
 * Instruments through Client Portal: contract resolution (conid or symbol → Contract, kept for the process's
 * life) and the last price the order guards compare a limit with.
 */
import { notFound, AppError, ErrorCode } from "../../errors";
import type { Contract, ContractInput } from "../../schema/contract.type";
import { SecType } from "../../schema/enums";
import type { OptionChain } from "../../schema/option-chain.type";
import {
  ambiguous,
  checkContractInput,
  contractInputKey,
  describeInput,
  frontMonth,
  ibRight,
  todayYyyymmdd,
} from "../contract-input";
import type { CpResult } from "./client-portal-client";
import type { CpConnection } from "./cp-connection";
import type { CpErrors } from "./cp-errors";
import { mapContractInfo } from "./cp-mapping";
import { arr, int, isObject, num, str } from "./cp-parse";

/** What the lookups run on. */
export interface CpContractsDeps {
  connection: CpConnection;
  errors: CpErrors;
}

/** Derivatives the adapter cannot find by their fields (yet): by conid only. */
const BY_CONID_ONLY = new Set<SecType>([SecType.FOP, SecType.WAR, SecType.BAG]);

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
/** `YYYYMM[DD]` → IB's `MMMYY` month code (`DEC26`). */
const monthCode = (yyyymm: string): string =>
  `${MONTHS[Number(yyyymm.slice(4, 6)) - 1]}${yyyymm.slice(2, 4)}`;

/**
 * Contract lookups through Client Portal: conid → `/iserver/contract/{conid}/info` (`/trsrv/secdef` for
 * read-only users), stock symbol → `/trsrv/stocks`, other symbols → `/iserver/secdef/search`. Conids never
 * change for an instrument's life, so every answer is kept for the process's life.
 */
export class CpContracts {
  private readonly known = new Map<string, Contract>();
  private readonly connection: CpConnection;
  private readonly errors: CpErrors;

  constructor(deps: CpContractsDeps) {
    this.connection = deps.connection;
    this.errors = deps.errors;
  }

  cached(conid: number): Contract | undefined {
    return this.known.get(`conid:${conid}`);
  }

  async resolve(raw: ContractInput): Promise<Contract> {
    this.connection.assertReady();
    const input = checkContractInput(raw);
    if (input.conid != null) return this.byConid(input.conid);
    if (input.secType === SecType.FUT || input.secType === SecType.OPT) {
      const key = contractInputKey(input);
      const known = this.known.get(key);
      if (known) return known;
      const contract = input.secType === SecType.FUT ? await this.future(input) : await this.option(input);
      this.known.set(key, contract);
      return contract;
    }
    const symbol = input.symbol?.trim().toUpperCase();
    if (!symbol) {
      throw new AppError(ErrorCode.BAD_USER_INPUT, "Give a contract conid, or a symbol.", {
        field: "contract",
      });
    }
    const secType = input.secType ?? SecType.STK;
    const exchange =
      input.exchange && input.exchange.toUpperCase() !== "SMART" ? input.exchange.toUpperCase() : null;
    const currency = input.currency?.toUpperCase() ?? null;
    const key = `sym:${symbol}|${secType}|${exchange ?? ""}|${currency ?? ""}`;
    const cached = this.known.get(key);
    if (cached) return cached;
    if (BY_CONID_ONLY.has(secType)) {
      throw new AppError(
        ErrorCode.BAD_USER_INPUT,
        `A ${secType} contract cannot be found by its fields through Client Portal here; give its conid.`,
        { field: "contract.conid", secType },
      );
    }
    const conid =
      secType === SecType.STK
        ? await this.stockConid(symbol, exchange, currency)
        : await this.searchConid(symbol, secType);
    if (conid === null) {
      throw notFound(
        `No ${secType} contract "${symbol}" is known to IB${exchange ? ` on ${exchange}` : ""}; check the symbol or give a conid.`,
        { field: "contract.symbol", symbol, secType },
      );
    }
    const contract = await this.byConid(conid);
    if (currency && contract.currency !== currency) {
      throw notFound(
        `"${symbol}" trades in ${contract.currency} at IB, not ${currency}; give the conid of the listing you want.`,
        { field: "contract.currency" },
      );
    }
    this.known.set(key, contract);
    return contract;
  }

  /** The last traded price, or null when unknown or the session is not usable (the guards then skip it). */
  async lastPrice(conid: number): Promise<number | null> {
    if (this.connection.readOnly || !this.connection.isReady()) return null;
    const path = `/iserver/marketdata/snapshot?conids=${conid}&fields=31`;
    for (let i = 0; i < 2; i++) {
      // The first snapshot of a conid only subscribes; the second one carries prices.
      const r = await this.errors.read("market data", () =>
        this.connection.client.get(path, { fresh: i > 0 }),
      );
      const row = arr(r.json)[0];
      const last = isObject(row) ? num(String(row["31"] ?? "").replace(/^[CH]/, "")) : null;
      if (last !== null) return last;
    }
    return null;
  }

  private async byConid(conid: number): Promise<Contract> {
    const key = `conid:${conid}`;
    const cached = this.known.get(key);
    if (cached) return cached;
    let contract: Contract | null = null;
    if (this.connection.readOnly) {
      const r = await this.errors.read("contract", () =>
        this.connection.client.get(`/trsrv/secdef?conids=${conid}`),
      );
      const row = isObject(r.json) ? arr(r.json.secdef)[0] : undefined;
      contract = r.status === 200 && isObject(row) ? mapContractInfo(row) : null;
    } else {
      const r = await this.errors.read("contract", () =>
        this.connection.client.get(`/iserver/contract/${conid}/info`, { cacheTtlMs: 60_000 }),
      );
      if (r.status === 200 && r.error === null && isObject(r.json)) contract = mapContractInfo(r.json);
      // IB answers an unknown conid with 400 or 500; only session and gateway failures are not "not found".
      else if (r.status === 401 || r.status >= 502) throw this.errors.readFailure("contract", r);
    }
    if (!contract) {
      throw notFound(`No contract with conid ${conid} is known to IB.`, { field: "contract.conid", conid });
    }
    this.known.set(key, contract);
    return contract;
  }

  private async stockConid(
    symbol: string,
    exchange: string | null,
    currency: string | null,
  ): Promise<number | null> {
    const r = await this.read("contract search", `/trsrv/stocks?symbols=${encodeURIComponent(symbol)}`);
    const groups = isObject(r.json) ? arr(r.json[symbol]) : [];
    const candidates: { conid: number; exchange: string | null; isUS: boolean }[] = [];
    for (const g of groups) {
      if (!isObject(g)) continue;
      for (const c of arr(g.contracts)) {
        if (!isObject(c)) continue;
        const conid = int(c.conid);
        if (conid !== null) candidates.push({ conid, exchange: str(c.exchange), isUS: c.isUS === true });
      }
    }
    // An asked-for exchange first, then the US listing for USD, then a non-US one for other currencies.
    const usd = currency === null || currency === "USD";
    const pick =
      (exchange && candidates.find((c) => c.exchange?.toUpperCase() === exchange)) ||
      (usd && candidates.find((c) => c.isUS)) ||
      (!usd ? candidates.find((c) => !c.isUS) : undefined) ||
      candidates[0];
    return pick?.conid ?? null;
  }

  private async searchConid(symbol: string, secType: SecType): Promise<number | null> {
    if (this.connection.readOnly) return null;
    const r = await this.read(
      "contract search",
      `/iserver/secdef/search?symbol=${encodeURIComponent(symbol)}&secType=${secType}`,
    );
    for (const row of arr(r.json)) {
      if (!isObject(row)) continue;
      const sections = arr(row.sections).filter(isObject);
      if (sections.length === 0 || sections.some((s) => str(s.secType) === secType)) {
        const conid = int(row.conid);
        if (conid !== null && (str(row.symbol) ?? symbol).toUpperCase() === symbol) return conid;
      }
    }
    return null;
  }

  /** Stocks and futures IB lists for a symbol (`secdef/search`, futures months from `/trsrv/futures`). */
  async search(symbol: string, secType?: SecType | null): Promise<Contract[]> {
    this.connection.assertReady();
    const upper = symbol.trim().toUpperCase();
    const out: Contract[] = [];
    const rows = await this.searchRows(upper);
    for (const row of rows) {
      const conid = int(row.conid);
      const sections = arr(row.sections).filter(isObject);
      const types = new Set(sections.map((s) => str(s.secType)));
      if (conid === null || (str(row.symbol) ?? "").toUpperCase() !== upper) continue;
      if (types.has(SecType.FUT) && (!secType || secType === SecType.FUT)) {
        out.push(...(await this.futures(upper)));
      } else if (!types.has(SecType.FUT) && (!secType || types.has(secType) || types.size === 0)) {
        const c = await this.byConid(conid).catch(() => null);
        if (c && (!secType || c.secType === secType)) out.push(c);
      }
    }
    return out;
  }

  /** Option chains of an underlying: `secdef/search` (months) → `secdef/strikes` per month → `secdef/info`. */
  async optionChains(underlying: Contract, exchange: string | null): Promise<OptionChain[]> {
    this.connection.assertReady();
    const rows = await this.searchRows(underlying.symbol.toUpperCase());
    const row = rows.find((r) => int(r.conid) === underlying.conid);
    const section = row
      ? arr(row.sections)
          .filter(isObject)
          .find((s) => str(s.secType) === SecType.OPT)
      : undefined;
    if (!row || !section) return [];
    const months = (str(section.months) ?? "").split(";").filter(Boolean);
    const venue = exchange?.trim().toUpperCase() || "SMART";
    const listed = (str(row.opt) ?? "").split(";").filter((d) => /^\d{8}$/.test(d));
    const strikes = new Set<number>();
    const expirations = new Set<string>(listed.filter((d) => d >= todayYyyymmdd()));
    let tradingClass = underlying.symbol;
    let multiplier = 100;
    for (const month of months) {
      const r = await this.read(
        "option strikes",
        `/iserver/secdef/strikes?conid=${underlying.conid}&sectype=OPT&month=${month}&exchange=${venue}`,
      );
      const calls = isObject(r.json) ? arr(r.json.call).map(num) : [];
      const monthStrikes = calls.filter((k): k is number => k !== null);
      for (const k of monthStrikes) strikes.add(k);
      // Without the `opt` expiry list, the month's expiries come from the info of its middle strike.
      const mid = monthStrikes[Math.floor(monthStrikes.length / 2)];
      if (mid === undefined || (listed.length > 0 && month !== months[0])) continue;
      const info = await this.read(
        "option contract",
        `/iserver/secdef/info?conid=${underlying.conid}&sectype=OPT&month=${month}&strike=${mid}&right=C&exchange=${venue}`,
      );
      for (const e of arr(info.json).filter(isObject)) {
        const d = str(e.maturityDate);
        if (d && listed.length === 0) expirations.add(d);
        tradingClass = str(e.tradingClass) ?? tradingClass;
        multiplier = num(e.multiplier) ?? multiplier;
      }
    }
    if (strikes.size === 0) return [];
    return [
      {
        underlying,
        exchange: venue,
        tradingClass,
        multiplier,
        expirations: [...expirations].sort(),
        strikes: [...strikes].sort((a, b) => a - b),
      },
    ];
  }

  private async searchRows(symbol: string): Promise<Record<string, unknown>[]> {
    const r = await this.read(
      "contract search",
      `/iserver/secdef/search?symbol=${encodeURIComponent(symbol)}`,
    );
    return arr(r.json).filter(isObject);
  }

  /** Non-expired months of a future (`/trsrv/futures`, ordered by expiry), each with its contract details. */
  private async futures(symbol: string): Promise<Contract[]> {
    const r = await this.read("futures", `/trsrv/futures?symbols=${encodeURIComponent(symbol)}`);
    const rows = isObject(r.json) ? arr(r.json[symbol]).filter(isObject) : [];
    const out: Contract[] = [];
    for (const row of rows) {
      const conid = int(row.conid);
      if (conid === null) continue;
      const c = await this.byConid(conid);
      const ltd = String(row.ltd ?? row.expirationDate ?? "");
      out.push({ ...c, lastTradeDate: c.lastTradeDate ?? (ltd || null) });
    }
    return out;
  }

  /** A future by symbol and month (YYYYMM or YYYYMMDD); no month → the front month. */
  private async future(input: ContractInput): Promise<Contract> {
    const symbol = (input.symbol ?? "").trim().toUpperCase();
    const all = await this.futures(symbol);
    const ltd = input.lastTradeDate;
    const found = all.filter(
      (c) =>
        (!ltd || (c.lastTradeDate ?? "").startsWith(ltd)) &&
        (!input.localSymbol || c.localSymbol === input.localSymbol) &&
        (!input.multiplier || c.multiplier === input.multiplier),
    );
    const pick = found.length === 1 ? found[0] : !ltd ? frontMonth(found) : undefined;
    if (pick) return pick;
    if (found.length > 1) throw ambiguous(input, "CLIENT_PORTAL", found);
    throw notFound(`Client Portal lists no future for ${describeInput(input)} (expired or not listed).`, {
      field: "contract",
      api: "CLIENT_PORTAL",
    });
  }

  /**
   * An option by symbol + expiry + strike + right, the way IB's docs prescribe: search (underlying) → strikes of the
   * month (a strike not listed is NOT_FOUND) → info for strike and right, filtered by the expiry date.
   */
  private async option(input: ContractInput): Promise<Contract> {
    const symbol = (input.symbol ?? "").trim().toUpperCase();
    const rows = await this.searchRows(symbol);
    const row = rows.find(
      (r) =>
        (str(r.symbol) ?? "").toUpperCase() === symbol &&
        arr(r.sections).some((s) => isObject(s) && str(s.secType) === SecType.OPT),
    );
    const underlying = row ? int(row.conid) : null;
    const missing = (why: string): AppError =>
      notFound(`No option ${describeInput(input)} at Client Portal: ${why}.`, {
        field: "contract",
        api: "CLIENT_PORTAL",
      });
    if (underlying === null) throw missing(`IB lists no options on ${symbol}`);
    const ltd = input.lastTradeDate ?? "";
    const month = monthCode(ltd);
    const venue = input.exchange?.trim().toUpperCase() || "SMART";
    const r = await this.read(
      "option strikes",
      `/iserver/secdef/strikes?conid=${underlying}&sectype=OPT&month=${month}&exchange=${venue}`,
    );
    const side = input.right ? (ibRight(input.right) === "P" ? "put" : "call") : "call";
    const listed = isObject(r.json) ? arr(r.json[side]).map(num) : [];
    if (listed.length === 0) throw missing(`no expiry in ${month} (expired or not listed)`);
    if (input.strike != null && !listed.includes(input.strike))
      throw missing(`strike ${input.strike} is not in the ${month} chain`);
    const strikes = input.strike != null ? [input.strike] : listed.filter((k): k is number => k !== null);
    const rights = input.right ? [ibRight(input.right)!] : (["C", "P"] as const);
    const candidates: Contract[] = [];
    for (const strike of strikes.slice(0, 5)) {
      for (const right of rights) {
        const info = await this.errors.read("option contract", () =>
          this.connection.client.get(
            `/iserver/secdef/info?conid=${underlying}&sectype=OPT&month=${month}&strike=${strike}&right=${right}&exchange=${venue}`,
          ),
        );
        if (info.status === 401 || info.status >= 502) throw this.errors.readFailure("option contract", info);
        for (const e of arr(info.json).filter(isObject)) {
          const c = mapContractInfo({ ...e, underlying_con_id: underlying });
          if (!c || (ltd.length === 8 && c.lastTradeDate !== ltd)) continue;
          if (input.tradingClass && c.tradingClass !== input.tradingClass) continue;
          candidates.push({ ...c, localSymbol: c.localSymbol ?? null });
        }
      }
    }
    if (candidates.length === 1) {
      // The info element lacks the local symbol and description: the contract's own info has them.
      const full = await this.byConid(candidates[0]!.conid).catch(() => null);
      return full ? { ...candidates[0]!, ...full, underlyingConid: underlying } : candidates[0]!;
    }
    if (candidates.length === 0) throw missing(`no expiry ${ltd}`);
    throw ambiguous(input, "CLIENT_PORTAL", candidates);
  }

  private async read(what: string, path: string): Promise<CpResult> {
    return this.errors.readOk(what, () => this.connection.client.get(path));
  }
}
