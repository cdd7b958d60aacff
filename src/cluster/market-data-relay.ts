import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import type { Caller } from "../brokers";
import type { BarsArgs, MarketDataService } from "../brokers/market-data/market-data-service";
import { AppError, ErrorCode, badInput } from "../errors";
import { AsyncQueue } from "../events";
import type { AccountSummary } from "../schema/account.type";
import type { ClusterStatus } from "../schema/cluster.type";
import type { ContractInput } from "../schema/contract.type";
import type { Position } from "../schema/position.type";
import type { Quote } from "../schema/quote.type";

/**
 * Every field a local subscriber may select, asked of the leader once per relayed stream: the standby
 * executes each subscriber's own selection against the object it rebuilds. Kept in step with the schema
 * by test/cluster-relay.test.ts (a subscriber selecting every field).
 */
const CONTRACT = `contract { conid symbol secType exchange currency description lastTradeDate localSymbol
  multiplier right strike tradingClass underlyingConid }`;
const RELAYED = {
  quotes: `subscription Relay($c: [ContractInput!]!) { quotes(contracts: $c) { ${CONTRACT} bid ask last
    bidSize askSize lastSize volume open high low close mark impliedVolatility delta gamma vega theta
    underlyingPrice delayed source asOf } }`,
  positionUpdates: `subscription Relay($a: ID) { positionUpdates(accountId: $a) { accountId ${CONTRACT}
    quantity averageCost marketPrice marketValue unrealizedPnl realizedPnl source asOf } }`,
  accountUpdates: `subscription Relay($a: ID) { accountUpdates(accountId: $a) { accountId asOf availableFunds
    buyingPower currency dailyPnl equityWithLoan excessLiquidity grossPositionValue initMarginReq
    maintMarginReq netLiquidation realizedPnl source totalCash unrealizedPnl } }`,
} as const;
type Field = keyof typeof RELAYED;

/** Codes that say the subscription itself is wrong (or not allowed): retrying elsewhere cannot help. */
const FINAL = new Set<string>([
  ErrorCode.BAD_USER_INPUT,
  ErrorCode.UNAUTHENTICATED,
  ErrorCode.FORBIDDEN,
  ErrorCode.NOT_FOUND,
  ErrorCode.AMBIGUOUS_CONTRACT,
  ErrorCode.RATE_LIMITED,
  ErrorCode.TOO_MANY_SUBSCRIPTIONS,
  ErrorCode.MARKET_DATA_UNAVAILABLE,
  "GRAPHQL_VALIDATION_FAILED",
]);

/** A source open this long before it ended is a working one that failed, not one more failed attempt. */
const SOURCE_STOOD_MS = 5_000;

/** Relayed streams per WebSocket to the leader: below its default limit of operations per connection. */
const OPS_PER_SOCKET = 64;

interface Pooled {
  client: Client;
  url: string;
  credential: string;
  /** Relayed streams on it now. */
  ops: number;
}

/** graphql-ws close codes of a refused connection: the leader did not accept the subscriber's credential. */
const REFUSED_CLOSE = new Set([4401, 4403]);

export interface MarketDataRelayOptions {
  cluster: () => ClusterStatus;
  /** This instance's leader market data while its leader service is started; undefined otherwise. */
  local: () => MarketDataService | undefined;
  /** Snapshots and bars on a standby (HTTP forwards those queries to the leader before they get here). */
  standby: MarketDataService;
  /** Between attempts to reach a leader after a relayed stream lost its source. @default 250 */
  retryMs?: number;
  /** A relayed stream that found no leader for this long fails its subscribers (LEADER_UNAVAILABLE). @default 60_000 */
  giveUpMs?: number;
  /** Events buffered per local subscriber before it is dropped as too slow. @default 1_000 */
  subscriberBuffer?: number;
  logger?: { warn(obj: object, msg: string): void };
}

interface Subscriber {
  push(value: unknown): void;
  fail(error: unknown): void;
}

/**
 * Where a relayed stream's events come from now: this process's leader service (the object itself, so a
 * new service after a demotion and a promotion is a new target), or a leader's URL.
 */
type Target = MarketDataService | string;

