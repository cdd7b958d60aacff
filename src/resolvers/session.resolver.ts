import { Arg, Ctx, Mutation, Query, Resolver, Root, Subscription } from "type-graphql";
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
    description:
      "Connects, disconnects, expiries and restores of both APIs, journaled first. Resume with `after` (a cursor) " +
      "after a reconnect or a restart.",
    subscribe: ({ args, context }) =>
      (context as AppContext).broker.sessionEvents({ after: (args as { after?: string | null }).after }),
  })
  sessionEvents(
    @Root() event: SessionEvent,
    // Read by `subscribe` above; declared here so the schema has the argument.
    @Arg("after", () => String, {
      nullable: true,
      description:
        "Replay the journal after this cursor (a session or order event's `cursor`) first, then continue live. " +
        "One the journal cannot honour (another server's, purged by JOURNAL_RETENTION_DAYS) is CURSOR_INVALID.",
    })
    _after: string | null,
  ): SessionEvent {
    return event;
  }
}
