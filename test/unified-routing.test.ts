import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { request } from "undici";
import type { Json } from "./helpers/cp-sim-client";
import { codesOf, startSimApp, type SimApp } from "./helpers/sim-app";
import { eventually } from "./helpers/wait";

const ACCT = "DU1234567";
const AAPL = 265598;

const PLACE = `mutation Place($i: PlaceOrderInput!) {
  placeOrder(input: $i) { order { id clientOrderId source status } confirmation { replyId } }
}`;
const SESSION = `query { session {
  ready
  clientPortal { enabled state authenticated connected message loginUrl }
  tws { enabled state lastError }
} }`;

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

/**
 * The checks every group below shares, over its own server: each group starts the state it is about in
 * `before` (or `beforeEach`), so every test passes alone (`--test-name-pattern`) and in any order.
 */
function routingHarness() {
  const h = {
    s: undefined as unknown as SimApp,
    readyz: async () => {
      const r = await request(h.s.httpUrl.replace(/\/graphql$/, "/readyz"));
      return { status: r.statusCode, body: (await r.body.json()) as Json };
    },
    session: async () => (await h.s.op(SESSION)).data.session,
    /** /readyz and the session query tell the same story, side by side. */
    assertTruthful: async (expect: { tws: boolean; cp: boolean }) => {
      const [ss, rz] = [await h.session(), await h.readyz()];
      assert.equal(ss.ready, expect.tws && expect.cp, "session.ready");
      assert.equal(rz.status, expect.tws && expect.cp ? 200 : 503, "/readyz status");
      assert.equal(rz.body.ready, ss.ready);
      assert.equal(rz.body.components.tws.ready, expect.tws, "/readyz tws.ready");
      assert.equal(rz.body.components.clientPortal.ready, expect.cp, "/readyz clientPortal.ready");
      // Read a moment apart: a side that is up must read the same; a side that is down may move between
      // down states (TWS retries: DISCONNECTED ⇄ CONNECTING) but never read as up in one and down in the other.
      if (expect.tws) assert.equal(rz.body.components.tws.state, ss.tws.state);
      else assert.notEqual(rz.body.components.tws.state, "CONNECTED");
      if (expect.cp) assert.equal(rz.body.components.clientPortal.state, ss.clientPortal.state);
      else assert.notEqual(rz.body.components.clientPortal.state, "AUTHENTICATED");
      assert.equal(ss.tws.state === "CONNECTED", expect.tws, `tws state ${ss.tws.state}`);
      assert.equal(ss.clientPortal.state === "AUTHENTICATED", expect.cp, `cp state ${ss.clientPortal.state}`);
      return ss;
    },
    /** Healed on both ends: the gateway has a brokerage session again and the server knows it. */
    cpHealed: async () =>
      (await h.s.cp.get<Json>("/sim/session")).body.authenticated === true &&
      (await h.session()).clientPortal.state === "AUTHENTICATED",
    /** The API the book says placed the order with this clientOrderId ("TWS" or "CP"). */
    placedThrough: async (clientOrderId: string) =>
      (await h.s.simOrders()).find((o) => o.clientOrderId === clientOrderId)?.api,
    bookSize: async () => (await h.s.simOrders()).length,
    bothReady: () =>
      eventually("both APIs ready", async () => (await h.session()).ready === true && (await h.cpHealed())),
    /** Logs Client Portal out at the gateway and waits for the server to say LOGIN_REQUIRED. */
    logOut: async () => {
      await h.s.control("/sim/session/logout");
      await eventually(
        "Client Portal noticing the logout",
        async () => (await h.session()).clientPortal.state === "LOGIN_REQUIRED",
      );
    },
    /** Drops TWS and refuses it for longer than the group runs: TWS stays down. */
    dropTws: async () => {
      await h.s.control("/sim/tws/disconnect", { refuseMs: 60_000 });
      await eventually("TWS noticing", async () => (await h.session()).tws.state !== "CONNECTED");
    },
  };
  before(async () => {
    h.s = await startSimApp();
    await h.bothReady();
  });
  after(() => h.s?.stop());
  return h;
}

