import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print, type FormattedExecutionResult } from "graphql";
import { createClient, type Client } from "graphql-ws";
import { request } from "undici";
import WebSocket from "ws";

/** One GraphQL operation over HTTP POST with undici. */
export async function gql<TData, TVars>(
  url: string,
  document: TypedDocumentNode<TData, TVars>,
  variables?: TVars,
  headers: Record<string, string> = {},
): Promise<FormattedExecutionResult<TData> & { status: number }> {
  const res = await request(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await res.body.json()) as FormattedExecutionResult<TData>;
  return { ...body, status: res.statusCode };
}

/** The data of a successful operation; fails with the errors otherwise. */
export async function gqlData<TData, TVars>(
  url: string,
  document: TypedDocumentNode<TData, TVars>,
  variables?: TVars,
  headers?: Record<string, string>,
): Promise<TData> {
  const r = await gql(url, document, variables, headers);
  if (r.errors?.length || !r.data) throw new Error(`GraphQL errors: ${JSON.stringify(r.errors)}`);
  return r.data;
}

export function wsClient(url: string, connectionParams?: Record<string, unknown>): Client {
  return createClient({ url, webSocketImpl: WebSocket, connectionParams, retryAttempts: 0, lazy: true });
}

/**
 * A subscription whose results are queued, read one at a time with a deadline (never a bare sleep), so a
 * test can assert exact order. Keeps one outstanding `next()` as graphql-ws requires.
 */
export class Subscription<T, V = Record<string, unknown>> {
  private readonly results: FormattedExecutionResult<T>[] = [];
  private waiter: (() => void) | undefined;
  private error: unknown;
  private completed = false;
  readonly dispose: () => void;

  constructor(client: Client, document: TypedDocumentNode<T, V>, variables?: V) {
    this.dispose = client.subscribe<T>(
      { query: print(document), variables: variables as Record<string, unknown> | undefined },
      {
        next: (r) => {
          this.results.push(r as FormattedExecutionResult<T>);
          this.wake();
        },
        error: (e) => {
          this.error = e;
          this.wake();
        },
        complete: () => {
          this.completed = true;
          this.wake();
        },
      },
    );
  }

  /** The next result within `timeoutMs`, or a rejection saying what was awaited. */
  async next(timeoutMs = 5000): Promise<FormattedExecutionResult<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = this.results.shift();
      if (r) return r;
      if (this.error !== undefined) throw asError(this.error);
      if (this.completed) throw new Error("subscription completed");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no subscription result within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  /** Data of results until `predicate` holds, within `timeoutMs` overall; returns all data seen. */
  async until(predicate: (data: T) => boolean, timeoutMs = 5000): Promise<T[]> {
    const deadline = Date.now() + timeoutMs;
    const seen: T[] = [];
    for (;;) {
      const r = await this.next(Math.max(1, deadline - Date.now()));
      if (r.errors?.length) throw new Error(`subscription errors: ${JSON.stringify(r.errors)}`);
      seen.push(r.data as T);
      if (predicate(r.data as T)) return seen;
    }
  }

  get isCompleted(): boolean {
    return this.completed;
  }

  get failure(): unknown {
    return this.error;
  }

  private wake(): void {
    this.waiter?.();
  }
}

/** graphql-ws reports socket closes as CloseEvents and results as error arrays; keep their code visible. */
function asError(e: unknown): Error {
  if (e instanceof Error) return e;
  const close = e as { code?: number; reason?: string };
  if (typeof close?.code === "number") {
    return Object.assign(new Error(`socket closed ${close.code}: ${close.reason ?? ""}`), {
      code: close.code,
    });
  }
  return new Error(JSON.stringify(e));
}
