/** One line of `ibkr-graphql doctor`: what was checked, what was found, and what to do about a failure. */
export interface Check {
  api: "CONFIG" | "CLIENT_PORTAL" | "TWS";
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

export function formatChecks(checks: Check[]): string {
  const label = { CONFIG: "config", CLIENT_PORTAL: "Client Portal", TWS: "TWS" } as const;
  return checks
    .map((c) => {
      const head = `${c.ok ? "✅" : "❌"} ${label[c.api]}: ${c.name} — ${c.detail}`;
      return c.fix && !c.ok ? `${head}\n   fix: ${c.fix}` : head;
    })
    .join("\n");
}
