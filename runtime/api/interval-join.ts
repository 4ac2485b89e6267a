/**
 * `keyedA.intervalJoin(keyedB).between(lowerMs, upperMs)[.lowerBoundExclusive()][.upperBoundExclusive()]
 * .process(ProcessJoinFunction)` — Flink's interval join (event time): for each left element at t,
 * the right elements of the same key at s ∈ [t + lowerMs, t + upperMs] (runtime in
 * operators/interval-join-operator.ts). Both inputs need event timestamps
 * (`assignTimestampsAndWatermarks`), checked when the job graph is built.
 */
import type { KeySelector } from './functions.ts';
import type { ProcessJoinFunction } from './two-input-functions.ts';
import type { DataStream, SingleOutputStream } from './data-stream.ts';
import { addTwoInputNode, type StreamOfNode } from './connected-streams.ts';
import { invalidArgument, invalidGraph } from '../errors.ts';
import { preview } from '../../common/weir-error.ts';

type KeyedParts<K, T> = DataStream<T> & { readonly keySelector: KeySelector<T, K> };

export class IntervalJoin<K, IN1, IN2> {
  /** @internal */
  constructor(
    /** @internal */ readonly left: KeyedParts<K, IN1>,
    /** @internal */ readonly right: KeyedParts<K, IN2>,
    /** @internal */ readonly wrap: StreamOfNode,
  ) {
    if (!right || typeof (right as { keySelector?: unknown }).keySelector !== 'function') {
      throw invalidArgument('intervalJoin: expected a KeyedStream (call keyBy() on the other stream first)');
    }
    if (left.graph !== right.graph) throw invalidGraph('intervalJoin: the two streams come from different environments; build both in the same job');
  }

  /** Join right elements at s ∈ [t + lowerMs, t + upperMs] of each left element at t (both bounds inclusive by default). */
  between(lowerMs: number, upperMs: number): IntervalJoined<K, IN1, IN2> {
    for (const [name, v] of [['lowerMs', lowerMs], ['upperMs', upperMs]] as const) {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidArgument(`intervalJoin().between: ${name} must be a finite number of ms, got ${preview(v)}`);
    }
    if (lowerMs > upperMs) throw invalidArgument(`intervalJoin().between: lowerMs (${lowerMs}) must be <= upperMs (${upperMs})`, { lowerMs, upperMs });
    return new IntervalJoined<K, IN1, IN2>(this.left, this.right, lowerMs, upperMs, this.wrap);
  }
}

export class IntervalJoined<K, IN1, IN2> {
  private lowerInclusive = true;
  private upperInclusive = true;
  /** @internal */
  constructor(
    private readonly left: KeyedParts<K, IN1>,
    private readonly right: KeyedParts<K, IN2>,
    private readonly lowerMs: number,
    private readonly upperMs: number,
    private readonly wrap: StreamOfNode,
  ) {}

  /** Exclude right elements at exactly t + lowerMs. */
  lowerBoundExclusive(): this {
    this.lowerInclusive = false;
    return this;
  }

  /** Exclude right elements at exactly t + upperMs. */
  upperBoundExclusive(): this {
    this.upperInclusive = false;
    return this;
  }

  /** Flink's `ProcessJoinFunction`: called once per joined pair; results carry the larger of the two timestamps. */
  process<R>(fn: ProcessJoinFunction<IN1, IN2, R>): SingleOutputStream<R> {
    if (!fn || typeof fn.processElement !== 'function') {
      throw invalidArgument('intervalJoin().process: expected an object with a processElement(left, right, ctx, out) method');
    }
    const { left, right } = this;
    const spec = {
      kind: 'intervalJoin' as const,
      keySelector1: left.keySelector,
      keySelector2: right.keySelector,
      lowerMs: this.lowerMs,
      upperMs: this.upperMs,
      lowerInclusive: this.lowerInclusive,
      upperInclusive: this.upperInclusive,
      fn,
    };
    return addTwoInputNode(left, right, spec, 'IntervalJoin', this.wrap, [left.keySelector, right.keySelector]) as SingleOutputStream<R>;
  }
}
