/**
 * Instruments through Client Portal: contract resolution (conid or symbol → Contract, kept for the process's
 * life) and the last price the order guards compare a limit with.
 */
import { notFound, AppError, ErrorCode } from "../../errors";
import type { Contract, ContractInput } from "../../schema/contract.type";
import { SecType } from "../../schema/enums";
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

/** Derivatives need an expiry (and strike, right) that ContractInput cannot carry: by conid only. */
const BY_CONID_ONLY = new Set<SecType>([SecType.OPT, SecType.FOP, SecType.FUT, SecType.WAR, SecType.BAG]);

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

  async resolve(input: ContractInput): Promise<Contract> {
    this.connection.assertReady();
    if (input.conid != null) return this.byConid(input.conid);
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
      const needs = secType === SecType.FUT ? "an expiry" : "an expiry, strike and right";
      throw new AppError(
        ErrorCode.BAD_USER_INPUT,
        `A ${secType} contract cannot be found by symbol alone (it needs ${needs}); give its conid.`,
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

  private async read(what: string, path: string): Promise<CpResult> {
    return this.errors.readOk(what, () => this.connection.client.get(path));
  }
}
