/**
 * Builds a subtask from what the main thread sent (StreamTaskArgs): imports the job module,
 * rebuilds the graph, checks it is the main thread's, creates the task of the vertex's kind
 * (SourceTask or InputTask) and opens it (keyed state, restore, operators).
 */
import type { ActorContext } from '../../actors/in-worker.ts';
import { Doorbell } from '../../actors/in-worker.ts';
import { loadJobDefinition } from '../graph/job-registry.ts';
import type { JobGraph } from '../graph/job-graph.ts';
import { WeirError } from '../../common/weir-error.ts';
import { RuntimeErrorCode } from '../errors.ts';
import type { StreamTaskArgs } from './task-args.ts';
import type { StreamTask } from './stream-task.ts';
import type { TaskServices } from './task-timers.ts';
import { SourceTask } from './source-task.ts';
import { InputTask } from './input-task.ts';

/**
 * Every subtask rebuilds the job graph itself: like Flink, which gives each subtask its own
 * copy of the user's function objects, so a function that keeps fields (`this.state = …` in
 * `open()`) or closure variables per instance is never shared between subtasks that happen
 * to run on the same worker. (Module-level variables are still shared per worker.)
 */
async function rebuildGraph(args: StreamTaskArgs): Promise<JobGraph> {
  const def = await loadJobDefinition(args.moduleUrl, args.jobName);
  const graph = def.graph(args.params as never, args.parallelism, args.maxParallelism);
  if (graph.fingerprint !== args.fingerprint) {
    throw new WeirError(
      RuntimeErrorCode.JOB_GRAPH_MISMATCH,
      `job '${args.jobName}': the graph rebuilt in a worker differs from the main thread's. The build function must be deterministic for given params (module ${args.moduleUrl})`,
      { job: args.jobName, main: args.fingerprint, worker: graph.fingerprint },
    );
  }
  return graph;
}

export async function createStreamTask(ctx: ActorContext, args: StreamTaskArgs, services: TaskServices): Promise<StreamTask> {
  const graph = await rebuildGraph(args);
  const task = graph.vertices[args.vertex]!.isSource
    ? new SourceTask(ctx, args, graph, services, new Doorbell(args.doorbell))
    : InputTask.build(ctx, args, graph, services);
  await task.open();
  return task;
}
