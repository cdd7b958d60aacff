/**
 * Field layouts of the TWS simulator, checked against @stoqey/ib 1.6.10's own encoder and decoder at server
 * version 193: every message the simulator sends must decode without an underrun or leftover (505), and every
 * placeOrder the client can send must parse with all fields consumed.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ConjunctionConnection,
  ExecutionCondition,
  MarginCondition,
  OrderAction,
  OrderType,
  PercentChangeCondition,
  PriceCondition,
  SecType,
  TimeCondition,
  TriggerMethod,
  VolumeCondition,
  type Contract,
  type Order,
} from "@stoqey/ib";
import { Decoder } from "@stoqey/ib/dist/core/io/decoder";
import { Encoder } from "@stoqey/ib/dist/core/io/encoder";
import { DEFAULT_INSTRUMENTS } from "../src/simulators/brokerage";
import {
  decodePayload,
  encodeFrame,
  fieldText,
  TwsFrameReader,
  type WireField,
} from "../src/simulators/tws/tws-codec";
import * as enc from "../src/simulators/tws/tws-encoders";
import { parsePlaceOrder } from "../src/simulators/tws/place-order-parser";
import {
  defaultContractFields,
  defaultOrderFields,
  type TwsOrderFields,
} from "../src/simulators/tws/tws-order-fields";
import { contractDetailsView, reportedContract } from "../src/simulators/tws/tws-views";

const SERVER_VERSION = 193;

interface Decoded {
  events: { name: string; args: unknown[] }[];
  errors: { message: string; code: number }[];
}

/** Runs frames through the client's decoder exactly as its socket layer would (tokens, then process). */
function decode(...messages: WireField[][]): Decoded {
  const out: Decoded = { events: [], errors: [] };
  const decoder = new Decoder({
    serverVersion: SERVER_VERSION,
    emitEvent: (name, ...args) => out.events.push({ name, args }),
    emitError: (message, code) => out.errors.push({ message, code }),
    emitInfo: (message, code) => out.events.push({ name: "info", args: [message, code] }),
  });
  for (const m of messages) {
    const frame = encodeFrame(m);
    decoder.enqueueMessage(decodePayload(frame.subarray(4)));
  }
  decoder.process();
  return out;
}

function decodeOne(message: WireField[], expectedEvent: string): unknown[] {
  const { events, errors } = decode(message);
  assert.deepEqual(errors, [], `decoder errors for ${expectedEvent}`);
  assert.equal(events.length, 1);
  assert.equal(events[0]?.name, expectedEvent);
  return events[0]?.args ?? [];
}

/** What the client puts on the wire for placeOrder, as the field list the simulator receives. */
function clientPlaceOrder(id: number, contract: Contract, order: Order): string[] {
  const sent: unknown[][] = [];
  const errors: string[] = [];
  const encoder = new Encoder({
    serverVersion: SERVER_VERSION,
    sendMsg: (...tokens: unknown[]) => sent.push(tokens),
    emitError: (msg) => errors.push(msg),
  });
  encoder.placeOrder(id, contract, order);
  assert.deepEqual(errors, []);
  assert.equal(sent.length, 1);
  const flat = (sent[0] as unknown[]).flat(Infinity) as unknown[];
  // Same conversion as the client's socket: booleans to 1/0, then joined with NULs (undefined → empty).
  const payload = flat.map((v) =>
    v === true ? "1" : v === false ? "0" : v === undefined || v === null ? "" : String(v),
  );
  return decodePayload(Buffer.from(payload.join("\0") + "\0", "utf8"));
}

const AAPL = DEFAULT_INSTRUMENTS.find((i) => i.symbol === "AAPL")!;
const ES = DEFAULT_INSTRUMENTS.find((i) => i.secType === "FUT")!;

