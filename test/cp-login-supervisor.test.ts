import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AppError } from "../src/errors";
import { ClientPortalState, SessionEventType } from "../src/schema/enums";
import type { ClientPortalSessionApi, SessionProbe } from "../src/session/client-portal-session-api";
import { createClientPortalSupervisor } from "../src/session/client-portal-supervisor";
import type { BrowserLoginOutcome } from "../src/session/cp-login";
import { LoginBackoff } from "../src/session/login-backoff";
import { FakeClock } from "./helpers/cp-fake-clock";

const MIN = 60_000;

/** A gateway that is reachable and either logged in (brokerage session open) or not logged in at all. */
class FakeGateway implements ClientPortalSessionApi {
  sso = false;
  private probe(): SessionProbe {
    if (!this.sso) return { kind: "noSso", message: "HTTP 401" };
    const auth = { authenticated: true, connected: true, competing: false, established: true, message: null };
    return { kind: "ok", auth, raw: {} };
  }
  tickle = async () => this.probe();
  authStatus = async () => this.probe();
  ssodhInit = async () => this.probe();
  reauthenticate = async () => this.probe();
  ssoValidate = async () => this.probe();
  portfolioCheck = async () => this.probe();
}

const SUCCESS: BrowserLoginOutcome = {
  kind: "success",
  pageVersion: "v2",
  tradingMode: "paper",
  secondFactor: "none",
  ibKeyPromoSkipped: false,
};
const TRANSIENT: BrowserLoginOutcome = {
  kind: "transient",
  pageVersion: null,
  message: "net::ERR_TIMED_OUT",
};

/** The supervisor with a scripted login robot: each attempt takes the next outcome (the last one repeats). */
function setup(outcomes: BrowserLoginOutcome[], opts: { loginSticks?: boolean } = {}) {
  const clock = new FakeClock();
  const api = new FakeGateway();
  const attempts: number[] = [];
  const events: { type: SessionEventType; message?: string }[] = [];
  const supervisor = createClientPortalSupervisor({
    api,
    clock,
    sink: { session: (_api, type, message) => events.push({ type, message }) },
    loginUrl: "https://localhost:5001/",
    tickleMs: 10_000,
    recoveryPollMs: 2_000,
    autoLogin: {
      attempt: async () => {
        attempts.push(clock.now());
        const outcome = outcomes[Math.min(attempts.length - 1, outcomes.length - 1)]!;
        if (outcome.kind === "success" && opts.loginSticks !== false) api.sso = true;
        return outcome;
      },
    },
  });
  const types = () => events.map((e) => e.type);
  return { clock, api, attempts, events, types, supervisor };
}

