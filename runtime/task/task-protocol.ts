/**
 * The control-plane protocol between a subtask actor (a worker) and the job master (the main
 * thread), typed once for both sides:
 *   - {@link TaskToMaster}: every message a subtask sends up (`ctx.send`), through {@link sendToMaster};
 *     the master narrows what arrives with {@link parseTaskMessage} (it crossed a thread boundary);
 *   - {@link StreamTaskApi}: the subtask actor's methods (runtime/task/stream-task-actor.ts
 *     `satisfies` it); the master calls them through {@link callTask}, checked at compile time.
 * Only types and tiny pure helpers: the job side imports this module, and it must load nothing
 * of a subtask (every other import here is type-only).
 */
import type { ActorContext, ActorRef } from '../../actors/in-worker.ts';
import type { SubtaskKey } from '../checkpoint/checkpoint-metadata.ts';
import type { SubtaskAck } from '../checkpoint/pending-checkpoint.ts';
import type { CheckpointBarrier } from '../io/stream-elements.ts';
import type { TaskMetrics } from './task-metrics.ts';

// ---- subtask → master ----

/** A snapshot completed: its handles, files and metrics. */
export interface AckMessage { type: 'ack'; subtask: SubtaskKey; checkpointId: number; ack: SubtaskAck }
/** A checkpoint cannot complete on this subtask (reason: a `CheckpointFailureReason`). */
export interface DeclineMessage { type: 'decline'; subtask: SubtaskKey; checkpointId: number; reason: string; message?: string }
/** The subtask ended its input and finished its operators (sent before run() resolves). */
export interface SubtaskFinishedMessage { type: 'subtask-finished'; subtask: SubtaskKey }
/** With checkpointing: a source reached its end and waits for `endInput` after the final checkpoint. */
export interface SourceFinishedMessage { type: 'source-finished'; subtask: SubtaskKey }
/** The subtask replayed the in-flight data of the checkpoint it restored (sent only when it restored some). */
export interface InFlightReplayedMessage { type: 'in-flight-replayed'; subtask: SubtaskKey }
/** The subtask's last metrics, sent as it exits (whatever the outcome). */
export interface MetricsMessage { type: 'metrics'; metrics: TaskMetrics }

/** Every message a subtask sends to the job master. */
export type TaskToMaster = AckMessage | DeclineMessage | SubtaskFinishedMessage | SourceFinishedMessage | InFlightReplayedMessage | MetricsMessage;

/** What the subtask checkpointer sends; it adds its own `subtask`. */
export type CheckpointMessage = Omit<AckMessage, 'subtask'> | Omit<DeclineMessage, 'subtask'>;

/** The only way a subtask sends to the master: typed. */
export function sendToMaster(ctx: Pick<ActorContext, 'send'>, message: TaskToMaster): void {
  ctx.send(message);
}

const isKey = (v: unknown): v is SubtaskKey =>
  typeof v === 'object' && v !== null && typeof (v as SubtaskKey).vertexId === 'string' && typeof (v as SubtaskKey).subtask === 'number';

/**
 * Narrows a message received from a subtask: a known `type` with the fields it requires, or
 * undefined (nothing a subtask of this version sends).
 */
export function parseTaskMessage(msg: unknown): TaskToMaster | undefined {
  if (typeof msg !== 'object' || msg === null) return undefined;
  const m = msg as Partial<Record<string, unknown>>;
  switch (m.type) {
    case 'ack':
      return isKey(m.subtask) && typeof m.checkpointId === 'number' && typeof m.ack === 'object' && m.ack !== null ? (msg as AckMessage) : undefined;
    case 'decline':
      return isKey(m.subtask) && typeof m.checkpointId === 'number' && typeof m.reason === 'string' && (m.message === undefined || typeof m.message === 'string') ? (msg as DeclineMessage) : undefined;
    case 'subtask-finished':
    case 'source-finished':
    case 'in-flight-replayed':
      return isKey(m.subtask) ? (msg as SubtaskFinishedMessage | SourceFinishedMessage | InFlightReplayedMessage) : undefined;
    case 'metrics':
      return typeof m.metrics === 'object' && m.metrics !== null ? (msg as MetricsMessage) : undefined;
    default:
      return undefined;
  }
}

// ---- master → subtask ----

/** The subtask actor's behavior (runtime/task/stream-task-actor.ts). */
export interface StreamTaskApi {
  /** Driven by the actor host, not callable: the subtask's main loop. */
  run(): Promise<void>;
  /** Driven by `ActorRef.stop()`, not callable. */
  stop(): void;
  metrics(): TaskMetrics;
  /** Coordinator → source subtask: inject barrier n (resolves once the task loop ran it). */
  triggerCheckpoint(barrier: CheckpointBarrier): Promise<void>;
  notifyCheckpointComplete(checkpointId: number): Promise<void>;
  notifyCheckpointAborted(checkpointId: number, reason: string): Promise<void>;
  /** The next savepoint barrier writes into this directory. */
  prepareSavepoint(directory: string): Promise<void>;
  /** Every subtask of the attempt is deployed: a source started with `awaitStart` starts reading. */
  startReading(): Promise<void>;
  /** After the final checkpoint: sources end their partitions. */
  endInput(): Promise<void>;
}

/** The methods of {@link StreamTaskApi} the master may call over the control plane. */
export type StreamTaskCall = Exclude<keyof StreamTaskApi, 'run' | 'stop'>;

/** Calls a subtask actor's method, checked against {@link StreamTaskApi}; resolves with its (cloned) result. */
export function callTask<K extends StreamTaskCall>(ref: ActorRef, method: K, ...args: Parameters<StreamTaskApi[K]>): Promise<Awaited<ReturnType<StreamTaskApi[K]>>> {
  return ref.call<Awaited<ReturnType<StreamTaskApi[K]>>>(method, ...args);
}
