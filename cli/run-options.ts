/**
 * `weir run` options → `job.execute()` options. Pure (no I/O): every value is
 * validated here so that a bad flag is a usage error (exit 2) before any
 * worker starts.
 *
 * Checkpointing is enabled when any checkpoint option is given
 * (`--checkpoint-dir`, `--checkpoint-interval`, `--checkpoint-mode`,
 * `--checkpoint-timeout`, `--tolerable-failures`, `--unaligned`, `--aligned-checkpoint-timeout`,
 * `--min-pause`, `--incremental`, `--retained`,
 * `--retention`), and also by
 * `--restore latest` (it looks in the checkpoint directory) and
 * `--stop-with-savepoint-on-signal` (a savepoint needs the coordinator).
 */
import path from 'node:path';
import { WeirError, type ExecuteOptions } from '../index.ts';
import { resolveCheckpointConfig, resolveRestartStrategy, type CheckpointConfigInput, type RestartStrategyConfig } from '../tools.ts';
import { flagOption, intOption, jsonOption, stringOption, usageError, type OptionSpec, type ParsedArgs } from './cli-args.ts';

/** The options `weir run` accepts. */
export const RUN_OPTION_SPEC: OptionSpec = {
  job: 'string',
  'job-id': 'string',
  parallelism: 'string',
  'max-parallelism': 'string',
  threads: 'string',
  state: 'string',
  'state-dir': 'string',
  'buffer-bytes': 'string',
  'buffer-debloat-ms': 'string',
  'buffer-timeout': 'string',
  params: 'string',
  print: 'string',
  'checkpoint-dir': 'string',
  'checkpoint-interval': 'string',
  'checkpoint-mode': 'string',
  'checkpoint-timeout': 'string',
  'tolerable-failures': 'string',
  unaligned: 'boolean',
  'aligned-checkpoint-timeout': 'string',
  'min-pause': 'string',
  incremental: 'boolean',
  retained: 'string',
  retention: 'string',
  restore: 'string',
  'allow-non-restored-state': 'boolean',
  'restart-strategy': 'string',
  'stop-with-savepoint-on-signal': 'string',
  'rest-port': 'string',
  'rest-host': 'string',
  'rest-token': 'string',
};

const CHECKPOINT_FLAGS = ['checkpoint-dir', 'checkpoint-interval', 'checkpoint-mode', 'checkpoint-timeout', 'tolerable-failures', 'unaligned', 'aligned-checkpoint-timeout', 'min-pause', 'incremental', 'retained', 'retention'];

/** What `weir run` will do. */
export interface RunPlan {
  /** The job module, as given. */
  module: string;
  /** `--job`: which job of the module. */
  jobName: string | undefined;
  /** Options for `job.execute()`. */
  execute: ExecuteOptions<unknown>;
  /** `--stop-with-savepoint-on-signal`, resolved to an absolute path. */
  savepointOnSignal: string | undefined;
  /** `--print`: records shown per collect sink. */
  print: number;
}

/** `--restart-strategy`: a JSON object, or a bare type name whose fields all have defaults. */
function restartStrategyOption(args: ParsedArgs, checkpointing: boolean): RestartStrategyConfig | undefined {
  const raw = stringOption(args, 'restart-strategy');
  if (raw === undefined) return undefined;
  const value = raw.trim().startsWith('{') ? jsonOption(args, 'restart-strategy') : { type: raw };
  try {
    resolveRestartStrategy(value as RestartStrategyConfig, checkpointing);
  } catch (e) {
    if (e instanceof WeirError) throw usageError(`--restart-strategy: ${e.message}`, { ...e.details });
    throw e;
  }
  return value as RestartStrategyConfig;
}

/**
 * Validate `weir run` arguments and build the execute options.
 * @throws WeirError `WEIR_CLI_USAGE` naming the option and the value.
 */
