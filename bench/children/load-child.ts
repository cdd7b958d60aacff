/**
 * Load generator in its own process (forked by bench/lib/load.ts), so autocannon does not share a core or an
 * event loop with the server it measures. Receives one LoadJob over IPC, answers one LoadResult, exits.
 */
import autocannon from "autocannon";
import type { LoadJob, LoadResult } from "../lib/load";

process.once("message", (job: LoadJob) => {
  run(job).then(
    (result) => process.send?.(result, () => process.exit(0)),
    (e: unknown) => {
      process.send?.({ error: e instanceof Error ? e.stack : String(e) }, () => process.exit(1));
    },
  );
});

async function run(job: LoadJob): Promise<LoadResult> {
  const errorCodes: Record<string, number> = {};
  let graphqlErrorResponses = 0;
  const onResponse = job.countGraphQLErrors
    ? (_status: number, body: string) => {
        if (!body.includes('"errors"')) return;
        graphqlErrorResponses++;
        try {
          const parsed = JSON.parse(body) as { errors?: { extensions?: { code?: string } }[] };
          for (const e of parsed.errors ?? []) {
            const code = e.extensions?.code ?? "UNKNOWN";
            errorCodes[code] = (errorCodes[code] ?? 0) + 1;
          }
        } catch {
          errorCodes.UNPARSEABLE = (errorCodes.UNPARSEABLE ?? 0) + 1;
        }
      }
    : undefined;
  const result = await autocannon({
    url: job.url,
    connections: job.connections,
    duration: job.durationSec,
    overallRate: job.overallRate,
    timeout: 30,
    method: "POST",
    headers: { "content-type": "application/json" },
    requests: job.bodies.map((body) => ({ method: "POST", body, onResponse })),
  });
  return {
    requestsPerSec: result.requests.average,
    total: result.requests.total,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99,
    latencyMax: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    durationSec: result.duration,
    graphqlErrorResponses,
    errorCodes,
  };
}
