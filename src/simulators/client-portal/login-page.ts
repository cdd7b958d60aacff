/**
 * The gateway's browser login page, with the structure IB has served (and that login robots key on):
 * v1 (until 2023) names the username input `user_name` and shows errors in `.alert.alert-danger.margin-top-10`;
 * v2 names it `username` and shows errors in `.xyz-errormessage`. Both have `password`, the submit button
 * `.btn.btn-lg.xyz-button-login`, the paper/live switch `label[for=toggle1]` over a hidden checkbox, the second
 * factor step inside `#twofactbase`, and a success page that says "Client login succeeds".
 */

export type LoginPageVersion = "v1" | "v2";

export type LoginPageView =
  /** The credentials form, optionally with IB's error message. */
  | { step: "form"; error?: string; loggedIn: boolean }
  /** Credentials accepted; the security code of the user's authenticator app is asked for. */
  | { step: "second-factor"; pending: string; error?: string }
  /** Logged in, but IB first advertises IB Key; the skip link leads to the success page. */
  | { step: "ibkey-promo" }
  | { step: "success" };

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function errorBlock(version: LoginPageVersion, error: string | undefined): string {
  if (!error) return "";
  const text = escapeHtml(error);
  return version === "v1"
    ? `<div class="alert alert-danger margin-top-10" role="alert">${text}</div>`
    : `<div class="xyz-errormessage" role="alert">${text}</div>`;
}

function form(version: LoginPageVersion, view: { error?: string; loggedIn: boolean }): string {
  const userName = version === "v1" ? "user_name" : "username";
  return `${view.loggedIn ? '<p class="ok">Already logged in. Log in again to start a new session.</p>' : ""}
<form method="post" action="/sso/Login" class="login" id="xyz-form" autocomplete="off">
  <input type="hidden" name="loginType" value="1">
  <div class="form-group">
    <label>Username <input name="${userName}" class="form-control xyz-field-username" autocomplete="username"></label>
  </div>
  <div class="form-group">
    <label>Password <input name="password" type="password" class="form-control" autocomplete="current-password"></label>
  </div>
  <div class="form-group xyz-toggle">
    <input type="checkbox" id="toggle1" name="paper" value="true" class="toggle-input">
    <label for="toggle1" class="toggle-label">Paper trading</label>
    <span class="toggle-state">Live</span>
  </div>
  ${errorBlock(version, view.error)}
  <button type="submit" class="btn btn-lg xyz-button-login">Login</button>
</form>
<script>
  // Like IB's page: the checkbox itself is hidden, a click on its label flips it.
  const box = document.getElementById("toggle1");
  const state = document.querySelector(".toggle-state");
  box.addEventListener("change", () => { state.textContent = box.checked ? "Paper" : "Live"; });
</script>`;
}

function secondFactor(version: LoginPageVersion, view: { pending: string; error?: string }): string {
  return `<form method="post" action="/sso/Login" id="xyz-form">
  <input type="hidden" name="pending" value="${escapeHtml(view.pending)}">
  <div id="twofactbase">
    <div class="login-step-notification">Enter the security code from your authenticator app.</div>
    <label>Security code <input id="xyz-field-bronze-response" name="code" inputmode="numeric" autocomplete="one-time-code"></label>
    ${errorBlock(version, view.error)}
    <button type="submit" class="btn btn-lg xyz-button-login">Login</button>
  </div>
</form>`;
}

/** The page for one step of the login, in the chosen version. */
export function loginPageHtml(version: LoginPageVersion, view: LoginPageView): string {
  let body: string;
  switch (view.step) {
    case "form":
      body = form(version, view);
      break;
    case "second-factor":
      body = secondFactor(version, view);
      break;
    case "ibkey-promo":
      body = `<div class="ibkey-promo"><p>Protect your account with IB Key.</p>
  <a class="ibkey-promo-skip" href="/sso/Dispatcher">Skip for now</a></div>`;
      break;
    case "success":
      body = `<pre>Client login succeeds</pre>`;
      break;
  }
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Client Portal Gateway (simulated)</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 28rem; margin: 4rem auto; padding: 0 1rem; color: #222; }
  h1 { font-size: 1.3rem; }
  label { display: block; margin: 0.8rem 0; }
  input.form-control, #xyz-field-bronze-response { display: block; width: 100%; padding: 0.4rem; margin-top: 0.2rem; box-sizing: border-box; }
  .toggle-input { position: absolute; opacity: 0; width: 1px; height: 1px; }
  .toggle-label { display: inline; cursor: pointer; text-decoration: underline; }
  button { padding: 0.5rem 1.4rem; }
  .ok { color: #0a7d28; font-weight: 600; }
  .alert-danger, .xyz-errormessage { color: #b00020; margin: 0.6rem 0; }
  small { color: #666; }
</style>
</head>
<body>
<h1>Interactive Brokers Client Portal Gateway <small>(simulated, login page ${version})</small></h1>
${body}
<p><small>ibkr-graphql simulator: nothing here reaches Interactive Brokers.</small></p>
</body>
</html>
`;
}
