/**
 * Which shortcuts the window operator may take, decided once when it is built (pure): a
 * fixed-size assigner (Weir's tumbling and sliding windows) lets a timer's window be derived from
 * the timer's time; Weir's built-in triggers delete timers only in `clear`, and some keep no
 * per-window state. Only Weir's own classes qualify (a subclass may change what they do).
 */
import { SlidingEventTimeWindows, SlidingProcessingTimeWindows, TumblingEventTimeWindows, TumblingProcessingTimeWindows } from './assigners.ts';
import { ContinuousEventTimeTrigger, CountTrigger, EventTimeTrigger, NeverTrigger, ProcessingTimeTrigger, PurgingTrigger } from './triggers.ts';
import type { Trigger, WindowAssigner } from './window-operator-spec.ts';
import type { Window } from './windows.ts';

/** Exactly Weir's class (not a subclass that may change what it does). */
export function is(x: unknown, c: { prototype: unknown }): boolean {
  return x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === c.prototype;
}

/** The size of a fixed-size assigner's windows (Weir's tumbling and sliding), else undefined. */
export function fixedWindowSize(a: WindowAssigner): number | undefined {
  if (is(a, TumblingEventTimeWindows) || is(a, TumblingProcessingTimeWindows)) return (a as TumblingEventTimeWindows).size;
  if (is(a, SlidingEventTimeWindows) || is(a, SlidingProcessingTimeWindows)) return (a as SlidingEventTimeWindows).size;
  return undefined;
}

/** Weir's built-in triggers: they delete timers only in `clear`. */
export function isBuiltInTrigger(t: Trigger): boolean {
  if (is(t, PurgingTrigger)) return isBuiltInTrigger((t as PurgingTrigger<unknown, Window>).nested);
  return is(t, EventTimeTrigger) || is(t, ProcessingTimeTrigger) || is(t, CountTrigger) || is(t, ContinuousEventTimeTrigger) || is(t, NeverTrigger);
}

/** Built-in triggers that keep no per-window state. */
export function isStatelessTrigger(t: Trigger): boolean {
  if (is(t, PurgingTrigger)) return isStatelessTrigger((t as PurgingTrigger<unknown, Window>).nested);
  return is(t, EventTimeTrigger) || is(t, ProcessingTimeTrigger) || is(t, NeverTrigger);
}

/** Whether every timer the (built-in) trigger registers is a derived one (no namespace entries ever). */
export function onlyDerivedTimers(t: Trigger, eventTime: boolean, lateness: number): boolean {
  if (is(t, PurgingTrigger)) return onlyDerivedTimers((t as PurgingTrigger<unknown, Window>).nested, eventTime, lateness);
  if (is(t, CountTrigger) || is(t, NeverTrigger)) return true;
  if (is(t, EventTimeTrigger)) return eventTime && lateness === 0;
  if (is(t, ProcessingTimeTrigger)) return !eventTime;
  return false;
}

/**
 * The inlined path for Weir's event-time tumbling and sliding windows with the default event-time
 * trigger: their slide and offset, else undefined.
 */
export function fixedEventTimePath(a: WindowAssigner, t: Trigger, eventTime: boolean): { slide: number; offset: number } | undefined {
  if (!eventTime || !is(t, EventTimeTrigger)) return undefined;
  if (is(a, TumblingEventTimeWindows)) return { slide: (a as TumblingEventTimeWindows).size, offset: (a as TumblingEventTimeWindows).offset };
  if (is(a, SlidingEventTimeWindows)) return { slide: (a as SlidingEventTimeWindows).slide, offset: (a as SlidingEventTimeWindows).offset };
  return undefined;
}
