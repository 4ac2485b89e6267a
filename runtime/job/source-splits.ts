/**
 * The main thread's part of the public Source API (api/source-api.ts): each user source's
 * `createSplits` runs once per job run, and its splits are dealt round-robin to the source's
 * subtasks (Flink's default assignment). A subtask that restores its source's state from a
 * checkpoint reads the checkpointed splits instead (operators/sources/custom-source.ts).
 */
import type { JobGraph } from '../graph/job-graph.ts';
import type { SourceSplit } from '../api/source-api.ts';
import { WeirError } from '../../common/weir-error.ts';
import { toExactJson } from '../../common/codec/exact-json.ts';
import { RuntimeErrorCode } from '../errors.ts';

/** Per source vertex index: the splits of each subtask. */
export type InitialSplits = ReadonlyMap<number, ReadonlyArray<readonly SourceSplit[]>>;

export async function createInitialSplits(graph: JobGraph): Promise<InitialSplits> {
  const out = new Map<number, SourceSplit[][]>();
  for (const v of graph.vertices) {
    const head = v.operators[0]!;
    if (!v.isSource || head.spec.kind !== 'source' || head.spec.source.type !== 'custom') continue;
    const fail = (why: string, cause?: unknown) => new WeirError(RuntimeErrorCode.SOURCE_FAILED, `source '${head.name}' (uid ${head.uid}) failed in createSplits: ${why}`, { operator: head.name, uid: head.uid, call: 'createSplits' }, cause === undefined ? {} : { cause });
    let splits: unknown;
    try {
      splits = await head.spec.source.source.createSplits({ parallelism: v.parallelism });
    } catch (e) {
      throw fail(e instanceof Error ? e.message : String(e), e);
    }
    if (!Array.isArray(splits)) throw fail('it must return an array of split objects');
    const perSubtask: SourceSplit[][] = Array.from({ length: v.parallelism }, () => []);
    splits.forEach((s, i) => {
      if (s === null || typeof s !== 'object') throw fail(`split ${i} is ${s === null ? 'null' : typeof s}: a split is a plain data object`);
      try {
        // Strict exact JSON accepts only what a checkpoint stores unchanged — all of it structured-cloneable too.
        toExactJson(s, `split ${i}`, { strict: true });
      } catch (e) {
        throw fail(`split ${i} cannot be sent to a worker and stored in checkpoints (${(e as Error).message}): a split is plain data`, e);
      }
      perSubtask[i % v.parallelism]!.push(s);
    });
    out.set(v.index, perSubtask);
  }
  return out;
}
