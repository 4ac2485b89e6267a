/**
 * The broadcast state pattern's builders (Flink's `BroadcastStream` and
 * `BroadcastConnectedStream`): `rules.broadcast(descriptor)` → `BroadcastStream`;
 * `events.keyBy(k).connect(broadcastStream)` (or a non-keyed `events.connect(...)`) →
 * `BroadcastConnectedStream`; `.process(fn)` adds the two-input operator whose second input
 * arrives on broadcast edges (every record to every subtask). Semantics, checkpointing and the
 * bound of broadcast state: broadcast-functions.ts and operators/broadcast-state.ts.
 */
import type { MapStateDescriptor } from '../../state/index.ts';
import type { BroadcastProcessFunction, KeyedBroadcastProcessFunction } from './broadcast-functions.ts';
import type { DataStream, SingleOutputStream } from './data-stream.ts';
import { addTwoInputNode, type StreamOfNode } from './connected-streams.ts';
import { invalidArgument } from '../errors.ts';

/** Default bound of one operator subtask's broadcast state (encoded bytes of all entries; operators/broadcast-state.ts). */
export const DEFAULT_BROADCAST_STATE_MAX_BYTES = 16 * 1024 * 1024;

export class BroadcastStream<T> {
  /** @internal */ maxStateBytes = DEFAULT_BROADCAST_STATE_MAX_BYTES;
  /** @internal */
  constructor(
    /** @internal */ readonly stream: DataStream<T>,
    /** @internal */ readonly descriptors: readonly MapStateDescriptor<unknown, unknown>[],
  ) {
    const names = new Set<string>();
    for (const d of descriptors) {
      if (!d || (d as { kind?: unknown }).kind !== 'map' || typeof d.name !== 'string') {
        throw invalidArgument(`broadcast: expected MapStateDescriptors (new MapStateDescriptor(name)), got ${d === null ? 'null' : typeof d === 'object' ? `a ${(d as { kind?: string }).kind ?? 'non-descriptor'} descriptor` : typeof d}`);
      }
      if (d.ttl) throw invalidArgument(`broadcast: state '${d.name}' has a TTL; broadcast state has none (its entries live until removed)`, { name: d.name });
      if (names.has(d.name)) throw invalidArgument(`broadcast: state '${d.name}' is given twice`, { name: d.name });
      names.add(d.name);
    }
  }

  /**
   * The bound of this broadcast state per operator subtask: encoded bytes of all entries of all
   * its descriptors (default 16 MiB). It is held whole on every subtask and stored in every
   * checkpoint, once per subtask; a write past it fails with `WEIR_BROADCAST_STATE_TOO_LARGE`.
   */
  withMaxStateBytes(bytes: number): this {
    if (!Number.isInteger(bytes) || bytes < 1) throw invalidArgument(`withMaxStateBytes: expected an integer >= 1, got ${bytes}`);
    this.maxStateBytes = bytes;
    return this;
  }
}

export class BroadcastConnectedStream<IN1, IN2> {
  /** @internal */
  constructor(
    /** @internal */ readonly first: DataStream<IN1>,
    /** @internal */ readonly broadcast: BroadcastStream<IN2>,
    /** @internal */ readonly wrap: StreamOfNode,
  ) {}

  /**
   * Flink's `process(BroadcastProcessFunction)`: the first stream is not keyed (a KeyedStream's
   * `connect` gives a {@link KeyedBroadcastConnectedStream}, whose `process` takes a
   * KeyedBroadcastProcessFunction).
   */
  process<R>(fn: BroadcastProcessFunction<IN1, IN2, R>): SingleOutputStream<R> {
    return this.addOperator(fn) as SingleOutputStream<R>;
  }

  /** @internal Adds the operator: keyed when the first stream is a KeyedStream. */
  protected addOperator(fn: unknown): SingleOutputStream<unknown> {
    const f = fn as { processElement?: unknown; processBroadcastElement?: unknown; onTimer?: unknown } | null | undefined;
    if (!f || typeof f.processElement !== 'function' || typeof f.processBroadcastElement !== 'function') {
      throw invalidArgument('connect(broadcastStream).process: expected an object with processElement(value, ctx, out) and processBroadcastElement(value, ctx, out) methods');
    }
    const keySelector = (this.first as { keySelector?: (v: any) => unknown }).keySelector;
    const config = { descriptors: this.broadcast.descriptors.map((d) => d.name), maxStateBytes: this.broadcast.maxStateBytes };
    if (keySelector) {
      const spec = { kind: 'keyedBroadcastProcess' as const, keySelector, fn: fn as KeyedBroadcastProcessFunction<any, any, any, any>, ...config };
      return addTwoInputNode(this.first, this.broadcast.stream, spec, 'KeyedBroadcastProcess', this.wrap);
    }
    if (f.onTimer !== undefined) {
      throw invalidArgument('connect(broadcastStream).process: onTimer needs a keyed stream (timers are keyed, as in Flink): key the first stream with keyBy() before connect()');
    }
    const spec = { kind: 'broadcastProcess' as const, fn: fn as BroadcastProcessFunction<any, any, any>, ...config };
    return addTwoInputNode(this.first, this.broadcast.stream, spec, 'BroadcastProcess', this.wrap);
  }
}

/** `keyedStream.connect(broadcastStream)`: `process(KeyedBroadcastProcessFunction)` with keyed state and timers on the keyed side. */
export class KeyedBroadcastConnectedStream<K, IN1, IN2> extends BroadcastConnectedStream<IN1, IN2> {
  /** Flink's `process(KeyedBroadcastProcessFunction)`. */
  override process<R>(fn: KeyedBroadcastProcessFunction<K, IN1, IN2, R>): SingleOutputStream<R> {
    return this.addOperator(fn) as SingleOutputStream<R>;
  }
}
