/**
 * The `_metadata` format of a checkpoint or savepoint, its (de)serialization
 * and validation.
 *
 * File layout (UTF-8 JSON, pretty-printed):
 * ```
 * { "formatVersion": 1, "jobId", "checkpointId", "kind", "trigger", "alignment",
 *   "triggerTimestamp", "completionTimestamp",
 *   "vertices": [{ vertexId, parallelism, maxParallelism, operators, inputs, outputs }],
 *   "subtasks": [{ vertexId, subtask, finished, stateHandles, channelStateHandles }],
 *   "files":    [{ path, bytes, sha256, shared, subtask }],   // paths relative to the root dir
 *   "stats":    { …CheckpointStats of this checkpoint… },
 *   "checksum": "sha256:<hex>" }                               // over everything else
 * ```
 * The checksum is the sha256 of the canonical JSON (keys sorted, no
 * whitespace) of every field except `checksum`, so re-indenting the file
 * keeps it valid but any change of content does not.
 *
 * Every value is written as exact JSON (common/codec/exact-json.ts): operator
 * state such as a source split's `end: Infinity`, a bigint offset or a Date in a
 * sink's transaction handle reads back identical (format 1 wrote plain JSON,
 * which turned `Infinity` into `null`; format 1 also stored keyed-state values
 * with msgpack, so format-1 checkpoints are refused, not misread).
 *
 * Root dir (what file paths are relative to): for a checkpoint the job dir
 * `<dir>/<jobId>/` (so `chk-7/…` and `shared/…`); for a savepoint the
 * savepoint dir itself (self-contained and relocatable).
 */
import { createHash } from 'node:crypto';
import { fromExactJson, toExactJson } from '../../common/codec/exact-json.ts';
import { WeirError } from '../../common/weir-error.ts';
import type { CheckpointStats } from './checkpoint-stats.ts';
import type { BarrierAlignment } from '../io/stream-elements.ts';

/** The `_metadata` format version this code writes and reads. */
export const METADATA_FORMAT_VERSION = 2;
/** File name of a checkpoint's metadata (its presence marks the checkpoint complete). */
export const METADATA_FILE_NAME = '_metadata';

/** Identity of one subtask; printed as `${vertexId}#${subtask}`. */
export interface SubtaskKey {
  vertexId: string;
  subtask: number;
}

/** `${vertexId}#${subtask}` */
export function subtaskId(key: SubtaskKey): string {
  return `${key.vertexId}#${key.subtask}`;
}

/** A file a subtask wrote or references for a checkpoint, relative to the root dir. */
export interface CheckpointFile {
  path: string;
  bytes: number;
  /** Lower-case hex sha256 of the file's content. */
  sha256: string;
  /** Lives in `shared/` and is ref-counted across incremental checkpoints. */
  shared: boolean;
}

/** A file entry in `_metadata`: a {@link CheckpointFile} plus the subtask that reported it. */
export interface MetadataFile extends CheckpointFile {
  subtask: string;
}

/** A job vertex as recorded in `_metadata` (uid, parallelism and max parallelism at checkpoint time). */
export interface VertexInfo {
  vertexId: string;
  parallelism: number;
  maxParallelism: number;
  /** The chain's operator uids, in order (absent in checkpoints written before Weir recorded it). */
  operators?: string[];
  /** Per input edge: the JSON of `[upstream vertex id, partitioning, side-output tag | null]` (recovery/vertex-topology.ts). */
  inputs?: string[];
  /** Per output edge: the same, with the downstream vertex id. */
  outputs?: string[];
}

/** The state handles one subtask reported (opaque JSON owned by the state layer). */
export interface SubtaskState {
  vertexId: string;
  subtask: number;
  /** The subtask had finished; it acknowledged with empty state. */
  finished: boolean;
  stateHandles: unknown;
  channelStateHandles: unknown;
}

/** Everything in `_metadata` except the checksum. */
export interface CheckpointMetadataBody {
  formatVersion: typeof METADATA_FORMAT_VERSION;
  jobId: string;
  checkpointId: number;
  kind: 'checkpoint' | 'savepoint';
  /** Why it was triggered: periodic | manual | final | savepoint. */
  trigger: string;
  alignment: BarrierAlignment;
  triggerTimestamp: number;
  completionTimestamp: number;
  vertices: VertexInfo[];
  subtasks: SubtaskState[];
  files: MetadataFile[];
  stats: CheckpointStats;
}

/** A parsed and verified `_metadata`. */
export interface CheckpointMetadata extends CheckpointMetadataBody {
  /** `sha256:<hex>` of the canonical JSON of the body. */
  checksum: string;
}

/** What the coordinator hands to `finalize` once every subtask acknowledged. */
export interface CompletedCheckpointDraft extends Omit<CheckpointMetadataBody, 'formatVersion'> {
  /** For savepoints: the full savepoint directory (`<savepointDir>/savepoint-<job>-<id>`) chosen by the caller. */
  targetDirectory?: string;
}

