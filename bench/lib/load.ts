import { fork } from "node:child_process";
import { join } from "node:path";

export interface LoadJob {
  url: string;
  connections: number;
  durationSec: number;
  /** Request bodies, cycled in order by every connection. */
  bodies: string[];
  /** Open-loop rate over all connections; unset = as fast as the server answers. */
  overallRate?: number;
  /** Parse every answer and count GraphQL error codes (costs load-generator CPU; off for throughput). */
  countGraphQLErrors?: boolean;
}

export interface LoadResult {
  requestsPerSec: number;
  total: number;
  latencyP50: number;
  latencyP99: number;
  latencyMax: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSec: number;
  graphqlErrorResponses: number;
  errorCodes: Record<string, number>;
}

/** Runs autocannon in a child process against `job.url` and returns its summary. */
export function runLoad(job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, "..", "children", "load-child.js"), [], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let answered = false;
    child.once("message", (msg: LoadResult | { error: string }) => {
      answered = true;
      if ("error" in msg) reject(new Error(`load generator failed: ${msg.error}`));
      else resolve(msg);
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      if (!answered) reject(new Error(`load generator exited with code ${code} before answering`));
    });
    child.send(job);
  });
}
