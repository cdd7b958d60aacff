/**
 * README: "The server tickles every IB_CP_TICKLE_MS (55 s, jittered, always under IB's 60 s)" and order
 * changes are found by "polling within the limits (every 5.5 s while orders work, 30 s otherwise)".
 *
 * The Client Portal adapter with its default timings (nothing overridden but the clock) over the real
 * simulator (HTTPS): a fake clock drives its timers, in small steps, each step waiting for the requests it
 * started to be answered, so minutes of pacing run in a few seconds and each request's time is exact to the
 * step. The simulator's rate limits are off here: this is about the client's own timing, and the simulator
 * counts real time.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { OrderRequest } from "../src/brokers";
import { createClientPortalBroker, type ClientPortalAdapter } from "../src/brokers/client-portal";
import { OrderSide, OrderStatus, OrderType, TimeInForce } from "../src/schema/enums";
import { startClientPortalSimulator, type CpSimulator } from "../src/simulators/client-portal";
import { FakeClock } from "./helpers/cp-fake-clock";

const ACCT = "DU1234567";
const AAPL = 265598;
const STEP = 50;

describe("Client Portal default timings (fake clock, real simulator)", () => {
  let sim: CpSimulator;
  let broker: ClientPortalAdapter;
  const clock = new FakeClock();
  /** Each upstream request: the fake time it was sent, and its endpoint (`GET /iserver/account/orders`). */
  const sent: { at: number; endpoint: string }[] = [];

  /** Moves fake time by `ms` in steps; after each step, waits (real time) until nothing is in flight. */
  async function run(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += STEP) {
      await clock.advance(STEP);
      while (broker.stats().inFlight > 0) await new Promise((r) => setTimeout(r, 1));
    }
  }
  /** Runs the clock until `promise` settles. */
  async function drive<T>(promise: Promise<T>, limitMs = 120_000): Promise<T> {
    let done = false;
    const watched = promise.finally(() => (done = true));
    // Handled when returned; until then a rejection must not count as unhandled.
    watched.catch(() => undefined);
    for (let t = 0; !done && t < limitMs; t += STEP) await run(STEP);
    return watched;
  }
  const times = (endpoint: string, from: number, to: number) =>
    sent.filter((s) => s.endpoint === endpoint && s.at >= from && s.at < to).map((s) => s.at);
  const gaps = (list: number[]) => list.slice(1).map((t, i) => t - list[i]!);

  before(async () => {
    sim = await startClientPortalSimulator({
      brokerageOptions: { accounts: [ACCT] },
      rateLimits: { enabled: false },
      idleTimeoutMs: 3_600_000,
      dailyResetTime: null,
    });
    broker = createClientPortalBroker(
      {
        url: sim.url,
        caPem: sim.caPem,
        clock,
        onSchedulerEvent: (e) => {
          if (e.type === "request") sent.push({ at: clock.now() - e.durationMs, endpoint: e.endpoint });
        },
      },
      { session: () => undefined, order: () => undefined },
    );
    await drive(broker.start());
  });
  after(async () => {
    await broker?.close();
    await sim?.stop();
  });

  it("README: tickles every 55 s, jittered below it, always under IB's 60 s", async () => {
    const from = clock.now();
    await run(6 * 60_000);
    const tickles = times("POST /tickle", from, clock.now());
    assert.ok(tickles.length >= 6, `${tickles.length} tickles in 6 minutes`);
    for (const gap of gaps(tickles)) {
      // 10 % jitter below 55 s; one step of resolution.
      assert.ok(gap >= 49_500 && gap <= 55_000 + STEP, `tickle gap ${gap} ms`);
      assert.ok(gap < 60_000);
    }
  });

  it("README: with no order working, order polls every 30 s", async () => {
    const from = clock.now();
    await run(3 * 60_000);
    const polls = times("GET /iserver/account/orders", from, clock.now());
    assert.ok(polls.length >= 5, `${polls.length} polls in 3 minutes`);
    for (const gap of gaps(polls)) assert.ok(gap >= 30_000 && gap <= 30_000 + 2 * STEP, `poll gap ${gap} ms`);
  });

  it("README: while an order works, order polls every 5.5 s; 30 s again once it is done and a minute has passed", async () => {
    const contract = await drive(broker.resolveContract({ conid: AAPL }));
    const request: OrderRequest = {
      accountId: ACCT,
      contract: { conid: AAPL },
      side: OrderSide.BUY,
      type: OrderType.LIMIT,
      quantity: 1,
      limitPrice: 100, // far below the market: it rests, working
      stopPrice: null,
      timeInForce: TimeInForce.DAY,
      clientOrderId: "timing-1",
    };
    const placed = await drive(broker.placeOrder(request, contract));
    assert.ok(placed.order, JSON.stringify(placed));
    const working = clock.now();
    await run(2 * 60_000);
    // The first poll after the placement may come early (a kick); the rhythm after it is 5.5 s.
    const active = times("GET /iserver/account/orders", working + 6_000, clock.now());
    assert.ok(active.length >= 18, `${active.length} polls in 2 minutes of a working order`);
    for (const gap of gaps(active)) assert.ok(gap >= 5_500 && gap <= 5_500 + 2 * STEP, `poll gap ${gap} ms`);

    const cancelling = await drive(broker.cancelOrder(placed.order!));
    assert.equal(cancelling.status, OrderStatus.PENDING_CANCEL);
    const cancelled = clock.now();
    await run(4 * 60_000);
    // A minute of close following after the cancel (the active window), then the background rhythm.
    const background = times("GET /iserver/account/orders", cancelled + 70_000, clock.now());
    assert.ok(background.length >= 4, `${background.length} polls`);
    for (const gap of gaps(background)) {
      assert.ok(gap >= 30_000 && gap <= 30_000 + 2 * STEP, `poll gap ${gap} ms`);
    }
  });
});
