/**
 * The server side of the quotes fan-out figure, in its own process: either the product (simulators + server
 * over the real adapters) or a bare graphql-ws server publishing the brokerage's quotes. Drives prices at a
 * set rate with `setPrice` and records when the brokerage emits each tick (the source time stamp).
 */
import "reflect-metadata";
import { setMaxListeners } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createPubSub } from "@graphql-yoga/subscription";
import { buildSchema } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import { serveRpc } from "../lib/child-rpc";
import { simStock } from "../lib/sim-stock";
import { sleep, wallNow } from "../lib/stats";
import { ACCOUNT, startSimSystem, type SimSystem } from "../lib/system";
import {
  createBrokerage,
  DEFAULT_INSTRUMENTS,
  type Brokerage,
  type SimInstrument,
} from "../../src/simulators/brokerage";

export type QuotesServerKind = "server" | "bare";

/** The default five plus five stocks: ten contracts to quote. */
export const QUOTE_INSTRUMENTS: readonly SimInstrument[] = [
  ...DEFAULT_INSTRUMENTS,
  simStock(4815747, "NVDA", "NVIDIA CORP", 120),
  simStock(3691937, "AMZN", "AMAZON.COM INC", 180),
  simStock(76792991, "TSLA", "TESLA INC", 250),
  simStock(208813719, "GOOGL", "ALPHABET INC-CL A", 160),
  simStock(107113386, "META", "META PLATFORMS INC-CLASS A", 500),
];

/** The key a tick is matched by on both sides: the contract and its new last price. */
export const tickKey = (conid: number, last: number): string => `${conid}|${last.toFixed(6)}`;

/** The Quote part of the product schema, as plain SDL (DateTime as ISO strings). */
const SDL = `
  scalar DateTime
  enum SecType { STK OPT FUT FOP CASH IND BOND CFD CRYPTO FUND WAR BAG }
  enum BrokerApi { TWS CLIENT_PORTAL }
  input ContractInput { conid: Int symbol: String secType: SecType exchange: String currency: String lastTradeDate: String }
  type Contract { conid: Int! symbol: String! secType: SecType! exchange: String currency: String! lastTradeDate: String }
  type Quote {
    contract: Contract! bid: Float ask: Float last: Float bidSize: Float askSize: Float lastSize: Float
    volume: Float open: Float high: Float low: Float close: Float mark: Float impliedVolatility: Float
    delta: Float gamma: Float vega: Float theta: Float underlyingPrice: Float delayed: Boolean!
    source: BrokerApi! asOf: DateTime!
  }
  type Query { ok: Boolean }
  type Subscription { quotes(contracts: [ContractInput!]!): Quote! }
`;

let system: SimSystem | undefined;
let bare: { brokerage: Brokerage; stop(): Promise<void>; subscribers(): number } | undefined;
const emitted = new Map<string, number>();

function brokerage(): Brokerage {
  const b = system?.brokerage ?? bare?.brokerage;
  if (!b) throw new Error("not started");
  return b;
}

