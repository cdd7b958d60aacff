import { Field, Float, ObjectType } from "type-graphql";
import { Contract } from "./contract.type";
import { BrokerApi } from "./enums";
import { DateTime } from "./scalars";

/** A contract's market data as one API last reported it. Fields IB did not send are null. */
@ObjectType()
export class Quote {
  @Field(() => Contract)
  contract!: Contract;

  @Field(() => Float, { nullable: true })
  bid?: number | null;

  @Field(() => Float, { nullable: true })
  ask?: number | null;

  @Field(() => Float, { nullable: true })
  last?: number | null;

  @Field(() => Float, { nullable: true })
  bidSize?: number | null;

  @Field(() => Float, { nullable: true })
  askSize?: number | null;

  @Field(() => Float, { nullable: true })
  lastSize?: number | null;

  @Field(() => Float, { nullable: true, description: "Today's volume." })
  volume?: number | null;

  @Field(() => Float, { nullable: true })
  open?: number | null;

  @Field(() => Float, { nullable: true })
  high?: number | null;

  @Field(() => Float, { nullable: true })
  low?: number | null;

  @Field(() => Float, { nullable: true, description: "The previous session's close." })
  close?: number | null;

  @Field(() => Float, { nullable: true, description: "IB's mark price (Client Portal field 7635)." })
  mark?: number | null;

  @Field(() => Float, { nullable: true, description: "Options only." })
  impliedVolatility?: number | null;

  @Field(() => Float, { nullable: true, description: "Options only." })
  delta?: number | null;

  @Field(() => Float, { nullable: true, description: "Options only." })
  gamma?: number | null;

  @Field(() => Float, { nullable: true, description: "Options only." })
  vega?: number | null;

  @Field(() => Float, { nullable: true, description: "Options only." })
  theta?: number | null;

  @Field(() => Float, { nullable: true, description: "Options only." })
  underlyingPrice?: number | null;

  @Field(() => Boolean, { description: "Delayed (about 15 minutes) rather than live data." })
  delayed!: boolean;

  @Field(() => BrokerApi, { description: "The API this quote came through." })
  source!: BrokerApi;

  @Field(() => DateTime, { description: "When the API last reported a change of this quote." })
  asOf!: Date;
}
