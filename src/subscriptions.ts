import {
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  createSourceEventStream,
  execute,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
  type ValidationRule,
} from "graphql";
import { Pacer } from "./events";

export interface SubscriptionEngineOptions {
  /** Rules run after graphql-js's own (depth). */
  extraRules?: readonly ValidationRule[];
  /** Refuse `__schema` and `__type` (production). @default true (allowed) */
  introspection?: boolean;
  /** Tokens per document, as the HTTP parser is told. @default 15000 */
  maxTokens?: number;
  /** Query texts kept parsed, in characters all together. @default 4 MiB */
  maxDocumentChars?: number;
  /** Events whose executions are kept for other subscribers. @default 128 */
  maxEvents?: number;
  /** Deliveries per turn of the event loop, all subscriptions together. @default 64 */
  deliveriesPerTurn?: number;
}

/** Variables longer than this (as JSON) are not a sharing key: their executions are not kept. */
const MAX_SHARED_VARIABLES_CHARS = 2048;

/**
 * What makes 1,000 subscribers of the same stream cheap: the document of a query text is parsed and
 * validated once and shared (graphql-ws would keep a parsed copy per subscription, ~23 KB each), and each
 * event is executed once per document and variables instead of once per subscriber.
 */
export class SubscriptionEngine {
  private readonly documents = new Map<string, DocumentNode | readonly GraphQLError[]>();
  private documentChars = 0;
  /** Recent events only: a subscriber that lags further behind just executes again. */
  private readonly results = new Map<object, Map<string, ExecutionResult | Promise<ExecutionResult>>>();
  private readonly docIds = new WeakMap<DocumentNode, number>();
  private nextDocId = 1;

  private readonly rules: readonly ValidationRule[];
  private readonly maxEvents: number;
  private readonly maxDocumentChars: number;
  /** Shared by every subscription of the server: what keeps a replay flood from starving everyone else. */
  readonly pacer: Pacer;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly options: SubscriptionEngineOptions = {},
  ) {
    this.rules = [
      ...specifiedRules,
      ...(options.extraRules ?? []),
      ...(options.introspection === false ? [NoSchemaIntrospectionCustomRule] : []),
    ];
    this.maxEvents = options.maxEvents ?? 128;
    this.maxDocumentChars = options.maxDocumentChars ?? 4 * 1024 * 1024;
    this.pacer = new Pacer(options.deliveriesPerTurn ?? 64);
  }

  /** The parsed, validated document of a query text, or its errors; both cached. */
  prepare(query: string): DocumentNode | readonly GraphQLError[] {
    const hit = this.documents.get(query);
    if (hit) return hit;
    let prepared: DocumentNode | readonly GraphQLError[];
    try {
      const doc = parse(query, { maxTokens: this.options.maxTokens ?? 15_000 });
      const errors = validate(this.schema, doc, this.rules);
      prepared = errors.length > 0 ? errors : doc;
    } catch (e) {
      prepared = [e instanceof GraphQLError ? e : new GraphQLError(String(e))];
    }
    // Bounded in characters, not entries: 500 texts of 256 kB each would be 128 MB.
    if (query.length > this.maxDocumentChars / 16) return prepared;
    while (this.documentChars + query.length > this.maxDocumentChars && this.documents.size > 0) {
      const oldest = this.documents.keys().next().value!;
      this.documents.delete(oldest);
      this.documentChars -= oldest.length;
    }
    this.documents.set(query, prepared);
    this.documentChars += query.length;
    return prepared;
  }

  /**
   * graphql's `subscribe`, except that the execution of one event for one document and variables is shared
   * by every subscriber. Safe because subscription results here depend only on the event: no field under
   * `orderUpdates` or `sessionEvents` reads the context.
   */
  async subscribe(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
    const stream = await createSourceEventStream(args);
    if (!isAsyncIterable(stream)) return stream;
    const variables = JSON.stringify(args.variableValues ?? {});
    // Large variables would make every kept execution hold a copy of them: such subscriptions execute alone.
    const key =
      variables.length <= MAX_SHARED_VARIABLES_CHARS
        ? `${variables}\u0000${args.operationName ?? ""}`
        : undefined;
    return mapAsyncIterator(stream, (event) => this.execute(args, event, key), this.pacer);
  }

  private execute(args: ExecutionArgs, event: unknown, variablesKey: string | undefined) {
    if (typeof event !== "object" || event === null || variablesKey === undefined) {
      return execute({ ...args, rootValue: event });
    }
    let perEvent = this.results.get(event);
    if (!perEvent) {
      if (this.results.size >= this.maxEvents) this.results.delete(this.results.keys().next().value!);
      perEvent = new Map();
      this.results.set(event, perEvent);
    }
    let docId = this.docIds.get(args.document);
    if (docId === undefined) {
      docId = this.nextDocId++;
      this.docIds.set(args.document, docId);
    }
    const key = `${docId}\u0000${variablesKey}`;
    let result = perEvent.get(key);
    if (!result) {
      result = execute({ ...args, rootValue: event });
      perEvent.set(key, result);
    }
    return result;
  }
}

function isAsyncIterable(x: unknown): x is AsyncIterable<unknown> {
  return typeof x === "object" && x !== null && Symbol.asyncIterator in x;
}

/**
 * Maps each value of an async iterator, passing return() through so the source is released. With a pacer,
 * each value waits its turn of the event loop first.
 */
export function mapAsyncIterator<T, U>(
  source: AsyncIterable<T>,
  fn: (value: T) => U | Promise<U>,
  pacer?: Pacer,
): AsyncIterableIterator<U> {
  const it = source[Symbol.asyncIterator]();
  const map = async (r: IteratorResult<T>): Promise<IteratorResult<U>> =>
    r.done ? { value: undefined, done: true } : { value: await fn(r.value), done: false };
  const paced = () => {
    const wait = pacer?.turn();
    return wait ? wait.then(() => it.next()) : it.next();
  };
  return {
    next: () => paced().then(map),
    return: () => (it.return ? it.return().then(map) : Promise.resolve({ value: undefined, done: true })),
    throw: (e?: unknown) => (it.throw ? it.throw(e).then(map) : Promise.reject(e)),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