/** A bare graphql-ws server: one pubsub topic per contract, the brokerage's quote as the product shapes it. */
async function startBare(): Promise<void> {
  const b = createBrokerage({ accounts: [ACCOUNT], instruments: QUOTE_INSTRUMENTS });
  const byConid = new Map(QUOTE_INSTRUMENTS.map((i) => [i.conid, i]));
  const eventTarget = new EventTarget();
  setMaxListeners(0, eventTarget);
  const pubsub = createPubSub<Record<string, [{ quotes: unknown }]>>({ eventTarget });
  let subscribers = 0;
  const httpServer = createServer();
  const wss = new WebSocketServer({ server: httpServer, path: "/graphql" });
  const cleanup = useServer(
    {
      schema: buildSchema(SDL),
      roots: {
        subscription: {
          quotes: (args: { contracts: { conid: number }[] }) => {
            subscribers++;
            const topics = args.contracts.map((c) => pubsub.subscribe(`q${c.conid}`));
            return merge(topics);
          },
        },
      },
    },
    wss,
  );
  b.on("price", ({ quote }) => {
    const i = byConid.get(quote.conid);
    const d = b.marketData(quote.conid);
    if (!i || !d) return;
    pubsub.publish(`q${quote.conid}`, {
      quotes: {
        contract: {
          conid: i.conid,
          symbol: i.symbol,
          secType: i.secType,
          exchange: i.exchange,
          currency: i.currency,
        },
        bid: d.bid,
        ask: d.ask,
        last: d.last,
        bidSize: d.bidSize,
        askSize: d.askSize,
        lastSize: d.lastSize,
        volume: d.volume,
        open: d.open,
        high: d.high,
        low: d.low,
        close: d.close,
        mark: null,
        impliedVolatility: null,
        delta: null,
        gamma: null,
        vega: null,
        theta: null,
        underlyingPrice: null,
        delayed: false,
        source: "TWS",
        asOf: new Date(d.time).toISOString(),
      },
    });
  });
  await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  const { port } = httpServer.address() as AddressInfo;
  wsUrl = `ws://127.0.0.1:${port}/graphql`;
  bare = {
    brokerage: b,
    subscribers: () => subscribers,
    async stop() {
      await cleanup.dispose();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      b.close();
    },
  };
}

/** Several async iterables as one (the baseline's subscription to several contracts). */
async function* merge<T>(sources: AsyncIterable<T>[]): AsyncGenerator<T> {
  const its = sources.map((s) => s[Symbol.asyncIterator]());
  const next = its.map((it, k) => it.next().then((r) => ({ r, k })));
  try {
    for (;;) {
      const { r, k } = await Promise.race(next);
      if (r.done) return;
      next[k] = its[k]!.next().then((r2) => ({ r: r2, k }));
      yield r.value;
    }
  } finally {
    await Promise.all(its.map((it) => it.return?.()));
  }
}

let wsUrl = "";

serveRpc({
  async start(args: { kind: QuotesServerKind; subscribers: number }) {
    const { kind } = args;
    if (kind === "server") {
      system = await startSimSystem({
        brokerage: { instruments: QUOTE_INSTRUMENTS },
      });
      return { wsUrl: system.server.wsUrl, conids: QUOTE_INSTRUMENTS.map((i) => i.conid) };
    }
    await startBare();
    return { wsUrl, conids: QUOTE_INSTRUMENTS.map((i) => i.conid) };
  },
  subscribers: () => bare?.subscribers() ?? 0,
  /**
   * `count` ticks at `perSecond` in total, round-robin over the contracts, each one tick up from the
   * contract's last (so that every tick's last price is new); recorded unless `warmup`.
   */
  async tick(args: { count: number; perSecond: number; warmup: boolean }) {
    const b = brokerage();
    const intervalMs = 1000 / args.perSecond;
    const t0 = performance.now();
    for (let n = 0; n < args.count; n++) {
      const due = t0 + n * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const i = QUOTE_INSTRUMENTS[n % QUOTE_INSTRUMENTS.length]!;
      const last = b.marketData(i.conid)?.last ?? i.initialPrice;
      // Stamped just before the brokerage emits the tick (setPrice emits synchronously).
      const at = wallNow();
      const q = b.setPrice(i.conid, last + i.minTick);
      if (!args.warmup) emitted.set(tickKey(q.conid, q.last), at);
    }
    return { seconds: (performance.now() - t0) / 1000 };
  },
  /** Streaming reqMktData the TWS simulator received, and the adapter's open lines (product only). */
  lines() {
    if (!system) return null;
    return {
      reqMktData: system.twsSim.marketDataRequests().filter((r) => !r.snapshot).length,
      openTwsLines: system.twsSim.openMarketDataLines(),
      adapterLines: system.broker.marketData.lineCount(),
    };
  },
  emissions: () => Object.fromEntries(emitted),
  async exit() {
    await system?.stop();
    await bare?.stop();
  },
});
