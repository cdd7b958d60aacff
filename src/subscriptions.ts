import {
  GraphQLError,
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

/**
 * What makes 1,000 subscribers of the same stream cheap: the document of a query text is parsed and
 * validated once and shared (graphql-ws would keep a parsed copy per subscription, ~23 KB each), and each
 * event is executed once per document and variables instead of once per subscriber.
 */
export class SubscriptionEngine {
  private readonly documents = new Map<string, DocumentNode | readonly GraphQLError[]>();
  /** Recent events only: a subscriber that lags further behind just executes again. */
  private readonly results = new Map<object, Map<string, ExecutionResult | Promise<ExecutionResult>>>();
  private readonly docIds = new WeakMap<DocumentNode, number>();
  private nextDocId = 1;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly extraRules: readonly ValidationRule[] = [],
    private readonly maxDocuments = 500,
    private readonly maxEvents = 128,
  ) {}

  /** The parsed, validated document of a query text, or its errors; both cached. */
  prepare(query: string): DocumentNode | readonly GraphQLError[] {
    const hit = this.documents.get(query);
    if (hit) return hit;
    let prepared: DocumentNode | readonly GraphQLError[];
    try {
      const doc = parse(query);
      const errors = validate(this.schema, doc, [...specifiedRules, ...this.extraRules]);
      prepared = errors.length > 0 ? errors : doc;
    } catch (e) {
      prepared = [e instanceof GraphQLError ? e : new GraphQLError(String(e))];
    }
    if (this.documents.size >= this.maxDocuments) this.documents.delete(this.documents.keys().next().value!);
    this.documents.set(query, prepared);
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
    const key = `${JSON.stringify(args.variableValues ?? {})}\u0000${args.operationName ?? ""}`;
    return mapAsyncIterator(stream, (event) => this.execute(args, event, key));
  }

  private execute(args: ExecutionArgs, event: unknown, variablesKey: string) {
    if (typeof event !== "object" || event === null) return execute({ ...args, rootValue: event });
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

/** Maps each value of an async iterator, passing return() through so the source is released. */
export function mapAsyncIterator<T, U>(
  source: AsyncIterable<T>,
  fn: (value: T) => U | Promise<U>,
): AsyncIterableIterator<U> {
  const it = source[Symbol.asyncIterator]();
  const map = async (r: IteratorResult<T>): Promise<IteratorResult<U>> =>
    r.done ? { value: undefined, done: true } : { value: await fn(r.value), done: false };
  return {
    next: () => it.next().then(map),
    return: () => (it.return ? it.return().then(map) : Promise.resolve({ value: undefined, done: true })),
    throw: (e?: unknown) => (it.throw ? it.throw(e).then(map) : Promise.reject(e)),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