/**
 * Market data and live account streams on every instance of a shared deployment. The leader's IB lines
 * are the only upstream: a standby opens ONE graphql-ws subscription to the leader per contract (or per
 * account filter) and per credential, and fans its events out to all its local subscribers, so 100
 * subscribers of AAPL on a standby are one subscription at the leader and still one IB line there.
 *
 * The leader checks the subscriber's own credential: the relayed subscription carries the Authorization
 * the subscriber presented here, and subscribers with different credentials never share one (a read token
 * never rides on a trade token's connection, and a token the leader refuses fails only its own holders).
 *
 * When the leader changes (dies, is demoted, or this instance is promoted), each relayed stream re-opens
 * against the new leader, in-process once this instance leads, without the client subscribing again.
 */
export class MarketDataRelay implements MarketDataService {
  private readonly streams = new Map<string, RelayedStream>();
  /**
   * WebSockets to the leader by URL and credential, shared by that credential's relayed streams, each
   * carrying at most OPS_PER_SOCKET of them (the leader limits operations per connection, 100 by default).
   */
  private readonly clients = new Map<string, Pooled>();
  private nextClientId = 0;
  private readonly buffer: number;

  constructor(readonly options: MarketDataRelayOptions) {
    this.buffer = options.subscriberBuffer ?? 1_000;
  }

  private get service(): MarketDataService {
    return this.options.local() ?? this.options.standby;
  }

  quote(contract: ContractInput) {
    return this.service.quote(contract);
  }
  quotes(contracts: ContractInput[]) {
    return this.service.quotes(contracts);
  }
  bars(contract: ContractInput, args: BarsArgs) {
    return this.service.bars(contract, args);
  }
  /** The leader's IB lines; a standby has none. */
  lineCount(): number {
    return this.options.local()?.lineCount() ?? 0;
  }

  quoteStream(contracts: ContractInput[], caller?: Caller): Promise<AsyncIterableIterator<Quote>> {
    if (contracts.length === 0) throw badInput("Give at least one contract.", { field: "contracts" });
    return Promise.resolve(
      this.join<Quote>(
        contracts.map((c) => ["quotes", c]),
        caller,
      ),
    );
  }

  positionStream(accountId: string | null, caller?: Caller): AsyncIterableIterator<Position> {
    return this.join<Position>([["positionUpdates", accountId]], caller);
  }

  accountStream(accountId: string | null, caller?: Caller): AsyncIterableIterator<AccountSummary> {
    return this.join<AccountSummary>([["accountUpdates", accountId]], caller);
  }

  /** Relayed streams open now (one per contract or account filter, and credential), for tests and metrics. */
  relayedCount(): number {
    return this.streams.size;
  }

  /**
   * The leader may have changed: streams whose source is no longer the leader re-open against the one
   * that is. Called on every change of role or of leader; a source that fails also re-opens by itself.
   */
  reroute(): void {
    const target = this.target();
    for (const s of this.streams.values()) if (s.target !== target) s.open();
    for (const [key, pooled] of this.clients) {
      if (pooled.url !== target) {
        this.clients.delete(key);
        void pooled.client.dispose();
      }
    }
  }

  close(): void {
    for (const s of [...this.streams.values()]) s.fail(closedError());
    this.streams.clear();
    for (const c of this.clients.values()) void c.client.dispose();
    this.clients.clear();
  }

  // ---- internals ----

  /** Where relayed streams should read now; undefined while no leader is known (or it is not started). */
  target(): Target | undefined {
    const local = this.options.local();
    if (local) return local;
    const c = this.options.cluster();
    if (!c.leaderUrl || !c.leaderId || c.leaderId === c.instanceId) return undefined;
    return c.leaderUrl;
  }

  private join<T>(parts: [Field, ContractInput | string | null][], caller?: Caller): AsyncQueue<T> {
    const credential = caller?.credential ?? "";
    const joined: RelayedStream[] = [];
    const queue = new AsyncQueue<T>(
      this.buffer,
      () => {
        for (const s of joined) s.leave(subscriber);
      },
      () => new AppError(ErrorCode.RATE_LIMITED, "Subscriber too slow: its buffer overflowed."),
    );
    const subscriber: Subscriber = {
      push: (v) => queue.push(v as T),
      fail: (e) => queue.fail(e),
    };
    // A relayed subscription is not relayed again: the instance it reached thought it led, and a second
    // hop could go round in circles during a change of leader. The relaying instance retries instead.
    if (caller?.relayedBy && !this.options.local()) {
      queue.fail(
        new AppError(ErrorCode.LEADER_UNAVAILABLE, "This instance does not lead: relay to the leader.", {
          retryable: true,
        }),
      );
      return queue;
    }
    for (const [field, arg] of parts) {
      const key = JSON.stringify([field, credential, normalize(arg)]);
      let stream = this.streams.get(key);
      if (!stream) {
        stream = new RelayedStream(this, key, field, arg, credential);
        this.streams.set(key, stream);
        stream.join(subscriber);
        stream.open();
      } else stream.join(subscriber);
      joined.push(stream);
    }
    return queue;
  }

