import { Socket } from "node:net";
import pg from "pg";
import { ADVISORY_LEADER, ADVISORY_NAMESPACE, migratePgSchema } from "../store/pg-store";
import type { ClusterState } from "./cluster-state";

export interface LeaderElectorOptions {
  /** The database the instances share (the store's DATABASE_URL). */
  databaseUrl: string;
  /** Unique per instance, e.g. the host name and port. */
  instanceId: string;
  /** Where other instances (and clients) reach this one, shown to them while it leads. */
  advertiseUrl: string;
  /**
   * How long a leader that cannot be heard from keeps its role: it steps down itself before this, and a
   * standby ends its lock session after it, so failover after a hang or a partition takes at most about
   * this long. @default 10
   */
  leaseSeconds?: number;
  /** How often the leader renews and a standby tries to take over. @default leaseSeconds / 5 */
  checkIntervalMs?: number;
  logger?: {
    info(obj: object, msg: string): void;
    warn(obj: object, msg: string): void;
  };
}

export interface LeaderElector {
  /** Connects and makes the first attempt; resolves with the state after it (the loop goes on). */
  start(): Promise<ClusterState>;
  /** Leaves the election: ends the lock session, so a standby takes over at its next check. */
  stop(): Promise<void>;
  state(): ClusterState;
  /**
   * LEADER with a renewal recent enough that no standby can have taken over: what may talk to IB. Read
   * from the clock, not from the last round, so it turns false during a pause before any round runs.
   */
  holdsFreshLease(): boolean;
  /** Called on every change of role, leader or epoch. Returns the unsubscribe function. */
  onChange(listener: (state: ClusterState, previous: ClusterState) => void): () => void;
}

/**
 * One leader among the instances sharing a database: the holder of a session-level advisory lock, held on a
 * connection of its own. The database releases the lock when that session ends (the process died, its
 * connection dropped, or a standby ended it after the lease ran out), so leadership needs no clean hand-over.
 *
 * On taking the lock, the new leader increments the epoch in the `cluster` row; the store refuses writes
 * under an older epoch (fencing, see PgStore), which covers the one case the lock cannot: an old leader
 * that does not know yet that it lost.
 *
 * Liveness: the leader renews `cluster_lease.renewed_at` every check. A standby that finds it older than
 * the lease (database clock) terminates the holder's session (pg_terminate_backend) and takes over next
 * check: TCP keep-alive alone would not catch a paused process, whose kernel still answers the probes.
 * The leader steps down on its own as soon as a renewal fails, is late, or its connection reports an
 * error, before a standby can have replaced it.
 */
export function createLeaderElector(options: LeaderElectorOptions): LeaderElector {
  return new PgLeaderElector(options);
}

class PgLeaderElector implements LeaderElector {
  private current: ClusterState;
  private readonly listeners = new Set<(state: ClusterState, previous: ClusterState) => void>();
  private readonly leaseMs: number;
  private readonly checkMs: number;
  private client: pg.Client | undefined;
  private socket: Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** performance.now() of the last renewal the database confirmed. */
  private renewedAt = 0;

  constructor(private readonly options: LeaderElectorOptions) {
    this.leaseMs = Math.max(1, options.leaseSeconds ?? 10) * 1000;
    this.checkMs = Math.max(50, options.checkIntervalMs ?? this.leaseMs / 5);
    this.current = {
      instanceId: options.instanceId,
      role: "STANDBY",
      leaderId: null,
      leaderUrl: null,
      epoch: 0,
    };
  }

  holdsFreshLease(): boolean {
    return this.current.role === "LEADER" && performance.now() - this.renewedAt <= this.leaseMs * 0.8;
  }

  state(): ClusterState {
    return { ...this.current };
  }

