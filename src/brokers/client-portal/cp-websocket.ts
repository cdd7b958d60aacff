/**
 * The Client Portal WebSocket (`wss://…/v1/api/ws`) as the adapter's parts use it: opened with the REST
 * session's cookies while the brokerage session is usable, subscriptions sent once the gateway's `system`
 * frame says the socket is authenticated (earlier ones can be dropped) and sent again on every new socket,
 * `tic` to keep the session alive, and a staleness watchdog (no frame — the gateway's heartbeat comes every
 * 10 s — for `wsStaleMs` → the socket is reopened). Callers keep polling whenever `streaming()` is false.
 */
import { readFileSync } from "node:fs";
import WebSocket from "ws";
import type { Logger } from "../../logger";

export interface CpWebSocketOptions {
  /** Use the WebSocket for market data and orders; polling alone when false. @default true */
  websocket?: boolean;
  /** Pause before (re)opening the socket. @default 1_000 */
  wsReconnectMs?: number;
  /** No frame for this long: the socket is dead, reopen it. @default 30_000 */
  wsStaleMs?: number;
  /** `tic` period (IB wants one at least every minute). @default 55_000 */
  wsTicMs?: number;
}

export interface CpWebSocketDeps {
  rootUrl: string;
  caPem?: string | Buffer;
  caFile?: string;
  insecureTls?: boolean;
  /** The REST session's `Cookie` header. */
  cookie(): string | undefined;
  /** Whether the brokerage session is usable (the socket is opened only then). */
  isReady(): boolean;
  logger?: Logger;
}

export type CpFrame = Record<string, unknown> & { topic?: string };

export class CpWebSocket {
  private readonly enabled: boolean;
  private readonly reconnectMs: number;
  private readonly staleMs: number;
  private readonly ticMs: number;
  private readonly ca: string | Buffer | undefined;
  private readonly desired = new Map<string, { subscribe: string; unsubscribe: string }>();
  private readonly handlers: { prefix: string; handle: (frame: CpFrame) => void }[] = [];
  private readonly upListeners = new Set<() => void>();
  private ws: WebSocket | null = null;
  private authenticated = false;
  private lastFrameAt = 0;
  private openedAt = 0;
  private lastTicAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    options: CpWebSocketOptions,
    private readonly deps: CpWebSocketDeps,
  ) {
    this.enabled = options.websocket ?? true;
    this.reconnectMs = options.wsReconnectMs ?? 1_000;
    this.staleMs = options.wsStaleMs ?? 30_000;
    this.ticMs = options.wsTicMs ?? 55_000;
    this.ca = deps.caPem ?? (deps.caFile ? readFileSync(deps.caFile) : undefined);
  }

  start(): void {
    if (!this.enabled || this.timer) return;
    this.timer = setInterval(() => this.check(), this.reconnectMs);
    this.timer.unref();
    this.check();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.ws?.terminate();
    this.ws = null;
    this.authenticated = false;
  }

  /** The socket is open and authenticated: subscribed topics are flowing. */
  streaming(): boolean {
    return this.authenticated && this.ws?.readyState === WebSocket.OPEN;
  }

  /** Frames whose topic starts with `prefix` (`smd+`, `sor`, `spl`, `ssd+`). */
  on(prefix: string, handle: (frame: CpFrame) => void): void {
    this.handlers.push({ prefix, handle });
  }

  /** Called each time a socket becomes authenticated (and the subscriptions were sent again). */
  onUp(listener: () => void): () => void {
    this.upListeners.add(listener);
    return () => this.upListeners.delete(listener);
  }

  /** Keeps a subscription under `key`: sent now when streaming, and again on every new socket. */
  subscribe(key: string, subscribe: string, unsubscribe: string): void {
    this.desired.set(key, { subscribe, unsubscribe });
    if (this.streaming()) this.ws!.send(subscribe);
  }

  unsubscribe(key: string): void {
    const d = this.desired.get(key);
    if (!d) return;
    this.desired.delete(key);
    if (this.streaming()) this.ws!.send(d.unsubscribe);
  }

  private check(): void {
    const now = Date.now();
    if (this.ws) {
      const stale = this.authenticated
        ? now - this.lastFrameAt > this.staleMs
        : now - this.openedAt > Math.max(3 * this.reconnectMs, 3_000);
      if (stale || !this.deps.isReady()) {
        this.deps.logger?.debug({ stale }, "cp websocket: closing (stale or session gone)");
        this.ws.terminate();
        this.ws = null;
        this.authenticated = false;
        return;
      }
      if (this.authenticated && now - this.lastTicAt >= this.ticMs) {
        this.lastTicAt = now;
        this.ws.send("tic");
      }
      return;
    }
    if (this.deps.isReady()) this.open();
  }

  private open(): void {
    const url = `${this.deps.rootUrl.replace(/^http/, "ws")}/v1/api/ws`;
    const cookie = this.deps.cookie();
    const ws = new WebSocket(url, {
      headers: cookie ? { cookie } : {},
      ...(this.deps.insecureTls ? { rejectUnauthorized: false } : this.ca ? { ca: this.ca } : {}),
    });
    this.ws = ws;
    this.authenticated = false;
    this.openedAt = Date.now();
    ws.on("message", (data) => {
      if (this.ws !== ws) return;
      this.lastFrameAt = Date.now();
      let frame: CpFrame;
      try {
        frame = JSON.parse(String(data)) as CpFrame;
      } catch {
        return;
      }
      if (frame.topic === "system" && typeof frame.success === "string") this.up(ws);
      const topic = typeof frame.topic === "string" ? frame.topic : "";
      for (const h of this.handlers) {
        if (!topic.startsWith(h.prefix)) continue;
        try {
          h.handle(frame);
        } catch (err) {
          this.deps.logger?.warn({ err, topic }, "cp websocket: a handler failed");
        }
      }
    });
    const gone = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.authenticated = false;
    };
    ws.on("close", gone);
    ws.on("error", (err) => {
      this.deps.logger?.debug({ err }, "cp websocket: error");
      gone();
    });
  }

  private up(ws: WebSocket): void {
    this.authenticated = true;
    this.lastTicAt = Date.now();
    for (const d of this.desired.values()) ws.send(d.subscribe);
    for (const l of this.upListeners) l();
  }
}
