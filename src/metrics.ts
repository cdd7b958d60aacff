import type { ApolloServerPlugin } from "@apollo/server";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { BrokerService } from "./brokers";
import type { OrderEvent } from "./schema/order.type";
import type { SessionEvent, SessionStatus } from "./schema/session.type";

/**
 * Prometheus metrics of one server instance (its own registry, so parallel test servers don't mix).
 * Adapters and the broker service report through the `record*` methods; gauges that mirror state are
 * read at scrape time instead of being pushed.
 */
export class Metrics {
  readonly registry = new Registry();

  private readonly operations = new Counter({
    name: "ibkr_graphql_operations_total",
    help: "GraphQL operations by type (query, mutation, subscription) and transport.",
    labelNames: ["type", "transport"] as const,
    registers: [this.registry],
  });
  private readonly errors = new Counter({
    name: "ibkr_graphql_errors_total",
    help: "GraphQL errors by extensions.code.",
    labelNames: ["code"] as const,
    registers: [this.registry],
  });
  private readonly upstream = new Counter({
    name: "ibkr_upstream_requests_total",
    help: "Requests sent to a gateway, by API, endpoint template and HTTP status (or 'error').",
    labelNames: ["api", "endpoint", "status"] as const,
    registers: [this.registry],
  });
  private readonly rateLimited = new Counter({
    name: "ibkr_upstream_rate_limited_total",
    help: "HTTP 429 answers from the Client Portal gateway (each starts a penalty period).",
    registers: [this.registry],
  });
  private readonly schedulerWait = new Histogram({
    name: "ibkr_scheduler_wait_seconds",
    help: "Time a Client Portal request waited in the rate-limit scheduler.",
    buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [this.registry],
  });
  private readonly sessionTransitions = new Counter({
    name: "ibkr_session_transitions_total",
    help: "Session events by API and type (TWS CONNECTED/DISCONNECTED are the connects and drops).",
    labelNames: ["api", "type"] as const,
    registers: [this.registry],
  });
  private readonly orderEvents = new Counter({
    name: "ibkr_order_events_total",
    help: "Order events emitted on orderUpdates, by type.",
    labelNames: ["type", "catch_up"] as const,
    registers: [this.registry],
  });

  private readonly cpLogins = new Counter({
    name: "ibkr_cp_login_attempts_total",
    help: "Automatic Client Portal logins by outcome (success, rejected, second-factor, transient).",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  private readonly cpLoginSeconds = new Histogram({
    name: "ibkr_cp_login_duration_seconds",
    help: "Duration of automatic Client Portal logins (browser start to outcome).",
    labelNames: ["outcome"] as const,
    buckets: [1, 2, 5, 10, 20, 30, 60, 120],
    registers: [this.registry],
  });

  constructor(options: { broker: () => BrokerService | undefined; schedulerQueue?: () => number }) {
    collectDefaultMetrics({ register: this.registry, prefix: "ibkr_graphql_process_" });
    const { broker } = options;
    new Gauge({
      name: "ibkr_session_state",
      help: "1 for each API's current state.",
      labelNames: ["api", "state"] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        const s: SessionStatus | undefined = broker()?.status();
        if (!s) return;
        this.set({ api: "CLIENT_PORTAL", state: s.clientPortal.state }, 1);
        this.set({ api: "TWS", state: s.tws.state }, 1);
      },
    });
    new Gauge({
      name: "ibkr_ready",
      help: "1 when every configured API is connected and authenticated (what /readyz says).",
      registers: [this.registry],
      collect() {
        this.set(broker()?.readiness().ready ? 1 : 0);
      },
    });
    new Gauge({
      name: "ibkr_subscriptions_open",
      help: "Open GraphQL subscriptions by field.",
      labelNames: ["subscription"] as const,
      registers: [this.registry],
      collect() {
        const c = broker()?.subscriberCounts();
        this.set({ subscription: "orderUpdates" }, c?.orderUpdates ?? 0);
        this.set({ subscription: "sessionEvents" }, c?.sessionEvents ?? 0);
      },
    });
    const queue = options.schedulerQueue;
    new Gauge({
      name: "ibkr_scheduler_queue_length",
      help: "Client Portal requests waiting for a rate-limit slot.",
      registers: [this.registry],
      collect() {
        this.set(queue?.() ?? 0);
      },
    });
  }

  recordCpLogin(outcome: string, seconds: number): void {
    this.cpLogins.inc({ outcome });
    this.cpLoginSeconds.observe({ outcome }, seconds);
  }

  recordOperation(type: string, transport: "http" | "ws"): void {
    this.operations.inc({ type, transport });
  }

  recordError(code: string): void {
    this.errors.inc({ code });
  }

  recordUpstream(api: "CLIENT_PORTAL" | "TWS", endpoint: string, status: number | "error"): void {
    this.upstream.inc({ api, endpoint, status: String(status) });
    if (status === 429) this.rateLimited.inc();
  }

  recordSchedulerWait(seconds: number): void {
    this.schedulerWait.observe(seconds);
  }

  recordSessionEvent(e: Pick<SessionEvent, "api" | "type">): void {
    // LEADER_CHANGED is of no one API.
    this.sessionTransitions.inc({ api: e.api ?? "NONE", type: e.type });
  }

  recordOrderEvent(e: Pick<OrderEvent, "type" | "catchUp">): void {
    this.orderEvents.inc({ type: e.type, catch_up: String(e.catchUp) });
  }

  /** Counts HTTP operations and every error code Apollo sends. */
  apolloPlugin(): ApolloServerPlugin {
    return {
      requestDidStart: async () => ({
        didResolveOperation: async (ctx) => {
          this.recordOperation(ctx.operation?.operation ?? "unknown", "http");
        },
        willSendResponse: async (ctx) => {
          const body = ctx.response.body;
          const errors = body.kind === "single" ? body.singleResult.errors : undefined;
          for (const e of errors ?? [])
            this.recordError(String(e.extensions?.code ?? "INTERNAL_SERVER_ERROR"));
        },
      }),
    };
  }
}
