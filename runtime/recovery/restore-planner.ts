/**
 * Maps a completed checkpoint or savepoint onto the job graph being started:
 * which state handles, operator state and persisted in-flight data each new
 * subtask restores. Pure: no I/O (the files are read by the subtasks).
 *
 * Rules (Flink's, see FLINK-SEMANTICS §4):
 *   1. State is matched by operator uid: keyed state by the uid of the keyed
 *      vertex's head, operator state by each operator's uid. State whose uid
 *      matches no operator is an error (WEIR_RESTORE_UNMATCHED_STATE) unless
 *      `allowNonRestoredState`. A new operator starts empty.
 *   2. Max parallelism must not change (it is the number of key groups).
 *   3. Same parallelism: subtask s restores old subtask s.
 *   4. Rescaling: keyed state by key-group range (every old handle whose range
 *      intersects the new subtask's; the backend keeps only its own groups);
 *      source splits are dealt out round-robin; union state (operators/union-state.ts)
 *      goes whole to every new subtask; broadcast state (operators/broadcast-state.ts)
 *      of old subtask s mod p goes to new subtask s (every subtask held a whole
 *      copy); other operator state of old subtask s goes to new subtask s mod p'.
 *   5. In-flight data (unaligned checkpoints): with the same parallelism on
 *      both ends of an edge, frames are replayed on the same channel. Otherwise
 *      the records are re-routed: input records of a keyBy edge go to the new
 *      subtask that owns their key group (never duplicated: each record has
 *      exactly one owner), input records of a broadcast edge to every new
 *      subtask s that inherits old subtask s mod p's broadcast state, other
 *      inputs from old subtask s to s mod p'; a producer's unsent output (old
 *      subtask s) is re-emitted by new subtask s mod p' through its
 *      partitioner (on a broadcast edge: what was unsent to old consumer t goes
 *      to every new consumer c with c mod p = t). Watermarks in rescaled in-flight
 *      data are dropped (the sources re-emit watermarks). In-flight data replays only
 *      into the same place (vertex-topology.ts): a changed chain or edges holding it
 *      is WEIR_RESTORE_INCOMPATIBLE, allowNonRestoredState or not; a removed vertex's
 *      is unmatched state.
 */
import { keyGroupRangeForSubtask, type KeyedStateHandle, type KeyGroupRange } from '../../state/index.ts';
import type { JobGraph, JobVertex } from '../graph/job-graph.ts';
import type { CheckpointMetadata } from '../checkpoint/checkpoint-metadata.ts';
import { isSplitState, redistributeSplits, type SplitState } from '../operators/sources/simple-sources.ts';
import { isUnionState } from '../operators/union-state.ts';
import { isBroadcastStateSnapshot } from '../operators/broadcast-state.ts';
import { WeirError } from '../../common/weir-error.ts';
import { placementOf } from './vertex-topology.ts';

/** How one new subtask reads one old subtask's channel-state file. */
export interface ChannelStateAssignment {
  /** Relative to `rootDir`. */
  readonly file: string;
  readonly sha256: string | undefined;
  readonly oldSubtask: number;
  /** Input side: 'same' = replay frames on the same channel index; 'reroute' = decode records and keep those this subtask owns. */
  readonly input: 'same' | 'reroute' | 'none';
  /** Output side: 'same' = re-send frames to the same (edge, target); 'reroute' = re-emit records through the partitioner. */
  readonly output: 'same' | 'reroute' | 'none';
}

export interface SubtaskRestore {
  readonly checkpointId: number;
  readonly kind: 'checkpoint' | 'savepoint';
  /** Absolute directory the handles' relative paths resolve against. */
  readonly rootDir: string;
  readonly keyed: KeyedStateHandle[];
  /** Operator state by operator uid: the values of the old subtasks mapped to this one. */
  readonly operator: Record<string, unknown[]>;
  readonly channelState: ChannelStateAssignment[];
  /** Input ordinals (edges) whose records must be filtered by key group when rerouted. */
  readonly keyedInputs: number[];
  /** Parallelism of this vertex in the restored checkpoint (its current one for a new operator). */
  readonly oldParallelism: number;
  /** Per output edge: the consumer's parallelism in the restored checkpoint (re-routing restored broadcast output). */
  readonly outputsOldParallelism: number[];
}

interface OldSubtask {
  vertexId: string;
  subtask: number;
  keyed: KeyedStateHandle | undefined;
  operator: Record<string, unknown>;
  channelFile: string | undefined;
}

