import { Arg, Ctx, ID, Query, Resolver } from "type-graphql";
import { Position } from "../schema/position.type";
import type { AppContext } from "./context";

@Resolver(() => Position)
export class PositionResolver {
  @Query(() => [Position], { description: "From TWS while it is connected, from Client Portal otherwise." })
  positions(
    @Arg("accountId", () => ID, { nullable: true }) accountId: string | null,
    @Ctx() { broker }: AppContext,
  ): Promise<Position[]> {
    return broker.positions(accountId);
  }
}
