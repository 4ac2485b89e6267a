/**
 * Doorbell: "sleep until something changed", across threads, without spinning.
 *
 * Memory layout (two Int32 words; a standalone bell owns an 8-byte SAB, a ring
 * buffer embeds its bells in its own header at other word indices):
 *
 * ```
 *   word  seqIndex   SEQ      bumped by ring() when a waiter is armed (and always by forceRing)
 *   word  flagIndex  WAITING  1 while the owner is armed (between prepareWait and the end of wait)
 * ```
 *
 * Call order (owner = the single thread that sleeps on this bell):
 *
 * ```
 *   owner                                      any other thread (or the owner's own thread)
 *   1. token = bell.prepareWait()              a. publish the data / state change (Atomics store)
 *      (store WAITING=1, then load SEQ)        b. bell.ring()
 *   2. re-check every condition it sleeps on      (load WAITING; only if 1: add SEQ, notify)
 *   3. if nothing to do: await bell.wait(token)
 *      else bell.cancelWait()
 * ```
 *
 * Why no wake-up is lost: every step is a sequentially consistent Atomics
 * operation, so all of them sit in one total order. If the ringer's load of
 * WAITING (b) comes before the owner's store (1), then its publish (a) also
 * precedes the owner's re-check (2), which therefore sees the change and does
 * not sleep. Otherwise (b) sees WAITING=1, bumps SEQ and notifies; the owner's
 * `Atomics.waitAsync(SEQ, token)` either finds SEQ ≠ token and returns at once,
 * or was already queued and is woken by the notify (compare-and-enqueue is
 * atomic with respect to notify). A ring with nobody armed costs one load,
 * which matters: publishers ring on every publish, and NODE-NOTES measured a
 * notify without waiter at ~40 ns but a wake-up at ~70 µs.
 *
 * One waiter per bell: the flag is a boolean, so only one task (the owning
 * actor's input loop) should sleep on a given bell at a time.
 *
 * Event loop: `Atomics.waitAsync` does not keep Node's event loop alive
 * (nodejs/node#61941): a worker whose only pending work is a waitAsync just
 * exits. `wait()` therefore holds a ref'd timer for as long as it sleeps
 * (`keepAlive: false` opts out).
 */
import { WeirError } from '../common/weir-error.ts';

/** How a {@link Doorbell.wait} ended. */
export type DoorbellWaitResult = 'ok' | 'not-equal' | 'timed-out';

/** Options of {@link Doorbell.wait}. */
export interface DoorbellWaitOptions {
  /** Give up after this many milliseconds (resolves `'timed-out'`). Default: no timeout. */
  timeoutMs?: number;
  /** Hold a ref'd timer while sleeping so the event loop cannot exit under the wait. Default true. */
  keepAlive?: boolean;
}

const SEQ = 0;
const WAITING = 1;
/** Bytes of a standalone doorbell's SharedArrayBuffer. */
export const DOORBELL_BYTES = 8;

const noop = (): void => {};
type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
/** `Atomics.waitAsync` (Node ≥ 16; missing from the ES2023 lib typings this repo compiles against). */
const waitAsync = (Atomics as unknown as { waitAsync: (a: Int32Array, i: number, v: number, t?: number) => WaitAsyncResult }).waitAsync;
const MAX_TIMER_MS = 0x7fffffff;

/**
 * A wake-up signal over a SharedArrayBuffer. Create one per consumer with
 * {@link Doorbell.create}, send `bell.buffer` to producers (structured clone
 * shares it) and rebuild it there with `new Doorbell(buffer)`.
 */
export class Doorbell {
  /** The shared memory holding the bell (share it with producers). */
  readonly buffer: SharedArrayBuffer;
  private readonly words: Int32Array;
  private readonly seqIndex: number;
  private readonly flagIndex: number;

  /**
   * Attach to a bell. `target` is a standalone bell's buffer (words 0 and 1)
   * or an Int32Array over a larger SAB with the word indices to use.
   */
  constructor(target: SharedArrayBuffer | Int32Array, seqIndex = SEQ, flagIndex = WAITING) {
    const words = target instanceof Int32Array ? target : new Int32Array(target);
    if (!(words.buffer instanceof SharedArrayBuffer)) {
      throw new WeirError('WEIR_DOORBELL_NOT_SHARED', 'A doorbell must live in a SharedArrayBuffer', {});
    }
    if (seqIndex === flagIndex || seqIndex < 0 || flagIndex < 0 || seqIndex >= words.length || flagIndex >= words.length) {
      throw new WeirError('WEIR_DOORBELL_LAYOUT', `Doorbell word indices ${seqIndex}/${flagIndex} do not fit an Int32Array of ${words.length} words`, {
        seqIndex,
        flagIndex,
        words: words.length,
      });
    }
    this.words = words;
    this.buffer = words.buffer;
    this.seqIndex = seqIndex;
    this.flagIndex = flagIndex;
  }

  /** A fresh standalone bell in its own 8-byte SharedArrayBuffer. */
  static create(): Doorbell {
    return new Doorbell(new SharedArrayBuffer(DOORBELL_BYTES));
  }

  /** True while the owner is armed (prepared or sleeping). */
  get isWaiting(): boolean {
    return Atomics.load(this.words, this.flagIndex) !== 0;
  }

  /** The current sequence number (changes on every effective ring). */
  get sequence(): number {
    return Atomics.load(this.words, this.seqIndex);
  }

  /** Step 1 of the owner protocol: arm the bell and return the token to wait on. */
  prepareWait(): number {
    Atomics.store(this.words, this.flagIndex, 1);
    return Atomics.load(this.words, this.seqIndex);
  }

  /** Disarm after `prepareWait()` when the re-check found work (saves producers a notify). */
  cancelWait(): void {
    Atomics.store(this.words, this.flagIndex, 0);
  }

  /**
   * Step 3: sleep until the bell rings after `prepareWait()` returned `token`
   * (returns at once with `'not-equal'` if it already rang). Disarms on return.
   */
  wait(token: number, options: DoorbellWaitOptions = {}): Promise<DoorbellWaitResult> {
    const timeout = options.timeoutMs ?? Infinity;
    const res = waitAsync(this.words, this.seqIndex, token, timeout);
    if (!res.async) {
      this.cancelWait();
      return Promise.resolve(res.value);
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (options.keepAlive !== false) {
      // A ref'd handle: waitAsync alone does not keep the event loop alive.
      timer = setTimeout(noop, Math.min(MAX_TIMER_MS, Number.isFinite(timeout) ? timeout + 1000 : MAX_TIMER_MS));
    }
    return res.value.then((v): DoorbellWaitResult => {
      if (timer !== undefined) clearTimeout(timer);
      this.cancelWait();
      return v;
    });
  }

  /**
   * Producer side: wake the owner if it is armed. Call it AFTER publishing the
   * change the owner will re-check. Returns true when a waiter was armed.
   */
  ring(): boolean {
    if (Atomics.load(this.words, this.flagIndex) === 0) return false;
    Atomics.add(this.words, this.seqIndex, 1);
    Atomics.notify(this.words, this.seqIndex);
    return true;
  }

  /** Bump the sequence and notify whether or not anyone is armed (close/cancel paths). */
  forceRing(): void {
    Atomics.add(this.words, this.seqIndex, 1);
    Atomics.notify(this.words, this.seqIndex);
  }
}
