/**
 * Market data as the resolvers see it: quotes (snapshots and streams), historical bars, and the position
 * and account streams. Quotes come from TWS while it is connected, else from Client Portal; contracts are
 * resolved (NOT_FOUND) and inputs checked (BAD_USER_INPUT) before anything is requested upstream.
 */
import { AppError, ErrorCode, badInput } from "../../errors";
import { AsyncQueue } from "../../events";
import type { Logger } from "../../logger";
import type { Caller } from "../broker-service";
import type { AccountSummary } from "../../schema/account.type";
import type { Bar } from "../../schema/bar.type";
import type { Contract, ContractInput } from "../../schema/contract.type";
import type { BarSize, BarSource } from "../../schema/market-data.enums";
import type { Position } from "../../schema/position.type";
import type { Quote } from "../../schema/quote.type";
import { AccountStreams, type AccountStreamsOptions } from "./account-streams";
import { barQuery } from "./bar-spec";
import { HistoryPacer, type HistoryPacingOptions } from "./history-pacing";
import type { MarketDataFeed } from "./market-data.types";
import { SharedLines, toQuote, type LineSubscriber } from "./shared-lines";

export interface MarketDataOptions {
  /** IB's concurrent market-data lines (MARKET_DATA_LINES). @default 100 */
  maxLines?: number;
  /** A line stays open this long after its last subscriber left. @default 2_000 */
  lingerMs?: number;
  /** How often lines are checked against the preferred ready API. @default 500 */
  routeCheckMs?: number;
  historyPacing?: Partial<HistoryPacingOptions>;
  /** How often position and account streams re-read while someone watches. @default 2_000 */
  accountPollMs?: number;
  /** Events buffered per quote subscriber before it is dropped as too slow. @default 1_000 */
  subscriberBuffer?: number;
}

export interface MarketDataDeps extends Omit<AccountStreamsOptions, "pollMs"> {
  /** The feeds of the configured APIs, TWS first. */
  feeds: () => MarketDataFeed[];
  /** Throws SESSION_NOT_READY / BROKER_UNAVAILABLE when no API is usable. */
  assertAnyReady: () => void;
  resolveContract: (input: ContractInput) => Promise<Contract>;
  logger?: Logger;
}

export interface BarsArgs {
  barSize: BarSize;
  duration: string;
  end?: Date | null;
  source?: BarSource | null;
  outsideRth?: boolean | null;
}

export interface MarketDataService {
  quote(contract: ContractInput): Promise<Quote>;
  quotes(contracts: ContractInput[]): Promise<Quote[]>;
  bars(contract: ContractInput, args: BarsArgs): Promise<Bar[]>;
  /**
   * An event per change of any of the contracts' quotes; one upstream line per contract for all callers.
   * `caller` matters only where the stream is relayed from another instance (its credential goes along).
   */
  quoteStream(contracts: ContractInput[], caller?: Caller): Promise<AsyncIterableIterator<Quote>>;
  positionStream(accountId: string | null, caller?: Caller): AsyncIterableIterator<Position>;
  accountStream(accountId: string | null, caller?: Caller): AsyncIterableIterator<AccountSummary>;
  /** Upstream lines in use, for metrics and tests. */
  lineCount(): number;
  close(): void;
}

export function createMarketDataService(
  deps: MarketDataDeps,
  options: MarketDataOptions = {},
): MarketDataService {
  return new UnifiedMarketData(deps, options);
}

/** Identical bars requests within IB's 15 s are answered from here instead of asking again. */
const BARS_CACHE_MS = 15_000;
const MAX_CONTRACTS = 5_000;

class UnifiedMarketData implements MarketDataService {
  private readonly lines: SharedLines;
  private readonly pacer: HistoryPacer;
  private readonly accounts: AccountStreams;
  private readonly barsCache = new Map<string, { at: number; bars: Promise<Bar[]> }>();
  /** Resolved contracts by input, and lookups in flight: 100 subscribers of one contract ask IB once. */
  private readonly contracts = new Map<string, Promise<Contract>>();
  private readonly buffer: number;

  constructor(
    private readonly deps: MarketDataDeps,
    options: MarketDataOptions,
  ) {
    this.lines = new SharedLines({
      feeds: deps.feeds,
      maxLines: options.maxLines,
      lingerMs: options.lingerMs,
      routeCheckMs: options.routeCheckMs,
      logger: deps.logger,
    });
    this.pacer = new HistoryPacer(options.historyPacing);
    this.accounts = new AccountStreams({ ...deps, pollMs: options.accountPollMs });
    this.buffer = options.subscriberBuffer ?? 1_000;
  }