export interface RestorePlan {
  readonly checkpointId: number;
  readonly kind: 'checkpoint' | 'savepoint';
  /** By `${vertexId}#${subtask}` of the new graph. */
  readonly subtasks: ReadonlyMap<string, SubtaskRestore>;
  /** uids whose state was dropped because of `allowNonRestoredState`. */
  readonly nonRestored: string[];
  readonly rescaledVertices: string[];
}

function restoreError(code: string, message: string, details: Record<string, unknown>): WeirError {
  return new WeirError(code, message, details);
}

export function planRestore(metadata: CheckpointMetadata, rootDir: string, graph: JobGraph, opts: { allowNonRestoredState?: boolean; source?: string } = {}): RestorePlan {
  const where = opts.source ?? `checkpoint ${metadata.checkpointId}`;
  const oldVertices = new Map(metadata.vertices.map((v) => [v.vertexId, v]));
  const files = new Map(metadata.files.map((f) => [f.path, f]));
  const old: OldSubtask[] = metadata.subtasks.map((s) => {
    const st = (s.stateHandles ?? {}) as { keyed?: KeyedStateHandle; operator?: Record<string, unknown> };
    const ch = s.channelStateHandles as { file?: string } | null;
    return { vertexId: s.vertexId, subtask: s.subtask, keyed: st.keyed, operator: st.operator ?? {}, channelFile: ch?.file };
  });

  // 1. Match by uid.
  const newVertexById = new Map(graph.vertices.map((v) => [v.id, v]));
  const operatorVertex = new Map<string, JobVertex>();
  for (const v of graph.vertices) for (const op of v.operators) operatorVertex.set(op.uid, v);
  const nonRestored = new Set<string>();
  for (const s of old) {
    if (s.keyed && s.keyed.entries > 0 && !isKeyedVertex(newVertexById.get(s.vertexId))) nonRestored.add(s.vertexId);
    for (const uid of Object.keys(s.operator)) if (!operatorVertex.has(uid)) nonRestored.add(uid);
  }
  // In-flight data replays only into the same chain with the same edges; a removed vertex's is unmatched state.
  const changed: string[] = [];
  for (const vertexId of new Set(old.filter((s) => s.channelFile).map((s) => s.vertexId))) {
    const placement = placementOf(oldVertices.get(vertexId)!, graph);
    if (placement === 'removed') nonRestored.add(vertexId);
    else if (placement === 'changed') changed.push(vertexId);
  }
  if (changed.length > 0) {
    const describe = (id: string) => `'${id}' (operators ${(oldVertices.get(id)!.operators ?? [id]).join(' → ')})`;
    throw restoreError('WEIR_RESTORE_INCOMPATIBLE',
      `${where} is an unaligned checkpoint holding in-flight records of ${changed.map(describe).join(', ')}, whose chain or connections differ in this job graph ` +
        `(its vertices: ${graph.vertices.map((v) => v.operators.map((o) => o.uid).join(' → ')).join('; ')}); in-flight records cannot be replayed into a changed chain, ` +
        'and allowNonRestoredState would lose them. Restore this job from a savepoint or an aligned checkpoint (no in-flight data), or restore the old graph once and take a savepoint.',
      { uids: changed, checkpointId: metadata.checkpointId });
  }
  if (nonRestored.size > 0 && !opts.allowNonRestoredState) {
    const list = [...nonRestored].sort();
    throw restoreError('WEIR_RESTORE_UNMATCHED_STATE',
      `${where} holds state for operator uid(s) ${list.join(', ')} that match no operator of job graph (uids: ${[...operatorVertex.keys()].join(', ')}). ` +
        'Give the operators their old uid(s), or pass allowNonRestoredState: true to drop that state.', { uids: list, checkpointId: metadata.checkpointId });
  }

  // 2. Key groups must not change.
  for (const v of graph.vertices) {
    const o = oldVertices.get(v.id);
    if (o && o.maxParallelism !== v.maxParallelism) {
      throw restoreError('WEIR_RESTORE_INCOMPATIBLE', `${where}: operator ${v.id} had max parallelism ${o.maxParallelism}, the job now has ${v.maxParallelism}; max parallelism (the number of key groups) cannot change on restore`, { uid: v.id, old: o.maxParallelism, now: v.maxParallelism });
    }
  }

  const rescaled = graph.vertices.filter((v) => oldVertices.has(v.id) && oldVertices.get(v.id)!.parallelism !== v.parallelism).map((v) => v.id);
  const subtasks = new Map<string, SubtaskRestore>();
  for (const v of graph.vertices) {
    const o = oldVertices.get(v.id);
    const olds = old.filter((s) => s.vertexId === v.id).sort((a, b) => a.subtask - b.subtask);
    const same = o !== undefined && o.parallelism === v.parallelism;
    const keyedInputs = v.inputs.map((e, i) => (e.partitioning === 'hash' ? i : -1)).filter((i) => i >= 0);
    const hasBroadcastInput = v.inputs.some((e) => e.partitioning === 'broadcast');
    const oldParallelism = o?.parallelism ?? v.parallelism;
    const outputsOldParallelism = v.outputs.map((e) => oldVertices.get(graph.vertices[e.to]!.id)?.parallelism ?? graph.vertices[e.to]!.parallelism);
    // Operator state of every operator in this chain, wherever it lived before (chaining may differ).
    const opValues = new Map<string, Array<{ subtask: number; value: unknown }>>();
    for (const op of v.operators) {
      for (const s of old) if (op.uid in s.operator) (opValues.get(op.uid) ?? opValues.set(op.uid, []).get(op.uid)!).push({ subtask: s.subtask, value: s.operator[op.uid] });
    }
    const oldParallelismOf = (uid: string) => {
      const vs = opValues.get(uid) ?? [];
      return vs.length === 0 ? v.parallelism : Math.max(...vs.map((x) => x.subtask)) + 1;
    };
    for (let s = 0; s < v.parallelism; s++) {
      const range = keyGroupRangeForSubtask(v.maxParallelism, v.parallelism, s);
      const keyed = olds.filter((x) => x.keyed && intersects(x.keyed.keyGroupRange, range)).map((x) => x.keyed!);
      const operator: Record<string, unknown[]> = {};
      for (const [uid, values] of opValues) {
        const p0 = oldParallelismOf(uid);
        if (values.length > 0 && values.every((x) => isBroadcastStateSnapshot(x.value))) {
          operator[uid] = values.filter((x) => x.subtask === s % p0).map((x) => x.value); // broadcast state: one whole copy each
        } else if (p0 !== v.parallelism && values.length > 0 && values.every((x) => isUnionState(x.value))) {
          operator[uid] = values.map((x) => x.value); // union state: every old value to every new subtask
        } else if (values.every((x) => isSplitState(x.value)) && (p0 !== v.parallelism)) {
          operator[uid] = [redistributeSplits(values.map((x) => x.value as SplitState), v.parallelism)[s]!];
        } else {
          operator[uid] = values.filter((x) => (p0 === v.parallelism ? x.subtask === s : x.subtask % v.parallelism === s)).map((x) => x.value);
        }
      }
      const channelState: ChannelStateAssignment[] = [];
      for (const x of olds) {
        if (!x.channelFile) continue;
        const upstreamSame = v.inputs.every((e) => parallelismUnchanged(graph.vertices[e.from]!, oldVertices));
        const downstreamSame = v.outputs.every((e) => parallelismUnchanged(graph.vertices[e.to]!, oldVertices));
        // Re-routed input: keyed records by key group; a broadcast input whole to every new subtask
        // that inherits old subtask x's broadcast state (s mod p₀ = x); other records from x to x mod p'.
        const input = same && upstreamSame
          ? (x.subtask === s ? 'same' : 'none')
          : (keyedInputs.length > 0 || x.subtask % v.parallelism === s || (hasBroadcastInput && s % oldParallelism === x.subtask) ? 'reroute' : 'none');
        const output = same && downstreamSame ? (x.subtask === s ? 'same' : 'none') : (x.subtask % v.parallelism === s ? 'reroute' : 'none');
        if (input === 'none' && output === 'none') continue;
        channelState.push({ file: x.channelFile, sha256: files.get(x.channelFile)?.sha256, oldSubtask: x.subtask, input, output });
      }
      subtasks.set(`${v.id}#${s}`, { checkpointId: metadata.checkpointId, kind: metadata.kind, rootDir, keyed, operator, channelState, keyedInputs, oldParallelism, outputsOldParallelism });
    }
  }
  return { checkpointId: metadata.checkpointId, kind: metadata.kind, subtasks, nonRestored: [...nonRestored], rescaledVertices: rescaled };
}

function isKeyedVertex(v: JobVertex | undefined): boolean {
  return v?.isKeyed ?? false;
}

function parallelismUnchanged(v: JobVertex, old: Map<string, { parallelism: number }>): boolean {
  const o = old.get(v.id);
  return o === undefined || o.parallelism === v.parallelism;
}

function intersects(a: KeyGroupRange, b: KeyGroupRange): boolean {
  return a.start <= b.end && b.start <= a.end && a.start <= a.end && b.start <= b.end;
}
