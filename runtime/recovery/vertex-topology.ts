/**
 * What a checkpoint records of each vertex's place in the job graph — its chain (operator uids, in
 * order) and its edges (the vertex at the other end, partitioning, side-output tag) — and whether a
 * vertex of the graph being restored still has that place. In-flight data of an unaligned checkpoint
 * (a subtask's input channels and unsent output) belongs to those exact channels: it can only be
 * replayed into a vertex with the same chain and the same edges.
 */
import type { JobGraph, JobVertex, JobEdge } from '../graph/job-graph.ts';
import type { VertexInfo } from '../checkpoint/checkpoint-metadata.ts';

/** The topology fields of a vertex's `_metadata` entry. */
export type VertexTopology = Required<Pick<VertexInfo, 'operators' | 'inputs' | 'outputs'>>;

/** An edge as `_metadata` records it: the JSON of [vertex at the other end, partitioning, side-output tag]. */
const edgeId = (graph: JobGraph, e: JobEdge, end: 'from' | 'to'): string =>
  JSON.stringify([graph.vertices[e[end]]!.id, e.partitioning, e.sideOutputTag ?? null]);

export function vertexTopology(graph: JobGraph, v: JobVertex): VertexTopology {
  return {
    operators: v.operators.map((o) => o.uid),
    inputs: v.inputs.map((e) => edgeId(graph, e, 'from')),
    outputs: v.outputs.map((e) => edgeId(graph, e, 'to')),
  };
}

/**
 * How the graph being restored places an old vertex that has in-flight data — input records for its
 * head operator, and unsent output of its tail:
 *   `removed` — its head operator is gone: the data is unmatched state (dropped only with
 *               allowNonRestoredState, like the state of any removed operator);
 *   `same`    — a vertex with its id (the same head) whose input edges start with the old ones
 *               (edges added after them keep the old channels' numbers), and, if the old vertex had
 *               output edges, the same chain with the old output edges first: input records
 *               re-enter the head (whatever follows it now), unsent output leaves by the same edges;
 *   `changed` — otherwise (the head chained into another vertex, edges reordered or gone, a chain
 *               with unsent output changed): the data has nowhere exact to go.
 * A checkpoint written before vertices recorded their topology is judged by its head alone.
 */
export function placementOf(old: VertexInfo, graph: JobGraph): 'same' | 'removed' | 'changed' {
  const now = graph.vertices.find((v) => v.id === old.vertexId);
  if (!now) return graph.vertices.some((v) => v.operators.some((o) => o.uid === old.vertexId)) ? 'changed' : 'removed';
  if (old.operators === undefined) return 'same';
  const t = vertexTopology(graph, now);
  const uids = new Set(graph.vertices.flatMap((v) => v.operators.map((o) => o.uid)));
  // An edge still matches when only its other end was replaced by a new operator (the old one is
  // gone: its records go to the new one, as a removed operator's state is dropped and a new one
  // starts empty), or when a rescale turned forward into rebalance or back (both re-route a
  // record from old subtask x to x mod p': restore-planner.ts).
  const pointwise = (p: unknown) => (p === 'forward' ? 'rebalance' : p);
  const sameEdge = (now: string, was: string) => {
    if (now === was) return true;
    const [nowEnd, nowPartitioning, nowTag] = parseEdge(now);
    const [wasEnd, wasPartitioning, wasTag] = parseEdge(was);
    if (wasEnd === undefined || pointwise(nowPartitioning) !== pointwise(wasPartitioning) || nowTag !== wasTag) return false;
    return nowEnd === wasEnd || !uids.has(wasEnd as string);
  };
  const startsWith = (now: readonly string[], was: readonly string[] | undefined, same: (a: string, b: string) => boolean) =>
    was !== undefined && now.length >= was.length && was.every((x, i) => same(now[i]!, x));
  if (!startsWith(t.inputs, old.inputs, sameEdge)) return 'changed';
  if ((old.outputs ?? []).length === 0) return 'same';
  const chainSame = t.operators.length === old.operators.length && startsWith(t.operators, old.operators, (a, b) => a === b);
  return chainSame && startsWith(t.outputs, old.outputs, sameEdge) ? 'same' : 'changed';
}

/** An edge id's parts; none for a string that is not one (a hand-edited `_metadata`: then it matches only itself). */
function parseEdge(id: string): unknown[] {
  try {
    const parts: unknown = JSON.parse(id);
    return Array.isArray(parts) ? parts : [];
  } catch {
    return [];
  }
}
