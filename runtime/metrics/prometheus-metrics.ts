/**
 * A job's metrics as a prom-client registry (Prometheus text for `GET /metrics`, and for an
 * embedding app to merge into its own). Names follow Flink's metrics where Flink has one
 * (`numRecordsIn`, `busyTimeMsPerSecond`, `numberOfCompletedCheckpoints` …), prefixed
 * `weir_task_` (per subtask), `weir_channel_` (per channel) or `weir_job_` (per job), labelled
 * `job_id`, `job_name` and, per subtask, `vertex` (the vertex id: its head operator's uid),
 * `task_name` and `subtask`. docs/observability.md lists them all.
 *
 * Values come from the job's sampler (metrics-sampler.ts, once a second) and its checkpoint
 * statistics; nothing is computed per record. Several jobs may share one registry (pass them
 * all, or the same `registry` again): the series are told apart by `job_id`. An ended job's
 * series stay with their final values.
 */
import { createRequire } from 'node:module';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { JobClient } from '../job/job-client.ts';
import { WeirError } from '../../common/weir-error.ts';
import type { CheckpointStats } from '../checkpoint/checkpoint-stats.ts';
import { samplerFor, type MetricsSampler } from './metrics-sampler.ts';
import { ZERO_RATES, type SubtaskRates } from './metric-rates.ts';

type PromClient = typeof import('prom-client');
let promClient: PromClient | undefined;
/**
 * prom-client, loaded on first use: a job module imports Weir's index in every worker, and
 * loading prom-client there cost ~25 ms of each worker's start-up (issue #18 profile) in jobs
 * that never export a metric.
 */
function prom(): PromClient {
  return (promClient ??= createRequire(import.meta.url)('prom-client') as PromClient);
}

const JOB = ['job_id', 'job_name'] as const;
const TASK = ['job_id', 'job_name', 'vertex', 'task_name', 'subtask'] as const;
const CHANNEL = ['job_id', 'job_name', 'from_vertex', 'from_subtask', 'to_vertex', 'to_subtask'] as const;

type JobLabels = Record<(typeof JOB)[number], string>;
type TaskLabels = Record<(typeof TASK)[number], string>;

interface Observed {
  readonly client: JobClient;
  readonly sampler: MetricsSampler;
  readonly labels: JobLabels;
}

/** The metric families of one registry and the jobs they report. */
class WeirCollectors {
  readonly jobs = new Map<JobClient, Observed>();
  readonly checkpointDuration: Histogram<(typeof JOB)[number]>;
  readonly checkpointStartDelay: Histogram<(typeof JOB)[number]>;
  readonly checkpointAlignment: Histogram<(typeof JOB)[number]>;

  constructor(readonly registry: Registry) {
    const { Counter, Gauge, Histogram } = prom();
    const registers = [registry];
    const buckets = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 300_000];
    const task = <N extends string>(name: N, help: string, value: (o: SubtaskView) => number | undefined, kind: 'gauge' | 'counter' = 'gauge') => {
      const collect = async function (this: Gauge<string> | Counter<string>) {
        await self.ready();
        this.reset();
        for (const s of views(self)) {
          const v = value(s);
          if (v === undefined || !Number.isFinite(v)) continue;
          if (this instanceof Counter) this.inc(s.labels, v);
          else (this as Gauge<string>).set(s.labels, v);
        }
      };
      if (kind === 'counter') new Counter({ name: `weir_task_${name}`, help, labelNames: TASK, registers, collect });
      else new Gauge({ name: `weir_task_${name}`, help, labelNames: TASK, registers, collect });
    };
    const self = this;
    task('numRecordsIn', 'Records this subtask received (Flink numRecordsIn).', (s) => s.m.recordsIn, 'counter');
    task('numRecordsOut', 'Records this subtask emitted (Flink numRecordsOut).', (s) => s.m.recordsOut, 'counter');
    task('numBytesOut', 'Encoded bytes this subtask emitted on its channels (Flink numBytesOut).', (s) => s.m.bytesOut, 'counter');
    task('numRecordsInPerSecond', 'Records received per second over the last ~5 s.', (s) => s.r.numRecordsInPerSecond);
    task('numRecordsOutPerSecond', 'Records emitted per second over the last ~5 s.', (s) => s.r.numRecordsOutPerSecond);
    task('busyTimeMsPerSecond', 'ms per second the subtask worked (not idle, not back-pressured), last ~5 s.', (s) => s.r.busyTimeMsPerSecond);
    task('idleTimeMsPerSecond', 'ms per second the subtask waited for input, last ~5 s.', (s) => s.r.idleTimeMsPerSecond);
    task('backPressuredTimeMsPerSecond', 'ms per second the subtask waited for space on a full output ring, last ~5 s.', (s) => s.r.backPressuredTimeMsPerSecond);
    task('accumulatedBusyTime', 'ms the subtask worked since its attempt started.', (s) => s.m.busyMs, 'counter');
    task('accumulatedIdleTime', 'ms the subtask waited for input since its attempt started.', (s) => s.m.idleMs, 'counter');
    task('accumulatedBackPressuredTime', 'ms the subtask was back-pressured since its attempt started.', (s) => s.m.backPressuredMs, 'counter');
    task('inPoolUsage', 'Occupancy of the subtask\'s input rings: bytes queued / capacity over all its input channels (0..1).', (s) => s.m.inPoolUsage);
    task('outPoolUsage', 'Occupancy of the subtask\'s output rings: bytes queued / capacity over all its output channels (0..1).', (s) => s.m.outPoolUsage);
    task('currentInputWatermark', 'The subtask\'s current watermark, epoch ms (absent before the first).', (s) => s.m.inputWatermark);
    task('currentOutputWatermark', 'The last watermark the subtask emitted, epoch ms (absent before the first).', (s) => s.m.outputWatermark);
    task('watermarkLag', 'Wall-clock time minus the current input watermark, ms (absent before the first watermark).', (s) => (Number.isFinite(s.m.inputWatermark) ? s.at - s.m.inputWatermark : undefined));
    task('debloatedBufferSize', 'Buffer debloating: the per-channel limit of in-flight bytes this subtask set on its inputs (absent without bufferDebloat).', (s) => s.m.debloatedBufferBytes);
    task('estimatedTimeToConsumeBuffersMs', 'Buffer debloating: bytes queued on the subtask\'s input rings / its measured throughput, ms (absent without bufferDebloat).', (s) => s.m.estimatedTimeToConsumeBuffersMs);
    task('keyedStateSizeBytes', 'Approximate keyed state size (LMDB: pages in use; heap: an estimate); absent without keyed state.', (s) => s.m.keyedStateBytes ?? undefined);

