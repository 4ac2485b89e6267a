/**
 * An exactly-once file sink (JSON Lines or CSV) on the two-phase-commit base.
 *
 * One transaction = one file. Its life, as names in `directory` (dot-files are
 * invisible to readers; only committed transactions ever get a visible name):
 *
 *   beginTransaction   nothing on disk yet (an empty transaction never creates a file)
 *   first invoke       .<instance>-<seq>.inprogress      created exclusively ('wx'); CSV: header line
 *   invoke             appended through a 64 KiB string buffer with fs.writeSync
 *   preCommit          flush, fsync, close, rename → .<instance>-<seq>.pending, fsync the directory
 *   commit             rename → <instance>-<seq>.<jsonl|csv> (atomic), fsync the directory.
 *                      Idempotent: pending gone + final present = already committed.
 *   abort              delete the in-progress and pending files
 *   recoverAndAbort    abort, plus every dot-file of the same instance with a later
 *                      seq (transactions begun after the restored checkpoint)
 *   first begin        delete the dot-files of every other instance in the recovery scope — the
 *                      old subtasks restored here, or (fresh start) this subtask index: no completed
 *                      checkpoint covers them (the covered ones were just committed). What a failed
 *                      attempt pre-committed before any checkpoint completed was left behind.
 *   not its own        a restored transaction of another directory or prefix (a job branched from
 *                      a savepoint of one that keeps running) is committed if pre-committed, never
 *                      aborted or cleaned up: those files are the other job's.
 *
 *   <instance> = <prefix>-<uid>-<subtask>-<attempt>-<nonce>, <seq> = 6+ digits.
 *
 * Why rename at preCommit rather than "keep the in-progress file and record its
 * size": a pending file is complete and closed, so commit is a single rename
 * and recovery never truncates. Why a random nonce per instance: a new run of
 * the job (attempt numbers restart) writing into the same directory must never
 * meet an old final file of the same name — commit would take it for "already
 * committed" and lose the new data.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { TaskInfo } from '../../api/functions.ts';
import { WeirError, preview } from '../../../common/weir-error.ts';
import { RuntimeErrorCode, invalidArgument } from '../../errors.ts';
import { RecordLines } from './record-lines.ts';
import { twoPhaseCommitSink, type TwoPhaseCommitSink, type TwoPhaseCommitSinkDefinition } from './two-phase-commit-sink.ts';

/** Options of {@link exactlyOnceFileSink}. */
export interface ExactlyOnceFileSinkOptions {
  /** Where committed files appear (created if missing). */
  readonly directory: string;
  readonly format: 'jsonl' | 'csv';
  /**
   * CSV only: the fields written, in this order (other fields of a record are ignored).
   * Default: the keys of the first record a subtask writes; a later record with another
   * field is then an error.
   */
  readonly columns?: readonly string[];
  /** File name prefix. Default 'part'. */
  readonly prefix?: string;
}

/** A file transaction's handle (JSON, stored in checkpoints). Names are relative to `directory`. */
export interface FileTransaction {
  readonly directory: string;
  /** `<prefix>-<uid>-<subtask>-<attempt>-<nonce>`: unique per subtask instance. */
  readonly instance: string;
  readonly seq: number;
  readonly extension: 'jsonl' | 'csv';
  /** Records written (0 = no file exists). */
  records: number;
}

const BUFFER_CHARS = 64 * 1024;
/** `-<attempt>-<nonce>` at the end of an instance name (what follows `<prefix>-<uid>-<subtask>`). */
const INSTANCE_TAIL = /-\d+-[0-9a-f]{8}$/;
/** A transaction's dot-file: `.<instance>-<seq>.inprogress|pending` (group 1: the instance). */
const DOT_FILE = /^\.(.+-\d+-[0-9a-f]{8})-\d+\.(?:inprogress|pending)$/;
const SEQ_DIGITS = 6;