/** An API that is down answers with its own state, never a generic error; the other one carries on. */
describe("routing with one API down", () => {
  describe("both up", () => {
    const h = routingHarness();
    // The expiry test heals the session itself; this makes a failure there not fail the next test.
    beforeEach(() => h.bothReady());

    it("with both up, an order without `via` goes through TWS", async () => {
      await h.assertTruthful({ tws: true, cp: true });
      const r = await h.s.op(PLACE, limitOrder("route-both-1"));
      assert.deepEqual(r.errors, undefined);
      // Which API placed it is the book's word (`source` can lose a race to the other API's first report).
      assert.equal(await h.placedThrough("route-both-1"), "TWS");
    });

    it("with Client Portal's brokerage session expired: nothing placed through the dead session, then it heals on its own", async () => {
      await h.s.control("/sim/session/expire");
      // The supervisor heals an expiry on its own within a few hundred ms; the placement right after the
      // expiry meets the dead session (or, on a slow machine, the healed one: then it simply goes through).
      // The version where the placement always meets the dead session is in promises-routing.test.ts.
      const r = await h.s.op(PLACE, limitOrder("route-cp-exp-1", "CLIENT_PORTAL"));
      const placed = (await h.s.simOrders()).filter((o) => o.clientOrderId === "route-cp-exp-1");
      if (r.errors) {
        assert.deepEqual(codesOf(r), ["SESSION_NOT_READY"], JSON.stringify(r.errors));
        assert.equal(r.errors[0]?.extensions?.api, "CLIENT_PORTAL");
        assert.ok(r.errors[0]?.extensions?.state, "says the state");
        assert.equal(placed.length, 0, "nothing placed");
      } else {
        assert.equal(placed.length, 1);
        assert.equal(placed[0]?.api, "CP");
      }
      // No login from the test: the supervisor re-opens the brokerage session by itself.
      await eventually("Client Portal healed", h.cpHealed);
      await h.assertTruthful({ tws: true, cp: true });
    });
  });

  describe("Client Portal logged out", () => {
    const h = routingHarness();
    let cpOwnedId = "";
    before(async () => {
      const cpOrder = await h.s.op(PLACE, limitOrder("route-cp-owned", "CLIENT_PORTAL"));
      assert.equal(await h.placedThrough("route-cp-owned"), "CP");
      cpOwnedId = cpOrder.data.placeOrder.order.id as string;
    });
    // Logged out before each test (the healing test logs back in).
    beforeEach(() => h.logOut());

    it("with Client Portal logged out: via CLIENT_PORTAL answers SESSION_NOT_READY with state and loginUrl", async () => {
      const ss = await h.assertTruthful({ tws: true, cp: false });
      assert.equal(ss.clientPortal.state, "LOGIN_REQUIRED");
      assert.equal(ss.clientPortal.loginUrl, h.s.app.simulators?.cp.loginUrl.replace(/\/[^/]*$/, "/"));

      const writes = (await h.s.orderWrites()).length;
      const before = await h.bookSize();
      const r = await h.s.op(PLACE, limitOrder("route-cp-down-1", "CLIENT_PORTAL"));
      assert.deepEqual(codesOf(r), ["SESSION_NOT_READY"]);
      const ext = r.errors?.[0]?.extensions ?? {};
      assert.equal(ext.api, "CLIENT_PORTAL");
      assert.equal(ext.state, "LOGIN_REQUIRED");
      assert.equal(ext.loginUrl, ss.clientPortal.loginUrl);
      assert.match(r.errors?.[0]?.message ?? "", /log in at https:\/\//);
      assert.equal(await h.bookSize(), before, "nothing placed");
      assert.equal((await h.s.orderWrites()).length, writes, "nothing sent to the gateway");

      // Without `via`, TWS takes it; the same key may be used again since nothing was placed.
      const ok = await h.s.op(PLACE, limitOrder("route-cp-down-1"));
      assert.deepEqual(ok.errors, undefined);
      assert.equal(ok.data.placeOrder.order.source, "TWS");
    });

    it("with Client Portal logged out, reads carry on through TWS alone", async () => {
      const accounts = await h.s.op("{ accounts { id sources } }");
      assert.deepEqual(accounts.data.accounts, [{ id: ACCT, sources: ["TWS"] }]);
      const orders = await h.s.op("{ orders { clientOrderId } }");
      assert.deepEqual(orders.errors, undefined);
      assert.ok(orders.data.orders.some((o: Json) => o.clientOrderId === "route-cp-owned"));
    });

    it("with Client Portal logged out, confirmOrder and reauthenticate answer with Client Portal's state", async () => {
      const confirm = await h.s.op(
        `mutation { confirmOrder(replyId: "x1", confirmed: true) { order { id } } }`,
      );
      assert.ok(
        ["SESSION_NOT_READY", "NOT_FOUND"].includes(codesOf(confirm)[0] ?? ""),
        JSON.stringify(confirm.errors),
      );
      const reauth = await h.s.op(`mutation { reauthenticate { ready } }`);
      assert.deepEqual(codesOf(reauth), ["SESSION_NOT_READY"], JSON.stringify(reauth.errors));
      assert.equal(reauth.errors?.[0]?.extensions?.state, "LOGIN_REQUIRED");
    });

    it("cancelling a Client Portal order while Client Portal is down answers with Client Portal's state", async () => {
      // Only its placing client may change it, so TWS cannot: the answer is Client Portal's state, not a
      // generic error, and the order stays as it is.
      const cancel = await h.s.op(`mutation($id: ID!) { cancelOrder(id: $id) { id status } }`, {
        id: cpOwnedId,
      });
      assert.deepEqual(codesOf(cancel), ["SESSION_NOT_READY"], JSON.stringify(cancel.errors));
      assert.equal(cancel.errors?.[0]?.extensions?.api, "CLIENT_PORTAL");
      assert.equal(cancel.errors?.[0]?.extensions?.state, "LOGIN_REQUIRED");
      assert.equal((await h.s.simOrders()).find((o) => String(o.permId) === cpOwnedId)?.status, "Submitted");
    });

    it("after a login at the gateway, Client Portal is ready again and both APIs read as up", async () => {
      await h.s.control("/sim/session/login");
      await eventually("Client Portal back", h.cpHealed);
      await h.assertTruthful({ tws: true, cp: true });
    });
  });

  describe("TWS dropped", () => {
    const h = routingHarness();
    let twsOwnedId = "";
    before(async () => {
      // An order TWS placed, to be cancelled while TWS is away.
      const twsOrder = await h.s.op(PLACE, limitOrder("route-tws-owned", "TWS"));
      assert.equal(await h.placedThrough("route-tws-owned"), "TWS");
      twsOwnedId = twsOrder.data.placeOrder.order.id as string;
      await h.dropTws();
    });

    it("with TWS dropped: orders go through Client Portal, via TWS answers with TWS's state", async () => {
      const ss = await h.assertTruthful({ tws: false, cp: true });
      assert.ok(ss.tws.lastError, "session says why TWS is down");

      const r = await h.s.op(PLACE, limitOrder("route-tws-down-1"));
      assert.deepEqual(r.errors, undefined);
      assert.equal(r.data.placeOrder.order.source, "CLIENT_PORTAL");
      assert.equal(await h.placedThrough("route-tws-down-1"), "CP");

      const before = await h.bookSize();
      const via = await h.s.op(PLACE, limitOrder("route-tws-down-2", "TWS"));
      const code = codesOf(via)[0];
      assert.ok(code === "SESSION_NOT_READY" || code === "BROKER_UNAVAILABLE", JSON.stringify(via.errors));
      assert.equal(via.errors?.[0]?.extensions?.api, "TWS");
      assert.ok(["DISCONNECTED", "CONNECTING"].includes(String(via.errors?.[0]?.extensions?.state)));
      assert.equal(await h.bookSize(), before, "nothing placed");

      // Reads come from Client Portal alone.
      const accounts = await h.s.op("{ accounts { id sources } }");
      assert.deepEqual(accounts.data.accounts, [{ id: ACCT, sources: ["CLIENT_PORTAL"] }]);
    });

    it("cancels a TWS-placed order through Client Portal while TWS is down", async () => {
      const id = twsOwnedId;
      // The TWS-placed order is cancelled through Client Portal; the client sees the same order.
      const cancel = await h.s.op(
        `mutation($id: ID!) { cancelOrder(id: $id) { id clientOrderId source status } }`,
        { id },
      );
      assert.deepEqual(cancel.errors, undefined);
      assert.equal(cancel.data.cancelOrder.id, id);
      assert.equal(cancel.data.cancelOrder.clientOrderId, "route-tws-owned");
      await eventually(
        "the cancel at the book",
        async () => (await h.s.simOrders()).find((o) => String(o.permId) === id)?.status === "Cancelled",
      );
    });
  });

  describe("both down", () => {
    const h = routingHarness();
    before(async () => {
      await h.dropTws();
      await h.logOut();
    });

    it("with both down, reads and orders answer with a state, not an empty list or a generic error", async () => {
      await h.assertTruthful({ tws: false, cp: false });
      const r = await h.s.op(PLACE, limitOrder("route-none-1"));
      const code = codesOf(r)[0];
      assert.ok(code === "SESSION_NOT_READY" || code === "BROKER_UNAVAILABLE", JSON.stringify(r.errors));
      assert.ok(r.errors?.[0]?.extensions?.state);
      const positions = await h.s.op("{ positions { accountId } }");
      assert.ok(["SESSION_NOT_READY", "BROKER_UNAVAILABLE"].includes(codesOf(positions)[0] ?? ""));
    });

    it("with both down, `accounts` answers SESSION_NOT_READY rather than an empty list", async () => {
      const accounts = await h.s.op("{ accounts { id } }");
      assert.ok(
        ["SESSION_NOT_READY", "BROKER_UNAVAILABLE"].includes(codesOf(accounts)[0] ?? ""),
        JSON.stringify(accounts),
      );
    });
  });
});
