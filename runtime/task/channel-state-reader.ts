/**
 * The in-flight data a subtask restores from unaligned checkpoints (Flink's
 * `ChannelStateReader` / `SequentialChannelStateReader`). Restore has one owner per side: the
 * job master's restore planner (runtime/recovery/restore-planner.ts) decides which files each
 * subtask reads and how (same channels, or re-routed after rescaling); the task applies it —
 * keyed and operator state in StreamTask.open, a source's split in SourceTask, and this
 * in-flight data, replayed BEFORE any new input: first the producer side (frames this subtask
 * had not yet published are re-sent), then the consumer side (frames its barrier had
 * overtaken are processed, input-task.ts).
 */
import path from 'node:path';
import { keyGroupFor, keyGroupRangeForSubtask, keyGroupRangeContains } from '../../state/index.ts';
import { readChannelStateFile } from '../checkpoint/channel-state-file.ts';
import { decodeBatch } from '../io/record-codec.ts';
import { RECORD_BATCH_KIND, decodeElement } from '../io/stream-elements.ts';
import type { SubtaskRestore } from '../recovery/restore-planner.ts';
import type { ReplayFrame } from './frame-processor.ts';
import type { Frame } from '../../actors/in-worker.ts';
import type { JobGraph, JobVertex } from '../graph/job-graph.ts';
import type { TaskOutputs } from './task-outputs.ts';

export interface RestoredInFlight {
  /** Consumer side, same parallelism: frames to process as if read from `channel`. */
  readonly inputFrames: ReplayFrame[];
  /** Consumer side, rescaled: records this subtask now owns, with the input edge (ordinal of vertex.inputs) they came in on. */
  readonly inputRecords: Array<{ edge: number; record: unknown; ts: number | undefined }>;
  /** Producer side, same parallelism: frames to re-send on (edge, target). */
  readonly outputFrames: Array<Frame & { readonly edge: number; readonly target: number }>;
  /** Producer side, rescaled: records to re-emit through the edge's partitioner (on a broadcast edge: to `targets`). */
  readonly outputRecords: Array<{ edge: number; record: unknown; ts: number | undefined; targets?: number[] }>;
  /** Bytes of persisted in-flight data read (for recovery statistics). */
  bytes: number;
}

export function resolveIn(restore: SubtaskRestore): (relative: string) => string {
  return (rel) => path.join(restore.rootDir, ...rel.split('/'));
}

/** The subtask whose in-flight data is read. */
export interface RestoringSubtask {
  readonly vertex: JobVertex;
  readonly graph: JobGraph;
  readonly subtask: number;
}

/** Reads the channel-state files `restore` assigns to this subtask. */
export async function loadRestoredInFlight(task: RestoringSubtask, restore: SubtaskRestore): Promise<RestoredInFlight> {
  const out: RestoredInFlight = { inputFrames: [], inputRecords: [], outputFrames: [], outputRecords: [], bytes: 0 };
  const resolve = resolveIn(restore);
  const { vertex, graph } = task;
  const range = keyGroupRangeForSubtask(graph.maxParallelism, vertex.parallelism, task.subtask);
  for (const a of restore.channelState) {
    const contents = await readChannelStateFile(resolve(a.file), a.sha256);
    if (a.input === 'same') {
      for (const ch of contents.input) for (const f of ch.frames) {
        out.inputFrames.push({ channel: ch.channel, kind: f.kind, payload: f.payload });
        out.bytes += f.payload.byteLength;
      }
    } else if (a.input === 'reroute') {
      for (const ch of contents.input) {
        const edge = vertex.inputs[ch.edge];
        const keyed = edge?.partitioning === 'hash' && edge.keySelector;
        // A broadcast input is replayed by every subtask that inherited old subtask a.oldSubtask's broadcast state.
        const mine = edge?.partitioning === 'broadcast' ? task.subtask % restore.oldParallelism === a.oldSubtask : a.oldSubtask % vertex.parallelism === task.subtask;
        if (!keyed && !mine) continue;
        for (const f of ch.frames) {
          if (f.kind !== RECORD_BATCH_KIND) continue; // watermarks of rescaled in-flight data are dropped
          out.bytes += f.payload.byteLength;
          const { records, timestamps } = decodeBatch(f.payload);
          records.forEach((r, i) => {
            if (keyed && !keyGroupRangeContains(range, keyGroupFor(edge.keySelector!(r), graph.maxParallelism))) return;
            const t = timestamps?.[i];
            out.inputRecords.push({ edge: ch.edge, record: r, ts: t === undefined || Number.isNaN(t) ? undefined : t });
          });
        }
      }
    }
    if (a.output === 'same') {
      for (const o of contents.output) for (const f of o.frames) {
        out.outputFrames.push({ edge: o.edge, target: o.target, kind: f.kind, payload: f.payload });
        out.bytes += f.payload.byteLength;
      }
    } else if (a.output === 'reroute') {
      for (const o of contents.output) {
        const edge = vertex.outputs[o.edge];
        const targets = edge?.partitioning === 'broadcast' ? inheritorsOf(o.target, restore.outputsOldParallelism[o.edge]!, graph.vertices[edge.to]!.parallelism) : undefined;
        for (const f of o.frames) {
          if (f.kind !== RECORD_BATCH_KIND) continue;
          out.bytes += f.payload.byteLength;
          const { records, timestamps } = decodeBatch(f.payload);
          records.forEach((r, i) => {
            const t = timestamps?.[i];
            out.outputRecords.push({ edge: o.edge, record: r, ts: t === undefined || Number.isNaN(t) ? undefined : t, ...(targets ? { targets } : {}) });
          });
        }
      }
    }
  }
  return out;
}

/** Producer side first: what this subtask had not published when the checkpoint was taken. */
export function replayOutput(outputs: TaskOutputs, inflight: RestoredInFlight): void {
  for (const f of inflight.outputFrames) {
    const decoded = f.kind === RECORD_BATCH_KIND ? undefined : decodeElement(f.kind, f.payload);
    if (decoded && decoded.type !== 'watermark') continue; // barriers of the old attempt mean nothing now
    outputs.writers[f.edge]!.sendFrame(f.target, f.kind, f.payload);
  }
  for (const r of inflight.outputRecords) {
    const w = outputs.writers[r.edge]!;
    if (r.targets) for (const c of r.targets) w.emitTo(c, r.record, r.ts);
    else w.emit(r.record, r.ts);
  }
}

/**
 * The new consumers of a broadcast edge that inherit old consumer `oldTarget`'s broadcast state
 * (c mod p₀ = oldTarget): what was still unsent to it goes to each of them, and to no other.
 */
export function inheritorsOf(oldTarget: number, oldParallelism: number, parallelism: number): number[] {
  const out: number[] = [];
  for (let c = oldTarget; c < parallelism; c += oldParallelism) out.push(c);
  return out;
}