/** File names of a transaction. */
export function fileTransactionNames(t: FileTransaction): { inProgress: string; pending: string; final: string } {
  const base = `${t.instance}-${String(t.seq).padStart(SEQ_DIGITS, '0')}`;
  return { inProgress: `.${base}.inprogress`, pending: `.${base}.pending`, final: `${base}.${t.extension}` };
}

/**
 * An exactly-once file sink for `stream.sinkTo()`: records become visible in
 * `directory` only when the checkpoint that covers them completes (or at the end
 * of a job without checkpointing). Call it inside the job's build function.
 *
 * JSON Lines: one `JSON.stringify` per line. CSV (RFC 4180): a header line per
 * file, CRLF line ends, fields quoted when they hold a comma, quote, CR or LF;
 * `null` is an empty field, `""` an empty string; numbers, booleans and bigints
 * as text, a Date as ISO 8601. A missing field or a nested object/array fails
 * the job with `WEIR_SINK_INVALID_RECORD` naming the operator, subtask, column and record.
 */
export function exactlyOnceFileSink<T = unknown>(options: ExactlyOnceFileSinkOptions): TwoPhaseCommitSinkDefinition<T, FileTransaction> {
  const o = validateOptions(options);
  return twoPhaseCommitSink<T, FileTransaction>(`ExactlyOnceFileSink(${o.format})`, (info) => new ExactlyOnceFileWriter<T>(o, info));
}

function validateOptions(options: ExactlyOnceFileSinkOptions): Required<Omit<ExactlyOnceFileSinkOptions, 'columns'>> & { columns: readonly string[] | undefined } {
  if (!options || typeof options !== 'object') throw invalidArgument('exactlyOnceFileSink: expected options { directory, format }');
  const { directory, format, columns, prefix = 'part' } = options;
  if (typeof directory !== 'string' || directory.length === 0) throw invalidArgument('exactlyOnceFileSink: directory must be a non-empty string', { option: 'directory' });
  if (format !== 'jsonl' && format !== 'csv') throw invalidArgument(`exactlyOnceFileSink: format must be 'jsonl' or 'csv', got '${String(format)}'`, { option: 'format' });
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(prefix)) {
    throw invalidArgument(`exactlyOnceFileSink: prefix '${String(prefix)}' must be letters, digits, '.', '_' or '-', not starting with '.' or '-'`, { option: 'prefix' });
  }
  if (columns !== undefined) {
    if (format !== 'csv') throw invalidArgument('exactlyOnceFileSink: columns only apply to format csv', { option: 'columns' });
    if (!Array.isArray(columns) || columns.length === 0 || !columns.every((c) => typeof c === 'string' && c.length > 0)) {
      throw invalidArgument('exactlyOnceFileSink: columns must be a non-empty array of non-empty strings', { option: 'columns' });
    }
    if (new Set(columns).size !== columns.length) throw invalidArgument(`exactlyOnceFileSink: columns contain a duplicate: ${columns.join(', ')}`, { option: 'columns' });
  }
  return { directory, format, columns: columns ? [...columns] : undefined, prefix };
}

interface OpenFile {
  fd: number;
  chunks: string[];
  size: number;
}

/** One subtask's writer (the `TwoPhaseCommitSink` implementation). */
class ExactlyOnceFileWriter<T> implements TwoPhaseCommitSink<T, FileTransaction> {
  private readonly directory: string;
  private readonly instance: string;
  private seq = 0;
  private readonly lines: RecordLines;
  private readonly files = new Map<FileTransaction, OpenFile>();
  private directoryReady = false;
  /** `<prefix>-<uid>-<subtask>` of the old subtasks whose transactions were restored here, by directory. */
  private readonly restoredScopes = new Map<string, Set<string>>();
  private cleanedUp = false;

  constructor(private readonly o: ReturnType<typeof validateOptions>, private readonly info: TaskInfo) {
    this.directory = path.resolve(o.directory);
    this.instance = `${o.prefix}-${info.uid}-${info.subtask}-${info.attempt}-${randomBytes(4).toString('hex')}`;
    this.lines = new RecordLines(o.format, o.columns, (record, what, details) => this.badRecord(record, what, details));
  }

