/**
 * Contract resolution for the GraphQL contract queries: checks the input before anything is sent, then asks the
 * routed API (`via`, else TWS when ready, else Client Portal). Each adapter caches its answers for the session.
 */
import { AppError, ErrorCode, badInput } from "../errors";
import type { Contract, ContractInput } from "../schema/contract.type";
import { SecType, type BrokerApi } from "../schema/enums";
import type { OptionChain } from "../schema/option-chain.type";
import { checkContractInput } from "./contract-input";
import { route, type Sides } from "./routing";

const SYMBOL_PATTERN = /^[A-Z0-9][A-Z0-9 .\-/]{0,19}$/;

export class ContractService {
  constructor(private readonly sides: () => Sides) {}

  /** Exactly one contract, or NOT_FOUND / AMBIGUOUS_CONTRACT (with `extensions.candidates`). */
  async contract(input: ContractInput, via?: BrokerApi | null): Promise<Contract> {
    const checked = checkContractInput(input);
    if (checked.conid == null && !checked.symbol?.trim() && !checked.localSymbol)
      throw badInput("Give a contract conid, or a symbol.", { field: "contract" });
    if (checked.conid != null && (!Number.isInteger(checked.conid) || checked.conid <= 0))
      throw badInput(`contract.conid must be a positive integer (got ${checked.conid}).`, {
        field: "contract.conid",
      });
    if (checked.symbol) checked.symbol = checkSymbol(checked.symbol);
    return route(this.sides(), via ?? null).resolveContract(checked);
  }

  async search(symbol: string, secType?: SecType | null, via?: BrokerApi | null): Promise<Contract[]> {
    const s = checkSymbol(symbol);
    const api = route(this.sides(), via ?? null);
    if (!api.searchContracts) throw unsupported(api.api, "contract search");
    return api.searchContracts(s, secType);
  }

  /** The option chains of an underlying (default a stock), on one exchange (default SMART; empty = all). */
  async optionChains(
    underlying: ContractInput,
    exchange: string | null,
    via?: BrokerApi | null,
  ): Promise<OptionChain[]> {
    const u = await this.contract({ ...underlying, secType: underlying.secType ?? SecType.STK }, via);
    const api = route(this.sides(), via ?? null);
    if (!api.optionChains) throw unsupported(api.api, "option chains");
    return api.optionChains(u, exchange?.trim() ? exchange.trim().toUpperCase() : null);
  }
}

function checkSymbol(symbol: string): string {
  const s = symbol.trim().toUpperCase();
  if (!SYMBOL_PATTERN.test(s))
    throw badInput(`"${s.slice(0, 40)}" is not a valid symbol.`, { field: "symbol" });
  return s;
}

const unsupported = (api: BrokerApi, what: string): AppError =>
  new AppError(ErrorCode.BROKER_UNAVAILABLE, `${api} does not offer ${what} here.`, { api });
