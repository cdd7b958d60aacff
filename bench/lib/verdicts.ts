/**
 * The pass/fail rules of the bench figures and of the chaos run, as pure functions of what was counted, so
 * that each rule is unit-tested (test/bench-verdicts.test.ts) and a run can only pass when the feature worked:
 * errors answered with HTTP 200 are failures, not throughput, and a chaos run that placed fewer orders than it
 * planned, or whose subscriber disagrees with the book, fails even when nothing was lost or duplicated.
 */

/** What the chaos run counted at the end. */
export interface ChaosCounts {
  /** Orders the run meant to place (one per clientOrderId). */
  planned: number;
  /** Of those, answered with an order. */
  placed: number;
  /** Refused for good (a code after which the run does not retry). */
  rejected: number;
  /** Still without a known outcome after the settle rounds. */
  unresolved: number;
  /** Executions in the book the subscriber never saw. */
  lostFills: number;
  /** Sequence numbers the subscriber skipped. */
  gaps: number;
  /** Executions the subscriber saw more than once. */
  duplicateFills: number;
  /** Events the subscriber received again after a resume. */
  duplicateEvents: number;
  /** clientOrderIds the book holds more than one order for. */
  duplicatePlacements: number;
  /** Orders of the book whose filled quantity the subscriber saw differently (or never saw). */
  orderMismatches: number;
  /** Orders answered as placed whose clientOrderId the book (`/sim/orders`) does not hold. */
  placedMissingFromBook: number;
}

export interface Judgement {
  ok: boolean;
  /** One line per broken rule; empty when ok. */
  failures: string[];
}

const judgement = (failures: string[]): Judgement => ({ ok: failures.length === 0, failures });

export function chaosVerdict(c: ChaosCounts): Judgement {
  const failures: string[] = [];
  const lost = c.lostFills + c.gaps;
  const duplicated = c.duplicateFills + c.duplicateEvents + c.duplicatePlacements;
  if (lost > 0) failures.push(`${lost} lost (${c.lostFills} fills never seen, ${c.gaps} sequence gaps)`);
  if (duplicated > 0) {
    failures.push(
      `${duplicated} duplicated (${c.duplicateFills} fills seen twice, ${c.duplicateEvents} events replayed, ` +
        `${c.duplicatePlacements} double placements)`,
    );
  }
  if (c.unresolved > 0) failures.push(`${c.unresolved} orders left without a known outcome`);
  if (c.placed < c.planned) {
    failures.push(
      `${c.placed} of ${c.planned} planned orders placed (${c.rejected} rejected, ${c.unresolved} unresolved)`,
    );
  }
  if (c.orderMismatches > 0)
    failures.push(`${c.orderMismatches} orders where the subscriber's view differs from the book`);
  if (c.placedMissingFromBook > 0)
    failures.push(`${c.placedMissingFromBook} orders answered as placed are not in the book`);
  if (c.planned === 0) failures.push("no order was planned: the run measured nothing");
  return judgement(failures);
}

/** What a load run counted about its answers. */
export interface AnswerCounts {
  /** Every answer the load generator received. */
  total: number;
  /** HTTP 200 answers whose body carried `errors`. */
  graphqlErrorResponses: number;
  non2xx: number;
  /** Transport errors and timeouts. */
  errors: number;
  timeouts: number;
}

/** Answers that carried data and no error: the only ones that count as throughput. */
export function successfulAnswers(a: AnswerCounts): number {
  return Math.max(0, a.total - a.non2xx - a.graphqlErrorResponses);
}

/** Every answer that was not a success, transport failures included. */
export function failedAnswers(a: AnswerCounts): number {
  return a.non2xx + a.graphqlErrorResponses + a.errors + a.timeouts;
}

