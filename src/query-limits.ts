import type { ApolloServerPlugin } from "@apollo/server";
import {
  GraphQLError,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
} from "graphql";
import { AppError, ErrorCode } from "./errors";

export interface QueryLimits {
  /** Nesting of fields, fragments expanded. @default 10 */
  maxDepth: number;
  /** Nesting under `__schema` / `__type`: the standard introspection query needs 13. @default 15 */
  maxIntrospectionDepth: number;
  /** Every selected field counts 1, fragments expanded and aliases counted again. @default 500 */
  maxComplexity: number;
  /** What each root field of a mutation costs on top of its selections: a few orders per operation. @default 20 */
  mutationFieldCost: number;
  /**
   * Tokens in one document, refused by the parser before anything else runs: bounds the work of validation
   * (some graphql-js rules are quadratic in the fields of one selection set). @default 15000
   */
  maxTokens: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  maxDepth: 10,
  maxIntrospectionDepth: 15,
  maxComplexity: 500,
  mutationFieldCost: 20,
  maxTokens: 15_000,
};

type Fragments = Map<string, FragmentDefinitionNode>;

function fragmentsOf(doc: DocumentNode): Fragments {
  const out: Fragments = new Map();
  for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) out.set(d.name.value, d);
  return out;
}

/**
 * A validation rule for depth, introspection included. Unknown fragments and fragment cycles count 0 here:
 * graphql-js's own rules refuse them as validation errors, so the walk only has to terminate.
 */
export function depthRule(limits: QueryLimits = DEFAULT_QUERY_LIMITS): ValidationRule {
  return (context) => {
    const doc = context.getDocument();
    const fragments = fragmentsOf(doc);
    for (const op of doc.definitions) {
      if (op.kind !== Kind.OPERATION_DEFINITION) continue;
      if (exceedsDepth(op.selectionSet, fragments, limits)) {
        const name = op.name?.value ?? "";
        context.reportError(
          new GraphQLError(
            `'${name}' exceeds maximum operation depth of ${limits.maxDepth} ` +
              `(${limits.maxIntrospectionDepth} under __schema and __type)`,
            { nodes: [op], extensions: { code: ErrorCode.BAD_USER_INPUT, reason: "DEPTH_LIMIT" } },
          ),
        );
      }
    }
    return {};
  };
}

function exceedsDepth(root: SelectionSetNode, fragments: Fragments, limits: QueryLimits): boolean {
  const expanding = new Set<string>();
  const walk = (set: SelectionSetNode, depth: number, limit: number): boolean => {
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        const name = sel.name.value;
        const fieldLimit = name === "__schema" || name === "__type" ? limits.maxIntrospectionDepth : limit;
        if (depth + 1 > fieldLimit) return true;
        if (sel.selectionSet && walk(sel.selectionSet, depth + 1, fieldLimit)) return true;
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        if (walk(sel.selectionSet, depth, limit)) return true;
      } else {
        const f = fragments.get(sel.name.value);
        if (!f || expanding.has(f.name.value)) continue;
        expanding.add(f.name.value);
        const over = walk(f.selectionSet, depth, limit);
        expanding.delete(f.name.value);
        if (over) return true;
      }
    }
    return false;
  };
  return walk(root, 0, limits.maxDepth);
}

/**
 * Fields an operation selects, fragments expanded (each fragment counted once, then multiplied, so a
 * "fragment bomb" costs arithmetic, not time). `@skip`/`@include` are ignored: the cost is an upper bound
 * that does not depend on the variables, so it is cached per document alone and no variables are kept.
 */
export function operationCost(
  doc: DocumentNode,
  operationName: string | undefined,
  limits: QueryLimits = DEFAULT_QUERY_LIMITS,
): number {
  const ops = doc.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  const op = operationName
    ? ops.find((o) => o.name?.value === operationName)
    : ops.length === 1
      ? ops[0]
      : undefined;
  if (!op) return 0; // No such operation: execution refuses it before any resolver runs.
  const fragments = fragmentsOf(doc);
  const memo = new Map<string, number>();
  const costOf = (set: SelectionSetNode): number => {
    let total = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) total += 1 + (sel.selectionSet ? costOf(sel.selectionSet) : 0);
      else if (sel.kind === Kind.INLINE_FRAGMENT) total += costOf(sel.selectionSet);
      else {
        const name = sel.name.value;
        const known = memo.get(name);
        if (known !== undefined) {
          total += known;
          continue;
        }
        const f = fragments.get(name);
        // Unknown or cyclic (in progress): validation refuses the document; 0 keeps the walk finite.
        memo.set(name, 0);
        const c = f ? costOf(f.selectionSet) : 0;
        memo.set(name, c);
        total += c;
      }
    }
    return total;
  };
  let cost = costOf(op.selectionSet);
  if (op.operation === "mutation") {
    cost += limits.mutationFieldCost * rootFieldCount(op.selectionSet, fragments);
  }
  return cost;
}

function rootFieldCount(set: SelectionSetNode, fragments: Fragments, seen = new Set<string>()): number {
  let n = 0;
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) n += sel.name.value.startsWith("__") ? 0 : 1;
    else if (sel.kind === Kind.INLINE_FRAGMENT) n += rootFieldCount(sel.selectionSet, fragments, seen);
    else {
      const f = fragments.get(sel.name.value);
      if (!f || seen.has(f.name.value)) continue;
      seen.add(f.name.value);
      n += rootFieldCount(f.selectionSet, fragments, seen);
    }
  }
  return n;
}

/** Cost by document and operation name: Apollo and the subscription engine reuse parsed documents. */
const costCache = new WeakMap<DocumentNode, Map<string, number>>();

/**
 * Throws BAD_USER_INPUT (HTTP 400) when an operation selects more than the limit, before any resolver
 * runs. Counted for every operation however large: there is no node cap under which the check gives up.
 */
export function checkComplexity(
  query: DocumentNode,
  operationName: string | undefined,
  limits: QueryLimits = DEFAULT_QUERY_LIMITS,
): void {
  let perDoc = costCache.get(query);
  if (!perDoc) costCache.set(query, (perDoc = new Map()));
  const key = operationName ?? "";
  let cost = perDoc.get(key);
  if (cost === undefined) {
    cost = operationCost(query, operationName, limits);
    // Names come from the document itself or a client; only the document's own few are worth keeping.
    if (perDoc.size < 16) perDoc.set(key, cost);
  }
  if (cost > limits.maxComplexity) {
    const shown = Number.isFinite(cost) && cost < 1e9 ? String(cost) : "over 1e9";
    throw new AppError(
      ErrorCode.BAD_USER_INPUT,
      `Operation complexity ${shown} exceeds the limit of ${limits.maxComplexity}; request fewer fields.`,
      { reason: "COMPLEXITY_LIMIT" },
    );
  }
}

export function complexityPlugin(limits?: QueryLimits): ApolloServerPlugin {
  return {
    requestDidStart: async () => ({
      didResolveOperation: async ({ document, request }) => {
        try {
          checkComplexity(document, request.operationName ?? undefined, limits);
        } catch (e) {
          if (!(e instanceof AppError)) throw e;
          // Apollo answers errors thrown here with 500 unless told otherwise; a refused operation is the
          // client's doing. `http` is read and removed from the response by Apollo.
          throw new GraphQLError(e.message, {
            extensions: { ...e.extensions, http: { status: 400 } },
          });
        }
      },
    }),
  };
}
