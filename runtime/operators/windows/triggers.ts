/**
 * Flink's built-in triggers, with Flink's exact decisions:
 * - EventTimeTrigger: fires when the watermark passes the window's max timestamp; a (late)
 *   element arriving after that fires it again at once (within the allowed lateness).
 * - ProcessingTimeTrigger: fires when the processing-time clock reaches the max timestamp.
 * - CountTrigger.of(n): fires every n elements of the window (count kept per window).
 * - ContinuousEventTimeTrigger.of(interval): fires every `interval` of event time, and at the end.
 * - PurgingTrigger.of(t): t's decisions, every FIRE turned into FIRE_AND_PURGE.
 * - NeverTrigger: the global window's default (count windows set their own).
 */
import { invalidArgument } from '../../errors.ts';
import type { OnMergeContext, Trigger, TriggerContext, TriggerResult } from './window-operator-spec.ts';
import type { TimeWindow, Window } from './windows.ts';
import { preview } from '../../../common/weir-error.ts';

export class EventTimeTrigger implements Trigger<unknown, TimeWindow> {
  private constructor() {}
  static create(): EventTimeTrigger { return new EventTimeTrigger(); }
  onElement(_e: unknown, _ts: number | undefined, window: TimeWindow, ctx: TriggerContext): TriggerResult {
    if (window.maxTimestamp() <= ctx.getCurrentWatermark()) return 'FIRE'; // late, within the allowed lateness
    ctx.registerEventTimeTimer(window.maxTimestamp());
    return 'CONTINUE';
  }
  onEventTime(time: number, window: TimeWindow): TriggerResult {
    return time === window.maxTimestamp() ? 'FIRE' : 'CONTINUE';
  }
  onProcessingTime(): TriggerResult { return 'CONTINUE'; }
  canMerge(): boolean { return true; }
  onMerge(window: TimeWindow, ctx: OnMergeContext): void {
    // Only register if the watermark has not passed the end yet: otherwise the timer fires at once.
    if (window.maxTimestamp() > ctx.getCurrentWatermark()) ctx.registerEventTimeTimer(window.maxTimestamp());
  }
  clear(window: TimeWindow, ctx: TriggerContext): void { ctx.deleteEventTimeTimer(window.maxTimestamp()); }
  toString(): string { return 'EventTimeTrigger()'; }
}

export class ProcessingTimeTrigger implements Trigger<unknown, TimeWindow> {
  private constructor() {}
  static create(): ProcessingTimeTrigger { return new ProcessingTimeTrigger(); }
  onElement(_e: unknown, _ts: number | undefined, window: TimeWindow, ctx: TriggerContext): TriggerResult {
    ctx.registerProcessingTimeTimer(window.maxTimestamp());
    return 'CONTINUE';
  }
  onEventTime(): TriggerResult { return 'CONTINUE'; }
  onProcessingTime(): TriggerResult { return 'FIRE'; }
  canMerge(): boolean { return true; }
  onMerge(window: TimeWindow, ctx: OnMergeContext): void {
    if (window.maxTimestamp() > ctx.getCurrentProcessingTime()) ctx.registerProcessingTimeTimer(window.maxTimestamp());
  }
  clear(window: TimeWindow, ctx: TriggerContext): void { ctx.deleteProcessingTimeTimer(window.maxTimestamp()); }
  toString(): string { return 'ProcessingTimeTrigger()'; }
}

export class CountTrigger implements Trigger<unknown, Window> {
  private constructor(readonly maxCount: number) {}
  static of(maxCount: number): CountTrigger {
    if (!Number.isSafeInteger(maxCount) || maxCount <= 0) throw invalidArgument(`CountTrigger.of: the count must be an integer > 0, got ${preview(maxCount)}`, { trigger: 'CountTrigger', count: String(maxCount) });
    return new CountTrigger(maxCount);
  }
  onElement(_e: unknown, _ts: number | undefined, _w: Window, ctx: TriggerContext): TriggerResult {
    const count = ctx.getState<number>('count');
    const n = (count.value() ?? 0) + 1;
    if (n >= this.maxCount) {
      count.clear();
      return 'FIRE';
    }
    count.update(n);
    return 'CONTINUE';
  }
  onEventTime(): TriggerResult { return 'CONTINUE'; }
  onProcessingTime(): TriggerResult { return 'CONTINUE'; }
  canMerge(): boolean { return true; }
  onMerge(_w: Window, ctx: OnMergeContext): void { ctx.mergeState<number>('count', (a, b) => a + b); }
  clear(_w: Window, ctx: TriggerContext): void { ctx.getState<number>('count').clear(); }
  toString(): string { return `CountTrigger(${this.maxCount})`; }
}

