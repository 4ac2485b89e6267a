/**
 * The death of one worker host generation, as every cross-thread wait needs it: {@link race}
 * settles with the wait's own outcome, or rejects with the death's error once the host died,
 * whichever comes first.
 *
 * Not `Promise.race([wait, dead.promise])`: each such race leaves a reaction (and the closure
 * behind it) on the long-lived `dead` promise until the host dies — about 2 KB of main-thread
 * heap per control call for the whole life of a job (a user's review: +2 KB a checkpoint, +2 KB
 * a `metrics()` call; at one checkpoint a second, ~170 MB a day). Here a settled wait leaves
 * nothing behind.
 */
export class HostDeath {
  #dead = false;
  #error: unknown;
  readonly #waiting = new Set<(error: unknown) => void>();

  /** The host died (or was shut down): every wait rejects with `error`; later calls are no-ops. */
  reject(error: unknown): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#error = error;
    for (const fail of this.#waiting) fail(error);
    this.#waiting.clear();
  }

  /** Waits in progress (tests: a settled wait must leave none). */
  get waiting(): number {
    return this.#waiting.size;
  }

  /** `wait`, or the death's error if the host dies first (at once if it already did). */
  race<T>(wait: Promise<T>): Promise<T> {
    if (this.#dead) {
      wait.catch(() => undefined); // its outcome no longer matters; never an unhandled rejection
      return Promise.reject(this.#error);
    }
    return new Promise<T>((resolve, reject) => {
      this.#waiting.add(reject);
      wait.then(
        (value) => { this.#waiting.delete(reject); resolve(value); },
        (error: unknown) => { this.#waiting.delete(reject); reject(error); },
      );
    });
  }
}
