/**
 * Job graph → execution plan: one subtask per vertex × parallel instance, one
 * ring-buffer channel per (producer subtask, consumer subtask) pair of an edge,
 * and a placement of subtasks on worker hosts. The plan is plain data (numbers,
 * strings and SharedArrayBuffers) so each subtask actor can receive its part.
 *
 * Channel expansion per edge A(pa) → B(pb):
 *   forward:            pa == pb, channel i → i
 *   hash, rebalance:    all-to-all, pa × pb channels
 * A consumer's input channels are ordered by edge (declaration order of its
 * inputs) and then by producer subtask; that order is the channel index the
 * barrier handler and the channel state use.
 */
import type { JobGraph } from './job-graph.ts';

export interface ChannelPlan {
  readonly id: number;
  readonly edge: number;
  readonly fromVertex: number;
  readonly fromSubtask: number;
  readonly toVertex: number;
  readonly toSubtask: number;
  /** Index among the consumer's input channels. */
  readonly inputIndex: number;
}

export interface SubtaskPlan {
  readonly vertex: number;
  readonly subtask: number;
  /** `${vertexId}#${subtask}` — also the actor id. */
  readonly key: string;
  readonly host: number;
  /** Channel ids, by consumer input index. */
  readonly inputChannels: number[];
  /** Per output edge (in vertex.outputs order): channel ids indexed by consumer subtask (forward: the single channel). */
  readonly outputChannels: number[][];
}

export interface ExecutionPlan {
  readonly subtasks: readonly SubtaskPlan[];
  readonly channels: readonly ChannelPlan[];
  /** Subtask lookup by vertex then subtask index. */
  subtaskOf(vertex: number, subtask: number): SubtaskPlan;
}

export function buildExecutionPlan(job: JobGraph, hosts: number): ExecutionPlan {
  const byVertex: SubtaskPlan[][] = [];
  const subtasks: SubtaskPlan[] = [];
  let next = 0;
  for (const v of job.vertices) {
    const list: SubtaskPlan[] = [];
    for (let s = 0; s < v.parallelism; s++) {
      // Spread each vertex's subtasks over hosts; consecutive vertices start on
      // different hosts so a pipeline's stages do not pile onto one thread.
      const host = (next++ % hosts);
      const plan: SubtaskPlan = { vertex: v.index, subtask: s, key: `${v.id}#${s}`, host, inputChannels: [], outputChannels: v.outputs.map(() => []) };
      list.push(plan);
      subtasks.push(plan);
    }
    byVertex.push(list);
  }
  const channels: ChannelPlan[] = [];
  for (const v of job.vertices) {
    for (const edge of v.inputs) {
      const from = job.vertices[edge.from]!;
      const outputOrdinal = from.outputs.indexOf(edge);
      for (let c = 0; c < v.parallelism; c++) {
        const consumer = byVertex[v.index]![c]!;
        const producers = edge.partitioning === 'forward' ? [c] : range(from.parallelism);
        for (const p of producers) {
          const ch: ChannelPlan = { id: channels.length, edge: edge.index, fromVertex: from.index, fromSubtask: p, toVertex: v.index, toSubtask: c, inputIndex: consumer.inputChannels.length };
          channels.push(ch);
          consumer.inputChannels.push(ch.id);
          // Forward: the producer's only channel on this edge; all-to-all: indexed by consumer subtask.
          byVertex[from.index]![p]!.outputChannels[outputOrdinal]![edge.partitioning === 'forward' ? 0 : c] = ch.id;
        }
      }
    }
  }
  return {
    subtasks,
    channels,
    subtaskOf: (vertex, subtask) => byVertex[vertex]![subtask]!,
  };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
