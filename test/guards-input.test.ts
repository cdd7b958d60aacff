import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Client } from "graphql-ws";
import { codesOf, startSimApp, wsOnce, type SimApp } from "./helpers/sim-app";

const ACCT = "DU1234567";
const AAPL = 265598;

const PLACE = `mutation Place($i: PlaceOrderInput!) { placeOrder(input: $i) { order { id } confirmation { replyId } } }`;
const MODIFY = `mutation Modify($id: ID!, $m: ModifyOrderInput!) { modifyOrder(id: $id, input: $m) { id } }`;
const CANCEL = `mutation Cancel($id: ID!) { cancelOrder(id: $id) { id } }`;

interface Case {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  code: "BAD_USER_INPUT" | "NOT_FOUND";
  /** The message names the field and says what to send instead. */
  message: RegExp;
  /** A known gap: the input reaches a gateway (or answers the wrong code); see the report. */
  todo?: string;
}

let seq = 0;
/** A valid LIMIT order with `over` applied (`undefined` removes a field), under a fresh clientOrderId. */
function place(over: Record<string, unknown> = {}): Record<string, unknown> {
  const input: Record<string, unknown> = {
    accountId: ACCT,
    contract: { conid: AAPL },
    side: "BUY",
    type: "LIMIT",
    quantity: 1,
    limitPrice: 100,
    clientOrderId: `bad-${++seq}`,
  };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) delete input[k];
    else input[k] = v;
  }
  return { i: input };
}

/** The same order written inline, for values JSON cannot carry (1e400) and for unknown fields. */
const inline = (fields: string) =>
  `mutation { placeOrder(input: { accountId: "${ACCT}", contract: { conid: ${AAPL} },
    clientOrderId: "bad-inline-${++seq}", ${fields} }) { order { id } } }`;

