/**
 * Stricter, self-contained versions of three unified-routing.test.ts cases whose assertions could not fail
 * (`if (r.errors) …` with no assertion when the placement simply went through) or that read state left by an
 * earlier test. Here the simulator re-opens an expired brokerage session only after a minute, so the
 * placement right after the expiry meets the dead session every time, and each test places what it needs.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { codesOf, startSimApp, type SimApp } from "./helpers/sim-app";
import { eventually } from "./helpers/wait";

const ACCT = "DU1234567";
const AAPL = 265598;
const PLACE = `mutation Place($i: PlaceOrderInput!) {
  placeOrder(input: $i) { order { id clientOrderId source status } confirmation { replyId } }
}`;
const limitOrder = (clientOrderId: string, via?: "TWS" | "CLIENT_PORTAL") => ({
  i: {
    accountId: ACCT,
    contract: { conid: AAPL },
    side: "BUY",
    type: "LIMIT",
    quantity: 1,
    limitPrice: 100,
    clientOrderId,
    ...(via ? { via } : {}),
  },
});

describe("routing with Client Portal's session gone (deterministic)", () => {
  let s: SimApp;
  const cpState = async () =>
    (await s.op(`{ session { clientPortal { state } } }`)).data?.session.clientPortal.state as string;
  const booked = async (cOID: string) => (await s.simOrders()).filter((o) => o.clientOrderId === cOID);

  before(async () => {
    // Re-authentication takes a minute at this gateway: an expired session stays expired during each test.
    // The supervisor's own checks are slow here, so the placement is what meets the dead session first.
    s = await startSimApp({
      simulators: { cp: { reauthDelayMs: 60_000 } },
      clientPortal: { tickleMs: 59_000, recoveryPollMs: 59_000 },
    });
    await eventually(
      "both APIs ready",
      async () => (await s.op(`{ session { ready } }`)).data?.session.ready,
    );
  });
  after(() => s?.stop());

  /** Expires the brokerage session and returns once the test can heal it again with a login. */
  const expire = () => s.control("/sim/session/expire");
  const heal = async () => {
    await s.control("/sim/session/login");
    await eventually("Client Portal healed", async () => (await cpState()) === "AUTHENTICATED");
  };

  it("the placement right after an expiry answers SESSION_NOT_READY from Client Portal, never AUTHENTICATED, and places nothing", async () => {
    await expire();
    const writes = (await s.orderWrites()).length;
    const r = await s.op(PLACE, limitOrder("strict-exp-1", "CLIENT_PORTAL"));
    assert.deepEqual(codesOf(r), ["SESSION_NOT_READY"], JSON.stringify(r.errors));
    const ext = r.errors?.[0]?.extensions ?? {};
    assert.equal(ext.api, "CLIENT_PORTAL");
    assert.ok(typeof ext.state === "string" && ext.state.length > 0, "says the state");
    assert.notEqual(ext.state, "AUTHENTICATED");
    assert.deepEqual(await booked("strict-exp-1"), [], "nothing placed");
    // The request may have reached the gateway (and met the dead session); no order write was accepted.
    assert.ok((await s.orderWrites()).slice(writes).every((w) => w.status !== 200));

    // Once the server knows, the answer is the same, with its state.
    await eventually("the server noticing", async () => (await cpState()) !== "AUTHENTICATED");
    const again = await s.op(PLACE, limitOrder("strict-exp-2", "CLIENT_PORTAL"));
    assert.deepEqual(codesOf(again), ["SESSION_NOT_READY"]);
    assert.notEqual(again.errors?.[0]?.extensions?.state, "AUTHENTICATED");
    assert.deepEqual(await booked("strict-exp-2"), []);

    await heal();
    const ok = await s.op(PLACE, limitOrder("strict-exp-1", "CLIENT_PORTAL"));
    assert.deepEqual(ok.errors, undefined, "the same key places once the session is back");
    assert.equal((await booked("strict-exp-1"))[0]?.api, "CP");
  });
});

describe("cancelling with Client Portal logged out (self-contained)", () => {
  let s: SimApp;
  const cpState = async () =>
    (await s.op(`{ session { clientPortal { state } } }`)).data?.session.clientPortal.state as string;
  const booked = async (cOID: string) => (await s.simOrders()).filter((o) => o.clientOrderId === cOID);
  const heal = async () => {
    await s.control("/sim/session/login");
    await eventually("Client Portal healed", async () => (await cpState()) === "AUTHENTICATED");
  };
  before(async () => {
    s = await startSimApp();
    await eventually(
      "both APIs ready",
      async () => (await s.op(`{ session { ready } }`)).data?.session.ready,
    );
  });
  after(() => s?.stop());

  it("cancelling a Client Portal order while Client Portal is logged out answers with Client Portal's state; the order stays", async () => {
    const placed = await s.op(PLACE, limitOrder("strict-cp-owned", "CLIENT_PORTAL"));
    assert.deepEqual(placed.errors, undefined);
    const id = placed.data?.placeOrder.order.id as string;
    await s.control("/sim/session/logout");
    await eventually("LOGIN_REQUIRED", async () => (await cpState()) === "LOGIN_REQUIRED");

    const r = await s.op(`mutation($id: ID!) { cancelOrder(id: $id) { id status } }`, { id });
    assert.deepEqual(codesOf(r), ["SESSION_NOT_READY"], JSON.stringify(r.errors));
    assert.equal(r.errors?.[0]?.extensions?.api, "CLIENT_PORTAL");
    assert.equal(r.errors?.[0]?.extensions?.state, "LOGIN_REQUIRED");
    assert.equal((await booked("strict-cp-owned"))[0]?.status, "Submitted");
    await heal();
  });
});
