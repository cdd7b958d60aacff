import { timingSafeEqual } from "node:crypto";

export interface AuthOptions {
  /** Full access. Unset with no read token: the server is open (loopback only, enforced by config). */
  apiToken?: string;
  /** Queries and subscriptions only. */
  apiReadToken?: string;
}

export type Grant = { ok: true; canTrade: boolean; principal: string } | { ok: false };

/** Checks a presented credential (`Bearer x` or a bare token) against the configured tokens. */
export function checkToken(options: AuthOptions, presented: unknown): Grant {
  if (!options.apiToken && !options.apiReadToken) return { ok: true, canTrade: true, principal: "anonymous" };
  if (typeof presented !== "string") return { ok: false };
  const token = presented.replace(/^Bearer\s+/i, "").trim();
  if (options.apiToken && safeEqual(token, options.apiToken))
    return { ok: true, canTrade: true, principal: "trade-token" };
  if (options.apiReadToken && safeEqual(token, options.apiReadToken)) {
    return { ok: true, canTrade: false, principal: "read-token" };
  }
  return { ok: false };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
