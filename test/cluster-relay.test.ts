import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parse } from "graphql";
import { Agent, request } from "undici";
import {
  ACCOUNT,
  CLUSTER_TOKEN,
  isReady,
  killHard,
  readyLeader,
  type Instance,
  type SimProcess,
} from "./helpers/cluster";
import type { MarketDataService } from "../src/brokers/market-data/market-data-service";
import { MarketDataRelay } from "../src/cluster/market-data-relay";
import { AsyncQueue } from "../src/events";
import type { ContractInput } from "../src/schema/contract.type";
import { InstanceRole } from "../src/schema/enums";
import type { Quote } from "../src/schema/quote.type";
import { Subscription, wsClient } from "./helpers/graphql";
import { clusterForFile } from "./helpers/cluster-suite";
import { eventually, within } from "./helpers/wait";

const LEASE_SECONDS = 2;

// Every field of Quote: what the standby rebuilds from the leader's events must answer any selection.
const QUOTES = parse(`subscription($c: [ContractInput!]!) { quotes(contracts: $c) {
  contract { conid symbol secType exchange currency description lastTradeDate localSymbol multiplier right
    strike tradingClass underlyingConid }
  bid ask last bidSize askSize lastSize volume open high low close mark impliedVolatility delta gamma vega
  theta underlyingPrice delayed source asOf } }`);
const ACCOUNT_UPDATES = parse(
  `subscription($a: ID) { accountUpdates(accountId: $a) { accountId netLiquidation totalCash source asOf } }`,
);

interface QuoteEvent {
  quotes: { contract: { conid: number; symbol: string }; last: number | null; asOf: string };
}

const cluster = clusterForFile("relay", 2, LEASE_SECONDS);

/** The simulator's control API, pinned to its own certificate as the instances pin it. */
async function control<T>(sim: SimProcess, method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
  const dispatcher = new Agent({ connect: { ca: readFileSync(sim.caFile, "utf8") } });
  try {
    const res = await request(`${sim.cpUrl}${path}`, {
      method,
      dispatcher,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    assert.equal(res.statusCode, 200, `${method} ${path}`);
    return (await res.body.json()) as T;
  } finally {
    await dispatcher.close();
  }
}

/** Streaming (not snapshot) TWS lines ever opened for a contract, with when. */
async function streamingLines(
  sim: SimProcess,
  conid: number,
): Promise<{ at: string; clientId: number | null }[]> {
  const md = await control<{
    requests: { conid: number; snapshot: boolean; at: string; clientId: number | null }[];
  }>(sim, "GET", "/sim/tws/market-data");
  return md.requests.filter((r) => r.conid === conid && !r.snapshot);
}

/** The next quote event whose last price is `price`, skipping others (earlier ticks). */
async function quoteAt(sub: Subscription<QuoteEvent>, price: number, timeoutMs: number): Promise<QuoteEvent> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`no quote at ${price} within ${timeoutMs} ms`);
    const r = await sub.next(left);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    if (r.data?.quotes.last === price) return r.data;
  }
}

