/**
 * Logical graph → job graph: validation, parallelism resolution and operator
 * chaining. A *vertex* is a chain of operators that runs in one subtask actor
 * per parallel instance (Flink's JobVertex); records inside a chain are passed
 * by function call, records between vertices cross a ring-buffer channel.
 *
 * Chaining rule (Flink's, simplified): B is chained to A when A → B is a
 * forward edge, both have the same parallelism, A has exactly one output, B
 * exactly one input, B is not a source and did not ask for `startNewChain()`.
 *
 * Side outputs: an edge from `getSideOutput(tag)` carries the tag id, and such an edge never
 * chains, so an operator whose side outputs are consumed is always the tail of its chain. Only
 * the tail's output is the subtask's record writers, so only there can a record be routed by
 * tag (runtime/task/chain-tail-output.ts: untagged records to untagged edges, tagged ones to the
 * edges of their tag, a tag nobody consumes dropped, as in Flink). It is the simplest correct
 * rule: chaining a side-output consumer would need a per-tag output inside the chain, for a
 * saving of one channel hop on a rarely hot path.
 */
import type { StreamGraph, StreamNode, Partitioning } from './stream-graph.ts';
import { isParallelSource } from './source-spec.ts';
import { invalidGraph } from '../errors.ts';
import { isBroadcastOperatorKind, isTwoInputOperatorKind, validateTwoInputNode } from './two-input-spec.ts';
import { timestampedNodes } from './timestamps.ts';

export const MAX_MAX_PARALLELISM = 32768;

export interface JobEdge {
  readonly index: number;
  readonly from: number; // vertex index
  readonly to: number; // vertex index
  readonly partitioning: Exclude<Partitioning, 'auto'>;
  readonly keySelector?: (value: any) => unknown;
  /** Which input of the consumer vertex (order of declaration). */
  readonly inputOrdinal: number;
  /** A side-output edge: only records the producer's tail emits to this tag id travel on it. */
  readonly sideOutputTag?: string;
}

export interface JobVertex {
  readonly index: number;
  /** uid of the chain's head operator: the vertex's stable identity. */
  readonly id: string;
  readonly name: string;
  readonly operators: readonly StreamNode[];
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly inputs: JobEdge[];
  readonly outputs: JobEdge[];
  readonly isSource: boolean;
  /** Its head operator uses keyed state (the subtask creates a keyed state backend; restore matches keyed state to it). */
  readonly isKeyed: boolean;
}

export interface JobGraph {
  readonly vertices: readonly JobVertex[];
  readonly edges: readonly JobEdge[];
  readonly maxParallelism: number;
  readonly fingerprint: string;
}

const KEYED_KINDS: ReadonlySet<string> = new Set(['keyedReduce', 'keyedCount', 'keyedProcess', 'keyedCoProcess', 'intervalJoin', 'window', 'keyedBroadcastProcess']);

/** Whether operators of this kind use keyed state (they head their vertex: a hash edge never chains). */
export function isKeyedOperatorKind(kind: string): boolean {
  return KEYED_KINDS.has(kind);
}

