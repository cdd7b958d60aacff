import { Field, Float, ID, ObjectType } from "type-graphql";
import { AccountType, BrokerApi } from "./enums";
import { DateTime } from "./scalars";

@ObjectType()
export class AccountSummary {
  @Field(() => Float, { nullable: true })
  netLiquidation?: number | null;

  @Field(() => Float, { nullable: true })
  totalCash?: number | null;

  @Field(() => Float, { nullable: true })
  buyingPower?: number | null;

  @Field(() => Float, { nullable: true })
  availableFunds?: number | null;

  @Field(() => String, { nullable: true })
  currency?: string | null;

  @Field(() => Float, { nullable: true })
  dailyPnl?: number | null;

  @Field(() => Float, { nullable: true })
  unrealizedPnl?: number | null;

  @Field(() => Float, { nullable: true })
  realizedPnl?: number | null;

  @Field(() => Float, { nullable: true })
  excessLiquidity?: number | null;

  @Field(() => Float, { nullable: true })
  initMarginReq?: number | null;

  @Field(() => Float, { nullable: true })
  maintMarginReq?: number | null;

  @Field(() => Float, { nullable: true })
  equityWithLoan?: number | null;

  @Field(() => Float, { nullable: true })
  grossPositionValue?: number | null;

  @Field(() => ID, { nullable: true, description: "Set on `accountUpdates` events." })
  accountId?: string | null;

  @Field(() => BrokerApi, { nullable: true })
  source?: BrokerApi | null;

  @Field(() => DateTime)
  asOf!: Date;
}

/** `summary`, `positions` and `orders` are field resolvers (account.resolver.ts). */
@ObjectType()
export class Account {
  @Field(() => ID)
  id!: string;

  @Field(() => AccountType)
  type!: AccountType;

  @Field(() => String, { nullable: true })
  currency?: string | null;

  @Field(() => [BrokerApi], { description: "The APIs through which this account is visible." })
  sources!: BrokerApi[];
}
