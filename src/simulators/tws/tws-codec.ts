/**
 * Wire format of the TWS API "V100+" protocol, server side.
 *
 * After the one-off handshake (`API\0`, 4-byte length, `v<min>..<max>`), every message in both directions is a
 * 4-byte big-endian byte count followed by NUL-terminated UTF-8 fields.
 */

/** A field as the encoder accepts it: numbers as JS text, booleans as 1/0, null/undefined as an empty field. */
export type WireField = string | number | boolean | null | undefined;

/** Java's spelling of Double.MAX_VALUE, what TWS sends for an unset double. */
export const UNSET_DOUBLE = "1.7976931348623157E308";
/** Java's Integer.MAX_VALUE, what TWS sends for an unset int. */
export const UNSET_INTEGER = "2147483647";

/** The client gives up on a frame larger than this (16 MiB); so do we. */
export const MAX_FRAME_BYTES = 0xffffff;

const HANDSHAKE_PREFIX = Buffer.from("API\0", "latin1");

export function fieldText(value: WireField): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "boolean") return value ? "1" : "0";
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "";
    if (value === Number.MAX_VALUE) return UNSET_DOUBLE;
    return String(value);
  }
  return value;
}

/** One length-prefixed frame; the length counts UTF-8 bytes and the payload ends with a NUL. */
export function encodeFrame(fields: readonly WireField[]): Buffer {
  const payload = Buffer.from(fields.map((f) => fieldText(f) + "\0").join(""), "utf8");
  const frame = Buffer.allocUnsafe(4 + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  payload.copy(frame, 4);
  return frame;
}

/** Splits a frame payload into its fields (the trailing NUL terminates the last field, it does not add one). */
export function decodePayload(payload: Buffer): string[] {
  const fields = payload.toString("utf8").split("\0");
  if (fields.length > 0 && fields[fields.length - 1] === "") fields.pop();
  return fields;
}

export interface HandshakeInfo {
  minVersion: number;
  maxVersion: number;
  /** Connect options after the version range, e.g. `+PACEAPI`; empty when none. */
  options: string;
}

export type InboundEvent =
  | { kind: "handshake"; handshake: HandshakeInfo }
  | { kind: "message"; fields: string[] }
  | { kind: "error"; reason: string };

/** Parses `v100..193`, `v100` and `v100..193 +PACEAPI`. */
export function parseVersionText(text: string): HandshakeInfo | null {
  const match = /^v(\d+)(?:\.\.(\d+))?(?:\s+(.*))?$/.exec(text.trim());
  if (!match || match[1] === undefined) return null;
  const minVersion = Number(match[1]);
  const maxVersion = match[2] === undefined ? minVersion : Number(match[2]);
  return { minVersion, maxVersion, options: match[3] ?? "" };
}

/**
 * Incremental reader for one connection. TCP delivers arbitrary slices: the handshake may arrive byte by byte
 * or glued to the first frame, several frames may share one chunk, and a frame may span many chunks.
 */
export class TwsFrameReader {
  private buffer: Buffer = Buffer.alloc(0);
  private handshakeDone = false;
  private failed = false;

  push(chunk: Buffer): InboundEvent[] {
    if (this.failed) return [];
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const events: InboundEvent[] = [];
    if (!this.handshakeDone) {
      const handshake = this.readHandshake();
      if (handshake === null) return events;
      events.push(handshake);
      if (handshake.kind === "error") return events;
    }
    while (this.buffer.length >= 4) {
      const size = this.buffer.readUInt32BE(0);
      if (size > MAX_FRAME_BYTES) {
        events.push(this.fail(`frame of ${size} bytes exceeds the ${MAX_FRAME_BYTES}-byte limit`));
        return events;
      }
      if (this.buffer.length < 4 + size) break;
      const payload = this.buffer.subarray(4, 4 + size);
      this.buffer = this.buffer.subarray(4 + size);
      events.push({ kind: "message", fields: decodePayload(payload) });
    }
    if (this.buffer.length === 0) this.buffer = Buffer.alloc(0);
    return events;
  }

  private readHandshake(): InboundEvent | null {
    const prefixBytes = Math.min(this.buffer.length, HANDSHAKE_PREFIX.length);
    if (!this.buffer.subarray(0, prefixBytes).equals(HANDSHAKE_PREFIX.subarray(0, prefixBytes))) {
      return this.fail("connection did not start with API\\0 (legacy pre-V100 clients are not supported)");
    }
    if (this.buffer.length < 8) return null;
    const length = this.buffer.readUInt32BE(4);
    if (length > 1024) return this.fail(`handshake version text of ${length} bytes`);
    if (this.buffer.length < 8 + length) return null;
    const text = this.buffer.subarray(8, 8 + length).toString("latin1");
    this.buffer = this.buffer.subarray(8 + length);
    this.handshakeDone = true;
    const handshake = parseVersionText(text);
    if (!handshake) return this.fail(`unparsable handshake version text ${JSON.stringify(text)}`);
    return { kind: "handshake", handshake };
  }

  private fail(reason: string): InboundEvent {
    this.failed = true;
    this.buffer = Buffer.alloc(0);
    return { kind: "error", reason };
  }
}

/** The client side of the handshake, as @stoqey/ib sends it (used by tests and tools). */
export function encodeHandshake(versionText = "v100..193"): Buffer {
  const text = Buffer.from(versionText, "latin1");
  const length = Buffer.allocUnsafe(4);
  length.writeUInt32BE(text.length, 0);
  return Buffer.concat([HANDSHAKE_PREFIX, length, text]);
}
