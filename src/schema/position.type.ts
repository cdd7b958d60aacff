import { Field, Float, ID, ObjectType } from "type-graphql";
import { Contract } from "./contract.type";
import { BrokerApi } from "./enums";
import { DateTime } from "./scalars";

@ObjectType()
export class Position {
  @Field(() => ID)
  accountId!: string;

  @Field(() => Contract)
  contract!: Contract;

  @Field(() => Float)
  quantity!: number;

  @Field(() => Float, { nullable: true })
  averageCost?: number | null;

  @Field(() => Float, { nullable: true })
  marketPrice?: number | null;

  @Field(() => Float, { nullable: true })
  marketValue?: number | null;

  @Field(() => Float, { nullable: true })
  unrealizedPnl?: number | null;

  @Field(() => Float, { nullable: true })
  realizedPnl?: number | null;

  @Field(() => BrokerApi)
  source!: BrokerApi;

  @Field(() => DateTime)
  asOf!: Date;
}
