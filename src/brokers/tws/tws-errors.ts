import { AppError, ErrorCode } from "../../errors";

/** TWS error codes the adapter acts on. */
export const TwsErrorCode = {
  DUPLICATE_ORDER_ID: 103,
  NO_SECURITY_DEFINITION: 200,
  ORDER_REJECTED: 201,
  ORDER_CANCELLED: 202,
  SECURITY_NOT_ALLOWED: 203,
  /** Cancel attempted when the order is not in a cancellable state. */
  ORDER_NOT_CANCELLABLE: 161,
  CANCEL_NOT_FOUND: 10147,
  CANCEL_NOT_POSSIBLE: 10148,
  /** "Order Message: … Warning: …": informational, the order still works. */
  ORDER_WARNING: 399,
} as const;

/** Codes in an order's error frame that end the order or its request. */
const FATAL_FOR_ORDER = new Set<number>([
  TwsErrorCode.DUPLICATE_ORDER_ID,
  TwsErrorCode.NO_SECURITY_DEFINITION,
  TwsErrorCode.ORDER_REJECTED,
  TwsErrorCode.ORDER_CANCELLED,
  TwsErrorCode.SECURITY_NOT_ALLOWED,
]);

/** An error frame TWS sent for one order id or request id. */
export interface TwsErrorFrame {
  code: number;
  message: string;
  id: number;
}

/** Informational codes that may carry an order id: the order still works. */
const INFORMATIONAL = new Set<number>([TwsErrorCode.ORDER_WARNING, 404, 10167, 10090, 492]);

/**
 * Whether an error frame for a pending placement means TWS did not take the order. IB's warnings are the
 * 21xx range, a few listed codes, and any text containing "Warning:" (IBApiNext's own rule).
 */
export function isFatalForOrder(code: number, message: string): boolean {
  if (FATAL_FOR_ORDER.has(code)) return true;
  if (/warning:/i.test(message) || INFORMATIONAL.has(code)) return false;
  return !(code >= 2100 && code < 3000);
}

/** IB's reason without its boilerplate prefix ("Order rejected - reason:"). */
export function reasonOf(message: string): string {
  const m = /reason:\s*(.*)$/i.exec(message);
  const r = (m?.[1] ?? message).trim();
  return r === "" ? message.trim() : r;
}

/**
 * What a placement's error frame means for the caller. 200 (no security definition) places nothing, so the
 * key may be reused (NOT_FOUND); everything else is a rejection that the service remembers.
 */
export function placementError(f: TwsErrorFrame, clientOrderId: string | null): AppError {
  const details = { ibCode: f.code, reason: reasonOf(f.message), clientOrderId, api: "TWS" };
  if (f.code === TwsErrorCode.NO_SECURITY_DEFINITION) {
    return new AppError(
      ErrorCode.NOT_FOUND,
      `TWS knows no contract for this order (200: ${reasonOf(f.message)}); check conid or symbol/secType/exchange/currency.`,
      details,
    );
  }
  if (f.code === TwsErrorCode.ORDER_CANCELLED) {
    return new AppError(
      ErrorCode.ORDER_REJECTED,
      `IB cancelled the order before it worked (202): ${reasonOf(f.message)}`,
      details,
    );
  }
  return new AppError(
    ErrorCode.ORDER_REJECTED,
    `IB rejected the order (${f.code}): ${reasonOf(f.message)}`,
    details,
  );
}

export function modifyError(f: TwsErrorFrame, orderId: string): AppError {
  return new AppError(
    ErrorCode.ORDER_REJECTED,
    `IB refused the modification (${f.code}): ${reasonOf(f.message)}`,
    { ibCode: f.code, reason: reasonOf(f.message), orderId, api: "TWS" },
  );
}

export function cancelError(f: TwsErrorFrame, orderId: string): AppError {
  const details = { ibCode: f.code, reason: reasonOf(f.message), orderId, api: "TWS" };
  if (f.code === TwsErrorCode.CANCEL_NOT_FOUND) {
    return new AppError(
      ErrorCode.NOT_FOUND,
      `TWS does not know order ${orderId} as cancellable (10147).`,
      details,
    );
  }
  return new AppError(
    ErrorCode.ORDER_REJECTED,
    `IB cannot cancel order ${orderId} (${f.code}): ${reasonOf(f.message)}`,
    details,
  );
}

export function outcomeUnknown(message: string, details: Record<string, unknown>): AppError {
  return new AppError(ErrorCode.OUTCOME_UNKNOWN, message, { api: "TWS", ...details });
}

export function notReady(state: string, lastError: string | null): AppError {
  return new AppError(
    ErrorCode.SESSION_NOT_READY,
    `TWS is not connected (${state}${lastError ? `: ${lastError}` : ""}); retry when sessionStatus.tws.state is CONNECTED.`,
    { api: "TWS", state, lastError },
  );
}

export function requestTimeout(what: string, ms: number): AppError {
  return new AppError(ErrorCode.BROKER_UNAVAILABLE, `TWS did not answer ${what} within ${ms} ms.`, {
    api: "TWS",
    timeoutMs: ms,
  });
}

export function connectionLost(what: string, reason: string): AppError {
  return new AppError(ErrorCode.BROKER_UNAVAILABLE, `The TWS connection was lost during ${what}: ${reason}`, {
    api: "TWS",
  });
}
