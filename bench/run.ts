/**
 * `npm run bench`: every figure against a baseline measured in the same run, one line per figure, and the
 * table in bench/RESULTS.md. Exits non-zero only when a measurement crashes; a missed goal prints MISS.
 *
 * BENCH_ONLY=1,3 runs a subset (RESULTS.md is then left alone); BENCH_VERBOSE=1 also prints each figure's notes.
 */
import "reflect-metadata";
import { writeFileSync } from "node:fs";
import { cachedReads } from "./figures/cached-reads";
import { clusterFanOut } from "./figures/cluster-fan-out";
import { failover } from "./figures/failover";
import { fanOut } from "./figures/fan-out";
import { journal } from "./figures/journal";
import { orderPath } from "./figures/order-path";
import { quoteRead } from "./figures/quote-read";
import { quotesFanOut } from "./figures/quotes-fan-out";
import { uncachedReads } from "./figures/uncached-reads";
import { upstreamEconomy } from "./figures/upstream-economy";
import { formatRow, machineLine, RESULTS_PATH, resultsMarkdown, type FigureResult } from "./lib/report";

const FIGURES: [number, () => Promise<FigureResult>][] = [
  [1, cachedReads],
  [2, uncachedReads],
  [3, fanOut],
  [4, orderPath],
  [5, upstreamEconomy],
  [6, journal],
  [7, quotesFanOut],
  [8, quoteRead],
  [9, failover],
  [10, clusterFanOut],
];

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY?.split(",").map((s) => Number(s.trim()));
  const started = Date.now();
  console.log(`ibkr-graphql bench: ${machineLine()}`);
  if (!(globalThis as { gc?: unknown }).gc) console.log("(run with node --expose-gc for exact heap figures)");
  const results: FigureResult[] = [];
  for (const [n, figure] of FIGURES) {
    if (only && !only.includes(n)) continue;
    const t0 = Date.now();
    const result = await figure();
    results.push(result);
    for (const row of result.rows) console.log(formatRow(row));
    if (process.env.BENCH_VERBOSE) for (const note of result.notes) console.log(`      - ${note}`);
    console.log(`      (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
  const durationSec = (Date.now() - started) / 1000;
  if (only) {
    console.log(`partial run (BENCH_ONLY=${process.env.BENCH_ONLY}): bench/RESULTS.md not rewritten`);
  } else {
    writeFileSync(RESULTS_PATH, resultsMarkdown(results, { date: new Date().toISOString(), durationSec }));
    console.log(`wrote ${RESULTS_PATH}`);
  }
  console.log(`done in ${durationSec.toFixed(0)} s`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error("bench crashed:", e);
    process.exit(1);
  },
);
