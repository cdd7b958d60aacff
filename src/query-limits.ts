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
export function checkComplexity(
  schema: GraphQLSchema,
  query: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined,
  limits: QueryLimits = DEFAULT_QUERY_LIMITS,
): void {
  let actual: number;
  try {
    actual = getComplexity({
      schema,
      query,
      variables: variables ?? {},
      operationName,
      estimators: [simpleEstimator({ defaultComplexity: 1 })],
    });
  } catch {
    // Bad variables: execution refuses them with BAD_USER_INPUT before any resolver runs, and says which.
    return;
  }
  if (actual > limits.maxComplexity) {
    throw new AppError(
      ErrorCode.BAD_USER_INPUT,
      `Operation complexity ${actual} exceeds the limit of ${limits.maxComplexity}; request fewer fields.`,
    );
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
