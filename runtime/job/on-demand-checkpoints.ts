/**
 * Checkpoints a buffer asks for when only a checkpoint can free it and checkpointing has no
 * `intervalMs` (manual triggers only): a push source keeping records until a checkpoint covers
 * them, a collect sink holding records until their checkpoint completes. Without this, an app that
 * never triggers one waited for good (push) or held the whole output in memory (collect).
 * One request at a time; a refused one (the job restarting, its input ended) may be asked again.
 */
export function onDemandCheckpoints(trigger: () => Promise<unknown>): () => void {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    void trigger().catch(() => {}).finally(() => { pending = false; });
  };
}
