import { Readable } from "node:stream";
import { Agent, request } from "undici";
import type { CpSimulator } from "../../src/simulators/client-portal";

// Test code reads gateway JSON field by field; `any` keeps that readable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface CpResponse<T = Json> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | undefined>;
}

/** A plain HTTPS client of the simulated gateway that pins its self-signed certificate, as a real client would. */
export interface CpTestClient {
  get<T = Json>(path: string): Promise<CpResponse<T>>;
  post<T = Json>(path: string, body?: unknown): Promise<CpResponse<T>>;
  del<T = Json>(path: string): Promise<CpResponse<T>>;
  /**
   * Any request; paths under `/v1`, `/sim`, the login pages `/` and `/sso/Login` are taken as they are,
   * others are below `/v1/api`. A `chunks` body is sent chunked, without content-length.
   */
  raw<T = Json>(
    method: string,
    path: string,
    options?: { body?: string; chunks?: string[]; headers?: Record<string, string> },
  ): Promise<CpResponse<T>>;
  close(): Promise<void>;
}

export function cpClient(sim: CpSimulator): CpTestClient {
  const agent = new Agent({ connect: { ca: sim.caPem } });
  const full = (path: string): string =>
    /^\/(v1|sim)(\/|$)|^\/$|^\/sso\/Login/.test(path) ? `${sim.url}${path}` : `${sim.apiBaseUrl}${path}`;

  async function raw<T>(
    method: string,
    path: string,
    options: { body?: string; chunks?: string[]; headers?: Record<string, string> } = {},
  ): Promise<CpResponse<T>> {
    const res = await request(full(path), {
      method: method as "GET",
      dispatcher: agent,
      headers: { "user-agent": "cp-sim-test", accept: "*/*", ...options.headers },
      body: options.chunks ? Readable.from(options.chunks) : options.body,
    });
    const text = await res.body.text();
    const type = String(res.headers["content-type"] ?? "");
    const body = (type.includes("json") && text ? JSON.parse(text) : text) as T;
    return { status: res.statusCode, body, headers: res.headers };
  }

  return {
    get: (path) => raw("GET", path),
    post: (path, body = {}) =>
      raw("POST", path, { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
    del: (path) => raw("DELETE", path),
    raw,
    close: () => agent.close(),
  };
}
