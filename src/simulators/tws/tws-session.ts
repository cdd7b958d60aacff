import type { Socket } from "node:net";
import type { Logger } from "../../logger";
import { encodeFrame, TwsFrameReader, type HandshakeInfo, type WireField } from "./tws-codec";
import { errorMessage } from "./tws-encoders";
import { MAX_SERVER_VERSION } from "./tws-versions";

/** What a session needs from the simulator that owns it. */
export interface TwsSessionHost {
  readonly logger: Logger;
  /** True while the simulator plays a hung gateway: nothing is answered or pushed. */
  isZombie(): boolean;
  onHandshake(session: TwsSession, handshake: HandshakeInfo): void;
  onMessage(session: TwsSession, fields: string[]): void;
  onClose(session: TwsSession): void;
}

export interface AccountUpdatesSubscription {
  account: string;
  /** `key|currency` → value last sent with updateAccountValue. */
  sent: Map<string, string>;
  /** conId → `position|marketPrice` last sent with updatePortfolio. */
  portfolio: Map<number, string>;
}

/** A reqAccountUpdatesMulti / reqPositionsMulti / reqPnL(Single) subscription, keyed by its request id. */
export interface MultiSubscription {
  account: string;
  modelCode: string;
  /** reqPnLSingle only: the position's contract. */
  conId?: number;
  /** What was last sent, so that only changes are pushed. */
  sent: Map<string, string>;
}

/** Per-connection subscriptions, dropped when the connection goes (orders keep working). */
export interface TwsSubscriptions {
  positions: boolean;
  /** reqId → tag list. */
  accountSummaries: Map<number, { group: string; tags: string; sent: Map<string, string> }>;
  /** Account of reqAccountUpdates and what was last sent (only changes are pushed). */
  accountUpdates: AccountUpdatesSubscription | null;
  autoOpenOrders: boolean;
  accountUpdatesMulti: Map<number, MultiSubscription>;
  positionsMulti: Map<number, MultiSubscription>;
  pnl: Map<number, MultiSubscription>;
  pnlSingle: Map<number, MultiSubscription>;
  /** reqMarketDataType: 1 live, 2 frozen, 3 delayed, 4 delayed frozen. */
  marketDataType: number;
}

let nextSessionId = 1;

/** One TCP connection of a TWS API client. */
export class TwsSession {
  readonly id = nextSessionId++;
  readonly connectedAt = Date.now();
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Set by startApi. */
  clientId: number | null = null;
  handshake: HandshakeInfo | null = null;
  /** Agreed at the handshake; every layout in both directions follows it. */
  serverVersion: number = MAX_SERVER_VERSION;
  /** Accepted while the simulator was a zombie: such a connection never comes back to life. */
  readonly bornZombie: boolean;
  readonly subscriptions: TwsSubscriptions = {
    positions: false,
    accountSummaries: new Map(),
    accountUpdates: null,
    autoOpenOrders: false,
    accountUpdatesMulti: new Map(),
    positionsMulti: new Map(),
    pnl: new Map(),
    pnlSingle: new Map(),
    marketDataType: 1,
  };
  /** Pacing: start of the current one-second window and messages counted in it. */
  pacingWindowStart = 0;
  pacingCount = 0;
  pacingWarned = false;
  /** Frames received after the handshake (startApi included). */
  messagesReceived = 0;
  /** Requests received per message id (the simulator's request log, e.g. to prove nothing was asked). */
  readonly requestCounts = new Map<number, number>();

  private readonly reader = new TwsFrameReader();
  private closed = false;
  /** Set when we hang up: the rest of an already received chunk is not served. */
  private closing = false;

  constructor(
    private readonly socket: Socket,
    private readonly host: TwsSessionHost,
  ) {
    this.remoteAddress = socket.remoteAddress ?? "";
    this.remotePort = socket.remotePort ?? 0;
    this.bornZombie = host.isZombie();
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err) => host.logger.debug({ err, session: this.id }, "tws sim: socket error"));
    socket.on("close", () => this.onSocketClose());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Connected, past startApi, and not silenced. */
  get isLive(): boolean {
    return !this.closed && !this.closing && this.clientId !== null && !this.bornZombie;
  }

  send(fields: readonly WireField[]): void {
    if (this.closed || this.closing || this.bornZombie || this.host.isZombie()) return;
    this.socket.write(encodeFrame(fields));
  }

  sendError(id: number, code: number, message: string, advancedOrderReject = ""): void {
    this.send(errorMessage(id, code, message, advancedOrderReject, this.serverVersion));
  }

  /** Ends the connection the way TWS does: no goodbye message, just FIN. */
  close(): void {
    if (this.closed || this.closing) return;
    this.closing = true;
    // Flush what was queued (e.g. error 326), then hang up.
    this.socket.end(() => this.socket.destroy());
  }

  /** Drops the connection at once (fault injection). */
  destroy(): void {
    this.closing = true;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closed || this.closing || this.bornZombie || this.host.isZombie()) return;
    for (const event of this.reader.push(chunk)) {
      if (this.closed || this.closing) return;
      switch (event.kind) {
        case "handshake":
          this.handshake = event.handshake;
          this.host.onHandshake(this, event.handshake);
          break;
        case "message":
          this.messagesReceived += 1;
          this.requestCounts.set(
            Number(event.fields[0]),
            (this.requestCounts.get(Number(event.fields[0])) ?? 0) + 1,
          );
          try {
            this.host.onMessage(this, event.fields);
          } catch (err) {
            // A bug in one handler must not take the whole gateway down.
            this.host.logger.error(
              { err, session: this.id, msgId: event.fields[0] },
              "tws sim: handler failed",
            );
          }
          break;
        case "error":
          this.host.logger.debug(
            { session: this.id, reason: event.reason },
            "tws sim: protocol error, closing",
          );
          this.destroy();
          return;
      }
    }
  }

  private onSocketClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.onClose(this);
  }
}
