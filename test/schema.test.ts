import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { buildSchema, lexicographicSortSchema, printSchema, type GraphQLObjectType } from "graphql";
import { buildAppSchema } from "../src/build-schema";
import { repoRoot } from "./helpers/paths";

const ROOT = repoRoot();

describe("schema.graphql", () => {
  const code = printSchema(lexicographicSortSchema(buildAppSchema()));

  it("is up to date with the code-first schema (run `npm run codegen`)", () => {
    const committed = printSchema(
      lexicographicSortSchema(buildSchema(readFileSync(join(ROOT, "schema.graphql"), "utf8"))),
    );
    assert.equal(committed, code);
  });

  it("holds the public contract", () => {
    const schema = buildAppSchema();
    const fields = (type: string) =>
      Object.keys((schema.getType(type) as { getFields(): object }).getFields());
    const has = (type: string, names: string[]) => {
      for (const n of names) assert.ok(fields(type).includes(n), `${type}.${n}`);
    };
    has("Query", ["session", "accounts", "account", "positions", "orders", "order"]);
    has("Mutation", ["placeOrder", "modifyOrder", "cancelOrder", "confirmOrder", "reauthenticate"]);
    has("Subscription", ["orderUpdates", "sessionEvents"]);
    has("SessionStatus", ["mode", "ready", "clientPortal", "tws"]);
    has("ClientPortalStatus", [
      "enabled",
      "state",
      "authenticated",
      "connected",
      "competing",
      "lastTickleAt",
      "message",
      "loginUrl",
    ]);
    has("TwsStatus", ["enabled", "state", "host", "port", "clientId", "serverVersion", "lastError"]);
    has("Account", ["id", "type", "currency", "summary", "positions", "orders"]);
    has("AccountSummary", ["netLiquidation", "totalCash", "buyingPower", "availableFunds", "asOf"]);
    has("Contract", ["conid", "symbol", "secType", "exchange", "currency"]);
    has("Position", [
      "accountId",
      "contract",
      "quantity",
      "averageCost",
      "marketPrice",
      "marketValue",
      "unrealizedPnl",
      "realizedPnl",
      "source",
      "asOf",
    ]);
    has("Order", [
      "id",
      "clientOrderId",
      "accountId",
      "contract",
      "side",
      "type",
      "quantity",
      "limitPrice",
      "stopPrice",
      "timeInForce",
      "status",
      "filledQuantity",
      "remainingQuantity",
      "averageFillPrice",
      "source",
      "permId",
      "brokerOrderId",
      "createdAt",
      "updatedAt",
    ]);
    has("PlaceOrderInput", [
      "accountId",
      "contract",
      "side",
      "type",
      "quantity",
      "limitPrice",
      "stopPrice",
      "timeInForce",
      "clientOrderId",
      "via",
    ]);
    has("ModifyOrderInput", ["quantity", "limitPrice", "stopPrice", "timeInForce"]);
    has("PlaceOrderPayload", ["order", "confirmation"]);
    has("OrderConfirmation", ["replyId", "messages"]);
    has("OrderEvent", ["sequence", "type", "order", "fill", "at"]);
    has("Fill", ["executionId", "quantity", "price", "commission", "at"]);
    has("SessionEvent", ["sequence", "api", "type", "message", "at", "status"]);
    const enumValues = (name: string) =>
      (schema.getType(name) as unknown as { getValues(): { name: string }[] }).getValues().map((v) => v.name);
    assert.deepEqual(enumValues("TradingMode").sort(), ["LIVE", "PAPER", "SIMULATED"]);
    assert.deepEqual(enumValues("OrderStatus").sort(), [
      "CANCELLED",
      "FILLED",
      "INACTIVE",
      "PARTIALLY_FILLED",
      "PENDING_CANCEL",
      "PENDING_SUBMIT",
      "PRE_SUBMITTED",
      "REJECTED",
      "SUBMITTED",
    ]);
    assert.deepEqual(enumValues("OrderEventType").sort(), [
      "CANCELLED",
      "FILL",
      "MODIFIED",
      "NEW",
      "PARTIAL_FILL",
      "REJECTED",
      "STATUS",
      "SUBMITTED",
    ]);
    assert.deepEqual(enumValues("SessionEventType").sort(), [
      "AUTHENTICATED",
      "AWAITING_SECOND_FACTOR",
      "COMPETING",
      "CONNECTED",
      "DISCONNECTED",
      "EXPIRED",
      "LEADER_CHANGED",
      "LOGIN_ATTEMPT_FAILED",
      "LOGIN_FAILED",
      "LOGIN_REQUIRED",
      "REAUTH_FAILED",
      "RESTORED",
    ]);
    // Shared deployments (issue #20): the names are the contract.
    assert.deepEqual(enumValues("InstanceRole").sort(), ["LEADER", "SINGLE", "STANDBY"]);
    has("ClusterStatus", ["instanceId", "role", "leaderId", "leaderUrl", "epoch"]);
    has("SessionStatus", ["cluster"]);
    const role = (schema.getType("ClusterStatus") as GraphQLObjectType).getFields().role;
    assert.equal(String(role?.type), "InstanceRole!");
    assert.deepEqual(enumValues("ClientPortalState").sort(), [
      "AUTHENTICATED",
      "AWAITING_SECOND_FACTOR",
      "COMPETING",
      "DISABLED",
      "EXPIRED",
      "LOGIN_FAILED",
      "LOGIN_REQUIRED",
      "UNAUTHENTICATED",
      "UNREACHABLE",
    ]);
    assert.ok(schema.getType("DateTime"));
  });
});
