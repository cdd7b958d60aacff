import { Field, InputType, Int, ObjectType } from "type-graphql";
import { Contract, ContractInput } from "./contract.type";
import { OrderSide } from "./enums";

@InputType({
  description:
    "One leg of a combo (BAG) order: its contract, how many of it per combo, and whether a BUY of the combo buys " +
    "or sells it (a SELL of the combo does the opposite of every leg).",
})
export class ComboLegInput {
  @Field(() => ContractInput)
  contract!: ContractInput;

  @Field(() => Int, { description: "Units of this leg per combo: a whole number ≥ 1." })
  ratio!: number;

  @Field(() => OrderSide)
  side!: OrderSide;
}

@ObjectType({ description: "A leg of a combo order." })
export class ComboLeg {
  @Field(() => Contract)
  contract!: Contract;

  @Field(() => Int)
  ratio!: number;

  @Field(() => OrderSide, { description: "The leg's side for a BUY of the combo." })
  side!: OrderSide;
}
