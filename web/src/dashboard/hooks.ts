import { createContext, useContext, useEffect, useRef, useState } from "react";
import {
  createIbkrClient,
  type EventStream,
  type IbkrClient,
  type StreamOptions,
  type StreamStatus,
} from "../../../src/client/core";
import { IbkrClientError } from "../../../src/client/errors";
import { endpoint } from "../shared/token";

/** How often accounts and positions are re-read while their subscription is unavailable. */
export const POLL_MS = 2_000;
/** While a subscription is live, a slow re-read only, as a safety net for values no event carries. */
export const RESYNC_MS = 60_000;

export function browserClient(token: () => string | undefined): IbkrClient {
  const { http, ws } = endpoint();
  return createIbkrClient({ url: http, wsUrl: ws, token, webSocketImpl: WebSocket, timeoutMs: 10_000 });
}

export interface Ui {
  client: IbkrClient;
  /** False once the server refused a mutation to this token (a read token) or is read-only. */
  canTrade: boolean;
  /** Report an error from any panel: decides read-only mode, sign-out and the disconnected banner. */
  report(error: unknown): void;
  /** Report that a channel works again. */
  reportOk(channel: Channel): void;
  reportStream(status: StreamStatus): void;
}

export type Channel = "http" | "ws";

export const UiContext = createContext<Ui | null>(null);

export function useUi(): Ui {
  const ui = useContext(UiContext);
  if (!ui) throw new Error("useUi outside UiContext");
  return ui;
}

export function asClientError(e: unknown): IbkrClientError {
  return e instanceof IbkrClientError ? e : new IbkrClientError(String(e), "NETWORK_ERROR");
}

/**
 * A FORBIDDEN that is about the token, not the order: the read token's refusal carries no details,
 * while limit and account refusals name their `limit`, `field` or `accountId`.
 */
export function isTradeRefusal(e: IbkrClientError): boolean {
  if (e.code === "READ_ONLY") return true;
  if (e.code !== "FORBIDDEN") return false;
  const ext = e.errors[0]?.extensions ?? {};
  return !("limit" in ext || "field" in ext || "accountId" in ext || "conid" in ext);
}

export interface Polled<T> {
  data: T | undefined;
  error: IbkrClientError | undefined;
  /** Re-read now (after a mutation), without waiting for the next tick. */
  refresh(): void;
}

interface PolledState<T> extends Polled<T> {
  /** Changes the data in place (a subscription's event). */
  update(change: (data: T | undefined) => T | undefined): void;
}

/**
 * Re-reads `load` every `everyMs` while mounted. The seam for live data: when the server gains
 * `accountUpdates`/`positionUpdates`, a hook with this same shape subscribes instead.
 */
export function usePolled<T>(load: (client: IbkrClient) => Promise<T>, everyMs = POLL_MS): PolledState<T> {
  const ui = useUi();
  const [data, setData] = useState<T>();
  const [error, setError] = useState<IbkrClientError>();
  const kick = useRef<() => void>(() => undefined);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      clearTimeout(timer);
      try {
        const value = await loadRef.current(ui.client);
        if (stopped) return;
        setData(value);
        setError(undefined);
        ui.reportOk("http");
      } catch (e) {
        if (stopped) return;
        const err = asClientError(e);
        setError(err);
        ui.report(err);
      }
      if (!stopped) timer = setTimeout(tick, everyMs);
    };
    kick.current = () => void tick();
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [ui, everyMs]);

  return { data, error, refresh: () => kick.current(), update: (change) => setData(change) };
}

/**
 * A snapshot (`load`) kept current by a subscription (`follow`, events merged by `apply`). The snapshot is
 * re-read whenever the stream goes live (events during a drop are not replayed), every `resyncMs` while it
 * stays live, and every POLL_MS while it connects or reconnects.
 * If the subscription is refused (an older server without it, a token it does not accept), the hook falls
 * back to polling every POLL_MS: the panels look the same either way.
 */
export function useLive<T, E>(
  load: (client: IbkrClient) => Promise<T>,
  follow: (client: IbkrClient, options: StreamOptions<E>) => EventStream,
  apply: (data: T | undefined, event: E) => T | undefined,
  resyncMs = RESYNC_MS,
): Polled<T> & { live: boolean } {
  const ui = useUi();
  const [failed, setFailed] = useState(false);
  const [live, setLive] = useState(false);
  // Polls every POLL_MS unless the stream is live; the interval changing re-reads at once, which is the
  // snapshot a (re)connected stream needs.
  const polled = usePolled(load, live && !failed ? resyncMs : POLL_MS);
  const refs = useRef({ follow, apply, polled });
  refs.current = { follow, apply, polled };

  useEffect(() => {
    if (failed) return;
    const stream = refs.current.follow(ui.client, {
      onEvent: (e) => refs.current.polled.update((d) => refs.current.apply(d, e)),
      onStatus: (s) => setLive(s.state === "live"),
      onError: () => {
        setLive(false);
        setFailed(true);
      },
    });
    return () => void stream.close();
  }, [ui, failed]);

  return { data: polled.data, error: polled.error, refresh: polled.refresh, live };
}
