/**
 * README: "If IB ever answers 429, all Client Portal traffic stops for the penalty … and callers get
 * RATE_LIMITED with retryAt." A safety promise, so it must not depend on timing: the adapter runs on a fake
 * clock (its penalty and its keep-alive timers move only when the test says), over the real simulator. The
 * simulator's own penalty lasts 1 ms, so the gateway would accept again at once: only the adapter keeps quiet.
 *
 * Replaces the wall-clock version in cp-session.test.ts ("nothing was sent during the penalty", seen failing
 * 7 ≠ 6 under CPU load when a keep-alive slipped in after the real-time penalty ended before the check).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { AppError } from "../src/errors";
import { ACCT, FAST, startCpHarness, type CpHarness } from "./helpers/cp-broker-harness";
import { FakeClock } from "./helpers/cp-fake-clock";

const STEP = 50;
const PENALTY_MS = 60_000;

describe("Client Portal penalty box (fake clock)", () => {
  let h: CpHarness;
  const clock = new FakeClock();
  async function run(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += STEP) {
      await clock.advance(STEP);
      while (h.broker.stats().inFlight > 0) await new Promise((r) => setTimeout(r, 1));
    }
  }
  async function drive<T>(promise: Promise<T>): Promise<T> {
    let done = false;
    const watched = promise.finally(() => (done = true));
    // Handled when returned; until then a rejection must not count as unhandled.
    watched.catch(() => undefined);
    for (let t = 0; !done && t < 30_000; t += STEP) await run(STEP);
    return watched;
  }
  const apiLog = () => h.sim.control.requests();

  before(async () => {
    // A client misconfigured without pacing or cache for /portfolio/accounts; the simulator allows one a minute
    // (real time), so the second call is a breach whatever the timing.
    const endpoints = FAST.sim.map((l) =>
      l.path === "/portfolio/accounts" ? { ...l, windowMs: 60_000 } : l,
    );
    h = await startCpHarness({
      start: false,
      sim: { rateLimits: { endpoints, penaltyMs: 1, globalPerSecond: 1_000 } },
      broker: {
        clock,
        endpointRules: FAST.client.filter((r) => r.template !== "/portfolio/accounts"),
        cacheTtlMs: 0,
        penaltyMs: PENALTY_MS,
      },
    });
    await drive(h.broker.start());
  });
  after(() => h?.close());

  it("README: after a 429 nothing at all is sent until the penalty ends, keep-alives included; then traffic resumes", async () => {
    // The start-up already read /portfolio/accounts once: a read of it now breaks the simulator's limit.
    let refused: unknown;
    for (let i = 0; i < 3 && refused === undefined; i++) {
      refused = await drive(h.broker.listAccounts()).then(
        () => undefined,
        (e: unknown) => e,
      );
    }
    assert.ok(refused instanceof AppError);
    assert.equal(refused.code, "RATE_LIMITED");
    const retryAt = Date.parse(String(refused.details.retryAt));
    assert.ok(
      retryAt > clock.now() && retryAt <= clock.now() + PENALTY_MS,
      `retryAt ${refused.details.retryAt}`,
    );
    assert.equal(h.broker.isReady(), false);
    assert.throws(
      () => h.broker.assertReady(),
      (e) => e instanceof AppError && e.code === "RATE_LIMITED",
    );
    assert.match(h.broker.status().message ?? "", /429/);
    const sent = apiLog().length;
    assert.equal(apiLog().at(-1)?.status, 429);

    // The whole penalty but one step, with keep-alives (every 700 ms here) and a caller trying all along.
    while (retryAt - clock.now() > 5_000 + 2 * STEP) {
      await assert.rejects(
        drive(h.broker.getAccountSummary(ACCT)),
        (e) => e instanceof AppError && e.code === "RATE_LIMITED",
      );
      await run(5_000);
    }
    await run(retryAt - clock.now() - 2 * STEP);
    assert.ok(clock.now() < retryAt);
    assert.deepEqual(
      apiLog()
        .slice(sent)
        .map((e) => `${e.method} ${e.path}`),
      [],
      "nothing was sent during the penalty",
    );

    // Past it: traffic resumes by itself.
    await run(retryAt - clock.now() + 2_000);
    assert.ok(apiLog().length > sent, "keep-alive resumed after the penalty");
    // (What it sends first may breach this misconfigured client's /portfolio/accounts window again; the
    // promise here is only that it waited out the penalty before sending anything.)
    assert.equal(h.broker.stats().rateLimited429 >= 1, true);
  });
});
