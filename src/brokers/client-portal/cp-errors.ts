/**
 * IB's answers as typed errors: what a Client Portal answer (or a transport failure in its place) means for
 * the request that got it, in one table, so that every code a client sees for Client Portal is decided here.
 * The distinction that matters most is for orders: only IB's own refusal is ORDER_REJECTED (the service
 * remembers it for good as FAILED); anything that does not prove IB's side is OUTCOME_UNKNOWN.
 */
import { AppError, ErrorCode, isAppError, notFound } from "../../errors";
import { BrokerApi, ClientPortalState } from "../../schema/enums";
import type { OrderConfirmation } from "../../schema/order.type";
import type { CpResult } from "./client-portal-client";
import { isObject, str } from "./cp-parse";
import { CpTransportError } from "./http-client";

/** What translating needs of the session: its state, its "not usable" error, and a nudge to look now. */
export interface CpSessionView {
  readonly currentState: ClientPortalState;
  notReady(): AppError;
  poke(): void;
}

/**
 * Where an answer came back: a read; the sending of an order request (placement, modification, confirmation,
 * cancel); IB's answer to a placement/modification/confirmation that carries no order id; a cancel's answer.
 */
type Phase = "read" | "send" | "accept" | "cancel";

/** A gateway answer, or the transport failure in its place (then `status` is 0). */
interface Answer {
  transport: CpTransportError | null;
  status: number;
  error: string | null;
  json: unknown;
}

interface Context {
  /** The request, in words: "positions", "placement", … */
  what: string;
  orderId: string | null;
  session: CpSessionView;
}

interface Rule {
  phase: Phase;
  when(a: Answer): boolean;
  /** The answer says the session may be gone: the supervisor looks at it now, not at its next tickle. */
  pokes?: true;
  error(a: Answer, c: Context): AppError;
}

const api = BrokerApi.CLIENT_PORTAL;
const sessionGone = (a: Answer, text: RegExp): boolean =>
  a.status === 401 || (a.error !== null && text.test(a.error));
const isPrompt = (a: Answer): boolean => isObject(a.json) && a.json.prompt === true;
/** IB's reason: its error text, or the text of a prompt it asked instead of answering. */
const reasonOf = (a: Answer): string | null =>
  a.error ?? (isObject(a.json) && a.json.prompt ? str(a.json.text) : null);

