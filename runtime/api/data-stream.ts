/**
 * `DataStream<T>` and `KeyedStream<K, T>`: the typed, Flink-like builder API.
 * Every method appends nodes to the environment's logical graph; nothing runs
 * until the job is executed.
 */
import { StreamGraph, type Partitioning, type StreamEdge, type StreamNode, type OperatorSpec } from '../graph/stream-graph.ts';
import type { SinkSpec } from '../graph/sink-spec.ts';
import type { TwoPhaseCommitSinkDefinition } from '../operators/sinks/two-phase-commit-sink.ts';
import type { AsyncBatchSinkDefinition } from '../operators/sinks/async-batch-sink.ts';
import { invalidArgument, invalidGraph } from '../errors.ts';
import { preview } from '../../common/weir-error.ts';
import { ConnectedStreams } from './connected-streams.ts';
import { IntervalJoin } from './interval-join.ts';
import type {
  FilterFunction, FlatMapFunction, KeyedProcessFunction, KeySelector, MapFunction, ReduceFunction, WatermarkStrategy,
} from './functions.ts';
import type { ProcessFunction } from './process-function.ts';
import { outputTagId, type OutputTag } from './output-tag.ts';
import { AllWindowedStream, WindowedStream } from './windowed-stream.ts';
import type { GlobalWindow, Window } from '../operators/windows/windows.ts';
import type { WindowAssigner } from '../operators/windows/window-operator-spec.ts';
import { JoinedStreams } from './joined-streams.ts';
import { BroadcastConnectedStream, BroadcastStream, KeyedBroadcastConnectedStream } from './broadcast-stream.ts';
import type { MapStateDescriptor } from '../../state/index.ts';

/** An upstream node plus how records leave it. A union has several. */
interface Upstream {
  readonly nodeId: number;
  readonly partitioning: Partitioning;
  readonly keySelector?: (value: any) => unknown;
  /** A side output of the node (`getSideOutput(tag)`): kept through keyBy/rebalance/union. */
  readonly sideOutputTag?: string;
}

/** The side-output tag of an upstream, as a spreadable part of an upstream or edge. */
const tagOf = (u: Upstream): { sideOutputTag?: string } => (u.sideOutputTag !== undefined ? { sideOutputTag: u.sideOutputTag } : {});

export class DataStream<T> {
  /** @internal */
  constructor(
    /** @internal */ readonly graph: StreamGraph,
    /** @internal */ readonly upstreams: readonly Upstream[],
  ) {}

  /** The node this stream is the output of (undefined for a union or a repartitioned view). */
  protected get node(): StreamNode | undefined {
    if (this.upstreams.length !== 1) return undefined;
    const u = this.upstreams[0]!;
    return u.partitioning === 'auto' ? this.graph.node(u.nodeId) : undefined;
  }

  protected append<R>(spec: OperatorSpec, name: string, edgeOverride?: Partial<Upstream>): SingleOutputStream<R> {
    const inputs: Omit<StreamEdge, 'to'>[] = this.upstreams.map((u) => ({
      from: u.nodeId,
      partitioning: edgeOverride?.partitioning ?? u.partitioning,
      ...(edgeOverride?.keySelector ?? u.keySelector ? { keySelector: edgeOverride?.keySelector ?? u.keySelector } : {}),
      ...tagOf(u),
    }));
    const node = this.graph.addNode(spec, inputs, name);
    return new SingleOutputStream<R>(this.graph, node);
  }

  map<R>(fn: MapFunction<T, R>): SingleOutputStream<R> {
    requireFunction(fn, 'map');
    return this.append<R>({ kind: 'map', fn }, 'Map');
  }

  filter(fn: FilterFunction<T>): SingleOutputStream<T> {
    requireFunction(fn, 'filter');
    return this.append<T>({ kind: 'filter', fn }, 'Filter');
  }

