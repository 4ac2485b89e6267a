/**
 * Session windows: Flink's MergingWindowSet.addWindow and the window operator's merge callback.
 * A key's merging set (window-state.ts) holds its session windows; a new element's window is
 * merged with every window it overlaps (the assigner's `mergeWindows`), and the state of the
 * merged windows moves into the result: the trigger's onMerge, their timers and trigger state
 * cleared, their contents combined with the window function's merge. The operator supplies its
 * state, trigger, contexts and cleanup timers (`SessionMergeHost`).
 */
import type { TaskInfo } from '../../api/functions.ts';
import type { TriggerCalls, WindowContexts } from './window-contexts.ts';
import type { Trigger, WindowAssigner } from './window-operator-spec.ts';
import type { WindowCodec, WindowKey, WindowState } from './window-state.ts';
import type { WindowFunctionRunner } from './window-functions-runner.ts';
import { callUser } from '../operator.ts';
import type { TimeWindow, Window } from './windows.ts';

/** The window operator's side of session merging. */
export interface SessionMergeHost {
  readonly info: TaskInfo;
  readonly assigner: WindowAssigner;
  readonly trigger: Trigger;
  readonly triggers: TriggerCalls;
  readonly state: WindowState;
  readonly codec: WindowCodec;
  readonly contexts: WindowContexts;
  readonly runner: WindowFunctionRunner;
  /** Whether per-window values can exist (cleared with a merged window's contents). */
  readonly valuesUsed: boolean;
  /** Event time and the window's cleanup time already passed by the watermark. */
  isLate(w: Window): boolean;
  watermark(): number;
  deleteCleanupTimer(w: Window, wk: WindowKey): void;
}

export class SessionMerger {
  constructor(private readonly host: SessionMergeHost) {}

  /** Add a new window to the key's set, merging it with the windows it overlaps; returns the window it ended up in. */
  add(nw: TimeWindow): TimeWindow {
    const { info, assigner, state } = this.host;
    const groups = callUser(info, 'window assigner mergeWindows', undefined, () => assigner.mergeWindows!([...state.mergingWindows(), nw])) as Array<{ result: TimeWindow; merged: TimeWindow[] }>;
    let result = nw;
    let mergedNew = false;
    for (const g of groups) {
      const merged = [...g.merged];
      const i = merged.findIndex((w) => w.equals(nw));
      if (i >= 0) {
        merged.splice(i, 1); // the new window never had state
        mergedNew = true;
        result = g.result;
      }
      for (const m of merged) state.retireMergingWindow(m);
      state.addMergingWindow(g.result);
      // Merging a window into itself (the new one inside an existing one) changes nothing.
      if (!(merged.length === 1 && merged[0]!.equals(g.result))) this.merge(g.result, merged.filter((m) => !m.equals(g.result)));
    }
    if (groups.length === 0 || (result.equals(nw) && !mergedNew)) state.addMergingWindow(nw);
    return result;
  }

  /** The state of `merged` windows moves into `result`: trigger onMerge, their timers and trigger state cleared, contents combined. */
  private merge(result: TimeWindow, merged: TimeWindow[]): void {
    const h = this.host;
    if (h.isLate(result)) throw new Error(`window merging produced ${String(result)}, already late for watermark ${h.watermark()}`);
    const rk = h.codec.key(result);
    const mergeCtx = h.contexts.mergeContext(result, rk, merged);
    h.triggers.call('onMerge', () => h.trigger.onMerge?.(result, mergeCtx));
    for (const m of merged) {
      const mk = h.codec.key(m);
      h.triggers.call('clear', () => h.trigger.clear(m, h.contexts.triggerContext(m, mk)));
      h.deleteCleanupTimer(m, mk);
    }
    let contents = h.state.getContents(rk);
    for (const m of merged) {
      const mk = h.codec.key(m);
      const c = h.state.getContents(mk);
      if (c !== undefined) contents = contents === undefined ? c : h.runner.merge(contents, c);
      h.state.clearContents(mk);
      if (h.valuesUsed) h.state.clearValues(mk);
    }
    if (contents !== undefined) h.state.putContents(rk, contents);
  }
}
