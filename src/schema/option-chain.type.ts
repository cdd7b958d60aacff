import { Field, Float, ObjectType } from "type-graphql";
import { Contract } from "./contract.type";

@ObjectType({
  description:
    "One option class of an underlying on one exchange: the union of its expirations and strikes (not every " +
    "combination is listed; resolve a concrete option with Query.contract).",
})
export class OptionChain {
  @Field(() => Contract)
  underlying!: Contract;

  @Field(() => String)
  exchange!: string;

  @Field(() => String)
  tradingClass!: string;

  @Field(() => Float)
  multiplier!: number;

  @Field(() => [String], { description: "YYYYMMDD, ascending." })
  expirations!: string[];

  @Field(() => [Float], { description: "Ascending." })
  strikes!: number[];
}
