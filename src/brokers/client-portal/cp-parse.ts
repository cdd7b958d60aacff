/**
 * Defensive readers for Client Portal JSON: numbers come as numbers or strings ("457.00", "1,234.5"),
 * booleans as booleans or "1"/"0"/"true", and IB marks unset doubles with Double.MAX_VALUE.
 */

import type { AuthStatus } from "../../session/client-portal-session-api";

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A finite number, or null for missing, empty, unparseable and IB's "unset" sentinel. */
export function num(v: unknown): number | null {
  let n: number;
  if (typeof v === "number") n = v;
  else if (typeof v === "string") {
    const s = v.trim().replace(/,/g, "");
    if (s === "" || s === "-") return null;
    n = Number(s);
  } else return null;
  if (!Number.isFinite(n) || Math.abs(n) >= 1e300) return null;
  return n;
}

export function int(v: unknown): number | null {
  const n = num(v);
  return n === null ? null : Math.trunc(n);
}

export function str(v: unknown): string | null {
  if (typeof v === "string") return v.length > 0 ? v : null;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return null;
}

export function bool(v: unknown): boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "string") return ["1", "true", "yes", "y"].includes(v.trim().toLowerCase());
  return false;
}

export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function parseAuthStatus(v: unknown): AuthStatus | null {
  if (!isObject(v)) return null;
  if (!("authenticated" in v) && !("connected" in v) && !("competing" in v)) return null;
  const message = str(v.fail) ?? str(v.message);
  return {
    authenticated: bool(v.authenticated),
    connected: bool(v.connected),
    competing: bool(v.competing),
    established: "established" in v ? bool(v.established) : null,
    message,
  };
}

/** The auth status inside a `/tickle` answer (`iserver.authStatus`), if the gateway included one. */
export function tickleAuthStatus(v: unknown): AuthStatus | null {
  if (!isObject(v)) return null;
  const iserver = v.iserver;
  return isObject(iserver) ? parseAuthStatus(iserver.authStatus) : null;
}

/** `lastExecutionTime` (`YYMMDDhhmmss`, UTC) or `trade_time` (`YYYYMMDD-hh:mm:ss`), or epoch ms. */
export function ibTime(v: unknown): Date | null {
  if (typeof v === "number" && Number.isFinite(v) && v > 0) return new Date(v);
  if (typeof v !== "string") return null;
  let m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(v);
  if (m)
    return new Date(Date.UTC(2000 + Number(m[1]), Number(m[2]) - 1, Number(m[3]), +m[4]!, +m[5]!, +m[6]!));
  m = /^(\d{4})(\d{2})(\d{2})-(\d{2}):(\d{2}):(\d{2})$/.exec(v);
  if (m) return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  const n = Number(v);
  if (Number.isFinite(n) && n > 1e11) return new Date(n);
  return null;
}
