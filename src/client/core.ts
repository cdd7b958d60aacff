import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print, type FormattedExecutionResult, type GraphQLFormattedError } from "graphql";
import { createClient, type Client } from "graphql-ws";
import { IbkrClientError } from "./errors";
import * as ops from "./generated";

/** Where the server is and how to talk to it. Platform-neutral: the Node entry fills in `webSocketImpl`. */
export interface IbkrClientOptions {
  /** The GraphQL endpoint over HTTP(S), e.g. `http://127.0.0.1:4000/graphql`. */
  url: string;
  /** API_TOKEN (or API_READ_TOKEN: queries and subscriptions only). A function is asked on every request. */
  token?: string | (() => string | undefined);
  /** @default `url` with ws:// or wss:// */
  wsUrl?: string;
  /** A WebSocket constructor; the Node entry passes `ws`, a browser its own. */
  webSocketImpl?: unknown;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Deadline of one HTTP request. @default 30_000 */
  timeoutMs?: number;
}

export type SessionStatus = ops.SessionStatusFieldsFragment;
export type Account = ops.AccountFieldsFragment;
export type Position = ops.PositionFieldsFragment;
export type Order = ops.OrderDetailFragment;
export type PlaceOrderPayload = ops.PlaceOrderPayloadFieldsFragment;
export type OrderEvent = ops.OrderUpdatesSubscription["orderUpdates"];
export type SessionEvent = ops.SessionEventsSubscription["sessionEvents"];
export type Contract = ops.ContractDetailFragment;
export type OptionChain = ops.OptionChainQuery["optionChain"][number];
export type Quote = ops.QuoteFieldsFragment;
export type Bar = ops.BarsQuery["bars"][number];
export type Execution = ops.ExecutionsQuery["executions"][number];
/** An account's new values (`accountId` is set), from `accountUpdates`. */
export type AccountSummaryEvent = ops.AccountUpdatesSubscription["accountUpdates"];
export type {
  BarSize,
  BarSource,
  BrokerApi,
  ContractInput,
  ModifyOrderInput,
  OrderStatus,
  PlaceOrderInput,
  OrderSide,
  OrderType,
  TimeInForce,
  TradingMode,
} from "./generated";

/** A stream's connection, for status displays. */
export type StreamStatus =
  | { state: "connecting" }
  | { state: "live" }
  | { state: "reconnecting"; attempt: number; reason: string }
  | { state: "closed" };

export interface StreamOptions<E> {
  /** Called once per event, in order; an async handler is awaited before the next event. */
  onEvent(event: E): void | Promise<void>;
  /**
   * A refusal reconnecting cannot fix (CURSOR_INVALID, FORBIDDEN, UNAUTHENTICATED, a throwing `onEvent`);
   * the stream has stopped. See `isCursorError`.
   */
  onError?(error: IbkrClientError): void;
  onStatus?(status: StreamStatus): void;
  /**
   * Waits before reconnect attempt `attempt` (1, 2, …). @default exponential from 250 ms to 10 s, with
   * jitter; reset once a connection is live.
   */
  retryWait?(attempt: number): Promise<void>;
}

export interface OrderUpdatesOptions extends StreamOptions<OrderEvent> {
  /** Only this account's orders. */
  accountId?: string;
  /**
   * Resume after this cursor: the `cursor` of the last event your program processed (from an earlier run,
   * e.g. `stream.lastCursor` saved to disk). A cursor names its journal, so one from a server with another
   * DATA_DIR is refused (CURSOR_INVALID, see `isCursorError`) rather than read as a position in this one.
   */
  after?: string;
  /**
   * Older form of `after`: a bare sequence, honoured within the server's journal bounds only (it cannot
   * tell another DATA_DIR's sequence from its own). Ignored when `after` is given.
   * @deprecated pass `after` (an event's `cursor`).
   */
  afterSequence?: number;
}

export interface QuoteUpdatesOptions extends StreamOptions<Quote> {
  /** The contracts to follow; one event per change of any of their quotes. */
  contracts: ops.ContractInput[];
}

export interface EventStream {
  /**
   * The `cursor` of the last event handed to `onEvent` (journaled streams only): save it and pass it as
   * `after` to resume in a later run. The stream itself resumes from it after a drop or a server restart.
   */
  readonly lastCursor: string | undefined;
  /** The sequence of the last event handed to `onEvent` (journaled streams only). */
  readonly lastSequence: number | undefined;
  /**
   * Settles when the first socket is acknowledged by the server (or the stream stops first): await it
   * before placing an order you mean to follow from its first event.
   */
  readonly ready: Promise<void>;
  /** Stops the stream and closes its socket; events not yet handed over are dropped. Safe inside `onEvent`. */
  close(): Promise<void>;
}

