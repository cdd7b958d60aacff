/**
 * Contract lookup at TWS (reqContractDetails) and option chains (reqSecDefOptParams), cached for an hour: a
 * contract's identity does not change within a trading day, and every placement needs one.
 */
import {
  IBApiNextError,
  type Contract as IbContract,
  type ContractDetails as IbContractDetails,
  type SecType as IbSecType,
} from "@stoqey/ib";
import { notFound } from "../../errors";
import type { Contract, ContractInput } from "../../schema/contract.type";
import { SecType } from "../../schema/enums";
import type { OptionChain } from "../../schema/option-chain.type";
import type { TwsConnection } from "../../session/tws-supervisor";
import {
  ambiguous,
  checkContractInput,
  contractInputKey,
  describeInput,
  frontMonth,
  ibRight,
} from "../contract-input";
import { TwsErrorCode } from "./tws-errors";
import { ibText, toContract } from "./tws-mapping";
import { DEFAULT_REQUEST_TIMEOUT_MS, withDeadline, type TwsRequestOptions } from "./tws-requests";

export type TwsContractsOptions = TwsRequestOptions;

const CONTRACT_CACHE_MS = 60 * 60 * 1000;

/** Futures trade at their listing exchange, never SMART: TWS finds none at SMART. */
const NOT_SMART = new Set<SecType>([SecType.FUT, SecType.FOP]);

export class TwsContracts {
  private readonly requestTimeoutMs: number;
  private readonly cache = new Map<string, { contract: Contract; at: number }>();

  constructor(options: TwsContractsOptions) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /**
   * The one contract `input` names: NOT_FOUND when TWS knows none (error 200), AMBIGUOUS_CONTRACT with the candidates
   * when it answers several — except a future without month, which is its front month (nearest non-expired).
   */
  async resolve(conn: TwsConnection, raw: ContractInput): Promise<Contract> {
    const input = checkContractInput(raw);
    const key = contractInputKey(input);
    const cached = this.cache.get(key);
    if (cached && Date.now() - cached.at < CONTRACT_CACHE_MS) return cached.contract;
    const details = await this.details(conn, toIbQuery(input));
    if (details.length === 0) {
      throw notFound(
        `TWS knows no contract for ${describeInput(input)}; check the conid, or symbol/secType/expiry/strike/right.`,
        { field: "contract", api: "TWS" },
      );
    }
    const contracts = details.map(fromDetails);
    let contract = contracts.length === 1 ? contracts[0] : undefined;
    if (!contract && input.secType === SecType.FUT && !input.lastTradeDate) contract = frontMonth(contracts);
    if (!contract) throw ambiguous(input, "TWS", contracts);
    this.cache.set(key, { contract, at: Date.now() });
    for (const c of contracts)
      this.cache.set(contractInputKey({ conid: c.conid }), { contract: c, at: Date.now() });
    return contract;
  }

  /** Every contract TWS lists for a symbol (and secType): stocks, futures months; options only by expiry. */
  async search(conn: TwsConnection, symbol: string, secType?: SecType | null): Promise<Contract[]> {
    const types = secType ? [secType] : [SecType.STK, SecType.FUT, SecType.CASH];
    const out: Contract[] = [];
    for (const t of types) {
      const query: IbContract = {
        symbol: symbol.trim().toUpperCase(),
        secType: t as unknown as IbSecType,
        exchange: NOT_SMART.has(t) || t === SecType.CASH ? "" : "SMART",
      };
      out.push(...(await this.details(conn, query)).map(fromDetails));
    }
    return out;
  }

  /** The option chains of an underlying (reqSecDefOptParams), one per exchange and trading class. */
  async optionChains(
    conn: TwsConnection,
    underlying: Contract,
    exchange: string | null,
  ): Promise<OptionChain[]> {
    const params = await withDeadline(
      conn.api.getSecDefOptParams(
        underlying.symbol,
        underlying.secType === SecType.STK ? "" : (underlying.exchange ?? ""),
        underlying.secType as unknown as IbSecType,
        underlying.conid,
      ),
      this.requestTimeoutMs,
      "reqSecDefOptParams",
      conn,
    );
    const wanted = exchange?.trim().toUpperCase();
    return params
      .filter((p) => !wanted || p.exchange.toUpperCase() === wanted)
      .map((p) => ({
        underlying,
        exchange: p.exchange,
        tradingClass: p.tradingClass,
        multiplier: Number(p.multiplier) || 100,
        expirations: [...p.expirations].sort(),
        strikes: [...p.strikes].map(Number).sort((a, b) => a - b),
      }));
  }

  private async details(conn: TwsConnection, query: IbContract): Promise<IbContractDetails[]> {
    try {
      return await withDeadline(
        conn.api.getContractDetails(query),
        this.requestTimeoutMs,
        "reqContractDetails",
        conn,
      );
    } catch (e) {
      if (e instanceof IBApiNextError && Number(e.code) === TwsErrorCode.NO_SECURITY_DEFINITION) return [];
      throw e;
    }
  }
}

function fromDetails(d: IbContractDetails): Contract {
  const c = toContract(d.contract, d);
  // Stocks are described at their listing exchange; derivatives at the exchange they were asked for (SMART, CME).
  return {
    ...c,
    exchange: c.secType === SecType.STK ? (ibText(d.contract.primaryExch) ?? c.exchange) : c.exchange,
  };
}

/** The reqContractDetails contract for an input: conid alone, or the identifying fields of its type. */
function toIbQuery(input: ContractInput): IbContract {
  if (input.conid)
    return {
      conId: input.conid,
      exchange: input.exchange ?? undefined,
      currency: input.currency ?? undefined,
    };
  const secType = input.secType ?? SecType.STK;
  const exchange = input.exchange?.toUpperCase();
  return {
    symbol: input.symbol ?? undefined,
    secType: secType as unknown as IbSecType,
    exchange: NOT_SMART.has(secType)
      ? exchange && exchange !== "SMART"
        ? exchange
        : ""
      : (exchange ?? "SMART"),
    currency: input.currency ?? "USD",
    lastTradeDateOrContractMonth: input.lastTradeDate ?? undefined,
    strike: input.strike ?? undefined,
    right: ibRight(input.right) as never,
    multiplier: input.multiplier ?? undefined,
    tradingClass: input.tradingClass ?? undefined,
    localSymbol: input.localSymbol ?? undefined,
  };
}
