/**
 * The JSON bodies of the REST API (modelled on Flink's: /jobs, /jobs/:id, /jobs/:id/checkpoints,
 * /jobs/:id/metrics), built from a job client and its latest metrics sample. Pure.
 * Watermarks before the first are -Infinity in the API and `null` in JSON.
 */
import type { JobClient } from '../job/job-client.ts';
import type { JobSample } from '../metrics/metrics-sampler.ts';
import { backPressureLevel, ZERO_RATES } from '../metrics/metric-rates.ts';

/** GET /jobs: one entry per job. */
export function jobOverview(client: JobClient, sample: JobSample | undefined) {
  return {
    id: client.jobId,
    name: client.name,
    state: client.status,
    startTime: client.startTime,
    durationMs: sample?.metrics.durationMs ?? Date.now() - client.startTime,
    attempts: client.attempts,
    /** Failovers so far (counted when the job fails over; `attempts` grows when the next attempt deploys). */
    restarts: client.failovers.length,
  };
}

/** Per vertex and subtask: counters, rates and the back-pressure level (Flink: ok ≤ 100 ms/s, low ≤ 500, high). */
export function vertexMetrics(sample: JobSample | undefined) {
  if (!sample) return [];
  return sample.metrics.vertices.map((v) => {
    const subtasks = v.subtasks.map((s) => {
      const r = sample.rates.get(`${v.id}#${s.subtask}`) ?? ZERO_RATES;
      return { ...s, ...r, backPressure: backPressureLevel(r.backPressuredTimeMsPerSecond) };
    });
    const sum = (f: (s: (typeof subtasks)[number]) => number) => subtasks.reduce((n, s) => n + f(s), 0);
    const max = (f: (s: (typeof subtasks)[number]) => number) => subtasks.reduce((n, s) => Math.max(n, f(s)), 0);
    const backPressured = max((s) => s.backPressuredTimeMsPerSecond);
    return {
      id: v.id,
      name: v.name,
      parallelism: v.parallelism,
      recordsIn: v.recordsIn,
      recordsOut: v.recordsOut,
      numRecordsInPerSecond: sum((s) => s.numRecordsInPerSecond),
      numRecordsOutPerSecond: sum((s) => s.numRecordsOutPerSecond),
      busyTimeMsPerSecond: max((s) => s.busyTimeMsPerSecond),
      backPressuredTimeMsPerSecond: backPressured,
      backPressure: backPressureLevel(backPressured),
      subtasks,
    };
  });
}

/** GET /jobs/:id: the job, its plan (vertices with parallelism, edges), vertex metrics, failovers. */
export function jobDetail(client: JobClient, sample: JobSample | undefined) {
  const failovers = client.failovers;
  const cp = client.checkpointStats();
  return {
    ...jobOverview(client, sample),
    plan: client.plan(),
    vertices: vertexMetrics(sample).map(({ subtasks: _subtasks, ...v }) => v),
    failovers,
    latestFailover: failovers.at(-1) ?? null,
    checkpointing: cp !== undefined,
    restoredFrom: cp?.latest.restore ?? null,
    sampledAt: sample?.at ?? null,
  };
}

/** GET /jobs/:id/metrics: per-subtask metrics and rates, and every channel's ring occupancy. */
export function jobMetricsView(client: JobClient, sample: JobSample | undefined) {
  return { id: client.jobId, sampledAt: sample?.at ?? null, vertices: vertexMetrics(sample), channels: sample?.metrics.channels ?? [] };
}

/** GET /jobs/:id/checkpoints: Flink's checkpoint statistics (counts, latest, summary, history with per-subtask rows). */
export function checkpointsView(client: JobClient) {
  const stats = client.checkpointStats();
  return stats ? { enabled: true, ...stats } : { enabled: false };
}
