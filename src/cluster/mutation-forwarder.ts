import type { IncomingMessage, ServerResponse } from "node:http";
import { getOperationAST, Kind, parse, type SelectionSetNode } from "graphql";
import { ErrorCode } from "../errors";
import type { ClusterStatus } from "../schema/cluster.type";

/** Marks a request one instance forwarded to another, so it is never forwarded twice (no loops). */
export const FORWARDED_HEADER = "x-ibkr-graphql-forwarded-by";

export interface MutationForwarderOptions {
  cluster: () => ClusterStatus;
  /** This instance's leader service is started: it answers mutations itself. */
  isLeading: () => boolean;
  /** A forward the leader has not answered by then is OUTCOME_UNKNOWN. @default 30_000 */
  timeoutMs?: number;
  logger?: { warn(obj: object, msg: string): void };
  /** Counts forwards by outcome (metrics). */
  onForward?: (outcome: "forwarded" | "leader_unavailable" | "outcome_unknown") => void;
}

type Req = IncomingMessage & { body?: unknown };
type Next = (err?: unknown) => void;

/**
 * A standby answers a mutation by sending it to the leader (`leaderUrl` from the database) with the caller's
 * own Authorization header, and relays the leader's answer as it is: the caller's rights are checked by
 * the leader, as if it had called it directly, and a client behind a round-robin load balancer never needs
 * to know who leads. So do queries of what only IB knows (quotes, bars, contract lookups: LEADER_QUERIES).
 * Other queries and subscriptions stay here (served from the store).
 *
 * When no leader can take it: LEADER_UNAVAILABLE, `retryable: true`, and nothing was sent to IB. When the
 * leader was sent the request but did not answer (it died or hung meanwhile): OUTCOME_UNKNOWN, also
 * retryable: a retry with the same clientOrderId is reconciled against the shared idempotency store, never
 * placed twice.
 */
export function createMutationForwarder(options: MutationForwarderOptions) {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return (req: Req, res: ServerResponse, next: Next): void => {
    const kind = req.method === "POST" && !options.isLeading() ? classify(req.body) : "local";
    if (kind === "local") {
      next();
      return;
    }
    const c = options.cluster();
    const alreadyForwarded = req.headers[FORWARDED_HEADER] !== undefined;
    if (!c.leaderUrl || c.leaderId === c.instanceId || alreadyForwarded) {
      options.onForward?.("leader_unavailable");
      const why = alreadyForwarded
        ? "The instance this was forwarded to does not lead any more"
        : c.leaderId === c.instanceId
          ? "This instance has just become the leader and is connecting to IB"
          : "No instance leads right now (a failover is under way)";
      send(
        res,
        503,
        refusal(ErrorCode.LEADER_UNAVAILABLE, `${why}. Nothing was sent; retry in a moment.`, c),
      );
      return;
    }
    void forward(req, res, c, timeoutMs, options, kind);
  };
}

async function forward(
  req: Req,
  res: ServerResponse,
  c: ClusterStatus,
  timeoutMs: number,
  options: MutationForwarderOptions,
  kind: "mutation" | "leader-query",
): Promise<void> {
  const target = new URL("/graphql", c.leaderUrl as string);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: String(req.headers.accept ?? "application/json"),
    [FORWARDED_HEADER]: c.instanceId,
  };
  if (typeof req.headers.authorization === "string") headers.authorization = req.headers.authorization;
  let sent = false;
  try {
    const answer = await fetch(target, {
      method: "POST",
      headers,
      body: JSON.stringify(req.body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    sent = true;
    const text = await answer.text();
    options.onForward?.("forwarded");
    res.statusCode = answer.status;
    res.setHeader("content-type", answer.headers.get("content-type") ?? "application/json");
    res.end(text);
  } catch (e) {
    const code = errorCode(e);
    // Refused or unreachable: the request never left, so nothing can have been placed.
    const neverSent = !sent && (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EHOSTUNREACH");
    options.logger?.warn({ err: e, leader: c.leaderId, code }, "cluster: forwarding a mutation failed");
    // A read that failed changed nothing: the caller simply asks again.
    if (neverSent || kind === "leader-query") {
      options.onForward?.("leader_unavailable");
      send(
        res,
        503,
        refusal(
          ErrorCode.LEADER_UNAVAILABLE,
          `The leader (${c.leaderId}) cannot be reached; a failover is under way. Nothing was sent; retry in a moment.`,
          c,
        ),
      );
      return;
    }
    options.onForward?.("outcome_unknown");
    send(
      res,
      502,
      refusal(
        ErrorCode.OUTCOME_UNKNOWN,
        `The leader (${c.leaderId}) did not answer the forwarded mutation: it may or may not have been carried ` +
          "out. Retry with the same clientOrderId: the retry is reconciled, never placed twice.",
        c,
      ),
    );
  }
}

/**
 * Root query fields only the leader can answer: they ask IB (market data, contract lookups), and a standby
 * has no IB session. A query selecting any of them is forwarded whole, like a mutation.
 */
const LEADER_QUERIES = new Set(["quote", "quotes", "bars", "contract", "searchContracts", "optionChain"]);

function classify(body: unknown): "mutation" | "leader-query" | "local" {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return "local";
  const { query, operationName } = body as { query?: unknown; operationName?: unknown };
  if (typeof query !== "string") return "local";
  try {
    const doc = parse(query);
    const op = getOperationAST(doc, typeof operationName === "string" ? operationName : undefined);
    if (op?.operation === "mutation") return "mutation";
    if (op?.operation !== "query") return "local";
    const fragments = new Map<string, SelectionSetNode>();
    for (const d of doc.definitions) {
      if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d.selectionSet);
    }
    const needsLeader = (set: SelectionSetNode, depth: number): boolean =>
      depth < 8 &&
      set.selections.some((s) =>
        s.kind === Kind.FIELD
          ? LEADER_QUERIES.has(s.name.value)
          : s.kind === Kind.INLINE_FRAGMENT
            ? needsLeader(s.selectionSet, depth + 1)
            : fragments.has(s.name.value) && needsLeader(fragments.get(s.name.value)!, depth + 1),
      );
    return needsLeader(op.selectionSet, 0) ? "leader-query" : "local";
  } catch {
    // Apollo reports the syntax error, with its code.
    return "local";
  }
}

function refusal(code: string, message: string, c: ClusterStatus) {
  return {
    errors: [
      {
        message,
        extensions: { code, retryable: true, leaderId: c.leaderId ?? null, leaderUrl: c.leaderUrl ?? null },
      },
    ],
  };
}

function send(res: ServerResponse, status: number, body: object): void {
  res.statusCode = status;
  res.setHeader("content-type", "application/json");
  if (status === 503) res.setHeader("retry-after", "1");
  res.end(JSON.stringify(body));
}

function errorCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string") return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}
