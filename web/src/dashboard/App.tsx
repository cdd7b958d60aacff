import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import type { SessionStatus, StreamStatus } from "../../../src/client/core";
import { loadToken, saveToken } from "../shared/token";
import { Blotter } from "./blotter";
import { asClientError, browserClient, isTradeRefusal, UiContext, type Channel, type Ui } from "./hooks";
import { Portfolio } from "./portfolio";
import { SessionPanel } from "./session";
import { OrderTicket } from "./ticket";

type Gate =
  | { state: "checking" }
  | { state: "token"; refused: boolean }
  | { state: "unreachable"; message: string }
  | { state: "open"; session: SessionStatus };

const READ_ONLY_KEY = "ibkr-graphql:read-only";

export function App() {
  const token = useRef(loadToken());
  const client = useMemo(() => browserClient(() => token.current), []);
  const [gate, setGate] = useState<Gate>({ state: "checking" });
  const [canTrade, setCanTrade] = useState(() => sessionStorage.getItem(READ_ONLY_KEY) !== "1");
  const [down, setDown] = useState<Record<Channel, boolean>>({ http: false, ws: false });

  const check = useCallback(async () => {
    try {
      const session = await client.session();
      setGate({ state: "open", session });
    } catch (e) {
      const err = asClientError(e);
      if (err.code === "UNAUTHENTICATED") {
        const refused = token.current !== undefined;
        token.current = undefined;
        saveToken(undefined);
        setGate({ state: "token", refused });
      } else setGate({ state: "unreachable", message: err.message });
    }
  }, [client]);

  useEffect(() => {
    void check();
  }, [check]);

  const ui = useMemo<Ui>(
    () => ({
      client,
      canTrade,
      report(e) {
        const err = asClientError(e);
        if (err.code === "UNAUTHENTICATED") {
          token.current = undefined;
          saveToken(undefined);
          setGate({ state: "token", refused: true });
        } else if (isTradeRefusal(err)) {
          sessionStorage.setItem(READ_ONLY_KEY, "1");
          setCanTrade(false);
        } else if (err.code === "NETWORK_ERROR" || err.code === "HTTP_ERROR") {
          setDown((d) => (d.http ? d : { ...d, http: true }));
        }
      },
      reportOk(channel) {
        setDown((d) => (d[channel] ? { ...d, [channel]: false } : d));
      },
      reportStream(s: StreamStatus) {
        const isDown = s.state === "reconnecting";
        setDown((d) => (d.ws === isDown ? d : { ...d, ws: isDown }));
      },
    }),
    [client, canTrade],
  );

  if (gate.state === "checking") return <p className="loading">Connecting…</p>;
  if (gate.state === "unreachable")
    return (
      <main className="gate">
        <h1>ibkr-graphql</h1>
        <p role="alert">The server does not answer: {gate.message}</p>
        <button onClick={() => void check()}>Retry</button>
      </main>
    );
  if (gate.state === "token")
    return (
      <TokenPrompt
        refused={gate.refused}
        onToken={(t) => {
          token.current = t;
          saveToken(t);
          sessionStorage.removeItem(READ_ONLY_KEY);
          setCanTrade(true);
          setGate({ state: "checking" });
          void check();
        }}
      />
    );

  const disconnected = down.http || down.ws;
  return (
    <UiContext.Provider value={ui}>
      <div className={`app mode-${gate.session.mode.toLowerCase()}`}>
        {gate.session.mode === "LIVE" && (
          <div className="live-banner" role="alert">
            LIVE ACCOUNT — orders from this page trade real money
          </div>
        )}
        <header>
          <h1>ibkr-graphql</h1>
          <span className={`mode mode-${gate.session.mode.toLowerCase()}`} data-testid="mode">
            {gate.session.mode}
          </span>
          <span className={`conn ${disconnected ? "down" : "ok"}`} role="status" data-testid="connection">
            {disconnected ? "Disconnected — reconnecting…" : "Connected"}
          </span>
          {!canTrade && <span className="readonly">Read-only token: trading controls hidden</span>}
          <nav>
            <a href="/graphql">GraphiQL</a>
            {token.current && (
              <button
                className="link"
                onClick={() => {
                  token.current = undefined;
                  saveToken(undefined);
                  setGate({ state: "token", refused: false });
                }}
              >
                Forget token
              </button>
            )}
          </nav>
        </header>
        <main>
          <SessionPanel initial={gate.session} />
          <Portfolio />
          {canTrade && <OrderTicket mode={gate.session.mode} />}
          <Blotter />
        </main>
      </div>
    </UiContext.Provider>
  );
}

function TokenPrompt({ refused, onToken }: { refused: boolean; onToken(token: string): void }) {
  const [value, setValue] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (value.trim()) onToken(value.trim());
  };
  return (
    <main className="gate">
      <h1>ibkr-graphql</h1>
      <form onSubmit={submit} aria-label="Sign in">
        <p>This server needs its API token. It is kept for this browser tab only.</p>
        {refused && (
          <p role="alert" className="error">
            The server refused that token.
          </p>
        )}
        <label htmlFor="api-token">API token</label>
        <input
          id="api-token"
          type="password"
          autoComplete="off"
          autoFocus
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
        <button type="submit">Open dashboard</button>
      </form>
    </main>
  );
}
