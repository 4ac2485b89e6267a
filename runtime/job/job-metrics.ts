/**
 * The job master's view of its subtasks' metrics: what each subtask reported (live or final)
 * joined with the occupancy of its channels, sampled from the rings (Flink's `inPoolUsage` /
 * `outPoolUsage`). Pure.
 */
import type { JobGraph } from '../graph/job-graph.ts';
import type { TaskMetrics } from '../task/task-metrics.ts';
import type { ChannelUsage } from './attempt.ts';
import type { ChannelMetrics, JobPlan, SubtaskMetrics, VertexMetrics } from './job-client.ts';

/** A subtask that has not reported yet. */
function emptyMetrics(vertex: number, subtask: number): TaskMetrics {
  return {
    vertex, subtask, recordsIn: 0, recordsOut: 0, bytesOut: 0, framesIn: 0, busyMs: 0, idleMs: 0, backPressuredMs: 0, mailsRun: 0, finished: false,
    inputWatermark: -Infinity, outputWatermark: -Infinity, keyedStateBytes: null,
  };
}

/**
 * Per vertex: its subtasks' metrics (`reported` by subtask key `${vertexId}#${subtask}`) with
 * pool usage = bytes queued / capacity summed over the subtask's input (output) channels.
 */
export function subtaskMetricsOf(graph: JobGraph, reported: ReadonlyMap<string, TaskMetrics>, usage: readonly ChannelUsage[]): { vertices: VertexMetrics[]; channels: ChannelMetrics[] } {
  const pools = new Map<string, { inUsed: number; inCap: number; outUsed: number; outCap: number }>();
  const pool = (v: number, s: number) => {
    const key = `${v}#${s}`;
    let p = pools.get(key);
    if (!p) pools.set(key, (p = { inUsed: 0, inCap: 0, outUsed: 0, outCap: 0 }));
    return p;
  };
  const channels: ChannelMetrics[] = [];
  for (const c of usage) {
    const from = pool(c.fromVertex, c.fromSubtask);
    from.outUsed += c.usedBytes;
    from.outCap += c.capacityBytes;
    const to = pool(c.toVertex, c.toSubtask);
    to.inUsed += c.usedBytes;
    to.inCap += c.capacityBytes;
    channels.push({
      from: { vertex: graph.vertices[c.fromVertex]!.id, subtask: c.fromSubtask },
      to: { vertex: graph.vertices[c.toVertex]!.id, subtask: c.toSubtask },
      usedBytes: c.usedBytes, capacityBytes: c.capacityBytes, debloatedBufferBytes: c.debloatedBytes,
    });
  }
  const vertices = graph.vertices.map((v) => {
    const subtasks: SubtaskMetrics[] = [];
    for (let s = 0; s < v.parallelism; s++) {
      const p = pools.get(`${v.index}#${s}`);
      subtasks.push({
        ...emptyMetrics(v.index, s),
        ...reported.get(`${v.id}#${s}`),
        inPoolUsage: p && p.inCap > 0 ? Math.min(1, p.inUsed / p.inCap) : 0,
        outPoolUsage: p && p.outCap > 0 ? Math.min(1, p.outUsed / p.outCap) : 0,
      });
    }
    const sum = (f: (t: TaskMetrics) => number) => subtasks.reduce((n, t) => n + f(t), 0);
    return { id: v.id, name: v.name, parallelism: v.parallelism, recordsIn: sum((t) => t.recordsIn), recordsOut: sum((t) => t.recordsOut), bytesOut: sum((t) => t.bytesOut), subtasks };
  });
  return { vertices, channels };
}

/** The job plan the client shows (vertex ids are their head operator's uid). */
export function jobPlanOf(graph: JobGraph): JobPlan {
  return {
    vertices: graph.vertices.map((v) => ({ id: v.id, name: v.name, parallelism: v.parallelism, maxParallelism: v.maxParallelism, operators: v.operators.map((o) => o.name), isSource: v.isSource, isKeyed: v.isKeyed })),
    edges: graph.edges.map((e) => ({ from: graph.vertices[e.from]!.id, to: graph.vertices[e.to]!.id, partitioning: e.partitioning, ...(e.sideOutputTag !== undefined ? { sideOutput: e.sideOutputTag } : {}) })),
  };
}
