import { Ctx, Mutation, Query, Resolver, Root, Subscription } from "type-graphql";
import { SessionEvent, SessionStatus } from "../schema/session.type";
import type { AppContext } from "./context";

@Resolver()
export class SessionResolver {
  @Query(() => SessionStatus, { description: "Both APIs' connection and authentication state." })
  session(@Ctx() { broker }: AppContext): SessionStatus {
    return broker.status();
  }

  @Mutation(() => SessionStatus, {
    description: "Ask the Client Portal gateway to reopen the brokerage session (ssodh/init).",
  })
  reauthenticate(@Ctx() { broker, caller }: AppContext): Promise<SessionStatus> {
    return broker.reauthenticate(caller);
  }

  @Subscription(() => SessionEvent, {
    description: "Connects, disconnects, expiries and restores of both APIs.",
    subscribe: ({ context }) => (context as AppContext).broker.sessionEvents(),
  })
  sessionEvents(@Root() event: SessionEvent): SessionEvent {
    return event;
  }
}
