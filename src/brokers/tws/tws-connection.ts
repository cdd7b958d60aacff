/**
 * The TWS adapter's glue to its connection supervisor: hands each new connection to the adapter's parts,
 * reconciles before the connection counts as ready, resubscribes after TWS lost its data, polls while
 * orders of other clients work, and tells the parts when a connection is gone. The supervisor itself
 * (src/session) knows nothing of brokers.
 */
import type { AppError } from "../../errors";
import type { Logger } from "../../logger";
import type { SessionEventType } from "../../schema/enums";
import type { TwsStatus } from "../../schema/session.type";
import {
  createTwsSupervisor,
  type TwsConnection,
  type TwsSupervisor,
  type TwsSupervisorOptions,
} from "../../session/tws-supervisor";
import type { ComponentReadiness } from "../api-broker";
import { notReady } from "./tws-errors";
import type { TwsReconciler } from "./tws-reconcile";

/** Where TWS is, how the connection is supervised, and how often foreign orders are reconciled. */
export interface TwsConnectionOptions extends Omit<TwsSupervisorOptions, "logger"> {
  /**
   * While orders of other client ids are working (placed before a client-id rotation, or by other
   * programs), reconcile this often: TWS sends their changes only to the client that placed them. 0 = off.
   * @default 5000
   */
  pollIntervalMs?: number;
}

/** What a part of the adapter does with each connection; every hook is optional. */
export interface TwsConnectionPart {
  /** A new connection: listen to it for its whole life (its listeners die with its socket). */
  attach?(conn: TwsConnection): void;
  /** Make the requests TWS forgets when it loses its data (1101): after attach, and again after 1101. */
  subscribe?(conn: TwsConnection): void;
  /** The current connection's subscriptions are gone: lost, or about to be made again. */
  unsubscribe?(): void;
  /** A connection closed: work sent on it settles now. */
  lost?(conn: TwsConnection, reason: string): void;
}

export class TwsConnector {
  private readonly supervisor: TwsSupervisor;
  private readonly pollIntervalMs: number;
  private conn: TwsConnection | undefined;
  private pollTimer: NodeJS.Timeout | undefined;

  constructor(
    options: TwsConnectionOptions & { logger: Logger },
    private readonly parts: readonly TwsConnectionPart[],
    private readonly reconciler: TwsReconciler,
    session: (type: SessionEventType, message: string) => void,
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 5000;
    this.supervisor = createTwsSupervisor(options, {
      connected: (conn, since) => this.onConnected(conn, since),
      lost: (conn, reason) => this.onLost(conn, reason),
      dataLost: (conn) => this.onDataLost(conn),
      session,
    });
  }

  start(): Promise<void> {
    return this.supervisor.start();
  }

  async stop(): Promise<void> {
    clearInterval(this.pollTimer);
    await this.supervisor.stop();
  }

  status(): TwsStatus {
    return this.supervisor.status();
  }

  /** The connection while CONNECTED, else undefined. */
  current(): TwsConnection | undefined {
    return this.supervisor.current();
  }

  /** The current connection, or BROKER_UNAVAILABLE saying why there is none. */
  ready(): TwsConnection {
    const c = this.supervisor.current();
    if (!c) throw this.notReady();
    return c;
  }

  notReady(): AppError {
    const s = this.status();
    return notReady(s.state, s.lastError ?? null);
  }

  readiness(): ComponentReadiness {
    const s = this.status();
    return {
      ready: this.current() !== undefined,
      state: s.state,
      detail: s.lastError ?? undefined,
      lastMessageAt: s.lastMessageAt?.toISOString() ?? null,
    };
  }

  private async onConnected(conn: TwsConnection, since: Date | null): Promise<void> {
    this.conn = conn;
    for (const p of this.parts) p.attach?.(conn);
    for (const p of this.parts) p.subscribe?.(conn);
    // Before the supervisor says CONNECTED: fills made while we were away come out first.
    await this.reconciler.reconcile(conn, since === null ? "first" : "catch-up");
    clearInterval(this.pollTimer);
    if (this.pollIntervalMs > 0) this.pollTimer = setInterval(() => this.poll(conn), this.pollIntervalMs);
  }

  private onLost(conn: TwsConnection, reason: string): void {
    if (this.conn === conn) {
      this.conn = undefined;
      clearInterval(this.pollTimer);
      for (const p of this.parts) p.unsubscribe?.();
    }
    for (const p of this.parts) p.lost?.(conn, reason);
  }

  private async onDataLost(conn: TwsConnection): Promise<void> {
    for (const p of this.parts) p.unsubscribe?.();
    for (const p of this.parts) p.subscribe?.(conn);
    await this.reconciler.reconcile(conn, "catch-up");
  }

  private poll(conn: TwsConnection): void {
    if (this.supervisor.current() === conn) this.reconciler.pollForeign(conn);
  }
}