export function planRun(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env): RunPlan {
  const module = args.positionals[0];
  if (!module) throw usageError('run needs a job module');
  if (args.positionals.length > 1) throw usageError(`run: unexpected argument '${args.positionals[1]}' (job parameters go into --params JSON)`);
  const execute: ExecuteOptions<unknown> = {};
  if (args.values.params !== undefined) execute.params = jsonOption(args, 'params');
  const parallelism = intOption(args, 'parallelism');
  if (parallelism !== undefined) execute.parallelism = parallelism;
  const maxParallelism = intOption(args, 'max-parallelism');
  if (maxParallelism !== undefined) execute.maxParallelism = maxParallelism;
  const threads = intOption(args, 'threads');
  if (threads !== undefined) execute.threads = threads;
  const state = stringOption(args, 'state');
  if (state !== undefined && state !== 'lmdb' && state !== 'heap') throw usageError(`--state must be lmdb or heap, got '${state}'`);
  if (state !== undefined) execute.stateBackend = state;
  const bufferBytes = intOption(args, 'buffer-bytes');
  if (bufferBytes !== undefined) {
    if (bufferBytes < 1024) throw usageError(`--buffer-bytes must be at least 1024, got '${bufferBytes}'`);
    execute.bufferBytes = bufferBytes;
  }
  const debloatMs = intOption(args, 'buffer-debloat-ms');
  if (debloatMs !== undefined) execute.bufferDebloat = { targetMs: debloatMs };
  const bufferTimeout = intOption(args, 'buffer-timeout', 0);
  if (bufferTimeout !== undefined) execute.batching = { bufferTimeoutMs: bufferTimeout };
  const stateDir = stringOption(args, 'state-dir');
  if (stateDir !== undefined) execute.stateDirectory = stateDir;
  const jobId = stringOption(args, 'job-id');
  if (jobId !== undefined) {
    if (!/^[A-Za-z0-9._-]+$/.test(jobId)) throw usageError(`--job-id may only contain letters, digits, '.', '_' and '-', got '${jobId}'`);
    execute.jobId = jobId;
  }

  // Restore and stop-with-savepoint.
  const restoreRaw = stringOption(args, 'restore');
  if (restoreRaw !== undefined && restoreRaw.trim() === '') throw usageError(`--restore needs 'latest' or a checkpoint/savepoint path`);
  const restore = restoreRaw === undefined || restoreRaw === 'latest' ? restoreRaw : path.resolve(restoreRaw);
  if (restore !== undefined) execute.restore = restore;
  if (flagOption(args, 'allow-non-restored-state')) {
    if (restore === undefined) throw usageError('--allow-non-restored-state only makes sense with --restore');
    execute.allowNonRestoredState = true;
  }
  const savepointRaw = stringOption(args, 'stop-with-savepoint-on-signal');
  if (savepointRaw !== undefined && savepointRaw.trim() === '') throw usageError('--stop-with-savepoint-on-signal needs a directory');
  const savepointOnSignal = savepointRaw === undefined ? undefined : path.resolve(savepointRaw);

  // Checkpointing.
  const checkpointing = CHECKPOINT_FLAGS.some((f) => args.values[f] !== undefined) || restore === 'latest' || savepointOnSignal !== undefined;
  if (checkpointing) {
    const cp: CheckpointConfigInput = {};
    const dir = stringOption(args, 'checkpoint-dir');
    if (dir !== undefined) cp.directory = dir;
    const interval = intOption(args, 'checkpoint-interval');
    if (interval !== undefined) cp.intervalMs = interval;
    const mode = stringOption(args, 'checkpoint-mode');
    if (mode !== undefined) cp.mode = mode as CheckpointConfigInput['mode'];
    const timeout = intOption(args, 'checkpoint-timeout');
    if (timeout !== undefined) cp.timeoutMs = timeout;
    const tolerable = intOption(args, 'tolerable-failures', 0);
    if (tolerable !== undefined) cp.tolerableFailures = tolerable;
    if (flagOption(args, 'unaligned')) cp.unaligned = true;
    const alignedTimeout = intOption(args, 'aligned-checkpoint-timeout', 0);
    if (alignedTimeout !== undefined) cp.alignedCheckpointTimeoutMs = alignedTimeout;
    const minPause = intOption(args, 'min-pause', 0);
    if (minPause !== undefined) cp.minPauseMs = minPause;
    if (flagOption(args, 'incremental')) cp.incremental = true;
    const retained = intOption(args, 'retained');
    if (retained !== undefined) cp.retained = retained;
    const retention = stringOption(args, 'retention');
    if (retention !== undefined) cp.retention = retention as CheckpointConfigInput['retention'];
    try {
      resolveCheckpointConfig(cp);
    } catch (e) {
      if (e instanceof WeirError) throw usageError(`checkpoint options: ${e.message}`, { ...e.details });
      throw e;
    }
    execute.checkpointing = cp;
  }
  // The HTTP endpoint (metrics, REST API, dashboard; `weir list | cancel | …` reach the job through it).
  const restPort = intOption(args, 'rest-port', 0);
  const restHost = stringOption(args, 'rest-host');
  const restToken = stringOption(args, 'rest-token') ?? env.WEIR_REST_TOKEN;
  if (restPort === undefined && (restHost !== undefined || stringOption(args, 'rest-token') !== undefined)) throw usageError('--rest-host and --rest-token need --rest-port');
  if (restPort !== undefined) execute.rest = { port: restPort, ...(restHost !== undefined ? { host: restHost } : {}), ...(restToken ? { token: restToken } : {}) };
  const restartStrategy = restartStrategyOption(args, checkpointing);
  if (restartStrategy !== undefined) execute.restartStrategy = restartStrategy;

  return { module, jobName: stringOption(args, 'job'), execute, savepointOnSignal, print: intOption(args, 'print', 0) ?? 10 };
}
