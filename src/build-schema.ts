import "reflect-metadata";
import { lexicographicSortSchema, type GraphQLSchema } from "graphql";
import { buildSchemaSync, type PubSub } from "type-graphql";
import { resolvers } from "./resolvers";

/**
 * Every subscription supplies its own `subscribe` (the broker's sequenced streams), so type-graphql's topic
 * PubSub is never used; buildSchema still insists on one.
 */
const unusedPubSub: PubSub = {
  publish: () => {
    throw new Error("topic PubSub is not used: subscriptions read the broker's streams");
  },
  subscribe: () => {
    throw new Error("topic PubSub is not used: subscriptions read the broker's streams");
  },
};

/** The code-first schema, sorted so the printed SDL is stable. */
export function buildAppSchema(): GraphQLSchema {
  return lexicographicSortSchema(buildSchemaSync({ resolvers, validate: false, pubSub: unusedPubSub }));
}
