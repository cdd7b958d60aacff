import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import {
  createIbkrClient,
  IbkrClientError,
  isCursorError,
  type IbkrClient,
  type OrderEvent,
  type StreamStatus,
} from "../src/client";
import { Subscription, wsClient } from "./helpers/graphql";
import { eventually, startSimApp, type SimApp } from "./helpers/sim-app";
import { OrderUpdatesDocument } from "./generated/graphql";

const ACCT = "DU1234567";
const AAPL = 265598;

const restingBuy = (clientOrderId: string) => ({
  accountId: ACCT,
  contract: { conid: AAPL },
  side: "BUY" as const,
  type: "LIMIT" as const,
  quantity: 1,
  limitPrice: 100,
  timeInForce: "DAY" as const,
  clientOrderId,
});

/** A gate the test opens: the client's reconnect waits on it, so events provably happen during the gap. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

describe("typed client", () => {
  let s: SimApp;
  let client: IbkrClient;
  /** Upgraded sockets by request URL: the client under test connects with `?who=client`. */
  const upgraded = new Map<Socket, string>();

  before(async () => {
    s = await startSimApp();
    s.app.server.httpServer.on("upgrade", (req: { url?: string }, socket: Socket) => {
      upgraded.set(socket, req.url ?? "");
      socket.once("close", () => upgraded.delete(socket));
    });
    client = createIbkrClient({ url: s.httpUrl, wsUrl: `${s.wsUrl}?who=client` });
  });
  after(() => s?.stop());

  it("has a typed method per query and mutation", async () => {
    const session = await client.session();
    assert.equal(session.mode, "SIMULATED");
    const accounts = await client.accounts();
    assert.ok(accounts.some((a) => a.id === ACCT));
    assert.equal((await client.account(ACCT))?.id, ACCT);
    assert.ok(Array.isArray(await client.positions({ accountId: ACCT })));
    const placed = await client.placeOrder(restingBuy("client-methods-1"));
    const id = placed.order?.id;
    assert.ok(id, "placed");
    assert.equal((await client.order(id))?.clientOrderId, "client-methods-1");
    assert.ok((await client.orders({ accountId: ACCT })).some((o) => o.id === id));
    const modified = await client.modifyOrder(id, { limitPrice: 101 });
    assert.equal(modified.id, id);
    await client.cancelOrder(id);
    await eventually("cancelled", async () => (await client.order(id))?.status === "CANCELLED");
  });

  it("has a typed method per contract and market-data query", async () => {
    const aapl = await client.contract({ symbol: "AAPL" });
    assert.equal(aapl.conid, AAPL);
    assert.ok((await client.searchContracts("AAPL")).some((c) => c.conid === AAPL));
    const chains = await client.optionChain({ conid: AAPL });
    assert.ok(chains.length > 0 && chains[0]!.strikes.length > 0, "an option chain");
    const quote = await client.quote({ conid: AAPL });
    assert.equal(quote.contract.conid, AAPL);
    assert.ok(quote.last! > 0);
    assert.deepEqual(
      (await client.quotes([{ conid: AAPL }, { symbol: "MSFT" }])).map((q) => q.contract.symbol),
      ["AAPL", "MSFT"],
    );
    const bars = await client.bars({ contract: { conid: AAPL }, barSize: "DAY_1", duration: "P5D" });
    assert.ok(bars.length > 0 && bars[0]!.close > 0, "daily bars");
    assert.ok(Array.isArray(await client.executions({ accountId: ACCT })));
  });

  it("throws the server's code", async () => {
    await assert.rejects(
      client.cancelOrder("no-such-order"),
      (e) => e instanceof IbkrClientError && e.code === "NOT_FOUND",
    );
  });

  it("orderUpdates resumes across a forced socket drop: every event once, in order", async () => {
    // The reference: a plain subscription on another socket that is never dropped.
    const reference = new Subscription(wsClient(s.wsUrl), OrderUpdatesDocument, { accountId: ACCT });
    const events: OrderEvent[] = [];
    const statuses: StreamStatus["state"][] = [];
    const reconnect = gate();
    let dropped = false;
    const stream = client.orderUpdates({
      accountId: ACCT,
      onEvent: (e) => void events.push(e),
      onError: (e) => assert.fail(`stream failed: ${e.message}`),
      onStatus: (st) => statuses.push(st.state),
      retryWait: async () => {
        if (dropped) await reconnect.opened;
      },
    });
    try {
      await eventually("live", () => statuses.includes("live"));
      await eventually("both sockets open", () => upgraded.size >= 2);

      const a = await client.placeOrder(restingBuy("client-resume-a"));
      const aId = a.order!.id;
      await eventually("A's first event", () => events.some((e) => e.order.id === aId));

      const clientSockets = [...upgraded].filter(([, url]) => url.includes("who=client")).map(([x]) => x);
      assert.equal(clientSockets.length, 1);
      dropped = true;
      for (const sock of clientSockets) sock.destroy();
      await eventually("reconnecting", () => statuses.includes("reconnecting"));

      // While the client is away: a cancel and a second order.
      await client.cancelOrder(aId);
      const b = await client.placeOrder(restingBuy("client-resume-b"));
      const bId = b.order!.id;
      await client.cancelOrder(bId);
      const missed = events.length;
      reconnect.open();

      const expected = (
        await reference.until((d) => d.orderUpdates.order.id === bId && d.orderUpdates.type === "CANCELLED")
      ).map((d) => d.orderUpdates.sequence);
      await eventually("the client catches up", () => events.at(-1)?.sequence === expected.at(-1));
      const got = events.map((e) => e.sequence);
      assert.deepEqual(got, expected, "same events as the undropped reference, once each, in order");
      assert.ok(events.length > missed, "events from the gap were replayed");
      assert.equal(stream.lastSequence, expected.at(-1));
      assert.equal(stream.lastCursor, events.at(-1)?.cursor);
      assert.equal(statuses.filter((x) => x === "live").length, 2, "one reconnect");
    } finally {
      reference.dispose();
      await stream.close();
    }
  });

  it("follows an order to its fill, closing from inside onEvent", async () => {
    const seen: string[] = [];
    const stream = client.orderUpdates({
      accountId: ACCT,
      onEvent: async (e) => {
        if (e.order.clientOrderId !== "client-follow-1") return;
        seen.push(e.order.status);
        if (e.order.status === "FILLED") await stream.close();
      },
      onError: (e) => assert.fail(e.message),
    });
    await stream.ready;
    const { order } = await client.placeOrder({
      ...restingBuy("client-follow-1"),
      type: "MARKET",
      limitPrice: null,
    });
    assert.ok(order);
    await eventually("the fill", () => seen.includes("FILLED"));
    await client.placeOrder({ ...restingBuy("client-follow-2"), type: "MARKET", limitPrice: null });
    assert.equal(seen.at(-1), "FILLED", "nothing after close()");
  });

  for (const [form, start] of [
    ["a cursor", { after: "bm90LWEtY3Vyc29y" }],
    ["a sequence (the older form)", { afterSequence: 1_000_000 }],
  ] as const) {
    it(`surfaces ${form} the server cannot honour instead of guessing`, async () => {
      const errors: IbkrClientError[] = [];
      const stream = client.orderUpdates({
        ...start,
        onEvent: () => assert.fail("no event expected"),
        onError: (e) => void errors.push(e),
      });
      try {
        await eventually("the refusal", () => errors.length > 0);
        assert.ok(isCursorError(errors[0]), `cursor error, got ${errors[0]?.code}: ${errors[0]?.message}`);
      } finally {
        await stream.close();
      }
    });
  }

  it("starts from a saved cursor: the events after it, then live", async () => {
    const first: OrderEvent[] = [];
    const one = client.orderUpdates({ accountId: ACCT, onEvent: (e) => void first.push(e) });
    await one.ready;
    const id = (
      await client.placeOrder({ ...restingBuy("client-saved-1"), type: "MARKET", limitPrice: null })
    ).order!.id;
    await eventually("the fill", () => first.some((e) => e.order.id === id && e.type === "FILL"));
    const saved = first.find((e) => e.order.id === id)!;
    await one.close();

    const resumed: OrderEvent[] = [];
    const two = client.orderUpdates({
      accountId: ACCT,
      after: saved.cursor,
      onEvent: (e) => void resumed.push(e),
    });
    try {
      const rest = first.slice(first.indexOf(saved) + 1).map((e) => e.sequence);
      await eventually("the replay", () => resumed.length >= rest.length);
      assert.deepEqual(
        resumed.slice(0, rest.length).map((e) => e.sequence),
        rest,
        "exactly the events after the saved cursor",
      );
    } finally {
      await two.close();
    }
  });
});
