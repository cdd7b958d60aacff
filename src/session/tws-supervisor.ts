import { EventName, IBApi, IBApiNext } from "@stoqey/ib";
import type { Logger } from "../logger";
import { SessionEventType, TwsState } from "../schema/enums";
import type { TwsStatus } from "../schema/session.type";
import { openTwsClient, type TwsClientFactory } from "./tws-client";

/** Where and how to connect, and every interval of the supervision (short ones in tests). */
export interface TwsSupervisorOptions {
  host: string;
  port: number;
  /** First client id to try. */
  clientId: number;
  /** Client ids clientId … clientId+range-1 are tried in turn when TWS says one is in use (326). @default 1 */
  clientIdRange?: number;
  /** The handshake (server version, then nextValidId) must finish within this. @default 5000 */
  connectTimeoutMs?: number;
  /** After this long without any message from TWS, a reqCurrentTime probe is sent. @default 10_000 */
  probeIntervalMs?: number;
  /** A probe unanswered for this long means a zombie gateway: the client is recreated. @default 5000 */
  probeTimeoutMs?: number;
  /** First reconnect delay; doubles on each failure. @default 500 */
  reconnectMinMs?: number;
  /** @default 30_000 */
  reconnectMaxMs?: number;
  /** Outgoing message pacing; IB disconnects clients above 50/s. @default 40 */
  maxReqPerSec?: number;
  logger: Logger;
  /** Builds the client; for tests that want to observe it. @default `new IBApiNext(options)` */
  createClient?: TwsClientFactory;
}

/** One live TWS connection. A reconnect makes a new one; an old one never comes back. */
export interface TwsConnection {
  readonly api: IBApiNext;
  /**
   * The socket-level API under `api` (the same socket and pacing), for what IBApiNext does not expose or
   * keeps copies of: the whole order path (orders, their lists and executions), positions, system notices.
   */
  readonly raw: IBApi;
  readonly clientId: number;
  readonly serverVersion: number;
  /** The nextValidId TWS sent during the handshake. */
  readonly nextValidId: number;
  /** managedAccounts from the handshake. */
  readonly accounts: readonly string[];
  /** Increases with every connection. */
  readonly generation: number;
  readonly connectedAt: Date;
  /** False once this connection is closed or abandoned. */
  readonly alive: boolean;
  /** Resolves with the reason once this connection is closed or abandoned. */
  readonly closed: Promise<string>;
  /**
   * Calls `listener` once, with the reason, when the connection closes (at once if it already has).
   * Returns the unsubscribe. Unlike `closed.then`, a finished request leaves nothing behind.
   */
  onClosed(listener: (reason: string) => void): () => void;
}

export interface TwsSupervisorHandlers {
  /**
   * A connection is up. `since` is when the previous one was lost (null for the first), so the broker can
   * reconcile what happened meanwhile. Runs before the state turns CONNECTED; may be async (reconciling).
   */
  connected(conn: TwsConnection, since: Date | null): void | Promise<void>;
  /** The connection is gone; work tied to it must settle now. */
  lost(conn: TwsConnection, reason: string): void;
  /** TWS regained IB's servers but its subscriptions were lost (1101): resubscribe and reconcile. */
  dataLost(conn: TwsConnection): void | Promise<void>;
  /** Every state change, for the session event stream. */
  session(type: SessionEventType, message: string): void;
}

export interface TwsSupervisor {
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): TwsStatus;
  /** The connection while CONNECTED, else undefined. */
  current(): TwsConnection | undefined;
  /** Resolves with the next CONNECTED connection (or the current one), rejects after `timeoutMs`. */
  whenConnected(timeoutMs: number): Promise<TwsConnection>;
}

/** IB system notices (error frames with id -1). */
export const TwsNotice = {
  CLIENT_ID_IN_USE: 326,
  CONNECTIVITY_LOST: 1100,
  RESTORED_DATA_LOST: 1101,
  RESTORED_DATA_MAINTAINED: 1102,
  TWS_SERVER_CONNECTIVITY_BROKEN: 2110,
} as const;

