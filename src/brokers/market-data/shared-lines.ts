/**
 * One upstream line per contract, however many subscribers watch it: the first subscriber opens it on the
 * preferred ready API, the last one's leaving closes it after a short linger, and a periodic check moves a
 * line to the preferred API when that one comes back (TWS reconnected) or away from an API that went away.
 * Every subscriber of a line gets the same Quote object for an update. The reports of one upstream burst are
 * coalesced into one Quote: TWS reports one price move as about eight messages (bid, ask, last, their sizes,
 * volume, high, low), which arrive in one socket read and are parsed in one I/O turn; emitting each would send
 * every subscriber eight events per move (the quotes fan-out figure measured it). A line's reports are merged
 * until `setImmediate`, i.e. the end of the current I/O turn, so the burst costs one event, and nothing waits
 * for a timer.
 */
import { AppError, ErrorCode } from "../../errors";
import type { Logger } from "../../logger";
import type { Contract } from "../../schema/contract.type";
import type { BrokerApi } from "../../schema/enums";
import type { Quote } from "../../schema/quote.type";
import type { MarketDataFeed, QuoteUpdate } from "./market-data.types";

export interface LineSubscriber {
  quote(q: Quote): void;
  error(e: AppError): void;
}

export interface SharedLinesOptions {
  /** The feeds in order of preference (TWS first). */
  feeds: () => MarketDataFeed[];
  /** IB's concurrent market-data lines. @default 100 */
  maxLines?: number;
  /** A line stays open this long after its last subscriber left. @default 2_000 */
  lingerMs?: number;
  /** How often lines are checked against the preferred ready API. @default 500 */
  routeCheckMs?: number;
  logger?: Logger;
}

interface Line {
  contract: Contract;
  subscribers: Set<LineSubscriber>;
  api: BrokerApi | null;
  close: (() => void) | null;
  quote: Quote | null;
  delayed: boolean;
  linger: NodeJS.Timeout | undefined;
  /** Bumped on every reopen, so that a closed upstream's late reports are dropped. */
  generation: number;
  /** Reports of the current I/O turn, merged, not yet emitted. */
  pending: PendingUpdate | null;
}

interface PendingUpdate {
  api: BrokerApi;
  generation: number;
  values: QuoteUpdate["values"];
  delayed: boolean | undefined;
  at: Date | undefined;
}

export class SharedLines {
  readonly maxLines: number;
  private readonly lines = new Map<number, Line>();
  private readonly lingerMs: number;
  private readonly routeCheckMs: number;
  private timer: NodeJS.Timeout | undefined;
  private reserved = 0;

  constructor(private readonly options: SharedLinesOptions) {
    this.maxLines = options.maxLines ?? 100;
    this.lingerMs = options.lingerMs ?? 2_000;
    this.routeCheckMs = options.routeCheckMs ?? 500;
  }

  /** Lines open upstream (or waiting for an API), lingering ones included. */
  get size(): number {
    return this.lines.size;
  }

  /**
   * The latest quote of an open line, if it has one from the preferred ready API: after that API went away
   * (a TWS drop) the line's last quote is stale until the line moves, so a read takes a snapshot instead.
   */
  latest(conid: number): Quote | null {
    const q = this.lines.get(conid)?.quote;
    return q && q.source === this.preferred()?.api ? q : null;
  }