/** A checkpoint whose `_metadata` is durable. */
export interface CompletedCheckpoint {
  jobId: string;
  checkpointId: number;
  kind: 'checkpoint' | 'savepoint';
  triggerTimestamp: number;
  completionTimestamp: number;
  /** Absolute path of the `_metadata` file. */
  metadataPath: string;
  /** The directory to restore from (`chk-<n>` or the savepoint dir). */
  directory: string;
  metadata: CheckpointMetadata;
}

/** The `_metadata` body of a draft. */
export function metadataBodyFromDraft(draft: CompletedCheckpointDraft): CheckpointMetadataBody {
  return {
    formatVersion: METADATA_FORMAT_VERSION,
    jobId: draft.jobId, checkpointId: draft.checkpointId, kind: draft.kind, trigger: draft.trigger,
    alignment: draft.alignment, triggerTimestamp: draft.triggerTimestamp, completionTimestamp: draft.completionTimestamp,
    vertices: draft.vertices, subtasks: draft.subtasks, files: draft.files, stats: draft.stats,
  };
}

/** JSON with object keys sorted at every level and no whitespace (what the checksum covers). */
export function canonicalJson(value: unknown): string {
  const normalized: unknown = JSON.parse(JSON.stringify(value) ?? 'null');
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) Object.defineProperty(out, k, { value: sort((v as Record<string, unknown>)[k]), enumerable: true, writable: true, configurable: true });
      return out;
    }
    return v;
  };
  return JSON.stringify(sort(normalized));
}

/** `sha256:<hex>` over the canonical JSON of the body (a `checksum` field, if present, is excluded). */
export function computeMetadataChecksum(body: CheckpointMetadataBody | CheckpointMetadata): string {
  const { checksum: _ignored, ...rest } = body as CheckpointMetadata;
  return `sha256:${createHash('sha256').update(canonicalJson(rest)).digest('hex')}`;
}

/**
 * Validate a body, add its checksum, and produce the `_metadata` text.
 * @throws WeirError `WEIR_INVALID_CHECKPOINT_METADATA` naming the problem.
 */
export function sealMetadata(body: CheckpointMetadataBody): { metadata: CheckpointMetadata; text: string } {
  const { checksum: _ignored, ...rest } = body as CheckpointMetadata;
  let encoded: CheckpointMetadataBody;
  try {
    encoded = toExactJson(rest, `checkpoint ${rest.checkpointId} metadata`) as unknown as CheckpointMetadataBody;
  } catch (e) {
    const problem = (e as Error).message;
    throw new WeirError('WEIR_INVALID_CHECKPOINT_METADATA', `Cannot write checkpoint ${rest.checkpointId} metadata: ${problem}`, { checkpointId: rest.checkpointId, problem }, { cause: e });
  }
  const problem = encoded.formatVersion === METADATA_FORMAT_VERSION ? validateMetadataBody(encoded) : `formatVersion must be ${METADATA_FORMAT_VERSION}`;
  if (problem) {
    throw new WeirError('WEIR_INVALID_CHECKPOINT_METADATA', `Cannot write checkpoint ${rest.checkpointId} metadata: ${problem}`, { checkpointId: rest.checkpointId, problem });
  }
  const checksum = computeMetadataChecksum(encoded);
  // The in-memory copy is what a failover in this process restores from: the decoded file
  // content, so it is exactly what a restore in another process would read.
  const metadata: CheckpointMetadata = { ...(fromExactJson(encoded) as CheckpointMetadataBody), checksum };
  return { metadata, text: `${JSON.stringify({ ...encoded, checksum }, null, 2)}\n` };
}

/** Serialize a body to the text of a `_metadata` file (validated first). */
export function serializeMetadata(body: CheckpointMetadataBody): string {
  return sealMetadata(body).text;
}

/**
 * Parse and verify the text of a `_metadata` file.
 * @param source the path, for error messages
 * @throws WeirError `WEIR_CHECKPOINT_CORRUPT` (details: `{ path, problem }`) for invalid JSON
 *   (e.g. truncated), an unsupported `formatVersion`, a checksum mismatch or a malformed body.
 */
export function parseMetadata(text: string, source: string): CheckpointMetadata {
  const corrupt = (problem: string): WeirError =>
    new WeirError('WEIR_CHECKPOINT_CORRUPT', `Checkpoint metadata ${source} is corrupt: ${problem}`, { path: source, problem });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw corrupt(`not valid JSON (${(e as Error).message}); the file may be truncated`);
  }
  if (!isObject(parsed)) throw corrupt('not a JSON object');
  if (parsed.formatVersion !== METADATA_FORMAT_VERSION) {
    const older = typeof parsed.formatVersion === 'number' && parsed.formatVersion < METADATA_FORMAT_VERSION ? '; it was written by an earlier Weir whose state encoding this one does not read' : '';
    throw corrupt(`unsupported formatVersion ${JSON.stringify(parsed.formatVersion)} (this Weir reads ${METADATA_FORMAT_VERSION})${older}`);
  }
  if (typeof parsed.checksum !== 'string') throw corrupt('missing checksum');
  const actual = computeMetadataChecksum(parsed as unknown as CheckpointMetadata);
  if (actual !== parsed.checksum) throw corrupt(`checksum mismatch (recorded ${parsed.checksum}, computed ${actual})`);
  const problem = validateMetadataBody(parsed);
  if (problem) throw corrupt(problem);
  const { checksum, ...body } = parsed;
  let decoded: CheckpointMetadataBody;
  try {
    decoded = fromExactJson(body, 'metadata') as CheckpointMetadataBody;
  } catch (e) {
    throw corrupt((e as Error).message);
  }
  return { ...decoded, checksum: checksum as string };
}