  beginTransaction(): FileTransaction {
    if (!this.cleanedUp) this.deleteUncovered();
    return { directory: this.directory, instance: this.instance, seq: this.seq++, extension: this.o.format, records: 0 };
  }

  invoke(txn: FileTransaction, value: T): void {
    const line = this.lines.line(value);
    let f = this.files.get(txn);
    if (!f) f = this.openFile(txn);
    f.chunks.push(line);
    f.size += line.length;
    txn.records++;
    if (f.size >= BUFFER_CHARS) this.flush(txn, f);
  }

  preCommit(txn: FileTransaction): void {
    if (txn.records === 0) return;
    const f = this.files.get(txn);
    const { inProgress, pending } = fileTransactionNames(txn);
    if (!f) throw this.ioError('pre-commit', inProgress, new Error('the transaction has no open file (pre-committed twice?)'));
    this.flush(txn, f);
    this.io('pre-commit (fsync)', inProgress, () => fs.fsyncSync(f.fd));
    this.files.delete(txn);
    this.io('pre-commit (close)', inProgress, () => fs.closeSync(f.fd));
    this.io('pre-commit (rename)', inProgress, () => fs.renameSync(this.at(txn, inProgress), this.at(txn, pending)));
    this.syncDirectory(txn.directory);
  }

