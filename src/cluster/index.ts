export type { ClusterState, ElectedRole } from "./cluster-state";
export { fenceStoreWithElector, type FenceableStore } from "./fence-store";
export { tailJournal, type JournalTailer, type TailOptions, type TailSource } from "./journal-tailer";
export { createLeaderElector, type LeaderElector, type LeaderElectorOptions } from "./leader-elector";
