/**
 * Broadcast state of one operator subtask (Flink's broadcast state in the operator state
 * backend): one map per `MapStateDescriptor` given to `stream.broadcast(...)`, held on the heap,
 * written only by `processBroadcastElement`, read by the other input.
 *
 * Bound: the encoded size of all entries (key + value, the codec state uses) is tracked on every
 * write; a write that would take it past `maxBytes` is refused with
 * `WEIR_BROADCAST_STATE_TOO_LARGE` before it changes anything. The state is held whole on every
 * subtask and stored with every checkpoint in the checkpoint's metadata (as base64 of the encoded
 * entries, one copy per subtask), so `maxBytes` bounds both its memory and its checkpoint size.
 *
 * Checkpoint and restore: `snapshot()` returns a {@link BroadcastStateSnapshot} (operator state);
 * the restore planner hands new subtask s the copy of old subtask s mod p₀
 * (runtime/recovery/restore-planner.ts), so after any rescale every subtask starts from one
 * complete copy, consistent with the in-flight broadcast records it replays.
 */
import type { MapStateDescriptor } from '../../state/index.ts';
import { keyIdentity } from '../../state/key-identity.ts';
import { packValue, unpackValue } from '../../state/value-codec.ts';
import { WeirError } from '../../common/weir-error.ts';
import type { BroadcastState, ReadOnlyBroadcastState } from '../api/broadcast-functions.ts';

/** Operator state of a broadcast operator: encoded entries per descriptor name. */
export interface BroadcastStateSnapshot {
  readonly broadcastState: true;
  /** Descriptor name → base64 of the encoded `[key, value][]`. */
  readonly maps: Record<string, string>;
}

export function isBroadcastStateSnapshot(v: unknown): v is BroadcastStateSnapshot {
  return v !== null && typeof v === 'object' && (v as { broadcastState?: unknown }).broadcastState === true;
}

interface Entry {
  readonly key: unknown;
  value: unknown;
  /** Encoded size of [key, value]. */
  bytes: number;
}

export class BroadcastStateStore {
  private readonly maps = new Map<string, Map<unknown, Entry>>();
  private readonly writableViews = new Map<string, BroadcastState<unknown, unknown>>();
  private readonly readOnlyViews = new Map<string, ReadOnlyBroadcastState<unknown, unknown>>();
  private bytes = 0;

  /** @param where names the operator and subtask in errors, e.g. `operator 'Rules' (uid rules, subtask 2/3)`. */
  constructor(descriptorNames: readonly string[], private readonly maxBytes: number, private readonly where: string) {
    for (const name of descriptorNames) this.maps.set(name, new Map());
  }

  /** Encoded bytes of every entry (what the bound counts). */
  get sizeBytes(): number {
    return this.bytes;
  }

  writable<K, V>(d: MapStateDescriptor<K, V>): BroadcastState<K, V> {
    const name = this.nameOf(d);
    let view = this.writableViews.get(name);
    if (!view) this.writableViews.set(name, (view = this.view(name, true) as BroadcastState<unknown, unknown>));
    return view as BroadcastState<K, V>;
  }

  readOnly<K, V>(d: MapStateDescriptor<K, V>): ReadOnlyBroadcastState<K, V> {
    const name = this.nameOf(d);
    let view = this.readOnlyViews.get(name);
    if (!view) this.readOnlyViews.set(name, (view = this.view(name, false)));
    return view as ReadOnlyBroadcastState<K, V>;
  }

  snapshot(): BroadcastStateSnapshot {
    const maps: Record<string, string> = {};
    for (const [name, m] of this.maps) {
      maps[name] = Buffer.from(packValue([...m.values()].map((e) => [e.key, e.value]))).toString('base64');
    }
    return { broadcastState: true, maps };
  }