describe("Client Portal automatic login: when it may try", () => {
  it("a logged-out gateway is logged in at once and the session continues as after a person's login", async () => {
    const { api, attempts, types, supervisor } = setup([SUCCESS]);
    await supervisor.start();
    assert.equal(attempts.length, 1);
    assert.equal(api.sso, true);
    assert.equal(supervisor.status().state, ClientPortalState.AUTHENTICATED);
    assert.deepEqual(types(), [SessionEventType.LOGIN_REQUIRED, SessionEventType.AUTHENTICATED]);
    supervisor.close();
  });

  it("transient failures back off from a minute, doubling, and never more than four attempts an hour", async () => {
    const { clock, attempts, events, supervisor } = setup([TRANSIENT]);
    await supervisor.start();
    await clock.advance(3 * 3_600_000);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    assert.ok(gaps.length >= 6, `attempts: ${attempts.length}`);
    for (const g of gaps) assert.ok(g >= MIN, `gap ${g}`);
    // A minute, two, four, eight, sixteen: doubling (each rounded up to the next session check).
    for (let i = 1; i < 4; i++) assert.ok(gaps[i]! >= gaps[i - 1]! * 2 - 2_000, `gaps ${gaps}`);
    for (let i = 0; i + 4 < attempts.length; i++)
      assert.ok(attempts[i + 4]! - attempts[i]! >= 3_600_000, "at most four in any hour");
    const failed = events.filter((e) => e.type === SessionEventType.LOGIN_ATTEMPT_FAILED);
    assert.equal(failed.length, attempts.length);
    assert.match(failed[0]!.message ?? "", /ERR_TIMED_OUT.*Next attempt after/);
    assert.equal(supervisor.status().state, ClientPortalState.LOGIN_REQUIRED);
    assert.match(supervisor.status().message ?? "", /Next automatic login after/);
    supervisor.close();
  });

  it("IB's refusal stops automatic logins until reauthenticate; the stop outlives a person's login", async () => {
    const rejected: BrowserLoginOutcome = {
      kind: "rejected",
      pageVersion: "v2",
      message: "Invalid username password combination",
    };
    const { clock, api, attempts, types, supervisor } = setup([rejected]);
    await supervisor.start();
    await clock.advance(6 * 3_600_000);
    assert.equal(attempts.length, 1);
    assert.equal(supervisor.status().state, ClientPortalState.LOGIN_FAILED);
    assert.deepEqual(types(), [SessionEventType.LOGIN_REQUIRED, SessionEventType.LOGIN_FAILED]);
    const err = supervisor.notReady();
    assert.equal(err.details.state, ClientPortalState.LOGIN_FAILED);
    assert.equal(err.details.loginUrl, "https://localhost:5001/");

    api.sso = true; // a person logged in
    await clock.advance(3_000);
    assert.equal(supervisor.status().state, ClientPortalState.AUTHENTICATED);
    api.sso = false; // the next daily reset
    await clock.advance(20_000);
    assert.equal(supervisor.status().state, ClientPortalState.LOGIN_FAILED);
    assert.equal(attempts.length, 1, "the configured password is still the refused one");

    await supervisor.reauthenticate();
    assert.equal(attempts.length, 2);
    supervisor.close();
  });

  it("reauthenticate honours the hourly cap", async () => {
    const { clock, attempts, supervisor } = setup([TRANSIENT]);
    await supervisor.start();
    for (let i = 0; i < 3; i++) await supervisor.reauthenticate();
    assert.equal(attempts.length, 4);
    await assert.rejects(supervisor.reauthenticate(), (e: unknown) => {
      assert.ok(e instanceof AppError);
      assert.equal(e.code, "RATE_LIMITED");
      return true;
    });
    await clock.advance(10 * MIN);
    assert.equal(attempts.length, 4);
    supervisor.close();
  });

  it("a login page that says success while the gateway stays logged out backs off instead of looping", async () => {
    const { clock, attempts, events, supervisor } = setup([SUCCESS], { loginSticks: false });
    await supervisor.start();
    await clock.advance(5 * MIN);
    assert.ok(attempts.length <= 3, `attempts: ${attempts.length}`);
    assert.match(
      events.find((e) => e.type === SessionEventType.LOGIN_ATTEMPT_FAILED)?.message ?? "",
      /still has no login/,
    );
    supervisor.close();
  });

  it("the backoff alone: one minute at least, doubling to the cap, four starts an hour", () => {
    const b = new LoginBackoff({ baseMs: 1_000, maxMs: 5 * MIN, maxPerHour: 4 });
    let now = 0;
    b.started(now);
    assert.equal(b.failed(now), MIN, "never less than a minute");
    now = MIN;
    b.started(now);
    assert.equal(b.failed(now), now + 2 * MIN);
    now += 2 * MIN;
    b.started(now);
    assert.equal(b.failed(now), now + 4 * MIN);
    now += 4 * MIN;
    b.started(now);
    assert.equal(b.failed(now), 3_600_000, "the fifth start waits for the first to leave the hour");
    b.succeeded();
    assert.equal(b.nextAllowedAt(now), 3_600_000);
    assert.equal(b.nextAllowedAt(3_600_001), 0);
  });
});
