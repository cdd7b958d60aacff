/**
 * A byte-level TWS API client for tests: it writes exactly the bytes it is told to (so handshakes and frames can
 * be split, merged or malformed at will) and collects the server's frames for deadline-bounded waits.
 */
import { connect, type Socket } from "node:net";

export type Fields = (string | number)[];

/** One length-prefixed frame of NUL-terminated UTF-8 fields, as a V100+ client sends it. */
export function frame(fields: Fields): Buffer {
  const payload = Buffer.from(fields.map((f) => `${f}\0`).join(""), "utf8");
  const head = Buffer.alloc(4);
  head.writeUInt32BE(payload.length);
  return Buffer.concat([head, payload]);
}

/** `API\0` + length + version text: the opening bytes of every V100+ connection. */
export function handshakeBytes(versionText = "v100..193"): Buffer {
  const text = Buffer.from(versionText, "latin1");
  const head = Buffer.alloc(4);
  head.writeUInt32BE(text.length);
  return Buffer.concat([Buffer.from("API\0", "latin1"), head, text]);
}

export class TwsRawClient {
  /** Every frame received, in order, as field lists. */
  readonly received: string[][] = [];
  private buffer = Buffer.alloc(0);
  private closed = false;
  private readonly waiters = new Set<() => void>();
  private cursor = 0;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 4) {
        const size = this.buffer.readUInt32BE(0);
        if (this.buffer.length < 4 + size) break;
        const text = this.buffer.subarray(4, 4 + size).toString("utf8");
        this.buffer = this.buffer.subarray(4 + size);
        const fields = text.split("\0");
        if (fields[fields.length - 1] === "") fields.pop();
        this.received.push(fields);
      }
      this.wake();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => undefined);
  }

  static connect(port: number, host = "127.0.0.1"): Promise<TwsRawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host }, () => {
        socket.off("error", reject);
        resolve(new TwsRawClient(socket));
      });
      socket.once("error", reject);
    });
  }

  /**
   * Connects, handshakes and starts the API; resolves after nextValidId, with the server-version frame and the
   * startup frames available in `received`.
   */
  static async start(port: number, clientId: number): Promise<TwsRawClient> {
    const client = await TwsRawClient.connect(port);
    client.write(handshakeBytes());
    await client.next((f) => f.length === 2 && f[0] === "193");
    client.send([71, 2, clientId, ""]);
    await client.next((f) => f[0] === "9");
    return client;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  send(fields: Fields): void {
    this.socket.write(frame(fields));
  }

  /** Writes bytes in slices of `size`, each in its own TCP write (with Nagle off so they travel apart). */
  async writeSliced(bytes: Buffer, size: number): Promise<void> {
    this.socket.setNoDelay(true);
    for (let i = 0; i < bytes.length; i += size) {
      await new Promise<void>((resolve) => this.socket.write(bytes.subarray(i, i + size), () => resolve()));
    }
  }

  /**
   * The next not yet consumed frame matching `match` (frames before it are skipped). Rejects after `timeoutMs`
   * or when the connection closes first.
   */
  async next(match: (fields: string[]) => boolean = () => true, timeoutMs = 3000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.received.length) {
        const f = this.received[this.cursor++]!;
        if (match(f)) return f;
      }
      if (this.closed) throw new Error("connection closed while waiting for a frame");
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.received)}`);
      await this.waitForActivity(left);
    }
  }

  /**
   * Asserts that no frame arrives within `ms` (a hung gateway). The only bounded wait in these tests: silence
   * cannot be observed any other way.
   */
  async expectSilence(ms: number): Promise<void> {
    const before = this.received.length;
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      await this.waitForActivity(deadline - Date.now());
      if (this.received.length > before) {
        throw new Error(`expected silence, got ${JSON.stringify(this.received.slice(before))}`);
      }
    }
  }

  /** Frames matching `match` among all received so far (consumed or not). */
  all(match: (fields: string[]) => boolean): string[][] {
    return this.received.filter(match);
  }

  /** Resolves when the server closed the connection; rejects after `timeoutMs`. */
  async waitClosed(timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`connection still open after ${timeoutMs} ms`);
      await this.waitForActivity(left);
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private waitForActivity(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** Predicates for common frames. */
export const isError =
  (code: number, id?: number) =>
  (f: string[]): boolean =>
    f[0] === "4" && f[3] === String(code) && (id === undefined || f[2] === String(id));
export const isMsg =
  (msgId: number) =>
  (f: string[]): boolean =>
    f[0] === String(msgId);

export interface RawOrder {
  orderId: number;
  symbol: string;
  action: "BUY" | "SELL";
  quantity: number;
  orderType: string;
  secType?: string;
  exchange?: string;
  currency?: string;
  lmtPrice?: number;
  auxPrice?: number;
  tif?: string;
  account?: string;
  orderRef?: string;
  /** `""` leaves the field empty, as @stoqey/ib does when the app did not set it. @default 1 */
  transmit?: 0 | 1 | "";
  /** A bracket child's parent order id (field 29). */
  parentId?: number;
  whatIf?: boolean;
}

/**
 * A placeOrder (message 3) at server version 193 built from the field numbers of the protocol reference (118
 * fields for a plain order), independently of @stoqey/ib's encoder.
 */
export function placeOrderFields(o: RawOrder): Fields {
  const f: Fields = Array.from({ length: 118 }, () => "");
  const set = (fieldNo: number, value: string | number | undefined): void => {
    if (value !== undefined) f[fieldNo - 1] = value;
  };
  set(1, 3);
  set(2, o.orderId);
  set(4, o.symbol);
  set(5, o.secType ?? "STK");
  set(10, o.exchange ?? "SMART");
  set(12, o.currency ?? "USD");
  set(17, o.action);
  set(18, o.quantity);
  set(19, o.orderType);
  set(20, o.lmtPrice);
  set(21, o.auxPrice);
  set(22, o.tif);
  set(24, o.account);
  set(27, o.orderRef);
  set(28, o.transmit ?? 1);
  set(29, o.parentId);
  set(82, 0); // deltaNeutralContract present
  set(85, o.whatIf ? 1 : 0);
  set(90, 0); // conditionsCount
  return f;
}

/**
 * Connects with the version range `range` (e.g. `v157..178`), starts the API and resolves with the client, the
 * server version the simulator agreed on and the first order id.
 */
export async function startAtVersion(
  port: number,
  clientId: number,
  range: string,
): Promise<{ client: TwsRawClient; version: number; nextValidId: number }> {
  const client = await TwsRawClient.connect(port);
  client.write(handshakeBytes(range));
  const first = await client.next((f) => f.length === 2);
  const version = Number(first[0]);
  client.send([71, 2, clientId, ""]);
  const nextId = await client.next((f) => f[0] === "9");
  return { client, version, nextValidId: Number(nextId[2]) };
}

const UNSET_INT = 2147483647;

/**
 * placeOrder (3) as IB's clients send it at server version `v` (from the field lists of EClient.placeOrder and
 * ib_async's client): a plain order without combo legs, scale, hedge, algo, conditions or PEG attributes.
 */
export function placeOrderAt(o: RawOrder, v: number): Fields {
  const since = (version: number, fields: Fields): Fields => (v >= version ? fields : []);
  return [
    3,
    ...(v < 145 ? [45] : []), // version field until ORDER_CONTAINER
    o.orderId,
    ...["", o.symbol, o.secType ?? "STK", "", "", "", "", o.exchange ?? "SMART", ""],
    ...[o.currency ?? "USD", "", "", "", ""], // currency, localSymbol, tradingClass, secIdType, secId
    o.action,
    o.quantity,
    o.orderType,
    o.lmtPrice ?? "",
    o.auxPrice ?? "",
    o.tif ?? "",
    "", // ocaGroup
    o.account ?? "",
    "", // openClose
    0, // origin
    o.orderRef ?? "",
    o.transmit ?? 1,
    ...[0, 0, 0, "", 0, 0, 0], // parentId, blockOrder, sweepToFill, displaySize, triggerMethod, outsideRth, hidden
    "", // sharesAllocation
    ...["", "", ""], // discretionaryAmt, goodAfterTime, goodTillDate
    ...["", "", ""], // faGroup, faMethod, faPercentage
    ...(v < 177 ? [""] : []), // faProfile
    ...since(103, [""]), // modelCode
    ...[0, "", -1], // shortSaleSlot, designatedLocation, exemptCode
    ...[0, "", "", 0, "", "", 0, 0, ""], // ocaType … nbboPriceCap
    ...[0, "", "", "", "", ""], // auctionStrategy, startingPrice, stockRefPrice, delta, stockRangeLower/Upper
    0, // overridePercentageConstraints
    ...["", "", "", ""], // volatility, volatilityType, deltaNeutralOrderType, deltaNeutralAuxPrice
    ...[0, ""], // continuousUpdate, referencePriceType
    ...["", ""], // trailStopPrice, trailingPercent
    ...["", "", ""], // scaleInitLevelSize, scaleSubsLevelSize, scalePriceIncrement
    ...["", "", ""], // scaleTable, activeStartTime, activeStopTime
    "", // hedgeType
    ...[0, "", "", 0], // optOutSmartRouting, clearingAccount, clearingIntent, notHeld
    0, // deltaNeutralContract present
    "", // algoStrategy
    "", // algoId
    o.whatIf ? 1 : 0,
    "", // orderMiscOptions
    ...[0, 0, 0], // solicited, randomizeSize, randomizePrice
    ...since(102, [0, "", "", "", "", "", "", 0]), // conditions count, adjusted order params
    ...since(105, [""]), // extOperator
    ...since(106, ["", ""]), // softDollarTier
    ...since(111, [""]), // cashQty
    ...since(138, ["", ""]), // mifid2 decision maker / algo
    ...since(139, ["", ""]), // mifid2 execution trader / algo
    ...since(141, [0]), // dontUseAutoPriceForHedge
    ...since(145, [0]), // isOmsContainer
    ...since(148, [0]), // discretionaryUpToLimitPrice
    ...since(151, [""]), // usePriceMgmtAlgo
    ...since(158, [""]), // duration
    ...since(160, [""]), // postToAts
    ...since(162, [0]), // autoCancelParent
    ...since(166, [""]), // advancedErrorOverride
    ...since(169, [""]), // manualOrderTime
    ...since(183, [""]), // customerAccount
    ...since(184, [0]), // professionalCustomer
    ...(v >= 187 && v < 190 ? ["", UNSET_INT] : []), // transient RFQ fields
    ...since(189, [0]), // includeOvernight
    ...since(192, [UNSET_INT]), // manualOrderIndicator
  ];
}

/** cancelOrder (4) at server version `v`. */
export function cancelOrderAt(orderId: number, v: number): Fields {
  if (v >= 192) return [4, orderId, "", "", UNSET_INT];
  return [
    4,
    1,
    orderId,
    ...(v >= 169 ? [""] : []), // manualOrderCancelTime
    ...(v >= 187 && v < 190 ? ["", "", UNSET_INT] : []),
  ];
}

/** reqContractDetails (9) for a stock by symbol at server version `v`. */
export function contractDetailsRequestAt(reqId: number, symbol: string, v: number): Fields {
  return [
    9,
    8,
    reqId,
    "",
    symbol,
    "STK",
    "",
    "",
    "",
    "",
    "SMART",
    "",
    "USD",
    "",
    "",
    0,
    "",
    "",
    ...(v >= 176 ? [""] : []),
  ];
}