  commit(txn: FileTransaction): void {
    if (txn.records === 0) return;
    const { pending, final } = fileTransactionNames(txn);
    try {
      fs.renameSync(this.at(txn, pending), this.at(txn, final));
    } catch (e) {
      // Already committed (a repeated commit after restore, or another subtask recovering the same state)?
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && fs.existsSync(this.at(txn, final))) return;
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        throw this.ioError('commit', pending, new Error(`neither ${pending} nor ${final} exists in ${txn.directory}: the pre-committed data is lost`));
      }
      throw this.ioError('commit', pending, e);
    }
    this.syncDirectory(txn.directory);
  }

  abort(txn: FileTransaction): void {
    const f = this.files.get(txn);
    if (f) {
      this.files.delete(txn);
      try {
        fs.closeSync(f.fd);
      } catch { /* already closed: nothing to release */ }
    }
    const { inProgress, pending } = fileTransactionNames(txn);
    this.unlinkIfExists(txn.directory, inProgress);
    this.unlinkIfExists(txn.directory, pending);
  }

  recoverAndCommit(txn: FileTransaction): void {
    if (this.owns(txn)) this.noteRestored(txn);
    this.commit(txn);
  }

  recoverAndAbort(txn: FileTransaction): void {
    // A transaction of another directory or prefix is another job's (a branch restored from a
    // savepoint while the original keeps writing): its files are left alone, its records replayed here.
    if (!this.owns(txn)) return;
    this.noteRestored(txn);
    this.abort(txn);
    // Transactions the old instance began after this one (after the restored checkpoint) were never
    // committed: their records will be replayed. Delete their dot-files.
    let names: string[];
    try {
      names = fs.readdirSync(txn.directory);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw this.ioError('recover (list directory)', txn.directory, e);
    }
    const head = `.${txn.instance}-`;
    for (const name of names) {
      if (!name.startsWith(head)) continue;
      const m = /^(\d+)\.(inprogress|pending)$/.exec(name.slice(head.length));
      if (m && Number(m[1]) >= txn.seq) this.unlinkIfExists(txn.directory, name);
    }
  }

  close(): void {
    for (const [txn] of this.files) this.abort(txn);
  }

  /** Whether a restored transaction is this sink's own line of files: same directory, same `<prefix>-<uid>-`. */
  private owns(txn: FileTransaction): boolean {
    return txn.directory === this.directory && txn.instance.startsWith(`${this.o.prefix}-${this.info.uid}-`);
  }

  private noteRestored(txn: FileTransaction): void {
    const scope = INSTANCE_TAIL.exec(txn.instance) ? txn.instance.replace(INSTANCE_TAIL, '') : undefined;
    if (scope === undefined) return;
    let scopes = this.restoredScopes.get(txn.directory);
    if (!scopes) this.restoredScopes.set(txn.directory, (scopes = new Set()));
    scopes.add(scope);
  }

  /** Deletes the dot-files of other instances in the recovery scope (see the header). */
  private deleteUncovered(): void {
    this.cleanedUp = true;
    const scopes = this.restoredScopes.size > 0 ? this.restoredScopes : new Map([[this.directory, new Set([this.instance.replace(INSTANCE_TAIL, '')])]]);
    for (const [directory, heads] of scopes) {
      let names: string[];
      try {
        names = fs.readdirSync(directory);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw this.ioError('clean up (list directory)', directory, e);
      }
      for (const name of names) {
        const m = DOT_FILE.exec(name);
        if (!m || m[1] === this.instance || !heads.has(m[1]!.replace(INSTANCE_TAIL, ''))) continue;
        this.unlinkIfExists(directory, name);
      }
    }
  }

  // ---- files ----

  private openFile(txn: FileTransaction): OpenFile {
    const { inProgress } = fileTransactionNames(txn);
    if (!this.directoryReady) {
      this.io('create directory', txn.directory, () => fs.mkdirSync(txn.directory, { recursive: true }));
      this.directoryReady = true;
    }
    const fd = this.io('open', inProgress, () => fs.openSync(this.at(txn, inProgress), 'wx'));
    const f: OpenFile = { fd, chunks: [], size: 0 };
    this.files.set(txn, f);
    if (this.o.format === 'csv') {
      const header = this.lines.csvHeader();
      f.chunks.push(header);
      f.size += header.length;
    }
    return f;
  }

  private flush(txn: FileTransaction, f: OpenFile): void {
    if (f.chunks.length === 0) return;
    const text = f.chunks.join('');
    f.chunks = [];
    f.size = 0;
    const bytes = Buffer.from(text, 'utf8');
    this.io('write', fileTransactionNames(txn).inProgress, () => {
      for (let off = 0; off < bytes.length;) off += fs.writeSync(f.fd, bytes, off);
    });
  }

  private syncDirectory(directory: string): void {
    // Makes the rename durable: without it a crash could forget the new name.
    let fd: number | undefined;
    try {
      fd = fs.openSync(directory, 'r');
      fs.fsyncSync(fd);
    } catch (e) {
      // Some platforms cannot fsync a directory (EISDIR/EINVAL/EPERM); the rename itself succeeded.
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM') throw this.ioError('fsync directory', directory, e);
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  private unlinkIfExists(directory: string, name: string): void {
    try {
      fs.unlinkSync(path.join(directory, name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw this.ioError('delete', name, e);
    }
  }

  private at(txn: FileTransaction, name: string): string {
    return path.join(txn.directory, name);
  }

  private io<R>(step: string, file: string, fn: () => R): R {
    try {
      return fn();
    } catch (e) {
      throw this.ioError(step, file, e);
    }
  }

  private ioError(step: string, file: string, cause: unknown): WeirError {
    const i = this.info;
    return new WeirError(
      RuntimeErrorCode.SINK_FAILED,
      `exactly-once file sink '${i.operatorName}' (uid ${i.uid}, subtask ${i.subtask + 1}/${i.parallelism}): ${step} of ${file} failed: ${(cause as Error)?.message ?? String(cause)}`,
      { operator: i.operatorName, uid: i.uid, subtask: i.subtask, step, file },
      { cause },
    );
  }

  private badRecord(record: unknown, what: string, details: Record<string, unknown>): WeirError {
    const i = this.info;
    return new WeirError(
      RuntimeErrorCode.SINK_INVALID_RECORD, // deterministic: a restart would meet the record again
      `exactly-once ${this.o.format.toUpperCase()} sink '${i.operatorName}' (uid ${i.uid}, subtask ${i.subtask + 1}/${i.parallelism}): record ${preview(record)} ${what}`,
      { operator: i.operatorName, uid: i.uid, subtask: i.subtask, record: preview(record), ...details },
    );
  }
}

export { csvField } from './record-lines.ts';