/** Where an event of a journaled stream sits: a starting point may have only one of the two. */
interface StreamPosition {
  sequence?: number;
  cursor?: string;
}

/** Omits absent optional variables, so the schema's defaults apply (an explicit null would override them). */
function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Close codes after which reconnecting with the same credentials cannot succeed. */
const FATAL_CLOSE_CODES = new Set([4400, 4401, 4403, 4406]);
/** GraphQL error codes worth a resubscribe (the rest would only be refused again). */
const RETRYABLE_CODES = new Set(["RATE_LIMITED", "BROKER_UNAVAILABLE", "INTERNAL_SERVER_ERROR"]);

export function defaultRetryWait(attempt: number): Promise<void> {
  const ceiling = Math.min(10_000, 250 * 2 ** (attempt - 1));
  return new Promise((resolve) => setTimeout(resolve, ceiling / 2 + (Math.random() * ceiling) / 2));
}

export interface IbkrClient {
  session(): Promise<SessionStatus>;
  accounts(): Promise<Account[]>;
  account(id: string): Promise<Account | null>;
  positions(filter?: ops.PositionsQueryVariables): Promise<Position[]>;
  orders(filter?: ops.OrdersQueryVariables): Promise<Order[]>;
  order(id: string): Promise<Order | null>;
  /** Idempotent by `clientOrderId`. Exactly one of `order` and `confirmation` is set. */
  placeOrder(input: ops.PlaceOrderInput): Promise<PlaceOrderPayload>;
  /** Answers a Client Portal question (`placeOrder`'s `confirmation.replyId`). */
  confirmOrder(replyId: string, confirmed: boolean): Promise<PlaceOrderPayload>;
  modifyOrder(id: string, input: ops.ModifyOrderInput): Promise<Order>;
  cancelOrder(id: string): Promise<Order>;
  reauthenticate(): Promise<SessionStatus>;
  /** Exactly one contract (NOT_FOUND, or AMBIGUOUS_CONTRACT with `extensions.candidates`). */
  contract(input: ops.ContractInput, via?: ops.BrokerApi): Promise<Contract>;
  searchContracts(
    symbol: string,
    options?: { secType?: ops.SecType; via?: ops.BrokerApi },
  ): Promise<Contract[]>;
  optionChain(
    underlying: ops.ContractInput,
    options?: { exchange?: string; via?: ops.BrokerApi },
  ): Promise<OptionChain[]>;
  /** A snapshot quote. */
  quote(contract: ops.ContractInput): Promise<Quote>;
  /** Snapshot quotes, in the order asked. */
  quotes(contracts: ops.ContractInput[]): Promise<Quote[]>;
  /** Historical bars, oldest first. Unset options take the server's defaults (TRADES, regular hours). */
  bars(args: ops.BarsQueryVariables): Promise<Bar[]>;
  /** Executions from the journal, oldest first, each once. */
  executions(filter?: ops.ExecutionsQueryVariables): Promise<Execution[]>;
  /**
   * Every order event once, in order, across socket drops and server restarts: reconnects with backoff
   * and resumes after the `cursor` of the last event delivered. A cursor the server cannot honour (a
   * server on another DATA_DIR, events purged by retention) stops the stream with `onError`
   * (`isCursorError`); it is never guessed around.
   */
  orderUpdates(options: OrderUpdatesOptions): EventStream;
  /** Session changes of both APIs (not replayable: events during a drop are lost; re-read `session`). */
  /**
   * Every session event once, in order, across socket drops and server restarts (journaled like orders);
   * `after` resumes after a saved `cursor`.
   */
  sessionEvents(options: StreamOptions<SessionEvent> & { after?: string }): EventStream;
  /**
   * An event per change of an account's values (not replayable: events during a drop are lost; re-read
   * `accounts` once the stream is live again).
   */
  accountUpdates(options: StreamOptions<AccountSummaryEvent> & { accountId?: string }): EventStream;
  /** An event per position change; a flat position comes with quantity 0 (not replayable, like the above). */
  positionUpdates(options: StreamOptions<Position> & { accountId?: string }): EventStream;
  /** An event per change of any of the contracts' quotes (not replayable: a quote is only ever current). */
  quoteUpdates(options: QuoteUpdatesOptions): EventStream;
  /** Any operation of the schema, typed by its document. */
  request<TData, TVars>(document: TypedDocumentNode<TData, TVars>, variables?: TVars): Promise<TData>;
}

