/**
 * Builds the operators of one vertex (a chain) for one subtask and wires them:
 * operator i's output calls operator i+1; the tail's output goes to every
 * untagged output edge's RecordWriter (each downstream consumer gets every record),
 * and side-output records to the edges of their tag (chain-tail-output.ts).
 */
import type { JobVertex } from '../graph/job-graph.ts';
import type { StreamNode } from '../graph/stream-graph.ts';
import type { TaskInfo } from '../api/functions.ts';
import type { OperatorContext, Output, StreamOperator } from '../operators/operator.ts';
import { FilterOperator, FlatMapOperator, MapOperator, WatermarkAssignerOperator } from '../operators/stateless-operators.ts';
import { KeyedCountOperator, KeyedProcessOperator, KeyedReduceOperator } from '../operators/keyed-operators.ts';
import { CollectSinkOperator, ConsoleSinkOperator, FunctionSinkOperator, JsonlSinkOperator } from '../operators/sink-operators.ts';
import { TwoPhaseCommitSinkOperator } from '../operators/sinks/two-phase-commit-sink.ts';
import { AsyncBatchSinkOperator } from '../operators/sinks/async-batch-sink.ts';
import { CoProcessOperator, KeyedCoProcessOperator, isTwoInputOperator, twoInputEntries } from '../operators/two-input-operators.ts';
import { IntervalJoinOperator } from '../operators/interval-join-operator.ts';
import { BroadcastProcessOperator, KeyedBroadcastProcessOperator } from '../operators/broadcast-operators.ts';
import type { RecordWriter } from './record-writer.ts';
import { chainTailOutput } from './chain-tail-output.ts';
import { ProcessOperator } from '../operators/process-operator.ts';
import { WindowOperator } from '../operators/windows/window-operator.ts';
import { AsyncWaitOperator } from '../operators/async/async-wait-operator.ts';

export interface ChainMember {
  readonly node: StreamNode;
  readonly info: TaskInfo;
  readonly operator: StreamOperator;
}

export interface BuiltChain {
  /** Operators after the source (for a source vertex the first node is the source itself and has no operator). */
  readonly members: ChainMember[];
  /** Entry point of records into the chain. */
  readonly input: Output<unknown>;
  /**
   * Entry per input of the head operator: `[input]` for a one-input chain; for a two-input head
   * (two-input-operators.ts) its processElement1 and processElement2 entries.
   */
  readonly inputs: readonly Output<unknown>[];
  /** Sinks that buffer and want a flush when the input is idle. */
  readonly flushables: Array<{ flush(): void }>;
}

export function buildOperatorChain(
  vertex: JobVertex,
  infoFor: (node: StreamNode) => TaskInfo,
  tailWriters: readonly RecordWriter[],
  collectWriter: RecordWriter | undefined,
  now: () => number,
): BuiltChain {
  // Routed by side-output tag: untagged records to untagged edges, tagged ones to their tag's edges.
  const tail: Output<unknown> = chainTailOutput(vertex.outputs, tailWriters);
  const nodes = vertex.isSource ? vertex.operators.slice(1) : vertex.operators;
  const members: ChainMember[] = [];
  const flushables: Array<{ flush(): void }> = [];
  let out = tail;
  // Build from the tail backwards so each operator knows its successor.
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]!;
    const info = infoFor(node);
    const op = createOperator(node, out, info, collectWriter, now);
    if (op instanceof ConsoleSinkOperator || op instanceof JsonlSinkOperator || op instanceof AsyncBatchSinkOperator) flushables.push(op);
    members.unshift({ node, info, operator: op });
    out = operatorAsOutput(op, out);
  }
  const head = members[0]?.operator;
  const inputs = head && isTwoInputOperator(head) ? twoInputEntries(head, members.length > 1 ? operatorAsOutput(members[1]!.operator, tail) : tail) : [out];
  return { members, input: out, inputs, flushables };
}

/**
 * A `collect` that calls `op.processElement`, compiled separately for every operator. Closures
 * made by one function literal share V8's type feedback, so with several operator types in one
 * worker (at parallelism 2 each of the 2 workers runs a source chain and a keyed chain) the one
 * `op.processElement` call site went megamorphic and nothing behind it was inlined (issue #18
 * profile of the keyed count at parallelism 2). The serial number keeps V8's eval cache from
 * handing back a shared compiled function.
 */
let forwarders = 0;
function forwardTo(op: StreamOperator): (v: unknown, ts: number | undefined) => void {
  const make = new Function('op', `// weir operator output ${forwarders++}\nreturn function collect(v, ts) { op.processElement(v, ts); };`);
  return make(op) as (v: unknown, ts: number | undefined) => void;
}

