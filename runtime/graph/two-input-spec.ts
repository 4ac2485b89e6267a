/**
 * Two-input operators in the logical graph: their specs (`connect` → co-process, keyed
 * co-process, interval join) and the graph rules that concern them. A two-input node's
 * `inputs` are its edges in declaration order; each edge says which input it feeds
 * (`StreamEdge.input`, 0 or 1), so a union of several upstreams on one side still maps to
 * the right input. A two-input operator always heads its vertex (it is never chained).
 */
import { timestampedNodes } from './timestamps.ts';
import type { StreamGraph, StreamNode } from './stream-graph.ts';
import type { CoProcessFunction, KeyedCoProcessFunction, ProcessJoinFunction } from '../api/two-input-functions.ts';
import type { BroadcastProcessFunction, KeyedBroadcastProcessFunction } from '../api/broadcast-functions.ts';
import { invalidGraph } from '../errors.ts';

export type TwoInputOperatorSpec =
  | { kind: 'coProcess'; fn: CoProcessFunction<any, any, any> }
  | { kind: 'keyedCoProcess'; keySelector1: (value: any) => unknown; keySelector2: (value: any) => unknown; fn: KeyedCoProcessFunction<any, any, any, any> }
  | {
      kind: 'intervalJoin';
      keySelector1: (value: any) => unknown;
      keySelector2: (value: any) => unknown;
      /** Bounds as the user gave them (ms, relative to the left element's timestamp). */
      lowerMs: number;
      upperMs: number;
      lowerInclusive: boolean;
      upperInclusive: boolean;
      fn: ProcessJoinFunction<any, any, any>;
    }
  /** `stream.connect(broadcastStream).process(fn)`: input 2 arrives on broadcast edges. */
  | { kind: 'broadcastProcess'; fn: BroadcastProcessFunction<any, any, any>; descriptors: readonly string[]; maxStateBytes: number }
  | { kind: 'keyedBroadcastProcess'; keySelector: (value: any) => unknown; fn: KeyedBroadcastProcessFunction<any, any, any, any>; descriptors: readonly string[]; maxStateBytes: number };

const TWO_INPUT_KINDS: ReadonlySet<string> = new Set(['coProcess', 'keyedCoProcess', 'intervalJoin', 'broadcastProcess', 'keyedBroadcastProcess']);
const BROADCAST_KINDS: ReadonlySet<string> = new Set(['broadcastProcess', 'keyedBroadcastProcess']);

/** Whether this operator's second input is a broadcast stream (only its first input may be keyed). */
export function isBroadcastOperatorKind(kind: string): boolean {
  return BROADCAST_KINDS.has(kind);
}

/** Whether operators of this kind read two inputs (processElement1 / processElement2). */
export function isTwoInputOperatorKind(kind: string): boolean {
  return TWO_INPUT_KINDS.has(kind);
}

/** Which input (0 or 1) of `node` its `ordinal`-th input edge feeds (always 0 for one-input operators). */
export function inputIndexOfEdge(node: StreamNode, ordinal: number): 0 | 1 {
  return node.inputs[ordinal]?.input ?? 0;
}

/**
 * Graph rules of two-input nodes (called by job-graph validation): both inputs present, a
 * broadcast operator's second input (and only it) on broadcast edges, and an
 * interval join's inputs carry event timestamps (a timestamp assigner on every path from a source;
 * Weir's sources assign none).
 */
export function validateTwoInputNode(graph: StreamGraph, n: StreamNode): void {
  if (!isTwoInputOperatorKind(n.spec.kind)) return;
  const where = `operator '${n.name}' (uid ${n.uid})`;
  for (const side of [0, 1] as const) {
    if (!n.inputs.some((e) => (e.input ?? 0) === side)) throw invalidGraph(`${where} is a two-input operator without input ${side + 1}`, { uid: n.uid });
  }
  if (isBroadcastOperatorKind(n.spec.kind)) {
    const bad = n.inputs.find((e) => ((e.input ?? 0) === 1) !== (e.partitioning === 'broadcast'));
    if (bad) throw invalidGraph(`${where}: only its second input may be (and must be) a broadcast stream; connect a stream with stream.broadcast(descriptor)`, { uid: n.uid });
  }
  if (n.spec.kind !== 'intervalJoin') return;
  const timestamped = timestampedNodes(graph);
  for (const e of n.inputs) {
    if (!timestamped(e.from)) {
      const side = (e.input ?? 0) === 0 ? 'left' : 'right';
      throw invalidGraph(
        `${where} is an interval join (event time) but its ${side} input '${graph.node(e.from).name}' carries no timestamps: call assignTimestampsAndWatermarks() on it before keyBy()/intervalJoin()`,
        { uid: n.uid, input: side },
      );
    }
  }
}