describe("market data on a standby is relayed from the leader's lines", () => {
  it("standby subscribers share one relayed stream, one IB line, and keep it through a leader kill", async () => {
    const h = cluster();
    const leader = await readyLeader(h.instances, 60_000);
    const standby = h.instances.find((i) => i !== leader) as Instance;
    await eventually("the standby to be ready", () => isReady(standby), 15_000, 50);

    const ws = wsClient(standby.wsUrl, { authorization: `Bearer ${CLUSTER_TOKEN}` });
    const subs = Array.from(
      { length: 5 },
      () => new Subscription<QuoteEvent>(ws, QUOTES, { c: [{ symbol: "AAPL" }] }),
    );
    const account = new Subscription<{ accountUpdates: { accountId: string; source: string } }>(
      ws,
      ACCOUNT_UPDATES,
      { a: ACCOUNT },
    );
    try {
      // The first relayed event: the leader's line is open, its current quote came through.
      const first = await subs[0]!.next(15_000);
      assert.equal(first.errors, undefined, JSON.stringify(first.errors));
      const conid = first.data!.quotes.contract.conid;
      assert.equal(first.data!.quotes.contract.symbol, "AAPL");
      assert.ok(!Number.isNaN(Date.parse(first.data!.quotes.asOf)), "asOf is a DateTime");

      const price1 = 201.25;
      await control(h.sim, "POST", "/sim/prices", { conid, price: price1 });
      for (const s of subs) await quoteAt(s, price1, 10_000);

      // Five subscribers on the standby, one line at IB: the leader's.
      const lines = await streamingLines(h.sim, conid);
      assert.equal(lines.length, 1, `one streaming line for AAPL: ${JSON.stringify(lines)}`);

      const acct = await account.next(15_000);
      assert.equal(acct.errors, undefined, JSON.stringify(acct.errors));
      assert.equal(acct.data?.accountUpdates.accountId, ACCOUNT);

      // Five quote subscribers on the standby share one relayed stream, and the account stream is another.
      const metrics = await (
        await fetch(`${standby.url}/metrics`, { headers: { authorization: `Bearer ${CLUSTER_TOKEN}` } })
      ).text();
      assert.match(metrics, /^ibkr_graphql_cluster_relayed_streams 2$/m);

      // A subscription the leader refuses (no such contract) fails with the leader's code, once: the relay
      // does not retry what no leader could answer.
      const unknown = new Subscription<QuoteEvent>(ws, QUOTES, { c: [{ symbol: "NOSUCHSYMBOL" }] });
      try {
        await assert.rejects(unknown.next(15_000), (e: Error) => {
          assert.match(e.message, /"code":"NOT_FOUND"/);
          return true;
        });
      } finally {
        unknown.dispose();
      }

      // The leader dies: the standby takes over and its subscribers' streams go on, not re-subscribed.
      const killedAt = Date.now();
      await killHard(leader);
      const successor = await readyLeader([standby], 30_000);
      assert.equal(successor, standby);
      // A price move once the new leader's line is open reaches every subscriber.
      const price2 = 202.5;
      await eventually(
        "the new leader's line for AAPL",
        async () => (await streamingLines(h.sim, conid)).some((l) => Date.parse(l.at) >= killedAt),
        15_000,
        50,
      );
      await control(h.sim, "POST", "/sim/prices", { conid, price: price2 });
      for (const s of subs) await quoteAt(s, price2, 10_000);
      const after = (await streamingLines(h.sim, conid)).filter((l) => Date.parse(l.at) >= killedAt);
      assert.equal(after.length, 1, `one line after the failover: ${JSON.stringify(after)}`);
      console.log(
        `# relayed quotes: failover (kill -9 → event on the standby's stream) ${Date.now() - killedAt} ms`,
      );
    } finally {
      for (const s of subs) s.dispose();
      account.dispose();
      await ws.dispose();
    }
  });
});

describe("the relay in one process (its sharing and its re-routing)", () => {
  /** A leader's market data that counts the streams asked of it; `push` sends a quote to all of them. */
  function fakeLeader() {
    const queues: AsyncQueue<Quote>[] = [];
    let returned = 0;
    const service = {
      quoteStream: () => {
        const q = new AsyncQueue<Quote>(100, () => returned++);
        queues.push(q);
        return Promise.resolve(q);
      },
    } as unknown as MarketDataService;
    return {
      service,
      opened: () => queues.length,
      returned: () => returned,
      push: (last: number) => {
        for (const q of queues) q.push({ last } as Quote);
      },
    };
  }

  it("shares one source among subscribers, and moves it to the new leader without a re-subscribe", async () => {
    const a = fakeLeader();
    const b = fakeLeader();
    let current: MarketDataService | undefined = a.service;
    const relay = new MarketDataRelay({
      cluster: () => ({
        instanceId: "x",
        role: InstanceRole.LEADER,
        leaderId: "x",
        leaderUrl: null,
        epoch: 1,
      }),
      local: () => current,
      standby: a.service,
      retryMs: 10,
    });
    try {
      const caller = { client: "test", canTrade: false, credential: "Bearer t" };
      const subs = await Promise.all(
        [1, 2, 3].map(() => relay.quoteStream([{ symbol: "AAPL" } as ContractInput], caller)),
      );
      await eventually("the source to open", () => a.opened() === 1);
      assert.equal(relay.relayedCount(), 1);
      a.push(1);
      for (const s of subs) assert.equal((await within("a quote", s.next())).value.last, 1);

      current = b.service;
      relay.reroute();
      await eventually("the source to move", () => b.opened() === 1 && a.returned() === 1);
      b.push(2);
      for (const s of subs) assert.equal((await within("a quote", s.next())).value.last, 2);
      assert.equal(a.opened(), 1, "the old leader was not asked again");

      for (const s of subs) await s.return?.();
      assert.equal(relay.relayedCount(), 0, "the last subscriber's leaving closes the relayed stream");
      await eventually("the source to be released", () => b.returned() === 1);
    } finally {
      relay.close();
    }
  });
});