  lineCount(): number {
    return this.lines.size;
  }

  close(): void {
    this.lines.close();
    this.accounts.close();
  }

  async quote(input: ContractInput): Promise<Quote> {
    const contract = await this.resolve(input);
    return this.snapshot(contract);
  }

  async quotes(inputs: ContractInput[]): Promise<Quote[]> {
    this.checkCount(inputs);
    const contracts = await this.resolveAll(inputs);
    return Promise.all(contracts.map((c) => this.snapshot(c)));
  }

  async bars(input: ContractInput, args: BarsArgs): Promise<Bar[]> {
    const query = barQuery(args);
    const contract = await this.resolve(input);
    const feed = this.feed();
    const key = JSON.stringify([feed.api, contract.conid, query]);
    const now = Date.now();
    for (const [k, v] of this.barsCache) if (now - v.at >= BARS_CACHE_MS) this.barsCache.delete(k);
    const hit = this.barsCache.get(key);
    if (hit) return hit.bars;
    await this.pacer.acquire(key, contract.conid);
    const bars = feed.bars(contract, query);
    this.barsCache.set(key, { at: now, bars });
    bars.catch(() => this.barsCache.delete(key));
    return bars;
  }

  async quoteStream(inputs: ContractInput[]): Promise<AsyncIterableIterator<Quote>> {
    this.checkCount(inputs);
    const contracts = await this.resolveAll(inputs);
    let leave: () => void = () => undefined;
    const queue = new AsyncQueue<Quote>(
      this.buffer,
      () => leave(),
      () => new AppError(ErrorCode.RATE_LIMITED, "Quote subscriber too slow: its buffer overflowed."),
    );
    const subscriber: LineSubscriber = {
      quote: (q) => queue.push(q),
      error: (e) => queue.fail(e),
    };
    leave = this.lines.subscribe(contracts, subscriber);
    return queue;
  }

  positionStream(accountId: string | null): AsyncIterableIterator<Position> {
    return this.accounts.positions(accountId, this.buffer);
  }

  accountStream(accountId: string | null): AsyncIterableIterator<AccountSummary> {
    return this.accounts.summaries(accountId, this.buffer);
  }

  // ---- helpers ----

  private checkCount(inputs: ContractInput[]): void {
    if (inputs.length === 0) throw badInput("Give at least one contract.", { field: "contracts" });
    if (inputs.length > this.lines.maxLines) {
      throw badInput(
        `${inputs.length} contracts exceed the ${this.lines.maxLines} market-data lines IB allows ` +
          `(MARKET_DATA_LINES); ask for at most ${this.lines.maxLines}.`,
        { field: "contracts", limit: this.lines.maxLines },
      );
    }
  }

  private async resolveAll(inputs: ContractInput[]): Promise<Contract[]> {
    const out: Contract[] = [];
    // One at a time: a burst of lookups would only queue at the gateway's pacing anyway.
    for (const input of inputs) out.push(await this.resolve(input));
    return out;
  }

  /** A contract lookup shared with every concurrent one for the same input; kept once it succeeded. */
  private resolve(input: ContractInput): Promise<Contract> {
    const key = JSON.stringify([
      input.conid ?? null,
      input.symbol?.trim().toUpperCase() ?? null,
      input.secType ?? null,
      input.exchange?.toUpperCase() ?? null,
      input.currency?.toUpperCase() ?? null,
    ]);
    const known = this.contracts.get(key);
    if (known) return known;
    const p = this.deps.resolveContract(input);
    if (this.contracts.size >= MAX_CONTRACTS) this.contracts.delete(this.contracts.keys().next().value!);
    this.contracts.set(key, p);
    p.catch(() => this.contracts.delete(key));
    return p;
  }

  /** The preferred ready feed, or the reason there is none. */
  private feed(): MarketDataFeed {
    const feeds = this.deps.feeds();
    const ready = feeds.find((f) => f.isReady());
    if (ready) return ready;
    this.deps.assertAnyReady();
    if (feeds.length === 0) {
      throw new AppError(ErrorCode.BROKER_UNAVAILABLE, "No configured IB API serves market data.", {
        state: "DISABLED",
      });
    }
    return feeds[0]!;
  }

  private async snapshot(contract: Contract): Promise<Quote> {
    const open = this.lines.latest(contract.conid);
    if (open) return open;
    const feed = this.feed();
    const release = this.lines.reserve(1);
    try {
      return toQuote(contract, feed.api, await feed.snapshot(contract));
    } finally {
      release();
    }
  }
}
