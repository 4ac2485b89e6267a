/**
 * Restore of keyed state from snapshot handles, shared by both backends.
 *
 * Steps, per handle (old subtask) whose key-group range intersects ours:
 *   1. for each file in apply order (base, then deltas): open it, verifying size and sha256
 *      (`WEIR_STATE_CORRUPT` naming the file);
 *   2. map the footer's state table onto local state ids (kinds must agree);
 *   3. read only the blocks of key groups in our range and hand their records to the backend's
 *      {@link RestoreSink}, one key group per `runGroup` call (LMDB: one synchronous write
 *      transaction; no await happens inside it). Every entry keeps its TTL timestamp and is
 *      restored, expired or not: expiry is judged when the entry is read, with the TTL the
 *      restored job declares (Flink's semantics). Judging it here with the snapshot's TTL lost
 *      entries a job restored with a longer TTL, or none, must still see.
 */
import { WeirError } from '../../common/weir-error.ts';
import { intersectKeyGroupRanges, keyGroupRangeSize, type KeyGroupRange } from '../key-groups.ts';
import type { KeyedStateHandle } from '../keyed-state-backend.ts';
import type { StateRegistry } from '../keyed/state-registry.ts';
import { readRecords, type ListItemBytes, type RecordVisitor } from './snapshot-records.ts';
import { SnapshotFileReader } from './snapshot-file.ts';

/** Receives restored records with local state ids and their key group. */
export interface RestoreSink {
  putValue(kg: number, sid: number, key: Uint8Array, t: number, v: Uint8Array): void;
  putList(kg: number, sid: number, key: Uint8Array, items: ListItemBytes[]): void;
  putMapEntry(kg: number, sid: number, key: Uint8Array, uk: Uint8Array, t: number, v: Uint8Array): void;
  deleteKey(kg: number, sid: number, key: Uint8Array): void;
  deleteMapEntry(kg: number, sid: number, key: Uint8Array, uk: Uint8Array): void;
  putTimer(kg: number, domain: number, ts: number, key: Uint8Array): void;
  deleteTimer(kg: number, domain: number, ts: number, key: Uint8Array): void;
}

/** What a backend provides to {@link restoreKeyedState}. */
export interface RestoreTarget {
  range: KeyGroupRange;
  maxParallelism: number;
  registry: StateRegistry;
  sink: RestoreSink;
  /** Runs the application of one key group's records (synchronously). */
  runGroup(fn: () => void): void;
}

function checkHandle(h: KeyedStateHandle): void {
  if (!h || h.format !== 'weir-keyed-v1' || !Array.isArray(h.files)) {
    throw new WeirError('WEIR_STATE_INCOMPATIBLE', `Not a Weir keyed-state handle (format ${String(h?.format)})`, { format: h?.format });
  }
}

/** Applies `handles` to `target`. */
export async function restoreKeyedState(
  handles: readonly KeyedStateHandle[],
  resolve: (relativePath: string) => string,
  target: RestoreTarget,
): Promise<void> {
  for (const h of handles) {
    checkHandle(h);
    const range = intersectKeyGroupRanges(h.keyGroupRange, target.range);
    if (keyGroupRangeSize(range) === 0) continue;
    for (const f of h.files) {
      const abs = resolve(f.path);
      const reader = await SnapshotFileReader.open(abs, { bytes: f.bytes, sha256: f.sha256 });
      try {
        const footer = reader.footer;
        if (footer.maxParallelism !== target.maxParallelism) {
          throw new WeirError(
            'WEIR_STATE_INCOMPATIBLE',
            `Snapshot file ${abs} was written with maxParallelism ${footer.maxParallelism}; this backend uses ${target.maxParallelism} (key groups cannot be remapped)`,
            { file: abs, fileMaxParallelism: footer.maxParallelism, maxParallelism: target.maxParallelism },
          );
        }
        const sids = new Map<number, number>();
        for (const row of footer.states) sids.set(row.sid, target.registry.restored(row).sid);
        for (const entry of footer.index) {
          if (entry.kg < range.start || entry.kg > range.end) continue;
          const block = await reader.readBlock(entry);
          target.runGroup(() => {
            readRecords(block, visitorFor(entry.kg, sids, target.sink, abs));
          });
        }
      } finally {
        await reader.close();
      }
    }
  }
}

function visitorFor(kg: number, sids: Map<number, number>, sink: RestoreSink, file: string): RecordVisitor {
  const local = (sid: number): number => {
    const s = sids.get(sid);
    if (s === undefined) throw new WeirError('WEIR_STATE_CORRUPT', `Snapshot file ${file} references unknown state id ${sid}`, { file, sid });
    return s;
  };
  return {
    putValue(sid, key, t, v) {
      sink.putValue(kg, local(sid), key, t, v);
    },
    putList(sid, key, items) {
      if (items.length === 0) sink.deleteKey(kg, local(sid), key);
      else sink.putList(kg, local(sid), key, items);
    },
    putMapEntry(sid, key, uk, t, v) {
      sink.putMapEntry(kg, local(sid), key, uk, t, v);
    },
    deleteKey(sid, key) {
      sink.deleteKey(kg, local(sid), key);
    },
    deleteMapEntry(sid, key, uk) {
      sink.deleteMapEntry(kg, local(sid), key, uk);
    },
    putTimer(domain, ts, key) {
      sink.putTimer(kg, domain, ts, key);
    },
    deleteTimer(domain, ts, key) {
      sink.deleteTimer(kg, domain, ts, key);
    },
  };
}
