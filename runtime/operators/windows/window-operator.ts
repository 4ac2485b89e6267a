/**
 * Flink's WindowOperator on keyed state: assigns each record to windows, keeps each window's
 * contents per key (window-state.ts), asks the trigger when to fire and purge, and cleans a
 * window up at its cleanup time (event time: max timestamp + allowed lateness; processing time:
 * max timestamp). Sessions merge through the key's merging window set.
 *
 * Lateness (event time), exactly as Flink: a window whose cleanup time the watermark has passed
 * is late and skipped; an element is late when every window it belongs to was skipped and
 * `timestamp + allowedLateness <= watermark`: it goes to the late side output, or is dropped and
 * counted (`lateRecordsDropped`). An element for a window the watermark passed but whose
 * lateness has not expired is added, and the window fires again at once with the updated
 * contents (EventTimeTrigger). Results carry the window's max timestamp (end - 1).
 *
 * Like every keyed operator it heads its chain and owns the subtask's keyed state backend;
 * processing-time timers are asked of the task with `requestProcessingTime`.
 *
 * Derived timers (fixed-size assigners: tumbling and sliding, where a window is known from its
 * max timestamp): a window's cleanup timer (at max timestamp + allowed lateness, in the
 * assigner's time domain) keeps no namespace entry in window-timers. When a (key, time) timer
 * fires, the window whose cleanup time it is is derived from the time and handled if it exists
 * (it has contents, or per-window values: trigger state, process-function state, or the purged
 * mark a purge leaves while anything could still observe its cleanup) — exactly the windows
 * whose cleanup timer Flink would have registered (the bookkeeping: window-timers.ts). With Weir's built-in triggers (which delete
 * timers only in `clear`), a trigger's timer at that same time (EventTimeTrigger's end timer when
 * the allowed lateness is 0) is derived too: it is the same (key, window, time) timer, as in
 * Flink. Other timers (a custom trigger's, ContinuousEventTimeTrigger's early firings, the end
 * timer with allowed lateness) keep their namespace entry; a window found both ways runs once.
 * Sessions and the global window namespace every timer. An event-time window with contents
 * already has its cleanup timer (it goes only when it fires, and the window with it), so only a
 * window's first element registers it. Weir's own tumbling/sliding event-time assigners with
 * EventTimeTrigger run inlined (processFixed: the same windows and decisions, no window objects).
 */
import type { KeyedStateBackend, TimerService } from '../../../state/index.ts';
import type { Collector, RuntimeContext, TaskInfo } from '../../api/functions.ts';
import type { ProcessWindowFunction } from '../../api/window-functions.ts';
import { WeirError, preview } from '../../../common/weir-error.ts';
import { RuntimeErrorCode } from '../../errors.ts';
import { type OperatorContext, type Output, type StreamOperator } from '../operator.ts';
import { sideOutputId } from '../side-output.ts';
import { isUnionState, unionState } from '../union-state.ts';
import { asyncUserFunction, NO_RECORD, callUser, isThenable, userFunctionFailed } from '../operator.ts';
import { GlobalWindows } from './assigners.ts';
import { CountTrigger, EventTimeTrigger, PurgingTrigger } from './triggers.ts';
import { fixedEventTimePath, fixedWindowSize, is, isBuiltInTrigger, isStatelessTrigger, onlyDerivedTimers } from './window-shortcuts.ts';
import type { Trigger, TriggerResult, WindowAssigner, WindowOperatorSpec } from './window-operator-spec.ts';
import { TriggerCalls, WindowContexts } from './window-contexts.ts';
import { SessionMerger } from './window-merging.ts';
import { WindowState, windowCodec, type TimerDomain, type WindowCodec, type WindowKey } from './window-state.ts';
import { WindowFunctionRunner } from './window-functions-runner.ts';
import { TimeWindow, type Window } from './windows.ts';
import { WindowTimers } from './window-timers.ts';

const NOT_READ = Symbol('not read');
const TRIGGER_RESULTS: ReadonlySet<string> = new Set<TriggerResult>(['CONTINUE', 'FIRE', 'PURGE', 'FIRE_AND_PURGE']);