/** First matching rule of the phase wins; a `send` that matches none is an answer to read further. */
const RULES: readonly Rule[] = [
  {
    phase: "read",
    when: (a) => a.transport !== null,
    pokes: true,
    error: (a, c) =>
      new AppError(ErrorCode.BROKER_UNAVAILABLE, `Client Portal ${c.what}: ${a.transport?.message}`, {
        api,
        state: c.session.currentState,
      }),
  },
  {
    phase: "read",
    when: (a) => sessionGone(a, /no bridge|not authenticated/i),
    pokes: true,
    error: (a, c) =>
      new AppError(
        ErrorCode.SESSION_NOT_READY,
        `The Client Portal session is not usable right now (${a.error ?? "HTTP 401"}); it is being checked.`,
        // The gateway said so before the supervisor noticed: never report AUTHENTICATED with this error.
        {
          api,
          state:
            c.session.currentState === ClientPortalState.AUTHENTICATED
              ? ClientPortalState.EXPIRED
              : c.session.currentState,
        },
      ),
  },
  {
    phase: "read",
    when: () => true,
    error: (a, c) =>
      new AppError(
        ErrorCode.BROKER_UNAVAILABLE,
        `Client Portal ${c.what} failed: ${a.error ?? `HTTP ${a.status}`}`,
        {
          api,
          httpStatus: a.status,
        },
      ),
  },
  {
    phase: "send",
    when: (a) => a.transport !== null && !a.transport.sent,
    pokes: true,
    error: (a, c) =>
      new AppError(ErrorCode.BROKER_UNAVAILABLE, `The ${c.what} was not sent: ${a.transport?.message}`, {
        api,
        state: c.session.currentState,
      }),
  },
  {
    phase: "send",
    when: (a) => a.transport !== null,
    error: (a, c) =>
      new AppError(
        ErrorCode.OUTCOME_UNKNOWN,
        `The connection to the gateway failed during the ${c.what} (${a.transport?.message}); it may or may not have reached IB. It will not be resent.`,
        { api },
      ),
  },
  {
    // Refused before anything was placed: the session is gone.
    phase: "send",
    when: (a) => sessionGone(a, /no bridge/i),
    pokes: true,
    error: (a, c) =>
      c.session.currentState !== ClientPortalState.AUTHENTICATED
        ? c.session.notReady()
        : new AppError(
            ErrorCode.SESSION_NOT_READY,
            `The Client Portal session is not open (${a.error ?? "HTTP 401"}); nothing was sent. It is being restored.`,
            { api, state: ClientPortalState.EXPIRED },
          ),
  },
  {
    phase: "accept",
    when: (a) => a.status === 200 && isPrompt(a),
    error: (a, c) =>
      new AppError(
        ErrorCode.OUTCOME_UNKNOWN,
        `IB answered the ${c.what} with a prompt this server cannot answer (${reasonOf(a) ?? "no text"}); check the order in IB's Client Portal.`,
        { orderId: c.orderId, httpStatus: a.status },
      ),
  },
  {
    // A gateway failure without IB's reason, or a 200 this code cannot read, says nothing about IB's side;
    // so does "already registered" (an earlier attempt with this cOID is at IB).
    phase: "accept",
    when: (a) => {
      const reason = reasonOf(a);
      return (
        a.status === 503 ||
        a.status === 502 ||
        a.status === 504 ||
        (a.status >= 500 && a.error === null) ||
        (a.status === 200 && reason === null) ||
        (reason !== null && /already registered/i.test(reason))
      );
    },
    error: (a, c) => {
      const reason = reasonOf(a);
      return new AppError(
        ErrorCode.OUTCOME_UNKNOWN,
        `The gateway's answer to the ${c.what} (HTTP ${a.status}${reason ? `: ${reason}` : ""}) does not say whether IB has the order; it will not be resent. Retry the same clientOrderId to reconcile.`,
        { orderId: c.orderId, httpStatus: a.status },
      );
    },
  },
  { phase: "accept", when: (a) => a.status === 401, error: (_a, c) => c.session.notReady() },
  {
    phase: "accept",
    when: (a) => /reply id not found/i.test(reasonOf(a) ?? ""),
    error: (a, c) =>
      notFound(
        `IB no longer knows this confirmation (${reasonOf(a)}); nothing was placed. Place the order again.`,
        { orderId: c.orderId },
      ),
  },
  {
    phase: "accept",
    when: () => true,
    error: (a, c) => {
      const reason = reasonOf(a);
      return new AppError(
        ErrorCode.ORDER_REJECTED,
        `IB rejected the ${c.what}: ${reason ?? `unexpected answer (HTTP ${a.status})`}`,
        { orderId: c.orderId, httpStatus: a.status, reason: reason ?? null },
      );
    },
  },
  {
    phase: "cancel",
    when: (a) => a.error !== null || a.status !== 200,
    error: (a, c) =>
      new AppError(
        ErrorCode.ORDER_REJECTED,
        `IB refused to cancel order ${c.orderId}: ${a.error ?? `HTTP ${a.status}`}`,
        { orderId: c.orderId, httpStatus: a.status },
      ),
  },
];

/** Runs Client Portal requests and turns what comes back into the AppErrors of the table above. */
export class CpErrors {
  constructor(private readonly session: CpSessionView) {}

  /** A read that failed (thrown, or answered unusably), as the AppError a client can act on. */
  readFailure(what: string, e: unknown): Error {
    if (isAppError(e)) return e;
    const answer = answerOf(e);
    // The read phase ends in a catch-all rule, so an answer always has its error.
    if (answer) return this.translate("read", answer, what, null)!;
    return e instanceof Error ? e : new Error(String(e));
  }

  /** Runs a read; a thrown failure becomes an AppError, the answer is the caller's to read. */
  async read(what: string, fn: () => Promise<CpResult>): Promise<CpResult> {
    try {
      return await fn();
    } catch (e) {
      throw this.readFailure(what, e);
    }
  }

