import { Agent, request, type Dispatcher } from "undici";
import WebSocket from "ws";

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** Keep-alive HTTP client for one GraphQL endpoint. */
export class GraphQLHttpClient {
  private readonly agent: Dispatcher;

  constructor(
    readonly url: string,
    connections = 16,
  ) {
    this.agent = new Agent({ connections, keepAliveTimeout: 30_000 });
  }

  async post<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<GraphQLResponse<T>> {
    const res = await request(this.url, {
      method: "POST",
      dispatcher: this.agent,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query, variables }),
    });
    const text = await res.body.text();
    let body: GraphQLResponse<T> = { status: res.statusCode };
    try {
      body = { ...(JSON.parse(text) as GraphQLResponse<T>), status: res.statusCode };
    } catch {
      body.errors = [{ message: `HTTP ${res.statusCode}: ${text.slice(0, 200)}` }];
    }
    return body;
  }

  /** The data, or an error naming the GraphQL error codes. */
  async data<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<T> {
    const r = await this.post<T>(query, variables);
    if (r.errors?.length || !r.data) {
      throw new Error(`GraphQL ${r.status}: ${JSON.stringify(r.errors ?? r).slice(0, 500)}`);
    }
    return r.data;
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

export interface WsMessage {
  id?: string;
  type: string;
  payload?: unknown;
}

/**
 * One graphql-ws (graphql-transport-ws) connection carrying one subscription, spoken directly over `ws`
 * so that a thousand of them stay cheap on the client side of a fan-out measurement.
 */
export class RawSubscriber {
  private socket: WebSocket | undefined;
  private closedByUs = false;

  constructor(
    private readonly url: string,
    private readonly handlers: {
      /** Raw `next` payload and the wall time it arrived. */
      onNext(payload: { data?: unknown; errors?: unknown[] }, raw: string): void;
      onClose?(code: number, reason: string): void;
    },
  ) {}

  /** Connects, initialises and subscribes; resolves once the server acknowledged the connection. */
  start(
    query: string,
    variables?: Record<string, unknown>,
    timeoutMs = 20_000,
    /** `connection_init` payload: the API token of a server that requires one. */
    init: Record<string, unknown> = {},
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(this.url, "graphql-transport-ws", { perMessageDeflate: false });
      this.socket = socket;
      const timer = setTimeout(() => {
        reject(new Error("graphql-ws connection not acknowledged in time"));
        socket.terminate();
      }, timeoutMs);
      socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: init })));
      socket.on("message", (data: WebSocket.RawData) => {
        const text = data.toString();
        const msg = JSON.parse(text) as WsMessage;
        if (msg.type === "next") {
          this.handlers.onNext(msg.payload as { data?: unknown }, text);
        } else if (msg.type === "connection_ack") {
          socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query, variables } }));
          clearTimeout(timer);
          resolve();
        } else if (msg.type === "ping") {
          socket.send(JSON.stringify({ type: "pong" }));
        } else if (msg.type === "error") {
          this.handlers.onNext({ errors: msg.payload as unknown[] }, text);
        }
      });
      socket.on("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      socket.on("close", (code, reason) => {
        clearTimeout(timer);
        if (!this.closedByUs) this.handlers.onClose?.(code, reason.toString());
      });
    });
  }

  /** Drops the connection without a goodbye, as a network failure would. */
  kill(): void {
    this.socket?.terminate();
  }

  close(): void {
    this.closedByUs = true;
    this.socket?.close(1000);
  }
}
