export { AsyncQueue } from "./async-queue";
export { Pacer } from "./pacer";
export { SequencedLog, type SequencedLogOptions } from "./sequenced-log";