export class WindowOperator implements StreamOperator {
  /** Late records dropped (no late side output), for tests and debugging. */
  lateRecordsDropped = 0;
  private backend!: KeyedStateBackend;
  private timers!: TimerService;
  private ctx!: OperatorContext;
  private state!: WindowState;
  private runtimeCtx!: RuntimeContext;
  private readonly assigner: WindowAssigner;
  private readonly trigger: Trigger;
  private readonly merging: boolean;
  private readonly eventTime: boolean;
  private readonly lateness: number;
  private runner: WindowFunctionRunner;
  private readonly processFn: ProcessWindowFunction<any, any, any, any> | undefined;
  private emitTimestamp: number | undefined;
  /** The watermark restored from a checkpoint (see snapshotState). */
  private restoredWatermark = -Infinity;
  private readonly collector: Collector<unknown>;
  private readonly assignCtx = { currentProcessingTime: () => this.ctx.now() };
  private contexts!: WindowContexts;
  /** Session windows: the key's merging set (created in open()). */
  private sessions: SessionMerger | undefined;
  private readonly triggers: TriggerCalls;
  private readonly codec: WindowCodec;
  /** Fixed-size windows: their size; cleanup timers are derived (see the header). */
  private readonly fixedSize: number | undefined;
  /** Timer bookkeeping: derived and namespaced timers (created in open()). */
  private windowTimers!: WindowTimers;
  /** Whether namespace entries of timers can exist (else a fired timer is only ever derived). */
  private readonly namespacedTimers: boolean;
  /** Whether per-window values can exist (trigger state, process-function state, the purged mark). */
  private readonly valuesUsed: boolean;
  /** The trigger is Weir's EventTimeTrigger itself: its decisions are inlined (the same ones). */
  private readonly eventTimeTrigger: boolean;
  /**
   * Weir's own TumblingEventTimeWindows / SlidingEventTimeWindows with EventTimeTrigger: the
   * assigner's windows are computed in place (the same arithmetic), allocating a window object
   * only when it fires at once (see processFixed). Tumbling: slide = size.
   */
  private readonly fixedFast: { slide: number; offset: number } | undefined;
  /** Fixed-size event-time windows (derived event-time cleanup timers). */
  private readonly derivedEventTime: boolean;

  constructor(private readonly keySelector: (v: any) => unknown, private readonly spec: WindowOperatorSpec, private readonly out: Output<unknown>, private readonly info: TaskInfo) {
    this.assigner = spec.assigner ?? GlobalWindows.create();
    const count = spec.count;
    this.trigger = spec.trigger
      ?? (count ? (count.slide !== undefined ? CountTrigger.of(count.slide) : PurgingTrigger.of(CountTrigger.of(count.size))) : this.assigner.defaultTrigger());
    this.merging = typeof this.assigner.mergeWindows === 'function';
    this.eventTime = this.assigner.isEventTime();
    this.lateness = this.eventTime ? spec.allowedLateness : 0;
    this.runner = undefined!; // created in open(), once the backend is known
    this.triggers = new TriggerCalls(this.trigger, info);
    this.processFn = spec.fn.process;
    this.collector = { collect: (v) => this.out.collect(v, this.emitTimestamp) };
    this.fixedSize = this.merging ? undefined : fixedWindowSize(this.assigner);
    this.codec = windowCodec(this.fixedSize);
    this.namespacedTimers = this.fixedSize === undefined || !onlyDerivedTimers(this.trigger, this.eventTime, this.lateness);
    this.valuesUsed = !isStatelessTrigger(this.trigger) || this.processFn !== undefined;
    this.eventTimeTrigger = is(this.trigger, EventTimeTrigger) && this.eventTime;
    this.derivedEventTime = this.fixedSize !== undefined && this.eventTime;
    this.fixedFast = fixedEventTimePath(this.assigner, this.trigger, this.eventTime);
  }

