import { UNSET_INTEGER } from "./tws-codec";

/** A request that does not have the fields its message id promises; answered with error 320. */
export class TwsRequestParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TwsRequestParseError";
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

const UNSET_DOUBLES = new Set([
  "1.7976931348623157E308",
  "1.7976931348623157e+308",
  "1.7976931348623157e308",
]);

/**
 * Sequential reader over the fields of one request. Conditional blocks depend on fields already read, so a
 * request can only be parsed front to back; `assertConsumed` catches both client quirks and our own bugs.
 */
export class FieldCursor {
  private index: number;

  constructor(
    private readonly fields: readonly string[],
    start = 1,
  ) {
    this.index = start;
  }

  get position(): number {
    return this.index;
  }

  remaining(): number {
    return this.fields.length - this.index;
  }

  str(name = "field"): string {
    const value = this.fields[this.index];
    if (value === undefined) {
      throw new TwsRequestParseError(
        `message ends before ${name} (field ${this.index + 1} of ${this.fields.length})`,
      );
    }
    this.index += 1;
    return value;
  }

  /** A double; `undefined` when empty or an unset marker. `Infinity` is legal (PEG BEST "up to mid"). */
  num(name = "number"): number | undefined {
    const text = this.str(name).trim();
    if (text === "" || UNSET_DOUBLES.has(text)) return undefined;
    const value = Number(text.replaceAll(",", ""));
    if (Number.isNaN(value))
      throw new TwsRequestParseError(`${name}: ${JSON.stringify(text)} is not a number`);
    return value === Number.MAX_VALUE ? undefined : value;
  }

  /** An integer; `undefined` when empty or 2147483647. */
  int(name = "integer"): number | undefined {
    const text = this.str(name).trim();
    if (text === "" || text === UNSET_INTEGER) return undefined;
    const value = Number.parseInt(text, 10);
    if (Number.isNaN(value))
      throw new TwsRequestParseError(`${name}: ${JSON.stringify(text)} is not an integer`);
    return value;
  }

  intOr(fallback: number, name?: string): number {
    return this.int(name) ?? fallback;
  }

  /** Booleans travel as 1/0; an empty field is false. */
  bool(name = "boolean"): boolean {
    return this.optBool(name) ?? false;
  }

  /** Like `bool`, but keeps "empty" apart from "0" (transmit, usePriceMgmtAlgo). */
  optBool(name = "boolean"): boolean | undefined {
    const text = this.str(name).trim().toLowerCase();
    if (text === "") return undefined;
    if (text === "true") return true;
    if (text === "false") return false;
    const value = Number.parseInt(text, 10);
    if (Number.isNaN(value))
      throw new TwsRequestParseError(`${name}: ${JSON.stringify(text)} is not a boolean`);
    return value !== 0;
  }

  assertConsumed(what: string): void {
    if (this.index !== this.fields.length) {
      throw new TwsRequestParseError(
        `${what}: ${this.fields.length - this.index} unexpected trailing field(s) after field ${this.index}`,
      );
    }
  }
}
