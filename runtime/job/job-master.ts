/**
 * Main-thread side of a running job (Flink's JobMaster, for one host): starts
 * the actor system, creates the channels of the execution plan, spawns one
 * actor per subtask, reads collect sinks, watches for failures and tears
 * everything down at the end, on failure or on cancel.
 *
 * Failure handling here is "fail the job": the first failure (a user function
 * throwing, a worker exiting) cancels every subtask and rejects `done` with the
 * cause. Restarts from checkpoints are layered on top by the recovery module.
 */
import os from 'node:os';
import { ActorSystem, ChannelReader, createChannel, Doorbell, type ActorFailure, type ActorRef, type ChannelSpec } from '../../actors/index.ts';
import type { JobDefinition } from '../api/job-definition.ts';
import type { JobGraph } from '../graph/job-graph.ts';
import { buildExecutionPlan } from '../graph/execution-plan.ts';
import { resolveExecuteOptions, type ExecuteOptions, type ResolvedExecuteOptions } from './execute-options.ts';
import { JobClient, type JobControl, type JobMetrics, type JobResult, type JobStatus, type VertexMetrics } from './job-client.ts';
import { CollectReader, type CollectSource } from './collect-reader.ts';
import type { StreamTaskArgs, OutputChannelArgs } from '../task/task-args.ts';
import type { TaskMetrics } from '../task/stream-task.ts';
import { WeirError, reviveError } from '../../common/weir-error.ts';
import { createLogger } from '../../actors/index.ts';
import { JobCheckpointing, checkpointRoot } from './job-checkpointing.ts';
import type { CompletedCheckpoint } from '../checkpoint/checkpoint-metadata.ts';
import type { CheckpointStatsSnapshot } from '../checkpoint/checkpoint-stats.ts';
import { RuntimeErrorCode } from '../errors.ts';

const TASK_MODULE = new URL('../task/stream-task-actor.ts', import.meta.url);

export function startJob<P>(def: JobDefinition<P>, options: ExecuteOptions<P> = {}): JobClient {
  const opts = resolveExecuteOptions(def.name, options);
  const graph = def.graph(opts.params, opts.parallelism, opts.maxParallelism); // throws before anything runs
  const master = new JobMaster(def, opts, graph);
  return new JobClient(master);
}

class JobMaster<P> implements JobControl {
  readonly jobId: string;
  readonly name: string;
  readonly done: Promise<JobResult>;
  private state: JobStatus = 'initializing';
  private system: ActorSystem | undefined;
  private refs: ActorRef[] = [];
  private channels: ChannelSpec[] = [];
  private collect: CollectReader | undefined;
  private collectReady: Promise<void>;
  private markCollectReady!: () => void;
  private readonly startedAt = Date.now();
  private endedAt: number | undefined;
  private failure: Error | undefined;
  private cancelRequested = false;
  private readonly finalMetrics = new Map<string, TaskMetrics>();
  private readonly sinkNameList: string[];
  private readonly logger;
  private checkpointing: JobCheckpointing | undefined;

  constructor(private readonly def: JobDefinition<P>, private readonly opts: ResolvedExecuteOptions<P>, private readonly graph: JobGraph) {
    this.jobId = opts.jobId;
    this.name = def.name;
    this.sinkNameList = [...new Set(graph.vertices.flatMap((v) => v.operators.flatMap((o) => (o.spec.kind === 'sink' && o.spec.sink.type === 'collect' ? [o.spec.sink.name] : []))))];
    this.collectReady = new Promise((r) => (this.markCollectReady = r));
    this.logger = createLogger({ job: opts.jobId });
    if (opts.checkpointing) {
      this.checkpointing = new JobCheckpointing({
        jobId: this.jobId,
        config: opts.checkpointing,
        graph,
        logger: this.logger,
        failJob: (error) => this.fail(error),
      });
    }
    this.done = this.run();
  }

  status(): JobStatus {
    return this.state;
  }

  sinkNames(): string[] {
    return this.sinkNameList;
  }

  private async run(): Promise<JobResult> {
    try {
      await this.deploy();
      if (this.cancelRequested) throw new WeirError(RuntimeErrorCode.JOB_CANCELLED, `job '${this.name}' was cancelled`);
      this.state = 'running';
      await this.waitForCompletion();
      this.state = 'finished';
    } catch (e) {
      if (this.cancelRequested && !this.failure) this.state = 'cancelled';
      else {
        this.state = 'failing';
        this.failure ??= e as Error;
      }
    } finally {
      await this.teardown();
      this.endedAt = Date.now();
    }
    if (this.state === 'failing') {
      this.state = 'failed';
      throw this.failure;
    }
    return {
      jobId: this.jobId,
      name: this.name,
      status: this.state === 'cancelled' ? 'cancelled' : 'finished',
      durationMs: this.endedAt - this.startedAt,
      metrics: await this.metrics(),
      ...(this.checkpointing ? { checkpoints: this.checkpointing.coordinator.stats.toJSON() } : {}),
      collected: Object.fromEntries(this.sinkNameList.map((n) => [n, this.collect?.collected(n) ?? []])),
    };
  }

