import { randomBytes } from "node:crypto";
import { Secret, TOTP } from "otpauth";
import type { Reply } from "./cp-api-routes";
import { loginPageHtml, type LoginPageVersion } from "./login-page";

/** Which side of the paper/live switch a browser login chose. */
export type CpLoginMode = "paper" | "live";

export interface CpLoginGateOptions {
  /** @default "v2" */
  version?: LoginPageVersion;
  /** Accept only this user; by default any non-empty username and password (no second factor). */
  user?: { username: string; password: string; totpSecret?: string };
  /** Consecutive failed logins of one username before it is locked (until `/sim/reset`). @default 5 */
  lockoutAfter?: number;
  /** Show IB's "IB Key" advertisement, with its skip link, before the success page. @default false */
  ibKeyPromo?: boolean;
}

/** What one POST to the login form did, for the request log (never the password or the code). */
export interface CpLoginAttempt {
  username: string;
  mode: CpLoginMode;
  step: "credentials" | "second-factor";
  outcome: "success" | "second-factor-required" | "wrong-password" | "wrong-code" | "locked" | "expired";
}

/** IB's own wording, so that the robot under test meets the text a real gateway shows. */
export const IB_WRONG_PASSWORD = "Invalid username password combination";
export const IB_LOCKED =
  "Your account has been locked after too many failed login attempts. Please contact Client Services.";
const IB_WRONG_CODE = "Invalid security code. Please try again.";
const IB_PENDING_EXPIRED = "The login request expired. Please log in again.";

/** A second factor must be answered within this time, as at IB. */
const PENDING_TTL_MS = 180_000;

/**
 * The login form's decisions: the configured user and its TOTP second factor, IB's wrong-password message,
 * a lockout after repeated failures, and the paper/live switch. The simulator turns a successful answer into
 * a session login.
 */
export class CpLoginGate {
  readonly version: LoginPageVersion;
  private readonly lockoutAfter: number;
  private readonly failures = new Map<string, number>();
  private readonly pending = new Map<string, { username: string; mode: CpLoginMode; at: number }>();

  constructor(private readonly options: CpLoginGateOptions) {
    this.version = options.version ?? "v2";
    this.lockoutAfter = Math.max(1, options.lockoutAfter ?? 5);
  }

  page(loggedIn: boolean): Reply {
    return html(loginPageHtml(this.version, { step: "form", loggedIn }));
  }

  /**
   * One POST of the form. `login` is returned when the session must now be logged in (in that mode);
   * `attempt` is what the request log records.
   */
  submit(
    form: Record<string, unknown>,
    now: number,
  ): { reply: Reply; attempt: CpLoginAttempt; login?: CpLoginMode } {
    const str = (k: string): string => (typeof form[k] === "string" ? form[k] : "");
    const pendingId = str("pending");
    if (pendingId) return this.secondFactor(pendingId, str("code"), now);

    // Either version's field name is accepted: a stale tab of the other version still logs in.
    const username = (str("username") || str("user_name")).trim();
    const password = str("password");
    const mode: CpLoginMode = str("paper") === "true" ? "paper" : "live";
    const attempt = (outcome: CpLoginAttempt["outcome"]): CpLoginAttempt => ({
      username,
      mode,
      step: "credentials",
      outcome,
    });
    if ((this.failures.get(username) ?? 0) >= this.lockoutAfter) {
      return { reply: this.formError(IB_LOCKED), attempt: attempt("locked") };
    }
    const user = this.options.user;
    const valid = user
      ? username === user.username && password === user.password
      : username !== "" && password !== "";
    if (!valid) {
      const failures = (this.failures.get(username) ?? 0) + 1;
      this.failures.set(username, failures);
      const message = failures >= this.lockoutAfter ? IB_LOCKED : IB_WRONG_PASSWORD;
      return { reply: this.formError(message), attempt: attempt("wrong-password") };
    }
    if (user?.totpSecret) {
      const id = randomBytes(12).toString("hex");
      this.pending.set(id, { username, mode, at: now });
      return {
        reply: html(loginPageHtml(this.version, { step: "second-factor", pending: id })),
        attempt: attempt("second-factor-required"),
      };
    }
    this.failures.delete(username);
    return { reply: this.succeeded(), attempt: attempt("success"), login: mode };
  }

  /** Back to the start: no failures, no lockout, no pending second factor. */
  reset(): void {
    this.failures.clear();
    this.pending.clear();
  }

  private secondFactor(
    id: string,
    code: string,
    now: number,
  ): { reply: Reply; attempt: CpLoginAttempt; login?: CpLoginMode } {
    const p = this.pending.get(id);
    if (!p || now - p.at > PENDING_TTL_MS) {
      this.pending.delete(id);
      return {
        reply: this.formError(IB_PENDING_EXPIRED),
        attempt: {
          username: p?.username ?? "",
          mode: p?.mode ?? "live",
          step: "second-factor",
          outcome: "expired",
        },
      };
    }
    const base = { username: p.username, mode: p.mode, step: "second-factor" as const };
    const secret = this.options.user?.totpSecret ?? "";
    const totp = new TOTP({ secret: Secret.fromBase32(secret) });
    // One period either side, as authenticator servers allow for clock skew.
    if (
      !/^\d{6}$/.test(code.trim()) ||
      totp.validate({ token: code.trim(), timestamp: now, window: 1 }) === null
    ) {
      const failures = (this.failures.get(p.username) ?? 0) + 1;
      this.failures.set(p.username, failures);
      if (failures >= this.lockoutAfter) {
        this.pending.delete(id);
        return { reply: this.formError(IB_LOCKED), attempt: { ...base, outcome: "locked" } };
      }
      return {
        reply: html(
          loginPageHtml(this.version, { step: "second-factor", pending: id, error: IB_WRONG_CODE }),
        ),
        attempt: { ...base, outcome: "wrong-code" },
      };
    }
    this.pending.delete(id);
    this.failures.delete(p.username);
    return { reply: this.succeeded(), attempt: { ...base, outcome: "success" }, login: p.mode };
  }

  private succeeded(): Reply {
    return html(loginPageHtml(this.version, { step: this.options.ibKeyPromo ? "ibkey-promo" : "success" }));
  }

  private formError(error: string): Reply {
    return html(loginPageHtml(this.version, { step: "form", loggedIn: false, error }));
  }
}

function html(body: string): Reply {
  return { status: 200, body };
}
