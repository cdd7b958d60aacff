import {
  Arg,
  Args,
  ArgsType,
  Ctx,
  Field,
  FieldResolver,
  ID,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
  Subscription,
} from "type-graphql";
import { OrderClass, OrderStatus } from "../schema/enums";
import { ModifyOrderInput, PlaceOrderInput } from "../schema/order.input";
import { Fill, Order, OrderEvent, OrderPreview, PlaceOrderPayload } from "../schema/order.type";
import { DateTime } from "../schema/scalars";
import type { AppContext } from "./context";

@ArgsType()
class OrderUpdatesArgs {
  @Field(() => ID, { nullable: true })
  accountId?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      "Replay the journal after this cursor (an event's `cursor`) first, then continue live. One the journal " +
      "cannot honour (another server's, purged by JOURNAL_RETENTION_DAYS) is CURSOR_INVALID.",
  })
  after?: string | null;

  @Field(() => Int, {
    nullable: true,
    description: "Older form of `after`: a sequence of this server's journal, checked against its bounds.",
  })
  afterSequence?: number | null;
}

@Resolver(() => Order)
export class OrderResolver {
  @Query(() => [Order], {
    description:
      "Orders from both APIs, merged without duplicates: working ones and the last week's finished ones, " +
      "from before a restart too. A `since` further back adds older finished orders the journal kept.",
  })
  orders(
    @Arg("accountId", () => ID, { nullable: true }) accountId: string | null,
    @Arg("status", () => [OrderStatus], { nullable: true }) status: OrderStatus[] | null,
    @Arg("since", () => DateTime, { nullable: true, description: "Orders last updated at or after this." })
    since: Date | null,
    @Arg("until", () => DateTime, { nullable: true, description: "Orders last updated at or before this." })
    until: Date | null,
    @Ctx() { broker }: AppContext,
  ): Promise<Order[]> {
    return broker.orders({ accountId, status, since, until });
  }

  @Query(() => [Fill], {
    description:
      "Executions from both APIs, once each (by execution id), oldest first, as far back as the journal keeps.",
  })
  executions(
    @Arg("accountId", () => ID, { nullable: true }) accountId: string | null,
    @Arg("since", () => DateTime, { nullable: true }) since: Date | null,
    @Arg("until", () => DateTime, { nullable: true }) until: Date | null,
    @Ctx() { broker }: AppContext,
  ): Promise<Fill[]> {
    return broker.executions({ accountId, since, until });
  }

  @Query(() => Order, { nullable: true })
  order(@Arg("id", () => ID) id: string, @Ctx() { broker }: AppContext): Promise<Order | null> {
    return broker.order(id);
  }

  @Query(() => Order, {
    nullable: true,
    description:
      "The newest order placed with this clientOrderId (a bracket's exits: `<key>.tp`, `<key>.sl`).",
  })
  orderByClientOrderId(
    @Arg("clientOrderId", () => String) clientOrderId: string,
    @Ctx() { broker }: AppContext,
  ): Promise<Order | null> {
    return broker.orderByClientOrderId(clientOrderId);
  }

  @FieldResolver(() => OrderClass)
  orderClass(@Root() order: Order, @Ctx() { broker }: AppContext): OrderClass {
    const own = order.orderClass ?? OrderClass.SIMPLE;
    // A bracket's entry carries nothing that says so at IB; its children do.
    return own === OrderClass.SIMPLE && broker.childrenOf(order).length > 0 ? OrderClass.BRACKET : own;
  }

  @FieldResolver(() => Boolean)
  outsideRth(@Root() order: Order): boolean {
    return order.outsideRth ?? false;
  }

  @FieldResolver(() => [Order], { description: "A bracket parent's exit orders; empty for other orders." })
  children(@Root() order: Order, @Ctx() { broker }: AppContext): Order[] {
    return broker.childrenOf(order);
  }

  @Mutation(() => PlaceOrderPayload)
  placeOrder(
    @Arg("input", () => PlaceOrderInput) input: PlaceOrderInput,
    @Ctx() { broker, caller }: AppContext,
  ): Promise<PlaceOrderPayload> {
    return broker.placeOrder(input, caller);
  }

  @Mutation(() => OrderPreview, {
    description:
      "IB's what-if for placeOrder's input: commission and margin, with placeOrder's checks. Nothing is placed " +
      "and the clientOrderId is not used up; read tokens may call it. For a bracket, the entry is previewed.",
  })
  previewOrder(
    @Arg("input", () => PlaceOrderInput) input: PlaceOrderInput,
    @Ctx() { broker, caller }: AppContext,
  ): Promise<OrderPreview> {
    return broker.previewOrder(input, caller);
  }

  @Mutation(() => [Order], {
    description:
      "Cancels every working order of the account through the API that owns each; returns them as " +
      "PENDING_CANCEL. confirm must be true. Allowed without ALLOW_LIVE_TRADING, refused when READ_ONLY.",
  })
  cancelAllOrders(
    @Arg("accountId", () => ID) accountId: string,
    @Arg("confirm", () => Boolean) confirm: boolean,
    @Ctx() { broker, caller }: AppContext,
  ): Promise<Order[]> {
    return broker.cancelAllOrders(accountId, confirm, caller);
  }

  @Mutation(() => Order)
  modifyOrder(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => ModifyOrderInput) input: ModifyOrderInput,
    @Ctx() { broker, caller }: AppContext,
  ): Promise<Order> {
    return broker.modifyOrder(id, input, caller);
  }

  @Mutation(() => Order, { description: "Returns the order as PENDING_CANCEL until IB confirms." })
  cancelOrder(@Arg("id", () => ID) id: string, @Ctx() { broker, caller }: AppContext): Promise<Order> {
    return broker.cancelOrder(id, caller);
  }

  @Mutation(() => PlaceOrderPayload, { description: "Answer a Client Portal order warning." })
  confirmOrder(
    @Arg("replyId", () => ID) replyId: string,
    @Arg("confirmed", () => Boolean) confirmed: boolean,
    @Ctx() { broker, caller }: AppContext,
  ): Promise<PlaceOrderPayload> {
    return broker.confirmOrder(replyId, confirmed, caller);
  }

  @Subscription(() => OrderEvent, {
    description:
      "Every order change, once, in order, journaled first. Resume with `after` (a cursor) after a reconnect or a restart.",
    subscribe: ({ args, context }) => {
      const a = args as OrderUpdatesArgs;
      return (context as AppContext).broker.orderUpdates({
        accountId: a.accountId,
        after: a.after,
        afterSequence: a.afterSequence,
      });
    },
  })
  orderUpdates(@Root() event: OrderEvent, @Args(() => OrderUpdatesArgs) _args: OrderUpdatesArgs): OrderEvent {
    return event;
  }
}
