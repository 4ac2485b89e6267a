/**
 * The current key of a keyed backend: its key group (checked against the backend's range),
 * and lazily its canonical bytes and heap identity. `version` changes on every `set` so stores
 * can cache per-key work (the LMDB key prefix).
 */
import { WeirError, preview } from '../../common/weir-error.ts';
import { encodeKey } from '../key-codec.ts';
import { keyIdentity } from '../key-identity.ts';
import { keyHash, murmurHash, type KeyGroupRange } from '../key-groups.ts';

/** Current-key holder shared by a backend, its store and its timer service. */
export class KeyContext {
  key: unknown = undefined;
  kg = -1;
  version = 0;
  private bytes: Uint8Array | undefined;
  private id: unknown;
  private idValid = false;

  constructor(
    readonly range: KeyGroupRange,
    readonly maxParallelism: number,
  ) {}

  /** Sets the current key; `WEIR_INVALID_KEY` / `WEIR_KEY_OUT_OF_RANGE`. */
  set(key: unknown): void {
    const kg = murmurHash(keyHash(key)) % this.maxParallelism;
    if (kg < this.range.start || kg > this.range.end) {
      throw new WeirError(
        'WEIR_KEY_OUT_OF_RANGE',
        `Key ${preview(key)} belongs to key group ${kg}, outside this backend's range ${this.range.start}..${this.range.end}`,
        { keyGroup: kg, range: { ...this.range } },
      );
    }
    this.key = key;
    this.kg = kg;
    this.version++;
    this.bytes = undefined;
    this.idValid = false;
  }

  /** Sets a key already known to be valid and in range (timers, restore). */
  setTrusted(key: unknown, kg: number, bytes?: Uint8Array): void {
    this.key = key;
    this.kg = kg;
    this.version++;
    this.bytes = bytes;
    this.idValid = false;
  }

  /** Throws `WEIR_NO_CURRENT_KEY` when no key was set. */
  require(): void {
    if (this.kg < 0) throw new WeirError('WEIR_NO_CURRENT_KEY', 'Keyed state or timers were used with no current key: a keyed function may use them only while it processes a record or a timer (processElement, onTimer, a window function), not in open() or close() (using a backend directly: call setCurrentKey first)');
  }

  /** Canonical bytes of the current key (cached). */
  keyBytes(): Uint8Array {
    this.require();
    return (this.bytes ??= encodeKey(this.key));
  }

  /** Heap identity of the current key (cached). */
  keyId(): unknown {
    this.require();
    if (!this.idValid) {
      this.id = keyIdentity(this.key);
      this.idValid = true;
    }
    return this.id;
  }
}
