import { Arg, Args, ArgsType, Ctx, Field, ID, Query, Resolver, Root, Subscription } from "type-graphql";
import { AccountSummary } from "../schema/account.type";
import { Bar } from "../schema/bar.type";
import { ContractInput } from "../schema/contract.type";
import { BarSize, BarSource } from "../schema/market-data.enums";
import { Position } from "../schema/position.type";
import { Quote } from "../schema/quote.type";
import { DateTime } from "../schema/scalars";
import type { AppContext } from "./context";

@ArgsType()
class QuotesArgs {
  @Field(() => [ContractInput])
  contracts!: ContractInput[];
}

@ArgsType()
class AccountStreamArgs {
  @Field(() => ID, { nullable: true, description: "Every account when absent." })
  accountId?: string | null;
}

@Resolver(() => Quote)
export class MarketDataResolver {
  @Query(() => Quote, { description: "A snapshot quote: TWS while it is connected, else Client Portal." })
  quote(
    @Arg("contract", () => ContractInput) contract: ContractInput,
    @Ctx() { broker }: AppContext,
  ): Promise<Quote> {
    return broker.marketData.quote(contract);
  }

  @Query(() => [Quote], { description: "Snapshot quotes of several contracts, in the order asked." })
  quotes(
    @Arg("contracts", () => [ContractInput]) contracts: ContractInput[],
    @Ctx() { broker }: AppContext,
  ): Promise<Quote[]> {
    return broker.marketData.quotes(contracts);
  }

  @Query(() => [Bar], { description: "Historical bars, oldest first, within IB's pacing and step limits." })
  bars(
    @Arg("contract", () => ContractInput) contract: ContractInput,
    @Arg("barSize", () => BarSize) barSize: BarSize,
    @Arg("duration", () => String, { description: 'ISO 8601, e.g. "P5D", "PT4H".' }) duration: string,
    @Arg("end", () => DateTime, { nullable: true, description: "Now when absent." }) end: Date | null,
    @Arg("source", () => BarSource, { nullable: true, defaultValue: BarSource.TRADES })
    source: BarSource | null,
    @Arg("outsideRth", () => Boolean, { nullable: true, defaultValue: false }) outsideRth: boolean | null,
    @Ctx() { broker }: AppContext,
  ): Promise<Bar[]> {
    return broker.marketData.bars(contract, { barSize, duration, end, source, outsideRth });
  }

  @Subscription(() => Quote, {
    name: "quotes",
    description: "An event per change of any of the contracts' quotes. Survives TWS drops and CP expiries.",
    subscribe: ({ args, context }) =>
      (context as AppContext).broker.marketData.quoteStream(
        (args as QuotesArgs).contracts,
        (context as AppContext).caller,
      ),
  })
  quoteUpdates(@Root() quote: Quote, @Args(() => QuotesArgs) _args: QuotesArgs): Quote {
    return quote;
  }

  @Subscription(() => Position, {
    description: "An event per position change (a flat position comes with quantity 0).",
    subscribe: ({ args, context }) =>
      (context as AppContext).broker.marketData.positionStream(
        (args as AccountStreamArgs).accountId ?? null,
        (context as AppContext).caller,
      ),
  })
  positionUpdates(@Root() p: Position, @Args(() => AccountStreamArgs) _args: AccountStreamArgs): Position {
    return p;
  }

  @Subscription(() => AccountSummary, {
    description: "An event per change of an account's values: net liquidation, cash, margins, PnL.",
    subscribe: ({ args, context }) =>
      (context as AppContext).broker.marketData.accountStream(
        (args as AccountStreamArgs).accountId ?? null,
        (context as AppContext).caller,
      ),
  })
  accountUpdates(
    @Root() s: AccountSummary,
    @Args(() => AccountStreamArgs) _args: AccountStreamArgs,
  ): AccountSummary {
    return s;
  }
}