  open(ctx: OperatorContext): void {
    this.ctx = ctx;
    if (!ctx.keyedState) throw new WeirError(RuntimeErrorCode.INVALID_GRAPH, `operator '${ctx.info.operatorName}' needs keyed state but its subtask has no keyed state backend`);
    this.backend = ctx.keyedState;
    this.timers = this.backend.timers;
    this.state = new WindowState(this.backend);
    this.windowTimers = new WindowTimers(
      { fixedSize: this.fixedSize, eventTime: this.eventTime, lateness: this.lateness, builtInTrigger: isBuiltInTrigger(this.trigger), valuesUsed: this.valuesUsed },
      this.timers, ctx, this.state, this.codec,
    );
    const count = this.spec.count;
    this.runner = new WindowFunctionRunner(this.spec.fn, this.info, count?.slide !== undefined ? count.size : undefined);
    const b = this.backend;
    this.runtimeCtx = {
      taskInfo: this.info,
      getState: (d) => b.getState(d),
      getListState: (d) => b.getState(d),
      getMapState: (d) => b.getState(d),
      getReducingState: (d) => b.getState(d),
      getAggregatingState: (d) => b.getState(d),
    };
    this.contexts = new WindowContexts({
      state: this.state,
      codec: this.codec,
      merging: this.merging,
      runtimeCtx: this.runtimeCtx,
      now: () => ctx.now(),
      watermark: () => this.watermark(),
      registerTimer: (domain, t, w, wk) => this.windowTimers.register(domain, t, w, wk),
      deleteTimer: (domain, t, w, wk) => this.windowTimers.delete(domain, t, w, wk),
      sideOutput: (tag, v, ts) => this.out.sideOutput?.(sideOutputId(tag), v, ts),
    });
    if (this.merging) {
      this.sessions = new SessionMerger({
        info: this.info, assigner: this.assigner, trigger: this.trigger, triggers: this.triggers, state: this.state, codec: this.codec,
        contexts: this.contexts, runner: this.runner, valuesUsed: this.valuesUsed,
        isLate: (w) => this.eventTime && this.windowTimers.cleanupTime(w) <= this.watermark(),
        watermark: () => this.watermark(),
        deleteCleanupTimer: (w, wk) => this.windowTimers.deleteCleanupTimer(w, wk),
      });
    }
    if (this.processFn?.open) callUser(this.info, 'open()', undefined, () => this.processFn!.open!(this.runtimeCtx));
  }

  close(): void {
    if (this.processFn?.close) callUser(this.info, 'close()', undefined, () => this.processFn!.close!());
  }

  processElement(value: unknown, ts: number | undefined): void {
    let key: unknown;
    try {
      key = this.keySelector(value);
    } catch (e) {
      throw userFunctionFailed(this.info, 'key selector', value, e);
    }
    if (isThenable(key)) throw asyncUserFunction(this.info, 'key selector', value);
    this.backend.setCurrentKey(key);
    if (this.fixedFast !== undefined && ts !== undefined && !Number.isNaN(ts)) {
      this.processFixed(value, ts);
      return;
    }
    let windows: Window[];
    try {
      windows = this.assigner.assignWindows(value, ts, this.assignCtx);
    } catch (e) {
      throw userFunctionFailed(this.info, 'window assigner', value, e);
    }
    if (isThenable(windows)) throw asyncUserFunction(this.info, 'window assigner', value);
    let skipped = true;
    const wm = this.watermark(); // nothing in here moves it
    for (let i = 0; i < windows.length; i++) {
      const assigned = windows[i]!;
      const w = this.sessions ? this.sessions.add(assigned as TimeWindow) : assigned;
      if (this.eventTime && this.windowTimers.cleanupTime(w) <= wm) { // late: Flink's isWindowLate
        if (this.merging) this.state.retireMergingWindow(w);
        continue;
      }
      skipped = false;
      const wk = this.codec.key(w);
      const contents = this.state.getContents(wk);
      this.state.putContents(wk, this.runner.add(contents, value));
      // A window with contents has its derived (event-time) cleanup timer already: it is only
      // removed when it fires, and the window is cleaned up then.
      const cleanupAt = this.windowTimers.cleanupTime(w);
      this.windowTimers.lastDerivedTimer = contents !== undefined && this.derivedEventTime ? cleanupAt : Number.NaN;
      let result: TriggerResult;
      if (this.eventTimeTrigger) {
        // EventTimeTrigger.onElement, inlined.
        const max = w.maxTimestamp();
        if (max <= wm) result = 'FIRE';
        else {
          if (max !== this.windowTimers.lastDerivedTimer) this.windowTimers.register('e', max, w, wk); // else: registered already
          result = 'CONTINUE';
        }
      } else {
        try {
          result = this.trigger.onElement(value, ts, w, this.contexts.triggerContext(w, wk));
        } catch (e) {
          throw userFunctionFailed(this.info, this.triggers.what('onElement'), value, e);
        }
        if (isThenable(result)) throw asyncUserFunction(this.info, this.triggers.what('onElement'), value);
      }
      if (result !== 'CONTINUE') this.handle(result, w, wk, false, NOT_READ);
      if (cleanupAt !== this.windowTimers.lastDerivedTimer) this.windowTimers.registerCleanupTimer(w, wk); // else: registered already
      this.windowTimers.lastDerivedTimer = Number.NaN;
    }
    if (skipped && this.eventTime && ts !== undefined && ts + this.lateness <= wm) {
      if (this.spec.lateDataTag !== undefined) this.out.sideOutput?.(this.spec.lateDataTag, value, ts);
      else this.lateRecordsDropped++;
    }
  }

