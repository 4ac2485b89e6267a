/**
 * `job.execute(options)`: everything that can be checked before a thread starts is checked here,
 * synchronously (options, the graph, the restart strategy, that workers can load the job module);
 * then the job master runs the job and the client is returned at once.
 */
import type { JobDefinition } from '../api/job-definition.ts';
import { resolveExecuteOptions, type ExecuteOptionFields, type ResolvedExecuteOptions } from './execute-options.ts';
import { JobClient } from './job-client.ts';
import { JobMaster } from './job-master.ts';
import { RestEndpoint } from '../rest/rest-server.ts';
import { checkWorkersCanLoad, resolveEmbeddingOptions } from './embedding.ts';
import { resolveRestartStrategy } from '../recovery/restart-strategy.ts';
import { cancelOnAbort } from './abort-signal.ts';

export function startJob<P>(def: JobDefinition<P>, options: ExecuteOptionFields<P> = {}): JobClient {
  const opts = resolveExecuteOptions(def.name, options);
  const graph = def.graph(opts.params, opts.parallelism, opts.maxParallelism); // throws before anything runs
  resolveRestartStrategy(opts.restartStrategy, opts.checkpointing !== undefined); // validate now
  const embedding = resolveEmbeddingOptions(options);
  const { typescript } = checkWorkersCanLoad(def.moduleUrl, def.name); // throws before anything runs
  const rest = opts.rest ? new RestEndpoint(opts.rest) : undefined;
  const master = new JobMaster(def as JobDefinition<unknown>, opts as ResolvedExecuteOptions<unknown>, graph, { ...embedding, typescript }, rest);
  const signal = embedding.signal;
  if (signal) {
    const forget = cancelOnAbort(signal, () => void master.cancel());
    void master.done.then(forget, forget);
  }
  const client = new JobClient(master);
  rest?.attach(client);
  return client;
}
