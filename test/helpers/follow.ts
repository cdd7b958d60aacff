import type { Client } from "graphql-ws";
import type { Json } from "./cp-sim-client";

/** A subscription's events and errors, collected as they come until `dispose()`. */
export interface Followed {
  events: Json[];
  /** GraphQL errors of a result, and the error that ended the subscription, one entry each. */
  errors: Json[];
  dispose(): void;
}

/**
 * Collects a subscription's events until disposed. Errors are flattened into one list so a test can both
 * assert there were none (`deepEqual(errors, [])`) and read each one's `extensions.code`.
 */
export function follow(client: Client, query: string, variables: Record<string, unknown> = {}): Followed {
  const events: Json[] = [];
  const errors: Json[] = [];
  const dispose = client.subscribe<Json>(
    { query, variables },
    {
      next: (r) => (r.errors ? errors.push(...(r.errors as Json[])) : events.push(r.data as Json)),
      error: (e) => errors.push(...(Array.isArray(e) ? (e as Json[]) : [e as Json])),
      complete: () => undefined,
    },
  );
  return { events, errors, dispose };
}