  flatMap<R>(fn: FlatMapFunction<T, R>): SingleOutputStream<R> {
    requireFunction(fn, 'flatMap');
    return this.append<R>({ kind: 'flatMap', fn }, 'FlatMap');
  }

  /** Partition by key: records with the same key go to the same subtask (by key group, Flink's scheme). */
  keyBy<K>(keySelector: KeySelector<T, K>): KeyedStream<K, T> {
    requireFunction(keySelector, 'keyBy');
    return new KeyedStream<K, T>(
      this.graph,
      this.upstreams.map((u) => ({ nodeId: u.nodeId, partitioning: 'hash' as const, keySelector, ...tagOf(u) })),
      keySelector,
    );
  }

  /** Round-robin redistribution to the next operator's subtasks. */
  rebalance(): DataStream<T> {
    return new DataStream<T>(this.graph, this.upstreams.map((u) => ({ nodeId: u.nodeId, partitioning: 'rebalance' as const, ...tagOf(u) })));
  }

  /** Merge streams of the same type; the next operator reads all of them (fairly). */
  union(...others: DataStream<T>[]): DataStream<T> {
    for (const o of others) {
      if (!(o instanceof DataStream)) throw invalidArgument(`union: expected DataStreams, got ${preview(o)}`);
      if (o.graph !== this.graph) throw invalidGraph('union: all streams must come from the same environment');
    }
    return new DataStream<T>(this.graph, [...this.upstreams, ...others.flatMap((o) => o.upstreams)]);
  }

  /**
   * Connect with another stream (possibly of another type) for a two-input operator:
   * `.process(CoProcessFunction)` or `.keyBy(k1, k2).process(...)`. Connecting a
   * `BroadcastStream` (from `broadcast(descriptor)`) gives the broadcast state pattern:
   * `.process(BroadcastProcessFunction)`, or `KeyedBroadcastProcessFunction` on a KeyedStream.
   */
  connect<T2>(other: BroadcastStream<T2>): BroadcastConnectedStream<T, T2>;
  connect<T2>(other: DataStream<T2>): ConnectedStreams<T, T2>;
  connect<T2>(other: DataStream<T2> | BroadcastStream<T2>): ConnectedStreams<T, T2> | BroadcastConnectedStream<T, T2> {
    if (other instanceof BroadcastStream) return new BroadcastConnectedStream<T, T2>(this, other, streamOfNode);
    return new ConnectedStreams<T, T2>(this, other, streamOfNode);
  }

  /**
   * Send every record to every subtask of the next operator (Flink's `broadcast()`). With
   * MapStateDescriptors, the stream becomes a `BroadcastStream` whose records each subtask of the
   * connected operator keeps in broadcast state: `events.connect(rules.broadcast(d)).process(fn)`.
   */
  broadcast(): DataStream<T>;
  broadcast(descriptor: MapStateDescriptor<any, any>, ...more: MapStateDescriptor<any, any>[]): BroadcastStream<T>;
  broadcast(...descriptors: MapStateDescriptor<any, any>[]): DataStream<T> | BroadcastStream<T> {
    const stream = new DataStream<T>(this.graph, this.upstreams.map((u) => ({ nodeId: u.nodeId, partitioning: 'broadcast' as const, ...tagOf(u) })));
    return descriptors.length === 0 ? stream : new BroadcastStream<T>(stream, descriptors);
  }

