import type { SimOrder, SimOrderStatus } from "../../src/simulators/brokerage";

/** Order statuses as the GraphQL schema names them, from IB's names in the simulated book. */
const DOMAIN_STATUS: Record<SimOrderStatus, string> = {
  PendingSubmit: "PENDING_SUBMIT",
  PreSubmitted: "PRE_SUBMITTED",
  Submitted: "SUBMITTED",
  Filled: "FILLED",
  Cancelled: "CANCELLED",
  Inactive: "INACTIVE",
  PendingCancel: "PENDING_CANCEL",
};

export function domainStatus(o: Pick<SimOrder, "status" | "filled">): string {
  if (o.status === "Submitted" && o.filled > 0) return "PARTIALLY_FILLED";
  return DOMAIN_STATUS[o.status];
}

/** Working statuses are one state for matching: the schema splits them where IB does not. */
function stateClass(domain: string): string {
  switch (domain) {
    case "PRE_SUBMITTED":
    case "SUBMITTED":
    case "PARTIALLY_FILLED":
      return "WORKING";
    case "REJECTED":
      return "INACTIVE";
    default:
      return domain;
  }
}

/**
 * Identifies one state of one order the same way on both sides of a latency measurement: the brokerage event
 * that created the state and the GraphQL event that reported it.
 */
export function orderStateKey(permId: string | number, domain: string, filled: number): string {
  return `${permId}|${stateClass(domain)}|${Number(filled)}`;
}

export function simOrderKey(o: SimOrder): string {
  return orderStateKey(o.permId, domainStatus(o), o.filled);
}
