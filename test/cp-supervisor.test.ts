import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AppError } from "../src/errors";
import { ClientPortalState, SessionEventType } from "../src/schema/enums";
import type { ClientPortalSessionApi, SessionProbe } from "../src/session/client-portal-session-api";
import {
  createClientPortalSupervisor,
  type ClientPortalSupervisor,
} from "../src/session/client-portal-supervisor";
import { FakeClock } from "./helpers/cp-fake-clock";

/** A scripted gateway session: flip its flags and watch the supervisor react. */
class FakeSession implements ClientPortalSessionApi {
  reachable = true;
  sso = true;
  brokerage = true;
  competing = false;
  healWorks = true;
  calls: { name: string; at: number; compete?: boolean }[] = [];

  constructor(private readonly clock: FakeClock) {}

  private auth(): SessionProbe {
    if (!this.reachable) return { kind: "unreachable", message: "ECONNREFUSED" };
    if (!this.sso) return { kind: "noSso", message: "HTTP 401" };
    return {
      kind: "ok",
      auth: {
        authenticated: this.brokerage && !this.competing,
        connected: true,
        competing: this.competing,
        established: null,
        message: null,
      },
      raw: {},
    };
  }
  private log(name: string, compete?: boolean) {
    this.calls.push({ name, at: this.clock.now(), compete });
  }
  count(name: string) {
    return this.calls.filter((c) => c.name === name).length;
  }
  async tickle() {
    this.log("tickle");
    return this.auth();
  }
  async authStatus() {
    this.log("authStatus");
    return this.auth();
  }
  async ssodhInit(compete: boolean) {
    this.log("ssodhInit", compete);
    if (this.reachable && this.sso && this.healWorks && (!this.competing || compete)) {
      this.brokerage = true;
      this.competing = false;
    }
    return this.auth();
  }
  async reauthenticate() {
    this.log("reauthenticate");
    if (this.reachable && this.sso && this.healWorks && !this.competing) this.brokerage = true;
    return this.reachable && this.sso
      ? ({ kind: "ok", auth: null, raw: { message: "triggered" } } as const)
      : this.auth();
  }
  async ssoValidate() {
    this.log("ssoValidate");
    return this.auth();
  }
  async portfolioCheck() {
    this.log("portfolioCheck");
    return this.auth();
  }
}

function setup(opts: { readOnly?: boolean; takeOverCompeting?: boolean } = {}) {
  const clock = new FakeClock();
  const api = new FakeSession(clock);
  const events: { type: SessionEventType; at: number; message?: string }[] = [];
  const supervisor: ClientPortalSupervisor = createClientPortalSupervisor({
    api,
    clock,
    random: () => 0.5,
    sink: { session: (_api, type, message) => events.push({ type, at: clock.now(), message }) },
    loginUrl: "https://localhost:5001/",
    tickleMs: 10_000,
    recoveryPollMs: 2_000,
    reauthWaitMs: 3_000,
    reauthPollMs: 500,
    reauthBackoffMs: 2_000,
    ssoValidateMs: 60_000,
    ...opts,
  });
  const types = () => events.map((e) => e.type);
  return { clock, api, events, types, supervisor };
}

