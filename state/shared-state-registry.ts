/**
 * Reference counting of files shared by incremental checkpoints (base files and deltas in the
 * job's `shared/` directory). Used by the main-thread checkpoint coordinator:
 *
 *   register(n, files)  when checkpoint n completes (or is restored): n references `files`
 *   release(n)          when checkpoint n is subsumed or discarded: drop n's references, then
 *                       delete every file no retained checkpoint references any more
 *
 * Classification completes before any deletion begins, so a failed delete never leaves the
 * counts inconsistent. Registering the same (checkpoint, file) twice counts once.
 */
import { WeirError } from '../common/weir-error.ts';

/** Ref-counts shared state files across retained checkpoints. */
export class SharedStateRegistry {
  private readonly refs = new Map<string, number>();
  private readonly byCheckpoint = new Map<number, Set<string>>();

  constructor(private readonly deleteFile: (absPath: string) => Promise<void> | void) {}

  /** Checkpoint `checkpointId` references `sharedFiles`. */
  register(checkpointId: number, sharedFiles: string[]): void {
    let set = this.byCheckpoint.get(checkpointId);
    if (!set) this.byCheckpoint.set(checkpointId, (set = new Set()));
    for (const f of sharedFiles) {
      if (set.has(f)) continue;
      set.add(f);
      this.refs.set(f, (this.refs.get(f) ?? 0) + 1);
    }
  }

  /** Drops `checkpointId`'s references and deletes unreferenced files; resolves with the deleted paths. */
  async release(checkpointId: number): Promise<string[]> {
    const set = this.byCheckpoint.get(checkpointId);
    if (!set) return [];
    this.byCheckpoint.delete(checkpointId);
    // 1. classify
    const unreferenced: string[] = [];
    for (const f of set) {
      const n = (this.refs.get(f) ?? 1) - 1;
      if (n <= 0) {
        this.refs.delete(f);
        unreferenced.push(f);
      } else {
        this.refs.set(f, n);
      }
    }
    // 2. delete
    const failures: Array<{ file: string; error: string }> = [];
    const deleted: string[] = [];
    for (const f of unreferenced) {
      try {
        await this.deleteFile(f);
        deleted.push(f);
      } catch (err) {
        failures.push({ file: f, error: (err as Error).message });
      }
    }
    if (failures.length > 0) {
      throw new WeirError('WEIR_STATE_DELETE_FAILED', `Could not delete ${failures.length} unreferenced shared state file(s), first: ${failures[0]!.file} (${failures[0]!.error})`, { failures, deleted });
    }
    return deleted;
  }

  /** How many retained checkpoints reference `file`. */
  referenceCount(file: string): number {
    return this.refs.get(file) ?? 0;
  }

  /** Ids of checkpoints with registered references, ascending. */
  retainedCheckpoints(): number[] {
    return [...this.byCheckpoint.keys()].sort((a, b) => a - b);
  }
}