  /** Called by a stream whose last subscriber left. */
  forget(stream: RelayedStream): void {
    if (this.streams.get(stream.key) === stream) this.streams.delete(stream.key);
  }

  /** A subscription on a socket to the leader with room for it; the returned function ends it. */
  subscribeRemote(
    url: string,
    credential: string,
    payload: { query: string; variables: Record<string, unknown> },
    sink: Parameters<Client["subscribe"]>[1],
  ): () => void {
    let pooled = [...this.clients.values()].find(
      (p) => p.url === url && p.credential === credential && p.ops < OPS_PER_SOCKET,
    );
    if (!pooled) pooled = this.connect(url, credential);
    const p = pooled;
    p.ops++;
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      p.ops--;
    };
    const stop = p.client.subscribe(payload, {
      next: (r) => sink.next(r),
      error: (e) => {
        end();
        sink.error(e);
      },
      complete: () => {
        end();
        sink.complete();
      },
    });
    return () => {
      end();
      stop();
    };
  }

  private connect(url: string, credential: string): Pooled {
    const key = `${url}\u0000${credential}\u0000${this.nextClientId++}`;
    const wsUrl = new URL("/graphql", url);
    wsUrl.protocol = wsUrl.protocol === "https:" ? "wss:" : "ws:";
    const c = this.options.cluster();
    const client = createClient({
      url: wsUrl.toString(),
      webSocketImpl: WebSocket,
      connectionParams: {
        ...(credential ? { authorization: credential } : {}),
        relayedBy: c.instanceId,
      },
      // The relay retries on its own terms (the leader may have changed meanwhile).
      retryAttempts: 0,
      lazy: true,
      // A leader that stopped answering (paused, partitioned) is noticed without waiting for TCP.
      keepAlive: 5_000,
      on: {
        closed: () => {
          if (this.clients.get(key)?.client === client) this.clients.delete(key);
        },
      },
    });
    const pooled: Pooled = { client, url, credential, ops: 0 };
    this.clients.set(key, pooled);
    return pooled;
  }
}

/** One relayed stream: one source (the leader), many local subscribers. */
class RelayedStream {
  private readonly subscribers = new Set<Subscriber>();
  /** Stops the current source; bumping `generation` makes its late events and endings ignored. */
  private stopSource: (() => void) | undefined;
  private generation = 0;
  private retry: NodeJS.Timeout | undefined;
  /** Since when no source has delivered or been open: after giveUpMs the subscribers are failed. */
  private leaderlessSince: number | undefined;
  target: Target | undefined;

  constructor(
    private readonly relay: MarketDataRelay,
    readonly key: string,
    private readonly field: Field,
    private readonly arg: ContractInput | string | null,
    private readonly credential: string,
  ) {}

  join(s: Subscriber): void {
    this.subscribers.add(s);
  }

  leave(s: Subscriber): void {
    this.subscribers.delete(s);
    if (this.subscribers.size === 0) this.stop();
  }

  fail(error: unknown): void {
    const subs = [...this.subscribers];
    this.stop();
    for (const s of subs) s.fail(error);
  }

  private stop(): void {
    this.generation++;
    clearTimeout(this.retry);
    this.stopSource?.();
    this.stopSource = undefined;
    this.subscribers.clear();
    this.relay.forget(this);
  }

  /** (Re)opens the source on whichever leader there is now. */
  open(): void {
    const gen = ++this.generation;
    clearTimeout(this.retry);
    this.stopSource?.();
    this.stopSource = undefined;
    if (this.subscribers.size === 0) return;
    const target = this.relay.target();
    this.target = target;
    if (target === undefined) {
      this.later(gen);
      return;
    }
    const deliver = (value: unknown) => {
      if (gen !== this.generation) return;
      this.leaderlessSince = undefined;
      for (const s of this.subscribers) s.push(value);
    };
    const openedAt = performance.now();
    const ended = (error: unknown) => {
      if (gen !== this.generation) return;
      this.stopSource = undefined;
      // A source that stood for a while served its stream (a quiet one delivers nothing): the time without
      // a leader counts from now, not from an earlier failover.
      if (performance.now() - openedAt > SOURCE_STOOD_MS) this.leaderlessSince = undefined;
      const final = finalError(error);
      if (final) this.fail(final);
      else this.later(gen);
    };
    this.stopSource =
      typeof target === "string"
        ? this.openRemote(target, deliver, ended)
        : this.openLocal(target, deliver, ended);
  }

