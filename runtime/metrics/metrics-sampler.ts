/**
 * Samples a job's metrics once a second (while someone observes it: the REST endpoint, a
 * Prometheus registry) and derives per-second rates over the last few seconds. One sampler per
 * job client ({@link samplerFor}), shared by every observer; its timer never keeps the process
 * alive and stops when the job ends, after a last sample of the final metrics.
 *
 * Cost: one `metrics` control call per subtask per interval (a read of counters the subtask
 * keeps anyway, answered between records) plus two atomic loads per channel on the main
 * thread. Nothing is added per record.
 */
import type { JobClient, JobMetrics, SubtaskMetrics } from '../job/job-client.ts';
import { ratesBetween, ZERO_RATES, type SubtaskRates } from './metric-rates.ts';

/** What a sampler reads (a JobClient is one). */
export type MetricsSource = Pick<JobClient, 'jobId' | 'name' | 'metrics' | 'done'>;

/** One sample: the job's metrics and each subtask's rates (key `${vertexId}#${subtask}`) over the window. */
export interface JobSample {
  /** Epoch ms of the sample. */
  readonly at: number;
  readonly metrics: JobMetrics;
  readonly rates: ReadonlyMap<string, SubtaskRates>;
}

export interface MetricsSamplerOptions {
  /** Between samples, ms. Default 1000. */
  intervalMs?: number;
  /** Rates are computed over (about) this window, ms. Default 5000 (Flink updates its views every 5 s). */
  windowMs?: number;
}

interface Raw { readonly t: number; readonly metrics: JobMetrics }

export class MetricsSampler {
  private readonly intervalMs: number;
  private readonly windowMs: number;
  private history: Raw[] = [];
  private last: JobSample | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<JobSample> | undefined;
  private ended = false;
  private readonly listeners = new Set<(s: JobSample) => void>();

  constructor(private readonly source: MetricsSource, opts: MetricsSamplerOptions = {}) {
    this.intervalMs = opts.intervalMs ?? 1000;
    this.windowMs = opts.windowMs ?? 5000;
  }

  /** Start sampling (idempotent); stops by itself when the job ends. */
  start(): void {
    if (this.timer || this.ended) return;
    void this.sample().catch(() => {});
    this.timer = setInterval(() => void this.sample().catch(() => {}), this.intervalMs);
    this.timer.unref();
    const end = () => {
      this.stop();
      this.ended = true;
      void this.sample().catch(() => {}); // the final metrics
    };
    this.source.done.then(end, end);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The latest sample (undefined before the first completed). */
  latest(): JobSample | undefined {
    return this.last;
  }

  /** Call `listener` with every sample from now on; returns the unsubscribe function. */
  onSample(listener: (s: JobSample) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Take a sample now (a sample in progress is shared). */
  sample(): Promise<JobSample> {
    this.inFlight ??= this.take().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async take(): Promise<JobSample> {
    const metrics = await this.source.metrics();
    const t = performance.now();
    this.history.push({ t, metrics });
    // Keep the newest sample at least windowMs old as the window's start.
    while (this.history.length > 2 && t - this.history[1]!.t >= this.windowMs) this.history.shift();
    const oldest = this.history[0]!;
    const rates = new Map<string, SubtaskRates>();
    const before = new Map<string, SubtaskMetrics>(oldest.metrics.vertices.flatMap((v) => v.subtasks.map((s) => [`${v.id}#${s.subtask}`, s] as const)));
    for (const v of metrics.vertices) {
      for (const s of v.subtasks) {
        const key = `${v.id}#${s.subtask}`;
        const b = before.get(key);
        rates.set(key, b && oldest !== this.history.at(-1) ? ratesBetween(b, s, t - oldest.t) : { ...ZERO_RATES });
      }
    }
    const sample: JobSample = { at: Date.now(), metrics, rates };
    this.last = sample;
    for (const l of [...this.listeners]) {
      try {
        l(sample);
      } catch {
        // an observer's failure is its own
      }
    }
    return sample;
  }
}

const samplers = new WeakMap<MetricsSource, MetricsSampler>();

/** The one sampler of a job client (created and started on first use). */
export function samplerFor(source: MetricsSource): MetricsSampler {
  let s = samplers.get(source);
  if (!s) {
    s = new MetricsSampler(source);
    samplers.set(source, s);
  }
  s.start();
  return s;
}