  private async deploy(): Promise<void> {
    const { opts, graph } = this;
    const subtaskCount = graph.vertices.reduce((n, v) => n + v.parallelism, 0);
    const threads = opts.threads ?? Math.max(1, Math.min(os.availableParallelism(), subtaskCount));
    this.system = await ActorSystem.start({ threads, name: `weir-${this.jobId}`, logBindings: { job: this.jobId } });
    this.system.onFailure((f) => this.onFailure(f));
    this.system.onMessage((actorId, msg) => this.onMessage(actorId, msg));
    const plan = buildExecutionPlan(graph, this.system.threads);

    const bells = plan.subtasks.map(() => Doorbell.create());
    this.channels = plan.channels.map(() => createChannel({ capacityBytes: opts.bufferBytes }));
    const mainBell = Doorbell.create();
    const collectSources: CollectSource[] = [];
    const argsList: StreamTaskArgs[] = plan.subtasks.map((st, i) => {
      const vertex = graph.vertices[st.vertex]!;
      const collectNode = vertex.operators.find((o) => o.spec.kind === 'sink' && o.spec.sink.type === 'collect');
      let collect: OutputChannelArgs | undefined;
      if (collectNode && collectNode.spec.kind === 'sink' && collectNode.spec.sink.type === 'collect') {
        const spec = createChannel({ capacityBytes: opts.bufferBytes });
        this.channels.push(spec);
        collect = { channel: spec, doorbell: mainBell.buffer };
        collectSources.push({ name: collectNode.spec.sink.name, reader: new ChannelReader(spec) });
      }
      return {
        jobId: this.jobId,
        jobName: this.def.name,
        moduleUrl: this.def.moduleUrl,
        attempt: 0,
        params: opts.params,
        parallelism: opts.parallelism,
        maxParallelism: opts.maxParallelism,
        fingerprint: graph.fingerprint,
        vertex: st.vertex,
        subtask: st.subtask,
        inputs: st.inputChannels.map((c) => this.channels[c]!),
        doorbell: bells[i]!.buffer,
        outputs: st.outputChannels.map((chs) => chs.map((c) => ({ channel: this.channels[c]!, doorbell: bells[plan.subtasks.indexOf(plan.subtaskOf(plan.channels[c]!.toVertex, plan.channels[c]!.toSubtask))]!.buffer }))),
        ...(collect ? { collect } : {}),
        state: { backend: opts.stateBackend, directory: opts.stateDirectory },
        batching: opts.batching,
        ...(opts.checkpointing ? { checkpointing: { mode: opts.checkpointing.mode, root: checkpointRoot(opts.checkpointing, this.jobId), incremental: opts.checkpointing.incremental } } : {}),
      };
    });
    this.collect = new CollectReader(collectSources, mainBell, opts.retainCollected);
    this.markCollectReady();
    // Spawn all subtasks; a failure to create one fails the job.
    this.refs = await Promise.all(plan.subtasks.map((st, i) => this.system!.spawn({
      id: st.key,
      module: TASK_MODULE,
      args: argsList[i]!,
      host: st.host,
      logBindings: { vertex: graph.vertices[st.vertex]!.id, subtask: st.subtask, attempt: 0 },
    })));
    for (const [i, r] of this.refs.entries()) {
      const st = plan.subtasks[i]!;
      r.done.then(() => this.checkpointing?.subtaskDone({ vertexId: graph.vertices[st.vertex]!.id, subtask: st.subtask }), () => {});
    }
    this.checkpointing?.attach(this.refs);
  }

  private async waitForCompletion(): Promise<void> {
    const failed = new Promise<never>((_, reject) => (this.rejectRunning = reject));
    if (this.failure) throw this.failure;
    await Promise.race([Promise.all([...this.refs.map((r) => r.done), this.collect!.done]), failed]);
    if (this.failure) throw this.failure;
  }

  private rejectRunning: ((e: Error) => void) | undefined;

  private onFailure(f: ActorFailure): void {
    const cause = reviveError(f.cause);
    this.fail(f.kind === 'actor-error'
      ? cause
      : new WeirError(RuntimeErrorCode.WORKER_LOST, `worker ${f.host} running subtask ${f.actorId} was lost (${f.kind}): ${cause.message}`, { subtask: f.actorId, host: f.host, kind: f.kind }, { cause }));
  }

  private fail(error: Error): void {
    if (this.state === 'finished' || this.state === 'cancelled' || this.state === 'failed') return;
    if (this.failure || this.cancelRequested) return;
    this.failure = error;
    this.rejectRunning?.(this.failure);
  }

