import { unwrapResolverError } from "@apollo/server/errors";
import type { GraphQLFormattedError } from "graphql";
import { ErrorCode, isAppError } from "./errors";

const INPUT_CODES = new Set([
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_USER_INPUT",
  "BAD_REQUEST",
  "OPERATION_RESOLUTION_FAILURE",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
]);
const KNOWN = new Set<string>(Object.values(ErrorCode));

/**
 * Makes every error's `extensions.code` one of ours, whichever layer raised it (Apollo's parser and
 * validation, graphql-js coercion, our broker layer), and hides internals in production.
 */
export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (isAppError(original)) return formatted;
  const code = String(formatted.extensions?.code ?? "");
  if (KNOWN.has(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) return formatted;
  if (INPUT_CODES.has(code) || (code === "" && !formatted.path)) {
    return {
      ...formatted,
      extensions: { ...formatted.extensions, code: ErrorCode.BAD_USER_INPUT, reason: code || undefined },
    };
  }
  const production = process.env.NODE_ENV === "production";
  return {
    message: production ? "Internal server error" : formatted.message,
    locations: formatted.locations,
    path: formatted.path,
    extensions: {
      code: ErrorCode.INTERNAL_SERVER_ERROR,
      ...(production ? {} : { stacktrace: formatted.extensions?.stacktrace }),
    },
  };
}

/**
 * Without graphql-js's "Did you mean …?" hints, which name fields, types and enum values to a client that
 * may not see the schema (production). Both transports pass their errors through here.
 */
export function withoutSuggestions(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const message = formatted.message.replace(/ ?Did you mean [^?]*\?/g, "");
  return message === formatted.message ? formatted : { ...formatted, message };
}
