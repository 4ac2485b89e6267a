/** Declarative descriptions of the built-in sinks; executed by `runtime/operators/sinks/`. */
import type { TwoPhaseCommitSinkDefinition } from '../operators/sinks/two-phase-commit-sink.ts';
import type { AsyncBatchSinkDefinition } from '../operators/sinks/async-batch-sink.ts';

export type SinkSpec =
  /** Hands records to the calling thread (tests, embedding) through a ring buffer read on the main thread. */
  | { type: 'collect'; name: string }
  /** Writes each record to stdout, one line each. */
  | { type: 'console'; prefix?: string }
  /** JSON Lines, one part file per subtask in `directory`. */
  | { type: 'jsonl'; directory: string }
  /** A user sink function called per record in the worker (synchronous). */
  | { type: 'function'; fn: (value: unknown) => void }
  /** An exactly-once sink driven by checkpoints (`stream.sinkTo()`); `sink.create(info)` runs once per subtask in the worker. */
  | { type: 'two-phase-commit'; sink: TwoPhaseCommitSinkDefinition<any, any> }
  /** An at-least-once sink with asynchronous batched writes (`stream.sinkTo(asyncBatchSink(...))`). */
  | { type: 'async-batch'; sink: AsyncBatchSinkDefinition<any> };
