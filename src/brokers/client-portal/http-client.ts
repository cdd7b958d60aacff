import { Agent, request } from "undici";
import { CookieJar } from "./cookie-jar";
import type { HttpMethod } from "./endpoint-limits";

export interface CpHttpOptions {
  /**
   * Asked before every request: false refuses it unsent (a transport error with `sent: false`). A shared
   * deployment's leader passes "I still hold a fresh lease", so a leader resumed from a pause (SIGSTOP, a
   * frozen VM) sends nothing before its elector notices it was replaced: its overdue timers would otherwise
   * spend the gateway's rate windows under the new leader and draw IB's 429 penalty on it.
   */
  mayTalk?: () => boolean;
  /** The gateway's root URL (IB_CP_URL), e.g. `https://localhost:5001`. A trailing `/v1/api` is tolerated. */
  url: string;
  /**
   * The gateway's certificate (PEM) to trust, pinning its self-signed certificate (IB_CP_CA_FILE's content).
   * Without it, and without `insecureTls`, only certificates signed by a public CA are accepted.
   */
  caPem?: string | Buffer;
  /**
   * Accept any certificate (IB_CP_INSECURE_TLS=true). An explicit opt-in: anyone on the path between this
   * server and the gateway could read the session. The caller logs a warning at start.
   * @default false
   */
  insecureTls?: boolean;
  /** Per-request timeout. @default 10000 */
  timeoutMs?: number;
  /** Cookies to start with, e.g. browser-login cookies some gateway builds want replayed. */
  cookies?: Record<string, string>;
  /** @default "ibkr-graphql" */
  userAgent?: string;
}

export interface CpRequest {
  method: HttpMethod;
  /** Relative to `/v1/api`, query string included. */
  path: string;
  /** POST bodies are always sent as JSON (`{}` when absent) so the gateway sees a Content-Length. */
  body?: unknown;
  timeoutMs?: number;
}

export interface CpResponse {
  status: number;
  /** Parsed JSON, or undefined when the body is not JSON (HTML maintenance pages, "Access Denied"). */
  json: unknown;
  text: string;
  /** Redirect target, when the gateway sends the caller to its login page. */
  location: string | null;
  /**
   * What went wrong in IB's words: the `error` field (also on HTTP 200), a plain-text or HTML page's text,
   * or the status code; null for a good answer.
   */
  error: string | null;
}

/**
 * A failure with no HTTP answer. `sent` is false only when the request certainly never left this process
 * (connection refused, TLS rejected), which is what makes an order placement safe to report as not placed.
 */
export class CpTransportError extends Error {
  constructor(
    message: string,
    public readonly code: string,
    public readonly sent: boolean,
  ) {
    super(message);
    this.name = "CpTransportError";
  }
}

export interface CpHttpClient {
  /** Gateway root without trailing slash, e.g. `https://localhost:5001`. */
  readonly rootUrl: string;
  readonly jar: CookieJar;
  send(req: CpRequest): Promise<CpResponse>;
  close(): Promise<void>;
}

/** Connection-phase failures: nothing reached the gateway. */
const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "CERT_SIGNATURE_FAILURE",
  "ERR_SSL_WRONG_VERSION_NUMBER",
  "EPROTO",
  "UND_ERR_DESTROYED",
  "UND_ERR_CLOSED",
]);

/** Certificate failures: the gateway's self-signed certificate is neither pinned nor explicitly accepted. */
export const TLS_CODES: ReadonlySet<string> = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "CERT_SIGNATURE_FAILURE",
]);

export function gatewayRootUrl(url: string): string {
  return url.replace(/\/+$/, "").replace(/\/v1\/(api|portal)$/, "");
}

export function createCpHttpClient(options: CpHttpOptions): CpHttpClient {
  const rootUrl = gatewayRootUrl(options.url);
  const apiBase = `${rootUrl}/v1/api`;
  const jar = new CookieJar(options.cookies);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const userAgent = options.userAgent ?? "ibkr-graphql";
  const agent = new Agent({
    connect: options.insecureTls
      ? { rejectUnauthorized: false }
      : options.caPem
        ? { ca: options.caPem, rejectUnauthorized: true }
        : { rejectUnauthorized: true },
    keepAliveTimeout: 30_000,
    connections: 8,
  });

  async function send(req: CpRequest): Promise<CpResponse> {
    if (options.mayTalk && !options.mayTalk()) {
      throw new CpTransportError(
        "not sent: this instance no longer holds the leadership lease",
        "NOT_LEADER",
        false,
      );
    }
    const headers: Record<string, string> = { "user-agent": userAgent, accept: "*/*" };
    const cookie = jar.header();
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (req.method === "POST") {
      body = JSON.stringify(req.body ?? {});
      headers["content-type"] = "application/json";
    }
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(`${apiBase}${req.path}`, {
        dispatcher: agent,
        method: req.method,
        headers,
        body,
        signal: AbortSignal.timeout(req.timeoutMs ?? timeoutMs),
      });
    } catch (e) {
      throw toTransportError(e, req.timeoutMs ?? timeoutMs);
    }
    jar.store(res.headers["set-cookie"]);
    let text: string;
    try {
      text = await res.body.text();
    } catch (e) {
      throw toTransportError(e, req.timeoutMs ?? timeoutMs, true);
    }
    const contentType = String(res.headers["content-type"] ?? "");
    const json = parseJson(text, contentType);
    const location = res.headers.location;
    return {
      status: res.statusCode,
      json,
      text,
      location: typeof location === "string" ? location : null,
      error: errorOf(res.statusCode, json, text),
    };
  }

  return {
    rootUrl,
    jar,
    send,
    close: () => agent.close(),
  };
}

function parseJson(text: string, contentType: string): unknown {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  // The gateway labels JSON inconsistently; try any body that looks like JSON.
  if (contentType.includes("json") || /^[[{"]/.test(trimmed) || /^(true|false|null|-?\d)/.test(trimmed)) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function errorOf(status: number, json: unknown, text: string): string | null {
  if (json && typeof json === "object" && !Array.isArray(json)) {
    const e = (json as Record<string, unknown>).error;
    if (typeof e === "string" && e.length > 0) return e;
    if (e && typeof e === "object") return JSON.stringify(e).slice(0, 300);
  }
  if (status >= 200 && status < 300) return null;
  const plain = text
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, " ")
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return plain ? plain.slice(0, 300) : `HTTP ${status}`;
}

function toTransportError(e: unknown, timeoutMs: number, afterHeaders = false): CpTransportError {
  const err = e as {
    code?: string;
    name?: string;
    message?: string;
    cause?: { code?: string; message?: string };
  };
  const code = err.code ?? err.cause?.code ?? err.name ?? "UNKNOWN";
  if (err.name === "TimeoutError" || err.name === "AbortError" || code === "UND_ERR_HEADERS_TIMEOUT") {
    return new CpTransportError(`The gateway did not answer within ${timeoutMs} ms.`, "TIMEOUT", true);
  }
  if (TLS_CODES.has(code)) {
    return new CpTransportError(
      `The gateway's TLS certificate is not trusted (${code}): set IB_CP_CA_FILE to the gateway's certificate ` +
        "(or IB_CP_INSECURE_TLS=true to skip verification).",
      code,
      false,
    );
  }
  const message = err.cause?.message ?? err.message ?? String(e);
  return new CpTransportError(
    `Cannot reach the gateway: ${message}`,
    code,
    afterHeaders || !NOT_SENT_CODES.has(code),
  );
}