function operatorAsOutput(op: StreamOperator, next: Output<unknown>): Output<unknown> {
  return {
    collect: forwardTo(op),
    emitWatermark: op.processWatermark ? (wm) => op.processWatermark!(wm) : (wm) => next.emitWatermark(wm),
    emitWatermarkStatus: op.processWatermarkStatus ? (idle) => op.processWatermarkStatus!(idle) : (idle) => next.emitWatermarkStatus?.(idle),
  };
}

function createOperator(node: StreamNode, out: Output<unknown>, info: TaskInfo, collectWriter: RecordWriter | undefined, now: () => number): StreamOperator {
  const s = node.spec;
  switch (s.kind) {
    case 'map': return new MapOperator(s.fn, out, info);
    case 'filter': return new FilterOperator(s.fn, out, info);
    case 'flatMap': return new FlatMapOperator(s.fn, out, info);
    case 'watermarks': return new WatermarkAssignerOperator(s.strategy, out, info, now);
    case 'keyedReduce': return new KeyedReduceOperator(s.keySelector, s.reduce, out, info);
    case 'keyedCount': return new KeyedCountOperator(s.keySelector, out, info);
    case 'keyedProcess': return new KeyedProcessOperator(s.keySelector, s.fn, out, info);
    case 'coProcess': return new CoProcessOperator(s.fn, out, info);
    case 'keyedCoProcess': return new KeyedCoProcessOperator(s.keySelector1, s.keySelector2, s.fn, out, info);
    case 'intervalJoin': return new IntervalJoinOperator(s.keySelector1, s.keySelector2, s, s.fn, out, info);
    case 'broadcastProcess': return new BroadcastProcessOperator(s.fn, s, out, info);
    case 'keyedBroadcastProcess': return new KeyedBroadcastProcessOperator(s.keySelector, s.fn, s, out, info);
    case 'process': return new ProcessOperator(s.fn, out, info);
    case 'window': return new WindowOperator(s.keySelector, s.window, out, info);
    case 'asyncWait': return new AsyncWaitOperator(s.fn, s, out, info);
    case 'sink':
      switch (s.sink.type) {
        case 'collect': return new CollectSinkOperator(collectWriter!);
        case 'console': return new ConsoleSinkOperator(s.sink.prefix, info);
        case 'jsonl': return new JsonlSinkOperator(s.sink.directory, info);
        case 'function': return new FunctionSinkOperator(s.sink.fn, info);
        case 'two-phase-commit': return new TwoPhaseCommitSinkOperator(s.sink.sink, info);
        case 'async-batch': return new AsyncBatchSinkOperator(s.sink.sink.options, info);
      }
    // falls through (exhaustive above)
    case 'source':
      throw new Error(`a source cannot be chained after another operator (${node.uid})`);
  }
}

/** Open operators tail → head, so an operator's successor is ready before it can emit. */
export async function openChain(chain: BuiltChain, ctxFor: (m: ChainMember) => OperatorContext): Promise<void> {
  for (let i = chain.members.length - 1; i >= 0; i--) {
    const m = chain.members[i]!;
    if (m.operator.open) await m.operator.open(ctxFor(m));
  }
}

/** End of input: finish head → tail, so what a finishing operator emits reaches finished-later successors. */
export async function finishChain(chain: BuiltChain): Promise<void> {
  for (const m of chain.members) if (m.operator.finish) await m.operator.finish();
}

export async function closeChain(chain: BuiltChain): Promise<void> {
  let first: unknown;
  for (const m of chain.members) {
    try {
      if (m.operator.close) await m.operator.close();
    } catch (e) {
      first ??= e;
    }
  }
  if (first) throw first;
}

/** Operator state of the chain for checkpoint n, by operator uid (sink transactions, …). */
export function snapshotChain(chain: BuiltChain, checkpointId: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const m of chain.members) {
    if (!m.operator.snapshotState) continue;
    const v = m.operator.snapshotState(checkpointId);
    if (v !== undefined) out[m.node.uid] = v;
  }
  return out;
}

/**
 * The asynchronous part of the operators' snapshot of checkpoint n (`StreamOperator.snapshotDurable`,
 * e.g. a two-phase-commit sink's PREPARE TRANSACTION): resolves when every operator's is done,
 * rejects with the first failure.
 */
export async function awaitChainDurable(chain: BuiltChain, checkpointId: number): Promise<void> {
  const waits: Promise<void>[] = [];
  for (const m of chain.members) {
    const p = m.operator.snapshotDurable?.(checkpointId);
    if (p) waits.push(p);
  }
  if (waits.length > 0) await Promise.all(waits);
}

/** Checkpoint n completed (two-phase-commit sinks commit here) or was aborted: tell every operator, head first. */
export async function notifyChain(chain: BuiltChain, checkpointId: number, outcome: 'complete' | 'aborted'): Promise<void> {
  for (const { operator: op } of chain.members) {
    if (outcome === 'complete') await op.notifyCheckpointComplete?.(checkpointId);
    else await op.notifyCheckpointAborted?.(checkpointId);
  }
}