describe("Client Portal session supervisor", () => {
  it("authenticates at start and tickles within every interval, jittered below it", async () => {
    const { clock, api, types, supervisor } = setup();
    await supervisor.start();
    assert.deepEqual(types(), [SessionEventType.AUTHENTICATED]);
    assert.equal(supervisor.status().state, ClientPortalState.AUTHENTICATED);
    await clock.advance(60_000);
    const tickles = api.calls.filter((c) => c.name === "tickle").map((c) => c.at);
    assert.ok(tickles.length >= 6);
    for (let i = 1; i < tickles.length; i++) {
      const gap = tickles[i]! - tickles[i - 1]!;
      assert.ok(gap <= 10_000 && gap >= 9_000, `tickle gap ${gap}`);
    }
    assert.ok(supervisor.status().lastTickleAt instanceof Date);
    supervisor.close();
  });

  it("turns an expired brokerage session into EXPIRED then RESTORED within one tickle interval", async () => {
    const { clock, api, events, types, supervisor } = setup();
    await supervisor.start();
    const expiredAt = clock.now() + 1_000;
    await clock.advance(1_000);
    api.brokerage = false;
    await clock.advance(10_000);
    assert.deepEqual(types(), [
      SessionEventType.AUTHENTICATED,
      SessionEventType.EXPIRED,
      SessionEventType.RESTORED,
    ]);
    assert.ok(events[1]!.at - expiredAt <= 10_000);
    assert.equal(api.calls.find((c) => c.name === "ssodhInit")?.compete, true);
    assert.equal(supervisor.status().state, ClientPortalState.AUTHENTICATED);
    supervisor.close();
  });

  it("caps failing re-authentications to a few a minute and reports each failure", async () => {
    const { clock, api, types, supervisor } = setup();
    await supervisor.start();
    api.brokerage = false;
    api.healWorks = false;
    await clock.advance(180_000);
    const attempts = api.calls
      .filter((c) => c.name === "ssodhInit" || c.name === "reauthenticate")
      .map((c) => c.at);
    assert.ok(attempts.length >= 2);
    for (const t of attempts) assert.ok(attempts.filter((u) => u >= t && u < t + 60_000).length <= 3);
    assert.ok(api.count("reauthenticate") >= 1, "falls back to reauthenticate");
    assert.ok(types().filter((t) => t === SessionEventType.REAUTH_FAILED).length >= 2);
    assert.equal(supervisor.status().state, ClientPortalState.EXPIRED);
    api.healWorks = true;
    await clock.advance(130_000);
    assert.equal(supervisor.status().state, ClientPortalState.AUTHENTICATED);
    assert.equal(types().at(-1), SessionEventType.RESTORED);
    supervisor.close();
  });

  it("reports LOGIN_REQUIRED with the login URL and picks the session up once a person logs in", async () => {
    const { clock, api, types, supervisor } = setup();
    await supervisor.start();
    api.sso = false;
    api.brokerage = false;
    await clock.advance(10_000);
    const status = supervisor.status();
    assert.equal(status.state, ClientPortalState.LOGIN_REQUIRED);
    assert.equal(status.loginUrl, "https://localhost:5001/");
    assert.match(status.message ?? "", /log in at https:\/\/localhost:5001\//);
    const err = supervisor.notReady();
    assert.equal(err.code, "SESSION_NOT_READY");
    assert.equal(err.details.loginUrl, "https://localhost:5001/");
    await assert.rejects(
      supervisor.reauthenticate(),
      (e) => e instanceof AppError && e.code === "SESSION_NOT_READY",
    );
    const before = api.count("ssodhInit");
    await clock.advance(30_000);
    assert.equal(api.count("ssodhInit"), before, "no login attempts without SSO");
    api.sso = true;
    const loggedInAt = clock.now();
    await clock.advance(2_000);
    assert.equal(supervisor.status().state, ClientPortalState.AUTHENTICATED);
    assert.deepEqual(types(), [
      SessionEventType.AUTHENTICATED,
      SessionEventType.LOGIN_REQUIRED,
      SessionEventType.AUTHENTICATED,
    ]);
    assert.ok(clock.now() - loggedInAt <= 2_000);
    supervisor.close();
  });

  it("reports COMPETING without fighting for the session, and takes it over on reauthenticate", async () => {
    const { clock, api, types, supervisor } = setup();
    await supervisor.start();
    api.competing = true;
    await clock.advance(10_000);
    assert.equal(supervisor.status().state, ClientPortalState.COMPETING);
    assert.equal(supervisor.status().competing, true);
    await clock.advance(30_000);
    assert.equal(api.count("ssodhInit"), 0);
    await supervisor.reauthenticate();
    assert.equal(api.calls.find((c) => c.name === "ssodhInit")?.compete, true);
    assert.equal(supervisor.status().state, ClientPortalState.AUTHENTICATED);
    assert.deepEqual(types(), [
      SessionEventType.AUTHENTICATED,
      SessionEventType.COMPETING,
      SessionEventType.RESTORED,
    ]);
    supervisor.close();
  });

  it("reports DISCONNECTED while the gateway is unreachable and CONNECTED when it is back", async () => {
    const { clock, api, types, supervisor } = setup();
    await supervisor.start();
    api.reachable = false;
    await clock.advance(10_000);
    assert.equal(supervisor.status().state, ClientPortalState.UNREACHABLE);
    assert.equal(supervisor.notReady().code, "BROKER_UNAVAILABLE");
    api.reachable = true;
    await clock.advance(2_000);
    assert.deepEqual(types(), [
      SessionEventType.AUTHENTICATED,
      SessionEventType.DISCONNECTED,
      SessionEventType.CONNECTED,
      SessionEventType.RESTORED,
    ]);
    supervisor.close();
  });

  it("read-only users: never touch the brokerage session, authenticated through the portfolio side", async () => {
    const { clock, api, types, supervisor } = setup({ readOnly: true });
    api.brokerage = false;
    await supervisor.start();
    assert.equal(supervisor.status().state, ClientPortalState.AUTHENTICATED);
    assert.equal(supervisor.status().readOnly, true);
    await clock.advance(60_000);
    api.sso = false;
    await clock.advance(10_000);
    assert.equal(supervisor.status().state, ClientPortalState.LOGIN_REQUIRED);
    for (const name of ["authStatus", "ssodhInit", "reauthenticate"]) assert.equal(api.count(name), 0, name);
    assert.deepEqual(types(), [SessionEventType.AUTHENTICATED, SessionEventType.LOGIN_REQUIRED]);
    supervisor.close();
  });
});
