import { Field, Float, ID, Int, ObjectType } from "type-graphql";
import { ComboLeg } from "./combo-leg.type";
import { Contract } from "./contract.type";
import {
  BrokerApi,
  type OrderClass,
  OrderEventType,
  OrderSide,
  OrderStatus,
  OrderType,
  TimeInForce,
} from "./enums";
import { DateTime } from "./scalars";

@ObjectType()
export class Order {
  @Field(() => ID, { description: "Stable across both APIs and restarts: IB's permId." })
  id!: string;

  @Field(() => String, { nullable: true })
  clientOrderId?: string | null;

  @Field(() => ID)
  accountId!: string;

  @Field(() => Contract)
  contract!: Contract;

  @Field(() => [ComboLeg], {
    nullable: true,
    description: "A combo (BAG) order's legs; null for single-contract orders. `contract` is then the BAG.",
  })
  legs?: ComboLeg[] | null;

  @Field(() => OrderSide)
  side!: OrderSide;

  @Field(() => OrderType)
  type!: OrderType;

  @Field(() => Float)
  quantity!: number;

  @Field(() => Float, { nullable: true })
  limitPrice?: number | null;

  @Field(() => Float, { nullable: true })
  stopPrice?: number | null;

  @Field(() => TimeInForce)
  timeInForce!: TimeInForce;

  // The fields below are optional in TypeScript so that every adapter need not spell out the defaults of a
  // simple order; OrderResolver's field resolvers answer orderClass, outsideRth and children for them.
  /** SIMPLE when absent. */
  orderClass?: OrderClass;

  @Field(() => Float, { nullable: true })
  trailingAmount?: number | null;

  @Field(() => Float, { nullable: true })
  trailingPercent?: number | null;

  @Field(() => Float, { nullable: true, description: "Where a trailing stop stands now." })
  trailStopPrice?: number | null;

  @Field(() => Float, {
    nullable: true,
    description: "TRAILING_STOP_LIMIT: the limit's offset from the stop.",
  })
  limitOffset?: number | null;

  @Field(() => Float, { nullable: true })
  triggerPrice?: number | null;

  @Field(() => DateTime, { nullable: true })
  goodTillDate?: Date | null;

  /** False when absent. */
  outsideRth?: boolean;

  @Field(() => String, { nullable: true })
  ocaGroup?: string | null;

  @Field(() => ID, { nullable: true, description: "A bracket child's parent order (its id)." })
  parentId?: string | null;

  @Field(() => OrderStatus)
  status!: OrderStatus;

  @Field(() => Float)
  filledQuantity!: number;

  @Field(() => Float)
  remainingQuantity!: number;

  @Field(() => Float, { nullable: true })
  averageFillPrice?: number | null;

  @Field(() => BrokerApi, { description: "The API that placed the order, or the one that reported it." })
  source!: BrokerApi;

  @Field(() => String, { nullable: true })
  permId?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "The id the placing API knows it by (TWS orderId, Client Portal order_id).",
  })
  brokerOrderId?: string | null;

  @Field(() => String, { nullable: true, description: "Why IB rejected or cancelled the order." })
  statusMessage?: string | null;

  @Field(() => DateTime)
  createdAt!: Date;

  @Field(() => DateTime)
  updatedAt!: Date;
}

@ObjectType({ description: "What an order would do, from IB's what-if; nothing is placed." })
export class OrderPreview {
  @Field(() => Float, { nullable: true })
  commission?: number | null;

  @Field(() => Float, { nullable: true })
  minCommission?: number | null;

  @Field(() => Float, { nullable: true })
  maxCommission?: number | null;

  @Field(() => String, { nullable: true })
  commissionCurrency?: string | null;

  @Field(() => Float, { nullable: true })
  initMarginChange?: number | null;

  @Field(() => Float, { nullable: true })
  maintMarginChange?: number | null;

  @Field(() => Float, { nullable: true })
  equityWithLoanAfter?: number | null;

  @Field(() => Float, { nullable: true })
  initMarginAfter?: number | null;

  @Field(() => Float, { nullable: true })
  maintMarginAfter?: number | null;

  @Field(() => [String])
  warnings!: string[];

  @Field(() => BrokerApi)
  source!: BrokerApi;
}

@ObjectType({ description: "Client Portal's order warning, to be answered with confirmOrder." })
export class OrderConfirmation {
  @Field(() => ID)
  replyId!: string;

  @Field(() => [String])
  messages!: string[];

  @Field(() => [String], {
    description: "IB's message ids, e.g. o163 (price constraint), o354 (no market data).",
  })
  messageIds!: string[];
}

@ObjectType({ description: "Exactly one of `order` and `confirmation` is set." })
export class PlaceOrderPayload {
  @Field(() => Order, { nullable: true })
  order?: Order | null;

  @Field(() => OrderConfirmation, { nullable: true })
  confirmation?: OrderConfirmation | null;
}

@ObjectType({ description: "One execution; `executions` lists them from the journal, both APIs merged." })
export class Fill {
  @Field(() => String, { description: "IB's execution id: one fill, however many APIs reported it." })
  executionId!: string;

  // Optional here because the adapters report a bare fill; the order tracker adds the order's identity
  // before any fill reaches a client (events and `executions` alike).
  @Field(() => ID)
  orderId?: string;

  @Field(() => ID)
  accountId?: string;

  @Field(() => OrderSide, { description: "For a combo order's fill, the leg's side." })
  side?: OrderSide;

  @Field(() => Contract, { description: "The contract traded: for a combo order's fill, the leg's." })
  contract?: Contract;

  @Field(() => BrokerApi, { description: "The API that reported the execution." })
  source?: BrokerApi;

  @Field(() => DateTime, { description: "When IB executed it (the same as `at`)." })
  time?: Date;

  @Field(() => Float)
  quantity!: number;

  @Field(() => Float)
  price!: number;

  @Field(() => Float, { nullable: true })
  commission?: number | null;

  @Field(() => DateTime)
  at!: Date;
}

@ObjectType()
export class OrderEvent {
  @Field(() => Int, {
    description:
      "The journal's position: strictly increasing across restarts, never reused, not consecutive (session " +
      "events share the numbering). Prefer `cursor` to resume.",
  })
  sequence!: number;

  @Field(() => String, {
    description: "Opaque position of this event in the journal: pass the last one seen as `after` to resume.",
  })
  cursor!: string;

  @Field(() => OrderEventType)
  type!: OrderEventType;

  @Field(() => Order, { description: "The order as it is right after this event." })
  order!: Order;

  @Field(() => Fill, { nullable: true })
  fill?: Fill | null;

  @Field(() => DateTime)
  at!: Date;

  @Field(() => Boolean, {
    description: "Emitted by reconciliation after a reconnect, for what happened meanwhile.",
  })
  catchUp!: boolean;
}