  /** Lines not in use that a snapshot may take for a moment; RATE_LIMITED when none is free. */
  reserve(count: number): () => void {
    this.assertFree(count);
    this.reserved += count;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.reserved -= count;
    };
  }

  /**
   * Subscribes to each contract's line, opening the missing ones. All or nothing: when the lines would
   * exceed the limit nothing is subscribed and RATE_LIMITED says how many are in use.
   */
  subscribe(contracts: Contract[], subscriber: LineSubscriber): () => void {
    const missing = new Set(contracts.map((c) => c.conid).filter((id) => !this.lines.has(id)));
    this.assertFree(missing.size);
    const conids = [...new Set(contracts.map((c) => c.conid))];
    for (const c of contracts) {
      let line = this.lines.get(c.conid);
      if (!line) {
        line = {
          contract: c,
          subscribers: new Set(),
          api: null,
          close: null,
          quote: null,
          delayed: false,
          linger: undefined,
          generation: 0,
          pending: null,
        };
        this.lines.set(c.conid, line);
        this.open(line);
      }
      clearTimeout(line.linger);
      line.linger = undefined;
      if (!line.subscribers.has(subscriber)) {
        line.subscribers.add(subscriber);
        if (line.quote) subscriber.quote(line.quote);
      }
    }
    this.ensureTimer();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      for (const id of conids) this.leave(id, subscriber);
    };
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const line of this.lines.values()) {
      clearTimeout(line.linger);
      line.close?.();
    }
    this.lines.clear();
  }

  private assertFree(needed: number): void {
    const inUse = this.lines.size + this.reserved;
    if (needed > 0 && inUse + needed > this.maxLines) {
      throw new AppError(
        ErrorCode.RATE_LIMITED,
        `All ${this.maxLines} market-data lines are in use (MARKET_DATA_LINES, IB's limit of concurrent ` +
          `lines); ${needed} more are needed. Retry when other subscriptions end.`,
        { limit: this.maxLines, inUse, needed },
      );
    }
  }

  private leave(conid: number, subscriber: LineSubscriber): void {
    const line = this.lines.get(conid);
    if (!line || !line.subscribers.delete(subscriber) || line.subscribers.size > 0) return;
    const release = () => {
      if (line.subscribers.size > 0 || this.lines.get(conid) !== line) return;
      this.lines.delete(conid);
      line.generation++;
      line.close?.();
      line.close = null;
      if (this.lines.size === 0) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
    if (this.lingerMs <= 0) release();
    else {
      line.linger = setTimeout(release, this.lingerMs);
      line.linger.unref();
    }
  }

  private preferred(): MarketDataFeed | undefined {
    return this.options.feeds().find((f) => f.isReady());
  }

  /** Opens the line on the preferred ready API; without one it waits for the route check. */
  private open(line: Line): void {
    const feed = this.preferred();
    if (!feed) return;
    const generation = ++line.generation;
    line.api = feed.api;
    try {
      line.close = feed.open(line.contract, {
        data: (u) => {
          if (line.generation === generation) this.update(line, feed.api, u);
        },
        error: (e) => {
          if (line.generation !== generation) return;
          line.generation++;
          line.close?.();
          line.close = null;
          line.api = null;
          this.lines.delete(line.contract.conid);
          clearTimeout(line.linger);
          for (const s of [...line.subscribers]) s.error(e);
          line.subscribers.clear();
        },
      });
    } catch (e) {
      line.api = null;
      line.close = null;
      this.options.logger?.warn({ err: e, conid: line.contract.conid }, "market data: line did not open");
    }
  }

  /** Merges a report into the line's pending update; the first of an I/O turn schedules the flush. */
  private update(line: Line, api: BrokerApi, u: QuoteUpdate): void {
    let p = line.pending;
    if (p && p.generation !== line.generation) {
      // The line was reopened (on another API) within the turn: the old upstream's values are dropped.
      p = null;
    }
    if (!p) {
      p = { api, generation: line.generation, values: {}, delayed: undefined, at: undefined };
      line.pending = p;
      setImmediate(() => {
        if (line.pending === p) this.flush(line);
      });
    }
    Object.assign(p.values, u.values);
    if (u.delayed !== undefined) p.delayed = u.delayed;
    if (u.at && (!p.at || u.at > p.at)) p.at = u.at;
  }

  private flush(line: Line): void {
    const p = line.pending;
    line.pending = null;
    if (!p || p.generation !== line.generation) return;
    this.emit(line, p.api, { values: p.values, delayed: p.delayed, at: p.at });
  }

  private emit(line: Line, api: BrokerApi, u: QuoteUpdate): void {
    if (u.delayed !== undefined) line.delayed = u.delayed;
    const prev = line.quote;
    const q = Object.assign({}, prev?.source === api ? prev : emptyValues(), u.values, {
      contract: line.contract,
      delayed: line.delayed,
      source: api,
      asOf: u.at ?? new Date(),
    });
    if (prev && prev.source === api && sameValues(prev, q)) return;
    line.quote = q;
    for (const s of line.subscribers) s.quote(q);
  }

  private ensureTimer(): void {
    if (this.timer || this.routeCheckMs <= 0) return;
    this.timer = setInterval(() => this.reroute(), this.routeCheckMs);
    this.timer.unref();
  }

  /** Moves lines to the preferred ready API; lines that wait for an API get one. */
  private reroute(): void {
    const feed = this.preferred();
    if (!feed) return;
    for (const line of this.lines.values()) {
      if (line.api === feed.api && line.close) continue;
      this.options.logger?.debug(
        { conid: line.contract.conid, from: line.api, to: feed.api },
        "market data: line moves to the preferred API",
      );
      line.generation++;
      line.close?.();
      line.close = null;
      // The old API's last quote is not this API's: a `quote` read takes a snapshot until the new line reports.
      if (line.api !== feed.api) line.quote = null;
      this.open(line);
    }
  }
}

const VALUE_KEYS = [
  "bid",
  "ask",
  "last",
  "bidSize",
  "askSize",
  "lastSize",
  "volume",
  "open",
  "high",
  "low",
  "close",
  "mark",
  "impliedVolatility",
  "delta",
  "gamma",
  "vega",
  "theta",
  "underlyingPrice",
] as const;

function emptyValues(): Partial<Quote> {
  return Object.fromEntries(VALUE_KEYS.map((k) => [k, null]));
}

function sameValues(a: Quote, b: Quote): boolean {
  return a.delayed === b.delayed && VALUE_KEYS.every((k) => (a[k] ?? null) === (b[k] ?? null));
}

/** A full quote from one update (snapshots). */
export function toQuote(contract: Contract, api: BrokerApi, u: QuoteUpdate): Quote {
  return Object.assign({}, emptyValues(), u.values, {
    contract,
    delayed: u.delayed ?? false,
    source: api,
    asOf: u.at ?? new Date(),
  });
}
