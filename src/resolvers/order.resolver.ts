import {
  Arg,
  Args,
  ArgsType,
  Ctx,
  Field,
  ID,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
  Subscription,
} from "type-graphql";
import { OrderStatus } from "../schema/enums";
import { ModifyOrderInput, PlaceOrderInput } from "../schema/order.input";
import { Order, OrderEvent, PlaceOrderPayload } from "../schema/order.type";
import type { AppContext } from "./context";

@ArgsType()
class OrderUpdatesArgs {
  @Field(() => ID, { nullable: true })
  accountId?: string | null;

  @Field(() => Int, { nullable: true, description: "Replay buffered events after this sequence first." })
  afterSequence?: number | null;
}

@Resolver(() => Order)
export class OrderResolver {
  @Query(() => [Order], { description: "Orders from both APIs, merged without duplicates." })
  orders(
    @Arg("accountId", () => ID, { nullable: true }) accountId: string | null,
    @Arg("status", () => [OrderStatus], { nullable: true }) status: OrderStatus[] | null,
    @Ctx() { broker }: AppContext,
  ): Promise<Order[]> {
    return broker.orders({ accountId, status });
  }

  @Query(() => Order, { nullable: true })
  order(@Arg("id", () => ID) id: string, @Ctx() { broker }: AppContext): Promise<Order | null> {
    return broker.order(id);
  }

  @Mutation(() => PlaceOrderPayload)
  placeOrder(
    @Arg("input", () => PlaceOrderInput) input: PlaceOrderInput,
    @Ctx() { broker, caller }: AppContext,
  ): Promise<PlaceOrderPayload> {
    return broker.placeOrder(input, caller);
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
    description: "Every order change, once, in order. Resume with afterSequence after a reconnect.",
    subscribe: ({ args, context }) => {
      const a = args as OrderUpdatesArgs;
      return (context as AppContext).broker.orderUpdates({
        accountId: a.accountId,
        afterSequence: a.afterSequence,
      });
    },
  })
  orderUpdates(@Root() event: OrderEvent, @Args(() => OrderUpdatesArgs) _args: OrderUpdatesArgs): OrderEvent {
    return event;
  }
}