  /** Assign event timestamps and emit bounded-out-of-orderness watermarks. */
  assignTimestampsAndWatermarks(strategy: WatermarkStrategy<T>): SingleOutputStream<T> {
    requireFunction(strategy?.timestamp, 'assignTimestampsAndWatermarks (timestamp)');
    const { maxOutOfOrdernessMs: delay, intervalMs, idleTimeoutMs } = strategy;
    if (delay !== undefined && !(typeof delay === 'number' && delay >= 0 && delay < Infinity)) {
      throw invalidArgument(`assignTimestampsAndWatermarks: maxOutOfOrdernessMs must be a finite number >= 0, got ${preview(delay)}`);
    }
    // NaN or a string here would mean no watermark ever (windows never fire) — rejected, not run.
    if (intervalMs !== undefined && !(typeof intervalMs === 'number' && intervalMs >= 0 && intervalMs < Infinity)) {
      throw invalidArgument(`assignTimestampsAndWatermarks: intervalMs must be a finite number >= 0 (0 = after every record), got ${preview(intervalMs)}`);
    }
    if (idleTimeoutMs !== undefined && !(typeof idleTimeoutMs === 'number' && idleTimeoutMs > 0 && idleTimeoutMs < Infinity)) {
      throw invalidArgument(`assignTimestampsAndWatermarks: idleTimeoutMs must be a finite number > 0 (leave it out: never idle), got ${preview(idleTimeoutMs)}`);
    }
    return this.append<T>({ kind: 'watermarks', strategy }, 'Timestamps/Watermarks');
  }

  // ---- sinks ----

  /** Hand records to the calling thread: read them from the job client with `results(name)` / `collected(name)`. */
  collect(name = 'default'): SinkHandle {
    if (typeof name !== 'string' || name.length === 0) throw invalidArgument('collect: the name must be a non-empty string');
    // One sink per name: results(name) / collected(name) read one sink. Two streams into one name
    // were merged silently, in an order no one chose; union() says so.
    const taken = this.graph.nodes.find((n) => n.spec.kind === 'sink' && n.spec.sink.type === 'collect' && n.spec.sink.name === name);
    if (taken) throw invalidGraph(`collect('${name}') is used twice: a collect sink's name identifies its results (results('${name}'), collected('${name}')); give each sink its own name, or union() the streams into one collect`, { sink: name });
    return this.sink({ type: 'collect', name }, `Collect(${name})`);
  }

  /** Print each record on stdout. */
  print(prefix?: string): SinkHandle {
    return this.sink({ type: 'console', ...(prefix !== undefined ? { prefix } : {}) }, 'Print');
  }

  /** Write JSON Lines, one part file per subtask, into `directory` (created if missing). */
  writeJsonl(directory: string): SinkHandle {
    if (typeof directory !== 'string' || directory.length === 0) throw invalidArgument('writeJsonl: directory must be a non-empty string');
    return this.sink({ type: 'jsonl', directory }, 'JsonlSink');
  }

  /** Call `fn` for each record, in the worker. */
  addSink(fn: (value: T) => void): SinkHandle {
    requireFunction(fn, 'addSink');
    return this.sink({ type: 'function', fn: fn as (v: unknown) => void }, 'Sink');
  }

  /**
   * An exactly-once sink (Flink's two-phase commit): records become visible only when the
   * checkpoint covering them completes (or at the end of a job without checkpointing).
   * Create the definition inside the build function, e.g.
   * `stream.sinkTo(exactlyOnceFileSink({ directory, format: 'csv' })).uid('out')`;
   * give it a `uid` so its pending transactions are found on restore.
   */
  sinkTo<Txn>(sink: TwoPhaseCommitSinkDefinition<T, Txn> | AsyncBatchSinkDefinition<T>): SinkHandle {
    if (sink && sink.kind === 'async-batch-sink') return this.sink({ type: 'async-batch', sink }, sink.options.name);
    if (!sink || sink.kind !== 'two-phase-commit-sink' || typeof sink.create !== 'function') {
      throw invalidArgument('sinkTo: expected a sink definition (from exactlyOnceFileSink(), twoPhaseCommitSink(), postgresSink() or asyncBatchSink())');
    }
    return this.sink({ type: 'two-phase-commit', sink }, sink.name);
  }

  private sink(spec: SinkSpec, name: string): SinkHandle {
    const s = this.append<never>({ kind: 'sink', sink: spec }, name);
    return new SinkHandle(this.graph, s.nodeRef);
  }