function orderView(
  overrides: Partial<TwsOrderFields> = {},
  extra: Partial<enc.TwsOrderView> = {},
): enc.TwsOrderView {
  return {
    orderId: 1001,
    clientId: 7,
    permId: 1928374001,
    contract: { ...reportedContract(AAPL, "SMART") },
    order: defaultOrderFields({
      action: "BUY",
      totalQuantity: 10,
      orderType: "LMT",
      lmtPrice: 150.5,
      account: "DU1234567",
      orderRef: "r1",
      ...overrides,
    }),
    status: "Submitted",
    filled: 0,
    remaining: 10,
    avgFillPrice: 0,
    lastFillPrice: 0,
    ...extra,
  };
}

describe("TWS framing", () => {
  it("counts UTF-8 bytes, ends every payload with NUL, and encodes booleans and unset values", () => {
    const frame = encodeFrame([4, 2, -1, 2104, "Käse €", true, false, undefined, null, Number.MAX_VALUE]);
    const payload = frame.subarray(4);
    assert.equal(frame.readUInt32BE(0), payload.length);
    assert.equal(payload[payload.length - 1], 0);
    assert.deepEqual(decodePayload(payload), [
      "4",
      "2",
      "-1",
      "2104",
      "Käse €",
      "1",
      "0",
      "",
      "",
      "1.7976931348623157E308",
    ]);
    assert.equal(fieldText(1e-7), "1e-7");
  });

  it("reads the handshake and frames from arbitrary TCP slices", () => {
    const handshake = Buffer.concat([
      Buffer.from("API\0"),
      Buffer.from([0, 0, 0, 9]),
      Buffer.from("v100..193"),
    ]);
    const start = encodeFrame([71, 2, 7, ""]);
    const multi = encodeFrame([49, 1]);
    const utf8 = encodeFrame([9, 8, 3, "", "ÄÖÜ✓", "STK"]);
    const stream = Buffer.concat([handshake, start, multi, utf8]);
    for (const size of [1, 2, 3, 5, 7, 13, stream.length]) {
      const reader = new TwsFrameReader();
      const events = [];
      for (let i = 0; i < stream.length; i += size) events.push(...reader.push(stream.subarray(i, i + size)));
      assert.deepEqual(
        events,
        [
          { kind: "handshake", handshake: { minVersion: 100, maxVersion: 193, options: "" } },
          { kind: "message", fields: ["71", "2", "7", ""] },
          { kind: "message", fields: ["49", "1"] },
          { kind: "message", fields: ["9", "8", "3", "", "ÄÖÜ✓", "STK"] },
        ],
        `chunk size ${size}`,
      );
    }
  });

  it("accepts connect options after the version range and rejects a legacy client", () => {
    const text = "v100..187 +PACEAPI";
    const reader = new TwsFrameReader();
    const len = Buffer.alloc(4);
    len.writeUInt32BE(text.length);
    assert.deepEqual(reader.push(Buffer.concat([Buffer.from("API\0"), len, Buffer.from(text)])), [
      { kind: "handshake", handshake: { minVersion: 100, maxVersion: 187, options: "+PACEAPI" } },
    ]);
    const legacy = new TwsFrameReader();
    assert.equal(legacy.push(Buffer.from("62\0" + "7\0"))[0]?.kind, "error");
  });

  it("rejects a frame above 16 MiB without buffering it", () => {
    const reader = new TwsFrameReader();
    const hs = Buffer.concat([Buffer.from("API\0"), Buffer.from([0, 0, 0, 4]), Buffer.from("v193")]);
    const events = reader.push(Buffer.concat([hs, Buffer.from([0x01, 0x00, 0x00, 0x00])]));
    assert.equal(events[1]?.kind, "error");
  });
});

