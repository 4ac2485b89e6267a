/**
 * Window joins (Flink's `JoinedStreams` and `CoGroupedStreams`):
 *
 *   a.join(b).where(keyA).equalTo(keyB).window(assigner).apply((x, y) => …)
 *   a.coGroup(b).where(keyA).equalTo(keyB).window(assigner).apply((xs, ys, out) => …)
 *
 * Built the way Flink builds them: both inputs are tagged with their side, unioned, keyed by
 * their own key selector and windowed; at each firing the window's elements are split by side
 * and handed to the function — every pair for a join (an inner join: a window with elements of
 * one side only emits nothing), both lists for a coGroup. So a window join has every property
 * of windows: event or processing time, triggers, allowed lateness, checkpointed and rescaled
 * window contents. Results carry the window's max timestamp. The resulting operator's uid is set
 * with `.uid()` on the returned stream, like any window operator.
 */
import type { Collector } from './functions.ts';
import type { DataStream, SingleOutputStream } from './data-stream.ts';
import type { ProcessWindowFunction } from './window-functions.ts';
import type { Trigger, WindowAssigner } from '../operators/windows/window-operator-spec.ts';
import type { Window } from '../operators/windows/windows.ts';
import { invalidArgument, invalidGraph } from '../errors.ts';

/** Flink's JoinFunction: one result per pair of elements with equal keys in the same window. */
export type JoinFunction<A, B, R> = (first: A, second: B) => R;
/** Flink's FlatJoinFunction: any number of results per pair. */
export type FlatJoinFunction<A, B, R> = (first: A, second: B, out: Collector<R>) => void;
/** Flink's CoGroupFunction: both sides' elements of one key and window (either may be empty). */
export type CoGroupFunction<A, B, R> = (first: A[], second: B[], out: Collector<R>) => void;

/** An element of either input, tagged with its side (0: first, 1: second). */
interface Tagged { readonly side: 0 | 1; readonly value: unknown }

type Grouper<R> = (first: unknown[], second: unknown[], out: Collector<R>) => void;

/** Which of the two operations is being built. */
export type JoinKind = 'join' | 'coGroup';

abstract class TwoStreams {
  /** @internal */
  constructor(protected readonly first: DataStream<any>, protected readonly second: DataStream<any>, protected readonly what: JoinKind) {
    if (!second || typeof second.union !== 'function') throw invalidArgument(`${what}: expected a DataStream to ${what} with`);
    if (first.graph !== second.graph) throw invalidGraph(`${what}: both streams must come from the same environment`);
  }
}

/** `a.join(b)` / `a.coGroup(b)`: next, the first input's key. */
export class JoinedStreams<A, B, M extends JoinKind = JoinKind> extends TwoStreams {
  /** The key of the first input. */
  where<K>(keyA: (a: A) => K): JoinWhere<A, B, K, M> {
    requireFunction(keyA, `${this.what}(...).where`);
    return new JoinWhere<A, B, K, M>(this.first, this.second, this.what, keyA);
  }
}

export class JoinWhere<A, B, K, M extends JoinKind = JoinKind> {
  /** @internal */
  constructor(private readonly first: DataStream<A>, private readonly second: DataStream<B>, private readonly what: JoinKind, private readonly keyA: (a: A) => K) {}

  /** The key of the second input: elements with equal keys meet. */
  equalTo(keyB: (b: B) => K): JoinEqualTo<A, B, K, M> {
    requireFunction(keyB, `${this.what}(...).where(...).equalTo`);
    return new JoinEqualTo<A, B, K, M>(this.first, this.second, this.what, this.keyA, keyB);
  }
}

export class JoinEqualTo<A, B, K, M extends JoinKind = JoinKind> {
  /** @internal */
  constructor(
    private readonly first: DataStream<A>, private readonly second: DataStream<B>, private readonly what: JoinKind,
    private readonly keyA: (a: A) => K, private readonly keyB: (b: B) => K,
  ) {}

  /** The windows the two inputs meet in (any assigner: tumbling, sliding, session, processing time). */
  window<W extends Window>(assigner: WindowAssigner<unknown, W>): WithWindow<A, B, K, W, M> {
    return new WithWindow<A, B, K, W, M>(this.first, this.second, this.what, this.keyA, this.keyB, assigner);
  }
}

export class WithWindow<A, B, K, W extends Window, M extends JoinKind = JoinKind> {
  private triggerValue: Trigger<unknown, W> | undefined;
  private lateness: number | undefined;

  /** @internal */
  constructor(
    private readonly first: DataStream<A>, private readonly second: DataStream<B>, private readonly what: JoinKind,
    private readonly keyA: (a: A) => K, private readonly keyB: (b: B) => K, private readonly assigner: WindowAssigner<unknown, W>,
  ) {}

  /** Replace the assigner's default trigger. */
  trigger(trigger: Trigger<unknown, W>): this {
    this.triggerValue = trigger;
    return this;
  }

  /** Elements up to `ms` behind the watermark still join (their window fires again). */
  allowedLateness(ms: number): this {
    this.lateness = ms;
    return this;
  }

  /**
   * join: `fn(first, second)` for every pair (a `JoinFunction`), or with `{ flat: true }` a
   * `FlatJoinFunction(first, second, out)`; coGroup: a `CoGroupFunction(firsts, seconds, out)`.
   */
  apply<R>(fn: M extends 'join' ? JoinFunction<A, B, R> : CoGroupFunction<A, B, R>): SingleOutputStream<R>;
  apply<R>(fn: FlatJoinFunction<A, B, R>, options: { flat: true }): SingleOutputStream<R>;
  apply<R>(fn: JoinFunction<A, B, R> | FlatJoinFunction<A, B, R> | CoGroupFunction<A, B, R>, options: { flat?: boolean } = {}): SingleOutputStream<R> {
    requireFunction(fn, `${this.what}(...).apply`);
    let grouper: Grouper<R>;
    if (this.what === 'coGroup') {
      grouper = fn as Grouper<R>;
    } else if (options.flat) {
      const flat = fn as FlatJoinFunction<unknown, unknown, R>;
      grouper = (xs, ys, out) => { for (const x of xs) for (const y of ys) flat(x, y, out); };
    } else {
      const join = fn as JoinFunction<unknown, unknown, R>;
      grouper = (xs, ys, out) => { for (const x of xs) for (const y of ys) out.collect(join(x, y)); };
    }
    const keyA = this.keyA;
    const keyB = this.keyB;
    const tagged = this.first.map((value): Tagged => ({ side: 0, value }))
      .union(this.second.map((value): Tagged => ({ side: 1, value })));
    let windowed = tagged.keyBy((t) => (t.side === 0 ? keyA(t.value as A) : keyB(t.value as B))).window(this.assigner as WindowAssigner<Tagged, W>);
    if (this.triggerValue) windowed = windowed.trigger(this.triggerValue as Trigger<Tagged, W>);
    if (this.lateness !== undefined) windowed = windowed.allowedLateness(this.lateness);
    const process: ProcessWindowFunction<Tagged, R, K, W> = {
      process(_key, _ctx, elements, out) {
        const xs: unknown[] = [];
        const ys: unknown[] = [];
        for (const e of elements) (e.side === 0 ? xs : ys).push(e.value);
        grouper(xs, ys, out);
      },
    };
    return windowed.process(process).name(this.what === 'join' ? 'WindowJoin' : 'WindowCoGroup');
  }
}

function requireFunction(fn: unknown, what: string): void {
  if (typeof fn !== 'function') throw invalidArgument(`${what}: expected a function, got ${fn === null ? 'null' : typeof fn}`);
}
