/**
 * Keyed-state snapshot files (`*.wks`): one file per full snapshot or delta, canonical and
 * backend-independent.
 *
 * Layout:
 * ```
 *   "WEIRKS01"                          8-byte magic
 *   block(kg a) block(kg b) …          records (snapshot-records.ts) grouped by key group, ascending
 *   footer                              UTF-8 JSON {@link SnapshotFooter} (state table + index)
 *   footerLen u32 BE | "WEIRKEND"       12-byte trailer
 * ```
 * The footer's index gives each non-empty key group's block offset/length, so a restore into a
 * smaller key-group range reads only its blocks. The sha256 of the whole file goes into the
 * handle; readers verify it before trusting any byte.
 */
import { createHash, type Hash } from 'node:crypto';
import fs, { promises as fsp } from 'node:fs';
import { fromExactJson, toExactJson } from '../../common/codec/exact-json.ts';
import { WeirError } from '../../common/weir-error.ts';
import type { StateKind } from '../descriptors.ts';
import type { KeyGroupRange } from '../key-groups.ts';
import { RecordBuffer } from './snapshot-records.ts';

const MAGIC = Buffer.from('WEIRKS01', 'latin1');
const END_MAGIC = Buffer.from('WEIRKEND', 'latin1');
const FLUSH_BYTES = 1 << 20;
/** Files up to this size are fsynced synchronously (a few ms at most); larger ones on the thread pool. */
const SYNC_FSYNC_MAX_BYTES = 8 << 20;

/** One row of the state table: file-local sid → name/kind/TTL. */
export interface SnapshotStateRow {
  sid: number;
  name: string;
  kind: StateKind;
  /** TTL in ms when the state had one (used to drop expired values on restore). */
  ttlMs?: number;
}

/** Index entry of one key group's block. */
export interface SnapshotIndexEntry {
  kg: number;
  offset: number;
  length: number;
  records: number;
}

/** JSON footer of a snapshot file. */
export interface SnapshotFooter {
  /** v2: values in Weir's tagged codec and the footer in exact JSON (v1: msgpack values). */
  format: 'weir-keyed-file-v2';
  kind: 'full' | 'delta';
  backend: 'heap' | 'lmdb';
  checkpointId: number;
  maxParallelism: number;
  keyGroupRange: KeyGroupRange;
  states: SnapshotStateRow[];
  index: SnapshotIndexEntry[];
  records: number;
}

/** Result of writing a file. */
export interface WrittenFile {
  absPath: string;
  bytes: number;
  sha256: string;
}

/** Streams records into a snapshot file, one key group at a time. */
export class SnapshotFileWriter {
  /** Append records of the current key group here. */
  readonly records = new RecordBuffer();
  private readonly hash: Hash = createHash('sha256');
  private flushed = 0;
  private groupStart = -1;
  private groupRecordsStart = 0;
  private groupKg = -1;
  private totalRecords = 0;
  private readonly index: SnapshotIndexEntry[] = [];

  /**
   * Writes are synchronous (at most FLUSH_BYTES each, ~1 ms): every asynchronous file step
   * waits for the worker's event loop, which it shares with the other subtasks of its thread —
   * behind a CPU-bound operator that is a slice of several ms per step, and a snapshot made of
   * a dozen steps took 40–70 ms instead of 4 (bench:checkpoints at 100x, a counter sharing a
   * thread with the slow sink). Large snapshots still yield between key groups (the backend's
   * `snapshotChunkRecords`), and fsync is asynchronous above SYNC_FSYNC_MAX_BYTES.
   */
  private constructor(readonly absPath: string, private fd: number | undefined) {}

  /** Creates the file (fails if it exists) and writes the magic. */
  static async create(absPath: string): Promise<SnapshotFileWriter> {
    const w = new SnapshotFileWriter(absPath, fs.openSync(absPath, 'wx'));
    await w.write(MAGIC);
    return w;
  }

  private async write(chunk: Uint8Array): Promise<void> {
    if (this.fd === undefined) throw new WeirError('WEIR_STATE_WRITE_FAILED', `Snapshot file ${this.absPath} is already closed`);
    this.hash.update(chunk);
    let off = 0;
    while (off < chunk.length) off += fs.writeSync(this.fd, chunk, off, chunk.length - off);
    this.flushed += chunk.length;
  }

  /** Starts the block of key group `kg` (ascending order). */
  beginGroup(kg: number): void {
    if (this.groupKg !== -1) throw new Error(`beginGroup(${kg}) while group ${this.groupKg} is open`);
    if (this.index.length > 0 && this.index[this.index.length - 1]!.kg >= kg) throw new Error(`key groups must ascend (${kg})`);
    this.groupKg = kg;
    this.groupStart = this.flushed + this.records.pos;
    this.groupRecordsStart = this.totalRecords + this.records.count;
  }

  /** Ends the current block; empty blocks leave no index entry. */
  endGroup(): void {
    const length = this.flushed + this.records.pos - this.groupStart;
    const records = this.totalRecords + this.records.count - this.groupRecordsStart;
    if (length > 0) this.index.push({ kg: this.groupKg, offset: this.groupStart, length, records });
    this.groupKg = -1;
  }

  /** Records appended so far (flushed or buffered). */
  get recordsWritten(): number {
    return this.totalRecords + this.records.count;
  }

  /** Buffered bytes not yet written. */
  get buffered(): number {
    return this.records.pos;
  }