  /** Tries again shortly, unless no leader was found for too long. */
  private later(gen: number): void {
    if (gen !== this.generation) return;
    this.target = undefined;
    const now = performance.now();
    this.leaderlessSince ??= now;
    const giveUpMs = this.relay.options.giveUpMs ?? 60_000;
    if (now - this.leaderlessSince > giveUpMs) {
      this.fail(
        new AppError(
          ErrorCode.LEADER_UNAVAILABLE,
          `No leader served this stream for ${Math.round(giveUpMs / 1000)} s; subscribe again later.`,
          { retryable: true },
        ),
      );
      return;
    }
    this.retry = setTimeout(() => {
      if (gen === this.generation) this.open();
    }, this.relay.options.retryMs ?? 250);
    this.retry.unref();
  }

  private openLocal(
    service: MarketDataService,
    deliver: (v: unknown) => void,
    ended: (e: unknown) => void,
  ): () => void {
    let stopped = false;
    let it: AsyncIterator<unknown> | undefined;
    void (async () => {
      try {
        it =
          this.field === "quotes"
            ? await service.quoteStream([this.arg as ContractInput])
            : this.field === "positionUpdates"
              ? service.positionStream(this.arg as string | null)
              : service.accountStream(this.arg as string | null);
        if (stopped) {
          void it.return?.();
          return;
        }
        for (;;) {
          const r = await it.next();
          if (stopped) return;
          if (r.done) break;
          deliver(r.value);
        }
        ended(undefined);
      } catch (e) {
        if (!stopped) ended(e);
      }
    })();
    return () => {
      stopped = true;
      void it?.return?.();
    };
  }

  private openRemote(url: string, deliver: (v: unknown) => void, ended: (e: unknown) => void): () => void {
    const variables = this.field === "quotes" ? { c: [this.arg] } : { a: this.arg };
    return this.relay.subscribeRemote(
      url,
      this.credential,
      { query: RELAYED[this.field], variables },
      {
        next: (r) => {
          const data = r.data as Record<string, unknown> | null | undefined;
          if (r.errors?.length) ended(r.errors);
          else if (data?.[this.field]) deliver(revive(data[this.field] as Record<string, unknown>));
        },
        error: (e) => ended(e),
        // The leader ended the stream (it is stopping): the next leader takes it on.
        complete: () => ended(undefined),
      },
    );
  }
}

/** The AppError to fail subscribers with, when retrying cannot help; undefined to retry. */
function finalError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return FINAL.has(error.code) ? error : undefined;
  // graphql-ws: an array of formatted GraphQL errors from the leader.
  if (Array.isArray(error)) {
    const first = error[0] as { message?: string; extensions?: Record<string, unknown> } | undefined;
    const code = String(first?.extensions?.code ?? "");
    if (!FINAL.has(code)) return undefined;
    const { code: _code, ...details } = first?.extensions ?? {};
    return new AppError(code as ErrorCode, first?.message ?? code, details);
  }
  // A CloseEvent: the leader refused the subscriber's credential.
  const closeCode = (error as { code?: unknown } | null)?.code;
  if (typeof closeCode === "number" && REFUSED_CLOSE.has(closeCode)) {
    return new AppError(ErrorCode.UNAUTHENTICATED, "The leader refused this subscriber's credential.");
  }
  return undefined;
}

/** The leader's JSON as the objects local resolvers expect (DateTime fields as Dates). */
function revive(value: Record<string, unknown>): Record<string, unknown> {
  return typeof value.asOf === "string" ? { ...value, asOf: new Date(value.asOf) } : value;
}

function normalize(arg: ContractInput | string | null): unknown {
  if (arg === null || typeof arg === "string") return arg;
  return Object.fromEntries(
    Object.entries(arg)
      .filter(([, v]) => v !== undefined && v !== null)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

function closedError(): AppError {
  return new AppError(ErrorCode.LEADER_UNAVAILABLE, "This instance is stopping; subscribe again elsewhere.", {
    retryable: true,
  });
}
