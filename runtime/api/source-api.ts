/**
 * The public Source API, shaped like Flink's FLIP-27 sources: a source declares **splits** (the
 * units of parallel, resumable reading: a file or a byte range of one, a partition of a log, a
 * stream), and a **split reader** per subtask reads the splits assigned to it.
 *
 * - `createSplits` runs once on the main thread when the job starts from no checkpoint (or the
 *   source is new in the restored job); the splits are dealt round-robin to the source's subtasks.
 * - `createReader` runs in the worker, once per subtask. The reader gets its splits with
 *   `addSplits` (at start: the new ones; after a restore: the checkpointed ones, positions
 *   included), and hands records to the task from `poll`: at once when some are ready, or as a
 *   Promise when it must wait (the subtask keeps running checkpoints and other mails meanwhile,
 *   so a reader awaits its I/O freely).
 * - `snapshotSplits` is called at every checkpoint and each time `poll` returns a Promise (a
 *   checkpoint while that poll is pending stores the splits as they were when it began): the
 *   assigned splits with the position after the last record `poll` returned. It is the source's operator state; on restore
 *   with another parallelism the splits are dealt round-robin over the new subtasks. So a reader
 *   that resumes exactly at a split's position gives exactly-once input.
 *
 * A split is a plain data object (numbers, strings, arrays, plain objects, …: it is stored in the
 * checkpoint's metadata as exact JSON) that carries everything needed to resume: which part of
 * the data and where in it. Splits are not discovered while the job runs (Flink's enumerator can
 * add Kafka partitions later; Weir's assignment is fixed at the start).
 */
import type { TaskInfo } from './functions.ts';

/** A split: a plain data object (stored in checkpoints). */
export type SourceSplit = object;

export interface SplitEnumerationContext {
  /** The source's parallelism: how many subtasks the splits are dealt to. */
  readonly parallelism: number;
}

export interface SplitReaderContext {
  readonly taskInfo: TaskInfo;
  /** Processing time of the subtask's clock (epoch ms). */
  now(): number;
  /** A Promise resolving after `ms` (e.g. for a reader that polls an external system). */
  sleep(ms: number): Promise<void>;
}

/** What one `poll` returns. */
export interface SourcePoll<T> {
  /** Records to emit now, in order (may be empty). */
  readonly records: readonly T[];
  /** The reader's splits are all finished: no record will ever come again (bounded sources). */
  readonly done: boolean;
}

export interface SourceSplitReader<T, S extends SourceSplit> {
  /** Splits assigned to this subtask: once before the first poll (empty array when none). */
  addSplits(splits: S[]): void | Promise<void>;
  /** Up to `max` records, or a Promise of them when none are ready yet. */
  poll(max: number): SourcePoll<T> | Promise<SourcePoll<T>>;
  /** Every assigned split not finished, with its position after the last polled record. */
  snapshotSplits(): S[];
  close?(): void | Promise<void>;
}

export interface Source<T, S extends SourceSplit> {
  /** 'bounded' sources end (their readers return `done`); 'unbounded' ones run until cancelled. */
  readonly boundedness: 'bounded' | 'unbounded';
  /** On the main thread, at the start of a job that does not restore this source's state. */
  createSplits(ctx: SplitEnumerationContext): S[] | Promise<S[]>;
  /** In the worker, once per subtask. */
  createReader(ctx: SplitReaderContext): SourceSplitReader<T, S>;
}
