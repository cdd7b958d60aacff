import { useEffect, useState } from "react";
import type { SessionEvent, SessionStatus } from "../../../src/client/core";
import { formatTime } from "./format";
import { usePolled, useUi } from "./hooks";

const OK_STATES = new Set(["AUTHENTICATED", "CONNECTED"]);
const OFF_STATES = new Set(["DISABLED"]);

function stateClass(state: string): string {
  return OK_STATES.has(state) ? "ok" : OFF_STATES.has(state) ? "off" : "bad";
}

/** Both APIs' state, the login link when a person must log in, and the last session events. */
export function SessionPanel({ initial }: { initial: SessionStatus }) {
  const ui = useUi();
  // Session events are not replayable, so the status is also re-read: a drop never leaves it stale.
  const polled = usePolled((c) => c.session(), 5_000);
  const [latest, setLatest] = useState<SessionStatus>(initial);
  const [events, setEvents] = useState<SessionEvent[]>([]);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (polled.data) setLatest(polled.data);
  }, [polled.data]);

  useEffect(() => {
    const stream = ui.client.sessionEvents({
      onEvent: (e) => {
        setLatest(e.status);
        setEvents((list) => [e, ...list].slice(0, 8));
      },
      onStatus: (s) => {
        if (s.state === "live") ui.reportOk("ws");
      },
      onError: (e) => ui.report(e),
    });
    return () => void stream.close();
  }, [ui]);

  const cp = latest.clientPortal;
  const tws = latest.tws;
  return (
    <section className="panel session" aria-labelledby="session-h">
      <h2 id="session-h">Session</h2>
      <dl className="apis">
        <div>
          <dt>Client Portal</dt>
          <dd className={stateClass(cp.state)} data-testid="cp-state">
            {cp.state}
          </dd>
          {cp.message && <dd className="note">{cp.message}</dd>}
          {cp.loginUrl && (cp.state === "LOGIN_REQUIRED" || cp.state === "UNAUTHENTICATED") && (
            <dd>
              <a href={cp.loginUrl} target="_blank" rel="noreferrer" className="login">
                Log in to the Client Portal gateway
              </a>
            </dd>
          )}
          {ui.canTrade && (cp.state === "EXPIRED" || cp.state === "UNAUTHENTICATED") && (
            <dd>
              <button
                disabled={busy}
                onClick={async () => {
                  setBusy(true);
                  try {
                    setLatest(await ui.client.reauthenticate());
                  } catch (e) {
                    ui.report(e);
                  } finally {
                    setBusy(false);
                  }
                }}
              >
                Reauthenticate
              </button>
            </dd>
          )}
        </div>
        <div>
          <dt>TWS</dt>
          <dd className={stateClass(tws.state)} data-testid="tws-state">
            {tws.state}
          </dd>
          {tws.enabled && tws.host && (
            <dd className="note">
              {tws.host}:{tws.port} · client {tws.clientId ?? "—"}
            </dd>
          )}
          {tws.lastError && <dd className="note">{tws.lastError}</dd>}
        </div>
      </dl>
      <h3>Recent session events</h3>
      {events.length === 0 ? (
        <p className="empty">None since this page opened.</p>
      ) : (
        <ul className="events">
          {events.map((e) => (
            <li key={e.sequence}>
              <time>{formatTime(e.at)}</time> {e.api === "TWS" ? "TWS" : "CP"} {e.type}
              {e.message ? ` — ${e.message}` : ""}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
