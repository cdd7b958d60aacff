/**
 * The keep-alive and expiry promises of cp-session.test.ts without wall-clock windows: the simulator and the
 * adapter share one fake clock (the simulator's idle timeout and the adapter's tickles count the same time),
 * over real HTTPS. What used to depend on the machine's speed (a tickle delayed past the 2.5 s idle timeout
 * under load; "within one tickle interval" read from real timestamps) is exact here.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createClientPortalBroker, type ClientPortalAdapter } from "../src/brokers/client-portal";
import { SessionEventType } from "../src/schema/enums";
import { startClientPortalSimulator, type CpSimulator } from "../src/simulators/client-portal";
import { ACCT, brokerOptions, simOptions } from "./helpers/cp-broker-harness";
import { FakeClock } from "./helpers/cp-fake-clock";

const STEP = 25;
const IDLE_MS = 2_500;
const TICKLE_MS = 700;

async function setup(over: { tickleMs?: number } = {}) {
  const clock = new FakeClock();
  const sim: CpSimulator = await startClientPortalSimulator(
    simOptions({
      now: () => clock.now(),
      idleTimeoutMs: IDLE_MS,
      reauthDelayMs: 0,
      rateLimits: { enabled: false },
    }),
  );
  const events: { type: SessionEventType; at: number }[] = [];
  const broker: ClientPortalAdapter = createClientPortalBroker(
    // Order polls far apart: only the keep-alive talks to the gateway.
    brokerOptions(sim, {
      clock,
      tickleMs: over.tickleMs ?? TICKLE_MS,
      orderPollMs: 60_000,
      backgroundOrderPollMs: 60_000,
      ssoValidateMs: 3_600_000,
    }),
    { session: (_api, type) => events.push({ type, at: clock.now() }), order: () => undefined },
  );
  async function run(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += STEP) {
      await clock.advance(STEP);
      while (broker.stats().inFlight > 0) await new Promise((r) => setTimeout(r, 1));
    }
  }
  async function drive<T>(promise: Promise<T>): Promise<T> {
    let done = false;
    const watched = promise.finally(() => (done = true));
    watched.catch(() => undefined);
    for (let t = 0; !done && t < 30_000; t += STEP) await run(STEP);
    return watched;
  }
  await drive(broker.start());
  const tickles = () =>
    sim.control
      .requests()
      .filter((r) => r.path === "/v1/api/tickle")
      .map((r) => Date.parse(r.time));
  return {
    clock,
    sim,
    broker,
    events,
    run,
    drive,
    tickles,
    async close() {
      await broker.close();
      await sim.stop();
    },
  };
}

describe("Client Portal keep-alive on a shared fake clock", () => {
  it("keeps the brokerage session alive through four idle timeouts: a tickle at least every 700 ms", async (t) => {
    const s = await setup();
    t.after(() => s.close());
    const from = s.clock.now();
    await s.run(4 * IDLE_MS);
    const ticks = s.tickles().filter((at) => at >= from);
    assert.ok(ticks.length >= Math.floor((4 * IDLE_MS) / TICKLE_MS) - 1, `${ticks.length} tickles`);
    for (let i = 1; i < ticks.length; i++) {
      assert.ok(ticks[i]! - ticks[i - 1]! <= TICKLE_MS + STEP, `gap ${ticks[i]! - ticks[i - 1]!} ms`);
    }
    assert.equal(s.sim.control.session().authenticated, true);
    assert.deepEqual(
      s.events.map((e) => e.type),
      [SessionEventType.AUTHENTICATED],
    );
  });

  it("the control case: tickling slower than the idle timeout lets the session expire", async (t) => {
    const s = await setup({ tickleMs: 3_000 });
    t.after(() => s.close());
    await s.run(4 * IDLE_MS);
    assert.ok(
      s.events.some((e) => e.type === SessionEventType.EXPIRED),
      JSON.stringify(s.events),
    );
  });

  it("an expiry is noticed within one tickle interval, then RESTORED, and reads work after", async (t) => {
    const s = await setup();
    t.after(() => s.close());
    await s.run(1_000);
    const from = s.events.length;
    const at = s.clock.now();
    s.sim.control.expire();
    await s.run(2 * TICKLE_MS);
    const seen = s.events.slice(from);
    const expired = seen.find((e) => e.type === SessionEventType.EXPIRED);
    const restored = seen.find((e) => e.type === SessionEventType.RESTORED);
    assert.ok(expired && restored, JSON.stringify(seen));
    assert.ok(expired.at - at <= TICKLE_MS + STEP, `noticed ${expired.at - at} ms after the expiry`);
    assert.ok(restored.at >= expired.at);
    const accounts = await s.drive(s.broker.listAccounts());
    assert.deepEqual(
      accounts.map((a) => a.id),
      [ACCT],
    );
  });
});