  onChange(listener: (state: ClusterState, previous: ClusterState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<ClusterState> {
    this.stopped = false;
    await this.check();
    this.timer = setInterval(() => void this.check(), this.checkMs);
    return this.state();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    await this.stepDown("stopped");
  }

  /** One round; a round still running (a slow database) is not overlapped. */
  private check(): Promise<void> {
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<void> {
    if (this.stopped) return;
    if (this.current.role === "LEADER" && performance.now() - this.renewedAt > this.leaseMs * 0.8) {
      // This process was not scheduled for most of a lease (a pause, a GC, a frozen VM): a standby may
      // already be ending our session. Stop writing first, find out later.
      await this.stepDown(`no renewal for ${Math.round(performance.now() - this.renewedAt)} ms`);
      return;
    }
    try {
      const client = this.client ?? (await this.connect());
      if (this.current.role === "LEADER") await this.renew(client);
      else await this.tryAcquire(client);
    } catch (e) {
      if (this.current.role === "LEADER")
        await this.stepDown(`lock connection failed: ${(e as Error).message}`);
      else {
        this.options.logger?.warn({ err: e }, "cluster: election round failed; retrying");
        await this.disconnect();
      }
    }
  }

  private async connect(): Promise<pg.Client> {
    const leaseS = this.leaseMs / 1000;
    // The server ends the session of a client gone silent (a partition, a dead host) within about a lease:
    // first probe after half the lease, then three probes a sixth apart. Values are whole seconds.
    const idle = Math.max(1, Math.floor(leaseS / 2));
    const interval = Math.max(1, Math.floor(leaseS / 6));
    const client = new pg.Client({
      connectionString: this.options.databaseUrl,
      application_name: `ibkr-graphql leader election ${this.options.instanceId}`.slice(0, 63),
      keepAlive: true,
      keepAliveInitialDelayMillis: idle * 1000,
      // A query that hangs (a half-open connection) fails in half a lease instead of never.
      query_timeout: Math.max(100, Math.floor(this.leaseMs / 2)),
      options:
        `-c tcp_keepalives_idle=${idle} -c tcp_keepalives_interval=${interval} -c tcp_keepalives_count=3 ` +
        `-c statement_timeout=${Math.floor(this.leaseMs / 2)}`,
      // Our own socket, so a connection that no longer answers can be destroyed without waiting for it.
      stream: () => (this.socket = new Socket()),
    });
    client.on("error", (e) => this.lost(client, e));
    client.on("end", () => this.lost(client, new Error("the connection was closed")));
    this.client = client;
    try {
      await client.connect();
      await migratePgSchema(client, this.options.databaseUrl);
    } catch (e) {
      await this.disconnect();
      throw e;
    }
    return client;
  }

  private async tryAcquire(client: pg.Client): Promise<void> {
    const { rows } = await client.query<{ acquired: boolean }>(
      "SELECT pg_try_advisory_lock($1, $2) AS acquired",
      [ADVISORY_NAMESPACE, ADVISORY_LEADER],
    );
    if (rows[0]?.acquired) {
      // Waits for write transactions of the old epoch still open (they hold the row FOR SHARE); every
      // write transaction after this one sees the new epoch.
      const { rows: won } = await client.query<{ epoch: string }>(
        `WITH bumped AS (
           UPDATE cluster SET epoch = epoch + 1, leader_id = $1, leader_url = $2 RETURNING epoch)
         INSERT INTO cluster_lease (id, epoch, leader_pid, renewed_at)
           SELECT true, epoch, pg_backend_pid(), now() FROM bumped
         ON CONFLICT (id) DO UPDATE SET epoch = excluded.epoch, leader_pid = excluded.leader_pid,
           renewed_at = excluded.renewed_at
         RETURNING epoch`,
        [this.options.instanceId, this.options.advertiseUrl],
      );
      this.renewedAt = performance.now();
      const epoch = Number((won[0] as { epoch: string }).epoch);
      this.options.logger?.info({ epoch }, "cluster: this instance is the leader");
      this.update({
        role: "LEADER",
        leaderId: this.options.instanceId,
        leaderUrl: this.options.advertiseUrl,
        epoch,
        reason: undefined,
      });
      return;
    }
    const { rows: seen } = await client.query<{
      epoch: string;
      leader_id: string | null;
      leader_url: string | null;
      expired: boolean;
    }>(
      `SELECT c.epoch, c.leader_id, c.leader_url,
              (l.renewed_at IS NOT NULL AND l.renewed_at < now() - make_interval(secs => $1)) AS expired
         FROM cluster c LEFT JOIN cluster_lease l ON l.epoch = c.epoch`,
      [this.leaseMs / 1000],
    );
    const row = seen[0];
    if (!row) throw new Error("the cluster table has no row");
    this.update({
      role: "STANDBY",
      leaderId: row.leader_id,
      leaderUrl: row.leader_url,
      epoch: Number(row.epoch),
    });
    if (row.expired) await this.endStaleLeader(client, row.leader_id);
  }

  /**
   * The leader stopped renewing but still holds the lock (paused, or cut off): end its session. One
   * statement re-checks the expiry against the lease of the CURRENT epoch and ends only the session that
   * lease names, if it still holds the lock: a standby that read "expired" just before another standby took
   * over must not end the new leader.
   */
  private async endStaleLeader(client: pg.Client, leaderId: string | null): Promise<void> {
    const { rows } = await client.query<{ pid: number }>(
      `SELECT l.leader_pid AS pid, pg_terminate_backend(l.leader_pid) AS ended
         FROM cluster c JOIN cluster_lease l ON l.epoch = c.epoch
        WHERE l.renewed_at < now() - make_interval(secs => $3)
          AND l.leader_pid <> pg_backend_pid()
          AND EXISTS (SELECT 1 FROM pg_locks k
                       WHERE k.pid = l.leader_pid AND k.locktype = 'advisory' AND k.granted
                         AND k.classid = $1::bigint::oid AND k.objid = $2::bigint::oid AND k.objsubid = 2)`,
      [ADVISORY_NAMESPACE, ADVISORY_LEADER, this.leaseMs / 1000],
    );
    for (const { pid } of rows) {
      this.options.logger?.warn(
        { leaderId, pid, leaseSeconds: this.leaseMs / 1000 },
        "cluster: the leader did not renew its lease; ended its lock session",
      );
    }
  }

  private async renew(client: pg.Client): Promise<void> {
    const { rows } = await client.query<{ epoch: string }>(
      "UPDATE cluster_lease SET renewed_at = now() WHERE epoch = $1 AND leader_pid = pg_backend_pid() RETURNING epoch",
      [this.current.epoch],
    );
    if (rows.length === 0) {
      await this.stepDown("another instance took over (the lease names a newer epoch)");
      return;
    }
    this.renewedAt = performance.now();
  }

  /** Stops leading at once (listeners hear it synchronously), then drops the session and its lock. */
  private stepDown(reason: string): Promise<void> {
    if (this.current.role === "LEADER") {
      this.options.logger?.warn({ reason, epoch: this.current.epoch }, "cluster: stepping down");
      this.update({ role: "STANDBY", reason });
    }
    return this.disconnect();
  }

  private lost(client: pg.Client, e: Error): void {
    if (client !== this.client) return;
    void this.stepDown(`lock connection lost: ${e.message}`);
  }

  private async disconnect(): Promise<void> {
    const client = this.client;
    const socket = this.socket;
    this.client = undefined;
    this.socket = undefined;
    if (!client) return;
    // end() marks the close as ours; destroying the socket at once ends the session for the server too (it
    // sees the close), where a polite Terminate could wait forever on a connection that no longer answers.
    const ended = client.end().catch(() => undefined);
    socket?.destroy();
    await ended;
  }

  private update(change: Partial<ClusterState>): void {
    const previous = this.current;
    const next: ClusterState = { ...previous, ...change };
    if (next.role !== "STANDBY" || next.reason === undefined) delete next.reason;
    const same =
      next.role === previous.role &&
      next.leaderId === previous.leaderId &&
      next.leaderUrl === previous.leaderUrl &&
      next.epoch === previous.epoch;
    this.current = next;
    if (same) return;
    for (const l of [...this.listeners]) l({ ...next }, { ...previous });
  }
}
