/**
 * `weir checkpoints <checkpoint-dir> [--job JOB_ID] [--json]`: the jobs under
 * a checkpoint directory with their `chk-<n>` directories (complete or not),
 * plus any `savepoint-*` directories found there. Reads `_metadata` files
 * (their checksum is checked) and checks that every file they reference
 * exists with its recorded size (cheap: a stat per file) — a checkpoint with a
 * missing or truncated file is listed as `damaged` with the reason. Files are
 * not hashed: `weir inspect` does that.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { WeirError } from '../index.ts';
import { listJobCheckpoints, loadCheckpoint, verifyCheckpointFiles } from '../tools.ts';
import { expectPositionals, flagOption, parseCommandArgs, stringOption } from './cli-args.ts';
import { formatBytes, formatTime, renderTable } from './cli-format.ts';

/** One checkpoint or savepoint directory in a listing. */
export interface CheckpointEntry {
  id: number;
  path: string;
  /** `_metadata` present and valid, and every file it references present with its recorded size. */
  complete: boolean;
  /** `damaged`: `_metadata` is valid but a file it references is missing or has another size (see `problem`). */
  status: 'complete' | 'incomplete' | 'corrupt' | 'damaged';
  kind?: 'checkpoint' | 'savepoint';
  /** periodic | manual | final | savepoint */
  trigger?: string;
  alignment?: string;
  triggerTimestamp?: number;
  completionTimestamp?: number;
  /** Sum of the referenced files' sizes. */
  bytes?: number;
  files?: number;
  /** Why it is incomplete or corrupt. */
  problem?: string;
}

/** A savepoint directory in a listing (its job id comes from `_metadata`). */
export interface SavepointEntry extends Omit<CheckpointEntry, 'id'> {
  id: number | null;
  jobId: string | null;
}

/** What `weir checkpoints --json` prints. */
export interface CheckpointsReport {
  directory: string;
  jobs: Array<{ jobId: string; jobDir: string; checkpoints: CheckpointEntry[] }>;
  savepoints: SavepointEntry[];
}

const CHK_RE = /^chk-\d+$/;

/**
 * List the checkpoints under `directory` (a checkpoint root holding
 * `<jobId>/chk-<n>`, or one job's directory holding `chk-<n>` directly).
 * @throws WeirError `WEIR_CHECKPOINT_NOT_FOUND` when `directory` is not a directory.
 */
export async function listCheckpoints(directory: string, jobId?: string): Promise<CheckpointsReport> {
  let root = path.resolve(directory);
  const isDir = await stat(root).then((s) => s.isDirectory(), () => false);
  if (!isDir) throw new WeirError('WEIR_CHECKPOINT_NOT_FOUND', `No checkpoint directory at ${root}`, { path: root });
  const entries = await readdir(root, { withFileTypes: true });
  // A --job that names no job here is a typo more often than an empty job: say so (exit 1), naming the jobs there.
  if (jobId !== undefined && !entries.some((e) => e.isDirectory() && (e.name === jobId || e.name.startsWith(`savepoint-${jobId}-`)))) {
    const known = entries.filter((e) => e.isDirectory() && !e.name.startsWith('savepoint-') && !CHK_RE.test(e.name) && e.name !== 'shared').map((e) => e.name);
    throw new WeirError('WEIR_CHECKPOINT_NOT_FOUND', `No checkpoints or savepoints of job '${jobId}' in ${root} (job ids there: ${known.length ? known.join(', ') : 'none'})`, { path: root, jobId, known });
  }
  // Given one job's directory (it holds chk-<n> itself): list that job.
  if (jobId === undefined && entries.some((e) => e.isDirectory() && CHK_RE.test(e.name))) {
    jobId = path.basename(root);
    root = path.dirname(root);
  }
  const jobs: CheckpointsReport['jobs'] = [];
  for (const job of await listJobCheckpoints(root, jobId)) {
    const checkpoints: CheckpointEntry[] = [];
    for (const c of job.checkpoints) {
      const entry: CheckpointEntry = { id: c.id, path: c.path, complete: c.status === 'complete', status: c.status };
      if (c.status === 'complete') {
        const { id: _id, jobId: _jobId, ...described } = await describeMetadata(c.path);
        Object.assign(entry, described, described.problem ? { complete: false, status: 'damaged' } : {});
      }
      else entry.problem = c.problem ?? '_metadata missing (checkpoint incomplete or still in progress)';
      checkpoints.push(entry);
    }
    jobs.push({ jobId: job.jobId, jobDir: job.jobDir, checkpoints });
  }
  const savepoints: SavepointEntry[] = [];
  for (const e of entries.filter((x) => x.isDirectory() && x.name.startsWith('savepoint-')).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const dir = path.join(root, e.name);
    let sp: SavepointEntry;
    try {
      const d = await describeMetadata(dir);
      sp = { path: dir, complete: d.problem === undefined, status: d.problem === undefined ? 'complete' : 'damaged', ...d };
    } catch (err) {
      const code = err instanceof WeirError ? err.code : undefined;
      const problem = err instanceof WeirError ? String(err.details.problem ?? err.message) : (err as Error).message;
      sp = { id: null, jobId: null, path: dir, complete: false, status: code === 'WEIR_CHECKPOINT_CORRUPT' ? 'corrupt' : 'incomplete', problem };
    }
    if (jobId === undefined || sp.jobId === jobId || (sp.jobId === null && e.name.startsWith(`savepoint-${jobId}-`))) savepoints.push(sp);
  }
  return { directory: root, jobs, savepoints };
}