export function createIbkrClient(options: IbkrClientOptions): IbkrClient {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const wsUrl = options.wsUrl ?? options.url.replace(/^http/, "ws");
  const token = () => (typeof options.token === "function" ? options.token() : options.token);

  async function request<TData, TVars>(
    document: TypedDocumentNode<TData, TVars>,
    variables?: TVars,
  ): Promise<TData> {
    const t = token();
    let res: Response;
    try {
      res = await doFetch(options.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/graphql-response+json, application/json",
          ...(t ? { authorization: `Bearer ${t}` } : {}),
        },
        body: JSON.stringify({ query: print(document), variables }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
    } catch (e) {
      throw new IbkrClientError(`request to ${options.url} failed: ${(e as Error).message}`, "NETWORK_ERROR");
    }
    let body: FormattedExecutionResult<TData>;
    try {
      body = (await res.json()) as FormattedExecutionResult<TData>;
    } catch {
      throw new IbkrClientError(`HTTP ${res.status} without a GraphQL body`, "HTTP_ERROR", [], res.status);
    }
    if (body.errors?.length) throw IbkrClientError.fromErrors(body.errors, res.status);
    if (!body.data)
      throw new IbkrClientError(`HTTP ${res.status} without data`, "HTTP_ERROR", [], res.status);
    return body.data;
  }

  /**
   * One subscription kept alive. `resume` (journaled streams) says where an event sits, and builds the
   * variables that resume after the last one delivered; without it, a reconnect subscribes live again.
   */
  function stream<TData, TVars, E>(
    document: TypedDocumentNode<TData, TVars>,
    variables: (from: StreamPosition | undefined) => TVars,
    pick: (data: TData) => E,
    o: StreamOptions<E>,
    resume?: { positionOf(event: E): Required<StreamPosition>; start?: StreamPosition },
  ): EventStream {
    let last = resume?.start;
    let live = false;
    let markReady!: () => void;
    const ready = new Promise<void>((r) => (markReady = r));
    let closed = false;
    let client: Client | undefined;
    let delivery = Promise.resolve();
    let wake: (() => void) | undefined;
    const retryWait = o.retryWait ?? defaultRetryWait;
    const status = (s: StreamStatus) => o.onStatus?.(s);

    const fail = (e: IbkrClientError) => {
      if (closed) return;
      closed = true;
      void client?.dispose();
      markReady();
      status({ state: "closed" });
      o.onError?.(e);
    };

    /** One socket's life: resolves with why it ended (for a retry), or after `fail`. */
    const attempt = () =>
      new Promise<string>((resolve) => {
        const c = createClient({
          url: wsUrl,
          webSocketImpl: options.webSocketImpl,
          connectionParams: () => {
            const t = token();
            return t ? { authorization: `Bearer ${t}` } : {};
          },
          lazy: true,
          retryAttempts: 0,
          on: {
            connected: () => {
              live = true;
              markReady();
              status({ state: "live" });
            },
          },
        });
        client = c;
        wake = () => resolve("closed");
        c.subscribe<TData>(
          {
            query: print(document),
            variables: variables(resume ? last : undefined) as Record<string, unknown> | undefined,
          },
          {
            next: (result) => {
              if (result.errors?.length) {
                const err = IbkrClientError.fromErrors(result.errors);
                if (RETRYABLE_CODES.has(err.code)) resolve(err.message);
                else fail(err);
                return;
              }
              if (!result.data) return;
              const event = pick(result.data as TData);
              if (resume) {
                const at = resume.positionOf(event);
                // Sequences only grow, across restarts too: anything at or before the last delivered one
                // is a repeat (a replay overlapping what the previous socket already delivered).
                if (last?.sequence !== undefined && at.sequence <= last.sequence) return;
                last = at;
              }
              delivery = delivery.then(async () => {
                if (closed) return;
                try {
                  await o.onEvent(event);
                } catch (e) {
                  fail(new IbkrClientError(`onEvent threw: ${(e as Error).message}`, "HANDLER_ERROR"));
                }
              });
            },
            error: (e) => {
              if (Array.isArray(e)) {
                const err = IbkrClientError.fromErrors(e as GraphQLFormattedError[]);
                if (RETRYABLE_CODES.has(err.code)) resolve(err.message);
                else fail(err);
                return;
              }
              const close = e as { code?: unknown; reason?: unknown };
              if (typeof close?.code === "number" && FATAL_CLOSE_CODES.has(close.code)) {
                const code = close.code === 4401 ? "UNAUTHENTICATED" : "SOCKET_CLOSED";
                fail(new IbkrClientError(`socket closed ${close.code}: ${String(close.reason)}`, code));
                return;
              }
              resolve(
                typeof close?.code === "number"
                  ? `socket closed ${close.code}`
                  : `socket error: ${(e as Error)?.message ?? "connection failed"}`,
              );
            },
            // The server ends streams only when it stops; a restarted server is worth reconnecting to.
            complete: () => resolve("server completed the stream"),
          },
        );
      }).finally(() => {
        wake = undefined;
        void client?.dispose();
      });

    void (async () => {
      status({ state: "connecting" });
      let failures = 0;
      while (!closed) {
        live = false;
        const reason = await attempt();
        if (closed) break;
        failures = live ? 1 : failures + 1;
        status({ state: "reconnecting", attempt: failures, reason });
        await Promise.race([retryWait(failures), new Promise<void>((r) => (wake = r))]);
      }
    })();

    return {
      get lastCursor() {
        return last?.cursor;
      },
      get lastSequence() {
        return last?.sequence;
      },
      ready,
      async close() {
        if (closed) return;
        closed = true;
        markReady();
        wake?.();
        status({ state: "closed" });
        // Not awaiting `delivery`: close() may run inside onEvent, which that chain is waiting on.
        await client?.dispose();
      },
    };
  }

  return {
    session: async () => (await request(ops.SessionDocument)).session,
    accounts: async () => (await request(ops.AccountsDocument)).accounts,
    account: async (id) => (await request(ops.AccountDocument, { id })).account,
    positions: async (filter = {}) => (await request(ops.PositionsDocument, filter)).positions,
    orders: async (filter = {}) => (await request(ops.OrdersDocument, filter)).orders,
    order: async (id) => (await request(ops.OrderDocument, { id })).order,
    placeOrder: async (input) => (await request(ops.PlaceOrderDocument, { input })).placeOrder,
    confirmOrder: async (replyId, confirmed) =>
      (await request(ops.ConfirmOrderDocument, { replyId, confirmed })).confirmOrder,
    modifyOrder: async (id, input) => (await request(ops.ModifyOrderDocument, { id, input })).modifyOrder,
    cancelOrder: async (id) => (await request(ops.CancelOrderDocument, { id })).cancelOrder,
    reauthenticate: async () => (await request(ops.ReauthenticateDocument)).reauthenticate,
    contract: async (input, via) =>
      (await request(ops.ContractDocument, { input, via: via ?? null })).contract,
    searchContracts: async (symbol, o = {}) =>
      (await request(ops.SearchContractsDocument, { symbol, secType: o.secType ?? null, via: o.via ?? null }))
        .searchContracts,
    optionChain: async (underlying, o = {}) =>
      (
        await request(ops.OptionChainDocument, {
          underlying,
          // The schema's default (SMART) applies only when the variable is absent, not null.
          ...(o.exchange !== undefined ? { exchange: o.exchange } : {}),
          via: o.via ?? null,
        })
      ).optionChain,
    quote: async (contract) => (await request(ops.QuoteDocument, { contract })).quote,
    quotes: async (contracts) => (await request(ops.QuotesDocument, { contracts })).quotes,
    bars: async (args) => (await request(ops.BarsDocument, withoutUndefined(args))).bars,
    executions: async (filter = {}) => (await request(ops.ExecutionsDocument, filter)).executions,
    orderUpdates: (o) =>
      stream(
        ops.OrderUpdatesDocument,
        (from) => ({
          accountId: o.accountId ?? null,
          // The server refuses both at once. Once an event was delivered its cursor wins; before that the
          // caller's starting point, in the form given.
          ...(from?.cursor !== undefined
            ? { after: from.cursor }
            : from?.sequence !== undefined
              ? { afterSequence: from.sequence }
              : {}),
        }),
        (d) => d.orderUpdates,
        o,
        {
          positionOf: (e) => ({ sequence: e.sequence, cursor: e.cursor }),
          start:
            o.after !== undefined
              ? { cursor: o.after }
              : o.afterSequence !== undefined
                ? { sequence: o.afterSequence }
                : undefined,
        },
      ),
    sessionEvents: (o) =>
      stream(
        ops.SessionEventsDocument,
        // Session events have no sequence-only form: the cursor is the one way to resume.
        (from) => (from?.cursor !== undefined ? { after: from.cursor } : {}),
        (d) => d.sessionEvents,
        o,
        {
          positionOf: (e) => ({ sequence: e.sequence, cursor: e.cursor }),
          start: o.after !== undefined ? { cursor: o.after } : undefined,
        },
      ),
    accountUpdates: (o) =>
      stream(
        ops.AccountUpdatesDocument,
        () => ({ accountId: o.accountId ?? null }),
        (d) => d.accountUpdates,
        o,
      ),
    positionUpdates: (o) =>
      stream(
        ops.PositionUpdatesDocument,
        () => ({ accountId: o.accountId ?? null }),
        (d) => d.positionUpdates,
        o,
      ),
    quoteUpdates: (o) =>
      stream(
        ops.QuoteUpdatesDocument,
        () => ({ contracts: o.contracts }),
        (d) => d.quotes,
        o,
      ),
    request,
  };
}
