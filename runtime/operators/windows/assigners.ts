/**
 * Flink's window assigners: tumbling, sliding and session windows in event time and in
 * processing time, and the global window of count windows. Arguments are checked as Flink
 * checks them (size > 0, slide > 0, |offset| < size or slide, gap > 0): a bad one throws
 * WEIR_INVALID_ARGUMENT naming the assigner and the value.
 */
import { invalidArgument } from '../../errors.ts';
import { GlobalWindow, TimeWindow } from './windows.ts';
import type { Trigger, WindowAssigner } from './window-operator-spec.ts';
import { EventTimeTrigger, NeverTrigger, ProcessingTimeTrigger } from './triggers.ts';
import { preview, WeirError } from '../../../common/weir-error.ts';

function checkDuration(what: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) {
    throw invalidArgument(`${what}: ${name} must be an integer number of milliseconds > 0, got ${preview(v)}`, { assigner: what.split('.')[0], [name]: String(v) });
  }
  return v;
}

function checkOffset(what: string, offset: unknown, bound: number, boundName: string): number {
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || Math.abs(offset) >= bound) {
    throw invalidArgument(`${what}: offset must be an integer with |offset| < ${boundName} (${bound}), got ${preview(offset)}`, { assigner: what.split('.')[0], offset: String(offset) });
  }
  return offset;
}

/** The element's event timestamp, or a clear error when none was assigned. */
function eventTime(assigner: string, ts: number | undefined): number {
  if (ts === undefined || Number.isNaN(ts)) {
    // Not restartable: the record comes again after every restart (job graphs where no input can
    // carry timestamps are refused before they run: graph/timestamps.ts).
    throw new WeirError('WEIR_INVALID_GRAPH', `${assigner}: the record has no timestamp (event-time windows need one: call assignTimestampsAndWatermarks(...) before, or use a processing-time assigner)`, { assigner });
  }
  return ts;
}

abstract class TumblingWindows implements WindowAssigner<unknown, TimeWindow> {
  protected constructor(readonly size: number, readonly offset: number) {}
  protected abstract time(ts: number | undefined, now: number): number;
  assignWindows(_e: unknown, ts: number | undefined, ctx: { currentProcessingTime(): number }): TimeWindow[] {
    const t = this.time(ts, ctx.currentProcessingTime());
    const start = TimeWindow.getWindowStartWithOffset(t, this.offset, this.size);
    return [new TimeWindow(start, start + this.size)];
  }
  abstract defaultTrigger(): Trigger<unknown, TimeWindow>;
  abstract isEventTime(): boolean;
}

/** Fixed-size, non-overlapping event-time windows `[start, start + size)`, aligned to `offset`. */
export class TumblingEventTimeWindows extends TumblingWindows {
  static of(size: number, offset = 0): TumblingEventTimeWindows {
    const s = checkDuration('TumblingEventTimeWindows.of', 'size', size);
    return new TumblingEventTimeWindows(s, checkOffset('TumblingEventTimeWindows.of', offset, s, 'size'));
  }
  protected time(ts: number | undefined): number { return eventTime('TumblingEventTimeWindows', ts); }
  defaultTrigger(): Trigger<unknown, TimeWindow> { return EventTimeTrigger.create(); }
  isEventTime(): boolean { return true; }
  override toString(): string { return `TumblingEventTimeWindows(${this.size}${this.offset ? `, ${this.offset}` : ''})`; }
}

/** Fixed-size, non-overlapping processing-time windows (by the subtask's clock when a record arrives). */
export class TumblingProcessingTimeWindows extends TumblingWindows {
  static of(size: number, offset = 0): TumblingProcessingTimeWindows {
    const s = checkDuration('TumblingProcessingTimeWindows.of', 'size', size);
    return new TumblingProcessingTimeWindows(s, checkOffset('TumblingProcessingTimeWindows.of', offset, s, 'size'));
  }
  protected time(_ts: number | undefined, now: number): number { return now; }
  defaultTrigger(): Trigger<unknown, TimeWindow> { return ProcessingTimeTrigger.create(); }
  isEventTime(): boolean { return false; }
  override toString(): string { return `TumblingProcessingTimeWindows(${this.size}${this.offset ? `, ${this.offset}` : ''})`; }
}

abstract class SlidingWindows implements WindowAssigner<unknown, TimeWindow> {
  protected constructor(readonly size: number, readonly slide: number, readonly offset: number) {}
  protected abstract time(ts: number | undefined, now: number): number;
  /** The size/slide windows that contain the time, latest first (Flink's order). */
  assignWindows(_e: unknown, ts: number | undefined, ctx: { currentProcessingTime(): number }): TimeWindow[] {
    const t = this.time(ts, ctx.currentProcessingTime());
    const windows: TimeWindow[] = [];
    const lastStart = TimeWindow.getWindowStartWithOffset(t, this.offset, this.slide);
    for (let start = lastStart; start > t - this.size; start -= this.slide) windows.push(new TimeWindow(start, start + this.size));
    return windows;
  }
  abstract defaultTrigger(): Trigger<unknown, TimeWindow>;
  abstract isEventTime(): boolean;
}

function checkSliding(what: string, size: number, slide: number, offset: number): [number, number, number] {
  const s = checkDuration(what, 'size', size);
  const sl = checkDuration(what, 'slide', slide);
  return [s, sl, checkOffset(what, offset, sl, 'slide')];
}

