import { Field, Float, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { SecType } from "./enums";

export enum OptionRight {
  CALL = "CALL",
  PUT = "PUT",
}
registerEnumType(OptionRight, { name: "OptionRight", description: "An option's right: call or put." });

@ObjectType()
export class Contract {
  @Field(() => Int, { description: "IB's contract id." })
  conid!: number;

  @Field(() => String)
  symbol!: string;

  @Field(() => SecType)
  secType!: SecType;

  @Field(() => String, { nullable: true })
  exchange?: string | null;

  @Field(() => String)
  currency!: string;

  @Field(() => String, {
    nullable: true,
    description: "Futures and options: YYYYMMDD (YYYYMM when IB gives only a month).",
  })
  lastTradeDate?: string | null;

  @Field(() => Float, { nullable: true, description: "Options: strike price." })
  strike?: number | null;

  @Field(() => OptionRight, { nullable: true, description: "Options: call or put." })
  right?: OptionRight | null;

  @Field(() => Float, {
    nullable: true,
    description: "Derivatives: contract multiplier (100 for US equity options).",
  })
  multiplier?: number | null;

  @Field(() => String, { nullable: true, description: "IB trading class (`AAPL`, `ES`, `SPXW`)." })
  tradingClass?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "IB local symbol: OCC symbol for options (`AAPL  270115C00190000`), `ESH7` for futures.",
  })
  localSymbol?: string | null;

  @Field(() => String, { nullable: true, description: "IB's description (company or contract name)." })
  description?: string | null;

  @Field(() => Int, { nullable: true, description: "Options: conid of the underlying." })
  underlyingConid?: number | null;
}

@InputType({
  description:
    "A contract by IB conid, or by symbol + secType (+ exchange, currency); derivatives add lastTradeDate (futures: " +
    "YYYYMM or YYYYMMDD, none = front month; options: YYYYMMDD) and, for options, strike and right.",
})
export class ContractInput {
  @Field(() => Int, { nullable: true })
  conid?: number | null;

  @Field(() => String, { nullable: true })
  symbol?: string | null;

  @Field(() => SecType, { nullable: true, description: "Defaults to STK when a symbol is given." })
  secType?: SecType | null;

  @Field(() => String, { nullable: true, description: "Defaults to SMART." })
  exchange?: string | null;

  @Field(() => String, { nullable: true, description: "Defaults to USD." })
  currency?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      "YYYYMMDD (options, futures) or YYYYMM (a futures month; for options every expiry of the month).",
  })
  lastTradeDate?: string | null;

  @Field(() => Float, { nullable: true, description: "Options: strike price (> 0)." })
  strike?: number | null;

  @Field(() => OptionRight, { nullable: true, description: "Options: call or put (needs a strike)." })
  right?: OptionRight | null;

  @Field(() => Float, { nullable: true })
  multiplier?: number | null;

  @Field(() => String, { nullable: true })
  tradingClass?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "IB local symbol, e.g. OCC `AAPL  270115C00190000` or `ESH7`.",
  })
  localSymbol?: string | null;
}
