import { createConnection, createServer, type Server, type Socket } from "node:net";

/** One message a TWS client sent, as it crossed the wire: its fields and when it arrived. */
export interface ClientFrame {
  at: number;
  fields: string[];
}

/**
 * A TCP proxy in front of a TWS (simulator) that records every message the client sends: the "API\0" prefix,
 * then 4-byte big-endian length-prefixed frames of NUL-terminated fields. What the adapter sends is observed
 * on the socket, not through the adapter's own counters.
 */
export class TwsFrameProxy {
  readonly frames: ClientFrame[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  readonly host = "127.0.0.1";

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<this> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve) => this.server!.listen(0, this.host, resolve));
    const address = this.server.address();
    if (!address || typeof address === "string") throw new Error("proxy has no port");
    this.port = address.port;
    return this;
  }

  /** Messages whose first field (the message id) is `id`. */
  byId(id: number): ClientFrame[] {
    return this.frames.filter((f) => f.fields[0] === String(id));
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(client: Socket): void {
    const upstream = createConnection(this.target);
    this.sockets.add(client).add(upstream);
    let buffer = Buffer.alloc(0);
    let prefixSeen = false;
    client.on("data", (chunk: Buffer) => {
      upstream.write(chunk);
      const at = Date.now();
      buffer = Buffer.concat([buffer, chunk]);
      if (!prefixSeen && buffer.length >= 4 && buffer.subarray(0, 4).toString("latin1") === "API\0") {
        prefixSeen = true;
        buffer = buffer.subarray(4);
      }
      while (prefixSeen && buffer.length >= 4) {
        const length = buffer.readUInt32BE(0);
        if (buffer.length < 4 + length) break;
        const payload = buffer.subarray(4, 4 + length).toString("utf8");
        buffer = buffer.subarray(4 + length);
        this.frames.push({ at, fields: payload.split("\0").slice(0, -1) });
      }
    });
    upstream.on("data", (chunk: Buffer) => client.write(chunk));
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on("close", close).on("error", close);
    upstream.on("close", close).on("error", close);
  }
}
