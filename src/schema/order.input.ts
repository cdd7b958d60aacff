import { Field, Float, ID, InputType } from "type-graphql";
import { ContractInput } from "./contract.type";
import { BrokerApi, OrderSide, OrderType, TimeInForce } from "./enums";

@InputType()
export class PlaceOrderInput {
  @Field(() => ID)
  accountId!: string;

  @Field(() => ContractInput)
  contract!: ContractInput;

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
