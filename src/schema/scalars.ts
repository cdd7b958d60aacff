import { GraphQLDateTime } from "graphql-scalars";

/** ISO-8601 timestamps, named `DateTime` in the schema. */
export const DateTime = GraphQLDateTime;
