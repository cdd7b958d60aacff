import { Field, Float, ObjectType } from "type-graphql";
import { DateTime } from "./scalars";

/** One historical bar; `time` is the bar's start. */
@ObjectType()
export class Bar {
  @Field(() => DateTime)
  time!: Date;

  @Field(() => Float)
  open!: number;

  @Field(() => Float)
  high!: number;

  @Field(() => Float)
  low!: number;

  @Field(() => Float)
  close!: number;

  @Field(() => Float, { nullable: true, description: "Null for MIDPOINT, BID and ASK bars." })
  volume?: number | null;
}
