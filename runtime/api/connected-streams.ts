/**
 * `a.connect(b)` → `ConnectedStreams<IN1, IN2>` (Flink's ConnectedStreams): two streams, possibly
 * of different types, read by one two-input operator. `.process(CoProcessFunction)` for a
 * non-keyed operator; `.keyBy(k1, k2).process(KeyedCoProcessFunction)` partitions both inputs by
 * key (records with the same key from either input reach the same subtask) and gives the function
 * keyed state and timers shared by both inputs. Connecting two KeyedStreams is the same as
 * `.keyBy` with their key selectors.
 *
 * The operator's node has the edges of input 1 then those of input 2 (a union on either side
 * adds one edge per upstream), each marked with the input it feeds (`StreamEdge.input`).
 */
import type { StreamEdge, StreamGraph, StreamNode } from '../graph/stream-graph.ts';
import type { TwoInputOperatorSpec } from '../graph/two-input-spec.ts';
import type { DataStream, SingleOutputStream } from './data-stream.ts';
import type { KeySelector } from './functions.ts';
import type { CoProcessFunction, KeyedCoProcessFunction } from './two-input-functions.ts';
import { invalidArgument, invalidGraph } from '../errors.ts';

/** Wraps a new node as a stream (given by data-stream.ts, so this module needs no value import of it). */
export type StreamOfNode = (graph: StreamGraph, node: StreamNode) => SingleOutputStream<any>;

/** What the two-input API reads of a stream (its upstreams and, for a KeyedStream, its key selector). */
type StreamParts = Pick<DataStream<unknown>, 'graph' | 'upstreams'> & { readonly keySelector?: (v: any) => unknown };

export class ConnectedStreams<IN1, IN2> {
  /** @internal */
  constructor(
    /** @internal */ readonly first: DataStream<IN1>,
    /** @internal */ readonly second: DataStream<IN2>,
    /** @internal */ readonly wrap: StreamOfNode,
  ) {
    requireSameEnvironment('connect', first, second);
  }

  /**
   * Flink's `CoProcessFunction`: `processElement1` for records of the first stream, `processElement2`
   * for the second. When both connected streams are KeyedStreams, the function runs keyed (as
   * `keyBy(k1, k2).process`): keyed state and timers are available.
   */
  process<R>(fn: CoProcessFunction<IN1, IN2, R>): SingleOutputStream<R>;
  process<K, R>(fn: KeyedCoProcessFunction<K, IN1, IN2, R>): SingleOutputStream<R>;
  process<R>(fn: CoProcessFunction<IN1, IN2, R> | KeyedCoProcessFunction<unknown, IN1, IN2, R>): SingleOutputStream<R> {
    const k1 = (this.first as StreamParts).keySelector;
    const k2 = (this.second as StreamParts).keySelector;
    if (k1 && k2) return this.keyBy(k1, k2).process(fn as KeyedCoProcessFunction<unknown, IN1, IN2, R>);
    requireTwoMethods(fn, 'connect().process');
    return addTwoInputNode(this.first, this.second, { kind: 'coProcess', fn: fn as CoProcessFunction<any, any, any> }, 'CoProcess', this.wrap) as SingleOutputStream<R>;
  }

  /** Partition both inputs by key (the two selectors must return the same keys for records that belong together). */
  keyBy<K>(keySelector1: KeySelector<IN1, K>, keySelector2: KeySelector<IN2, K>): KeyedConnectedStreams<K, IN1, IN2> {
    requireSelector(keySelector1, 'connect().keyBy: keySelector1');
    requireSelector(keySelector2, 'connect().keyBy: keySelector2');
    return new KeyedConnectedStreams<K, IN1, IN2>(this.first, this.second, keySelector1, keySelector2, this.wrap);
  }
}

export class KeyedConnectedStreams<K, IN1, IN2> {
  /** @internal */
  constructor(
    /** @internal */ readonly first: DataStream<IN1>,
    /** @internal */ readonly second: DataStream<IN2>,
    /** @internal */ readonly keySelector1: KeySelector<IN1, K>,
    /** @internal */ readonly keySelector2: KeySelector<IN2, K>,
    /** @internal */ readonly wrap: StreamOfNode,
  ) {}

  /** Flink's `KeyedCoProcessFunction`: shared keyed state and timers for both inputs, `onTimer`, `ctx.getCurrentKey()`. */
  process<R>(fn: KeyedCoProcessFunction<K, IN1, IN2, R>): SingleOutputStream<R> {
    requireTwoMethods(fn, 'connect().keyBy().process');
    const spec: TwoInputOperatorSpec = { kind: 'keyedCoProcess', keySelector1: this.keySelector1, keySelector2: this.keySelector2, fn };
    return addTwoInputNode(this.first, this.second, spec, 'KeyedCoProcess', this.wrap, [this.keySelector1, this.keySelector2]) as SingleOutputStream<R>;
  }
}

/** Adds the two-input node: input 1's edges, then input 2's (hash-partitioned by `keys` when given). */
export function addTwoInputNode(
  first: StreamParts,
  second: StreamParts,
  spec: TwoInputOperatorSpec,
  name: string,
  wrap: StreamOfNode,
  keys?: readonly [(v: any) => unknown, (v: any) => unknown],
): SingleOutputStream<unknown> {
  requireSameEnvironment(name, first, second);
  const edges = (s: StreamParts, input: 0 | 1): Array<Omit<StreamEdge, 'to'>> => s.upstreams.map((u) => {
    const keySelector = keys ? keys[input] : u.keySelector;
    // A side-output upstream keeps its tag (else its edge would carry the producer's main output).
    const tag = u.sideOutputTag !== undefined ? { sideOutputTag: u.sideOutputTag } : {};
    return { from: u.nodeId, partitioning: keys ? 'hash' : u.partitioning, ...(keySelector ? { keySelector } : {}), input, ...tag };
  });
  const graph: StreamGraph = first.graph;
  return wrap(graph, graph.addNode(spec, [...edges(first, 0), ...edges(second, 1)], name));
}

function requireSameEnvironment(what: string, first: StreamParts, second: StreamParts): void {
  if (!second || typeof second !== 'object' || !('graph' in second)) {
    throw invalidArgument(`${what}: expected a stream to connect, got ${second === null ? 'null' : typeof second}`);
  }
  if (first.graph !== second.graph) {
    const names = (s: StreamParts) => s.upstreams.map((u) => `'${s.graph.node(u.nodeId).name}'`).join(', ');
    throw invalidGraph(`${what}: the two streams come from different environments (${names(first)} and ${names(second)}); build both in the same job`);
  }
}

function requireSelector(fn: unknown, what: string): void {
  if (typeof fn !== 'function') throw invalidArgument(`${what}: expected a function, got ${fn === null ? 'null' : typeof fn}`);
}

function requireTwoMethods(fn: unknown, what: string): void {
  const f = fn as { processElement1?: unknown; processElement2?: unknown; processBroadcastElement?: unknown } | null | undefined;
  if (!f || typeof f.processElement1 !== 'function' || typeof f.processElement2 !== 'function') {
    // A broadcast function on a stream broadcast without descriptors: connect() saw a plain stream.
    const hint = f && typeof f.processBroadcastElement === 'function'
      ? ' (this is a broadcast process function: broadcast the other stream with its state descriptors, stream.broadcast(new MapStateDescriptor(name)), before connect())'
      : '';
    throw invalidArgument(`${what}: expected an object with processElement1(value, ctx, out) and processElement2(value, ctx, out) methods${hint}`);
  }
}
