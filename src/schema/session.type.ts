import { Field, Int, ObjectType } from "type-graphql";
import { BrokerApi, ClientPortalState, SessionEventType, TradingMode, TwsState } from "./enums";
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
}

@ObjectType()
export class SessionEvent {
  @Field(() => Int)
  sequence!: number;

  @Field(() => BrokerApi)
  api!: BrokerApi;

  @Field(() => SessionEventType)
  type!: SessionEventType;

  @Field(() => String, { nullable: true })
  message?: string | null;

  @Field(() => DateTime)
  at!: Date;

  @Field(() => SessionStatus, { description: "The whole status right after this event." })
  status!: SessionStatus;
}
