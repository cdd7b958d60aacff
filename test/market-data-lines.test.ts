import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SharedLines } from "../src/brokers/market-data/shared-lines";
import type { MarketDataFeed, QuoteSink } from "../src/brokers/market-data/market-data.types";
import { BrokerApi, SecType } from "../src/schema/enums";
import type { Contract } from "../src/schema/contract.type";
import type { Quote } from "../src/schema/quote.type";
import { eventually } from "./helpers/wait";

const AAPL: Contract = { conid: 265598, symbol: "AAPL", secType: SecType.STK, currency: "USD" };

/** A feed that hands its sinks to the test, which plays the upstream's reports on them. */
function scriptedFeed(): MarketDataFeed & { sinks: QuoteSink[] } {
  const sinks: QuoteSink[] = [];
  return {
    api: BrokerApi.TWS,
    sinks,
    isReady: () => true,
    snapshot: () => Promise.reject(new Error("not used")),
    open(_contract, sink) {
      sinks.push(sink);
      return () => sinks.splice(sinks.indexOf(sink), 1);
    },
    bars: () => Promise.reject(new Error("not used")),
  };
}

/** Resolves after the current I/O turn's setImmediate callbacks ran. */
const nextTurn = () => new Promise<void>((r) => setImmediate(() => setImmediate(r)));

describe("shared lines coalesce an upstream burst", () => {
  it("emits one Quote, the same object to every subscriber, for the reports of one I/O turn", async () => {
    const feed = scriptedFeed();
    const lines = new SharedLines({ feeds: () => [feed], routeCheckMs: 0, lingerMs: 0 });
    const seen: Quote[][] = [[], []];
    const leave = seen.map((list) =>
      lines.subscribe([AAPL], { quote: (q) => list.push(q), error: (e) => assert.fail(e) }),
    );
    try {
      assert.equal(feed.sinks.length, 1, "one upstream line for both subscribers");
      const sink = feed.sinks[0]!;
      // A price move as TWS reports it: one message per tick type, parsed in one socket read.
      for (const values of [
        { bid: 190.01 },
        { bidSize: 300 },
        { ask: 190.03 },
        { askSize: 500 },
        { last: 190.02, lastSize: 200 },
        { volume: 1200 },
        { high: 190.5 },
        { low: 189.9 },
      ])
        sink.data({ values, delayed: false });
      assert.equal(seen[0]!.length, 0, "nothing before the turn ends");
      await eventually("the burst's quote", () => seen[0]!.length > 0);
      await nextTurn();
      assert.equal(seen[0]!.length, 1);
      assert.equal(seen[1]!.length, 1);
      assert.equal(seen[0]![0], seen[1]![0], "the same object: GraphQL executes it once");
      const q = seen[0]![0]!;
      assert.deepEqual(
        [q.bid, q.bidSize, q.ask, q.askSize, q.last, q.lastSize, q.volume, q.high, q.low],
        [190.01, 300, 190.03, 500, 190.02, 200, 1200, 190.5, 189.9],
      );
      assert.equal(q.source, BrokerApi.TWS);

      // The next turn's report is an event of its own; a report that changes nothing is none.
      sink.data({ values: { last: 190.04 } });
      await nextTurn();
      sink.data({ values: { last: 190.04 } });
      await nextTurn();
      assert.deepEqual(
        seen[0]!.map((x) => x.last),
        [190.02, 190.04],
      );
      assert.equal(seen[0]![1]!.bid, 190.01, "fields not reported keep their values");
    } finally {
      for (const l of leave) l();
      lines.close();
    }
  });

  it("drops the pending reports of a line that closed within the turn", async () => {
    const feed = scriptedFeed();
    const lines = new SharedLines({ feeds: () => [feed], routeCheckMs: 0, lingerMs: 0 });
    const seen: Quote[] = [];
    const leave = lines.subscribe([AAPL], { quote: (q) => seen.push(q), error: (e) => assert.fail(e) });
    const sink = feed.sinks[0]!;
    sink.data({ values: { last: 191 } });
    leave();
    await nextTurn();
    assert.deepEqual(seen, []);
    assert.equal(lines.size, 0);
    lines.close();
  });
});
