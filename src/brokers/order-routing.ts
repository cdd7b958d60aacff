import { badInput } from "../errors";
import { BrokerApi } from "../schema/enums";
import type { ApiBroker } from "./api-broker";
import type { OrderRequest } from "./order-terms";
import { route, type Sides } from "./routing";

/**
 * The API a new order goes through: `via` if given, else TWS when ready, else Client Portal — except that an
 * order the chosen API cannot take (a type or field IB offers only through TWS) goes to TWS when no API was
 * forced, and is refused naming the API when one was. Refused before anything is sent either way.
 */
export function routeOrder(sides: Sides, via: BrokerApi | null, request: OrderRequest): ApiBroker {
  const api = route(sides, via);
  const why = api.unsupported?.(request);
  if (!why) return api;
  if (via == null && api.api !== BrokerApi.TWS && sides.tws) {
    const tws = route(sides, BrokerApi.TWS);
    if (!tws.unsupported?.(request)) return tws;
  }
  throw badInput(
    `${why}; ${via != null ? "use via: TWS or leave via out" : "configure TWS (IB_TWS_PORT)"}.`,
    {
      field: via != null ? "via" : "type",
      api: api.api,
    },
  );
}
