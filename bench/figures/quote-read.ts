import { join } from "node:path";
import { startChild } from "../lib/child-rpc";
import { GraphQLHttpClient } from "../lib/graphql-client";
import { runLoad, type LoadResult } from "../lib/load";
import { POSITIONS_QUERY } from "../lib/operations";
import { verdict, type FigureResult, type ResultRow } from "../lib/report";
import { envNumber, MIN_P99_SAMPLES, ratio, waitUntil } from "../lib/stats";
import { AAPL, startSimSystem } from "../lib/system";
import { cachedReadsVerdict, failedAnswers, type AnswerCounts } from "../lib/verdicts";
import { QUOTES_SUBSCRIPTION } from "./quotes-fan-out";

/** Within 1.1× of the cached positions read. */
const GOAL = 1 / 1.1;
const CONNECTIONS = 50;

export const QUOTE_QUERY = `query Quote($contract: ContractInput!) {
  quote(contract: $contract) {
    contract { conid symbol secType exchange currency }
    bid ask last bidSize askSize lastSize volume open high low close delayed source asOf
  }
}`;

/**
 * Figure 7: throughput of the `quote` query served from a live line (a `quotes` subscription keeps it open)
 * against the cached `positions` read of the same server, alternating rounds as figure 1 does.
 */
export async function quoteRead(): Promise<FigureResult> {
  const seconds = envNumber("BENCH_QUOTE_SECONDS", 4);
  const rounds = envNumber("BENCH_QUOTE_ROUNDS", 2);
  const system = await startSimSystem();
  const client = new GraphQLHttpClient(system.server.httpUrl);
  const subscriber = startChild(join(__dirname, "..", "children", "quotes-clients.js"));
  const quoteBody = JSON.stringify({ query: QUOTE_QUERY, variables: { contract: { conid: AAPL } } });
  const positionsBody = JSON.stringify({ query: POSITIONS_QUERY });
  try {
    await subscriber.call("connect", {
      url: system.server.wsUrl,
      count: 1,
      query: QUOTES_SUBSCRIPTION,
      variables: { contracts: [{ conid: AAPL }] },
    });
    await waitUntil(
      "the quotes subscription's first quote",
      async () => (await subscriber.call<number>("ready")) >= 1,
    );
    const requestsBefore = system.twsSim.marketDataRequests().length;
    const data = await client.data<{ quote: { last: number | null; delayed: boolean } }>(QUOTE_QUERY, {
      contract: { conid: AAPL },
    });
    if (data.quote.last === null) throw new Error("quote came back without a last price");
    const positions = await client.data<{ positions: unknown[] }>(POSITIONS_QUERY);
    if (positions.positions.length === 0)
      throw new Error("positions came back empty; the seed did not reach TWS");
    const job = (body: string, durationSec: number) => ({
      url: system.server.httpUrl,
      connections: CONNECTIONS,
      durationSec,
      bodies: [body],
      countGraphQLErrors: true,
    });
    await runLoad(job(positionsBody, 1));
    await runLoad(job(quoteBody, 1));
    const base: LoadResult[] = [];
    const ours: LoadResult[] = [];
    for (let i = 0; i < rounds; i++) {
      base.push(await runLoad(job(positionsBody, seconds)));
      ours.push(await runLoad(job(quoteBody, seconds)));
    }
    const upstreamDuringLoad = system.twsSim.marketDataRequests().length - requestsBefore;
    const sum = (list: LoadResult[]): AnswerCounts & { durationSec: number } => ({
      total: list.reduce((s, r) => s + r.total, 0),
      graphqlErrorResponses: list.reduce((s, r) => s + r.graphqlErrorResponses, 0),
      non2xx: list.reduce((s, r) => s + r.non2xx, 0),
      errors: list.reduce((s, r) => s + r.errors, 0),
      timeouts: list.reduce((s, r) => s + r.timeouts, 0),
      durationSec: list.reduce((s, r) => s + r.durationSec, 0),
    });
    const judged = cachedReadsVerdict({ ours: sum(ours), base: sum(base), goal: GOAL });
    const enough = sum(ours).total >= MIN_P99_SAMPLES;
    const tailLabel = enough ? "p99" : "max";
    const tailMs = Math.max(...ours.map((r) => (enough ? r.latencyP99 : r.latencyMax)));
    const errorCodes = [...ours, ...base].flatMap((r) => Object.entries(r.errorCodes));
    const row: ResultRow = {
      figure: "8. Quote read: `quote` from a live line (successful answers only)",
      measured: `${judged.ourRate.toFixed(0)} req/s (${tailLabel} ${tailMs} ms, ${failedAnswers(sum(ours))} failed)`,
      goal: "≥ 1/1.1 of positions, no failed answer",
      baseline: `${judged.baseRate.toFixed(0)} req/s cached positions, same server (${failedAnswers(sum(base))} failed)`,
      ratio: ratio(judged.ratio),
      verdict: verdict(judged.ok),
    };
    return {
      title: "8. Quote read",
      rows: [row],
      notes: [
        `autocannon in a child process, ${CONNECTIONS} connections, ${rounds} alternating rounds of ${seconds} s ` +
          "per query after a 1 s warm-up each, against the same server (the product's composition on the " +
          "simulators); the figure is the mean of the rounds.",
        "The quote query asks for AAPL with every non-option Quote field while one `quotes` subscription of " +
          "AAPL (another process) keeps the line open, so the read is answered from the line's latest quote. " +
          `Market-data requests the TWS simulator received during the load: ${upstreamDuringLoad}.`,
        "The baseline is figure 1's cached `positions` read (every Position field) on this server.",
        ...(errorCodes.length
          ? [`GraphQL error codes: ${JSON.stringify(Object.fromEntries(errorCodes))}.`]
          : []),
        ...(judged.ok
          ? []
          : [
              `Missed: ${judged.failures.join("; ")}.`,
              "No upstream request is made per read (see the count above) and the contract lookup is a cached map " +
                "hit, so the gap is GraphQL-side work that the positions read does not have (not profiled here): " +
                "coercing the ContractInput variable, the complexity analysis of this document, and type-graphql's " +
                "resolver wrapping of the Quote and its nested Contract.",
            ]),
      ],
    };
  } finally {
    await subscriber.stop();
    await client.close();
    await system.stop();
  }
}
