/**
 * How a window operator applies the user's window function: folding an element into a window's
 * contents (reduce: the reduced value; aggregate: the accumulator; process and evicting count
 * windows: the element list), combining two windows' contents when sessions merge, and turning
 * contents into results at firing. Every user call is wrapped: a throw becomes
 * WEIR_USER_FUNCTION_FAILED naming the operator, a returned Promise WEIR_ASYNC_USER_FUNCTION.
 *
 * Copies. Contents read from state are the stored objects on both backends and may be changed in
 * place and written back (see window-state.ts); what must not be changed in place is an object
 * shared with someone else:
 * - an accumulator (createAccumulator, add and merge results) and an element list are the
 *   window's own, as in Flink; an add that returns the element itself stores a copy;
 * - a reduced value may be an element (the first of the window, shared by every window it is
 *   in, or one a reduce function returned): it is copied before the first reduce that could
 *   change it, and reduce results other than the element are the window's own (`owned`);
 * - a result handed out at firing (a reduced value, getResult's argument) is copied, or
 *   disowned (reduce), unless the contents are dropped right after (purge, cleanup).
 */
import type { Collector, TaskInfo } from '../../api/functions.ts';
import type { ProcessWindowContext } from '../../api/window-functions.ts';
import { asyncUserFunction, NO_RECORD, callUser, isThenable, userFunctionFailed } from '../operator.ts';
import type { WindowFunctionSpec } from './window-operator-spec.ts';


const isObject = (v: unknown): v is object => v !== null && typeof v === 'object';

function copy<T>(v: T): T {
  return isObject(v) ? structuredClone(v) : v;
}

export class WindowFunctionRunner {
  /** Whether contents are the element list (process functions, evicting count windows). */
  readonly keepsElements: boolean;
  /** Reduced values known to be the window's own (changed in place by reduce without a copy). */
  private readonly owned = new WeakSet<object>();

  constructor(
    private readonly fn: WindowFunctionSpec,
    private readonly info: TaskInfo,
    /** Sliding count windows: keep only the last n elements at each firing (Flink's CountEvictor). */
    private readonly keepLast: number | undefined,
  ) {
    this.keepsElements = fn.type === 'process' || keepLast !== undefined;
  }

  /** The contents after adding `value` (`contents` undefined: the window is new or was purged). May change `contents` in place. */
  add(contents: unknown, value: unknown): unknown {
    if (this.keepsElements) {
      if (contents === undefined) return [value];
      (contents as unknown[]).push(value);
      return contents;
    }
    return this.fold(contents, value);
  }

  /** A reduced value that reduce may change in place. */
  private ownReduced(v: unknown): unknown {
    const owned = this.owned;
    if (!isObject(v) || owned.has(v)) return v;
    const c = structuredClone(v);
    owned.add(c);
    return c;
  }

  /** Fold `value` into an incremental result (reduce or aggregate). */
  private fold(contents: unknown, value: unknown): unknown {
    const fn = this.fn;
    if (fn.type === 'reduce') {
      if (contents === undefined) return value;
      const a = this.ownReduced(contents);
      let r: unknown;
      try {
        r = fn.reduce(a, value);
      } catch (e) {
        throw userFunctionFailed(this.info, 'reduce function', value, e);
      }
      if (isThenable(r)) throw asyncUserFunction(this.info, 'reduce function', value);
      if (isObject(r) && r !== value && r !== a) this.owned.add(r);
      return r;
    }
    if (fn.type === 'aggregate') {
      let acc = contents;
      if (acc === undefined) {
        try {
          acc = fn.agg.createAccumulator();
        } catch (e) {
          throw userFunctionFailed(this.info, 'createAccumulator', value, e);
        }
        if (isThenable(acc)) throw asyncUserFunction(this.info, 'createAccumulator', value);
      }
      let r: unknown;
      try {
        r = fn.agg.add(value, acc);
      } catch (e) {
        throw userFunctionFailed(this.info, 'aggregate function add', value, e);
      }
      if (isThenable(r)) throw asyncUserFunction(this.info, 'aggregate function add', value);
      return r === value ? copy(r) : r;
    }
    throw new Error('unreachable: process windows keep elements');
  }

  /** The contents of a merged session window from two merged windows' contents (both are dropped after). */
  merge(a: unknown, b: unknown): unknown {
    if (this.keepsElements) return [...(a as unknown[]), ...(b as unknown[])];
    const fn = this.fn;
    if (fn.type === 'reduce') {
      const x = this.ownReduced(a);
      const r = callUser(this.info, 'reduce function', b, () => fn.reduce(x, b));
      if (isObject(r) && r !== b && r !== x) this.owned.add(r);
      return r;
    }
    if (fn.type === 'aggregate') {
      const merge = fn.agg.merge;
      if (!merge) throw userFunctionFailed(this.info, 'aggregate function merge', b, new TypeError('merging (session) windows need AggregateFunction.merge(a, b)'));
      const r = callUser(this.info, 'aggregate function merge', b, () => merge.call(fn.agg, a, b));
      return r === b ? copy(r) : r;
    }
    throw new Error('unreachable: process windows keep elements');
  }

  /**
   * Contents to keep after a firing of an evicting window (the last `keepLast` elements), or
   * undefined when unchanged.
   */
  evict(contents: unknown): unknown[] | undefined {
    if (this.keepLast === undefined) return undefined;
    const list = contents as unknown[];
    return list.length > this.keepLast ? list.slice(list.length - this.keepLast) : undefined;
  }

  /**
   * Emit the window's result(s) for `contents` (already evicted). `dropped`: the contents are
   * removed from state right after (nothing can change them later).
   */
  emit<W>(key: unknown, contents: unknown, window: W, ctxOf: (w: W) => ProcessWindowContext<any>, out: Collector<unknown>, dropped: boolean): void {
    const fn = this.fn;
    let single: unknown;
    if (fn.type === 'process') {
      const elements = [...(contents as unknown[])];
      const c = ctxOf(window);
      callUser(this.info, 'process window function', { key, window: String(c.window) }, () => fn.process.process(key, c, elements, out));
      return;
    }
    if (this.keepsElements) {
      // Evicting count windows: the function runs over the kept elements at firing.
      let acc: unknown;
      for (const v of contents as unknown[]) acc = this.fold(acc, v);
      contents = acc;
      dropped = true; // a fresh result, not the stored contents
    }
    if (fn.type === 'reduce') {
      single = contents;
      // Handed out: a later reduce of this window must not change it in place.
      if (!dropped && isObject(single)) this.owned.delete(single);
    } else {
      const acc = dropped ? contents : copy(contents);
      try {
        single = fn.agg.getResult(acc);
      } catch (e) {
        throw userFunctionFailed(this.info, 'aggregate function getResult', NO_RECORD, e);
      }
      if (isThenable(single)) throw asyncUserFunction(this.info, 'aggregate function getResult', NO_RECORD);
    }
    if (fn.process) {
      const p = fn.process;
      const c = ctxOf(window);
      callUser(this.info, 'process window function', { key, window: String(c.window) }, () => p.process(key, c, [single], out));
    } else {
      out.collect(single);
    }
  }
}
