/**
 * The `weir` command: dispatches to one command module and maps outcomes to
 * exit codes — 0 success, 1 a failure (a WeirError's code and message on
 * stderr: job failure, corrupt checkpoint …), 2 bad usage (message and usage
 * on stderr). See docs/operations.md.
 */
import { WeirError } from '../index.ts';
import { USAGE_ERROR, usageError } from './cli-args.ts';
import { checkpointsCommand } from './checkpoints-command.ts';
import { inspectCommand } from './inspect-command.ts';
import { runCommand } from './run-command.ts';
import { listCommand } from './list-command.ts';
import { cancelCommand } from './cancel-command.ts';
import { checkpointCommand } from './checkpoint-command.ts';
import { savepointCommand } from './savepoint-command.ts';
import { stopCommand } from './stop-command.ts';

const USAGE = `usage:
  weir run <job-module> [options]          run a job (see docs/operations.md)
      --job NAME                 the job to run when the module defines several
      --job-id ID                job id (names the checkpoint and state directories)
      --params JSON              job parameters (passed to the build function)
      --parallelism N  --max-parallelism N
      --threads N                worker threads hosting the subtasks (default min(cores, subtasks))
      --state lmdb|heap  --state-dir DIR
      --buffer-bytes N           ring buffer per channel (default 256 KiB; smaller = less in-flight data)
      --buffer-debloat-ms MS     buffer debloating: in-flight data per channel ≈ MS of the consumer's throughput
      --buffer-timeout MS        a busy subtask publishes partial batches at least this often (default 100)
      --print N                  records shown per collect sink (default 10)
    checkpointing (any of these enables it):
      --checkpoint-dir DIR       default .weir/checkpoints
      --checkpoint-interval MS   periodic checkpoints (>= 10); else only the final one
      --checkpoint-mode exactly-once|at-least-once
      --unaligned                unaligned checkpoints
      --aligned-checkpoint-timeout MS
                                 with --unaligned: start aligned, switch to unaligned after MS
      --min-pause MS             least time between the end of a checkpoint and the next trigger
      --incremental              incremental checkpoints (keyed state: only what changed since the last one)
      --checkpoint-timeout MS    a checkpoint not complete by then is aborted (default 600000)
      --tolerable-failures N     consecutive failed checkpoints tolerated before a failover (default 0)
      --retained N               completed checkpoints kept (default 1)
      --retention delete-on-cancel|retain-on-cancel
    recovery:
      --restore latest|PATH      start from the latest checkpoint, or a chk-<n> / savepoint dir
      --allow-non-restored-state skip state of operators (uids) that no longer exist
      --restart-strategy JSON|none|exponential-delay
                                 e.g. '{"type":"fixed-delay","attempts":3,"delayMs":1000}'
      --stop-with-savepoint-on-signal DIR
                                 on SIGINT/SIGTERM take a savepoint into DIR, then stop
    HTTP endpoint (metrics, REST API, dashboard; docs/observability.md):
      --rest-port N              serve it on port N (0 = any free port; the URL is printed)
      --rest-host HOST           default 127.0.0.1; another host needs a token
      --rest-token TOKEN         bearer token required by every request (or WEIR_REST_TOKEN)
  weir checkpoints <checkpoint-dir> [--job JOB_ID] [--json]
                                           list jobs, their checkpoints and savepoints
  weir inspect <chk-dir|savepoint-dir|_metadata> [--json]
                                           verify and describe one checkpoint or savepoint
  weir list                                list running jobs that serve a REST endpoint
  weir checkpoint <job>                    trigger a checkpoint
  weir savepoint <job> [dir]               take a savepoint (default ./savepoints); the job keeps running
  weir stop <job> --savepoint-path DIR     stop with a savepoint (the job ends finished)
  weir cancel <job>                        cancel a job
    <job>: id, unique id prefix or name. Found through discovery files (--jobs-dir DIR, WEIR_JOBS_DIR)
    or --url URL (WEIR_REST_URL); --token TOKEN (WEIR_REST_TOKEN) when the endpoint has one; --json
  weir help
exit codes: 0 ok, 1 failure (WEIR_* code on stderr), 2 bad usage`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  // `weir <command> --help` is help, not an unknown option.
  if (command !== undefined && (rest.includes('--help') || rest.includes('-h'))) {
    console.log(USAGE);
    return 0;
  }
  switch (command) {
    case 'run': return runCommand(rest);
    case 'checkpoints': return checkpointsCommand(rest);
    case 'inspect': return inspectCommand(rest);
    case 'list': return listCommand(rest);
    case 'cancel': return cancelCommand(rest);
    case 'checkpoint': return checkpointCommand(rest);
    case 'savepoint': return savepointCommand(rest);
    case 'stop': return stopCommand(rest);
    case 'help': case '--help': case '-h':
      console.log(USAGE);
      return 0;
    case undefined:
      throw usageError('no command given');
    default:
      throw usageError(`unknown command '${command}'`);
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  if (e instanceof WeirError && e.code === USAGE_ERROR) {
    console.error(`weir: ${e.code}: ${e.message}`);
    console.error(USAGE);
    process.exitCode = 2;
  } else {
    if (e instanceof WeirError) console.error(`weir: ${e.code}: ${e.message}`);
    else console.error(`weir: ${(e as Error)?.stack ?? String(e)}`);
    process.exitCode = 1;
  }
}
