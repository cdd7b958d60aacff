import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { EventName, IBApi } from "@stoqey/ib";
import { loadConfig, type Config } from "../src/config/config";
import { runDoctor, type Check } from "../src/doctor/doctor";
import { portAccountMismatch } from "../src/doctor/tws-checks";
import { DEFAULT_INSTRUMENTS } from "../src/simulators/brokerage";
import { startSimulators, type Simulators } from "../src/simulators";
import { ownedClosedAddress } from "./helpers/ports";

const TIMEOUT = 800;

function configFor(sims: Simulators, over: Partial<Config> = {}): Config {
  return {
    ...loadConfig({}, {}, null),
    simulated: false,
    cpUrl: sims.cp.url,
    twsHost: sims.tws.host,
    twsPort: sims.tws.port,
    ...over,
  };
}

const byName = (checks: Check[], api: Check["api"], name: string) =>
  checks.find((c) => c.api === api && c.name === name);

describe("ibkr-graphql doctor", () => {
  let sims: Simulators;
  before(async () => {
    sims = await startSimulators({});
  });
  after(() => sims.stop());

  it("is all ✅ against the running simulators", async () => {
    const checks = await runDoctor(configFor(sims), { cpCaPem: sims.cp.caPem, timeoutMs: 3000 });
    assert.ok(checks.length >= 9, JSON.stringify(checks));
    assert.deepEqual(
      checks.filter((c) => !c.ok),
      [],
    );
  });

  it("says which gateway to start on a closed port", async (t) => {
    // Closed, and held by this test so no parallel test can start listening there meanwhile.
    const { host, port, release } = await ownedClosedAddress();
    t.after(release);
    const checks = await runDoctor(
      configFor(sims, { cpUrl: `https://${host}:${port}`, twsHost: host, twsPort: port }),
      { timeoutMs: TIMEOUT },
    );
    const cp = byName(checks, "CLIENT_PORTAL", "reachable")!;
    assert.equal(cp.ok, false);
    assert.match(cp.fix!, /Start the Client Portal gateway/);
    const tws = byName(checks, "TWS", "reachable")!;
    assert.equal(tws.ok, false);
    assert.match(tws.fix!, /Enable ActiveX and Socket Clients/);
  });

  it("explains certificate errors", async () => {
    const checks = await runDoctor(configFor(sims, { twsPort: undefined }), { timeoutMs: TIMEOUT });
    const tls = byName(checks, "CLIENT_PORTAL", "TLS")!;
    assert.equal(tls.ok, false);
    assert.match(tls.fix!, /IB_CP_CA_FILE/);
    assert.match(tls.fix!, /IB_CP_INSECURE_TLS=true/);
  });

  it("sends a logged-out user to the login page", async () => {
    sims.cp.control.logout();
    try {
      const checks = await runDoctor(configFor(sims, { twsPort: undefined }), {
        cpCaPem: sims.cp.caPem,
        timeoutMs: TIMEOUT,
      });
      const login = byName(checks, "CLIENT_PORTAL", "logged in")!;
      assert.equal(login.ok, false);
      assert.ok(login.fix!.includes(sims.cp.url), login.fix);
    } finally {
      sims.cp.control.login();
    }
  });

  it("recognizes a zombie gateway", async () => {
    sims.tws.control.setZombie(true);
    try {
      const checks = await runDoctor(configFor(sims, { cpUrl: undefined }), { timeoutMs: TIMEOUT });
      assert.equal(byName(checks, "TWS", "reachable")!.ok, true);
      const handshake = byName(checks, "TWS", "API handshake")!;
      assert.equal(handshake.ok, false);
      assert.match(handshake.fix!, /Trusted IPs|hung/);
    } finally {
      sims.tws.control.setZombie(false);
    }
  });

  it("reports a client id in use (326)", async () => {
    const other = new IBApi({ host: sims.tws.host, port: sims.tws.port });
    const ready = new Promise((r) => other.once(EventName.nextValidId, r));
    other.connect(7);
    await ready;
    try {
      const checks = await runDoctor(configFor(sims, { cpUrl: undefined, twsClientId: 7 }), {
        timeoutMs: TIMEOUT,
      });
      const start = byName(checks, "TWS", "session start")!;
      assert.equal(start.ok, false);
      assert.match(start.detail, /326/);
      assert.match(start.fix!, /IB_TWS_CLIENT_ID/);
    } finally {
      other.disconnect();
    }
  });

  it("reports error 200 when no security definition is found", async () => {
    const noAapl = await startSimulators({
      brokerage: { instruments: DEFAULT_INSTRUMENTS.filter((i) => i.symbol !== "AAPL") },
    });
    try {
      const checks = await runDoctor(configFor(noAapl, { cpUrl: undefined }), { timeoutMs: 3000 });
      const lookup = byName(checks, "TWS", "contract lookup")!;
      assert.equal(lookup.ok, false);
      assert.match(lookup.detail, /200/);
      assert.match(lookup.fix!, /market data subscriptions/);
    } finally {
      await noAapl.stop();
    }
  });

  it("knows paper and live ports", () => {
    assert.equal(portAccountMismatch(7496, ["DU1234567"]), true);
    assert.equal(portAccountMismatch(4002, ["U1234567"]), true);
    assert.equal(portAccountMismatch(7497, ["DU1234567"]), false);
    assert.equal(portAccountMismatch(4001, ["U1234567"]), false);
  });
});