  /**
   * Restore from the copies the restore planner assigned (normally exactly one). Maps of
   * descriptors the job no longer declares are dropped; declared ones missing from the copy start
   * empty (a descriptor added since the checkpoint), as operator state of a new operator does.
   */
  restore(values: readonly unknown[]): void {
    const copy = values.find(isBroadcastStateSnapshot);
    if (!copy) return;
    for (const [name, encoded] of Object.entries(copy.maps)) {
      const m = this.maps.get(name);
      if (!m) continue;
      const entries = unpackValue(Buffer.from(encoded, 'base64')) as Array<[unknown, unknown]>;
      for (const [k, v] of entries) {
        const bytes = entrySize(k, v);
        m.set(keyIdentity(k), { key: k, value: v, bytes });
        this.bytes += bytes;
      }
    }
  }

  private nameOf(d: MapStateDescriptor<unknown, unknown>): string {
    const name = (d as { name?: unknown } | null | undefined)?.name;
    if (typeof name === 'string' && this.maps.has(name) && (d as { kind?: unknown }).kind === 'map') return name;
    const known = [...this.maps.keys()].map((n) => `'${n}'`).join(', ') || 'none';
    throw new WeirError(
      'WEIR_BROADCAST_STATE_UNKNOWN',
      `getBroadcastState in ${this.where}: ${typeof name === 'string' ? `no broadcast state '${name}'` : 'expected a MapStateDescriptor'}; this operator's broadcast stream declares ${known} (pass every descriptor to broadcast(...))`,
      { name: typeof name === 'string' ? name : null, known: [...this.maps.keys()] },
    );
  }

  private view(name: string, writable: boolean): BroadcastState<unknown, unknown> | ReadOnlyBroadcastState<unknown, unknown> {
    const m = this.maps.get(name)!;
    const readOnly: ReadOnlyBroadcastState<unknown, unknown> = {
      get: (k) => m.get(keyIdentity(k))?.value,
      contains: (k) => m.has(keyIdentity(k)),
      entries: () => mapIter(m.values(), (e) => [e.key, e.value] as [unknown, unknown]),
      keys: () => mapIter(m.values(), (e) => e.key),
      values: () => mapIter(m.values(), (e) => e.value),
      get size() {
        return m.size;
      },
      isEmpty: () => m.size === 0,
    };
    const refuse = (): never => {
      throw new WeirError(
        'WEIR_BROADCAST_STATE_READ_ONLY',
        `broadcast state '${name}' in ${this.where} is read-only here: only processBroadcastElement may write it (so that every subtask sees the same writes)`,
        { name },
      );
    };
    if (!writable) return Object.assign(readOnly, { put: refuse, putAll: refuse, remove: refuse, clear: refuse });
    const put = (k: unknown, v: unknown): void => {
      if (v === undefined) throw new WeirError('WEIR_INVALID_STATE_VALUE', `broadcast state '${name}' in ${this.where}: values must not be undefined (use remove)`, { name });
      const id = keyIdentity(k);
      const bytes = entrySize(k, v);
      const old = m.get(id);
      const after = this.bytes - (old?.bytes ?? 0) + bytes;
      if (after > this.maxBytes) {
        throw new WeirError(
          'WEIR_BROADCAST_STATE_TOO_LARGE',
          `broadcast state of ${this.where} would hold ${after} bytes after this put into '${name}', above its bound of ${this.maxBytes} bytes (it is held whole on every subtask and stored in every checkpoint; raise the bound with broadcast(...).withMaxStateBytes(n) or keep less)`,
          { name, bytes: after, maxBytes: this.maxBytes },
        );
      }
      this.bytes = after;
      if (old) {
        old.value = v;
        old.bytes = bytes;
      } else m.set(id, { key: k, value: v, bytes });
    };
    return Object.assign(readOnly, {
      put,
      putAll: (entries: Iterable<[unknown, unknown]>) => {
        for (const [k, v] of entries) put(k, v);
      },
      remove: (k: unknown) => {
        const id = keyIdentity(k);
        const old = m.get(id);
        if (!old) return;
        this.bytes -= old.bytes;
        m.delete(id);
      },
      clear: () => {
        for (const e of m.values()) this.bytes -= e.bytes;
        m.clear();
      },
    });
  }
}

function entrySize(k: unknown, v: unknown): number {
  return packValue([k, v]).byteLength;
}

function* mapIter<A, B>(it: Iterable<A>, f: (a: A) => B): IterableIterator<B> {
  for (const a of it) yield f(a);
}
