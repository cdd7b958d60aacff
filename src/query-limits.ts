import type { ApolloServerPlugin } from "@apollo/server";
import type { DocumentNode, GraphQLSchema, ValidationRule } from "graphql";
import depthLimit from "graphql-depth-limit";
import { getComplexity, simpleEstimator } from "graphql-query-complexity";
import { AppError, ErrorCode } from "./errors";

export interface QueryLimits {
  /** @default 10 */
  maxDepth: number;
  /** Every selected field counts 1; aliases count again. @default 500 */
  maxComplexity: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = { maxDepth: 10, maxComplexity: 500 };

/** A validation rule for depth; complexity needs the variables, so it is checked after validation. */
export function depthRule(limits: QueryLimits = DEFAULT_QUERY_LIMITS): ValidationRule {
  return depthLimit(limits.maxDepth);
}

/** Throws BAD_USER_INPUT when an operation selects more than the limit, before any resolver runs. */
/** Complexity by document and variables: Apollo and the subscription engine reuse parsed documents. */
const complexityCache = new WeakMap<DocumentNode, Map<string, number>>();

export function checkComplexity(
  schema: GraphQLSchema,
  query: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined,
  limits: QueryLimits = DEFAULT_QUERY_LIMITS,
): void {
  const key = `${operationName ?? ""}\u0000${JSON.stringify(variables ?? {})}`;
  let perDoc = complexityCache.get(query);
  let actual = perDoc?.get(key);
  if (actual === undefined) actual = compute(schema, query, variables, operationName);
  if (actual === undefined) return;
  if (!perDoc) complexityCache.set(query, (perDoc = new Map()));
  if (perDoc.size < 100) perDoc.set(key, actual);
  if (actual > limits.maxComplexity) {
    throw new AppError(
      ErrorCode.BAD_USER_INPUT,
      `Operation complexity ${actual} exceeds the limit of ${limits.maxComplexity}; request fewer fields.`,
    );
  }
}

function compute(
  schema: GraphQLSchema,
  query: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined,
): number | undefined {
  try {
    return getComplexity({
      schema,
      query,
      variables: variables ?? {},
      operationName,
      estimators: [simpleEstimator({ defaultComplexity: 1 })],
    });
  } catch {
    // Bad variables: execution refuses them with BAD_USER_INPUT before any resolver runs, and says which.
    return undefined;
  }
}

export function complexityPlugin(schema: GraphQLSchema, limits?: QueryLimits): ApolloServerPlugin {
  return {
    requestDidStart: async () => ({
      didResolveOperation: async ({ document, request }) => {
        checkComplexity(schema, document, request.variables, request.operationName, limits);
      },
    }),
  };
}
