import { AppError, ErrorCode } from "../errors";
import { BrokerApi } from "../schema/enums";
import type { Order } from "../schema/order.type";
import type { ApiBroker } from "./api-broker";

/** The configured IB APIs. */
export interface Sides {
  tws?: ApiBroker;
  cp?: ApiBroker;
}

/** Configured sides, TWS first: the preferred one for trading and positions. */
export function sidesOf(s: Sides): ApiBroker[] {
  const all: (ApiBroker | undefined)[] = [s.tws, s.cp];
  return all.filter((b): b is ApiBroker => b !== undefined);
}

export function sideFor(s: Sides, api: BrokerApi): ApiBroker | undefined {
  return api === BrokerApi.TWS ? s.tws : s.cp;
}

/** `via` if given, else TWS when it is ready, else Client Portal. */
export function route(s: Sides, via: BrokerApi | null): ApiBroker {
  if (via) {
    const side = sideFor(s, via);
    if (!side)
      throw new AppError(ErrorCode.BROKER_UNAVAILABLE, `${via} is not configured on this server.`, {
        api: via,
        state: "DISABLED",
      });
    side.assertReady();
    return side;
  }
  const candidates = sidesOf(s);
  if (candidates.length === 0) {
    throw new AppError(
      ErrorCode.BROKER_UNAVAILABLE,
      "No IB API is configured: set IB_TWS_PORT and/or IB_CP_URL.",
      {
        state: "DISABLED",
      },
    );
  }
  const ready = candidates.find((b) => b.isReady());
  if (ready) return ready;
  candidates[0]!.assertReady();
  return candidates[0]!;
}

/**
 * An existing order is changed through the API that placed it, else through another ready API that may
 * change it. TWS lets only the placing client id change an order, so an order entered elsewhere (Client
 * Portal, the website, TWS's own window) goes through Client Portal even when TWS reported it first; when
 * no able API is ready, the answer carries the state of the one that could do it.
 */
export function routeExisting(s: Sides, order: Order): ApiBroker {
  const able = sidesOf(s).filter((b) => b.canChange?.(order) ?? true);
  const placing = able.find((b) => b.api === order.source);
  if (placing?.isReady()) return placing;
  const ready = able.find((b) => b.isReady());
  if (ready) return ready;
  const first = placing ?? able[0];
  if (!first) return route(s, null);
  first.assertReady();
  return first;
}

/**
 * The current price of a contract for the notional limit: from the API the order goes through, else from
 * any other ready API. TWS knows prices only of held positions, Client Portal of any contract, so asking
 * only the routed side would leave most TWS orders unpriced. A side that fails counts as not knowing.
 */
export async function marketPrice(s: Sides, first: ApiBroker, conid: number): Promise<number | null> {
  const others = sidesOf(s).filter((b) => b !== first && b.isReady());
  for (const side of [first, ...others]) {
    const price = await side.lastPrice?.(conid).catch(() => null);
    if (price != null && Number.isFinite(price) && price > 0) return price;
  }
  return null;
}
