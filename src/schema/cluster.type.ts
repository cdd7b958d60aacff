import { Field, Int, ObjectType } from "type-graphql";
import { InstanceRole } from "./enums";

@ObjectType({ description: "Where this instance stands among the instances sharing one database." })
export class ClusterStatus {
  @Field(() => String, { description: "INSTANCE_ID of the instance that answered." })
  instanceId!: string;

  @Field(() => InstanceRole)
  role!: InstanceRole;

  @Field(() => String, { nullable: true, description: "The leader's INSTANCE_ID; null while none is known." })
  leaderId?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "The leader's ADVERTISE_URL, where standbys forward mutations.",
  })
  leaderUrl?: string | null;

  @Field(() => Int, {
    nullable: true,
    description:
      "Incremented by each new leader; the store refuses writes of an older one. Null when SINGLE.",
  })
  epoch?: number | null;
}
