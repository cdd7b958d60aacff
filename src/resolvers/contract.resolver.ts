import { Arg, Ctx, Query, Resolver } from "type-graphql";
import { Contract, ContractInput } from "../schema/contract.type";
import { BrokerApi, SecType } from "../schema/enums";
import { OptionChain } from "../schema/option-chain.type";
import type { AppContext } from "./context";

@Resolver(() => Contract)
export class ContractResolver {
  @Query(() => Contract, {
    description:
      "Exactly one contract: by conid, or by symbol + secType (+ lastTradeDate, strike, right for derivatives; a " +
      "future without lastTradeDate is its front month). NOT_FOUND when IB knows none, AMBIGUOUS_CONTRACT (with " +
      "extensions.candidates) when it names several.",
  })
  contract(
    @Arg("input", () => ContractInput) input: ContractInput,
    @Arg("via", () => BrokerApi, { nullable: true, description: "Ask this API (default: TWS when ready)." })
    via: BrokerApi | null,
    @Ctx() { broker }: AppContext,
  ): Promise<Contract> {
    return broker.contracts().contract(input, via);
  }

  @Query(() => [Contract], { description: "Stocks, futures months and FX pairs IB lists for a symbol." })
  searchContracts(
    @Arg("symbol", () => String) symbol: string,
    @Arg("secType", () => SecType, { nullable: true }) secType: SecType | null,
    @Arg("via", () => BrokerApi, { nullable: true }) via: BrokerApi | null,
    @Ctx() { broker }: AppContext,
  ): Promise<Contract[]> {
    return broker.contracts().search(symbol, secType, via);
  }

  @Query(() => [OptionChain], {
    description: "Option chains of an underlying: one per exchange and trading class.",
  })
  optionChain(
    @Arg("underlying", () => ContractInput) underlying: ContractInput,
    @Arg("exchange", () => String, { nullable: true, defaultValue: "SMART" }) exchange: string | null,
    @Arg("via", () => BrokerApi, { nullable: true }) via: BrokerApi | null,
    @Ctx() { broker }: AppContext,
  ): Promise<OptionChain[]> {
    return broker.contracts().optionChains(underlying, exchange, via);
  }
}