export class ContinuousEventTimeTrigger implements Trigger<unknown, TimeWindow> {
  private constructor(readonly interval: number) {}
  static of(interval: number): ContinuousEventTimeTrigger {
    if (!Number.isSafeInteger(interval) || interval <= 0) throw invalidArgument(`ContinuousEventTimeTrigger.of: the interval must be an integer number of milliseconds > 0, got ${preview(interval)}`, { trigger: 'ContinuousEventTimeTrigger', interval: String(interval) });
    return new ContinuousEventTimeTrigger(interval);
  }
  onElement(_e: unknown, ts: number | undefined, window: TimeWindow, ctx: TriggerContext): TriggerResult {
    if (window.maxTimestamp() <= ctx.getCurrentWatermark()) return 'FIRE';
    ctx.registerEventTimeTimer(window.maxTimestamp());
    const fire = ctx.getState<number>('fire-time');
    if (fire.value() === undefined && ts !== undefined) this.registerNext(ts - (ts % this.interval), window, ctx);
    return 'CONTINUE';
  }
  onEventTime(time: number, window: TimeWindow, ctx: TriggerContext): TriggerResult {
    if (time === window.maxTimestamp()) return 'FIRE';
    const fire = ctx.getState<number>('fire-time');
    if (fire.value() === time) {
      fire.clear();
      this.registerNext(time, window, ctx);
      return 'FIRE';
    }
    return 'CONTINUE';
  }
  onProcessingTime(): TriggerResult { return 'CONTINUE'; }
  canMerge(): boolean { return true; }
  onMerge(window: TimeWindow, ctx: OnMergeContext): void {
    ctx.mergeState<number>('fire-time', (a, b) => Math.min(a, b));
    const next = ctx.getState<number>('fire-time').value();
    if (next !== undefined) ctx.registerEventTimeTimer(next);
    if (window.maxTimestamp() > ctx.getCurrentWatermark()) ctx.registerEventTimeTimer(window.maxTimestamp());
  }
  clear(_w: TimeWindow, ctx: TriggerContext): void {
    const fire = ctx.getState<number>('fire-time');
    const t = fire.value();
    if (t !== undefined) {
      ctx.deleteEventTimeTimer(t);
      fire.clear();
    }
  }
  toString(): string { return `ContinuousEventTimeTrigger(${this.interval})`; }
  private registerNext(time: number, window: TimeWindow, ctx: TriggerContext): void {
    const next = Math.min(time + this.interval, window.maxTimestamp());
    ctx.getState<number>('fire-time').update(next);
    ctx.registerEventTimeTimer(next);
  }
}

export class PurgingTrigger<T, W extends Window> implements Trigger<T, W> {
  private constructor(readonly nested: Trigger<T, W>) {}
  static of<T, W extends Window>(nested: Trigger<T, W>): PurgingTrigger<T, W> {
    if (!nested || typeof nested.onElement !== 'function') throw invalidArgument('PurgingTrigger.of: expected a trigger');
    return new PurgingTrigger(nested);
  }
  onElement(e: T, ts: number | undefined, w: W, ctx: TriggerContext): TriggerResult { return purging(this.nested.onElement(e, ts, w, ctx)); }
  onEventTime(time: number, w: W, ctx: TriggerContext): TriggerResult { return purging(this.nested.onEventTime(time, w, ctx)); }
  onProcessingTime(time: number, w: W, ctx: TriggerContext): TriggerResult { return purging(this.nested.onProcessingTime(time, w, ctx)); }
  canMerge(): boolean { return this.nested.canMerge?.() ?? false; }
  onMerge(w: W, ctx: OnMergeContext): void { this.nested.onMerge?.(w, ctx); }
  clear(w: W, ctx: TriggerContext): void { this.nested.clear(w, ctx); }
  toString(): string { return `PurgingTrigger(${String(this.nested)})`; }
}

function purging(r: TriggerResult): TriggerResult {
  return r === 'FIRE' ? 'FIRE_AND_PURGE' : r;
}

/** Never fires (the global window's default trigger). */
export class NeverTrigger implements Trigger<unknown, Window> {
  private constructor() {}
  static create(): NeverTrigger { return new NeverTrigger(); }
  onElement(): TriggerResult { return 'CONTINUE'; }
  onEventTime(): TriggerResult { return 'CONTINUE'; }
  onProcessingTime(): TriggerResult { return 'CONTINUE'; }
  canMerge(): boolean { return true; }
  onMerge(): void {}
  clear(): void {}
  toString(): string { return 'NeverTrigger()'; }
}
