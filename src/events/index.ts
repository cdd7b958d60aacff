export { AsyncQueue } from "./async-queue";
export { Pacer } from "./pacer";
export { SequencedLog, type SequencedLogOptions } from "./sequenced-log";
export {
  fromPayload,
  JournaledLog,
  MemoryJournal,
  type Journal,
  type JournaledLogOptions,
  type ResumeFrom,
} from "./journaled-log";
