/**
 * The per-subtask cache of a lookup function (postgres-lookup.ts), Flink's partial lookup cache
 * (`lookup.partial-cache.max-rows`, `expire-after-write`): at most `maxEntries` keys, least
 * recently used evicted first, an entry older than `ttlMs` (since it was written) not served.
 * Concurrent lookups of one key share one request (the second waits for the first).
 *
 * The cache is not part of checkpoints: it is rebuilt from the database after a restore, so what
 * it serves is at most `ttlMs` stale — the same contract as Flink's.
 */
import type { Clock } from '../../common/clock.ts';

export interface LookupCacheOptions {
  /** Keys held (each with all its rows). */
  readonly maxEntries: number;
  /** An entry is served for this long after it was loaded. */
  readonly ttlMs: number;
}

interface Entry<V> { value: V; loadedAt: number }

export class LookupCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly loading = new Map<string, Promise<V>>();
  hits = 0;
  misses = 0;

  constructor(private readonly options: LookupCacheOptions | undefined, private readonly clock: Clock) {}

  /** The cached value of `key`, or `load()`'s (shared by concurrent callers; cached when it resolves). */
  get(key: string, load: () => Promise<V>): Promise<V> {
    if (!this.options) return load();
    const e = this.entries.get(key);
    if (e !== undefined) {
      if (this.clock.now() - e.loadedAt < this.options.ttlMs) {
        this.entries.delete(key); // re-insert: most recently used last
        this.entries.set(key, e);
        this.hits++;
        return Promise.resolve(e.value);
      }
      this.entries.delete(key);
    }
    const pending = this.loading.get(key);
    if (pending) {
      this.hits++;
      return pending;
    }
    this.misses++;
    const p = load().then(
      (value) => {
        this.loading.delete(key);
        this.put(key, value);
        return value;
      },
      (e: unknown) => {
        this.loading.delete(key);
        throw e;
      },
    );
    this.loading.set(key, p);
    return p;
  }

  get size(): number {
    return this.entries.size;
  }

  private put(key: string, value: V): void {
    this.entries.set(key, { value, loadedAt: this.clock.now() });
    while (this.entries.size > this.options!.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}