    new Gauge({
      name: 'weir_channel_ringUsage', help: 'Bytes queued on a data channel\'s ring / its capacity (0..1).', labelNames: CHANNEL, registers,
      async collect() {
        await self.ready();
        this.reset();
        for (const o of self.jobs.values()) {
          for (const c of o.sampler.latest()?.metrics.channels ?? []) {
            this.set({ ...o.labels, from_vertex: c.from.vertex, from_subtask: String(c.from.subtask), to_vertex: c.to.vertex, to_subtask: String(c.to.subtask) }, c.capacityBytes > 0 ? c.usedBytes / c.capacityBytes : 0);
          }
        }
      },
    });

    new Gauge({
      name: 'weir_channel_debloatedBufferBytes', help: 'Bytes the producer may keep on a data channel\'s ring: its capacity, or the consumer\'s buffer-debloating limit.', labelNames: CHANNEL, registers,
      async collect() {
        await self.ready();
        this.reset();
        for (const o of self.jobs.values()) {
          for (const c of o.sampler.latest()?.metrics.channels ?? []) {
            this.set({ ...o.labels, from_vertex: c.from.vertex, from_subtask: String(c.from.subtask), to_vertex: c.to.vertex, to_subtask: String(c.to.subtask) }, c.debloatedBufferBytes);
          }
        }
      },
    });

    const job = (name: string, help: string, value: (o: Observed) => number | undefined) => new Gauge({
      name: `weir_job_${name}`, help, labelNames: JOB, registers,
      collect() {
        this.reset();
        for (const o of self.jobs.values()) {
          const v = value(o);
          if (v !== undefined && Number.isFinite(v)) this.set(o.labels, v);
        }
      },
    });
    const cp = (o: Observed) => o.client.checkpointStats();
    const last = (o: Observed) => cp(o)?.latest.completed ?? undefined;
    job('uptime', 'ms since the job was submitted (until it ended).', (o) => o.sampler.latest()?.metrics.durationMs ?? Date.now() - o.client.startTime);
    job('numRestarts', 'Failovers so far (Flink numRestarts).', (o) => o.client.failovers.length);
    job('running', '1 while the job runs, else 0.', (o) => (o.client.status === 'running' ? 1 : 0));
    job('totalNumberOfCheckpoints', 'Checkpoints and savepoints triggered.', (o) => cp(o)?.counts.triggered);
    job('numberOfCompletedCheckpoints', 'Checkpoints and savepoints completed.', (o) => cp(o)?.counts.completed);
    job('numberOfFailedCheckpoints', 'Checkpoints and savepoints failed.', (o) => cp(o)?.counts.failed);
    job('numberOfInProgressCheckpoints', 'Checkpoints and savepoints in progress.', (o) => cp(o)?.counts.inProgress);
    job('lastCompletedCheckpointId', 'Id of the latest completed checkpoint.', (o) => last(o)?.checkpointId);
    job('lastCheckpointDuration', 'End-to-end duration of the latest completed checkpoint, ms.', (o) => last(o)?.durationMs);
    job('lastCheckpointSize', 'Bytes the latest completed checkpoint wrote (the delta when incremental).', (o) => last(o)?.checkpointedBytes);
    job('lastCheckpointFullSize', 'Full state size of the latest completed checkpoint, bytes.', (o) => last(o)?.stateBytes);
    job('lastCheckpointPersistedData', 'In-flight bytes the latest completed checkpoint persisted (unaligned).', (o) => last(o)?.persistedInFlightBytes);
    job('lastCheckpointAlignmentTime', 'Largest alignment time of any subtask in the latest completed checkpoint, ms.', (o) => last(o)?.alignmentMs);
    job('lastCheckpointStartDelay', 'Largest start delay (trigger to first barrier) of any subtask in the latest completed checkpoint, ms.', (o) => last(o)?.startDelayMs);
    job('lastCheckpointRestoreTimestamp', 'Epoch ms of the latest restore from a checkpoint or savepoint.', (o) => cp(o)?.latest.restore?.restoreTimestamp);

