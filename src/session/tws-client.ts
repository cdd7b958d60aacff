/**
 * One IBApiNext client set up the way the supervisor needs it: our reconnects instead of its own, request
 * ids apart from order ids, and TWS's connectivity notices left to us. The parts that reach into
 * @stoqey/ib 1.6.10's private fields live here, each checked so that a version bump fails loudly.
 */
import {
  EventName,
  IBApi,
  type IBApiNext,
  type IBApiNextCreationOptions,
  type Logger as IbLogger,
} from "@stoqey/ib";
import type { Logger } from "../logger";

/** Builds a client; `new IBApiNext(options)` unless a test wants to observe it. */
export type TwsClientFactory = (options: IBApiNextCreationOptions) => IBApiNext;

/** A fresh client for `host:port` and the socket-level IBApi under it, not yet connected. */
export function openTwsClient(
  create: TwsClientFactory,
  o: { host: string; port: number; maxReqPerSec: number },
  log: Logger,
): { api: IBApiNext; raw: IBApi } {
  const api = create({
    host: o.host,
    port: o.port,
    // Ours, not IBApiNext's: its reconnect would replay queued requests (orders!) on the next socket.
    reconnectInterval: 0,
    connectionWatchdogInterval: 0,
    maxReqPerSec: o.maxReqPerSec,
    logger: ibLogger(log),
  });
  const raw = rawApiOf(api);
  separateRequestIds(api);
  // IBApiNext closes the socket itself on 1100/2110; TWS keeps it open and later says 1101/1102, which the
  // supervisor wants to see. So its notice handler goes; the supervisor's replaces it.
  for (const l of raw.listeners(EventName.info)) raw.removeListener(EventName.info, l as never);
  return { api, raw };
}

/** The IBApi that IBApiNext 1.6.10 wraps (its private `api` field); checked so a version bump fails loudly. */
function rawApiOf(api: IBApiNext): IBApi {
  const raw = (api as unknown as { api?: unknown }).api;
  if (!(raw instanceof IBApi)) {
    throw new Error("@stoqey/ib changed: IBApiNext no longer wraps an IBApi in `api`; pin 1.6.10");
  }
  return raw;
}

/** Where IBApiNext's request ids start: far above any order id, which TWS routes errors by too. */
export const REQUEST_ID_BASE = 1 << 30;

/**
 * TWS addresses an error frame by id, and request ids and order ids share that space: error 202 for order
 * 5 would also end IBApiNext's request 5, and a contract lookup's error 200 for request 5 would look like
 * the rejection of order 5. IBApiNext 1.6.10 counts request ids from 1 in a private field; start it high.
 */
function separateRequestIds(api: IBApiNext): void {
  const a = api as unknown as { _nextReqId?: unknown };
  if (typeof a._nextReqId !== "number") {
    throw new Error("@stoqey/ib changed: IBApiNext has no numeric _nextReqId; pin 1.6.10");
  }
  a._nextReqId = REQUEST_ID_BASE;
}

function ibLogger(log: Logger): IbLogger {
  const text = (args: unknown[]) =>
    args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" ");
  return {
    debug: (tag, ...args) => log.trace({ tag }, text(args)),
    info: (tag, ...args) => log.debug({ tag }, text(args)),
    warn: (tag, ...args) => log.debug({ tag }, text(args)),
    error: (tag, ...args) => log.debug({ tag }, text(args)),
  };
}
