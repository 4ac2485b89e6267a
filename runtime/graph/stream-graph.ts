/**
 * The logical job graph: what the user declared, before chaining and
 * expansion into subtasks. Built identically on the main thread and in every
 * worker (each worker imports the job module and runs its build function), so
 * node ids are creation order and a structural fingerprint proves both sides
 * built the same graph.
 */
import type { SourceSpec } from './source-spec.ts';
import type { SinkSpec } from './sink-spec.ts';
import type { KeyedProcessFunction, WatermarkStrategy } from '../api/functions.ts';
import type { ProcessFunction } from '../api/process-function.ts';
import type { WindowOperatorSpec } from '../operators/windows/window-operator-spec.ts';
import type { TwoInputOperatorSpec } from './two-input-spec.ts';
import type { AsyncFunction } from '../api/async-functions.ts';

/** How records leave a node on an edge; `broadcast` sends every record to every consumer subtask (Flink's BroadcastPartitioner). */
export type Partitioning = 'forward' | 'hash' | 'rebalance' | 'broadcast' | 'auto';

export interface StreamEdge {
  readonly from: number;
  readonly to: number;
  readonly partitioning: Partitioning;
  /** For `hash` edges: extracts the key whose key group picks the target subtask. */
  readonly keySelector?: (value: any) => unknown;
  /** For two-input operators: which input the edge feeds (0 = first, 1 = second; absent = 0). */
  readonly input?: 0 | 1;
  /** Set for a side output (`getSideOutput(tag)`): the edge carries only the records emitted to this tag id. */
  readonly sideOutputTag?: string;
}

/** What a node does. Functions are the user's closures; they never cross threads. */
export type OperatorSpec =
  | { kind: 'source'; source: SourceSpec }
  | { kind: 'map'; fn: (value: any) => any }
  | { kind: 'filter'; fn: (value: any) => boolean }
  | { kind: 'flatMap'; fn: (value: any) => Iterable<any> }
  | { kind: 'watermarks'; strategy: WatermarkStrategy<any> }
  | { kind: 'keyedReduce'; keySelector: (value: any) => unknown; reduce: (a: any, b: any) => any; aggregate: string }
  | { kind: 'keyedCount'; keySelector: (value: any) => unknown }
  | { kind: 'keyedProcess'; keySelector: (value: any) => unknown; fn: KeyedProcessFunction<any, any, any> }
  | { kind: 'sink'; sink: SinkSpec }
  | { kind: 'process'; fn: ProcessFunction<any, any> }
  | { kind: 'window'; keySelector: (value: any) => unknown; window: WindowOperatorSpec }
  | { kind: 'asyncWait'; fn: AsyncFunction<any, any>; timeoutMs: number; capacity: number; ordered: boolean }
  | TwoInputOperatorSpec;

export type OperatorKind = OperatorSpec['kind'];

export interface StreamNode {
  readonly id: number;
  readonly spec: OperatorSpec;
  /** Stable operator identity for state restore (Flink's uid). Auto-generated from kind and position unless set. */
  uid: string;
  uidExplicit: boolean;
  name: string;
  /** Undefined = the environment's default parallelism. */
  parallelism: number | undefined;
  /** Whether the user fixed the parallelism (non-parallel sources fix it to 1). */
  readonly maxParallelismFixed?: number;
  /** Starts a new operator chain here even when it could be chained. */
  chainingDisabled: boolean;
  /** A non-parallel operator (windowAll): its parallelism must stay 1 (checked with the graph). */
  nonParallel?: boolean;
  readonly inputs: StreamEdge[];
}

/** Mutable graph under construction. */
export class StreamGraph {
  readonly nodes: StreamNode[] = [];

  addNode(spec: OperatorSpec, inputs: ReadonlyArray<Omit<StreamEdge, 'to'>>, name: string): StreamNode {
    const id = this.nodes.length;
    const node: StreamNode = {
      id,
      spec,
      uid: `${spec.kind}-${id}`,
      uidExplicit: false,
      name,
      parallelism: undefined,
      chainingDisabled: false,
      inputs: inputs.map((e) => ({ ...e, to: id })),
    };
    this.nodes.push(node);
    return node;
  }

  node(id: number): StreamNode {
    const n = this.nodes[id];
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  outputsOf(id: number): StreamEdge[] {
    const out: StreamEdge[] = [];
    for (const n of this.nodes) for (const e of n.inputs) if (e.from === id) out.push(e);
    return out;
  }

  /** Structural fingerprint (kinds, uids, parallelism, edges) — never the functions. */
  fingerprint(): string {
    return JSON.stringify(
      this.nodes.map((n) => [n.id, n.spec.kind, n.uid, n.parallelism ?? null, n.chainingDisabled, n.inputs.map((e) => sideOutputPart(e, e.input ? [e.from, e.partitioning, e.input] : [e.from, e.partitioning]))]),
    );
  }
}

/** A side-output edge's fingerprint entry also names its tag (restore matching must see a changed tag); others are unchanged. */
function sideOutputPart(e: StreamEdge, part: unknown[]): unknown[] {
  return e.sideOutputTag === undefined ? part : [...part, { sideOutput: e.sideOutputTag }];
}