async function describeMetadata(dir: string): Promise<{ id: number; jobId: string } & Omit<CheckpointEntry, 'id' | 'path' | 'complete' | 'status'>> {
  const { metadata: m, rootDir } = await loadCheckpoint(dir, { verify: 'none' });
  const problem = await verifyCheckpointFiles(rootDir, m.files, 'size'); // sizes only: hashing is `weir inspect`'s job
  return {
    id: m.checkpointId, jobId: m.jobId, kind: m.kind, trigger: m.trigger, alignment: m.alignment,
    triggerTimestamp: m.triggerTimestamp, completionTimestamp: m.completionTimestamp,
    bytes: m.files.reduce((s, f) => s + f.bytes, 0), files: m.files.length,
    ...(problem ? { problem } : {}),
  };
}

/** The human-readable listing. */
export function formatCheckpoints(report: CheckpointsReport): string {
  const out: string[] = [];
  const row = (e: CheckpointEntry | SavepointEntry, name: string): string[] => [
    name, e.complete ? 'yes' : 'no', e.status === 'complete' ? `${e.kind}/${e.trigger}` : e.status,
    e.alignment ?? '-', formatTime(e.completionTimestamp), formatBytes(e.bytes), e.files === undefined ? '-' : String(e.files),
  ];
  const header = ['id', 'complete', 'kind', 'alignment', 'completed at', 'size', 'files'];
  if (report.jobs.length === 0 && report.savepoints.length === 0) out.push(`no checkpoints under ${report.directory}`);
  for (const job of report.jobs) {
    out.push(`job ${job.jobId} (${job.jobDir}): ${job.checkpoints.length} checkpoint director${job.checkpoints.length === 1 ? 'y' : 'ies'}`);
    if (job.checkpoints.length > 0) out.push(renderTable(header, job.checkpoints.map((c) => row(c, `chk-${c.id}`))));
    for (const c of job.checkpoints) if (c.problem) out.push(`  chk-${c.id}: ${c.problem}`);
  }
  if (report.savepoints.length > 0) {
    out.push(`savepoints in ${report.directory}:`);
    out.push(renderTable(['directory', ...header.slice(1), 'job', 'id'], report.savepoints.map((s) => [...row(s, path.basename(s.path)), s.jobId ?? '-', s.id === null ? '-' : String(s.id)])));
    for (const s of report.savepoints) if (s.problem) out.push(`  ${path.basename(s.path)}: ${s.problem}`);
  }
  return out.join('\n');
}

/** Run `weir checkpoints`; resolves with the exit code. */
export async function checkpointsCommand(argv: readonly string[]): Promise<number> {
  const args = parseCommandArgs('checkpoints', argv, { job: 'string', json: 'boolean' });
  const [dir] = expectPositionals('checkpoints', args, ['checkpoint-dir']);
  const report = await listCheckpoints(dir!, stringOption(args, 'job'));
  console.log(flagOption(args, 'json') ? JSON.stringify(report, null, 2) : formatCheckpoints(report));
  return 0;
}
