/**
 * The verdicts of `npm run bench` and `npm run chaos` (bench/lib/verdicts.ts, bench/lib/stats.ts): a run passes
 * only when the feature worked. Each case is a run that used to pass while the feature was broken.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { distribution, formatTail, MIN_P99_SAMPLES, tail } from "../bench/lib/stats";
import {
  cachedReadsVerdict,
  chaosVerdict,
  failedAnswers,
  quotesFanOutVerdict,
  successfulAnswers,
  uncachedReadsVerdict,
  upstreamEconomyVerdict,
  type ChaosCounts,
} from "../bench/lib/verdicts";

const cleanChaos: ChaosCounts = {
  planned: 120,
  placed: 120,
  rejected: 0,
  unresolved: 0,
  lostFills: 0,
  gaps: 0,
  duplicateFills: 0,
  duplicateEvents: 0,
  duplicatePlacements: 0,
  orderMismatches: 0,
  placedMissingFromBook: 0,
};

describe("chaos verdict", () => {
  test("a clean run passes", () => {
    assert.deepEqual(chaosVerdict(cleanChaos), { ok: true, failures: [] });
  });

  const broken: [string, Partial<ChaosCounts>, RegExp][] = [
    ["a lost fill", { lostFills: 1 }, /1 lost/],
    ["a sequence gap", { gaps: 2 }, /2 lost/],
    ["a fill seen twice", { duplicateFills: 1 }, /1 duplicated/],
    ["a double placement", { duplicatePlacements: 1 }, /1 duplicated/],
    [
      "an unresolved order (nothing lost, nothing duplicated)",
      { placed: 119, unresolved: 1 },
      /1 orders left/,
    ],
    ["fewer orders placed than planned", { placed: 100, rejected: 20 }, /100 of 120 planned orders placed/],
    ["the subscriber disagreeing with the book", { orderMismatches: 1 }, /subscriber's view differs/],
    ["an order answered as placed that the book lacks", { placedMissingFromBook: 1 }, /not in the book/],
    ["a run that planned nothing", { planned: 0, placed: 0 }, /measured nothing/],
  ];
  for (const [what, change, reason] of broken) {
    test(`fails on ${what}`, () => {
      const j = chaosVerdict({ ...cleanChaos, ...change });
      assert.equal(j.ok, false);
      assert.ok(
        j.failures.some((f) => reason.test(f)),
        `expected a failure matching ${reason}: ${j.failures.join(" | ")}`,
      );
    });
  }
});

const answers = (over: Partial<Parameters<typeof successfulAnswers>[0]> = {}) => ({
  total: 10_000,
  graphqlErrorResponses: 0,
  non2xx: 0,
  errors: 0,
  timeouts: 0,
  durationSec: 4,
  ...over,
});

describe("cached reads verdict (figure 1)", () => {
  test("throughput counts successful answers only", () => {
    const a = answers({ graphqlErrorResponses: 2_500, non2xx: 500 });
    assert.equal(successfulAnswers(a), 7_000);
    assert.equal(failedAnswers(a), 3_000);
  });

  test("passes at the goal with no failed answer", () => {
    const j = cachedReadsVerdict({ ours: answers({ total: 8_000 }), base: answers(), goal: 0.8 });
    assert.equal(j.ok, true, j.failures.join(" | "));
    assert.equal(j.ourRate, 2_000);
    assert.equal(j.ratio, 0.8);
  });

  test("a server answering every read with an error (HTTP 200) fails, however fast", () => {
    const j = cachedReadsVerdict({
      ours: answers({ total: 50_000, graphqlErrorResponses: 50_000 }),
      base: answers(),
      goal: 0.8,
    });
    assert.equal(j.ok, false);
    assert.equal(j.ourRate, 0);
    assert.ok(
      j.failures.some((f) => /50000 of the server's answers failed/.test(f)),
      j.failures.join(" | "),
    );
  });

  test("one errored answer among many fails the figure", () => {
    const j = cachedReadsVerdict({
      ours: answers({ total: 20_000, graphqlErrorResponses: 1 }),
      base: answers(),
      goal: 0.8,
    });
    assert.equal(j.ok, false);
  });

  test("errors do not inflate the ratio: 10,000 answers of which 3,000 errors is 0.7×, below 0.8×", () => {
    const j = cachedReadsVerdict({
      ours: answers({ graphqlErrorResponses: 3_000 }),
      base: answers(),
      goal: 0.8,
    });
    assert.equal(j.ratio, 0.7);
    assert.ok(j.failures.some((f) => /below 0.8×/.test(f)));
  });
});

describe("uncached reads verdict (figure 2)", () => {
  const ok = { addedP50Ms: 0.5, goalAddedP50Ms: 1, tooMany: 0, queries: 60, upstreamSummaryCalls: 60 };
  test("exactly one upstream call per query passes", () => {
    assert.deepEqual(uncachedReadsVerdict(ok), { ok: true, failures: [] });
  });
  test("a query answered from a cache (fewer upstream calls) fails", () => {
    const j = uncachedReadsVerdict({ ...ok, upstreamSummaryCalls: 59 });
    assert.equal(j.ok, false);
    assert.match(j.failures.join(" | "), /59 upstream summary calls for 60 queries/);
  });
  test("a query costing two upstream calls fails", () => {
    assert.equal(uncachedReadsVerdict({ ...ok, upstreamSummaryCalls: 120 }).ok, false);
  });
  test("a 429 or a slow p50 fails", () => {
    assert.equal(uncachedReadsVerdict({ ...ok, tooMany: 1 }).ok, false);
    assert.equal(uncachedReadsVerdict({ ...ok, addedP50Ms: 1.01 }).ok, false);
    assert.equal(uncachedReadsVerdict({ ...ok, addedP50Ms: NaN }).ok, false);
  });
});

describe("upstream economy verdict (figure 5)", () => {
  const ok = { worstRatio: 0.8, tooMany: 0, reads: answers({ total: 15_000 }) };
  test("within limits, no 429, every read answered passes", () => {
    assert.deepEqual(upstreamEconomyVerdict(ok), { ok: true, failures: [] });
  });
  test("a server answering every read with an error fails (it costs the gateway nothing)", () => {
    const j = upstreamEconomyVerdict({
      worstRatio: 0,
      tooMany: 0,
      reads: answers({ total: 15_000, graphqlErrorResponses: 15_000 }),
    });
    assert.equal(j.ok, false);
    assert.match(j.failures.join(" | "), /15000 of 15000 reads failed/);
    assert.match(j.failures.join(" | "), /no read was answered successfully/);
  });
  test("a single errored read, a 429 or a window over its limit fails", () => {
    assert.equal(upstreamEconomyVerdict({ ...ok, reads: answers({ graphqlErrorResponses: 1 }) }).ok, false);
    assert.equal(upstreamEconomyVerdict({ ...ok, reads: answers({ timeouts: 1 }) }).ok, false);
    assert.equal(upstreamEconomyVerdict({ ...ok, tooMany: 1 }).ok, false);
    assert.equal(upstreamEconomyVerdict({ ...ok, worstRatio: 1.1 }).ok, false);
  });
});

describe("tail figures: p99 only with enough samples", () => {
  test(`below ${MIN_P99_SAMPLES} samples the tail is the max and says so`, () => {
    const d = distribution(Array.from({ length: 60 }, (_, i) => i + 1));
    assert.deepEqual(tail(d), { label: "max", value: 60 });
    assert.equal(formatTail(d), "max 60.00 ms (n = 60)");
  });
  test(`at ${MIN_P99_SAMPLES} samples it is the p99`, () => {
    const d = distribution(Array.from({ length: MIN_P99_SAMPLES }, (_, i) => i + 1));
    assert.deepEqual(tail(d), { label: "p99", value: 990 });
    assert.equal(formatTail(d), "p99 990.00 ms");
  });
});

describe("quotes fan-out verdict (figure 6)", () => {
  const ok = {
    upstreamLines: 10,
    expectedLines: 10,
    tailMs: 30,
    baseTailMs: 40,
    goalMs: 50,
    deliveries: 500_000,
    missed: 0,
    errors: 0,
  };
  test("one line per contract, tail within the goal and the baseline, nothing lost passes", () => {
    assert.deepEqual(quotesFanOutVerdict(ok), { ok: true, failures: [] });
  });
  test("a line per subscriber (or fewer lines than contracts) fails", () => {
    assert.match(
      quotesFanOutVerdict({ ...ok, upstreamLines: 10_000 }).failures.join(),
      /10000 upstream lines/,
    );
    assert.equal(quotesFanOutVerdict({ ...ok, upstreamLines: 9 }).ok, false);
  });
  test("a tail above the goal, or above the baseline's, fails", () => {
    assert.equal(quotesFanOutVerdict({ ...ok, tailMs: 51, baseTailMs: 60 }).ok, false);
    assert.equal(quotesFanOutVerdict({ ...ok, tailMs: 45, baseTailMs: 40 }).ok, false);
    assert.equal(quotesFanOutVerdict({ ...ok, tailMs: NaN }).ok, false);
  });
  test("a fast run that lost ticks, errored or delivered nothing fails", () => {
    assert.equal(quotesFanOutVerdict({ ...ok, missed: 1 }).ok, false);
    assert.equal(quotesFanOutVerdict({ ...ok, errors: 1 }).ok, false);
    assert.equal(quotesFanOutVerdict({ ...ok, deliveries: 0 }).ok, false);
  });
});