/** Event-time windows of `size` starting every `slide` (an element is in about size/slide of them). */
export class SlidingEventTimeWindows extends SlidingWindows {
  static of(size: number, slide: number, offset = 0): SlidingEventTimeWindows {
    return new SlidingEventTimeWindows(...checkSliding('SlidingEventTimeWindows.of', size, slide, offset));
  }
  protected time(ts: number | undefined): number { return eventTime('SlidingEventTimeWindows', ts); }
  defaultTrigger(): Trigger<unknown, TimeWindow> { return EventTimeTrigger.create(); }
  isEventTime(): boolean { return true; }
  override toString(): string { return `SlidingEventTimeWindows(${this.size}, ${this.slide}${this.offset ? `, ${this.offset}` : ''})`; }
}

/** Processing-time windows of `size` starting every `slide`. */
export class SlidingProcessingTimeWindows extends SlidingWindows {
  static of(size: number, slide: number, offset = 0): SlidingProcessingTimeWindows {
    return new SlidingProcessingTimeWindows(...checkSliding('SlidingProcessingTimeWindows.of', size, slide, offset));
  }
  protected time(_ts: number | undefined, now: number): number { return now; }
  defaultTrigger(): Trigger<unknown, TimeWindow> { return ProcessingTimeTrigger.create(); }
  isEventTime(): boolean { return false; }
  override toString(): string { return `SlidingProcessingTimeWindows(${this.size}, ${this.slide}${this.offset ? `, ${this.offset}` : ''})`; }
}

/** Extracts the session gap of an element (Flink's SessionWindowTimeGapExtractor). */
export type SessionGapExtractor<T> = (element: T) => number;

abstract class SessionWindows<T> implements WindowAssigner<T, TimeWindow> {
  protected constructor(readonly gap: number | SessionGapExtractor<T>) {}
  protected abstract time(ts: number | undefined, now: number): number;
  protected abstract get label(): string;
  assignWindows(element: T, ts: number | undefined, ctx: { currentProcessingTime(): number }): TimeWindow[] {
    const t = this.time(ts, ctx.currentProcessingTime());
    let gap = this.gap;
    if (typeof gap === 'function') {
      gap = gap(element);
      if (typeof gap !== 'number' || !(gap > 0) || !Number.isFinite(gap)) {
        // Not restartable: the same record gives the same gap after every restart.
        throw new WeirError('WEIR_INVALID_ARGUMENT', `${this.label}: the dynamic session gap must be a number > 0, got ${preview(gap)}`, { gap: preview(gap) });
      }
    }
    return [new TimeWindow(t, t + gap)];
  }
  mergeWindows(windows: readonly TimeWindow[]): Array<{ result: TimeWindow; merged: TimeWindow[] }> {
    return TimeWindow.mergeWindows(windows);
  }
  abstract defaultTrigger(): Trigger<T, TimeWindow>;
  abstract isEventTime(): boolean;
  toString(): string { return `${this.label}(${typeof this.gap === 'function' ? 'dynamic gap' : this.gap})`; }
}

function checkGap<T>(what: string, gap: unknown): number | SessionGapExtractor<T> {
  if (what.endsWith('withDynamicGap')) {
    if (typeof gap !== 'function') throw invalidArgument(`${what}: expected a function (element) => gap in ms, got ${typeof gap}`);
    return gap as SessionGapExtractor<T>;
  }
  return checkDuration(what, 'gap', gap);
}

/** Event-time sessions: an element opens `[ts, ts + gap)`; windows that overlap or touch merge. */
export class EventTimeSessionWindows<T = unknown> extends SessionWindows<T> {
  static withGap<T = unknown>(gap: number): EventTimeSessionWindows<T> {
    return new EventTimeSessionWindows<T>(checkGap<T>('EventTimeSessionWindows.withGap', gap));
  }
  static withDynamicGap<T>(extractor: SessionGapExtractor<T>): EventTimeSessionWindows<T> {
    return new EventTimeSessionWindows<T>(checkGap<T>('EventTimeSessionWindows.withDynamicGap', extractor));
  }
  protected get label(): string { return 'EventTimeSessionWindows'; }
  protected time(ts: number | undefined): number { return eventTime('EventTimeSessionWindows', ts); }
  defaultTrigger(): Trigger<T, TimeWindow> { return EventTimeTrigger.create(); }
  isEventTime(): boolean { return true; }
}

/** Processing-time sessions (by the subtask's clock when a record arrives). */
export class ProcessingTimeSessionWindows<T = unknown> extends SessionWindows<T> {
  static withGap<T = unknown>(gap: number): ProcessingTimeSessionWindows<T> {
    return new ProcessingTimeSessionWindows<T>(checkGap<T>('ProcessingTimeSessionWindows.withGap', gap));
  }
  static withDynamicGap<T>(extractor: SessionGapExtractor<T>): ProcessingTimeSessionWindows<T> {
    return new ProcessingTimeSessionWindows<T>(checkGap<T>('ProcessingTimeSessionWindows.withDynamicGap', extractor));
  }
  protected get label(): string { return 'ProcessingTimeSessionWindows'; }
  protected time(_ts: number | undefined, now: number): number { return now; }
  defaultTrigger(): Trigger<T, TimeWindow> { return ProcessingTimeTrigger.create(); }
  isEventTime(): boolean { return false; }
}

/** One window per key holding everything (count windows); fires only by a custom trigger. */
export class GlobalWindows implements WindowAssigner<unknown, GlobalWindow> {
  private constructor() {}
  static create(): GlobalWindows { return new GlobalWindows(); }
  assignWindows(): GlobalWindow[] { return [GlobalWindow.INSTANCE]; }
  defaultTrigger(): Trigger<unknown, GlobalWindow> { return NeverTrigger.create(); }
  isEventTime(): boolean { return false; }
  toString(): string { return 'GlobalWindows()'; }
}
