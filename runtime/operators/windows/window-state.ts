/**
 * The keyed state of a window operator. There are no state namespaces in Weir's backends, so
 * everything per window is a map entry under the current key, in four map states. A window's
 * map key (`WindowKey`, see `windowCodec`) is its start (a number) for the fixed-size assigners
 * (tumbling and sliding: the window is `[start, start + size)`), `'<start>:<end>'` for sessions
 * and `'global'` for the global window:
 *
 *   window-contents  window key → the window's contents (reduced value, accumulator, or the
 *                    element list for process functions and evicting count windows)
 *   window-timers    'e<ts>' / 'p<ts>' → the window keys that registered that (key, time) timer:
 *                    the backend's timers are per (key, time, domain), so this is their namespace.
 *                    Fixed-size assigners keep no entry for a window's cleanup timer (and, with
 *                    Weir's built-in triggers, for any timer at that time): the window is derived
 *                    from the time (see window-operator.ts, "derived timers").
 *   window-values    window key → { '<scope>\0<name>': value }: trigger state and per-window
 *                    state of process window functions, one entry per window (clearing a window
 *                    is one remove); the operator's own mark 'o\0purged' keeps a purged window
 *                    alive until its cleanup (derived timers)
 *   window-set       (merging assigners only) window key → [start, end]: a key's current session
 *                    windows (Flink's MergingWindowSet; here a merged window's state is moved into
 *                    the merge result, so every window is its own state window)
 *
 * All of it is keyed state and keyed timers, so it is checkpointed, restored and rescaled by key
 * group with nothing else to do. Layout change (numeric window keys, one values entry per
 * window, derived timers): checkpoints of the window operator taken before it (the feature was
 * unreleased) do not restore into this version.
 *
 * Contents read back are the stored objects on both backends (descriptors.ts `shareStoredObjects`;
 * LMDB: the object in its write-back cache, or a fresh copy once it was written out and dropped).
 * Heap snapshots are copy-on-access (a cell is serialized for a pending snapshot before its first
 * read or write after the sync point) and LMDB's write the cache out at the sync point, so an
 * object read here may be changed in place and written back; it must not be changed without that
 * read and write (window-functions-runner.ts keeps objects that are shared elsewhere — an element,
 * an emitted result — out of in-place updates). The other window states read copies on LMDB.
 */
import { MapStateDescriptor, type KeyedStateBackend, type MapState } from '../../../state/index.ts';
import { shareStoredObjects } from '../../../state/descriptors.ts';
import type { WindowValue } from './window-operator-spec.ts';
import { TimeWindow, windowFromKey, windowKey, type Window } from './windows.ts';

export type TimerDomain = 'e' | 'p';

/** The map key of a window's state (per key of the stream). */
export type WindowKey = string | number;

/** How windows map to state keys and back. */
export interface WindowCodec {
  key(w: Window): WindowKey;
  window(k: WindowKey): Window;
}

/** Fixed-size windows (`size` given): keyed by start; others: windows.ts's string keys. */
export function windowCodec(size: number | undefined): WindowCodec {
  if (size === undefined) return { key: windowKey, window: (k) => windowFromKey(String(k)) };
  return {
    key: (w) => (w as TimeWindow).start,
    window: (k) => new TimeWindow(k as number, (k as number) + size),
  };
}

/** The operator's mark in a window's values: purged, but not cleaned up yet. */
const PURGED = 'o\u0000purged';

type Values = Record<string, unknown>;

export class WindowState {
  private readonly contents: MapState<WindowKey, unknown>;
  private readonly timers: MapState<string, WindowKey[]>;
  private readonly values: MapState<WindowKey, Values>;
  private readonly set: MapState<string, [number, number]>;

  constructor(private readonly backend: KeyedStateBackend) {
    // Contents are read, changed in place and written back once per element: on LMDB too the
    // object stays in the backend's cache (no decode and encode of a growing element list per element).
    this.contents = backend.getState(shareStoredObjects(new MapStateDescriptor<WindowKey, unknown>('window-contents')));
    this.timers = backend.getState(new MapStateDescriptor<string, WindowKey[]>('window-timers'));
    this.values = backend.getState(new MapStateDescriptor<WindowKey, Values>('window-values'));
    this.set = backend.getState(new MapStateDescriptor<string, [number, number]>('window-set'));
  }

