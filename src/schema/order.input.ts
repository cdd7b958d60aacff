import { Field, Float, ID, InputType } from "type-graphql";
import { ComboLegInput } from "./combo-leg.type";
import { ContractInput } from "./contract.type";
import { BrokerApi, OrderSide, OrderType, TimeInForce } from "./enums";
import { DateTime } from "./scalars";

@InputType({
  description:
    "Exit orders placed with the entry as one bracket: at least one leg. They wait until the entry fills, then " +
    "form a one-cancels-all pair. Their clientOrderIds are the entry's with `.tp` / `.sl` appended.",
})
export class BracketInput {
  @Field(() => Float, { nullable: true, description: "A LIMIT exit on the profitable side of the entry." })
  takeProfitLimitPrice?: number | null;

  @Field(() => Float, { nullable: true, description: "A STOP exit on the losing side of the entry." })
  stopLossStopPrice?: number | null;

  @Field(() => Float, {
    nullable: true,
    description: "Makes the stop-loss a STOP_LIMIT with this limit; needs stopLossStopPrice.",
  })
  stopLossLimitPrice?: number | null;
}

@InputType()
export class PlaceOrderInput {
  @Field(() => ID)
  accountId!: string;

  @Field(() => ContractInput, {
    nullable: true,
    description:
      "The contract; required unless `legs` is given (then absent, or naming the combo's underlying symbol).",
  })
  contract?: ContractInput | null;

  @Field(() => [ComboLegInput], {
    nullable: true,
    description:
      "A combo (BAG) order: 2–6 legs on one underlying and currency, filled together. `quantity` is then the " +
      "number of combos and `limitPrice` the net price per combo (negative = a credit); LIMIT or MARKET only.",
  })
  legs?: ComboLegInput[] | null;

  @Field(() => OrderSide)
  side!: OrderSide;

  @Field(() => OrderType)
  type!: OrderType;

  @Field(() => Float)
  quantity!: number;

  @Field(() => Float, { nullable: true, description: "Required for LIMIT and STOP_LIMIT, absent otherwise." })
  limitPrice?: number | null;

  @Field(() => Float, { nullable: true, description: "Required for STOP and STOP_LIMIT, absent otherwise." })
  stopPrice?: number | null;

  @Field(() => TimeInForce, { defaultValue: TimeInForce.DAY })
  timeInForce!: TimeInForce;

  @Field(() => Float, {
    nullable: true,
    description: "TRAILING_STOP(_LIMIT): the trail in price units; give this or trailingPercent.",
  })
  trailingAmount?: number | null;

  @Field(() => Float, {
    nullable: true,
    description: "TRAILING_STOP(_LIMIT): the trail in percent of the price; give this or trailingAmount.",
  })
  trailingPercent?: number | null;

  @Field(() => Float, {
    nullable: true,
    description:
      "TRAILING_STOP_LIMIT: the limit's distance from the trailing stop price (IB's lmtPriceOffset).",
  })
  limitOffset?: number | null;

  @Field(() => Float, {
    nullable: true,
    description: "MARKET_IF_TOUCHED / LIMIT_IF_TOUCHED: the price whose touch activates the order.",
  })
  triggerPrice?: number | null;

  @Field(() => DateTime, { nullable: true, description: "Required with timeInForce GTD, in the future." })
  goodTillDate?: Date | null;

  @Field(() => Boolean, {
    defaultValue: false,
    description: "May fill outside regular trading hours (IB's outsideRth); waits for the session otherwise.",
  })
  outsideRth?: boolean;

  @Field(() => String, {
    nullable: true,
    description:
      "One-cancels-all group: when one order of the group fills, IB cancels the others (TWS only).",
  })
  ocaGroup?: string | null;

  @Field(() => BracketInput, { nullable: true })
  bracket?: BracketInput | null;

  @Field(() => String, {
    description:
      "Your idempotency key: the same id never places a second order (sent as TWS orderRef / CP cOID).",
  })
  clientOrderId!: string;

  @Field(() => BrokerApi, { nullable: true, description: "Force an API; by default TWS when connected." })
  via?: BrokerApi | null;
}

@InputType({ description: "Only the fields given change." })
export class ModifyOrderInput {
  @Field(() => Float, { nullable: true })
  quantity?: number | null;

  @Field(() => Float, { nullable: true })
  limitPrice?: number | null;

  @Field(() => Float, { nullable: true })
  stopPrice?: number | null;

  @Field(() => TimeInForce, { nullable: true })
  timeInForce?: TimeInForce | null;
}
