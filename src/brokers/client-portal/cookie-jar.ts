/**
 * The gateway's cookies, one value per name. Paths and domains are ignored on purpose: the gateway sets the
 * same cookie with different paths (`/v1/api`, `/sso`) and rejects a Cookie header that repeats a name as a
 * session mismatch, so the last value seen for a name wins and is sent everywhere.
 */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  constructor(initial?: Record<string, string>) {
    for (const [name, value] of Object.entries(initial ?? {})) this.cookies.set(name, value);
  }

  /** Takes every `Set-Cookie` header of a response. */
  store(setCookie: string | string[] | undefined, now = Date.now()): void {
    if (setCookie === undefined) return;
    for (const line of Array.isArray(setCookie) ? setCookie : [setCookie]) this.storeOne(line, now);
  }

  /** The `Cookie` header value, or undefined when the jar is empty. */
  header(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([n, v]) => `${n}=${v}`).join("; ");
  }

  names(): string[] {
    return [...this.cookies.keys()];
  }

  clear(): void {
    this.cookies.clear();
  }

  private storeOne(line: string, now: number): void {
    const [pair, ...attributes] = line.split(";");
    const eq = pair?.indexOf("=") ?? -1;
    if (!pair || eq <= 0) return;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (!name) return;
    let expired = false;
    for (const attribute of attributes) {
      const [rawKey, ...rest] = attribute.split("=");
      const key = rawKey?.trim().toLowerCase();
      const attrValue = rest.join("=").trim();
      if (key === "max-age" && Number(attrValue) <= 0) expired = true;
      if (key === "expires") {
        const at = Date.parse(attrValue);
        if (Number.isFinite(at) && at <= now) expired = true;
      }
    }
    if (expired) this.cookies.delete(name);
    else this.cookies.set(name, value);
  }
}
