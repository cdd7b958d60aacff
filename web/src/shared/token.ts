/** The API token lives in this tab only: sessionStorage, never localStorage or a cookie. */
const KEY = "ibkr-graphql:token";

export function loadToken(): string | undefined {
  try {
    return sessionStorage.getItem(KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function saveToken(token: string | undefined): void {
  try {
    if (token) sessionStorage.setItem(KEY, token);
    else sessionStorage.removeItem(KEY);
  } catch {
    // Storage disabled: the token lasts as long as the page.
  }
}

/** The GraphQL endpoint of the server that served this page. */
export function endpoint(): { http: string; ws: string } {
  const http = new URL("/graphql", location.href);
  const ws = new URL(http);
  ws.protocol = http.protocol === "https:" ? "wss:" : "ws:";
  return { http: http.href, ws: ws.href };
}
