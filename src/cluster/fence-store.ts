import type { ClusterState } from "./cluster-state";
import type { LeaderElector } from "./leader-elector";

/** What fencing needs of a store: `PgStore.setEpoch`. */
export interface FenceableStore {
  setEpoch(epoch: number | null): void;
}

/**
 * Keeps a store's write epoch in step with the elector: the epoch it won while LEADER, none while STANDBY.
 * The change is applied synchronously in the elector's notification, so a leader that steps down refuses
 * the very next write, before any database round trip. Returns the function that detaches it.
 */
export function fenceStoreWithElector(store: FenceableStore, elector: LeaderElector): () => void {
  const apply = (s: ClusterState) => store.setEpoch(s.role === "LEADER" ? s.epoch : null);
  apply(elector.state());
  return elector.onChange(apply);
}
