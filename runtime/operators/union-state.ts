/**
 * Union operator state (Flink's `getUnionListState`): state that every subtask gets all of on
 * restore, whatever the parallelism, because it describes the job rather than one subtask's share
 * of it (the window operator's watermark is one: a new subtask after scaling up must know it).
 * An operator marks the value its `snapshotState` returns with {@link unionState}; the restore
 * planner (runtime/recovery/restore-planner.ts) then hands every new subtask every old value.
 */
export interface UnionState<T> {
  readonly unionState: true;
  readonly value: T;
}

export function unionState<T>(value: T): UnionState<T> {
  return { unionState: true, value };
}

export function isUnionState(v: unknown): v is UnionState<unknown> {
  return v !== null && typeof v === 'object' && (v as { unionState?: unknown }).unionState === true;
}
