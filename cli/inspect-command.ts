/**
 * `weir inspect <chk-dir|savepoint-dir|_metadata> [--json]`: load a checkpoint
 * or savepoint with `loadCheckpoint` (weir/tools: metadata checksum plus every
 * referenced file's size and sha256) and show what it holds: job, id, kind,
 * times, vertices, per-subtask state and channel-state sizes, files, stats.
 * A missing, incomplete or corrupt one fails with its WeirError (exit 1).
 */
import { WeirError, type CheckpointStats } from '../index.ts';
import { loadCheckpoint, type CheckpointMetadata } from '../tools.ts';
import { expectPositionals, flagOption, parseCommandArgs } from './cli-args.ts';
import { formatBytes, formatMs, formatTime, renderTable } from './cli-format.ts';

/** One subtask's share of a checkpoint. */
export interface InspectedSubtask {
  /** `${vertexId}#${subtask}` */
  id: string;
  vertexId: string;
  subtask: number;
  finished: boolean;
  /** Bytes of the subtask's state files (keyed and operator state). */
  stateBytes: number;
  /** Bytes of its persisted in-flight data (unaligned checkpoints). */
  channelStateBytes: number;
  files: number;
}

/** What `weir inspect --json` prints. */
export interface InspectReport {
  directory: string;
  metadataPath: string;
  /** What the file paths are relative to (the job dir for checkpoints, the savepoint dir for savepoints). */
  rootDir: string;
  jobId: string;
  checkpointId: number;
  kind: 'checkpoint' | 'savepoint';
  trigger: string;
  alignment: string;
  triggerTimestamp: number;
  completionTimestamp: number;
  durationMs: number;
  vertices: Array<{ uid: string; parallelism: number; maxParallelism: number; stateBytes: number; channelStateBytes: number }>;
  subtasks: InspectedSubtask[];
  files: Array<{ path: string; bytes: number; shared: boolean; subtask: string; sha256: string; role: 'state' | 'channel-state' }>;
  totals: { files: number; bytes: number; stateBytes: number; channelStateBytes: number; sharedBytes: number };
  stats: CheckpointStats;
  checksum: string;
}

/** Every string inside a JSON value (file references in opaque state handles). */
function stringsIn(value: unknown, out: Set<string>): Set<string> {
  if (typeof value === 'string') out.add(value);
  else if (Array.isArray(value)) for (const v of value) stringsIn(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) stringsIn(v, out);
  return out;
}

/**
 * Build the report of a loaded checkpoint. A file counts as channel state when
 * the subtask's `channelStateHandles` reference its path; every other file of
 * the subtask is state.
 */
export function inspectMetadata(m: CheckpointMetadata, where: { directory: string; metadataPath: string; rootDir: string }): InspectReport {
  const channelPaths = new Set<string>();
  for (const s of m.subtasks) stringsIn(s.channelStateHandles, channelPaths);
  const files = m.files.map((f) => ({
    path: f.path, bytes: f.bytes, shared: f.shared, subtask: f.subtask, sha256: f.sha256,
    role: (channelPaths.has(f.path) ? 'channel-state' : 'state') as 'state' | 'channel-state',
  }));
  const subtasks: InspectedSubtask[] = m.subtasks
    .map((s) => {
      const id = `${s.vertexId}#${s.subtask}`;
      const own = files.filter((f) => f.subtask === id);
      const sum = (role: string) => own.filter((f) => f.role === role).reduce((n, f) => n + f.bytes, 0);
      return { id, vertexId: s.vertexId, subtask: s.subtask, finished: s.finished, stateBytes: sum('state'), channelStateBytes: sum('channel-state'), files: own.length };
    })
    .sort((a, b) => (a.vertexId === b.vertexId ? a.subtask - b.subtask : a.vertexId < b.vertexId ? -1 : 1));
  const vertices = m.vertices.map((v) => {
    const mine = subtasks.filter((s) => s.vertexId === v.vertexId);
    return {
      uid: v.vertexId, parallelism: v.parallelism, maxParallelism: v.maxParallelism,
      stateBytes: mine.reduce((n, s) => n + s.stateBytes, 0), channelStateBytes: mine.reduce((n, s) => n + s.channelStateBytes, 0),
    };
  });
  const total = (pred: (f: (typeof files)[number]) => boolean) => files.filter(pred).reduce((n, f) => n + f.bytes, 0);
  return {
    ...where,
    jobId: m.jobId, checkpointId: m.checkpointId, kind: m.kind, trigger: m.trigger, alignment: m.alignment,
    triggerTimestamp: m.triggerTimestamp, completionTimestamp: m.completionTimestamp, durationMs: m.completionTimestamp - m.triggerTimestamp,
    vertices, subtasks, files,
    totals: {
      files: files.length, bytes: total(() => true), stateBytes: total((f) => f.role === 'state'),
      channelStateBytes: total((f) => f.role === 'channel-state'), sharedBytes: total((f) => f.shared),
    },
    stats: m.stats,
    checksum: m.checksum,
  };
}