  /**
   * Flink's ProcessFunction on a non-keyed stream: `processElement(value, ctx, out)` with the
   * record's timestamp and side outputs (`ctx.output(tag, v)`). No keyed state and no timers
   * here (key the stream for those: `keyBy(...).process(...)`).
   */
  process<R>(fn: ProcessFunction<T, R>): SingleOutputStream<R> {
    if (!fn || typeof fn.processElement !== 'function') {
      throw invalidArgument('process: expected an object with a processElement(value, ctx, out) method');
    }
    return this.append<R>({ kind: 'process', fn }, 'Process');
  }

  /** Flink's window join: `a.join(b).where(keyA).equalTo(keyB).window(assigner).apply((x, y) => …)` (joined-streams.ts). */
  join<T2>(other: DataStream<T2>): JoinedStreams<T, T2, 'join'> {
    return new JoinedStreams<T, T2, 'join'>(this, other, 'join');
  }

  /** Flink's coGroup: like `join`, with both sides' elements of a key and window at once: `apply((xs, ys, out) => …)`. */
  coGroup<T2>(other: DataStream<T2>): JoinedStreams<T, T2, 'coGroup'> {
    return new JoinedStreams<T, T2, 'coGroup'>(this, other, 'coGroup');
  }

  /** Windows over the whole stream (Flink's windowAll): one non-parallel window operator (parallelism 1). */
  windowAll<W extends Window>(assigner: WindowAssigner<T, W>): AllWindowedStream<T, W> {
    const keyed = this.keyBy(constantKey);
    return new AllWindowedStream<T, W>(new WindowedStream<T, number, W>((spec, name) => {
      const windows = keyed.append({ kind: 'window', keySelector: constantKey, window: spec }, name).setParallelism(1);
      windows.nodeRef.nonParallel = true;
      return windows;
    }, assigner, 'windowAll'));
  }
}

/** The key of windowAll: every record in one key (so one subtask holds the windows). */
const constantKey = (): number => 0;

/** A stream produced by one operator: its parallelism, uid and name can be set. */
export class SingleOutputStream<T> extends DataStream<T> {
  /** @internal */
  constructor(graph: StreamGraph, /** @internal */ readonly nodeRef: StreamNode) {
    super(graph, [{ nodeId: nodeRef.id, partitioning: 'auto' }]);
  }

  /** Number of parallel subtasks of this operator. */
  setParallelism(parallelism: number): this {
    setNodeParallelism(this.nodeRef, parallelism);
    return this;
  }

  /** Stable identity used to match state on restore (set it on every stateful operator, as in Flink). */
  uid(uid: string): this {
    setNodeUid(this.graph, this.nodeRef, uid);
    return this;
  }

  name(name: string): this {
    if (typeof name !== 'string' || name.length === 0) throw invalidArgument('name must be a non-empty string');
    this.nodeRef.name = name;
    return this;
  }

  /** Do not chain this operator to its predecessor. */
  startNewChain(): this {
    this.nodeRef.chainingDisabled = true;
    return this;
  }

  /**
   * The records this operator emitted to side output `tag` (`ctx.output(tag, v)`, or a window's
   * `sideOutputLateData(tag)`). Tags are compared by id; a tag nobody emits to gives an empty stream.
   */
  getSideOutput<X>(tag: OutputTag<X>): DataStream<X> {
    const sideOutputTag = outputTagId(tag, `getSideOutput on '${this.nodeRef.name}' (${this.nodeRef.uid})`);
    return new DataStream<X>(this.graph, [{ nodeId: this.nodeRef.id, partitioning: 'auto', sideOutputTag }]);
  }
}

export class KeyedStream<K, T> extends DataStream<T> {
  /** @internal */
  constructor(graph: StreamGraph, upstreams: readonly Upstream[], /** @internal */ readonly keySelector: KeySelector<T, K>) {
    super(graph, upstreams);
  }

