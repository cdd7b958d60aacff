/**
 * README promises about Client Portal order flows, through GraphQL over the real simulator (HTTPS) with the
 * server configured as a paper deployment (IB_CP_URL, durable idempotency store):
 * - a transport failure after IB acted answers OUTCOME_UNKNOWN, for a placement and for a confirmation, and
 *   retrying the same clientOrderId reconciles against IB: the order, never a second one;
 * - while an order question waits for confirmOrder, no other request reaches the gateway.
 * The transport failure is the simulator's `POST /sim/faults/lose-answer`: the request is handled (the book
 * has the order) and the connection is cut before the answer.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { request } from "undici";
import { startGatewayApp, type GatewayApp } from "./helpers/gateway-app";
import { eventually } from "./helpers/wait";

const ACCT = "DU1234567";
const AAPL = 265598;
const MSFT = 272093;
const PLACE = `mutation Place($i: PlaceOrderInput!) {
  placeOrder(input: $i) { order { id clientOrderId status source } confirmation { replyId messageIds } }
}`;
const CONFIRM = `mutation Confirm($r: ID!) { confirmOrder(replyId: $r, confirmed: true) { order { id clientOrderId } } }`;
const limitBuy = (clientOrderId: string, limitPrice: number, conid = AAPL) => ({
  i: {
    accountId: ACCT,
    contract: { conid },
    side: "BUY",
    type: "LIMIT",
    quantity: 1,
    limitPrice,
    clientOrderId,
    via: "CLIENT_PORTAL",
  },
});
const codes = (r: { errors?: readonly { extensions?: Record<string, unknown> }[] }) =>
  (r.errors ?? []).map((e) => e.extensions?.code);

describe("Client Portal order flows through GraphQL over the simulator", () => {
  let g: GatewayApp;
  const booked = (cOID: string) => g.sims.brokerage.listOrders().filter((o) => o.orderRef === cOID);
  const submissions = (cOID: string) =>
    g.sims.brokerage.orderRefStats().find((s) => s.orderRef === cOID)?.submissions ?? 0;

  before(async () => {
    g = await startGatewayApp({ clientPortal: { confirmationHoldMs: 10_000 } });
    await eventually("ready", async () => (await g.op(`{ session { ready } }`)).data?.session.ready === true);
    await g.cp.post("/sim/prices", { conid: AAPL, price: 190 });
    await g.cp.post("/sim/prices", { conid: MSFT, price: 400 });
  });
  after(() => g?.stop());

  it("README: a placement whose answer is lost answers OUTCOME_UNKNOWN; the retry reconciles, never a second order", async () => {
    const armed = await g.cp.post<{ armed: number }>("/sim/faults/lose-answer", {
      method: "POST",
      path: "/iserver/account/*/orders",
    });
    assert.equal(armed.status, 200);
    const first = await g.op(PLACE, limitBuy("cp-lost-place-1", 185));
    assert.deepEqual(codes(first), ["OUTCOME_UNKNOWN"], JSON.stringify(first.errors));
    assert.equal(first.data?.placeOrder ?? null, null);
    // IB has it: the request was handled before the connection dropped.
    assert.equal(booked("cp-lost-place-1").length, 1);

    const retry = await g.op(PLACE, limitBuy("cp-lost-place-1", 185));
    assert.deepEqual(retry.errors, undefined, JSON.stringify(retry.errors));
    assert.equal(retry.data?.placeOrder.order.clientOrderId, "cp-lost-place-1");
    assert.equal(retry.data?.placeOrder.order.id, String(booked("cp-lost-place-1")[0]!.permId));
    assert.equal(booked("cp-lost-place-1").length, 1, "one order in the book");
    assert.equal(submissions("cp-lost-place-1"), 1, "placed once: the retry did not send it again");
  });

  it("README: a confirmation whose answer is lost answers OUTCOME_UNKNOWN; the retry reconciles, never a second order", async () => {
    // 200 against a last of 190: IB asks (o163) before accepting.
    const asked = await g.op(PLACE, limitBuy("cp-lost-reply-1", 200));
    assert.deepEqual(asked.errors, undefined, JSON.stringify(asked.errors));
    const replyId = asked.data?.placeOrder.confirmation?.replyId as string;
    assert.ok(replyId, "a question");
    assert.equal(booked("cp-lost-reply-1").length, 0, "nothing placed before the answer");

    await g.cp.post("/sim/faults/lose-answer", { method: "POST", path: "/iserver/reply/*" });
    const confirmed = await g.op(CONFIRM, { r: replyId });
    assert.deepEqual(codes(confirmed), ["OUTCOME_UNKNOWN"], JSON.stringify(confirmed.errors));
    assert.equal(booked("cp-lost-reply-1").length, 1, "the reply reached IB and placed the order");

    const retry = await g.op(PLACE, limitBuy("cp-lost-reply-1", 200));
    assert.deepEqual(retry.errors, undefined, JSON.stringify(retry.errors));
    assert.equal(retry.data?.placeOrder.confirmation ?? null, null, "no second question");
    assert.equal(retry.data?.placeOrder.order.id, String(booked("cp-lost-reply-1")[0]!.permId));
    assert.equal(booked("cp-lost-reply-1").length, 1);
    assert.equal(submissions("cp-lost-reply-1"), 1);
  });

  it("README: while a question waits for confirmOrder, no other Client Portal request reaches the gateway", async () => {
    const asked = await g.op(PLACE, limitBuy("cp-held-1", 420, MSFT));
    const replyId = asked.data?.placeOrder.confirmation?.replyId as string;
    assert.ok(replyId, JSON.stringify(asked));
    const log = await g.requests();
    const placedAt = log.findLastIndex(
      (e) => e.method === "POST" && /\/iserver\/account\/[^/]+\/orders$/.test(e.path),
    );
    assert.ok(placedAt >= 0);

    // Reads that need the gateway, sent while the question waits: they queue behind it.
    const reads = [
      g.op(`{ orders { id status } }`),
      g.op(`{ accounts { id summary { netLiquidation } } }`),
      g.op(`{ positions(accountId: "${ACCT}") { quantity } }`),
    ];
    const metrics = `${g.httpUrl.replace(/\/graphql$/, "")}/metrics`;
    await eventually("the reads queued behind the question", async () => {
      const r = await request(metrics);
      const text = await r.body.text();
      const m = /^ibkr_scheduler_queue_length (\d+)/m.exec(text);
      return m && Number(m[1]) >= 1 ? true : undefined;
    });
    const during = (await g.requests()).slice(placedAt + 1);
    assert.deepEqual(
      during.map((e) => `${e.method} ${e.path}`),
      [],
      "nothing reached the gateway while the question waited",
    );

    const confirmed = await g.op(CONFIRM, { r: replyId });
    assert.deepEqual(confirmed.errors, undefined, JSON.stringify(confirmed.errors));
    const answers = await Promise.all(reads);
    for (const a of answers) assert.deepEqual(a.errors, undefined, JSON.stringify(a.errors));
    const after = (await g.requests()).slice(placedAt + 1);
    assert.equal(after[0]?.method, "POST");
    assert.match(after[0]?.path ?? "", /^\/v1\/api\/iserver\/reply\//, "the reply came first");
    assert.equal(after[0]?.status, 200);
    assert.equal(booked("cp-held-1").length, 1);
  });
});
