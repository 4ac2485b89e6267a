/**
 * Runs the checkpoint coordinator's side effects (coordinator-effects in pending-checkpoint.ts)
 * so that none can break the protocol: a throwing effect is logged, never rethrown into it;
 * asynchronous ones (finalize, discard) are tracked, so `whenIdle()` can wait for all of them.
 */
import type { CoordinatorEffects, CoordinatorLogger, DiscardInfo, DiscardReason } from './pending-checkpoint.ts';

export class CoordinatorEffectsRunner {
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(readonly effects: CoordinatorEffects, private readonly log: CoordinatorLogger) {}

  /** Run a synchronous effect; a throw is logged as `<what> effect threw`. */
  safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.log.warn({ err: e }, `${what} effect threw`);
    }
  }

  /** Delete a checkpoint's files (asynchronously; a failure is logged). */
  discard(checkpointId: number, reason: DiscardReason, info: DiscardInfo): void {
    let done: Promise<void>;
    try {
      done = Promise.resolve(this.effects.discard(checkpointId, reason, info));
    } catch (e) {
      done = Promise.reject(e);
    }
    this.track(done.catch((e) => {
      // An aborted checkpoint a subtask is still writing into (its attempt is being torn down):
      // the job removes it once that attempt has ended (job-checkpointing.ts removeAbandoned).
      if (reason === 'aborted' && (e as NodeJS.ErrnoException)?.code === 'ENOTEMPTY') this.log.debug({ err: e, checkpointId }, 'aborted checkpoint still being written; removed when its attempt ends');
      else this.log.warn({ err: e, checkpointId, reason }, 'discarding checkpoint files failed');
    }));
  }

  /** Keep `promise` until it settles (whenIdle waits for it); a rejection is logged as an internal error. */
  track(promise: Promise<unknown>): void {
    const p = promise.catch((e) => this.log.error({ err: e }, 'checkpoint coordinator internal error')).finally(() => this.inflight.delete(p));
    this.inflight.add(p);
  }

  /** Resolves once every tracked effect started so far has settled. */
  async whenIdle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }
}
