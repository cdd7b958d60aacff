import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { silentLogger, type Logger } from "../../logger";
import type { Brokerage } from "../brokerage";
import type { TwsFaultControl } from "../control";
import { TwsGateway } from "./tws-gateway";
import type { TwsMarketDataRequest } from "./tws-market-data";
import { TwsSession } from "./tws-session";

export interface TwsSimulatorOptions {
  /** The shared simulated brokerage (the same book the Client Portal simulator serves). */
  brokerage: Brokerage;
  /** @default "127.0.0.1" */
  host?: string;
  /** TCP port; 0 picks a free one. TWS uses 7496/7497 (live/paper), IB Gateway 4001/4002. @default 0 */
  port?: number;
  /** Concurrent connections, as TWS allows. Further connections are closed at once. @default 32 */
  maxClients?: number;
  /**
   * The lowest order id nextValidId hands out. Kept high so that order ids do not collide with the small request
   * ids IBApiNext uses internally (an error for order N would otherwise hit the subscription with reqId N).
   * @default 1000
   */
  firstOrderId?: number;
  /** Message rate per client before error 100. @default 50 */
  maxMessagesPerSecond?: number;
  /** Messages beyond the rate limit, within one second, after which the client is disconnected. @default 50 */
  pacingDisconnectAfter?: number;
  /** Concurrent reqAccountSummary subscriptions per client before error 322. @default 2 */
  maxAccountSummarySubscriptions?: number;
  /** Repeat the openOrder/orderStatus pair on a fill, as real TWS does. @default true */
  repeatStatusMessages?: boolean;
  /**
   * Every this many ms, account values and portfolio rows that moved with prices are pushed to account-summary and
   * account-update subscribers, as TWS does (about every 3 minutes); fills are pushed at once regardless. 0 disables.
   * @default 180_000
   */
  accountRefreshMs?: number;
  /** Time zone of time texts (connection, execution and account times). @default "America/New_York" */
  timeZone?: string;
  /** @default silentLogger() */
  logger?: Logger;
}

export interface TwsClientInfo {
  clientId: number;
  remoteAddress: string;
  remotePort: number;
  /** ISO-8601 time of the TCP connect. */
  connectedAt: string;
  /** Frames received from this client (startApi included), e.g. to see a watchdog's reqCurrentTime. */
  messagesReceived: number;
  /** Requests received per message id (`9` reqContractDetails, `78` reqSecDefOptParams, …). */
  requestCounts: Record<number, number>;
}

export interface TwsSimulator {
  readonly host: string;
  readonly port: number;
  /** Fault injection: drops, refused reconnects, zombie mode, connectivity notices. */
  readonly control: TwsFaultControl;
  /** Connected API clients (past startApi). */
  clients(): TwsClientInfo[];
  /** Every reqMktData received (the lines clients opened), oldest first. */
  marketDataRequests(): TwsMarketDataRequest[];
  /** Streaming market-data lines open now. */
  openMarketDataLines(): number;
  /** Closes every connection and the listener. The brokerage is left to its owner. */
  stop(): Promise<void>;
}

/** Starts a TCP server that speaks the TWS API (V100+, server version 193) over the given brokerage. */
export async function startTwsSimulator(options: TwsSimulatorOptions): Promise<TwsSimulator> {
  const logger = options.logger ?? silentLogger();
  const host = options.host ?? "127.0.0.1";
  const maxClients = options.maxClients ?? 32;
  const gateway = new TwsGateway({
    brokerage: options.brokerage,
    logger,
    firstOrderId: options.firstOrderId ?? 1000,
    maxMessagesPerSecond: options.maxMessagesPerSecond ?? 50,
    pacingDisconnectAfter: options.pacingDisconnectAfter ?? 50,
    maxAccountSummarySubscriptions: options.maxAccountSummarySubscriptions ?? 2,
    repeatStatusMessages: options.repeatStatusMessages ?? true,
    accountRefreshMs: options.accountRefreshMs ?? 180_000,
    timeZone: options.timeZone ?? "America/New_York",
  });
  let refuseUntil = 0;
  const sockets = new Set<Socket>();

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    if (Date.now() < refuseUntil || gateway.sessionCount() >= maxClients) {
      socket.on("error", () => undefined);
      socket.destroy();
      return;
    }
    gateway.addSession(new TwsSession(socket, gateway));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ host, port }, "TWS simulator listening");

  const control: TwsFaultControl = {
    disconnectAll(opts) {
      refuseUntil = opts?.refuseMs ? Date.now() + opts.refuseMs : 0;
      for (const s of gateway.allSessions()) s.destroy();
    },
    setZombie(enabled) {
      gateway.setZombie(enabled);
    },
    sendNotice(code) {
      gateway.broadcastNotice(code);
    },
    marketData: () => ({
      requests: gateway.marketData.requests(),
      openLines: gateway.marketData.openLines(),
    }),
  };

  let stopped: Promise<void> | undefined;
  return {
    host,
    port,
    control,
    clients: () =>
      gateway.liveSessions().map((s) => ({
        clientId: s.clientId ?? 0,
        remoteAddress: s.remoteAddress,
        remotePort: s.remotePort,
        connectedAt: new Date(s.connectedAt).toISOString(),
        messagesReceived: s.messagesReceived,
        requestCounts: Object.fromEntries(s.requestCounts),
      })),
    marketDataRequests: () => gateway.marketData.requests(),
    openMarketDataLines: () => gateway.marketData.openLines(),
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        gateway.close();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return stopped;
    },
  };
}