  /**
   * processElement for Weir's tumbling/sliding event-time assigners with EventTimeTrigger (the
   * key is set): the same steps as the general path, with the assigner's windows (latest first)
   * and EventTimeTrigger.onElement inlined.
   */
  private processFixed(value: unknown, ts: number): void {
    const size = this.fixedSize!;
    const { slide, offset } = this.fixedFast!;
    const lateness = this.lateness;
    const wm = this.watermark();
    let skipped = true;
    for (let start = TimeWindow.getWindowStartWithOffset(ts, offset, slide); start > ts - size; start -= slide) {
      const max = start + size - 1;
      const cleanupAt = max + lateness;
      if (cleanupAt <= wm) continue; // late
      skipped = false;
      const contents = this.state.getContents(start);
      this.state.putContents(start, this.runner.add(contents, value));
      const existed = contents !== undefined; // then its derived cleanup timer is registered already
      this.windowTimers.lastDerivedTimer = existed ? cleanupAt : Number.NaN;
      if (max <= wm) {
        this.handle('FIRE', new TimeWindow(start, start + size), start, false, NOT_READ); // late, within the allowed lateness
      } else if (lateness === 0) {
        if (!existed) this.windowTimers.registerDerived(max); // the end timer is the cleanup timer
      } else {
        this.state.registerTimer('e', max, start); // the end timer, namespaced
      }
      if (!existed) this.windowTimers.registerDerived(cleanupAt);
      this.windowTimers.lastDerivedTimer = Number.NaN;
    }
    if (skipped && ts + lateness <= wm) {
      if (this.spec.lateDataTag !== undefined) this.out.sideOutput?.(this.spec.lateDataTag, value, ts);
      else this.lateRecordsDropped++;
    }
  }

  processWatermark(wm: number): void {
    // At or below the restored watermark: nothing can fire that did not fire before the checkpoint.
    if (wm > this.restoredWatermark) this.timers.advanceWatermark(wm, this.onEventTimer);
    this.out.emitWatermark(wm);
  }

  /**
   * Operator state: the watermark this subtask had reached. Flink does not restore watermarks, so
   * after a failover records that were already late (dropped or side-output) could be admitted
   * again, and a window could fire differently than before the failure. Weir restores it as a
   * floor for lateness decisions and timer firing, so the output after a restore is the output
   * without the failure (exactly once, including the late side output).
   */
  snapshotState(): unknown {
    // Union state: after rescaling, every new subtask gets the watermarks of all old ones.
    return unionState({ watermark: this.watermark() });
  }

  initializeState(restored: readonly unknown[] | undefined): void {
    const marks = (restored ?? []).map((r) => (isUnionState(r) ? (r.value as { watermark?: unknown }).watermark : undefined)).filter((w): w is number => typeof w === 'number');
    // The smallest (a subtask's watermark is the minimum over its inputs anyway).
    if (marks.length > 0) this.restoredWatermark = Math.min(...marks);
  }

  onProcessingTime(now: number): number | undefined {
    this.timers.fireProcessingTimers(now, (t) => this.onTimer('p', t));
    return this.timers.nextProcessingTimer();
  }

  // ---- timers ----

  private readonly onEventTimer = (t: number): void => this.onTimer('e', t);

  /** A (key, time) timer fired (the key is current): run it for every window that registered it. */
  private onTimer(domain: TimerDomain, time: number): void {
    const keys = this.namespacedTimers ? this.state.takeFiredTimer(domain, time) : [];
    for (const wk of keys) {
      const w = this.codec.window(wk);
      if (this.merging && !this.state.hasMergingWindow(w)) continue; // merged away or cleaned up
      this.onWindowTimer(domain, time, w, wk, NOT_READ);
    }
    // The window whose (derived) cleanup timer this is, unless it was namespaced too.
    if (this.fixedSize !== undefined && domain === this.windowTimers.cleanupDomain) {
      const end = time - this.lateness + 1;
      const w = this.codec.window(end - this.fixedSize);
      const wk = this.codec.key(w);
      if (keys.length > 0 && keys.includes(wk)) return;
      const contents = this.state.getContents(wk);
      if (contents === undefined && !(this.valuesUsed && this.state.hasValues(wk))) return; // no such window
      this.onWindowTimer(domain, time, w, wk, contents);
    }
  }

