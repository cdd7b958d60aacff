import { Field, InputType, Int, ObjectType } from "type-graphql";
import { SecType } from "./enums";

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

  @Field(() => String, { nullable: true, description: "Futures and options: YYYYMM or YYYYMMDD." })
  lastTradeDate?: string | null;
}

@InputType({ description: "A contract by IB conid, or by symbol + secType (+ exchange, currency)." })
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
}