  /** Runs a read that must answer 200 without an error. */
  async readOk(what: string, fn: () => Promise<CpResult>): Promise<CpResult> {
    const r = await this.read(what, fn);
    this.expectOk(what, r);
    return r;
  }

  expectOk(what: string, r: CpResult): void {
    if (r.status === 200 && r.error === null) return;
    throw this.readFailure(what, r);
  }

  /** Runs an order request: a transport failure is "not sent" or "outcome unknown", a gone session "not ready". */
  async send(what: string, fn: () => Promise<CpResult>): Promise<CpResult> {
    let r: CpResult;
    try {
      r = await fn();
    } catch (e) {
      if (e instanceof CpTransportError) throw this.translate("send", transportAnswer(e), what, null) ?? e;
      throw e;
    }
    const error = this.translate("send", httpAnswer(r), what, null);
    if (error) throw error;
    return r;
  }

  /** Why IB's answer to a placement, modification or confirmation carries no order id. */
  notAccepted(r: CpResult, what: string, orderId: string | null): AppError {
    // The accept phase ends in a catch-all rule, so there is always an error.
    return this.translate("accept", httpAnswer(r), what, orderId)!;
  }

  /** The error for a cancel IB did not take, or null when it did. */
  cancelRefused(r: CpResult, orderId: string): AppError | null {
    return this.translate("cancel", httpAnswer(r), "cancel", orderId);
  }

  private translate(phase: Phase, a: Answer, what: string, orderId: string | null): AppError | null {
    const rule = RULES.find((r) => r.phase === phase && r.when(a));
    if (!rule) return null;
    if (rule.pokes) this.session.poke();
    return rule.error(a, { what, orderId, session: this.session });
  }
}

/** READ_ONLY: a mutation asked of a portfolio-only user. */
export function readOnlyError(): AppError {
  return new AppError(
    ErrorCode.READ_ONLY,
    "The Client Portal user is read-only (IB_CP_READ_ONLY=true): no brokerage session, no orders.",
    { api },
  );
}

/** RATE_LIMITED: IB answered 429 and every request waits until `penaltyUntil`. */
export function rateLimitedError(penaltyUntil: number, state: ClientPortalState): AppError {
  const retryAt = new Date(penaltyUntil).toISOString();
  return new AppError(
    ErrorCode.RATE_LIMITED,
    `IB's gateway answered 429 (too many requests); Client Portal requests are paused until ${retryAt}.`,
    { api, retryAt, state },
  );
}

/** NOT_FOUND for confirmOrder: the question is not (or no longer) held. */
export function confirmationGoneError(replyId: string, expired: boolean, holdMs: number): AppError {
  return notFound(
    expired
      ? `Confirmation ${replyId.slice(0, 40)} expired: IB keeps an order question only until the next request reaches the gateway, and it was held ${holdMs} ms. Nothing was placed; place the order again.`
      : `No pending Client Portal confirmation with replyId "${replyId.slice(0, 40)}"; nothing was placed. Place the order again.`,
    { replyId, expired },
  );
}

/** A modification IB wants confirmed, without auto-confirmation for it: declined, nothing sent. */
export function unconfirmedModificationError(question: OrderConfirmation, orderId: string): AppError {
  return new AppError(
    ErrorCode.ORDER_REJECTED,
    `IB asks for confirmation of this modification (${question.messageIds.join(", ")}: ${question.messages.join(" ")}). It was not sent; add the ids to IB_CP_AUTO_CONFIRM to accept such warnings.`,
    { orderId, messageIds: question.messageIds },
  );
}

function transportAnswer(e: CpTransportError): Answer {
  return { transport: e, status: 0, error: null, json: null };
}

function httpAnswer(r: CpResult): Answer {
  return { transport: null, status: r.status, error: r.error, json: r.json };
}

/** A thrown transport failure, or a CpResult handed over as the failure of a read. */
function answerOf(e: unknown): Answer | null {
  if (e instanceof CpTransportError) return transportAnswer(e);
  if (isCpResult(e)) return httpAnswer(e);
  return null;
}

function isCpResult(v: unknown): v is CpResult {
  return isObject(v) && typeof v.status === "number" && "error" in v && "asOf" in v;
}
