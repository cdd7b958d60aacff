/**
 * When the next automatic login may run. IB locks a user after a handful of failed logins and rate-limits
 * its login servers, so a robot that retries at once (IBeam users' "login loop") does harm: after a transient
 * failure the pause starts at a minute and doubles up to a cap, and no more than a few attempts start in any
 * hour, whatever the failures were.
 */
export interface LoginBackoffOptions {
  /** @default 60000 (never less) */
  baseMs?: number;
  /** @default 1800000 (30 min) */
  maxMs?: number;
  /** Attempts allowed to start in any 60 minutes. @default 4 */
  maxPerHour?: number;
}

const HOUR_MS = 3_600_000;

export class LoginBackoff {
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly maxPerHour: number;
  private pauseMs = 0;
  private notBefore = 0;
  private starts: number[] = [];

  constructor(options: LoginBackoffOptions = {}) {
    this.baseMs = Math.max(options.baseMs ?? 60_000, 60_000);
    this.maxMs = Math.max(options.maxMs ?? 1_800_000, this.baseMs);
    this.maxPerHour = Math.max(1, Math.min(options.maxPerHour ?? 4, 10));
  }

  /** Epoch ms from which an attempt may start (now or earlier: it may start now). */
  nextAllowedAt(now: number): number {
    this.starts = this.starts.filter((t) => t > now - HOUR_MS);
    const hourly = this.starts.length >= this.maxPerHour ? this.starts[0]! + HOUR_MS : 0;
    return Math.max(this.notBefore, hourly);
  }

  /** A person asked (the reauthenticate mutation): the pause is waived, the hourly cap is not. */
  nextAllowedManualAt(now: number): number {
    this.starts = this.starts.filter((t) => t > now - HOUR_MS);
    return this.starts.length >= this.maxPerHour ? this.starts[0]! + HOUR_MS : 0;
  }

  started(now: number): void {
    this.starts.push(now);
  }

  /** A transient failure: pause a minute, then two, four, … up to the cap. Returns the next allowed time. */
  failed(now: number): number {
    this.pauseMs = this.pauseMs === 0 ? this.baseMs : Math.min(this.pauseMs * 2, this.maxMs);
    this.notBefore = now + this.pauseMs;
    return this.nextAllowedAt(now);
  }

  succeeded(): void {
    this.pauseMs = 0;
    this.notBefore = 0;
  }
}
