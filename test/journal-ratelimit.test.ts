import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, describe, it } from "node:test";
import {
  marketOrder,
  PLACE,
  startGateways,
  startJournalApp,
  tempDataDir,
  type Gateways,
} from "./helpers/journal-app";
import { eventually } from "./helpers/wait";

/** IB's limits at 40 %: GET /iserver/account/orders once per 2 s, long enough to restart inside. */
const SCALE = 0.4;
const ORDERS_WINDOW_MS = 5_000 * SCALE;

describe("rate-limit memory across a restart", () => {
  let gw: Gateways;
  let dataDir: string;
  after(async () => {
    await gw.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("a server restarted at once waits out its predecessor's windows: ready within one, no 429", async () => {
    gw = await startGateways({ limitsScale: SCALE });
    dataDir = await tempDataDir();
    const s1 = await startJournalApp(gw, dataDir, { apis: "cp" });
    const placed = await s1.op(PLACE, marketOrder("rl-1", "CLIENT_PORTAL"));
    assert.equal(placed.errors, undefined, JSON.stringify(placed.errors));
    const ordersCalls = async () =>
      (await gw.requests()).filter((r) => r.method === "GET" && r.path.endsWith("/iserver/account/orders"));
    // The follower has just read the live orders: the endpoint's window is open at the gateway.
    const before = (await ordersCalls()).length;
    await eventually("a live-orders read", async () => (await ordersCalls()).length > before);
    await s1.stop();

    const restartedAt = Date.now();
    const s2 = await startJournalApp(gw, dataDir, { apis: "cp" });
    try {
      const readyAfter = Date.now() - restartedAt;
      assert.ok(readyAfter < ORDERS_WINDOW_MS + 1_500, `ready after ${readyAfter} ms`);
      const seen = (await ordersCalls()).length;
      // The new process's own first reads of the endpoint went out, after the window.
      await eventually(
        "the restarted server reading live orders",
        async () => (await ordersCalls()).length > seen,
      );
      const orders = await s2.op(`{ orders { clientOrderId } }`);
      assert.equal(orders.errors, undefined, JSON.stringify(orders.errors));
      const refused = (await gw.requests()).filter((r) => r.status === 429);
      assert.deepEqual(refused, [], "no request inside a window");
    } finally {
      await s2.stop();
    }
  });
});