/** Figure 1: throughput of successful answers only, at least `goal` of the baseline, and no failed answer. */
export function cachedReadsVerdict(v: {
  ours: AnswerCounts & { durationSec: number };
  base: AnswerCounts & { durationSec: number };
  goal: number;
}): Judgement & { ourRate: number; baseRate: number; ratio: number } {
  const rate = (a: AnswerCounts & { durationSec: number }) =>
    a.durationSec > 0 ? successfulAnswers(a) / a.durationSec : 0;
  const ourRate = rate(v.ours);
  const baseRate = rate(v.base);
  const r = baseRate > 0 ? ourRate / baseRate : NaN;
  const failures: string[] = [];
  if (failedAnswers(v.ours) > 0) failures.push(`${failedAnswers(v.ours)} of the server's answers failed`);
  if (failedAnswers(v.base) > 0) failures.push(`${failedAnswers(v.base)} of the baseline's answers failed`);
  if (successfulAnswers(v.ours) === 0) failures.push("the server gave no successful answer");
  if (!(r >= v.goal))
    failures.push(`throughput ${Number.isFinite(r) ? r.toFixed(2) : "n/a"}× is below ${v.goal}×`);
  return { ...judgement(failures), ourRate, baseRate, ratio: r };
}

/** Figure 2: the added latency goal, no 429, and exactly one upstream summary call per query. */
export function uncachedReadsVerdict(v: {
  addedP50Ms: number;
  goalAddedP50Ms: number;
  tooMany: number;
  queries: number;
  /** Summary calls the simulator logged for the server's queries (the baseline's own calls subtracted). */
  upstreamSummaryCalls: number;
}): Judgement {
  const failures: string[] = [];
  if (!(v.addedP50Ms <= v.goalAddedP50Ms)) failures.push(`added p50 above ${v.goalAddedP50Ms} ms`);
  if (v.tooMany > 0) failures.push(`${v.tooMany} upstream answers were 429`);
  if (v.queries === 0) failures.push("no query was measured");
  if (v.upstreamSummaryCalls !== v.queries) {
    failures.push(
      `${v.upstreamSummaryCalls} upstream summary calls for ${v.queries} queries (the promise is exactly one each)`,
    );
  }
  return judgement(failures);
}

/** Figure 5: within every limit, zero 429, and every read answered without an error. */
export function upstreamEconomyVerdict(v: {
  /** Peak in a window over the limit, for the tightest limit (≤ 1 is within). */
  worstRatio: number;
  tooMany: number;
  reads: AnswerCounts;
}): Judgement {
  const failures: string[] = [];
  if (!(v.worstRatio <= 1)) failures.push(`a window held ${v.worstRatio.toFixed(2)}× its limit`);
  if (v.tooMany > 0) failures.push(`${v.tooMany} upstream answers were 429`);
  const failed = failedAnswers(v.reads);
  if (failed > 0) failures.push(`${failed} of ${v.reads.total} reads failed or answered errors`);
  if (successfulAnswers(v.reads) === 0) failures.push("no read was answered successfully");
  return judgement(failures);
}

/**
 * Figure 6: exactly one upstream line per contract, the delivery tail within the goal and no worse than the
 * bare baseline's, every subscriber saw every tick, and no error.
 */
export function quotesFanOutVerdict(v: {
  /** Streaming reqMktData requests the TWS simulator logged. */
  upstreamLines: number;
  expectedLines: number;
  /** p99 with enough samples, else the max (see stats.tail). */
  tailMs: number;
  baseTailMs: number;
  goalMs: number;
  deliveries: number;
  /** (subscriber, tick) pairs never delivered. */
  missed: number;
  /** GraphQL errors and dropped connections. */
  errors: number;
}): Judgement {
  const failures: string[] = [];
  if (v.upstreamLines !== v.expectedLines) {
    failures.push(`${v.upstreamLines} upstream lines for ${v.expectedLines} contracts`);
  }
  if (!(v.tailMs <= v.goalMs)) failures.push(`tail ${v.tailMs.toFixed(1)} ms above ${v.goalMs} ms`);
  if (!(v.tailMs <= v.baseTailMs)) {
    failures.push(`tail ${v.tailMs.toFixed(1)} ms above the baseline's ${v.baseTailMs.toFixed(1)} ms`);
  }
  if (v.deliveries === 0) failures.push("no tick was delivered");
  if (v.missed > 0) failures.push(`${v.missed} ticks never reached a subscriber`);
  if (v.errors > 0) failures.push(`${v.errors} errors or dropped connections`);
  return judgement(failures);
}
