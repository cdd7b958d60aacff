import type { Logger } from "pino";
import { AppError, ErrorCode } from "../errors";
import type { TradingMode } from "../schema/enums";
import type { PlaceOrderInput } from "../schema/order.input";
import type { OrderPreview } from "../schema/order.type";
import type { ApiBroker } from "./api-broker";
import type { Caller } from "./broker-service";
import type { OrderTerms } from "./order-terms";
import { routeOrder } from "./order-routing";
import { validatePlaceOrder } from "./order-validation";
import type { Sides } from "./routing";
import { checkAllowed, checkLive, type TradingGuards } from "./trading-guards";

/** What a preview needs of the broker service. */
export interface PreviewDeps {
  guards: TradingGuards;
  mode: () => TradingMode;
  sides: () => Sides;
  checkKnownAccount: (id: string) => Promise<void>;
  checkLimits: (api: ApiBroker, terms: OrderTerms, conid: number) => Promise<void>;
  log: Logger;
  auditRefusal: (audit: Record<string, unknown>, e: unknown) => void;
}

/**
 * previewOrder: placeOrder's validation, guards and routing, then IB's what-if instead of the order. It
 * answers what placeOrder would be refused for (limits, live trading) as placeOrder would. It never touches
 * the idempotency store, so the clientOrderId stays free, and it places nothing, so read tokens and a
 * READ_ONLY server may ask (no write check).
 */
export async function previewOrder(
  input: PlaceOrderInput,
  caller: Caller,
  deps: PreviewDeps,
): Promise<OrderPreview> {
  const audit = {
    op: "previewOrder",
    client: caller.client,
    accountId: input.accountId,
    clientOrderId: input.clientOrderId,
  };
  try {
    const request = validatePlaceOrder(input);
    checkAllowed(deps.guards, request.accountId);
    checkLive(deps.guards, request.accountId, deps.mode());
    await deps.checkKnownAccount(request.accountId);
    const api = routeOrder(deps.sides(), input.via ?? null, request);
    if (!api.previewOrder) {
      throw new AppError(ErrorCode.BAD_USER_INPUT, `${api.api} cannot preview orders here; use via: TWS.`, {
        field: "via",
        api: api.api,
      });
    }
    if (request.legs) {
      // TWS error 360; Client Portal's what-if of a combo is undocumented.
      throw new AppError(
        ErrorCode.BAD_USER_INPUT,
        "IB has no what-if check for smart combo orders (TWS error 360).",
        {
          field: "legs",
        },
      );
    }
    const contract = await api.resolveContract(request.contract);
    await deps.checkLimits(api, request, contract.conid);
    const preview = await api.previewOrder(request, contract);
    deps.log.info({ ...audit, mode: deps.mode(), api: api.api }, "order previewed");
    return preview;
  } catch (e) {
    deps.auditRefusal(audit, e);
    throw e;
  }
}