const CONNECT_FAIL = 502;

export function createTwsSupervisor(
  options: TwsSupervisorOptions,
  handlers: TwsSupervisorHandlers,
): TwsSupervisor {
  return new Supervisor(options, handlers);
}

class Live implements TwsConnection {
  alive = true;
  /** Given to the broker's `connected` handler: from then on it must hear `lost`. */
  handedOver = false;
  /** The broker finished its `connected` work; notices may now change the state. */
  ready = false;
  serverVersion = 0;
  nextValidId = -1;
  accounts: string[] = [];
  connectedAt = new Date();
  readonly closed: Promise<string>;
  private closeReason: string | undefined;
  private readonly listeners = new Set<(reason: string) => void>();
  private resolveClosed: (reason: string) => void = () => undefined;
  constructor(
    readonly api: IBApiNext,
    readonly raw: IBApi,
    readonly clientId: number,
    readonly generation: number,
  ) {
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  close(reason: string): void {
    if (this.closeReason !== undefined) return;
    this.closeReason = reason;
    this.resolveClosed(reason);
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const l of listeners) l(reason);
  }

  onClosed(listener: (reason: string) => void): () => void {
    if (this.closeReason !== undefined) {
      listener(this.closeReason);
      return () => undefined;
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * Keeps one TWS connection alive: connects, detects zombies and drops, rotates client ids on 326, and
 * reconnects with backoff by building a fresh IBApiNext each time (IBApiNext's own reconnect keeps
 * requests queued across connections and reuses state we do not control).
 */
class Supervisor implements TwsSupervisor {
  private readonly o: Required<Omit<TwsSupervisorOptions, "createClient" | "logger">>;
  private readonly log: Logger;
  private state: TwsState = TwsState.DISCONNECTED;
  /** TWS is reachable but lost IB's servers (1100/2110): not ready until 1101/1102. */
  private ibLost = false;
  private conn: Live | undefined;
  private generation = 0;
  private idIndex = 0;
  private failures = 0;
  private idsTriedThisRound = 0;
  private lastError: string | null = null;
  private lastMessageAt: Date | null = null;
  private lostAt: Date | null = null;
  private everConnected = false;
  private stopped = false;
  private started = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private probeSentAt: number | null = null;
  private lastEvent: { type: SessionEventType; message: string } | undefined;
  private waiters = new Set<(c: Live) => void>();
  private firstAttempt: Promise<void> | undefined;

  constructor(
    options: TwsSupervisorOptions,
    private readonly handlers: TwsSupervisorHandlers,
  ) {
    this.log = options.logger.child({ component: "tws" });
    this.o = {
      host: options.host,
      port: options.port,
      clientId: options.clientId,
      clientIdRange: Math.max(1, options.clientIdRange ?? 1),
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      probeIntervalMs: options.probeIntervalMs ?? 10_000,
      probeTimeoutMs: options.probeTimeoutMs ?? 5000,
      reconnectMinMs: options.reconnectMinMs ?? 500,
      reconnectMaxMs: options.reconnectMaxMs ?? 30_000,
      maxReqPerSec: options.maxReqPerSec ?? 40,
    };
    this.createClient = options.createClient ?? ((o) => new IBApiNext(o));
  }

  private readonly createClient: TwsClientFactory;

  start(): Promise<void> {
    if (!this.started) {
      this.started = true;
      this.firstAttempt = this.attempt();
    }
    return this.firstAttempt ?? Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.healthTimer);
    const c = this.conn;
    if (c) this.teardown(c, "server stopping");
    this.state = TwsState.DISCONNECTED;
  }

  status(): TwsStatus {
    return {
      enabled: true,
      state: this.state,
      host: this.o.host,
      port: this.o.port,
      clientId: this.conn?.clientId ?? this.currentClientId(),
      serverVersion: this.conn?.serverVersion || null,
      lastError: this.lastError,
      lastMessageAt: this.lastMessageAt,
    };
  }

  current(): TwsConnection | undefined {
    return this.state === TwsState.CONNECTED ? this.conn : undefined;
  }

  whenConnected(timeoutMs: number): Promise<TwsConnection> {
    const c = this.current();
    if (c) return Promise.resolve(c);
    return new Promise((resolve, reject) => {
      const done = (conn: Live) => {
        clearTimeout(timer);
        resolve(conn);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(done);
        reject(new Error(`TWS not connected within ${timeoutMs} ms (${this.lastError ?? this.state})`));
      }, timeoutMs);
      this.waiters.add(done);
    });
  }

  private currentClientId(): number {
    return this.o.clientId + this.idIndex;
  }

  // ---- connecting ----

  private async attempt(): Promise<void> {
    try {
      await this.attemptOnce();
    } catch (e) {
      // A bug or an incompatible @stoqey/ib: report it like any failed attempt instead of an unhandled rejection.
      this.log.error({ err: e }, "TWS connection attempt crashed");
      if (!this.stopped)
        this.onAttemptFailed(
          `Connection attempt failed: ${e instanceof Error ? e.message : String(e)}`,
          false,
        );
    }
  }

  private async attemptOnce(): Promise<void> {
    if (this.stopped) return;
    const clientId = this.currentClientId();
    const generation = ++this.generation;
    this.state = TwsState.CONNECTING;
    const { api, raw } = openTwsClient(this.createClient, this.o, this.log);
    const conn = new Live(api, raw, clientId, generation);
    this.conn = conn;
    this.log.info({ host: this.o.host, port: this.o.port, clientId, generation }, "connecting to TWS");

    const result = await new Promise<{ ok: true } | { ok: false; reason: string; idInUse?: boolean }>(
      (resolve) => {
        let settled = false;
        const settle = (r: { ok: true } | { ok: false; reason: string; idInUse?: boolean }) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(r);
        };
        const timer = setTimeout(
          () =>
            settle({
              ok: false,
              reason:
                conn.serverVersion > 0
                  ? `TWS accepted the connection but sent no nextValidId within ${this.o.connectTimeoutMs} ms (zombie gateway?)`
                  : `No API handshake from TWS within ${this.o.connectTimeoutMs} ms (zombie gateway, or not a TWS port?)`,
            }),
          this.o.connectTimeoutMs,
        );
        raw.on(EventName.received, () => this.onTraffic(conn));
        raw.on(EventName.server, (version: number) => {
          conn.serverVersion = version;
        });
        raw.on(EventName.managedAccounts, (list: string) => {
          conn.accounts = list
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean);
        });
        raw.on(EventName.nextValidId, (id: number) => {
          if (conn.nextValidId < 0) {
            conn.nextValidId = id;
            settle({ ok: true });
          }
        });
        raw.on(EventName.info, (message: string, code: number) => this.onNotice(conn, code, message, settle));
        raw.on(EventName.error, (err: Error, code: number, reqId: number) => {
          if (code === CONNECT_FAIL && reqId === -1) {
            settle({
              ok: false,
              reason: `Cannot reach TWS at ${this.o.host}:${this.o.port}: ${err.message}`,
            });
          }
        });
        raw.on(EventName.disconnected, () => {
          settle({ ok: false, reason: "TWS closed the connection during the handshake" });
          this.onSocketClosed(conn);
        });
        try {
          api.connect(clientId);
        } catch (e) {
          settle({
            ok: false,
            reason: `Cannot connect to TWS: ${e instanceof Error ? e.message : String(e)}`,
          });
        }
      },
    );

