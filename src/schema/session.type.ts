import { Field, Int, ObjectType } from "type-graphql";
import { BrokerApi, ClientPortalState, SessionEventType, TradingMode, TwsState } from "./enums";
import { ClusterStatus } from "./cluster.type";
import { DateTime } from "./scalars";

@ObjectType({ description: "The Client Portal (REST gateway) side of the session." })
export class ClientPortalStatus {
  @Field(() => Boolean)
  enabled!: boolean;

  @Field(() => ClientPortalState)
  state!: ClientPortalState;

  @Field(() => Boolean, { description: "The brokerage session is open (IB's `authenticated`)." })
  authenticated!: boolean;

  @Field(() => Boolean, { description: "The gateway reaches IB's backend (IB's `connected`)." })
  connected!: boolean;

  @Field(() => Boolean, {
    description: "Another session of the same IB user competes for the brokerage session.",
  })
  competing!: boolean;

  @Field(() => DateTime, { nullable: true })
  lastTickleAt?: Date | null;

  @Field(() => String, { nullable: true })
  message?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      "Where a person logs in when the state is LOGIN_REQUIRED, AWAITING_SECOND_FACTOR or LOGIN_FAILED.",
  })
  loginUrl?: string | null;

  @Field(() => Boolean, {
    description: "Read-only IB user (statements/portfolio rights only): no brokerage session, no mutations.",
  })
  readOnly!: boolean;
}

@ObjectType({ description: "The TWS / IB Gateway socket side of the session." })
export class TwsStatus {
  @Field(() => Boolean)
  enabled!: boolean;

  @Field(() => TwsState)
  state!: TwsState;

  @Field(() => String, { nullable: true })
  host?: string | null;

  @Field(() => Int, { nullable: true })
  port?: number | null;

  @Field(() => Int, { nullable: true })
  clientId?: number | null;

  @Field(() => Int, { nullable: true })
  serverVersion?: number | null;

  @Field(() => String, { nullable: true })
  lastError?: string | null;

  @Field(() => DateTime, { nullable: true, description: "When the last message arrived from TWS." })
  lastMessageAt?: Date | null;
}

@ObjectType()
export class SessionStatus {
  @Field(() => TradingMode)
  mode!: TradingMode;

  @Field(() => Boolean, { description: "Every configured API is connected and authenticated." })
  ready!: boolean;

  @Field(() => ClientPortalStatus)
  clientPortal!: ClientPortalStatus;

  @Field(() => TwsStatus)
  tws!: TwsStatus;

  @Field(() => ClusterStatus, {
    description: "This instance's role: SINGLE, or LEADER / STANDBY of a shared deployment.",
  })
  cluster!: ClusterStatus;
}

@ObjectType()
export class SessionEvent {
  @Field(() => Int, { description: "The journal's position (shared with order events)." })
  sequence!: number;

  @Field(() => String, { description: "Opaque position of this event in the journal." })
  cursor!: string;

  @Field(() => BrokerApi, { nullable: true, description: "Null for LEADER_CHANGED, which is of no one API." })
  api?: BrokerApi | null;

  @Field(() => SessionEventType)
  type!: SessionEventType;

  @Field(() => String, { nullable: true })
  message?: string | null;

  @Field(() => DateTime)
  at!: Date;

  @Field(() => SessionStatus, { description: "The whole status right after this event." })
  status!: SessionStatus;
}