    const histogram = (name: string, help: string) => new Histogram({ name: `weir_job_${name}`, help, labelNames: JOB, buckets, registers });
    this.checkpointDuration = histogram('checkpointDurationMs', 'End-to-end duration of completed checkpoints, ms.');
    this.checkpointStartDelay = histogram('checkpointStartDelayMs', 'Largest start delay of any subtask per completed checkpoint, ms.');
    this.checkpointAlignment = histogram('checkpointAlignmentTimeMs', 'Largest alignment time of any subtask per completed checkpoint, ms.');
  }

  /** Every job has been sampled at least once (a scrape right after registration sees its values). */
  async ready(): Promise<void> {
    await Promise.all([...this.jobs.values()].map((o) => (o.sampler.latest() ? undefined : o.sampler.sample().catch(() => {}))));
  }

  add(client: JobClient): void {
    if (this.jobs.has(client)) return;
    // Labels read the id at each scrape: a restore continues the restored run's job id once resolved,
    // after registration (the job-level series carried the discarded provisional id).
    const o: Observed = { client, sampler: samplerFor(client), get labels() { return { job_id: client.jobId, job_name: client.name }; } };
    this.jobs.set(client, o);
    try {
      const off = client.onCheckpoint((s: CheckpointStats) => {
        if (s.status !== 'completed') return;
        const labels = { job_id: client.jobId, job_name: client.name };
        this.checkpointDuration.observe(labels, s.durationMs);
        this.checkpointStartDelay.observe(labels, s.startDelayMs);
        this.checkpointAlignment.observe(labels, s.alignmentMs);
      });
      const end = () => off();
      client.done.then(end, end);
    } catch {
      // a job without checkpointing: no checkpoint histograms
    }
  }
}

interface SubtaskView {
  readonly labels: TaskLabels;
  readonly m: NonNullable<ReturnType<MetricsSampler['latest']>>['metrics']['vertices'][number]['subtasks'][number];
  readonly r: SubtaskRates;
  readonly at: number;
}

function* views(c: WeirCollectors): Generator<SubtaskView> {
  for (const o of c.jobs.values()) {
    const sample = o.sampler.latest();
    if (!sample) continue;
    // The job id may change once a restore is resolved (it continues the restored job's id).
    const jobLabels = { job_id: o.client.jobId, job_name: o.client.name };
    for (const v of sample.metrics.vertices) {
      for (const m of v.subtasks) {
        yield { labels: { ...jobLabels, vertex: v.id, task_name: v.name, subtask: String(m.subtask) }, m, r: sample.rates.get(`${v.id}#${m.subtask}`) ?? ZERO_RATES, at: sample.at };
      }
    }
  }
}

const collectors = new WeakMap<Registry, WeirCollectors>();

/**
 * A prom-client {@link Registry} with the metrics of `jobs` (one client or several). Pass
 * `registry` to add them to a registry you own (calling again with more jobs adds them);
 * otherwise a new one is made — merge it into yours with `Registry.merge`. Sampling starts now
 * (once a second, per job) and stops when each job ends.
 */
export function createMetricsRegistry(jobs: JobClient | readonly JobClient[], options: { registry?: Registry } = {}): Registry {
  const { Registry } = prom();
  if (options.registry !== undefined && !(options.registry instanceof Registry)) throw new WeirError('WEIR_INVALID_ARGUMENT', 'createMetricsRegistry: options.registry must be a prom-client Registry', {});
  const registry = options.registry ?? new Registry();
  let c = collectors.get(registry);
  if (!c) {
    c = new WeirCollectors(registry);
    collectors.set(registry, c);
  }
  for (const j of Array.isArray(jobs) ? jobs : [jobs as JobClient]) {
    if (typeof (j as Partial<JobClient>)?.metrics !== 'function' || typeof (j as Partial<JobClient>)?.plan !== 'function') {
      throw new WeirError('WEIR_INVALID_ARGUMENT', 'createMetricsRegistry(jobs): expected a JobClient (what execute() returns) or an array of them', {});
    }
    c.add(j);
  }
  return registry;
}

/** Fresh values now (samples every observed job) and the registry's Prometheus text. */
export async function scrapeMetrics(registry: Registry): Promise<string> {
  const c = collectors.get(registry);
  if (c) await Promise.allSettled([...c.jobs.values()].map((o) => o.sampler.sample()));
  return registry.metrics();
}