    if (this.stopped || conn !== this.conn) {
      this.teardown(conn, "superseded");
      return;
    }
    if (!result.ok) {
      this.teardown(conn, result.reason);
      this.onAttemptFailed(result.reason, result.idInUse ?? false);
      return;
    }
    await this.onHandshake(conn);
  }

  private async onHandshake(conn: Live): Promise<void> {
    conn.connectedAt = new Date();
    this.failures = 0;
    this.idsTriedThisRound = 0;
    const since = this.everConnected ? (this.lostAt ?? new Date()) : null;
    conn.handedOver = true;
    this.log.info(
      { clientId: conn.clientId, serverVersion: conn.serverVersion, accounts: conn.accounts },
      "TWS handshake done",
    );
    this.startHealth(conn);
    try {
      await this.handlers.connected(conn, since);
    } catch (e) {
      // Without the catch-up, fills made while we were away could stay unreported: try again on a fresh
      // connection rather than going on without them.
      this.connectionLost(
        conn,
        `Reconciliation after connecting failed: ${e instanceof Error ? e.message : String(e)}`,
      );
      return;
    }
    if (!conn.alive || this.stopped) return;
    conn.ready = true;
    this.everConnected = true;
    this.lostAt = null;
    this.lastError = null;
    this.ibLost = false;
    this.setConnected(
      conn,
      since
        ? `Reconnected to TWS at ${this.o.host}:${this.o.port} as client ${conn.clientId}; reconciled orders and executions since ${since.toISOString()}`
        : `Connected to TWS at ${this.o.host}:${this.o.port} as client ${conn.clientId} (server version ${conn.serverVersion})`,
    );
  }

  private setConnected(conn: Live, message: string): void {
    this.state = TwsState.CONNECTED;
    this.emit(SessionEventType.CONNECTED, message);
    for (const w of [...this.waiters]) {
      this.waiters.delete(w);
      w(conn);
    }
  }

  private onAttemptFailed(reason: string, idInUse: boolean): void {
    this.lastError = reason;
    this.state = TwsState.DISCONNECTED;
    this.log.warn({ reason, clientId: this.currentClientId() }, "TWS connection attempt failed");
    this.emit(SessionEventType.DISCONNECTED, reason);
    let delay: number;
    if (idInUse) {
      this.idIndex = (this.idIndex + 1) % this.o.clientIdRange;
      this.idsTriedThisRound++;
      // Trying the next id at once is cheap; only when every id of the range was refused do we wait.
      delay = this.idsTriedThisRound < this.o.clientIdRange ? 0 : this.backoff();
      if (delay > 0) this.idsTriedThisRound = 0;
    } else {
      delay = this.backoff();
    }
    this.schedule(delay);
  }

  private backoff(): number {
    this.failures++;
    const base = Math.min(this.o.reconnectMaxMs, this.o.reconnectMinMs * 2 ** (this.failures - 1));
    // ±20 % jitter so that several servers restarting together do not hit TWS in lockstep.
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.attempt(), delayMs);
  }

  // ---- while connected ----

  private onTraffic(conn: Live): void {
    if (!conn.alive) return;
    this.lastMessageAt = new Date();
    this.probeSentAt = null;
  }

  private startHealth(conn: Live): void {
    clearInterval(this.healthTimer);
    this.probeSentAt = null;
    const tick = Math.max(20, Math.min(this.o.probeIntervalMs, this.o.probeTimeoutMs) / 4);
    this.healthTimer = setInterval(() => this.checkHealth(conn), tick);
  }

  private checkHealth(conn: Live): void {
    if (!conn.alive || conn !== this.conn) return;
    const now = Date.now();
    if (this.probeSentAt != null) {
      if (now - this.probeSentAt >= this.o.probeTimeoutMs) {
        this.connectionLost(
          conn,
          `TWS stopped answering: no reply to a probe within ${this.o.probeTimeoutMs} ms (zombie gateway); reconnecting`,
        );
      }
      return;
    }
    const quietFor = now - (this.lastMessageAt?.getTime() ?? conn.connectedAt.getTime());
    if (quietFor >= this.o.probeIntervalMs) {
      this.probeSentAt = now;
      conn.raw.reqCurrentTime();
    }
  }

  private onNotice(
    conn: Live,
    code: number,
    message: string,
    settleHandshake: (r: { ok: false; reason: string; idInUse?: boolean }) => void,
  ): void {
    if (!conn.alive) return;
    switch (code) {
      case TwsNotice.CLIENT_ID_IN_USE:
        settleHandshake({
          ok: false,
          reason: `TWS client id ${conn.clientId} is already in use (326); trying the next id of IB_TWS_CLIENT_ID_RANGE`,
          idInUse: true,
        });
        if (this.conn === conn && this.state === TwsState.CONNECTED) this.connectionLost(conn, message);
        return;
      case TwsNotice.CONNECTIVITY_LOST:
      case TwsNotice.TWS_SERVER_CONNECTIVITY_BROKEN:
        if (this.state !== TwsState.CONNECTED || this.ibLost) return;
        this.ibLost = true;
        this.lastError = `${message} (${code})`;
        this.state = TwsState.DISCONNECTED;
        this.log.warn({ code, message }, "TWS lost its connection to IB");
        this.emit(SessionEventType.DISCONNECTED, `TWS lost its connection to IB (${code}): ${message}`);
        return;
      case TwsNotice.RESTORED_DATA_LOST:
        void this.onRestored(conn, code, message, true);
        return;
      case TwsNotice.RESTORED_DATA_MAINTAINED:
        void this.onRestored(conn, code, message, false);
        return;
      default:
        this.log.debug({ code, message }, "TWS notice");
    }
  }

  private async onRestored(conn: Live, code: number, message: string, dataLost: boolean): Promise<void> {
    if (conn !== this.conn || !conn.ready) return;
    this.log.info({ code, message }, "TWS connectivity to IB restored");
    if (dataLost) {
      try {
        await this.handlers.dataLost(conn);
      } catch (e) {
        this.log.warn({ err: e }, "TWS resubscribe after 1101 failed");
      }
    }
    if (!conn.alive || conn !== this.conn) return;
    const wasLost = this.ibLost || this.state !== TwsState.CONNECTED;
    this.ibLost = false;
    this.lastError = null;
    if (wasLost || dataLost) {
      this.setConnected(
        conn,
        dataLost
          ? `TWS connectivity to IB restored, data lost (${code}): resubscribed and reconciled`
          : `TWS connectivity to IB restored, data maintained (${code})`,
      );
    }
  }

  private onSocketClosed(conn: Live): void {
    if (!conn.alive || conn !== this.conn || !conn.handedOver) return;
    this.connectionLost(conn, `TWS closed the connection (${this.o.host}:${this.o.port})`);
  }

  private connectionLost(conn: Live, reason: string): void {
    if (!conn.alive) return;
    this.lastError = reason;
    this.lostAt ??= new Date();
    this.teardown(conn, reason);
    this.state = TwsState.DISCONNECTED;
    this.log.warn({ reason, clientId: conn.clientId }, "TWS connection lost");
    this.emit(SessionEventType.DISCONNECTED, reason);
    this.schedule(this.backoff());
  }

  /** Closes a connection for good; a broker that was given it settles the work that depended on it. */
  private teardown(conn: Live, reason: string): void {
    if (!conn.alive) return;
    conn.alive = false;
    conn.close(reason);
    if (conn === this.conn) clearInterval(this.healthTimer);
    if (conn.handedOver) {
      try {
        this.handlers.lost(conn, reason);
      } catch (e) {
        this.log.warn({ err: e }, "TWS lost handler failed");
      }
    }
    try {
      conn.api.disconnect();
      // IBApiNext only closes a socket it considers connected; a half-open handshake needs the raw close.
      IBApi.prototype.disconnect.call(conn.raw);
    } catch {
      /* already closed */
    }
  }

  private emit(type: SessionEventType, message: string): void {
    // A retry loop failing the same way is one event, not one per attempt.
    if (this.lastEvent?.type === type && this.lastEvent.message === message) return;
    this.lastEvent = { type, message };
    this.handlers.session(type, message);
  }
}