export function buildJobGraph(graph: StreamGraph, defaults: { parallelism: number; maxParallelism: number }): JobGraph {
  const { maxParallelism } = defaults;
  if (!Number.isInteger(maxParallelism) || maxParallelism < 1 || maxParallelism > MAX_MAX_PARALLELISM) {
    throw invalidGraph(`maxParallelism must be an integer in [1, ${MAX_MAX_PARALLELISM}], got ${maxParallelism}`, { maxParallelism });
  }
  if (!Number.isInteger(defaults.parallelism) || defaults.parallelism < 1) {
    throw invalidGraph(`parallelism must be an integer >= 1, got ${defaults.parallelism}`);
  }
  const nodes = graph.nodes;
  if (nodes.length === 0) throw invalidGraph('the job defines no operators: add a source and a sink');
  // A sink or a timestamp/watermark assigner without an explicit parallelism inherits its single
  // input's, so it chains to it and keeps that input's order (Flink does the same for the
  // assigner; for sinks it would use the environment default and rebalance).
  const resolved = new Map<number, number>();
  const parallelismOf = (n: StreamNode): number => {
    const known = resolved.get(n.id);
    if (known !== undefined) return known;
    let p = n.parallelism ?? defaults.parallelism;
    if (n.parallelism === undefined && (n.spec.kind === 'sink' || n.spec.kind === 'watermarks') && n.inputs.length === 1 && n.inputs[0]!.partitioning === 'auto') {
      p = parallelismOf(graph.node(n.inputs[0]!.from));
    }
    resolved.set(n.id, p);
    return p;
  };
  validate(graph, parallelismOf, maxParallelism);

  // 1. Decide which nodes start a chain.
  const outputs = nodes.map((n) => graph.outputsOf(n.id));
  const chainedToPrevious = (n: StreamNode): boolean => {
    if (n.spec.kind === 'source' || n.chainingDisabled || n.inputs.length !== 1 || isTwoInputOperatorKind(n.spec.kind)) return false;
    const e = n.inputs[0]!;
    if (e.sideOutputTag !== undefined) return false; // a side-output consumer never chains (see the header)
    const up = graph.node(e.from);
    const samePar = parallelismOf(up) === parallelismOf(n);
    const forward = e.partitioning === 'forward' || (e.partitioning === 'auto' && samePar);
    return forward && samePar && outputs[up.id]!.length === 1;
  };

  // 2. Group nodes into chains (node ids are in creation order, so inputs precede consumers).
  const vertexOfNode = new Map<number, number>();
  const chains: StreamNode[][] = [];
  for (const n of nodes) {
    if (chainedToPrevious(n)) {
      const v = vertexOfNode.get(n.inputs[0]!.from)!;
      chains[v]!.push(n);
      vertexOfNode.set(n.id, v);
    } else {
      vertexOfNode.set(n.id, chains.length);
      chains.push([n]);
    }
  }

  // 3. Vertices and edges between them.
  const vertices: JobVertex[] = chains.map((ops, index) => ({
    index,
    id: ops[0]!.uid,
    name: ops.map((o) => o.name).join(' -> '),
    operators: ops,
    parallelism: parallelismOf(ops[0]!),
    maxParallelism,
    inputs: [],
    outputs: [],
    isSource: ops[0]!.spec.kind === 'source',
    isKeyed: isKeyedOperatorKind(ops[0]!.spec.kind),
  }));
  const edges: JobEdge[] = [];
  for (const v of vertices) {
    const head = v.operators[0]!;
    head.inputs.forEach((e, inputOrdinal) => {
      const from = vertexOfNode.get(e.from)!;
      const fromPar = vertices[from]!.parallelism;
      const partitioning = e.partitioning === 'auto' ? (fromPar === v.parallelism ? 'forward' : 'rebalance') : e.partitioning;
      const edge: JobEdge = { index: edges.length, from, to: v.index, partitioning, inputOrdinal, ...(e.keySelector ? { keySelector: e.keySelector } : {}), ...(e.sideOutputTag !== undefined ? { sideOutputTag: e.sideOutputTag } : {}) };
      edges.push(edge);
      v.inputs.push(edge);
      vertices[from]!.outputs.push(edge);
    });
  }
  const fingerprint = JSON.stringify({ g: graph.fingerprint(), p: defaults.parallelism, m: maxParallelism });
  return { vertices, edges, maxParallelism, fingerprint };
}

function validate(graph: StreamGraph, parallelismOf: (n: StreamNode) => number, maxParallelism: number): void {
  const consumed = new Set<number>();
  for (const n of graph.nodes) for (const e of n.inputs) consumed.add(e.from);
  const timestamped = timestampedNodes(graph);
  let sinks = 0;
  for (const n of graph.nodes) {
    const where = `operator '${n.name}' (uid ${n.uid})`;
    const p = parallelismOf(n);
    if (p > maxParallelism) {
      throw invalidGraph(`${where} has parallelism ${p}, above the max parallelism ${maxParallelism} (the number of key groups)`, { uid: n.uid, parallelism: p, maxParallelism });
    }
    if (n.spec.kind === 'source' && !isParallelSource(n.spec.source) && p !== 1) {
      throw invalidGraph(`${where} is a non-parallel ${n.spec.source.type} source; its parallelism must be 1, got ${p}`, { uid: n.uid });
    }
    if (n.nonParallel && p !== 1) {
      throw invalidGraph(`${where} is non-parallel (windowAll: every record in one window operator); its parallelism must be 1, got ${p}`, { uid: n.uid, parallelism: p });
    }
    if (KEYED_KINDS.has(n.spec.kind)) {
      // A keyed broadcast operator's second input is the broadcast stream (two-input-spec.ts checks it).
      const keyedEdges = isBroadcastOperatorKind(n.spec.kind) ? n.inputs.filter((e) => (e.input ?? 0) === 0) : n.inputs;
      const bad = keyedEdges.find((e) => e.partitioning !== 'hash' || !e.keySelector);
      if (bad || n.inputs.length === 0) {
        throw invalidGraph(`${where} is a keyed operation and needs a keyed input: call keyBy() before it`, { uid: n.uid });
      }
    }
    for (const e of n.inputs) {
      if (e.partitioning === 'forward' && parallelismOf(graph.node(e.from)) !== p) {
        throw invalidGraph(`${where}: a forward edge needs equal parallelism on both sides`, { uid: n.uid });
      }
    }
    validateTwoInputNode(graph, n);
    if (n.spec.kind === 'window' && n.spec.window.assigner?.isEventTime()) {
      const untimed = n.inputs.find((e) => !timestamped(e.from));
      if (untimed) {
        throw invalidGraph(`${where} is an event-time window (${n.spec.window.assigner.constructor.name}) but its input '${graph.node(untimed.from).name}' carries no timestamps: call assignTimestampsAndWatermarks() before keyBy()/window(), or use a processing-time assigner`, { uid: n.uid });
      }
    }
    if (n.spec.kind === 'sink') sinks++;
    else if (!consumed.has(n.id)) {
      throw invalidGraph(`${where} has no consumer: its output reaches no sink (add a sink such as collect(), print() or writeJsonl())`, { uid: n.uid });
    }
  }
  if (sinks === 0) throw invalidGraph('the job has no sink: add collect(), print(), writeJsonl() or addSink() to a stream');
}