  /** Rolling reduce per key: emits the updated value for every input record (Flink semantics). */
  reduce(fn: ReduceFunction<T>): SingleOutputStream<T> {
    requireFunction(fn, 'reduce');
    return this.append<T>({ kind: 'keyedReduce', keySelector: this.keySelector, reduce: fn, aggregate: 'reduce' }, 'Reduce');
  }

  /** Rolling sum per key. Numbers: the sum; objects: the record with `field` replaced by the running sum. */
  sum(field?: NumericField<T>): SingleOutputStream<T> {
    return this.aggregateField('sum', field, (a, b) => a + b);
  }

  min(field?: NumericField<T>): SingleOutputStream<T> {
    return this.aggregateField('min', field, (a, b) => Math.min(a, b));
  }

  max(field?: NumericField<T>): SingleOutputStream<T> {
    return this.aggregateField('max', field, (a, b) => Math.max(a, b));
  }

  /** Rolling count per key: emits `[key, count]` for every input record. */
  count(): SingleOutputStream<[K, number]> {
    return this.append<[K, number]>({ kind: 'keyedCount', keySelector: this.keySelector }, 'Count');
  }

  /** `connect(broadcastStream)` on a keyed stream: `.process(KeyedBroadcastProcessFunction)` (keyed state and timers). */
  override connect<T2>(other: BroadcastStream<T2>): KeyedBroadcastConnectedStream<K, T, T2>;
  override connect<T2>(other: DataStream<T2>): ConnectedStreams<T, T2>;
  override connect<T2>(other: DataStream<T2> | BroadcastStream<T2>): ConnectedStreams<T, T2> | KeyedBroadcastConnectedStream<K, T, T2> {
    if (other instanceof BroadcastStream) return new KeyedBroadcastConnectedStream<K, T, T2>(this, other, streamOfNode);
    return new ConnectedStreams<T, T2>(this, other, streamOfNode);
  }

  /** Flink's KeyedProcessFunction: keyed state and timers. */
  override process<R>(fn: KeyedProcessFunction<K, T, R>): SingleOutputStream<R> {
    if (!fn || typeof fn.processElement !== 'function') {
      throw invalidArgument('process: expected an object with a processElement(value, ctx, out) method');
    }
    return this.append<R>({ kind: 'keyedProcess', keySelector: this.keySelector, fn }, 'KeyedProcess');
  }

  /** Windows per key (Flink's `keyBy(...).window(assigner)`): then reduce, aggregate or process. */
  window<W extends Window>(assigner: WindowAssigner<T, W>): WindowedStream<T, K, W> {
    return new WindowedStream<T, K, W>((spec, name) => this.append({ kind: 'window', keySelector: this.keySelector, window: spec }, name), assigner, 'window');
  }

  /**
   * Count windows per key: every `size` records (tumbling, purged after each firing), or with
   * `slide` the last `size` records every `slide` records (Flink's GlobalWindows + CountTrigger,
   * with a CountEvictor when sliding). Records left in an unfilled window are never emitted.
   */
  countWindow(size: number, slide?: number): WindowedStream<T, K, GlobalWindow> {
    return WindowedStream.countWindow<T, K>((spec, name) => this.append({ kind: 'window', keySelector: this.keySelector, window: spec }, name), size, slide);
  }

  /** Flink's interval join with another keyed stream (event time): `.between(lowerMs, upperMs).process(ProcessJoinFunction)`. */
  intervalJoin<T2>(other: KeyedStream<K, T2>): IntervalJoin<K, T, T2> {
    return new IntervalJoin<K, T, T2>(this, other, streamOfNode);
  }

