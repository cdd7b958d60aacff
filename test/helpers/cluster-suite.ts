import { after, before } from "node:test";
import { startClusterHarness, type ClusterHarness } from "./cluster";
import { startPostgres, type TestPostgres } from "./postgres";

/**
 * A cluster for a whole test file: PostgreSQL and `count` instances started in a `before` hook, stopped in
 * an `after` hook. Returns an accessor, since the cluster exists only once the hook has run.
 */
export function clusterForFile(database: string, count: number, leaseSeconds: number): () => ClusterHarness {
  let server: TestPostgres | undefined;
  let harness: ClusterHarness | undefined;
  before(async () => {
    server = await startPostgres();
    const databaseUrl = await server.createDatabase(database);
    harness = await startClusterHarness({ databaseUrl, count, leaseSeconds });
  });
  after(async () => {
    await harness?.stop();
    await server?.stop();
  });
  return () => {
    if (!harness) throw new Error("the cluster did not start (see the before hook's error)");
    return harness;
  };
}
