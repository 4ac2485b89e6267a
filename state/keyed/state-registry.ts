/**
 * Name → state id table of one keyed backend. A state id (`sid`, u16) is what stored records and
 * snapshot records carry; names, kinds and TTLs travel in snapshot footers, so a restore can map
 * them to new local ids. Descriptor registration and restored metadata must agree on the kind.
 */
import { WeirError } from '../../common/weir-error.ts';
import type { StateKind, StateTtlConfig } from '../descriptors.ts';
import type { SnapshotStateRow } from '../snapshot/snapshot-file.ts';

/** Highest state id; ids above are reserved (LMDB timer spaces and metadata). */
export const MAX_STATE_ID = 0xfff0;

/** Metadata of one registered or restored state. */
export interface StateMeta {
  readonly sid: number;
  readonly name: string;
  readonly kind: StateKind;
  /** TTL config of the descriptor registered in this run (or restored ttlMs until registered). */
  ttl: StateTtlConfig | undefined;
  /** True once a descriptor registered it in this run. */
  registered: boolean;
}

function sameTtl(a: StateTtlConfig | undefined, b: StateTtlConfig | undefined): boolean {
  if (!a || !b) return a === b;
  return a.ttlMs === b.ttlMs && (a.updateType ?? 'on-create-and-write') === (b.updateType ?? 'on-create-and-write');
}

/** The table; `onCreate` persists new entries (LMDB). */
export class StateRegistry {
  private readonly byName = new Map<string, StateMeta>();
  private readonly bySid: StateMeta[] = [];

  constructor(private readonly onCreate: (meta: StateMeta) => void = () => undefined) {}

  get(sid: number): StateMeta | undefined {
    return this.bySid[sid];
  }

  byNameOf(name: string): StateMeta | undefined {
    return this.byName.get(name);
  }

  all(): readonly StateMeta[] {
    return this.bySid.filter((m) => m !== undefined);
  }

  private create(name: string, kind: StateKind, ttl: StateTtlConfig | undefined, registered: boolean, sid?: number): StateMeta {
    const id = sid ?? this.bySid.length;
    if (id > MAX_STATE_ID) throw new WeirError('WEIR_TOO_MANY_STATES', `A keyed backend holds at most ${MAX_STATE_ID + 1} states`, { name });
    const meta: StateMeta = { sid: id, name, kind, ttl, registered };
    this.byName.set(name, meta);
    this.bySid[id] = meta;
    return meta;
  }

  /** Loads a persisted entry (LMDB reopen) without calling `onCreate`. */
  load(sid: number, name: string, kind: StateKind, ttl: StateTtlConfig | undefined): StateMeta {
    return this.create(name, kind, ttl, false, sid);
  }

  /** Registers a descriptor; throws `WEIR_STATE_DESCRIPTOR_CONFLICT` on a kind or TTL mismatch. */
  register(name: string, kind: StateKind, ttl: StateTtlConfig | undefined): StateMeta {
    const found = this.byName.get(name);
    if (!found) {
      const meta = this.create(name, kind, ttl, true);
      this.onCreate(meta);
      return meta;
    }
    if (found.kind !== kind) {
      throw new WeirError(
        'WEIR_STATE_DESCRIPTOR_CONFLICT',
        `State "${name}" is ${found.registered ? 'registered' : 'restored'} as ${found.kind} state and cannot be used as ${kind} state`,
        { name, existing: found.kind, requested: kind },
      );
    }
    if (found.registered && !sameTtl(found.ttl, ttl)) {
      throw new WeirError('WEIR_STATE_DESCRIPTOR_CONFLICT', `State "${name}" is already registered with another TTL configuration`, { name, existing: found.ttl, requested: ttl });
    }
    if (!found.registered) {
      found.registered = true;
      found.ttl = ttl;
      this.onCreate(found);
    }
    return found;
  }

  /** Maps a snapshot's state row to a local entry, creating it when new. */
  restored(row: SnapshotStateRow): StateMeta {
    const found = this.byName.get(row.name);
    if (found) {
      if (found.kind !== row.kind) {
        throw new WeirError('WEIR_STATE_DESCRIPTOR_CONFLICT', `Restored state "${row.name}" is ${row.kind} state but ${found.kind} state exists under that name`, { name: row.name, existing: found.kind, restored: row.kind });
      }
      return found;
    }
    const meta = this.create(row.name, row.kind, row.ttlMs ? { ttlMs: row.ttlMs } : undefined, false);
    this.onCreate(meta);
    return meta;
  }

  /** Rows for a snapshot footer. */
  rows(): SnapshotStateRow[] {
    return this.all().map((m) => (m.ttl ? { sid: m.sid, name: m.name, kind: m.kind, ttlMs: m.ttl.ttlMs } : { sid: m.sid, name: m.name, kind: m.kind }));
  }

  /** TTL in ms of a state id, or undefined. */
  ttlMsOf(sid: number): number | undefined {
    return this.bySid[sid]?.ttl?.ttlMs;
  }
}
