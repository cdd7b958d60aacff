import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startApp } from "../src/app";
import { loadConfig } from "../src/config/config";
import { silentLogger } from "../src/logger";
import { AccountsDocument, PositionsDocument } from "./generated/graphql";
import { gqlData } from "./helpers/graphql";
import { eventually } from "./helpers/wait";

describe("Client Portal must-call-first priming", () => {
  it("counts a plain /portfolio/accounts read as the priming, so portfolio reads never prime twice", async (t) => {
    // SIMULATED mode keeps its book and journal in DATA_DIR: this test's own.
    const dataDir = mkdtempSync(join(tmpdir(), "cp-priming-"));
    const app = await startApp(loadConfig({ PORT: "0", DATA_DIR: dataDir }, {}, null), silentLogger());
    t.after(async () => {
      await app.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });
    await gqlData(app.server.httpUrl, AccountsDocument);
    // Client Portal answers positions when TWS is down; take TWS away to make it do so.
    app.simulators!.tws.control.disconnectAll({ refuseMs: 60_000 });
    await eventually("TWS noticed as down", () => !app.broker.readiness().components.tws!.ready);
    const list = await gqlData(app.server.httpUrl, PositionsDocument, {});
    assert.ok(Array.isArray(list.positions));
    const primings = app
      .simulators!.cp.control.requests()
      .filter((r) => r.method === "GET" && r.path.endsWith("/portfolio/accounts"));
    assert.equal(primings.length, 1, "a second call would wait out IB's 1-per-5-s window");
  });
});
