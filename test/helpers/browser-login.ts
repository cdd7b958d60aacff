import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "./wait";

/** The Chromium the automatic login drives (Debian's package). */
export const CHROMIUM = process.env.IB_CP_BROWSER ?? "/usr/bin/chromium";
export const HAS_CHROMIUM = existsSync(CHROMIUM);

/** A base32 TOTP secret for tests (the RFC 6238 example key). */
export const TOTP_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/** Processes whose command line mentions `marker` (the browser's profile folder). */
export function processesMentioning(marker: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, "utf8").includes(marker)) pids.push(Number(name));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** A folder for the throw-away browser profiles of one test file, so their processes can be found. */
export async function profileRoot(): Promise<{ dir: string; dispose(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "cp-login-test-"));
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** No browser process of `root` is left, and its profile folders are gone. */
export async function assertBrowserGone(root: string): Promise<void> {
  await eventually("the browser processes to end", () => processesMentioning(root).length === 0, 5_000, 50);
  await eventually("the browser profile to be deleted", () => readdirSync(root).length === 0, 5_000, 50);
}
