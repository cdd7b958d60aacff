import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ErrorCode } from "../src/errors";
import { SessionEventType, TwsState } from "../src/schema/enums";
import { ownedClosedAddress } from "./helpers/ports";
import { startSimPair, startTwsAdapter, type SimPair } from "./helpers/tws-harness";

const lastSession = (s: { sessions: { type: SessionEventType; message?: string }[] }) => s.sessions.at(-1);

describe("TWS connection supervisor", () => {
  let pair: SimPair;
  before(async () => {
    pair = await startSimPair();
  });
  after(async () => {
    await pair.stop();
  });

  it("reports DISCONNECTED while TWS is unreachable and connects once it listens", async (t) => {
    // An address nobody listens on whose port this test holds throughout, so no parallel test can take it
    // between "unreachable" and "TWS comes up" there.
    const closed = await ownedClosedAddress();
    t.after(() => closed.release());
    const { host, port } = closed;
    const { broker, sink } = await startTwsAdapter(pair, { host, port });
    t.after(() => broker.close());
    assert.equal(broker.status().state, TwsState.DISCONNECTED);
    assert.match(broker.status().lastError ?? "", /Cannot reach TWS/);
    assert.equal(lastSession(sink)?.type, SessionEventType.DISCONNECTED);
    assert.throws(
      () => broker.assertReady(),
      (e: { code?: string }) => e.code === ErrorCode.SESSION_NOT_READY,
    );
    const again = await startSimPair({}, port, { host });
    t.after(() => again.stop());
    await sink.until(() => broker.isReady(), "connected after TWS came up");
    assert.equal(lastSession(sink)?.type, SessionEventType.CONNECTED);
    assert.equal(broker.status().lastError, null);
  });

  it("rotates through the client id range when TWS says the id is in use (326)", async (t) => {
    const first = await startTwsAdapter(pair, { clientId: 20, clientIdRange: 1 });
    t.after(() => first.broker.close());
    const second = await startTwsAdapter(pair, { clientId: 20, clientIdRange: 3 });
    t.after(() => second.broker.close());
    await second.sink.until(() => second.broker.isReady(), "second client connected");
    assert.equal(first.broker.status().clientId, 20);
    assert.equal(second.broker.status().clientId, 21);
    assert.ok(
      second.sink.sessions.some(
        (s) => s.type === SessionEventType.DISCONNECTED && /326/.test(s.message ?? ""),
      ),
      JSON.stringify(second.sink.sessions),
    );
    assert.deepEqual(
      pair.sim
        .clients()
        .map((c) => c.clientId)
        .filter((id) => id >= 20)
        .sort(),
      [20, 21],
    );
  });

  it("detects a zombie gateway, recreates the client and recovers when TWS answers again", async (t) => {
    const { broker, sink } = await startTwsAdapter(pair, { clientId: 30 });
    t.after(async () => {
      pair.sim.control.setZombie(false);
      await broker.close();
    });
    assert.ok(broker.isReady());
    const before = sink.sessions.length;
    pair.sim.control.setZombie(true);
    await sink.until(
      () => sink.sessions.slice(before).some((s) => s.type === SessionEventType.DISCONNECTED),
      "zombie detected",
      4000,
    );
    assert.match(broker.status().lastError ?? "", /zombie/);
    assert.equal(broker.isReady(), false);
    pair.sim.control.setZombie(false);
    await sink.until(() => broker.isReady(), "reconnected after the zombie", 6000);
    assert.equal(lastSession(sink)?.type, SessionEventType.CONNECTED);
    // The zombie socket is gone: only the new connection is registered at TWS.
    assert.equal(pair.sim.clients().filter((c) => c.clientId === 30).length, 1);
  });

  it("reconnects after TWS drops every connection and refuses for a while", async (t) => {
    const { broker, sink } = await startTwsAdapter(pair, { clientId: 40 });
    t.after(() => broker.close());
    const before = sink.sessions.length;
    pair.sim.control.disconnectAll({ refuseMs: 300 });
    await sink.until(() => !broker.isReady(), "drop noticed");
    await sink.until(() => broker.isReady(), "reconnected", 5000);
    const types = sink.sessions.slice(before).map((s) => s.type);
    assert.equal(types[0], SessionEventType.DISCONNECTED);
    assert.equal(types.at(-1), SessionEventType.CONNECTED);
    assert.match(lastSession(sink)?.message ?? "", /Reconnected/);
    assert.equal(broker.status().clientId, 40);
  });

  it("handles 1100 / 1101 / 1102: not ready while IB is unreachable, resubscribes after data loss", async (t) => {
    const { broker, sink } = await startTwsAdapter(pair, { clientId: 50 });
    t.after(() => broker.close());
    pair.sim.control.sendNotice(1100);
    await sink.until(() => broker.status().state === TwsState.DISCONNECTED, "1100 → DISCONNECTED");
    assert.match(lastSession(sink)?.message ?? "", /1100/);
    assert.throws(() => broker.assertReady());
    pair.sim.control.sendNotice(1101);
    await sink.until(() => broker.isReady(), "1101 → CONNECTED");
    assert.match(lastSession(sink)?.message ?? "", /data lost.*resubscribed/);
    // After the resubscription the account streams serve again.
    assert.ok((await broker.getAccountSummary("DU1234567"))?.netLiquidation);

    pair.sim.control.sendNotice(2110);
    await sink.until(() => !broker.isReady(), "2110 → DISCONNECTED");
    pair.sim.control.sendNotice(1102);
    await sink.until(() => broker.isReady(), "1102 → CONNECTED");
    assert.match(lastSession(sink)?.message ?? "", /data maintained/);
    // The socket survived all of it: the same connection, no reconnect.
    assert.equal(pair.sim.clients().filter((c) => c.clientId === 50).length, 1);
    assert.ok(!sink.sessions.some((s) => /Reconnected/.test(s.message ?? "")));
  });

  it("keeps TwsStatus true: host, port, client id, server version, last message time", async (t) => {
    const { broker } = await startTwsAdapter(pair, { clientId: 60 });
    t.after(() => broker.close());
    const s = broker.status();
    assert.equal(s.enabled, true);
    assert.equal(s.host, pair.sim.host);
    assert.equal(s.port, pair.sim.port);
    assert.equal(s.clientId, 60);
    assert.equal(s.serverVersion, 193);
    assert.ok(s.lastMessageAt instanceof Date);
    const r = broker.readiness();
    assert.equal(r.ready, true);
    assert.equal(r.state, TwsState.CONNECTED);
  });
});
