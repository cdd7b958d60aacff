import { readFileSync } from "node:fs";
import { createServer, type AddressInfo, type Server } from "node:net";

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

/** A closed TCP address a test holds: see `ownedClosedAddress`. */
export interface OwnedClosedAddress {
  host: string;
  port: number;
  /** Gives the port back (the test's own listener on `host:port`, if any, is the test's to close). */
  release(): Promise<void>;
}

const listen = (port: number, host: string) =>
  new Promise<Server>((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(port, host, () => resolve(srv));
  });

/**
 * A TCP address where nothing listens (connections are refused) that no one else can be given until the test
 * releases it, not even for a moment: a listener this helper owns holds the port on 127.0.0.1, and the address
 * handed out is the same port on 127.0.0.2 (Linux routes all of 127/8 to loopback). A test may later listen
 * on that address itself ("the gateway comes up") without the port ever having been free. Where 127.0.0.2
 * cannot be bound (macOS without an alias), it falls back to `reservedClosedPort`.
 */
export async function ownedClosedAddress(): Promise<OwnedClosedAddress> {
  const guard = await listen(0, "127.0.0.1");
  const { port } = guard.address() as AddressInfo;
  const release = () => new Promise<void>((resolve) => guard.close(() => resolve()));
  try {
    // Bindable here? Then nothing else listens on it (the port is ours on 127.0.0.1, and only this helper
    // uses 127.0.0.2).
    const probe = await listen(port, "127.0.0.2");
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    return { host: "127.0.0.2", port, release };
  } catch {
    await release();
    return { host: "127.0.0.1", port: await reservedClosedPort(), release: async () => undefined };
  }
}
