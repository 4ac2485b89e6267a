/**
 * Public surface of the state layer: key groups, keyed state (heap and LMDB backends), TTL,
 * timers, snapshots and the shared-state registry. Re-exports only.
 * See docs/state.md.
 */
export {
  DEFAULT_MAX_PARALLELISM,
  UPPER_BOUND_MAX_PARALLELISM,
  EMPTY_KEY_GROUP_RANGE,
  keyHash,
  murmurHash,
  keyGroupFor,
  keyGroupForHash,
  operatorIndexForKeyGroup,
  keyGroupRangeForSubtask,
  keyGroupRangeSize,
  keyGroupRangeContains,
  intersectKeyGroupRanges,
  checkMaxParallelism,
  encodeKey,
  decodeKey,
  type KeyGroupRange,
} from './key-groups.ts';
export {
  ValueStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  AggregatingStateDescriptor,
  type StateTtlConfig,
  type StateKind,
  type AggregateFunction,
  type AnyStateDescriptor,
} from './descriptors.ts';
export type { ValueState, ListState, MapState, ReducingState, AggregatingState } from './state-types.ts';
export type {
  KeyedStateBackend,
  KeyedStateBackendOptions,
  KeyedStateHandle,
  KeyedStateFile,
  KeyedStateStats,
  SnapshotTarget,
  SnapshotInProgress,
} from './keyed-state-backend.ts';
export { NO_WATERMARK, type TimerService, type TimeDomain } from './timers.ts';
export { createHeapKeyedStateBackend } from './heap/heap-keyed-state-backend.ts';
export { createLmdbKeyedStateBackend, type LmdbKeyedStateBackendOptions } from './lmdb/lmdb-keyed-state-backend.ts';
export { SharedStateRegistry } from './shared-state-registry.ts';
