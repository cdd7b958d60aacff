import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { StoreError } from "./errors";

interface Owner {
  pid: number;
  hostname: string;
  since: string;
}

export interface OwnerLock {
  release(): void;
}

/**
 * Makes one server the single owner of a DATA_DIR, with a lock file holding `{ pid, hostname }`.
 *
 * Node has no `flock`, and SQLite's own exclusive locking would also lock out read-only tools on the WAL
 * database, so: the file is created with O_EXCL; a file left by a process that died is recognised by
 * `process.kill(pid, 0)` failing with ESRCH on the same host, and taken over.
 *
 * Limits, by design of a pid file: a lock from another host (a shared volume) is never taken over, since its
 * liveness cannot be checked there; the pid of a dead owner reused by an unrelated process makes the lock
 * look held (the message names the file to delete); two servers taking over the same stale lock at the same
 * instant can race (start-up is not concurrent in practice); containers sharing a volume must not share a
 * hostname AND a pid namespace view (two `pid 1`s on one hostname would look alive to each other).
 */
export function acquireOwnerLock(path: string): OwnerLock {
  const me: Owner = { pid: process.pid, hostname: hostname(), since: new Date().toISOString() };
  const text = JSON.stringify(me);
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, "wx", 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const holder = readOwner(path);
      if (holder && isAlive(holder)) {
        throw new StoreError(
          "STORE_LOCKED",
          `DATA_DIR is in use by another server (pid ${holder.pid} on ${holder.hostname}, since ${holder.since}). ` +
            `Stop it, or use another DATA_DIR; if that process is certainly gone, delete ${path}.`,
          { path, owner: holder },
        );
      }
      // Dead owner (or an empty file torn by a crash right after creation): take over.
      try {
        unlinkSync(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      }
      continue;
    }
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
    return {
      release: () => {
        // Only our own file: never delete a lock another server took over after us.
        if (readOwnerText(path) === text) unlinkSync(path);
      },
    };
  }
  throw new StoreError(
    "STORE_LOCKED",
    `Could not take the DATA_DIR lock ${path}; another server is starting.`,
    {
      path,
    },
  );
}

function readOwnerText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function readOwner(path: string): Owner | undefined {
  const text = readOwnerText(path);
  if (text === undefined || text === "") return undefined;
  try {
    const o = JSON.parse(text) as Partial<Owner>;
    if (typeof o.pid === "number" && typeof o.hostname === "string") {
      return { pid: o.pid, hostname: o.hostname, since: String(o.since ?? "?") };
    }
  } catch {
    /* unreadable: treated as held below */
  }
  // A lock file we cannot read is treated as held: refusing to start is safe, two owners are not.
  return { pid: -1, hostname: "unknown", since: "?" };
}

function isAlive(owner: Owner): boolean {
  if (owner.hostname !== hostname() || owner.pid <= 0) return true;
  if (owner.pid === process.pid) return true; // a second open in this very process
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code !== "ESRCH";
  }
}
