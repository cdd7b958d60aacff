import { Arg, Ctx, FieldResolver, ID, Query, Resolver, Root } from "type-graphql";
import { Account, AccountSummary } from "../schema/account.type";
import { Order } from "../schema/order.type";
import { Position } from "../schema/position.type";
import type { AppContext } from "./context";

@Resolver(() => Account)
export class AccountResolver {
  @Query(() => [Account], { description: "Accounts visible through either API, merged by id." })
  accounts(@Ctx() { broker }: AppContext): Promise<Account[]> {
    return broker.accounts();
  }

  @Query(() => Account, { nullable: true })
  account(@Arg("id", () => ID) id: string, @Ctx() { broker }: AppContext): Promise<Account | null> {
    return broker.account(id);
  }

  @FieldResolver(() => AccountSummary, { nullable: true })
  summary(@Root() account: Account, @Ctx() { broker }: AppContext): Promise<AccountSummary | null> {
    return broker.accountSummary(account.id);
  }

  @FieldResolver(() => [Position])
  positions(@Root() account: Account, @Ctx() { broker }: AppContext): Promise<Position[]> {
    return broker.positions(account.id);
  }

  @FieldResolver(() => [Order])
  orders(@Root() account: Account, @Ctx() { broker }: AppContext): Promise<Order[]> {
    return broker.orders({ accountId: account.id });
  }
}