  private onMessage(actorId: string, msg: unknown): void {
    if (this.checkpointing?.onMessage(actorId, msg)) return;
    const m = msg as { type?: string; metrics?: TaskMetrics };
    if (m?.type === 'metrics' && m.metrics) this.finalMetrics.set(actorId, m.metrics);
  }

  async cancel(): Promise<void> {
    if (this.state === 'finished' || this.state === 'failed' || this.state === 'cancelled') return;
    this.cancelRequested = true;
    this.state = 'cancelling';
    this.rejectRunning?.(new WeirError(RuntimeErrorCode.JOB_CANCELLED, `job '${this.name}' was cancelled`));
    await this.done.catch(() => {});
  }

  /** Stop every subtask: wake everything blocked on a ring, ask actors to stop, shut the pool down. */
  private async teardown(): Promise<void> {
    const abnormal = this.state !== 'finished';
    if (this.checkpointing) {
      this.checkpointing.stop(this.state === 'finished' ? 'finished' : this.cancelRequested && !this.failure ? 'cancelled' : 'failed');
      await this.checkpointing.whenIdle().catch(() => {});
    }
    if (abnormal) {
      for (const ch of this.channels) closeChannel(ch);
      await Promise.allSettled(this.refs.map((r) => r.stop('job ' + this.state)));
    }
    await Promise.allSettled(this.refs.map((r) => this.collectFinalMetrics(r)));
    this.collect?.stop();
    await this.system?.shutdown();
    this.system = undefined;
  }

  private async collectFinalMetrics(_r: ActorRef): Promise<void> {
    // Final metrics arrive as messages before run() resolves (see stream-task-actor).
  }

  async metrics(): Promise<JobMetrics> {
    const live = new Map(this.finalMetrics);
    if (this.system && this.state === 'running') {
      const results = await Promise.allSettled(this.refs.map(async (r) => [r.id, await r.call<TaskMetrics>('metrics')] as const));
      for (const r of results) if (r.status === 'fulfilled') live.set(r.value[0], r.value[1]);
    }
    const vertices: VertexMetrics[] = this.graph.vertices.map((v) => {
      const subtasks: TaskMetrics[] = [];
      for (let s = 0; s < v.parallelism; s++) {
        subtasks.push(live.get(`${v.id}#${s}`) ?? { vertex: v.index, subtask: s, recordsIn: 0, recordsOut: 0, bytesOut: 0, framesIn: 0, busyMs: 0, finished: false });
      }
      return {
        id: v.id,
        name: v.name,
        parallelism: v.parallelism,
        recordsIn: subtasks.reduce((n, t) => n + t.recordsIn, 0),
        recordsOut: subtasks.reduce((n, t) => n + t.recordsOut, 0),
        bytesOut: subtasks.reduce((n, t) => n + t.bytesOut, 0),
        subtasks,
      };
    });
    return { jobId: this.jobId, status: this.state, durationMs: (this.endedAt ?? Date.now()) - this.startedAt, vertices };
  }

  collected(name: string): unknown[] {
    return this.collect?.collected(name) ?? [];
  }

  triggerCheckpoint(): Promise<CompletedCheckpoint> {
    return this.requireCheckpointing().trigger('checkpoint');
  }

  triggerSavepoint(directory: string): Promise<CompletedCheckpoint> {
    return this.requireCheckpointing().savepoint(directory);
  }

  abortCheckpoint(checkpointId: number): boolean {
    return this.requireCheckpointing().abort(checkpointId);
  }

  checkpointStats(): CheckpointStatsSnapshot | undefined {
    return this.checkpointing?.coordinator.stats.toJSON();
  }

  private requireCheckpointing(): JobCheckpointing {
    if (!this.checkpointing) throw new WeirError(RuntimeErrorCode.INVALID_ARGUMENT, `job '${this.name}' runs without checkpointing: pass the 'checkpointing' option to execute()`);
    if (this.state !== 'running') throw new WeirError(RuntimeErrorCode.INVALID_ARGUMENT, `job '${this.name}' is ${this.state}: checkpoints can only be triggered while it runs`);
    return this.checkpointing;
  }

  subscribe(name: string, listener: (records: unknown[]) => void): () => void {
    let unsub: (() => void) | undefined;
    let cancelled = false;
    void this.collectReady.then(() => {
      if (!cancelled) unsub = this.collect!.subscribe(name, listener);
    });
    return () => {
      cancelled = true;
      unsub?.();
    };
  }

  pauseResults(): void { this.collect?.pauseReading(); }
  resumeResults(): void { this.collect?.resumeReading(); }
  finishedReading(): boolean { return this.collect?.finished ?? false; }
  async readingDone(): Promise<void> {
    await this.done.catch(() => {});
  }
}

function closeChannel(spec: ChannelSpec): void {
  try {
    new ChannelReader(spec).close();
  } catch {
    // best effort: a channel that cannot be closed has no waiters to wake
  }
}
