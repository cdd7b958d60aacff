import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { request } from "undici";
import { startApp, type App } from "../src/app";
import { loadConfig } from "../src/config/config";
import { silentLogger } from "../src/logger";
import { AccountsDocument } from "./generated/graphql";
import { gql } from "./helpers/graphql";
import { eventually } from "./helpers/wait";

/** The value of one sample of a Prometheus text exposition, 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(?:\{(.*)\})? (.+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? "").split(",");
    if (want.every((w) => have.includes(w))) return Number(m[3]);
  }
  return 0;
}

describe("/metrics and /readyz under faults", () => {
  let app: App;
  // SIMULATED mode keeps its book and journal in DATA_DIR: this test's own.
  const dataDir = mkdtempSync(join(tmpdir(), "metrics-faults-"));
  const url = (path: string) => app.server.httpUrl.replace("/graphql", path);
  const scrape = async () => (await request(url("/metrics"))).body.text();
  const readyz = async () => {
    const r = await request(url("/readyz"));
    return {
      status: r.statusCode,
      body: (await r.body.json()) as { components: Record<string, { state: string }> },
    };
  };

  before(async () => {
    app = await startApp(loadConfig({ PORT: "0", DATA_DIR: dataDir }, {}, null), silentLogger(), {
      // The gateway allows less than the adapter assumes, so the adapter can meet a real 429.
      simulators: { cp: { rateLimits: { globalPerSecond: 3, penaltyMs: 1500 } } },
      clientPortal: { cacheTtlMs: 0, penaltyMs: 1500, tickleMs: 500 },
      tws: { reconnectMinMs: 50, reconnectMaxMs: 200, probeIntervalMs: 300, probeTimeoutMs: 300 },
    });
    await eventually("both APIs ready", async () => (await readyz()).status === 200, 10_000);
  });
  after(async () => {
    await app.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("counts upstream requests by endpoint and status", async () => {
    const before = await scrape();
    const status = (t: string) =>
      sample(t, "ibkr_upstream_requests_total", { api: "CLIENT_PORTAL", status: "200" });
    await gql(app.server.httpUrl, AccountsDocument);
    await eventually(
      "an upstream request counted",
      async () => status(await scrape()) > status(before),
      5000,
    );
    assert.ok(
      sample(await scrape(), "ibkr_graphql_operations_total", { type: "query", transport: "http" }) >= 1,
    );
  });

  it("shows a TWS drop and the reconnect, and /readyz says not ready meanwhile", async () => {
    const drops = (t: string) =>
      sample(t, "ibkr_session_transitions_total", { api: "TWS", type: "DISCONNECTED" });
    const connects = (t: string) =>
      sample(t, "ibkr_session_transitions_total", { api: "TWS", type: "CONNECTED" });
    const before = await scrape();
    app.simulators!.tws.control.disconnectAll({ refuseMs: 1500 });
    await eventually("the drop counted", async () => drops(await scrape()) > drops(before), 5000);
    const down = await readyz();
    assert.equal(down.status, 503);
    assert.notEqual(down.body.components.tws!.state, "CONNECTED");
    assert.equal(sample(await scrape(), "ibkr_ready"), 0);
    await eventually("the reconnect counted", async () => connects(await scrape()) > connects(before), 8000);
    await eventually("ready again", async () => (await readyz()).status === 200, 8000);
    assert.equal(sample(await scrape(), "ibkr_session_state", { api: "TWS", state: "CONNECTED" }), 1);
  });

  it("counts a 429 from the gateway", async () => {
    const before = sample(await scrape(), "ibkr_upstream_rate_limited_total");
    // More reads than the simulator's reduced limit allows within a second.
    await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        request(app.server.httpUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            query: `{ account(id: "DU1234567") { summary { netLiquidation } } a${i}: session { ready } }`,
          }),
        }).then((r) => r.body.dump()),
      ),
    );
    await eventually(
      "a 429 counted",
      async () => sample(await scrape(), "ibkr_upstream_rate_limited_total") > before,
      5000,
    );
  });
});
