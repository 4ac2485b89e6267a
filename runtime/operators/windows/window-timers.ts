/**
 * The window operator's timer bookkeeping (window-operator.ts): which timers are derived (a
 * fixed-size window's cleanup timer, and a built-in trigger's timer at that same time: no
 * namespace entry, the window is derived from the time when it fires) and which keep a namespace
 * entry in window-state's timers; registering, deleting and telling them apart for the current
 * key. The header of window-operator.ts explains derived timers.
 */
import type { TimerService } from '../../../state/index.ts';
import { WeirError, preview } from '../../../common/weir-error.ts';
import type { OperatorContext } from '../operator.ts';
import type { TimerDomain, WindowCodec, WindowKey, WindowState } from './window-state.ts';
import type { Window } from './windows.ts';

export interface WindowTimersConfig {
  /** Fixed-size windows: their size (cleanup timers are derived); undefined for sessions and global windows. */
  fixedSize: number | undefined;
  /** Event-time windows (else processing time). */
  eventTime: boolean;
  /** Allowed lateness (0 for processing time). */
  lateness: number;
  /** The trigger is one of Weir's built-in ones (they delete timers only in `clear`). */
  builtInTrigger: boolean;
  /** Whether per-window values can exist (trigger state, process-function state, the purged mark). */
  valuesUsed: boolean;
}

export class WindowTimers {
  /** The domain of cleanup timers. */
  readonly cleanupDomain: TimerDomain;
  /**
   * The derived timer registered last while processing the current (element, window): not again
   * (NaN outside). The operator sets it when the window's cleanup timer is known to exist already.
   */
  lastDerivedTimer = Number.NaN;

  constructor(
    private readonly config: WindowTimersConfig,
    private readonly timers: TimerService,
    private readonly ctx: OperatorContext,
    private readonly state: WindowState,
    private readonly codec: WindowCodec,
  ) {
    this.cleanupDomain = config.eventTime ? 'e' : 'p';
  }

  /** Event time: max timestamp + allowed lateness; processing time: max timestamp (+Infinity: never). */
  cleanupTime(w: Window): number {
    return w.maxTimestamp() + this.config.lateness;
  }

  registerCleanupTimer(w: Window, wk: WindowKey): void {
    const t = this.cleanupTime(w);
    if (!Number.isFinite(t)) return;
    if (this.config.fixedSize !== undefined) this.registerDerived(t);
    else this.register(this.cleanupDomain, t, w, wk);
  }

  deleteCleanupTimer(w: Window, wk: WindowKey): void {
    const t = this.cleanupTime(w);
    if (Number.isFinite(t)) this.delete(this.cleanupDomain, t, w, wk);
  }

  /** A derived timer at `time` for the current key (once per element and window). */
  registerDerived(time: number): void {
    if (time === this.lastDerivedTimer) return; // already, for this element and window
    this.lastDerivedTimer = time;
    if (this.config.eventTime) this.timers.registerEventTimeTimer(time);
    else {
      this.timers.registerProcessingTimeTimer(time);
      this.ctx.requestProcessingTime(time);
    }
  }

  /** A trigger's timer (or a namespaced cleanup timer). */
  register(domain: TimerDomain, time: number, w: Window, wk: WindowKey): void {
    if (typeof time !== 'number' || Number.isNaN(time)) throw new WeirError('WEIR_INVALID_TIMER', `timer timestamp must be a number (epoch ms), got ${preview(time)}`, { timestamp: preview(time) });
    if (this.isDerived(domain, time, w)) {
      this.registerDerived(time);
      return;
    }
    this.state.registerTimer(domain, time, wk);
    if (domain === 'p') this.ctx.requestProcessingTime(time);
  }

  delete(domain: TimerDomain, time: number, w: Window, wk: WindowKey): void {
    // A derived timer lives as long as its window (built-in triggers delete timers only when it is cleared).
    if (this.isDerived(domain, time, w)) return;
    this.state.deleteTimer(domain, time, wk, () => this.hasDerived(domain, time));
  }

  /** Whether a timer is a derived one: a window's cleanup time in the cleanup domain (built-in triggers, or the operator's own). */
  private isDerived(domain: TimerDomain, time: number, w: Window): boolean {
    return this.config.fixedSize !== undefined && this.config.builtInTrigger && domain === this.cleanupDomain && time === this.cleanupTime(w);
  }

  /** Whether the backend timer (current key, domain, time) is also a live window's derived cleanup timer. */
  private hasDerived(domain: TimerDomain, time: number): boolean {
    const size = this.config.fixedSize;
    if (size === undefined || domain !== this.cleanupDomain) return false;
    const wk = this.codec.key(this.codec.window(time - this.config.lateness + 1 - size));
    return this.state.getContents(wk) !== undefined || (this.config.valuesUsed && this.state.hasValues(wk));
  }
}