const placeCases: Case[] = [
  // quantities
  {
    name: "zero quantity",
    query: PLACE,
    variables: place({ quantity: 0 }),
    code: "BAD_USER_INPUT",
    message: /quantity must be a positive finite number/,
  },
  {
    name: "negative quantity",
    query: PLACE,
    variables: place({ quantity: -5 }),
    code: "BAD_USER_INPUT",
    message: /quantity must be a positive/,
  },
  {
    name: "huge quantity",
    query: PLACE,
    variables: place({ quantity: 1e10 }),
    code: "BAD_USER_INPUT",
    message: /quantity .* up to 1000000000/,
  },
  {
    name: "infinite quantity (1e400 literal)",
    query: inline("side: BUY, type: LIMIT, limitPrice: 100, quantity: 1e400"),
    code: "BAD_USER_INPUT",
    message: /quantity must be a positive finite number/,
  },
  {
    name: "NaN quantity (a string)",

    query: PLACE,
    variables: place({ quantity: "NaN" }),
    code: "BAD_USER_INPUT",
    message: /Float cannot represent/,
  },
  {
    name: "quantity as a numeric string",

    query: PLACE,
    variables: place({ quantity: "10" }),
    code: "BAD_USER_INPUT",
    message: /Float cannot represent/,
  },
  {
    name: "missing quantity",

    query: PLACE,
    variables: place({ quantity: undefined }),
    code: "BAD_USER_INPUT",
    message: /quantity.*required/,
  },
  // prices by order type
  {
    name: "LIMIT without limitPrice",
    query: PLACE,
    variables: place({ limitPrice: undefined }),
    code: "BAD_USER_INPUT",
    message: /limitPrice is required for LIMIT/,
  },
  {
    name: "LIMIT with zero limitPrice",
    query: PLACE,
    variables: place({ limitPrice: 0 }),
    code: "BAD_USER_INPUT",
    message: /limitPrice must be a positive finite price/,
  },
  {
    name: "LIMIT with negative limitPrice",
    query: PLACE,
    variables: place({ limitPrice: -1 }),
    code: "BAD_USER_INPUT",
    message: /limitPrice must be a positive/,
  },
  {
    name: "LIMIT with infinite limitPrice",
    query: inline("side: BUY, type: LIMIT, quantity: 1, limitPrice: 1e400"),
    code: "BAD_USER_INPUT",
    message: /limitPrice must be a positive finite/,
  },
  {
    name: "LIMIT with a stopPrice",
    query: PLACE,
    variables: place({ stopPrice: 99 }),
    code: "BAD_USER_INPUT",
    message: /stopPrice must be absent for LIMIT/,
  },
  {
    name: "MARKET with a limitPrice",
    query: PLACE,
    variables: place({ type: "MARKET" }),
    code: "BAD_USER_INPUT",
    message: /limitPrice must be absent for MARKET.*remove it/,
  },
  {
    name: "MARKET with a stopPrice",
    query: PLACE,
    variables: place({ type: "MARKET", limitPrice: undefined, stopPrice: 5 }),
    code: "BAD_USER_INPUT",
    message: /stopPrice must be absent for MARKET/,
  },
  {
    name: "STOP without stopPrice",
    query: PLACE,
    variables: place({ type: "STOP", limitPrice: undefined }),
    code: "BAD_USER_INPUT",
    message: /stopPrice is required for STOP/,
  },
  {
    name: "STOP with a limitPrice",
    query: PLACE,
    variables: place({ type: "STOP", stopPrice: 90 }),
    code: "BAD_USER_INPUT",
    message: /limitPrice must be absent for STOP/,
  },
  {
    name: "STOP_LIMIT without stopPrice",
    query: PLACE,
    variables: place({ type: "STOP_LIMIT" }),
    code: "BAD_USER_INPUT",
    message: /stopPrice is required for STOP_LIMIT/,
  },
  {
    name: "STOP_LIMIT without limitPrice",
    query: PLACE,
    variables: place({ type: "STOP_LIMIT", limitPrice: undefined, stopPrice: 90 }),
    code: "BAD_USER_INPUT",
    message: /limitPrice is required for STOP_LIMIT/,
  },
  // enums
  {
    name: "unknown side",

    query: PLACE,
    variables: place({ side: "HOLD" }),
    code: "BAD_USER_INPUT",
    message: /"HOLD".*OrderSide/,
  },
  {
    name: "IB's order type spelling",

    query: PLACE,
    variables: place({ type: "LMT" }),
    code: "BAD_USER_INPUT",
    message: /"LMT".*OrderType/,
  },
  {
    name: "unknown timeInForce",

    query: PLACE,
    variables: place({ timeInForce: "GTX" }),
    code: "BAD_USER_INPUT",
    message: /"GTX".*TimeInForce/,
  },
  {
    name: "unknown via",

    query: PLACE,
    variables: place({ via: "FIX" }),
    code: "BAD_USER_INPUT",
    message: /"FIX".*BrokerApi/,
  },
  {
    name: "unknown secType",

    query: PLACE,
    variables: place({ contract: { symbol: "AAPL", secType: "XYZ" } }),
    code: "BAD_USER_INPUT",
    message: /"XYZ".*SecType/,
  },
  {
    name: "an unknown field",

    query: inline("side: BUY, type: LIMIT, quantity: 1, limitPrice: 100, leverage: 10"),
    code: "BAD_USER_INPUT",
    message: /"leverage" is not defined/,
  },
  // strings
  {
    name: "empty clientOrderId",
    query: PLACE,
    variables: place({ clientOrderId: "" }),
    code: "BAD_USER_INPUT",
    message: /clientOrderId must be 1-64 characters.*e\.g\./,
  },
  {
    name: "overlong clientOrderId",
    query: PLACE,
    variables: place({ clientOrderId: "x".repeat(65) }),
    code: "BAD_USER_INPUT",
    message: /clientOrderId must be 1-64/,
  },
  {
    name: "clientOrderId with a space",
    query: PLACE,
    variables: place({ clientOrderId: "my order" }),
    code: "BAD_USER_INPUT",
    message: /clientOrderId must be/,
  },
  {
    name: "clientOrderId with a newline",
    query: PLACE,
    variables: place({ clientOrderId: "a\nb" }),
    code: "BAD_USER_INPUT",
    message: /clientOrderId must be/,
  },
  {
    name: "clientOrderId with an emoji",
    query: PLACE,
    variables: place({ clientOrderId: "buy-💥" }),
    code: "BAD_USER_INPUT",
    message: /clientOrderId must be/,
  },
  {
    name: "clientOrderId with a path",
    query: PLACE,
    variables: place({ clientOrderId: "../../etc/passwd" }),
    code: "BAD_USER_INPUT",
    message: /clientOrderId must be/,
  },
  {
    name: "empty accountId",
    query: PLACE,
    variables: place({ accountId: "" }),
    code: "BAD_USER_INPUT",
    message: /accountId "" is not an IB account id \(e\.g\./,
  },
  {
    name: "overlong accountId",
    query: PLACE,
    variables: place({ accountId: "DU" + "1".repeat(40) }),
    code: "BAD_USER_INPUT",
    message: /is not an IB account id/,
  },
  {
    name: "accountId with SQL",
    query: PLACE,
    variables: place({ accountId: "DU1'; DROP TABLE x;--" }),
    code: "BAD_USER_INPUT",
    message: /is not an IB account id/,
  },
  {
    name: "accountId with a path",
    query: PLACE,
    variables: place({ accountId: "DU1234567/../x" }),
    code: "BAD_USER_INPUT",
    message: /is not an IB account id/,
  },
  {
    name: "symbol with markup",
    query: PLACE,
    variables: place({ contract: { symbol: "AAPL<script>" } }),
    code: "BAD_USER_INPUT",
    message: /contract.symbol .* is not a valid symbol/,
  },
  {
    name: "overlong symbol",
    query: PLACE,
    variables: place({ contract: { symbol: "A".repeat(40) } }),
    code: "BAD_USER_INPUT",
    message: /is not a valid symbol/,
  },
  {
    name: "empty contract",
    query: PLACE,
    variables: place({ contract: {} }),
    code: "BAD_USER_INPUT",
    message: /contract needs a conid, or a symbol/,
  },
  {
    name: "blank symbol",
    query: PLACE,
    variables: place({ contract: { symbol: "   " } }),
    code: "BAD_USER_INPUT",
    message: /contract needs a conid, or a symbol/,
  },
  {
    name: "zero conid",
    query: PLACE,
    variables: place({ contract: { conid: 0 } }),
    code: "BAD_USER_INPUT",
    message: /contract.conid must be a positive integer/,
  },
  {
    name: "negative conid",
    query: PLACE,
    variables: place({ contract: { conid: -265598 } }),
    code: "BAD_USER_INPUT",
    message: /contract.conid must be a positive integer/,
  },
  {
    name: "conid beyond Int",

    query: PLACE,
    variables: place({ contract: { conid: 2 ** 31 } }),
    code: "BAD_USER_INPUT",
    message: /Int cannot represent/,
  },
  {
    name: "exchange with a space",
    query: PLACE,
    variables: place({ contract: { conid: AAPL, exchange: "SM ART" } }),
    code: "BAD_USER_INPUT",
    message: /exchange code \(e\.g\. SMART\)/,
  },
  {
    name: "two-letter currency",
    query: PLACE,
    variables: place({ contract: { conid: AAPL, currency: "US" } }),
    code: "BAD_USER_INPUT",
    message: /3-letter ISO code/,
  },
  // unknown things: well-formed, but IB has no such account or contract
  {
    name: "unknown account (TWS first)",
    query: PLACE,
    variables: place({ accountId: "DU9999999" }),
    code: "NOT_FOUND",
    message: /Account DU9999999 is not (managed|an account of this IB login)/,
  },
  {
    name: "unknown account via Client Portal",
    query: PLACE,
    variables: place({ accountId: "DU9999999", via: "CLIENT_PORTAL" }),
    code: "NOT_FOUND",
    message: /DU9999999/,
  },
  {
    name: "unknown conid",
    query: PLACE,
    variables: place({ contract: { conid: 999999999 } }),
    code: "NOT_FOUND",
    message: /conid|contract/i,
  },
  {
    name: "unknown conid via Client Portal",
    query: PLACE,
    variables: place({ contract: { conid: 999999999 }, via: "CLIENT_PORTAL" }),
    code: "NOT_FOUND",
    message: /conid|contract/i,
  },
  {
    name: "unknown symbol",
    query: PLACE,
    variables: place({ contract: { symbol: "ZZZZQ" } }),
    code: "NOT_FOUND",
    message: /ZZZZQ|contract/i,
  },
];

/**
 * Malformed and unknown inputs are answered before anything reaches a gateway: neither the Client Portal
 * simulator's order endpoints (its request log) nor the shared book (which the TWS simulator writes) change.
 */
describe("malformed inputs never reach the simulators", () => {
  let s: SimApp;
  let client: Client;
  let target = "";

  const upstream = async () => ({
    writes: (await s.orderWrites()).map((r) => `${r.method} ${r.path}`),
    sim: (await s.simOrders()).map((o) => [o.permId, o.status, o.quantity, o.limitPrice]),
    book: s.app.simulators!.brokerage.listOrders().map((o) => [o.permId, o.status, o.quantity, o.limitPrice]),
  });

  const check = async (c: Case, transport: "HTTP" | "graphql-ws") => {
    const before = await upstream();
    const r =
      transport === "HTTP" ? await s.op(c.query, c.variables) : await wsOnce(client, c.query, c.variables);
    const label = `${c.name} over ${transport}: ${JSON.stringify(r.errors ?? r.data)}`;
    assert.deepEqual(await upstream(), before, `${label}: reached a gateway`);
    assert.deepEqual(codesOf(r), [c.code], label);
    assert.match(r.errors?.[0]?.message ?? "", c.message, label);
    assert.ok(!JSON.stringify(r.errors).includes("Internal server error"), label);
  };

  before(async () => {
    s = await startSimApp();
    client = s.ws();
    const placed = await s.op(PLACE, place({ clientOrderId: "input-target", via: "TWS" }));
    assert.deepEqual(placed.errors, undefined);
    target = placed.data.placeOrder.order.id;
  });
  after(async () => {
    await client?.dispose();
    await s?.stop();
  });

  for (const c of placeCases) {
    const options = c.todo ? { todo: c.todo } : {};
    it(`placeOrder over HTTP: ${c.name}`, options, () => check(c, "HTTP"));
    it(`placeOrder over graphql-ws: ${c.name}`, options, () => check(c, "graphql-ws"));
  }

  // The same mistakes written inline rather than in variables are caught by validation.
  const literalCases: Case[] = [
    {
      name: "unknown side",
      query: inline("side: HOLD, type: LIMIT, quantity: 1, limitPrice: 100"),
      code: "BAD_USER_INPUT",
      message: /Value "HOLD" does not exist in "OrderSide" enum/,
    },
    {
      name: "IB's order type spelling",
      query: inline("side: BUY, type: LMT, quantity: 1, limitPrice: 100"),
      code: "BAD_USER_INPUT",
      message: /Value "LMT" does not exist in "OrderType" enum\. Did you mean the enum value "LIMIT"/,
    },
    {
      name: "quantity as a string",
      query: inline('side: BUY, type: LIMIT, quantity: "10", limitPrice: 100'),
      code: "BAD_USER_INPUT",
      message: /Float cannot represent/,
    },
    {
      name: "missing quantity",
      query: inline("side: BUY, type: LIMIT, limitPrice: 100"),
      code: "BAD_USER_INPUT",
      message: /quantity.*required/,
    },
  ];
  for (const c of literalCases) {
    it(`placeOrder over HTTP, inline: ${c.name}`, () => check(c, "HTTP"));
    it(`placeOrder over graphql-ws, inline: ${c.name}`, () => check(c, "graphql-ws"));
  }

  const changeCases = (): Case[] => [
    {
      name: "cancel with an empty id",
      query: CANCEL,
      variables: { id: "" },
      code: "BAD_USER_INPUT",
      message: /Order id "" is malformed; use the `id` field/,
    },
    {
      name: "cancel with an overlong id",
      query: CANCEL,
      variables: { id: "9".repeat(65) },
      code: "BAD_USER_INPUT",
      message: /is malformed/,
    },
    {
      name: "cancel with a spaced id",
      query: CANCEL,
      variables: { id: "12 34" },
      code: "BAD_USER_INPUT",
      message: /is malformed/,
    },
    {
      name: "cancel with a path id",
      query: CANCEL,
      variables: { id: "../orders" },
      code: "BAD_USER_INPUT",
      message: /is malformed/,
    },
    {
      name: "cancel of an unknown order",
      query: CANCEL,
      variables: { id: "424242" },
      code: "NOT_FOUND",
      message: /No order with id "424242". Use `orders`/,
    },
    {
      name: "modify of an unknown order",
      query: MODIFY,
      variables: { id: "424242", m: { quantity: 2 } },
      code: "NOT_FOUND",
      message: /No order with id/,
    },
    {
      name: "modify with a malformed id",
      query: MODIFY,
      variables: { id: "a b", m: { quantity: 2 } },
      code: "BAD_USER_INPUT",
      message: /is malformed/,
    },
    {
      name: "empty modification",
      query: MODIFY,
      variables: { id: target, m: {} },
      code: "BAD_USER_INPUT",
      message: /Nothing to modify: give at least one of/,
    },
    {
      name: "modification to all nulls",
      query: MODIFY,
      variables: { id: target, m: { quantity: null, limitPrice: null } },
      code: "BAD_USER_INPUT",
      message: /Nothing to modify/,
    },
    {
      name: "modify to zero quantity",
      query: MODIFY,
      variables: { id: target, m: { quantity: 0 } },
      code: "BAD_USER_INPUT",
      message: /quantity must be a positive/,
    },
    {
      name: "modify to a negative price",
      query: MODIFY,
      variables: { id: target, m: { limitPrice: -3 } },
      code: "BAD_USER_INPUT",
      message: /limitPrice must be a positive/,
    },
    {
      name: "modify a LIMIT order's stopPrice",
      query: MODIFY,
      variables: { id: target, m: { stopPrice: 90 } },
      code: "BAD_USER_INPUT",
      message: /stopPrice must be absent for LIMIT/,
    },
    {
      name: "modify with an unknown timeInForce",

      query: MODIFY,
      variables: { id: target, m: { timeInForce: "GTX" } },
      code: "BAD_USER_INPUT",
      message: /"GTX".*TimeInForce/,
    },
    {
      name: "confirm of an unknown reply",
      query: `mutation { confirmOrder(replyId: "nope-1", confirmed: true) { order { id } } }`,
      code: "NOT_FOUND",
      message: /No pending Client Portal confirmation.*Place the order again/,
    },
  ];

  // Built lazily: the modification target is placed in `before`.
  for (const c of changeCases()) {
    const options = c.todo ? { todo: c.todo } : {};
    const resolved = () => changeCases().find((x) => x.name === c.name)!;
    it(`${c.name} over HTTP`, options, () => check(resolved(), "HTTP"));
    it(`${c.name} over graphql-ws`, options, () => check(resolved(), "graphql-ws"));
  }

  it("a variable of the wrong type answers HTTP 400 BAD_USER_INPUT with its reason, also in production", async () => {
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = "production";
    try {
      const r = await s.op(PLACE, place({ side: "HOLD" }));
      assert.equal(r.status, 400);
      assert.deepEqual(codesOf(r), ["BAD_USER_INPUT"]);
      assert.match(r.errors?.[0]?.message ?? "", /Value "HOLD" does not exist in "OrderSide" enum/);
    } finally {
      if (previous === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = previous;
    }
  });

  it("an operation above the complexity limit is refused over both transports, mutations included", async () => {
    const reads = `{ ${Array.from({ length: 300 }, (_, i) => `s${i}: session { ready }`).join(" ")} }`;
    const orders = Array.from(
      { length: 200 },
      (_, i) =>
        `p${i}: placeOrder(input: { accountId: "${ACCT}", contract: { conid: ${AAPL} }, side: BUY, type: LIMIT,
          quantity: 1, limitPrice: 100, clientOrderId: "many-${i}" }) { order { id status } }`,
    );
    const writes = `mutation { ${orders.join(" ")} }`;
    for (const query of [reads, writes]) {
      for (const transport of ["HTTP", "graphql-ws"] as const) {
        await check(
          {
            name: `complexity ${query.slice(0, 8)}`,
            query,
            code: "BAD_USER_INPUT",
            message: /complexity|too complex|limit/i,
          },
          transport,
        );
      }
    }
  });

  it("queries and subscriptions: malformed arguments answer BAD_USER_INPUT", async () => {
    for (const q of [
      `{ orders(accountId: "bad id!") { id } }`,
      `{ positions(accountId: "") { accountId } }`,
    ]) {
      const r = await s.op(q);
      assert.deepEqual(codesOf(r), ["BAD_USER_INPUT"], q);
      assert.match(r.errors?.[0]?.message ?? "", /is not an IB account id/);
    }
    const negative = await wsOnce(client, `subscription { orderUpdates(afterSequence: -1) { sequence } }`);
    assert.deepEqual(codesOf(negative), ["BAD_USER_INPUT"]);
    // Well-formed but beyond the journal: the position is what is wrong, with the journal's bounds.
    const ahead = await wsOnce(client, `subscription { orderUpdates(afterSequence: 10000000) { sequence } }`);
    assert.deepEqual(codesOf(ahead), ["CURSOR_INVALID"]);
  });
});
