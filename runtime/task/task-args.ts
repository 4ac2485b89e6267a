/** What the main thread sends a subtask actor (structured-clone safe: SABs are shared, not copied). */
import type { ChannelSpec } from '../../actors/in-worker.ts';
import type { BatchingOptions } from './record-writer.ts';
import type { BufferDebloatConfig } from './buffer-debloater.ts';
import type { SubtaskRestore } from '../recovery/restore-planner.ts';
import type { PushChannelArgs } from '../operators/sources/push-source.ts';

export interface OutputChannelArgs {
  readonly channel: ChannelSpec;
  /** Doorbell of the consumer (rung after every publish). */
  readonly doorbell: SharedArrayBuffer;
}

export interface StreamTaskArgs {
  readonly jobId: string;
  readonly jobName: string;
  readonly moduleUrl: string;
  readonly attempt: number;
  readonly params: unknown;
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly fingerprint: string;
  readonly vertex: number;
  readonly subtask: number;
  /** Input channels in input-index order. */
  readonly inputs: readonly ChannelSpec[];
  /** For each input channel: the input ordinal (edge) of this vertex it belongs to. */
  readonly inputEdges: readonly number[];
  /** This subtask's own doorbell (its producers ring it). */
  readonly doorbell: SharedArrayBuffer;
  /** Per output edge (vertex.outputs order), per consumer subtask. */
  readonly outputs: ReadonlyArray<ReadonlyArray<OutputChannelArgs>>;
  /** Channel to the main thread for a collect sink in this chain. */
  readonly collect?: OutputChannelArgs;
  readonly state: { readonly backend: 'heap' | 'lmdb'; readonly directory: string };
  readonly batching: BatchingOptions;
  /** Buffer debloating of this subtask's input channels (input tasks), when enabled. */
  readonly bufferDebloat?: BufferDebloatConfig;
  /** Present when checkpointing is enabled. */
  readonly checkpointing?: TaskCheckpointingArgs;
  /** Present when this attempt restores from a checkpoint or savepoint. */
  readonly restore?: SubtaskRestore;
  /** A user source's splits assigned to this subtask (job/source-splits.ts); used unless restored state has its own. */
  readonly initialSplits?: readonly object[];
  /** A push source's channel from the main thread (job/push-sources.ts). */
  readonly push?: PushChannelArgs;
  /**
   * Sources only: read nothing until `startReading` (the job master sends it once every subtask of
   * the attempt is deployed). A source that ran at once took its thread's time from the subtasks
   * still deploying on it, and its output only filled the channels to them (job/attempt.ts).
   */
  readonly awaitStart?: boolean;
}

export interface TaskCheckpointingArgs {
  readonly mode: 'exactly-once' | 'at-least-once';
  /** Absolute `<checkpoint-dir>/<job-id>`: checkpoint files go to `chk-<n>/`, incremental ones to `shared/`. */
  readonly root: string;
  readonly incremental: boolean;
}