  private aggregateField(kind: 'sum' | 'min' | 'max', field: NumericField<T> | undefined, op: (a: number, b: number) => number): SingleOutputStream<T> {
    const f = field as string | undefined;
    const reduce = f === undefined
      ? (a: any, b: any) => op(a, b)
      : (a: any, b: any) => ({ ...b, [f]: op(a[f], b[f]) });
    return this.append<T>({ kind: 'keyedReduce', keySelector: this.keySelector, reduce, aggregate: f === undefined ? kind : `${kind}(${f})` }, kind[0]!.toUpperCase() + kind.slice(1));
  }
}

/** Returned by sinks: a sink's parallelism, uid and name can still be set. */
export class SinkHandle {
  /** @internal */
  constructor(/** @internal */ readonly graph: StreamGraph, /** @internal */ readonly nodeRef: StreamNode) {}
  setParallelism(parallelism: number): this { setNodeParallelism(this.nodeRef, parallelism); return this; }
  uid(uid: string): this { setNodeUid(this.graph, this.nodeRef, uid); return this; }
  name(name: string): this { this.nodeRef.name = name; return this; }
}

/**
 * `fromSource(source, watermarkStrategy)`: the source with its timestamp/watermark assigner chained,
 * one operator to the user as in Flink (where the source generates the watermarks itself). `uid`
 * names the source — its split positions are what the uid must keep across job changes — and the
 * assigner gets `<uid>-watermarks`; `setParallelism` sets both (so they stay chained).
 */
export class SourceWithWatermarks<T> extends SingleOutputStream<T> {
  /** @internal */
  constructor(graph: StreamGraph, assigner: StreamNode, /** @internal */ readonly sourceRef: StreamNode) {
    super(graph, assigner);
  }

  override setParallelism(parallelism: number): this {
    setNodeParallelism(this.sourceRef, parallelism);
    return super.setParallelism(parallelism);
  }

  override uid(uid: string): this {
    setNodeUid(this.graph, this.sourceRef, uid);
    setNodeUid(this.graph, this.nodeRef, `${uid}-watermarks`);
    return this;
  }
}

/** @internal Appends a one-input operator after `stream` (for builders outside this module, e.g. AsyncDataStream). */
export function appendOperator<R>(stream: DataStream<any>, spec: OperatorSpec, name: string): SingleOutputStream<R> {
  return (stream as unknown as { append<X>(spec: OperatorSpec, name: string): SingleOutputStream<X> }).append<R>(spec, name);
}

/** A two-input operator's node as a stream (connected-streams.ts and interval-join.ts build the node). */
const streamOfNode = (graph: StreamGraph, node: StreamNode): SingleOutputStream<any> => new SingleOutputStream<any>(graph, node);

export type NumericField<T> = { [P in keyof T]: T[P] extends number ? P : never }[keyof T];

function requireFunction(fn: unknown, what: string): void {
  if (typeof fn !== 'function') throw invalidArgument(`${what}: expected a function, got ${fn === null ? 'null' : typeof fn}`);
}

function setNodeParallelism(node: StreamNode, parallelism: number): void {
  if (!Number.isInteger(parallelism) || parallelism < 1) {
    throw invalidArgument(`setParallelism on '${node.name}' (${node.uid}): expected an integer >= 1, got ${parallelism}`, { uid: node.uid });
  }
  node.parallelism = parallelism;
}

function setNodeUid(graph: StreamGraph, node: StreamNode, uid: string): void {
  if (typeof uid !== 'string' || uid.length === 0) throw invalidArgument('uid must be a non-empty string');
  if (!/^[A-Za-z0-9._-]+$/.test(uid)) throw invalidArgument(`uid '${uid}' may only contain letters, digits, '.', '_' and '-' (it names state directories)`);
  if (/^\.+$/.test(uid)) throw invalidArgument(`uid '${uid}' cannot be only dots (it names state directories)`);
  const clash = graph.nodes.find((n) => n !== node && n.uid === uid);
  if (clash) throw invalidGraph(`uid '${uid}' is used twice (operators '${clash.name}' and '${node.name}')`, { uid });
  node.uid = uid;
  node.uidExplicit = true;
}
