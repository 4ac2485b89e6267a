/**
 * Reads a completed checkpoint back, independently of the runtime's restore
 * path: keyed state through a fresh heap backend, channel state by decoding
 * the persisted frames, source offsets from operator state.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHeapKeyedStateBackend, ListStateDescriptor, ValueStateDescriptor, type KeyedStateHandle } from '../../state/index.ts';
import { readChannelStateFile } from '../../runtime/checkpoint/channel-state-file.ts';
import { decodeBatch } from '../../runtime/io/record-codec.ts';
import { RECORD_BATCH_KIND } from '../../runtime/io/stream-elements.ts';
import { METADATA_FILE_NAME, completedCheckpointFromMetadata, parseMetadata, type CompletedCheckpoint } from '../../runtime/checkpoint/checkpoint-metadata.ts';

interface SubtaskEntry { vertexId: string; subtask: number; state: { keyed?: KeyedStateHandle; operator: Record<string, unknown> }; channelState: { file: string } | null }

function subtasks(c: CompletedCheckpoint): SubtaskEntry[] {
  const body = c.metadata as unknown as { subtasks: Array<{ vertexId: string; subtask: number; stateHandles: SubtaskEntry['state']; channelStateHandles: SubtaskEntry['channelState'] }> };
  return body.subtasks.map((s) => ({ vertexId: s.vertexId, subtask: s.subtask, state: s.stateHandles, channelState: s.channelStateHandles }));
}

/** Root that checkpoint file paths are relative to. */
function rootOf(c: CompletedCheckpoint): string {
  return c.kind === 'savepoint' ? c.directory : path.dirname(c.directory);
}

/** ValueState 'count' of keys 0..keys-1, from every subtask of `vertexId`. */
export async function countsByKey(c: CompletedCheckpoint, vertexId: string, keys: number, maxParallelism = 128): Promise<number[]> {
  const handles = subtasks(c).filter((s) => s.vertexId === vertexId && s.state.keyed).map((s) => s.state.keyed!);
  const backend = createHeapKeyedStateBackend({ keyGroupRange: { start: 0, end: maxParallelism - 1 }, maxParallelism });
  await backend.restore(handles, (rel) => path.join(rootOf(c), ...rel.split('/')));
  const state = backend.getState(new ValueStateDescriptor<number>('count'));
  const counts: number[] = [];
  for (let k = 0; k < keys; k++) {
    backend.setCurrentKey(k);
    counts.push(state.value() ?? 0);
  }
  await backend.dispose();
  return counts;
}

/** Records in the persisted in-flight data: input channel state of `consumers`, output channel state of `producers`. */
export async function inFlightRecords(c: CompletedCheckpoint, opts: { consumers: string[]; producers: string[] }): Promise<{ records: unknown[]; bytes: number; partialFrames: number; outputFrames: number }> {
  const records: unknown[] = [];
  let bytes = 0;
  let partialFrames = 0;
  let outputFrames = 0;
  for (const s of subtasks(c)) {
    if (!s.channelState) continue;
    const contents = await readChannelStateFile(path.join(rootOf(c), ...s.channelState.file.split('/')));
    const frames = [
      ...(opts.consumers.includes(s.vertexId) ? contents.input.flatMap((i) => i.frames) : []),
      ...(opts.producers.includes(s.vertexId) ? contents.output.flatMap((o) => o.frames) : []),
    ];
    // Input frames with index -1: the unprocessed rest of a frame the consumer was in the middle of.
    if (opts.consumers.includes(s.vertexId)) partialFrames += contents.input.flatMap((i) => i.frames).filter((f) => f.index === -1).length;
    if (opts.producers.includes(s.vertexId)) outputFrames += contents.output.reduce((n, o) => n + o.frames.length, 0);
    for (const f of frames) {
      bytes += f.payload.byteLength;
      if (f.kind === RECORD_BATCH_KIND) records.push(...decodeBatch(f.payload).records);
    }
  }
  return { records, bytes, partialFrames, outputFrames };
}

/** Values a split-based source (sequence/generator) had NOT yet emitted at the checkpoint, by subtask. */
export function remainingSourceValues(c: CompletedCheckpoint, sourceUid: string): Map<number, Set<number>> {
  const m = new Map<number, Set<number>>();
  for (const s of subtasks(c)) {
    const o = s.state.operator?.[sourceUid] as unknown as { splits: Array<{ next: number; end: number; step: number }> } | undefined;
    if (!o) continue;
    const rest = new Set<number>();
    for (const sp of o.splits) for (let v = sp.next; v <= sp.end; v += sp.step) rest.add(v);
    m.set(s.subtask, rest);
  }
  return m;
}

/** ListState 'seen' of keys 0..keys-1, from every subtask of `vertexId`. */
export async function seenByKey(c: CompletedCheckpoint, vertexId: string, keys: number, maxParallelism = 128): Promise<number[][]> {
  const handles = subtasks(c).filter((s) => s.vertexId === vertexId && s.state.keyed).map((s) => s.state.keyed!);
  const backend = createHeapKeyedStateBackend({ keyGroupRange: { start: 0, end: maxParallelism - 1 }, maxParallelism });
  await backend.restore(handles, (rel) => path.join(rootOf(c), ...rel.split('/')));
  const state = backend.getState(new ListStateDescriptor<number>('seen'));
  const out: number[][] = [];
  for (let k = 0; k < keys; k++) {
    backend.setCurrentKey(k);
    out.push([...(state.get() ?? [])]);
  }
  await backend.dispose();
  return out;
}

/** The completed checkpoint (or savepoint) in `directory`, read from its `_metadata`. */
export function readCompletedCheckpoint(directory: string): CompletedCheckpoint {
  const file = path.join(directory, METADATA_FILE_NAME);
  return completedCheckpointFromMetadata(parseMetadata(fs.readFileSync(file, 'utf8'), file), file, directory);
}