  private onWindowTimer(domain: TimerDomain, time: number, w: Window, wk: WindowKey, contents: unknown): void {
    this.windowTimers.lastDerivedTimer = Number.NaN;
    let result: TriggerResult;
    if (this.eventTimeTrigger) {
      // EventTimeTrigger.onEventTime / onProcessingTime, inlined.
      result = domain === 'e' && time === w.maxTimestamp() ? 'FIRE' : 'CONTINUE';
    } else {
      const ctx = this.contexts.triggerContext(w, wk);
      result = domain === 'e'
        ? this.triggers.call('onEventTime', () => this.trigger.onEventTime(time, w, ctx))
        : this.triggers.call('onProcessingTime', () => this.trigger.onProcessingTime(time, w, ctx));
    }
    const cleanup = (domain === 'e') === this.eventTime && time === this.windowTimers.cleanupTime(w);
    if (result !== 'CONTINUE') this.handle(result, w, wk, cleanup, contents);
    if (cleanup) this.clearAllState(w, wk);
  }

  /**
   * Fire (emit the contents) and/or purge (drop them), as the trigger decided. `cleanup`: the
   * window is cleaned up right after; `prefetched`: its contents, if just read.
   */
  private handle(result: TriggerResult, w: Window, wk: WindowKey, cleanup: boolean, prefetched: unknown): void {
    if (!TRIGGER_RESULTS.has(result)) {
      // A JavaScript trigger returning 'fire' (or nothing) would otherwise never fire, silently.
      throw userFunctionFailed(this.info, this.triggers.what('result'), NO_RECORD,
        new TypeError(`returned ${preview(result)}: a TriggerResult is 'CONTINUE', 'FIRE', 'PURGE' or 'FIRE_AND_PURGE'`));
    }
    const purge = result === 'PURGE' || result === 'FIRE_AND_PURGE';
    if (result === 'FIRE' || result === 'FIRE_AND_PURGE') {
      let contents = prefetched === NOT_READ ? this.state.getContents(wk) : prefetched;
      if (contents !== undefined) {
        const kept = this.runner.evict(contents);
        if (kept) {
          this.state.putContents(wk, kept);
          contents = kept;
        }
        this.emit(w, contents, cleanup || purge);
      }
    }
    if (purge) {
      this.state.clearContents(wk);
      // Derived timers: the window stays alive until its cleanup for whoever could observe it.
      if (this.fixedSize !== undefined && this.valuesUsed && !cleanup) this.state.markPurged(wk);
    }
  }

  private emit(w: Window, contents: unknown, dropped: boolean): void {
    const max = w.maxTimestamp();
    this.emitTimestamp = Number.isFinite(max) ? max : undefined;
    this.runner.emit(this.backend.getCurrentKey(), contents, w, this.makeProcessContext, this.collector, dropped);
  }

  /** The window is done: its contents, trigger state and timers, per-window state, set entry. */
  private clearAllState(w: Window, wk: WindowKey): void {
    this.state.clearContents(wk);
    if (this.eventTimeTrigger) this.windowTimers.delete('e', w.maxTimestamp(), w, wk); // EventTimeTrigger.clear, inlined
    else this.triggers.call('clear', () => this.trigger.clear(w, this.contexts.triggerContext(w, wk)));
    if (this.processFn?.clear) {
      const max = w.maxTimestamp();
      this.emitTimestamp = Number.isFinite(max) ? max : undefined; // what clear() emits to side outputs carries it too
      const ctx = this.contexts.processContext(w, this.emitTimestamp);
      callUser(this.info, 'process window function clear()', { window: String(w) }, () => this.processFn!.clear!(ctx));
    }
    if (this.valuesUsed) this.state.clearValues(wk);
    if (this.merging) this.state.retireMergingWindow(w);
  }

  // ---- contexts ----

  private watermark(): number {
    const wm = this.timers.currentWatermark();
    return wm > this.restoredWatermark ? wm : this.restoredWatermark;
  }

  private readonly makeProcessContext = (w: Window) => this.contexts.processContext(w, this.emitTimestamp);
}
