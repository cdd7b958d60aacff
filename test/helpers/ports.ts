import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** The first port the kernel hands out for port-0 binds (Linux: ip_local_port_range; 32768 elsewhere). */
function ephemeralLow(): number {
  try {
    const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/);
    const n = Number(low);
    return Number.isInteger(n) && n > 1024 ? n : 32_768;
  } catch {
    return 32_768;
  }
}

/**
 * A TCP port on 127.0.0.1 where nothing listens, that stays free while the test uses it: it lies below the
 * kernel's ephemeral range, so no other test (they all listen on port 0) can be given it, and it was free
 * when checked (bound and released here). A test may later listen on it itself.
 */
export async function reservedClosedPort(host = "127.0.0.1"): Promise<number> {
  const high = ephemeralLow();
  const low = Math.max(10_000, high - 20_000);
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    const free = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once("error", () => resolve(false));
      srv.listen(port, host, () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error("no free port below the ephemeral range");
}