describe("TWS server → client layouts decode cleanly in @stoqey/ib 1.6.10", () => {
  it("openOrder: 133 fields for a plain order, values round-trip", () => {
    const msg = enc.openOrder(orderView());
    assert.equal(msg.length, 133);
    const [orderId, contract, order, state] = decodeOne(msg, "openOrder") as [
      number,
      Contract,
      Order,
      { status: string; commission?: number },
    ];
    assert.equal(orderId, 1001);
    assert.equal(contract.conId, 265598);
    assert.equal(contract.symbol, "AAPL");
    assert.equal(contract.right, undefined);
    assert.equal(order.permId, 1928374001);
    assert.equal(order.clientId, 7);
    assert.equal(order.lmtPrice, 150.5);
    assert.equal(order.totalQuantity, 10);
    assert.equal(order.orderRef, "r1");
    assert.equal(order.account, "DU1234567");
    assert.equal(order.tif, "DAY");
    assert.equal(state.status, "Submitted");
    assert.equal(state.commission, undefined);
  });

  it("openOrder with every conditional block still decodes without leftovers", () => {
    const variants: [string, Partial<TwsOrderFields>, Partial<enc.TwsOrderView>][] = [
      ["algo", { algoStrategy: "Adaptive", algoParams: [{ tag: "adaptivePriority", value: "Normal" }] }, {}],
      ["algo without params", { algoStrategy: "Vwap", algoParams: [] }, {}],
      [
        "conditions",
        {
          conditions: [
            {
              type: 1,
              conjunction: "a",
              isMore: true,
              value: "150.5",
              conId: 265598,
              exchange: "SMART",
              triggerMethod: 2,
            },
            { type: 3, conjunction: "o", isMore: false, value: "20260102 10:00:00 US/Eastern" },
            { type: 4, conjunction: "a", isMore: true, value: "30" },
            { type: 5, conjunction: "a", secType: "STK", exchange: "SMART", symbol: "MSFT" },
            { type: 6, conjunction: "a", isMore: true, value: "10000", conId: 265598, exchange: "SMART" },
            { type: 7, conjunction: "a", isMore: false, value: "2.5", conId: 265598, exchange: "SMART" },
          ],
          conditionsIgnoreRth: true,
          conditionsCancelOrder: false,
        },
        {},
      ],
      [
        "scale",
        { scaleInitLevelSize: 100, scaleSubsLevelSize: 50, scalePriceIncrement: 0.1, scaleAutoReset: true },
        {},
      ],
      ["hedge", { hedgeType: "D", hedgeParam: "0.5" }, {}],
      [
        "delta neutral",
        {
          deltaNeutralOrderType: "MKT",
          deltaNeutralConId: 8314,
          deltaNeutralOpenClose: "O",
          deltaNeutralShortSale: true,
        },
        {},
      ],
      [
        "peg bench",
        {
          orderType: "PEG BENCH",
          referenceContractId: 8314,
          peggedChangeAmount: 1,
          referenceChangeAmount: 2,
        },
        {},
      ],
      [
        "peg best",
        {
          orderType: "PEG BEST",
          minCompeteSize: 100,
          competeAgainstBestOffset: Infinity,
          midOffsetAtWhole: 0.01,
        },
        {},
      ],
      [
        "commission + what-if margins",
        {},
        {
          commission: 1.25,
          commissionCurrency: "USD",
          margin: {
            initMarginBefore: 1,
            maintMarginBefore: 2,
            equityWithLoanBefore: 3,
            initMarginChange: 4,
            maintMarginChange: 5,
            equityWithLoanChange: 6,
            initMarginAfter: 7,
            maintMarginAfter: 8,
            equityWithLoanAfter: 9,
          },
        },
      ],
    ];
    for (const [name, overrides, extra] of variants) {
      const view = orderView(overrides, extra);
      const { events, errors } = decode(
        enc.openOrder(view),
        enc.completedOrder({ ...view, status: "Filled" }),
      );
      assert.deepEqual(errors, [], name);
      assert.deepEqual(
        events.map((e) => e.name),
        ["openOrder", "completedOrder"],
        name,
      );
    }
    const combo = orderView(
      {},
      {
        contract: {
          ...defaultContractFields({ symbol: "SPY", secType: "BAG", exchange: "SMART", currency: "USD" }),
          comboLegs: [
            {
              conId: 1,
              ratio: 1,
              action: "BUY",
              exchange: "SMART",
              openClose: 0,
              shortSaleSlot: 0,
              designatedLocation: "",
              exemptCode: -1,
            },
            {
              conId: 2,
              ratio: 1,
              action: "SELL",
              exchange: "SMART",
              openClose: 0,
              shortSaleSlot: 0,
              designatedLocation: "",
              exemptCode: -1,
            },
          ],
          deltaNeutralContract: { conId: 3, delta: 0.5, price: 100 },
        },
      },
    );
    combo.order.orderComboLegPrices = [1.5, undefined];
    combo.order.smartComboRoutingParams = [{ tag: "NonGuaranteed", value: "1" }];
    const { events, errors } = decode(enc.openOrder(combo), enc.completedOrder(combo));
    assert.deepEqual(errors, []);
    const [, contract] = events[0]?.args as [number, Contract];
    assert.equal(contract.comboLegs?.length, 2);
    assert.equal(contract.deltaNeutralContract?.delta, 0.5);
  });

  it("completedOrder, orderStatus, execDetails, commissionReport", () => {
    const view = orderView(
      {},
      {
        status: "Filled",
        filled: 10,
        remaining: 0,
        avgFillPrice: 150.25,
        lastFillPrice: 150.25,
        completedTime: "20260102 10:00:00 US/Eastern",
        completedStatus: "Filled",
      },
    );
    const [contract, order, state] = decodeOne(enc.completedOrder(view), "completedOrder") as [
      Contract,
      Order,
      { status: string; completedStatus: string },
    ];
    assert.equal(contract.symbol, "AAPL");
    assert.equal(order.permId, 1928374001);
    assert.equal(state.status, "Filled");
    assert.equal(state.completedStatus, "Filled");

    const status = decodeOne(enc.orderStatus(view), "orderStatus");
    assert.deepEqual(status, [1001, "Filled", 10, 0, 150.25, 1928374001, 0, 150.25, 7, "", 0]);

    const exec = decodeOne(
      enc.execDetails({
        reqId: -1,
        orderId: 1001,
        clientId: 7,
        permId: 1928374001,
        contract: reportedContract(AAPL),
        execId: "0000e0d5.6571a1b3.01.01",
        time: "20260102 10:00:00 US/Eastern",
        account: "DU1234567",
        exchange: "NASDAQ",
        side: "BOT",
        shares: 10,
        price: 150.25,
        cumQty: 10,
        avgPrice: 150.25,
        orderRef: "r1",
        lastLiquidity: 2,
      }),
      "execDetails",
    ) as [number, Contract, { execId: string; permId: number; shares: number; orderRef: string }];
    assert.equal(exec[0], -1);
    assert.equal(exec[2].execId, "0000e0d5.6571a1b3.01.01");
    assert.equal(exec[2].permId, 1928374001);
    assert.equal(exec[2].orderRef, "r1");

    const [report] = decodeOne(
      enc.commissionReport({ execId: "x", commission: 1.05, currency: "USD" }),
      "commissionReport",
    ) as [{ commission: number; realizedPNL?: number }];
    assert.equal(report.commission, 1.05);
    assert.equal(report.realizedPNL, undefined);
  });

  it("contract details, positions, portfolio, account messages, errors", () => {
    const [reqId, details] = decodeOne(
      enc.contractDetails(12, contractDetailsView(AAPL, "SMART", "20260102")),
      "contractDetails",
    ) as [number, { contract: Contract; longName: string; secIdList?: { value: string }[] }];
    assert.equal(reqId, 12);
    assert.equal(details.contract.conId, 265598);
    assert.equal(details.longName, "APPLE INC");
    assert.equal(details.secIdList?.[0]?.value, "US0378331005");
    assert.equal(enc.contractDetails(12, contractDetailsView(AAPL, "SMART", "20260102")).length, 44);
    decodeOne(enc.contractDetails(13, contractDetailsView(ES, "", "20260102")), "contractDetails");

    const pos = { account: "DU1234567", contract: reportedContract(AAPL), position: -5, avgCost: 150.25 };
    assert.deepEqual(decodeOne(enc.position(pos), "position").slice(2), [-5, 150.25]);
    const portfolio = decodeOne(
      enc.portfolioValue({
        ...pos,
        marketPrice: 151,
        marketValue: -755,
        unrealizedPnl: -3.75,
        realizedPnl: 0,
      }),
      "updatePortfolio",
    );
    assert.deepEqual(portfolio.slice(1), [-5, 151, -755, 150.25, -3.75, 0, "DU1234567"]);

    const { events, errors } = decode(
      enc.managedAccounts(["DU1", "DU2"]),
      enc.nextValidId(1000),
      enc.currentTime(1735828200),
      enc.positionEnd(),
      enc.accountSummary(4, "DU1", "NetLiquidation", "100.00", "USD"),
      enc.accountSummaryEnd(4),
      enc.accountValue("AccountCode", "DU1", "", "DU1"),
      enc.accountUpdateTime("14:34"),
      enc.accountDownloadEnd("DU1"),
      enc.openOrderEnd(),
      enc.execDetailsEnd(5),
      enc.contractDetailsEnd(6),
      enc.completedOrdersEnd(),
      enc.errorMessage(1001, 201, "Order rejected - reason:Prix non conforme – €"),
      enc.errorMessage(-1, 2104, "Market data farm connection is OK:usfarm"),
    );
    assert.deepEqual(
      errors.filter((e) => e.code !== 201),
      [],
    );
    assert.deepEqual(
      errors.find((e) => e.code === 201)?.message,
      "Order rejected - reason:Prix non conforme – €",
    );
    assert.deepEqual(
      events.map((e) => e.name),
      [
        "managedAccounts",
        "nextValidId",
        "currentTime",
        "positionEnd",
        "accountSummary",
        "accountSummaryEnd",
        "updateAccountValue",
        "updateAccountTime",
        "accountDownloadEnd",
        "openOrderEnd",
        "execDetailsEnd",
        "contractDetailsEnd",
        "completedOrdersEnd",
        "info",
      ],
    );
  });
});