  // ---- contents ----

  getContents(wk: WindowKey): unknown {
    return this.contents.get(wk);
  }

  putContents(wk: WindowKey, v: unknown): void {
    this.contents.put(wk, v);
  }

  clearContents(wk: WindowKey): void {
    this.contents.remove(wk);
  }

  // ---- timers, namespaced by window ----

  /** Adds the window to the (domain, time) namespace entry; registers the backend timer unless `hasBackendTimer`. */
  registerTimer(domain: TimerDomain, time: number, wk: WindowKey): void {
    const id = `${domain}${time}`;
    const list = this.timers.get(id);
    if (list !== undefined && list.includes(wk)) return;
    this.timers.put(id, list === undefined ? [wk] : [...list, wk]);
    // A non-empty list means the backend timer exists (they change together, and restore together).
    if (list !== undefined && list.length > 0) return;
    if (domain === 'e') this.backend.timers.registerEventTimeTimer(time);
    else this.backend.timers.registerProcessingTimeTimer(time);
  }

  /** Removes the window from the namespace entry; the backend timer too when the entry empties and `keepBackendTimer` says no. */
  deleteTimer(domain: TimerDomain, time: number, wk: WindowKey, keepBackendTimer: () => boolean): void {
    const id = `${domain}${time}`;
    const list = this.timers.get(id);
    if (!list) return;
    const rest = list.filter((x) => x !== wk);
    if (rest.length === list.length) return;
    if (rest.length > 0) {
      this.timers.put(id, rest);
      return;
    }
    this.timers.remove(id);
    if (keepBackendTimer()) return;
    if (domain === 'e') this.backend.timers.deleteEventTimeTimer(time);
    else this.backend.timers.deleteProcessingTimeTimer(time);
  }

  /** The window keys of the current key whose namespaced timer at `time` just fired (and forget them). */
  takeFiredTimer(domain: TimerDomain, time: number): WindowKey[] {
    const id = `${domain}${time}`;
    const list = this.timers.get(id);
    if (!list) return [];
    this.timers.remove(id);
    return list;
  }

  // ---- per-window named values ----

  value<S>(wk: WindowKey, scope: string, name: string): WindowValue<S> {
    return new NamedWindowValue<S>(this.values, wk, `${scope}\u0000${name}`);
  }

  /** Whether window `wk` has any named value (or the purged mark). */
  hasValues(wk: WindowKey): boolean {
    return this.values.get(wk) !== undefined;
  }

  /** Marks a purged window as alive until its cleanup. */
  markPurged(wk: WindowKey): void {
    new NamedWindowValue<number>(this.values, wk, PURGED).update(1);
  }

  /** Remove every named value of window `wk` (its trigger and process-function state). */
  clearValues(wk: WindowKey): void {
    this.values.remove(wk);
  }

  // ---- the merging window set (sessions) ----

  mergingWindows(): TimeWindow[] {
    const out: TimeWindow[] = [];
    for (const [s, e] of this.set.values()) out.push(new TimeWindow(s, e));
    return out;
  }

  addMergingWindow(w: TimeWindow): void {
    this.set.put(windowKey(w), [w.start, w.end]);
  }

  retireMergingWindow(w: Window): void {
    this.set.remove(windowKey(w));
  }

  hasMergingWindow(w: Window): boolean {
    return this.set.contains(windowKey(w));
  }
}

/** One named per-window value: a field of the window's window-values entry. */
class NamedWindowValue<S> implements WindowValue<S> {
  constructor(private readonly values: MapState<WindowKey, Values>, private readonly wk: WindowKey, private readonly field: string) {}
  value(): S | undefined {
    return this.values.get(this.wk)?.[this.field] as S | undefined;
  }
  update(v: S): void {
    if (v === undefined) {
      this.clear();
      return;
    }
    // The entry was just read (heap: copy-on-access), so it may be changed in place and written back.
    const entry = this.values.get(this.wk) ?? {};
    entry[this.field] = v;
    this.values.put(this.wk, entry);
  }
  clear(): void {
    const entry = this.values.get(this.wk);
    if (entry === undefined || !Object.hasOwn(entry, this.field)) return;
    delete entry[this.field];
    for (const _ in entry) {
      this.values.put(this.wk, entry);
      return;
    }
    this.values.remove(this.wk);
  }
}
