import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import {
  createIbkrClient,
  isCursorError,
  type EventStream,
  type IbkrClient,
  type IbkrClientError,
  type OrderEvent,
  type SessionEvent,
  type StreamStatus,
} from "../src/client";
import type { Json } from "./helpers/cp-sim-client";
import {
  AAPL,
  ACCT,
  record,
  startGateways,
  startJournalApp,
  tempDataDir,
  type Gateways,
  type JournalApp,
} from "./helpers/journal-app";
import { eventually } from "./helpers/wait";

/**
 * The typed client's promise (issue #19, "Done when"): a script following `orderUpdates` sees every event
 * once, in order, across a server restart, without doing anything itself; and a server that comes back on
 * another DATA_DIR is surfaced as a cursor error, not papered over. The gateways (the simulated brokerage)
 * keep running while the server is down, as IB's do, and the server comes back on the same port, as a
 * restarted deployment does.
 */

/** Reconnects quickly and steadily: the restart takes as long as it takes, the test bounds it. */
const retryWait = () => new Promise<void>((r) => setTimeout(r, 100));

const resting = (clientOrderId: string, limitPrice: number) => ({
  accountId: ACCT,
  contract: { conid: AAPL },
  side: "BUY" as const,
  type: "LIMIT" as const,
  quantity: 1,
  limitPrice,
  timeInForce: "DAY" as const,
  clientOrderId,
  via: "TWS" as const,
});

const market = (clientOrderId: string, via: "TWS" | "CLIENT_PORTAL") => ({
  accountId: ACCT,
  contract: { conid: AAPL },
  side: "BUY" as const,
  type: "MARKET" as const,
  quantity: 1,
  clientOrderId,
  via,
});