/**
 * Load and verify `target` (a `chk-<n>` or savepoint directory, or its `_metadata`), then report.
 * @throws WeirError `WEIR_CHECKPOINT_NOT_FOUND` | `WEIR_CHECKPOINT_INCOMPLETE` | `WEIR_CHECKPOINT_CORRUPT`.
 */
export async function inspectCheckpoint(target: string): Promise<InspectReport> {
  const { metadata, rootDir, directory, metadataPath } = await loadCheckpoint(target, { verify: 'sha256' });
  return inspectMetadata(metadata, { directory, metadataPath, rootDir });
}

/** The human-readable report. */
export function formatInspect(r: InspectReport): string {
  const st = r.stats;
  const statsBySubtask = new Map((st?.subtasks ?? []).map((s) => [s.id, s]));
  const out = [
    `${r.kind} ${r.checkpointId} of job ${r.jobId} (${r.alignment}, trigger ${r.trigger}) — verified`,
    `  directory   ${r.directory}`,
    `  triggered   ${formatTime(r.triggerTimestamp)}`,
    `  completed   ${formatTime(r.completionTimestamp)} (${r.durationMs} ms)`,
    `  size        ${formatBytes(r.totals.bytes)} in ${r.totals.files} files: state ${formatBytes(r.totals.stateBytes)}, channel state ${formatBytes(r.totals.channelStateBytes)}${r.totals.sharedBytes ? `, shared ${formatBytes(r.totals.sharedBytes)}` : ''}`,
    'vertices',
    renderTable(['uid', 'parallelism', 'max parallelism', 'state', 'channel state'],
      r.vertices.map((v) => [v.uid, String(v.parallelism), String(v.maxParallelism), formatBytes(v.stateBytes), formatBytes(v.channelStateBytes)])),
    'subtasks',
    renderTable(['subtask', 'finished', 'state', 'channel state', 'files', 'sync ms', 'async ms', 'alignment ms', 'unaligned'],
      r.subtasks.map((s) => {
        const x = statsBySubtask.get(s.id);
        return [s.id, s.finished ? 'yes' : 'no', formatBytes(s.stateBytes), formatBytes(s.channelStateBytes), String(s.files),
          formatMs(x?.syncMs), formatMs(x?.asyncMs), formatMs(x?.alignmentMs), x ? (x.unaligned ? 'yes' : 'no') : '-'];
      })),
    'files',
    ...(r.files.length === 0 ? ['  (none)'] : [renderTable(['path', 'bytes', 'role', 'subtask'], r.files.map((f) => [f.path + (f.shared ? ' (shared)' : ''), String(f.bytes), f.role, f.subtask]))]),
  ];
  if (st) {
    out.push('stats',
      `  acknowledged ${st.acknowledged}/${st.total}, duration ${formatMs(st.durationMs)} ms, state ${formatBytes(st.stateBytes)}, checkpointed ${formatBytes(st.checkpointedBytes)}`,
      `  in-flight data persisted ${formatBytes(st.persistedInFlightBytes)}; unaligned subtasks ${st.unalignedSubtasks}`,
      `  max alignment ${formatMs(st.alignmentMs)} ms, max start delay ${formatMs(st.startDelayMs)} ms`);
  }
  return out.join('\n');
}

/** Run `weir inspect`; resolves with the exit code (a load failure throws its WeirError). */
export async function inspectCommand(argv: readonly string[]): Promise<number> {
  const args = parseCommandArgs('inspect', argv, { json: 'boolean' });
  const [target] = expectPositionals('inspect', args, ['chk-dir|savepoint-dir|_metadata']);
  let report: InspectReport;
  try {
    report = await inspectCheckpoint(target!);
  } catch (e) {
    if (e instanceof WeirError) throw e;
    throw new WeirError('WEIR_CHECKPOINT_CORRUPT', `Cannot read checkpoint ${target}: ${(e as Error).message}`, { path: target }, { cause: e });
  }
  console.log(flagOption(args, 'json') ? JSON.stringify(report, null, 2) : formatInspect(report));
  return 0;
}
