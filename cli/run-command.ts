/**
 * `weir run <job-module> [options]`: import the module, pick the job (the only
 * one, or `--job`), execute it and report.
 *
 * Order of events: (1) options validated (`planRun`, usage errors exit 2);
 * (2) module imported, job chosen; (3) `job.execute()`, one `job … submitted`
 * line; (4) SIGINT/SIGTERM handlers installed: without
 * `--stop-with-savepoint-on-signal` a signal cancels the job, with it the
 * first signal takes a savepoint into DIR and stops the job (a second signal
 * cancels at once); (5) `done` awaited, handlers removed, the result printed
 * (collect sinks, metrics, checkpoints, restore, failovers).
 * Exit code: 0 finished or stopped with a savepoint, 1 job failure or failed
 * savepoint-on-signal.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { WeirError, type ExecuteOptions, type JobClient, type JobDefinition, type JobResult } from '../index.ts';
import {
  CHECKPOINT_CONFIG_DEFAULTS, CheckpointFailureReason, describeRestartStrategy, jobsInModule, preview, registerTypeScriptLoader, resolveRestartStrategy,
} from '../tools.ts';
import { parseCommandArgs, usageError } from './cli-args.ts';
import { RUN_OPTION_SPEC, planRun, type RunPlan } from './run-options.ts';
import { runLogger } from './run-logger.ts';
import { showStatus, StatusArea } from './run-status.ts';

/** Run `weir run`; resolves with the exit code. */
export async function runCommand(argv: readonly string[]): Promise<number> {
  const plan = planRun(parseCommandArgs('run', argv, RUN_OPTION_SPEC));
  const moduleUrl = pathToFileURL(path.resolve(plan.module)).href;
  await registerTypeScriptLoader(moduleUrl);
  const jobs = await jobsInModule(moduleUrl);
  const wanted = plan.jobName;
  const job = wanted ? jobs.find((j) => j.name === wanted) : jobs.length === 1 ? jobs[0] : undefined;
  if (!job) {
    throw usageError(jobs.length === 0
      ? `${plan.module} defines no job (call defineJob at its top level)`
      : wanted ? `${plan.module} defines no job '${wanted}' (it defines: ${jobs.map((j) => j.name).join(', ')})`
      : `${plan.module} defines several jobs; choose one with --job (${jobs.map((j) => j.name).join(', ')})`);
  }
  const status = new StatusArea(process.stdout);
  const logger = runLogger(process.stderr, process.env, () => status.clear());
  // Collected records are streamed, not kept: a long-running job's would fill the memory. What
  // the end shows (a count and the first --print records per sink) is taken as they pass.
  const client = executeJob(job, { retainCollected: false, ...plan.execute, ...(logger ? { logger } : {}) });
  const collected = client.collectSinkNames().map((name) => sampleResults(client, name, plan.print));
  console.log(startLine(client, plan));
  const stopStatus = showStatus(client, { area: status });
  // With --rest-port: the endpoint's URL once it listens (with --rest-port 0, the port chosen).
  if (plan.execute.rest) client.restUrl().then((url) => console.log(`rest ${url} (dashboard ${url}/, metrics ${url}/metrics)`), () => {});

  let exitCode = 0;
  let signals = 0;
  let stopping: Promise<void> | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (plan.savepointOnSignal === undefined || signals > 1) {
      console.error(`weir: ${signal}: cancelling job ${client.jobId}`);
      void client.cancel();
      return;
    }
    console.error(`weir: ${signal}: stopping job ${client.jobId} with a savepoint into ${plan.savepointOnSignal} (signal again to cancel at once)`);
    stopping = stopWithSavepoint(client, plan.savepointOnSignal).then((ok) => {
      if (!ok) exitCode = 1;
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let result: JobResult;
  try {
    result = await client.done;
    await stopping;
  } catch (e) {
    // Failed for good: what an operator needs next — why it failed over before, and where to restore from.
    stopStatus();
    console.log(failedText(client, plan));
    throw e;
  } finally {
    stopStatus();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  console.log(resultText(result, plan, await Promise.all(collected)));
  return exitCode;
}

/** What a collect sink delivered: its count and first `keep` records (read through `results()`, as they arrive). */
interface CollectedSample { name: string; count: number; first: unknown[] }

async function sampleResults(client: JobClient, name: string, keep: number): Promise<CollectedSample> {
  const sample: CollectedSample = { name, count: 0, first: [] };
  try {
    for await (const r of client.results(name)) {
      if (sample.count++ < keep) sample.first.push(r);
    }
  } catch { /* the job failed: done says how */ }
  return sample;
}

/** How long stop-with-savepoint waits for a checkpoint in progress to make room (savepoints count towards maxConcurrent). */
const SAVEPOINT_SLOT_WAIT_MS = 30_000;

/** The savepoint was refused only because another checkpoint is in progress. */
function isBusy(e: unknown): boolean {
  return e instanceof WeirError && e.details.reason === CheckpointFailureReason.TOO_MANY_CHECKPOINT_REQUESTS;
}

/**
 * Stop-with-savepoint; prints `savepoint <dir>` on success. A savepoint refused
 * because a checkpoint is in progress is retried every 20 ms for up to
 * {@link SAVEPOINT_SLOT_WAIT_MS}. Resolves false (after cancelling) on failure.
 */
async function stopWithSavepoint(client: JobClient, directory: string): Promise<boolean> {
  const deadline = Date.now() + SAVEPOINT_SLOT_WAIT_MS;
  try {
    let savepoint;
    for (;;) {
      try {
        savepoint = await client.stopWithSavepoint(directory);
        break;
      } catch (e) {
        if (!isBusy(e) || Date.now() > deadline || client.status !== 'running') throw e;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    console.log(`savepoint ${savepoint.directory}`);
    console.log(`  restore with: --restore ${savepoint.directory}`);
    return true;
  } catch (e) {
    const why = e instanceof WeirError ? `${e.code}: ${e.message}` : (e as Error)?.message ?? String(e);
    console.error(`weir: savepoint failed (${why}); cancelling job ${client.jobId}`);
    await client.cancel().catch(() => {});
    return false;
  }
}

function checkpointDirOf(plan: RunPlan): string | undefined {
  const cp = plan.execute.checkpointing;
  return cp ? path.resolve(cp.directory ?? CHECKPOINT_CONFIG_DEFAULTS.directory) : undefined;
}

function startLine(client: JobClient, plan: RunPlan): string {
  // A restore from a checkpoint without --job-id continues the restored job's id, known only once
  // the restore is resolved (a savepoint's restore starts a new id: the client's already).
  const lines = [plan.execute.restore !== undefined && plan.execute.jobId === undefined
    ? `job ${client.name} submitted (job id: ${client.jobId}, or the restored job's when restoring a checkpoint; shown at the end)`
    : `job ${client.jobId} (${client.name}) submitted`];
  const cp = plan.execute.checkpointing;
  if (cp) {
    const every = cp.intervalMs ? `every ${cp.intervalMs} ms` : 'on demand and at the end';
    lines.push(`  checkpoints: ${every}, ${cp.unaligned ? 'unaligned' : 'aligned'}, ${cp.mode ?? 'exactly-once'}, into ${checkpointDirOf(plan)}`);
  }
  if (plan.execute.restore !== undefined) lines.push(`  restore: ${plan.execute.restore}${plan.execute.allowNonRestoredState ? ' (allowing non-restored state)' : ''}`);
  const strategy = resolveRestartStrategy(plan.execute.restartStrategy, cp !== undefined);
  lines.push(`  restart strategy: ${describeRestartStrategy(strategy)}${plan.execute.restartStrategy ? '' : ' (default)'}`);
  if (plan.savepointOnSignal) lines.push(`  on SIGINT/SIGTERM: stop with a savepoint into ${plan.savepointOnSignal}`);
  return lines.join('\n');
}

function resultText(result: JobResult, plan: RunPlan, collected: readonly CollectedSample[]): string {
  const out = [`job ${result.jobId} ${result.status} in ${result.durationMs} ms`];
  if (result.savepointPath) out.push(`stopped with savepoint ${result.savepointPath}`);
  for (const { name, count, first } of collected) {
    out.push(`collect '${name}': ${count} records`);
    for (const r of first) out.push(`  ${preview(r, 200)}`);
    if (count > first.length && first.length > 0) out.push(`  … ${count - first.length} more`); // --print 0: the count alone
  }
  for (const v of result.metrics.vertices) out.push(`  ${v.name} (p=${v.parallelism}): in ${v.recordsIn}, out ${v.recordsOut}`);
  if (result.restoredFrom) out.push(`restored from ${result.restoredFrom.path} (id ${result.restoredFrom.checkpointId})`);
  out.push(...failoverLines(result.failovers ?? []), ...checkpointLines(result.checkpoints, plan, result.jobId));
  return out.join('\n');
}

/** What `weir run` prints when the job failed for good (the error itself follows on stderr). */
function failedText(client: JobClient, plan: RunPlan): string {
  return [`job ${client.jobId} failed`, ...failoverLines(client.failovers), ...checkpointLines(client.checkpointStats(), plan, client.jobId)].join('\n');
}

function failoverLines(failovers: JobResult['failovers']): string[] {
  return failovers.map((f) => `failover ${f.attempt}: ${f.cause.code ? `${f.cause.code}: ` : ''}${f.cause.message} → restored ${f.restoredCheckpointId === null ? 'nothing (fresh start)' : `checkpoint ${f.restoredCheckpointId}`}, recovery ${f.recoveryMs} ms`);
}

/** The checkpoint counts and the latest completed checkpoint: its path while it exists (a failed job keeps its checkpoints). */
function checkpointLines(cp: JobResult['checkpoints'], plan: RunPlan, jobId: string): string[] {
  if (!cp) return [];
  const out = [`checkpoints: ${cp.counts.completed} completed, ${cp.counts.failed} failed (of ${cp.counts.triggered} triggered)`];
  const latest = cp.latest.completed;
  if (latest && latest.kind === 'checkpoint') {
    const dir = path.join(checkpointDirOf(plan)!, jobId, `chk-${latest.checkpointId}`);
    out.push(existsSync(dir)
      ? `  latest: ${dir} (restore with: --restore ${dir}, or --restore latest)`
      : `  latest: chk-${latest.checkpointId}, discarded when the job ended (keep it with --retention retain-on-cancel)`);
  }
  return out;
}

/** `job.execute()`: an option execute() refuses (a value the flags let through, e.g. --rest-port 99999, or --rest-host 0.0.0.0 without a token) is a usage error (exit 2), as the flags' own checks are. */
function executeJob(job: JobDefinition<unknown>, options: ExecuteOptions<unknown>): JobClient {
  try {
    return job.execute(options);
  } catch (e) {
    // A parallelism above the max parallelism comes from --parallelism / --max-parallelism too.
    const flagsTooHigh = e instanceof WeirError && e.code === 'WEIR_INVALID_GRAPH' && e.details.maxParallelism !== undefined
      && (options.parallelism !== undefined || options.maxParallelism !== undefined);
    if (e instanceof WeirError && ((e.code === 'WEIR_INVALID_ARGUMENT' && e.details.option !== undefined) || e.code === 'WEIR_REST_INSECURE' || flagsTooHigh)) {
      throw usageError(`${inFlagTerms(e.message)}${e.code === 'WEIR_INVALID_ARGUMENT' ? '' : ` (${e.code})`}`, { ...e.details, refusedWith: e.code });
    }
    throw e;
  }
}

/** execute()'s wording of an option, as the flag an operator typed: `execute(): rest.host` → `--rest-host`. */
function inFlagTerms(message: string): string {
  return message.replace(/^execute\(\): /, '').replace(/\brest\.(port|host|token)\b/g, (_m, name: string) => `--rest-${name}`)
    .replace(/\bmaxParallelism\b/g, '--max-parallelism').replace(/\bbufferBytes\b/g, '--buffer-bytes');
}
