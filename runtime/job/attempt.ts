/**
 * One execution attempt of a job: the channels, the subtask actors and the
 * collect reader of that attempt. A failover tears the attempt down (closing
 * every channel wakes every blocked reader and writer, then the actors are
 * stopped) and the job master deploys a new one from the latest checkpoint.
 */
import { ChannelReader, createChannel, Doorbell, ringUsableBytes, ringUsedBytes, type ActorRef, type ActorSystem, type ChannelSpec } from '../../actors/index.ts';
import type { JobGraph } from '../graph/job-graph.ts';
import { buildExecutionPlan } from '../graph/execution-plan.ts';
import type { ResolvedExecuteOptions } from './execute-options.ts';
import { CollectReader, type CollectedRecords, type CollectSource } from './collect-reader.ts';
import type { StreamTaskArgs, OutputChannelArgs, TaskCheckpointingArgs } from '../task/task-args.ts';
import type { InitialSplits } from './source-splits.ts';
import type { PushChannelArgs } from '../operators/sources/push-source.ts';
import type { RestorePlan } from '../recovery/restore-planner.ts';
import { asWorkerLost } from '../errors.ts';
import { callTask } from '../task/task-protocol.ts';

/** The subtask actor's module: `.ts` when Weir runs from its sources, `.js` in the built package. */
// From the sources: runtime/task/stream-task-actor.ts; from the build: dist/stream-task-actor.js,
// beside the bundle chunk this code lives in (scripts/build.mjs emits a flat dist/).
const TASK_MODULE = new URL(import.meta.url.endsWith('.ts') ? '../task/stream-task-actor.ts' : './stream-task-actor.js', import.meta.url);

export interface AttemptSpec {
  readonly jobId: string;
  readonly jobName: string;
  readonly moduleUrl: string;
  readonly attempt: number;
  readonly graph: JobGraph;
  readonly options: ResolvedExecuteOptions<unknown>;
  readonly checkpointing: TaskCheckpointingArgs | undefined;
  readonly restore: RestorePlan | undefined;
  readonly collected: CollectedRecords;
  /** With checkpointing but no interval: what the collect reader calls when it holds many records (on-demand-checkpoints.ts). */
  readonly collectNeedsCheckpoint?: () => void;
  /** User sources' splits per vertex and subtask (job/source-splits.ts). */
  readonly initialSplits: InitialSplits;
}

/** One data channel's occupancy (vertex indices, subtask numbers). */
export interface ChannelUsage {
  readonly fromVertex: number;
  readonly fromSubtask: number;
  readonly toVertex: number;
  readonly toSubtask: number;
  readonly usedBytes: number;
  readonly capacityBytes: number;
  /** Bytes the producer may keep on the ring: the capacity, or its consumer's debloated limit. */
  readonly debloatedBytes: number;
}

export class Attempt {
  refs: ActorRef[] = [];
  /** Subtask keys `${vertexId}#${subtask}`, in spawn order. */
  readonly keys: string[] = [];
  /** Actor ids: the key plus the attempt, so a straggler of a torn-down attempt never clashes. */
  readonly actorIds: string[] = [];
  private channels: ChannelSpec[] = [];
  /** The push sources' channels of this attempt (the job master attaches its push feeders to them). */
  readonly pushChannels: Array<PushChannelArgs & { readonly name: string; readonly key: string; readonly uid: string }> = [];
  collect: CollectReader | undefined;
  /** The data channels between subtasks (plan order, same index as `channels`), for metrics. */
  private channelPlans: ReadonlyArray<{ fromVertex: number; fromSubtask: number; toVertex: number; toSubtask: number }> = [];

  /** Settles when every spawn of `deploy` settled and `refs` holds the spawned actors (resolved before deploy starts). */
  private spawned: Promise<unknown> = Promise.resolve();

  constructor(readonly spec: AttemptSpec) {}

  /**
   * Occupancy of every data channel between subtasks right now, read from the rings' headers
   * (the analogue of Flink's buffer pool usage: bytes queued / ring capacity). Costs the
   * subtasks nothing.
   */
  channelUsage(): ChannelUsage[] {
    return this.channelPlans.map((c, i) => {
      const spec = this.channels[i]!;
      return { ...c, usedBytes: ringUsedBytes(spec.data), capacityBytes: spec.capacityBytes, debloatedBytes: ringUsableBytes(spec.data) };
    });
  }

