/**
 * Weir's public API. Everything a job, an embedding application or a tool
 * needs is re-exported here; deep imports are not part of the contract.
 */
export { defineJob, JobDefinition, type ExecuteArgs, type JobBuildFunction } from './runtime/api/job-definition.ts';
export { StreamEnvironment } from './runtime/api/stream-environment.ts';
export { DataStream, SingleOutputStream, KeyedStream, SinkHandle, type NumericField } from './runtime/api/data-stream.ts';
export type {
  MapFunction, FilterFunction, FlatMapFunction, KeySelector, ReduceFunction, Collector, KeyedProcessFunction,
  KeyedProcessContext, OnTimerContext, RuntimeContext, TimerContext, TaskInfo, WatermarkStrategy, KeyedStateAccess,
} from './runtime/api/functions.ts';
export { ConnectedStreams, KeyedConnectedStreams } from './runtime/api/connected-streams.ts';
export { IntervalJoin, IntervalJoined } from './runtime/api/interval-join.ts';
export type {
  CoProcessFunction, KeyedCoProcessFunction, ProcessJoinFunction, CoProcessContext, CoTimeContext, CoRuntimeContext, ProcessJoinContext,
} from './runtime/api/two-input-functions.ts';
// The Source API: your own sources (docs/sources.md).
export type { Source, SourceSplit, SourceSplitReader, SourcePoll, SplitEnumerationContext, SplitReaderContext } from './runtime/api/source-api.ts';
// Asynchronous I/O (docs/api.md).
export { AsyncDataStream, DEFAULT_ASYNC_CAPACITY } from './runtime/api/async-data-stream.ts';
export type { AsyncFunction, AsyncMapFunction, ResultFuture, AsyncRuntimeContext } from './runtime/api/async-functions.ts';
// Broadcast state (docs/api.md).
export { BroadcastStream, BroadcastConnectedStream, KeyedBroadcastConnectedStream, DEFAULT_BROADCAST_STATE_MAX_BYTES } from './runtime/api/broadcast-stream.ts';
export type {
  BroadcastProcessFunction, KeyedBroadcastProcessFunction, BroadcastState, ReadOnlyBroadcastState, BroadcastContext, BroadcastReadOnlyContext,
  KeyedBroadcastContext, KeyedBroadcastReadOnlyContext, KeyedBroadcastOnTimerContext, KeyedStateOf,
} from './runtime/api/broadcast-functions.ts';
// Side outputs and windows (docs/api.md).
export { OutputTag } from './runtime/api/output-tag.ts';
export type { ProcessFunction, ProcessContext, TimeQueries } from './runtime/api/process-function.ts';
export { WindowedStream, AllWindowedStream } from './runtime/api/windowed-stream.ts';
export { JoinedStreams, JoinWhere, JoinEqualTo, WithWindow, type JoinFunction, type FlatJoinFunction, type CoGroupFunction, type JoinKind } from './runtime/api/joined-streams.ts';
export type {
  WindowAggregateFunction, WindowAggregateFunction as AggregateFunction, ProcessWindowFunction, ProcessAllWindowFunction, ProcessWindowContext, WindowStateAccess,
} from './runtime/api/window-functions.ts';
export {
  TumblingEventTimeWindows, TumblingProcessingTimeWindows, SlidingEventTimeWindows, SlidingProcessingTimeWindows,
  EventTimeSessionWindows, ProcessingTimeSessionWindows, GlobalWindows, type SessionGapExtractor,
} from './runtime/operators/windows/assigners.ts';
export { EventTimeTrigger, ProcessingTimeTrigger, CountTrigger, ContinuousEventTimeTrigger, PurgingTrigger, NeverTrigger } from './runtime/operators/windows/triggers.ts';
export { TimeWindow, GlobalWindow, type Window } from './runtime/operators/windows/windows.ts';
export type { Trigger, TriggerResult, TriggerContext, OnMergeContext, WindowValue, WindowAssigner } from './runtime/operators/windows/window-operator-spec.ts';
export { JobClient, type JobResult, type JobMetrics, type JobStatus, type VertexMetrics, type JobRunningInfo } from './runtime/job/job-client.ts';
export type { BufferDebloatOptions, ExecuteOptionFields, ExecuteOptions } from './runtime/job/execute-options.ts';
// Observability (docs/observability.md): metrics as a prom-client registry, the HTTP endpoint's options.
export { createMetricsRegistry } from './runtime/metrics/prometheus-metrics.ts';
export type { SubtaskRates } from './runtime/metrics/metric-rates.ts';
export type { RestOptions } from './runtime/rest/rest-options.ts';
export type { SubtaskMetrics, ChannelMetrics, JobPlan, FailoverRecord } from './runtime/job/job-client.ts';
export type { LogLevel } from './actors/logger.ts';
export {
  twoPhaseCommitSink, type TwoPhaseCommitSink, type TwoPhaseCommitSinkDefinition, type TwoPhaseCommitState,
} from './runtime/operators/sinks/two-phase-commit-sink.ts';
export { asyncBatchSink, type AsyncBatchSinkOptions, type AsyncBatchSinkDefinition } from './runtime/operators/sinks/async-batch-sink.ts';
export { exactlyOnceFileSink, type ExactlyOnceFileSinkOptions, type FileTransaction } from './runtime/operators/sinks/exactly-once-file-sink.ts';
export { postgresSink, type PostgresSinkOptions, type PostgresConnectionOptions, type PostgresTransaction } from './runtime/connectors/postgres-sink.ts';
export { postgresLookup, type PostgresLookupOptions, type LookupRow } from './runtime/connectors/postgres-lookup.ts';
export type { LookupCacheOptions } from './runtime/connectors/lookup-cache.ts';
export { redisStreamsSource, type RedisStreamSplit } from './runtime/connectors/redis-streams-source.ts';
export { redisEntryTime, type RedisStreamsOptions, type RedisStreamEntry, type RedisConnectionOptions } from './runtime/connectors/redis-streams-options.ts';
export { RuntimeErrorCode } from './runtime/errors.ts';
export { WeirError } from './common/weir-error.ts';
export { ErrorCodes, ErrorCodes as errors, isRestartable, type ErrorCode, type ErrorCodeInfo, type ErrorArea } from './common/error-codes.ts';
export {
  ValueStateDescriptor, ListStateDescriptor, MapStateDescriptor, ReducingStateDescriptor, AggregatingStateDescriptor,
  type ValueState, type ListState, type MapState, type ReducingState, type AggregatingState, type StateTtlConfig,
} from './state/index.ts';
export type { CheckpointStats, CheckpointStatsSnapshot, SubtaskCheckpointStats, RestoreStats, CheckpointStatus } from './runtime/checkpoint/checkpoint-stats.ts';
// What execute()'s options and the client's checkpoint calls take and return, for an app's own types.
export type { CompletedCheckpoint } from './runtime/checkpoint/checkpoint-metadata.ts';
export type { CheckpointConfigInput } from './runtime/checkpoint/checkpoint-config.ts';
export type { RestartStrategyConfig } from './runtime/recovery/restart-strategy.ts';
