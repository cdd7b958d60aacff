function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The browser login a person uses after a logout or an SSO expiry, like the real gateway's page. */
export function loginPageHtml(state: { loggedIn: boolean; error?: string; justLoggedIn?: boolean }): string {
  const body = state.justLoggedIn
    ? `<p class="ok">Client login succeeds</p>
       <p>The brokerage session is open. You can close this page; API clients will pick the session up.</p>`
    : `${state.loggedIn ? '<p class="ok">Client login succeeds</p><p>Already logged in. Log in again to start a new session.</p>' : "<p>Log in to start a session of the simulated Client Portal Gateway. Any non-empty username and password are accepted unless the simulator was started with credentials.</p>"}
       ${state.error ? `<p class="err">${escapeHtml(state.error)}</p>` : ""}
       <form method="post" action="/sso/Login">
         <label>Username <input name="username" autocomplete="username" required></label>
         <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
         <button type="submit">Login</button>
       </form>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Client Portal Gateway (simulated)</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 28rem; margin: 4rem auto; padding: 0 1rem; color: #222; }
  h1 { font-size: 1.3rem; }
  label { display: block; margin: 0.8rem 0; }
  input { display: block; width: 100%; padding: 0.4rem; margin-top: 0.2rem; box-sizing: border-box; }
  button { padding: 0.5rem 1.4rem; }
  .ok { color: #0a7d28; font-weight: 600; }
  .err { color: #b00020; }
  small { color: #666; }
</style>
</head>
<body>
<h1>Interactive Brokers Client Portal Gateway <small>(simulated)</small></h1>
${body}
<p><small>ibkr-graphql simulator: nothing here reaches Interactive Brokers.</small></p>
</body>
</html>
`;
}