/** Build the in-memory completed checkpoint for metadata found at `metadataPath`. */
export function completedCheckpointFromMetadata(metadata: CheckpointMetadata, metadataPath: string, directory: string): CompletedCheckpoint {
  return {
    jobId: metadata.jobId, checkpointId: metadata.checkpointId, kind: metadata.kind,
    triggerTimestamp: metadata.triggerTimestamp, completionTimestamp: metadata.completionTimestamp,
    metadataPath, directory, metadata,
  };
}

/** Whether a recorded file path stays inside its root dir (relative, `/`-separated, no `..`). */
export function isSafeRelativePath(p: string): boolean {
  if (p === '' || p.startsWith('/') || p.includes('\\') || p.includes('\0')) return false;
  return p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const isNonNegInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isFiniteNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Structural validation of a body; returns the first problem or undefined. */
export function validateMetadataBody(b: Record<string, unknown> | CheckpointMetadataBody): string | undefined {
  const m = b as Record<string, unknown>;
  if (typeof m.jobId !== 'string' || m.jobId === '') return 'jobId must be a non-empty string';
  if (!isNonNegInt(m.checkpointId)) return 'checkpointId must be a non-negative integer';
  if (m.kind !== 'checkpoint' && m.kind !== 'savepoint') return `kind must be 'checkpoint' or 'savepoint'`;
  if (typeof m.trigger !== 'string') return 'trigger must be a string';
  if (m.alignment !== 'aligned' && m.alignment !== 'unaligned' && m.alignment !== 'aligned-with-timeout') return 'alignment is not a known barrier alignment';
  if (!isFiniteNum(m.triggerTimestamp) || !isFiniteNum(m.completionTimestamp)) return 'timestamps must be numbers';
  if (!Array.isArray(m.vertices)) return 'vertices must be an array';
  const vertexIds = new Set<string>();
  for (const v of m.vertices as unknown[]) {
    if (!isObject(v) || typeof v.vertexId !== 'string' || !isNonNegInt(v.parallelism) || v.parallelism < 1 || !isNonNegInt(v.maxParallelism) || v.maxParallelism < v.parallelism) {
      return `malformed vertex entry ${JSON.stringify(v)}`;
    }
    for (const field of ['operators', 'inputs', 'outputs'] as const) {
      const list = v[field];
      if (list !== undefined && !(Array.isArray(list) && list.every((x) => typeof x === 'string'))) return `vertex ${v.vertexId}: ${field} must be an array of strings`;
    }
    if (vertexIds.has(v.vertexId)) return `duplicate vertex ${v.vertexId}`;
    vertexIds.add(v.vertexId);
  }
  if (!Array.isArray(m.subtasks)) return 'subtasks must be an array';
  const seen = new Set<string>();
  for (const s of m.subtasks as unknown[]) {
    if (!isObject(s) || typeof s.vertexId !== 'string' || !isNonNegInt(s.subtask) || typeof s.finished !== 'boolean') {
      return `malformed subtask entry ${JSON.stringify(s)?.slice(0, 120)}`;
    }
    if (!vertexIds.has(s.vertexId)) return `subtask ${s.vertexId}#${s.subtask} belongs to no listed vertex`;
    const id = `${s.vertexId}#${s.subtask}`;
    if (seen.has(id)) return `duplicate subtask ${id}`;
    seen.add(id);
  }
  if (!Array.isArray(m.files)) return 'files must be an array';
  const paths = new Set<string>();
  for (const f of m.files as unknown[]) {
    if (!isObject(f) || typeof f.path !== 'string' || !isNonNegInt(f.bytes) || typeof f.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(f.sha256) || typeof f.shared !== 'boolean') {
      return `malformed file entry ${JSON.stringify(f)?.slice(0, 160)}`;
    }
    if (!isSafeRelativePath(f.path)) return `file path ${JSON.stringify(f.path)} escapes the checkpoint root`;
    if (m.kind === 'savepoint' && f.shared) return `savepoint file ${f.path} is marked shared (savepoints are self-contained)`;
    if (paths.has(f.path)) return `duplicate file ${f.path}`;
    paths.add(f.path);
  }
  if (!isObject(m.stats)) return 'stats must be an object';
  return undefined;
}