describe("placeOrder parser against the client's encoder", () => {
  const stock: Contract = { symbol: "AAPL", secType: SecType.STK, exchange: "SMART", currency: "USD" };

  it("plain market order: 118 fields, business fields read", () => {
    const fields = clientPlaceOrder(1001, stock, {
      action: OrderAction.BUY,
      orderType: OrderType.MKT,
      totalQuantity: 10,
      transmit: true,
      orderRef: "r1",
    });
    assert.equal(fields.length, 118);
    const { orderId, contract, order } = parsePlaceOrder(fields);
    assert.equal(orderId, 1001);
    assert.equal(contract.symbol, "AAPL");
    assert.equal(order.totalQuantity, 10);
    assert.equal(order.orderRef, "r1");
    assert.equal(order.transmit, true);
    assert.equal(order.tif, "");
  });

  it("transmit left unset arrives empty, and is told apart from 0", () => {
    const unset = parsePlaceOrder(
      clientPlaceOrder(1, stock, { action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 1 }),
    );
    assert.equal(unset.order.transmit, undefined);
    const off = parsePlaceOrder(
      clientPlaceOrder(1, stock, {
        action: OrderAction.BUY,
        orderType: OrderType.MKT,
        totalQuantity: 1,
        transmit: false,
      }),
    );
    assert.equal(off.order.transmit, false);
  });

  it("every conditional block is consumed", () => {
    const cases: [string, Contract, Order][] = [
      [
        "limit gtc fractional",
        stock,
        {
          action: OrderAction.SELL,
          orderType: OrderType.LMT,
          totalQuantity: 1.5,
          lmtPrice: 200.5,
          tif: "GTC",
          account: "DU1234567",
          transmit: true,
        },
      ],
      [
        "stop limit",
        stock,
        {
          action: OrderAction.SELL,
          orderType: OrderType.STP_LMT,
          totalQuantity: 3,
          lmtPrice: 99,
          auxPrice: 100,
          transmit: true,
        },
      ],
      [
        "algo",
        stock,
        {
          action: OrderAction.BUY,
          orderType: OrderType.LMT,
          totalQuantity: 1,
          lmtPrice: 1,
          algoStrategy: "Adaptive",
          algoParams: [{ tag: "adaptivePriority", value: "Urgent" }],
        },
      ],
      [
        "delta neutral",
        stock,
        {
          action: OrderAction.BUY,
          orderType: OrderType.VOL,
          totalQuantity: 1,
          volatility: 0.2,
          volatilityType: 1,
          deltaNeutralOrderType: "MKT",
          deltaNeutralConId: 5,
        },
      ],
      [
        "scale",
        stock,
        {
          action: OrderAction.BUY,
          orderType: OrderType.LMT,
          totalQuantity: 100,
          lmtPrice: 1,
          scaleInitLevelSize: 10,
          scaleSubsLevelSize: 10,
          scalePriceIncrement: 0.05,
          scaleAutoReset: true,
        },
      ],
      [
        "scale increment 0",
        stock,
        {
          action: OrderAction.BUY,
          orderType: OrderType.LMT,
          totalQuantity: 100,
          lmtPrice: 1,
          scalePriceIncrement: 0,
        },
      ],
      [
        "hedge",
        stock,
        {
          action: OrderAction.BUY,
          orderType: OrderType.LMT,
          totalQuantity: 1,
          lmtPrice: 1,
          hedgeType: "F",
          hedgeParam: "1",
        },
      ],
      [
        "delta neutral contract",
        { ...stock, deltaNeutralContract: { conId: 1, delta: 0.5, price: 10 } },
        { action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 1 },
      ],
      [
        "peg bench",
        stock,
        {
          action: OrderAction.BUY,
          orderType: OrderType.PEG_BENCH,
          totalQuantity: 1,
          referenceContractId: 1,
          peggedChangeAmount: 1,
          referenceChangeAmount: 1,
          referenceExchangeId: "SMART",
        },
      ],
      [
        "peg best up to mid",
        { ...stock, exchange: "IBKRATS" },
        {
          action: OrderAction.BUY,
          orderType: OrderType.PEG_BEST,
          totalQuantity: 1,
          minTradeQty: 1,
          minCompeteSize: 1,
          competeAgainstBestOffset: Infinity,
          midOffsetAtWhole: 0.01,
          midOffsetAtHalf: 0.005,
        },
      ],
      [
        "peg best offset",
        stock,
        {
          action: OrderAction.BUY,
          orderType: OrderType.PEG_BEST,
          totalQuantity: 1,
          minCompeteSize: 1,
          competeAgainstBestOffset: 0.02,
        },
      ],
      [
        "peg mid",
        stock,
        {
          action: OrderAction.BUY,
          orderType: OrderType.PEG_MID,
          totalQuantity: 1,
          midOffsetAtWhole: 0.01,
          midOffsetAtHalf: 0.005,
        },
      ],
      [
        "bag",
        {
          symbol: "SPY",
          secType: SecType.BAG,
          exchange: "SMART",
          currency: "USD",
          comboLegs: [
            { conId: 1, ratio: 1, action: OrderAction.BUY, exchange: "SMART" },
            { conId: 2, ratio: 2, action: OrderAction.SELL, exchange: "SMART" },
          ],
        },
        {
          action: OrderAction.BUY,
          orderType: OrderType.LMT,
          totalQuantity: 1,
          lmtPrice: 1,
          orderComboLegs: [{ price: 1 }, { price: 2 }],
          smartComboRoutingParams: [{ tag: "NonGuaranteed", value: "1" }],
        },
      ],
      [
        "conditions",
        stock,
        {
          action: OrderAction.BUY,
          orderType: OrderType.MKT,
          totalQuantity: 1,
          conditionsIgnoreRth: true,
          conditionsCancelOrder: false,
          conditions: [
            new PriceCondition(150, TriggerMethod.Last, 265598, "SMART", true, ConjunctionConnection.AND),
            new TimeCondition("20260102 10:00:00 US/Eastern", true, ConjunctionConnection.OR),
            new MarginCondition(30, false, ConjunctionConnection.AND),
            new ExecutionCondition("SMART", SecType.STK, "MSFT", ConjunctionConnection.AND),
            new VolumeCondition(1000, 265598, "SMART", true, ConjunctionConnection.AND),
            new PercentChangeCondition(2.5, 265598, "SMART", true, ConjunctionConnection.AND),
          ],
        },
      ],
      [
        "misc",
        stock,
        {
          action: OrderAction.BUY,
          orderType: OrderType.MKT,
          totalQuantity: 1,
          whatIf: true,
          cashQty: 1000,
          usePriceMgmtAlgo: true,
          duration: 10,
          postToAts: 1,
          manualOrderIndicator: 1,
          customerAccount: "C1",
          professionalCustomer: true,
          includeOvernight: true,
          outsideRth: true,
          goodTillDate: "20261231 23:59:59",
        },
      ],
    ];
    for (const [name, contract, order] of cases) {
      const parsed = parsePlaceOrder(clientPlaceOrder(77, contract, order));
      assert.equal(parsed.orderId, 77, name);
      assert.equal(parsed.order.action, order.action, name);
    }
    const cond = parsePlaceOrder(
      clientPlaceOrder(77, ...(cases.find((c) => c[0] === "conditions")!.slice(1) as [Contract, Order])),
    );
    assert.deepEqual(
      cond.order.conditions.map((c) => c.type),
      [1, 3, 4, 5, 6, 7],
    );
    const bag = parsePlaceOrder(
      clientPlaceOrder(77, ...(cases.find((c) => c[0] === "bag")!.slice(1) as [Contract, Order])),
    );
    assert.equal(bag.contract.comboLegs.length, 2);
    assert.deepEqual(bag.order.orderComboLegPrices, [1, 2]);
  });

  it("rejects a message with trailing or missing fields", () => {
    const fields = clientPlaceOrder(5, stock, {
      action: OrderAction.BUY,
      orderType: OrderType.MKT,
      totalQuantity: 1,
      transmit: true,
    });
    assert.throws(() => parsePlaceOrder([...fields, "extra"]), /trailing/);
    assert.throws(() => parsePlaceOrder(fields.slice(0, -1)), /ends before/);
  });

  it("echoes a parsed order through openOrder so that the client reads back what it sent", () => {
    const parsed = parsePlaceOrder(
      clientPlaceOrder(1001, stock, {
        action: OrderAction.BUY,
        orderType: OrderType.LMT,
        totalQuantity: 5,
        lmtPrice: 101.25,
        algoStrategy: "Adaptive",
        algoParams: [{ tag: "adaptivePriority", value: "Normal" }],
        transmit: true,
      }),
    );
    const view = { ...orderView(), contract: { ...parsed.contract, conId: 265598 }, order: parsed.order };
    const [, , order] = decodeOne(enc.openOrder(view), "openOrder") as [number, Contract, Order];
    assert.equal(order.algoStrategy, "Adaptive");
    assert.equal(order.algoParams?.[0]?.value, "Normal");
    assert.equal(order.lmtPrice, 101.25);
  });
});
