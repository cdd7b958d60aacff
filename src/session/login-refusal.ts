/**
 * Remembers, across restarts, that IB refused the configured credentials. Without it a server that is
 * restarted in a loop (a container's restart policy, a crash) would submit the refused password once per
 * start and lock the IB user after a handful. The file holds a salted scrypt digest of the settings that
 * went into the login, never the credentials, so a changed password (or user, or URL) starts afresh.
 */
import { randomBytes, scryptSync, timingSafeEqual } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export interface RefusalKey {
  loginUrl: string;
  username: string;
  password: string;
  totpSecret?: string;
}

interface RefusalRecord {
  salt: string;
  digest: string;
  message: string;
  at: string;
}

function digest(key: RefusalKey, salt: Buffer): Buffer {
  const text = JSON.stringify([key.loginUrl, key.username, key.password, key.totpSecret ?? ""]);
  return scryptSync(text, salt, 32);
}

export class LoginRefusalStore {
  constructor(
    private readonly file: string,
    private readonly key: RefusalKey,
  ) {}

  /** IB's refusal of these very settings in an earlier run, or null. Unreadable files count as none. */
  read(): { message: string; at: string } | null {
    try {
      const r = JSON.parse(readFileSync(this.file, "utf8")) as RefusalRecord;
      const expected = digest(this.key, Buffer.from(r.salt, "base64"));
      const stored = Buffer.from(r.digest, "base64");
      if (stored.length !== expected.length || !timingSafeEqual(stored, expected)) return null;
      return { message: r.message, at: r.at };
    } catch {
      return null;
    }
  }

  /** Records a refusal (message) or forgets it (null). Failures to write are the caller's to log. */
  write(message: string | null, now = new Date()): void {
    if (message === null) {
      rmSync(this.file, { force: true });
      return;
    }
    const salt = randomBytes(16);
    const record: RefusalRecord = {
      salt: salt.toString("base64"),
      digest: digest(this.key, salt).toString("base64"),
      message,
      at: now.toISOString(),
    };
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(this.file, JSON.stringify(record), { mode: 0o600 });
  }
}
