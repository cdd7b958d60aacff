import { readFileSync } from "node:fs";
import {
  createCpHttpClient,
  CpTransportError,
  TLS_CODES,
  type CpResponse,
} from "../brokers/client-portal/http-client";
import type { Check } from "./check";

export interface CpCheckOptions {
  url: string;
  caFile?: string;
  caPem?: string;
  insecureTls?: boolean;
  readOnly?: boolean;
  /** @default 5000 */
  timeoutMs?: number;
}

/** Talks to the gateway with the server's own HTTP client, step by step, stopping at the first failure. */
export async function checkClientPortal(o: CpCheckOptions): Promise<Check[]> {
  const checks: Check[] = [];
  const client = createCpHttpClient({
    url: o.url,
    caPem: o.caPem ?? (o.caFile ? readFileSync(o.caFile) : undefined),
    insecureTls: o.insecureTls,
    timeoutMs: o.timeoutMs ?? 5000,
  });
  const port = new URL(o.url).port || "443";
  const loginUrl = `${client.rootUrl}/`;
  try {
    // Endpoints without a per-endpoint limit (or, read-only, the one a portfolio user has), so that a doctor
    // run next to a live server can never push the gateway into IB's rate-limit penalty.
    let first: CpResponse;
    try {
      first = o.readOnly
        ? await client.send({ method: "GET", path: "/portfolio/accounts" })
        : await client.send({ method: "POST", path: "/iserver/auth/status" });
    } catch (e) {
      checks.push(transportFailure(e, o.url, port));
      return checks;
    }
    checks.push({
      api: "CLIENT_PORTAL",
      name: "reachable",
      ok: true,
      detail: `${client.rootUrl} answers over TLS`,
    });
    const login = loginCheck(first, loginUrl);
    checks.push(login);
    if (!login.ok) return checks;
    if (!o.readOnly) checks.push(brokerageCheck(first, loginUrl));
    const accounts = o.readOnly ? first : await client.send({ method: "GET", path: "/iserver/accounts" });
    checks.push(accountsCheck(accounts, loginUrl));
    return checks;
  } finally {
    await client.close();
  }
}

function loginCheck(r: CpResponse, loginUrl: string): Check {
  if (r.status === 200)
    return { api: "CLIENT_PORTAL", name: "logged in", ok: true, detail: "the SSO login is alive" };
  if (r.status === 401 || r.status === 403) {
    return {
      api: "CLIENT_PORTAL",
      name: "logged in",
      ok: false,
      detail: `HTTP ${r.status}: nobody is logged in to the gateway`,
      fix: `Log in at ${loginUrl} in a browser on this machine (accept the certificate warning there); the server picks the session up by itself.`,
    };
  }
  if (r.status === 429) {
    return {
      api: "CLIENT_PORTAL",
      name: "logged in",
      ok: false,
      detail: "HTTP 429: the gateway has put this IP in IB's rate-limit penalty box",
      fix: "Stop other programs polling the gateway; the penalty lifts after 10-15 minutes. The server itself never exceeds IB's limits.",
    };
  }
  return {
    api: "CLIENT_PORTAL",
    name: "logged in",
    ok: false,
    detail: `HTTP ${r.status}${r.error ? `: ${r.error}` : ""}`,
    fix: `Unexpected answer: check that IB_CP_URL points at the Client Portal gateway, then log in at ${loginUrl}.`,
  };
}

function brokerageCheck(r: CpResponse, loginUrl: string): Check {
  const body = (r.json ?? {}) as { authenticated?: boolean; competing?: boolean; connected?: boolean };
  if (r.status === 200 && body.authenticated === true && body.competing !== true) {
    return { api: "CLIENT_PORTAL", name: "brokerage session", ok: true, detail: "authenticated" };
  }
  return {
    api: "CLIENT_PORTAL",
    name: "brokerage session",
    ok: false,
    detail: body.competing
      ? "another session of this IB user competes (TWS, the mobile app or another browser)"
      : `not authenticated (HTTP ${r.status}${r.error ? `: ${r.error}` : ""})`,
    fix: body.competing
      ? "Log out of the other session (or use a second IB user for the API); the server re-opens the brokerage session with ssodh/init when it starts."
      : `The server opens it with ssodh/init when it starts; if that keeps failing, log in again at ${loginUrl}.`,
  };
}

function accountsCheck(r: CpResponse, loginUrl: string): Check {
  // /portfolio/accounts answers a list of objects, /iserver/accounts an object with `accounts: string[]`.
  const raw: unknown[] = Array.isArray(r.json)
    ? r.json
    : ((r.json as { accounts?: unknown[] } | undefined)?.accounts ?? []);
  const ids = raw
    .map((a) =>
      typeof a === "string"
        ? a
        : ((a as { accountId?: string; id?: string }).accountId ?? (a as { id?: string }).id),
    )
    .filter((x): x is string => typeof x === "string");
  return {
    api: "CLIENT_PORTAL",
    name: "accounts visible",
    ok: r.status === 200 && ids.length > 0,
    detail: ids.length > 0 ? ids.join(", ") : `none (HTTP ${r.status}${r.error ? `: ${r.error}` : ""})`,
    fix: `The logged-in user sees no accounts: log in at ${loginUrl} with a user that has portfolio rights.`,
  };
}

function transportFailure(e: unknown, url: string, port: string): Check {
  const code = e instanceof CpTransportError ? e.code : "";
  const message = e instanceof Error ? e.message : String(e);
  if (TLS_CODES.has(code)) {
    return {
      api: "CLIENT_PORTAL",
      name: "TLS",
      ok: false,
      detail: `certificate not trusted (${code})`,
      fix:
        "The gateway uses a self-signed certificate. Pin it: `openssl s_client -connect " +
        `${new URL(url).hostname}:${port} -showcerts </dev/null | openssl x509 > gateway.pem` +
        "` and set IB_CP_CA_FILE=gateway.pem; or opt out explicitly with IB_CP_INSECURE_TLS=true.",
    };
  }
  if (code === "ERR_SSL_WRONG_VERSION_NUMBER" || code === "EPROTO") {
    return {
      api: "CLIENT_PORTAL",
      name: "TLS",
      ok: false,
      detail: `no TLS on ${url} (${code})`,
      fix: "The gateway listens without TLS (listenSsl: false in conf.yaml): use an http:// IB_CP_URL, or enable listenSsl.",
    };
  }
  return {
    api: "CLIENT_PORTAL",
    name: "reachable",
    ok: false,
    detail: code === "ECONNREFUSED" ? `connection refused on ${url}` : `${code || "error"}: ${message}`,
    fix:
      code === "ECONNREFUSED"
        ? `Start the Client Portal gateway (\`bin/run.sh root/conf.yaml\` in its folder) and check that IB_CP_URL's port ${port} is its listenPort (IB's default is 5000; many setups use 5001).`
        : "Check IB_CP_URL's host and port, and that this machine's IP is allowed in the gateway's conf.yaml (ips.allow).",
  };
}