  /** Create channels and spawn one actor per subtask; rejects if any subtask fails to start. */
  async deploy(system: ActorSystem): Promise<void> {
    const { graph, options: opts, attempt } = this.spec;
    const plan = buildExecutionPlan(graph, system.threads);
    const bells = plan.subtasks.map(() => Doorbell.create());
    const bellOf = (vertex: number, subtask: number) => bells[plan.subtasks.indexOf(plan.subtaskOf(vertex, subtask))]!.buffer;
    this.channels = plan.channels.map(() => createChannel({ capacityBytes: opts.bufferBytes }));
    this.channelPlans = plan.channels.map((c) => ({ fromVertex: c.fromVertex, fromSubtask: c.fromSubtask, toVertex: c.toVertex, toSubtask: c.toSubtask }));
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
      const key = `${vertex.id}#${st.subtask}`;
      const head = vertex.operators[0]!;
      let push: PushChannelArgs | undefined;
      if (head.spec.kind === 'source' && head.spec.source.type === 'push') {
        // Records the app pushes on the main thread reach the source on a channel of their own (job/push-sources.ts).
        push = { channel: createChannel({ capacityBytes: opts.bufferBytes }), doorbell: Doorbell.create().buffer };
        this.channels.push(push.channel);
        this.pushChannels.push({ name: head.spec.source.name, key, uid: head.uid, ...push });
      }
      this.keys.push(key);
      this.actorIds.push(`${key}@${attempt}`);
      const restore = this.spec.restore?.subtasks.get(key);
      return {
        jobId: this.spec.jobId,
        jobName: this.spec.jobName,
        moduleUrl: this.spec.moduleUrl,
        attempt,
        params: opts.params,
        parallelism: opts.parallelism,
        maxParallelism: opts.maxParallelism,
        fingerprint: graph.fingerprint,
        vertex: st.vertex,
        subtask: st.subtask,
        inputs: st.inputChannels.map((c) => this.channels[c]!),
        inputEdges: st.inputChannels.map((c) => vertex.inputs.findIndex((e) => e.index === plan.channels[c]!.edge)),
        doorbell: bells[i]!.buffer,
        outputs: st.outputChannels.map((chs) => chs.map((c) => ({ channel: this.channels[c]!, doorbell: bellOf(plan.channels[c]!.toVertex, plan.channels[c]!.toSubtask) }))),
        ...(collect ? { collect } : {}),
        state: { backend: opts.stateBackend, directory: opts.stateDirectory },
        batching: opts.batching,
        ...(opts.bufferDebloat && st.inputChannels.length > 0 ? { bufferDebloat: opts.bufferDebloat } : {}),
        ...(this.spec.checkpointing ? { checkpointing: this.spec.checkpointing } : {}),
        ...(restore ? { restore } : {}),
        ...(this.spec.initialSplits.has(st.vertex) ? { initialSplits: this.spec.initialSplits.get(st.vertex)![st.subtask]! } : {}),
        ...(push ? { push } : {}),
        ...(vertex.isSource ? { awaitStart: true } : {}),
      };
    });
    this.collect = new CollectReader(collectSources, mainBell, this.spec.collected, this.spec.checkpointing !== undefined, this.spec.collectNeedsCheckpoint);
    const spawned = Promise.allSettled(plan.subtasks.map((st, i) => system.spawn({
      id: this.actorIds[i]!,
      module: TASK_MODULE,
      args: argsList[i]!,
      host: st.host,
      logBindings: { vertex: graph.vertices[st.vertex]!.id, subtask: st.subtask, attempt },
    }))).then((results) => {
      this.refs = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      return results;
    });
    this.spawned = spawned;
    const results = await spawned;
    const failed = results.findIndex((r) => r.status === 'rejected');
    if (failed >= 0) throw asWorkerLost(this.actorIds[failed]!, (results[failed] as PromiseRejectedResult).reason); // a worker died while deploying
    // Sources start only now: deploying a subtask on a thread where a source already ran took
    // ~2× as long (the click job at parallelism 2: its count subtasks ready at ~180 ms instead of
    // ~105 ms), and what the source read meanwhile only filled the channels to them.
    const sources = plan.subtasks.flatMap((st, i) => (graph.vertices[st.vertex]!.isSource ? [i] : []));
    const started = await Promise.allSettled(sources.map((i) => callTask(this.refs[i]!, 'startReading')));
    const notStarted = started.findIndex((r) => r.status === 'rejected');
    if (notStarted >= 0) throw asWorkerLost(this.actorIds[sources[notStarted]!]!, (started[notStarted] as PromiseRejectedResult).reason);
  }

  /** The subtask key of one of this attempt's actors, or undefined for a foreign actor. */
  keyOf(actorId: string): string | undefined {
    const i = this.actorIds.indexOf(actorId);
    return i < 0 ? undefined : this.keys[i];
  }

  /** [subtask key, actor] pairs of the deployed subtasks. */
  entries(): Array<[string, ActorRef]> {
    return this.refs.map((r) => [this.keyOf(r.id)!, r]);
  }

  /** Resolves when every subtask finished and every collect channel ended. */
  completion(): Promise<unknown> {
    return Promise.all([...this.refs.map((r) => r.done), this.collect!.done]);
  }

  /** Stop everything of this attempt: wake every blocked reader/writer, ask every actor to stop, wait (bounded). */
  async teardown(reason: string): Promise<void> {
    this.collect?.stop(); // first: it reads what the collect channels still hold (records of completed checkpoints)
    for (const ch of this.channels) {
      try {
        new ChannelReader(ch).close();
      } catch {
        // best effort: a channel that cannot be closed has no waiters to wake
      }
    }
    // A failure can end the attempt while it is still deploying: wait until every spawn settled, so
    // that the actors whose spawn completes after this point are stopped too (else they would run on,
    // and their `done` would never come).
    await this.spawned;
    const refs = this.refs;
    await Promise.allSettled(refs.map((r) => r.stop(reason)));
    await Promise.allSettled(refs.map((r) => r.done));
  }
}
