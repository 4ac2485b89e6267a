/**
 * The `weir` command.
 *
 *   weir run <job-module> [--job NAME] [--parallelism N] [--max-parallelism N]
 *            [--state lmdb|heap] [--state-dir DIR] [--params JSON] [--print N]
 *
 * `run` imports the module, picks the job (the only one, or --job), executes it
 * and prints the collect sinks' record counts and first records, then metrics.
 * Exit code 0 on success, 1 on a job failure (the error's code and message on
 * stderr), 2 on bad usage.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { jobsInModule } from '../runtime/api/job-definition.ts';
import { WeirError } from '../common/weir-error.ts';
import { preview } from '../common/weir-error.ts';

const USAGE = `usage:
  weir run <job-module> [--job NAME] [--parallelism N] [--max-parallelism N]
           [--state lmdb|heap] [--state-dir DIR] [--params JSON] [--print N]
  weir help`;

function usage(message?: string): never {
  if (message) console.error(`weir: ${message}`);
  console.error(USAGE);
  process.exit(2);
}

function parseFlags(argv: string[]): { positional: string[]; flags: Map<string, string> } {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const [k, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
      const v = inline ?? argv[++i];
      if (v === undefined) usage(`--${k} needs a value`);
      flags.set(k, v);
    } else positional.push(a);
  }
  return { positional, flags };
}

function intFlag(flags: Map<string, string>, name: string): number | undefined {
  const v = flags.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) usage(`--${name} must be a positive integer, got '${v}'`);
  return n;
}

async function run(argv: string[]): Promise<void> {
  const { positional, flags } = parseFlags(argv);
  const known = new Set(['job', 'parallelism', 'max-parallelism', 'state', 'state-dir', 'params', 'print']);
  for (const k of flags.keys()) if (!known.has(k)) usage(`unknown option --${k}`);
  const file = positional[0];
  if (!file) usage('run needs a job module');
  const moduleUrl = pathToFileURL(path.resolve(file)).href;
  const jobs = await jobsInModule(moduleUrl);
  const wanted = flags.get('job');
  const job = wanted ? jobs.find((j) => j.name === wanted) : jobs.length === 1 ? jobs[0] : undefined;
  if (!job) {
    usage(jobs.length === 0
      ? `${file} defines no job (call defineJob at its top level)`
      : wanted ? `${file} defines no job '${wanted}' (it defines: ${jobs.map((j) => j.name).join(', ')})`
      : `${file} defines several jobs; choose one with --job (${jobs.map((j) => j.name).join(', ')})`);
  }
  let params: unknown;
  if (flags.has('params')) {
    try {
      params = JSON.parse(flags.get('params')!);
    } catch (e) {
      usage(`--params is not valid JSON: ${(e as Error).message}`);
    }
  }
  const state = flags.get('state');
  if (state !== undefined && state !== 'lmdb' && state !== 'heap') usage(`--state must be lmdb or heap, got '${state}'`);
  const client = job.execute({
    params,
    ...(intFlag(flags, 'parallelism') !== undefined ? { parallelism: intFlag(flags, 'parallelism')! } : {}),
    ...(intFlag(flags, 'max-parallelism') !== undefined ? { maxParallelism: intFlag(flags, 'max-parallelism')! } : {}),
    ...(state ? { stateBackend: state as 'lmdb' | 'heap' } : {}),
    ...(flags.has('state-dir') ? { stateDirectory: flags.get('state-dir')! } : {}),
  });
  const onSignal = () => void client.cancel();
  process.once('SIGINT', onSignal);
  const result = await client.done;
  process.off('SIGINT', onSignal);
  const show = intFlag(flags, 'print') ?? 10;
  console.log(`job ${result.jobId} ${result.status} in ${result.durationMs} ms`);
  for (const [name, records] of Object.entries(result.collected)) {
    console.log(`collect '${name}': ${records.length} records`);
    for (const r of records.slice(0, show)) console.log(`  ${preview(r, 200)}`);
    if (records.length > show) console.log(`  … ${records.length - show} more`);
  }
  for (const v of result.metrics.vertices) console.log(`  ${v.name} (p=${v.parallelism}): in ${v.recordsIn}, out ${v.recordsOut}`);
}

const [command, ...rest] = process.argv.slice(2);
try {
  switch (command) {
    case 'run': await run(rest); break;
    case 'help': case '--help': case undefined: console.log(USAGE); break;
    default: usage(`unknown command '${command}'`);
  }
} catch (e) {
  if (e instanceof WeirError) console.error(`weir: ${e.code}: ${e.message}`);
  else console.error(`weir: ${(e as Error)?.stack ?? String(e)}`);
  process.exitCode = 1;
}