describe("typed client across a server restart", () => {
  let gw: Gateways;
  let s: JournalApp | undefined;
  let port: string;
  let client: IbkrClient;
  const dirs: string[] = [];

  before(async () => {
    gw = await startGateways();
    const dataDir = await tempDataDir();
    dirs.push(dataDir);
    s = await startJournalApp(gw, dataDir);
    port = new URL(s.httpUrl).port;
    client = createIbkrClient({ url: s.httpUrl });
  });
  after(async () => {
    await s?.stop();
    await gw?.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  /** Follows orderUpdates through the typed client, keeping its events, errors and stream states. */
  function followOrders() {
    const events: OrderEvent[] = [];
    const errors: IbkrClientError[] = [];
    const statuses: StreamStatus["state"][] = [];
    const stream = client.orderUpdates({
      onEvent: (e) => void events.push(e),
      onError: (e) => void errors.push(e),
      onStatus: (st) => void statuses.push(st.state),
      retryWait,
    });
    return { events, errors, statuses, stream };
  }

  /** Stops the server and starts another on `dataDir`, on the same port (the client's URL does not change). */
  async function restart(dataDir: string, apis: "both" | "tws" = "both"): Promise<JournalApp> {
    await s?.stop();
    s = undefined;
    s = await startJournalApp(gw, dataDir, { apis, env: { PORT: port } });
    return s;
  }

  it("orderUpdates resumes across a restart on the same DATA_DIR: every event once, in order, by itself", async () => {
    const { events, errors, statuses, stream } = followOrders();
    const sessionEvents: SessionEvent[] = [];
    let sessionStream: EventStream | undefined;
    try {
      await stream.ready;
      const price = (
        await gw.cp.get<{ quotes: { conid: number; last: number }[] }>("/sim/prices")
      ).body.quotes.find((q) => q.conid === AAPL)!.last;

      // First run: a fill, and an order left resting below the market.
      const filledBefore = (await client.placeOrder(market("restart-client-1", "TWS"))).order!.id;
      const restingId = (await client.placeOrder(resting("restart-client-2", price - 5))).order!.id;
      await eventually(
        "the fill and the resting order",
        () =>
          events.some((e) => e.order.id === filledBefore && e.type === "FILL") &&
          events.some((e) => e.order.id === restingId && e.order.status === "SUBMITTED"),
        10_000,
      );
      const firstCursor = events[0]!.cursor;
      // Session events share the journal: followed from the same point, the client resumes them by cursor
      // too (nothing delivered yet, so from this starting cursor).
      sessionStream = client.sessionEvents({
        after: firstCursor,
        onEvent: (e) => void sessionEvents.push(e),
        onError: (e) => void errors.push(e),
        retryWait,
      });
      await sessionStream.ready;
      const deliveredBeforeStop = events.length;

      await s!.stop();
      s = undefined;
      await eventually("the client notices", () => statuses.includes("reconnecting"), 10_000);
      // While the server is down the market moves through the resting order's limit: IB fills it anyway.
      const moved = await gw.cp.post("/sim/prices", { conid: AAPL, price: price - 10 });
      assert.equal(moved.status, 200);

      // Same DATA_DIR, same port; an order placed right after the restart too.
      const again = await restart(dirs[0]!);
      const afterRestart = (await client.placeOrder(market("restart-client-3", "CLIENT_PORTAL"))).order!.id;

      // The reference: the journal itself, replayed from the client's first event on a fresh socket.
      const reference = record(again.ws(), { after: firstCursor });
      try {
        const done = (list: { type: unknown; order: { id: unknown } }[]) =>
          list.some((e) => e.order.id === restingId && e.type === "FILL") &&
          list.some((e) => e.order.id === afterRestart && e.type === "FILL");
        await eventually("the reference to reach both fills", () => done(reference.events as never), 15_000);
        await eventually("the client to reach both fills", () => done(events), 15_000);
        const lastRef = reference.events.at(-1)!.sequence as number;
        await eventually("the client to catch up with the reference", () =>
          events.some((e) => e.sequence >= lastRef),
        );

        assert.deepEqual(errors, [], "no error surfaced");
        const got = events.map((e) => e.sequence);
        const expected = [events[0]!.sequence, ...reference.events.map((e: Json) => e.sequence as number)];
        assert.deepEqual(
          got.slice(0, expected.length),
          expected,
          "the journal's events, once each, in order",
        );
        for (let i = 1; i < got.length; i++) assert.ok(got[i]! > got[i - 1]!, `ascending: ${got.join(",")}`);
        assert.ok(events.length > deliveredBeforeStop, "events after the restart delivered");
        assert.equal(stream.lastCursor, events.at(-1)!.cursor);
        assert.equal(statuses.filter((x) => x === "live").length, 2, "one reconnect, made by the client");

        // The restarted process journals its own session events (its adapters connecting): the client gets
        // them after the old process's, each once, in journal order.
        await eventually("a session event of the restarted process", () =>
          sessionEvents.some((e) => e.sequence > events[deliveredBeforeStop - 1]!.sequence),
        );
        const seqs = sessionEvents.map((e) => e.sequence);
        for (let i = 1; i < seqs.length; i++)
          assert.ok(seqs[i]! > seqs[i - 1]!, `ascending: ${seqs.join(",")}`);
        assert.equal(sessionStream!.lastCursor, sessionEvents.at(-1)!.cursor);
      } finally {
        reference.stop();
      }
    } finally {
      await stream.close();
      await sessionStream?.close();
    }
  });

  it("surfaces a server on another DATA_DIR as a cursor error through onError and onStatus", async () => {
    const { events, errors, statuses, stream } = followOrders();
    try {
      await stream.ready;
      const id = (await client.placeOrder(market("restart-client-4", "TWS"))).order!.id;
      await eventually("the fill", () => events.some((e) => e.order.id === id && e.type === "FILL"), 10_000);
      const delivered = events.length;

      const otherDir = await tempDataDir();
      dirs.push(otherDir);
      // TWS only: a server on an empty DATA_DIR has no memory of the Client Portal request windows the
      // previous one used, so its first burst may earn IB's 60 s penalty box (journal-ratelimit's subject,
      // not this test's); the cursor check does not depend on either API.
      await restart(otherDir, "tws");

      await eventually("the refusal", () => errors.length > 0, 15_000);
      const [error] = errors;
      assert.ok(isCursorError(error), `a cursor error, got ${error?.code}: ${error?.message}`);
      assert.equal(error.code, "CURSOR_INVALID");
      assert.equal(error.errors[0]?.extensions?.reason, "OTHER_JOURNAL");
      assert.equal(statuses.at(-1), "closed", "the stream stopped");
      assert.equal(events.length, delivered, "nothing guessed: no event after the refusal");
      assert.equal(errors.length, 1);
    } finally {
      await stream.close();
    }
  });
});