  /** Writes buffered records when more than ~1 MB accumulated. */
  async maybeFlush(): Promise<void> {
    if (this.records.pos >= FLUSH_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.records.pos === 0) return;
    const n = this.records.count;
    const chunk = this.records.buf.subarray(0, this.records.pos);
    await this.write(chunk);
    this.totalRecords += n;
    this.records.clear();
  }

  /** Writes footer and trailer, fsyncs, closes. */
  async finish(footer: Omit<SnapshotFooter, 'format' | 'index' | 'records'>): Promise<WrittenFile> {
    if (this.groupKg !== -1) this.endGroup();
    await this.flush();
    const full: SnapshotFooter = { format: 'weir-keyed-file-v2', ...footer, index: this.index, records: this.totalRecords };
    const json = Buffer.from(JSON.stringify(toExactJson(full, 'snapshot footer')), 'utf8');
    const trailer = Buffer.allocUnsafe(12);
    trailer.writeUInt32BE(json.length, 0);
    END_MAGIC.copy(trailer, 4);
    await this.write(Buffer.concat([json, trailer]));
    const fd = this.fd!;
    this.fd = undefined;
    try {
      if (this.flushed <= SYNC_FSYNC_MAX_BYTES) fs.fsyncSync(fd);
      else await new Promise<void>((resolve, reject) => fs.fsync(fd, (e) => (e ? reject(e) : resolve())));
    } finally {
      fs.closeSync(fd);
    }
    return { absPath: this.absPath, bytes: this.flushed, sha256: this.hash.digest('hex') };
  }

  /** Closes and deletes a partially written file (never throws). */
  async discard(): Promise<void> {
    const fd = this.fd;
    this.fd = undefined;
    try {
      if (fd !== undefined) fs.closeSync(fd);
    } catch {
      /* already closed */
    }
    await fsp.rm(this.absPath, { force: true }).catch(() => undefined);
  }
}

function corrupt(file: string, why: string): WeirError {
  return new WeirError('WEIR_STATE_CORRUPT', `Keyed-state snapshot file ${file} is corrupt: ${why}`, { file, why });
}

/** Reads a snapshot file after verifying its size and sha256. */
export class SnapshotFileReader {
  private constructor(
    readonly absPath: string,
    private readonly fh: fsp.FileHandle,
    readonly footer: SnapshotFooter,
  ) {}

  /**
   * Opens `absPath`; when `expect` is given, checks the byte size and sha256 first
   * (`WEIR_STATE_CORRUPT` naming the file on mismatch, `WEIR_STATE_MISSING` if absent).
   */
  static async open(absPath: string, expect?: { bytes: number; sha256: string }): Promise<SnapshotFileReader> {
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(absPath, 'r');
    } catch (cause) {
      throw new WeirError('WEIR_STATE_MISSING', `Keyed-state snapshot file ${absPath} cannot be opened: ${(cause as Error).message}`, { file: absPath }, { cause });
    }
    try {
      const size = (await fh.stat()).size;
      if (expect) {
        if (size !== expect.bytes) throw corrupt(absPath, `size is ${size} bytes, the handle says ${expect.bytes}`);
        const hash = createHash('sha256');
        const chunk = Buffer.allocUnsafe(Math.min(size, 4 << 20) || 1);
        for (let off = 0; off < size; ) {
          const { bytesRead } = await fh.read(chunk, 0, Math.min(chunk.length, size - off), off);
          if (bytesRead === 0) throw corrupt(absPath, 'unexpected end of file');
          hash.update(chunk.subarray(0, bytesRead));
          off += bytesRead;
        }
        const digest = hash.digest('hex');
        if (digest !== expect.sha256) throw corrupt(absPath, `sha256 ${digest} does not match the handle's ${expect.sha256}`);
      }
      if (size < MAGIC.length + 12) throw corrupt(absPath, 'too short');
      const head = Buffer.alloc(8);
      await fh.read(head, 0, 8, 0);
      if (!head.equals(MAGIC)) throw corrupt(absPath, 'bad magic');
      const trailer = Buffer.alloc(12);
      await fh.read(trailer, 0, 12, size - 12);
      if (!trailer.subarray(4).equals(END_MAGIC)) throw corrupt(absPath, 'bad trailer');
      const footerLen = trailer.readUInt32BE(0);
      if (footerLen > size - 20) throw corrupt(absPath, 'bad footer length');
      const json = Buffer.alloc(footerLen);
      await fh.read(json, 0, footerLen, size - 12 - footerLen);
      let footer: SnapshotFooter;
      try {
        footer = fromExactJson(JSON.parse(json.toString('utf8'))) as SnapshotFooter;
      } catch {
        throw corrupt(absPath, 'footer is not JSON');
      }
      if (footer.format !== 'weir-keyed-file-v2') throw corrupt(absPath, `unknown format ${String(footer.format)}`);
      return new SnapshotFileReader(absPath, fh, footer);
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
  }

  /** Reads the block of one index entry. */
  async readBlock(entry: SnapshotIndexEntry): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(entry.length);
    let off = 0;
    while (off < entry.length) {
      const { bytesRead } = await this.fh.read(buf, off, entry.length - off, entry.offset + off);
      if (bytesRead === 0) throw corrupt(this.absPath, `block of key group ${entry.kg} is truncated`);
      off += bytesRead;
    }
    return buf;
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }
}
