/** What an elector can be. `SINGLE` (no cluster configured) belongs to the API layer, not to an elector. */
export type ElectedRole = "LEADER" | "STANDBY";

/** What an instance knows of the cluster: the shape behind the API's `ClusterStatus`. */
export interface ClusterState {
  instanceId: string;
  role: ElectedRole;
  /** The leader as last read from the database; null before any instance led. */
  leaderId: string | null;
  leaderUrl: string | null;
  /** Incremented by each new leader; the store refuses writes carrying an older one. */
  epoch: number;
  /** Why this instance stopped leading, while it is a standby after having led. */
  reason?: string;
}
