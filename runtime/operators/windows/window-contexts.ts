/**
 * What the window operator hands to user code: the trigger's `TriggerContext` (one object,
 * re-pointed at each call: trigger calls never nest), the `OnMergeContext` of a session merge,
 * the `ProcessWindowContext` of a process window function, and the wrapping of trigger calls (a
 * throw becomes WEIR_USER_FUNCTION_FAILED naming the trigger, a returned Promise
 * WEIR_ASYNC_USER_FUNCTION). The operator supplies time, timers and state (`WindowContextHost`).
 */
import { WeirError } from '../../../common/weir-error.ts';
import type { RuntimeContext, TaskInfo } from '../../api/functions.ts';
import type { OutputTag } from '../../api/output-tag.ts';
import type { ProcessWindowContext } from '../../api/window-functions.ts';
import { asyncUserFunction, NO_RECORD, isThenable, userFunctionFailed } from '../operator.ts';
import type { OnMergeContext, Trigger, TriggerContext } from './window-operator-spec.ts';
import type { TimerDomain, WindowCodec, WindowKey, WindowState } from './window-state.ts';
import type { Window } from './windows.ts';

/** The window operator's side of the contexts. */
export interface WindowContextHost {
  readonly state: WindowState;
  readonly codec: WindowCodec;
  /** Session windows: no per-window state for process functions (as in Flink). */
  readonly merging: boolean;
  /** The key's keyed state, for `globalState()`. */
  readonly runtimeCtx: RuntimeContext;
  now(): number;
  watermark(): number;
  registerTimer(domain: TimerDomain, time: number, w: Window, wk: WindowKey): void;
  deleteTimer(domain: TimerDomain, time: number, w: Window, wk: WindowKey): void;
  sideOutput(tag: OutputTag<unknown>, value: unknown, timestamp: number | undefined): void;
}

/** Calls into the operator's trigger, failures named after it. */
export class TriggerCalls {
  private name: string | undefined;

  constructor(private readonly trigger: Trigger, private readonly info: TaskInfo) {}

  /** `trigger <name> <what>`, for error messages. */
  what(what: string): string {
    this.name ??= String(this.trigger);
    return `trigger ${this.name} ${what}`;
  }

  call<R>(what: string, fn: () => R): R {
    let r: R;
    try {
      r = fn();
    } catch (e) {
      throw userFunctionFailed(this.info, this.what(what), NO_RECORD, e);
    }
    if (isThenable(r)) throw asyncUserFunction(this.info, this.what(what), NO_RECORD);
    return r;
  }
}

export class WindowContexts {
  private window!: Window;
  private wk!: WindowKey;
  private readonly trigger: TriggerContext;

  constructor(private readonly host: WindowContextHost) {
    const self = this;
    this.trigger = {
      getCurrentProcessingTime() { return host.now(); },
      getCurrentWatermark() { return host.watermark(); },
      registerEventTimeTimer(t) { host.registerTimer('e', t, self.window, self.wk); },
      registerProcessingTimeTimer(t) { host.registerTimer('p', t, self.window, self.wk); },
      deleteEventTimeTimer(t) { host.deleteTimer('e', t, self.window, self.wk); },
      deleteProcessingTimeTimer(t) { host.deleteTimer('p', t, self.window, self.wk); },
      getState(name) { return host.state.value(self.wk, 't', name); },
    };
  }

  /** The trigger context, pointed at window `w` (key `wk`). */
  triggerContext(w: Window, wk: WindowKey): TriggerContext {
    this.window = w;
    this.wk = wk;
    return this.trigger;
  }

  /** The context of a trigger's onMerge: `merged` windows merge into `result` (key `rk`). */
  mergeContext(result: Window, rk: WindowKey, merged: readonly Window[]): OnMergeContext {
    const host = this.host;
    return {
      getCurrentProcessingTime: () => host.now(),
      getCurrentWatermark: () => host.watermark(),
      registerEventTimeTimer: (t) => host.registerTimer('e', t, result, rk),
      registerProcessingTimeTimer: (t) => host.registerTimer('p', t, result, rk),
      deleteEventTimeTimer: (t) => host.deleteTimer('e', t, result, rk),
      deleteProcessingTimeTimer: (t) => host.deleteTimer('p', t, result, rk),
      getState: (name) => host.state.value(rk, 't', name),
      mergeState: <S>(name: string, fold: (a: S, b: S) => S) => {
        const target = host.state.value<S>(rk, 't', name);
        let acc = target.value();
        for (const m of merged) {
          const v = host.state.value<S>(host.codec.key(m), 't', name).value();
          if (v !== undefined) acc = acc === undefined ? v : fold(acc, v);
        }
        if (acc !== undefined) target.update(acc);
      },
    };
  }

  /** The context of a process window function for window `w`; side outputs carry `timestamp`. */
  processContext(w: Window, timestamp: number | undefined): ProcessWindowContext<any> {
    const host = this.host;
    const wk = host.codec.key(w);
    return {
      window: w,
      currentWatermark: () => host.watermark(),
      currentProcessingTime: () => host.now(),
      windowState: () => {
        // A misuse every restart meets again: not restartable.
        if (host.merging) throw new WeirError('WEIR_INVALID_ARGUMENT', 'per-window state (windowState()) is not available with merging (session) windows (as in Flink): use globalState()');
        return { getState: (name: string) => host.state.value(wk, 'p', name) };
      },
      globalState: () => host.runtimeCtx,
      output: (tag, v) => host.sideOutput(tag, v, timestamp),
    };
  }
}
