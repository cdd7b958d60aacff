/**
 * Contract lookup at TWS (reqContractDetails), cached for an hour: a contract's identity does not change
 * within a trading day, and every placement needs one.
 */
import {
  IBApiNextError,
  type Contract as IbContract,
  type ContractDetails as IbContractDetails,
} from "@stoqey/ib";
import { badInput, notFound } from "../../errors";
import type { Contract, ContractInput } from "../../schema/contract.type";
import { SecType } from "../../schema/enums";
import type { TwsConnection } from "../../session/tws-supervisor";
import { TwsErrorCode } from "./tws-errors";
import { ibText, toContract } from "./tws-mapping";
import { DEFAULT_REQUEST_TIMEOUT_MS, withDeadline, type TwsRequestOptions } from "./tws-requests";

export type TwsContractsOptions = TwsRequestOptions;

const CONTRACT_CACHE_MS = 60 * 60 * 1000;

export class TwsContracts {
  private readonly requestTimeoutMs: number;
  private readonly cache = new Map<string, { contract: Contract; at: number }>();

  constructor(options: TwsContractsOptions) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /** The one contract `input` names; NOT_FOUND when TWS knows none, BAD_INPUT when it names several. */
  async resolve(conn: TwsConnection, input: ContractInput): Promise<Contract> {
    const key = JSON.stringify([input.conid, input.symbol, input.secType, input.exchange, input.currency]);
    const cached = this.cache.get(key);
    if (cached && Date.now() - cached.at < CONTRACT_CACHE_MS) return cached.contract;
    const query: IbContract = input.conid
      ? { conId: input.conid, exchange: input.exchange ?? undefined, currency: input.currency ?? undefined }
      : {
          symbol: input.symbol ?? undefined,
          secType: (input.secType ?? SecType.STK) as never,
          exchange: input.exchange ?? "SMART",
          currency: input.currency ?? "USD",
        };
    let details: IbContractDetails[];
    try {
      details = await withDeadline(
        conn.api.getContractDetails(query),
        this.requestTimeoutMs,
        "reqContractDetails",
        conn,
      );
    } catch (e) {
      if (e instanceof IBApiNextError && Number(e.code) === TwsErrorCode.NO_SECURITY_DEFINITION) details = [];
      else throw e;
    }
    const what = input.conid ? `conid ${input.conid}` : `${input.symbol} ${input.secType ?? "STK"}`;
    if (details.length === 0) {
      throw notFound(
        `TWS knows no contract for ${what}; check the conid, or symbol/secType/exchange/currency.`,
        {
          field: "contract",
          api: "TWS",
        },
      );
    }
    if (details.length > 1) {
      throw badInput(
        `${what} is ambiguous at TWS (${details.length} contracts); give the conid or the exchange/currency.`,
        { field: "contract", candidates: details.slice(0, 10).map((d) => d.contract.conId) },
      );
    }
    const d = details[0]!;
    const contract = {
      ...toContract(d.contract, d),
      exchange: ibText(d.contract.primaryExch) ?? ibText(d.contract.exchange),
    };
    this.cache.set(key, { contract, at: Date.now() });
    return contract;
  }
}
