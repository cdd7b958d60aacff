export { AsyncQueue } from "./async-queue";
export { SequencedLog, type SequencedLogOptions } from "./sequenced-log";
