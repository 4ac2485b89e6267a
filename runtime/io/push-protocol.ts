/**
 * What crosses between the main thread and a push source's subtask (job/push-sources.ts,
 * operators/sources/push-source.ts): record batches (RECORD_BATCH_KIND frames, no timestamps),
 * then an end-of-data element when the app ended the source; and the source's checkpointed
 * offset, which the main thread reads from completed checkpoints and restore plans.
 */

/** The checkpointed offset of a push source: records emitted since the job first started. */
export interface PushSourceOffset {
  readonly pushPosition: number;
}

export function isPushSourceOffset(v: unknown): v is PushSourceOffset {
  return v !== null && typeof v === 'object' && typeof (v as PushSourceOffset).pushPosition === 'number';
}
