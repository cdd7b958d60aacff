import "graphiql/setup-workers/vite";
import "graphiql/style.css";
import "./graphiql.css";
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import { createClient } from "graphql-ws";
import { StrictMode, useMemo, useState } from "react";
import { createRoot } from "react-dom/client";
import { endpoint, loadToken, saveToken } from "../shared/token";

const DEFAULT_QUERY = `# Both APIs' state at a glance. Subscriptions (orderUpdates, sessionEvents) run over graphql-ws.
query Session {
  session {
    mode
    ready
    clientPortal { state loginUrl message }
    tws { state lastError }
  }
}
`;

/** `/graphql#query=…` opens with that operation (a link can share one; the fragment never reaches the server). */
function queryFromHash(): string | undefined {
  const q = new URLSearchParams(location.hash.slice(1)).get("query");
  return q ?? undefined;
}

function App() {
  const [token, setToken] = useState(loadToken() ?? "");
  const { http, ws } = endpoint();
  const fetcher = useMemo(() => {
    const authorization = token ? `Bearer ${token}` : undefined;
    return createGraphiQLFetcher({
      url: http,
      headers: authorization ? { authorization } : {},
      wsClient: createClient({
        url: ws,
        connectionParams: authorization ? { authorization } : {},
        lazy: true,
        retryAttempts: 3,
      }),
    });
  }, [http, ws, token]);

  return (
    <div className="page">
      <form className="auth" onSubmit={(e) => e.preventDefault()}>
        <label htmlFor="token">Authorization: Bearer</label>
        <input
          id="token"
          type="password"
          autoComplete="off"
          placeholder="API token (kept for this tab only)"
          value={token}
          onChange={(e) => {
            setToken(e.target.value);
            saveToken(e.target.value || undefined);
          }}
        />
        <a href="/">Dashboard</a>
      </form>
      <div className="ide">
        <GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY} initialQuery={queryFromHash()} />
      </div>
    </div>
  );
}

createRoot(document.getElementById("graphiql")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
