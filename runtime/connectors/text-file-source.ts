/**
 * `env.readTextFile(path, { format })`, written on the public Source API: lines, or JSON Lines
 * parsed into values, read in parallel from byte ranges of the file (Flink's FileSource with a
 * splittable line format; Hadoop's line record reader rule).
 *
 * Splits: `createSplits` (main thread) cuts the file into min(parallelism, size / minSplitBytes)
 * byte ranges [start, end). A range owns the lines whose first byte lies in it: its reader skips
 * the partial line it starts in (unless the byte before `start` is a newline) and reads its last
 * line past `end`. Position: `next`, the byte where the next line to emit starts (`aligned`:
 * whether `next` is known to be a line start), so a restore — at any parallelism — resumes at the
 * next line. Lines come in file order within a range; ranges are read side by side (set the
 * source's parallelism to 1 for file order).
 *
 * A final line without a trailing newline is emitted; `\r\n` is accepted; empty lines are skipped
 * in JSONL mode. Reads are synchronous 64 KiB chunks (local files: a read is shorter than one
 * record batch's processing).
 */
import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { Source, SourcePoll, SourceSplitReader, SplitReaderContext } from '../api/source-api.ts';
import { WeirError } from '../../common/weir-error.ts';
import { RuntimeErrorCode } from '../errors.ts';

/** A byte range of the file and the position in it. */
export interface TextFileSplit {
  start: number;
  end: number;
  /** Where the next line to emit starts (once `aligned`), else where to look for it. */
  next: number;
  aligned: boolean;
}

export interface TextFileOptions {
  format: 'lines' | 'jsonl';
  /** Ranges are at least this long (smaller files are read by one subtask). Default 1 MiB. */
  minSplitBytes: number;
}

const CHUNK = 64 * 1024;
const NL = 10;

function sourceError(operator: string, path: string, message: string, cause?: unknown): WeirError {
  return new WeirError(RuntimeErrorCode.SOURCE_FAILED, `file source '${operator}' (${path}): ${message}`, { operator, path }, cause === undefined ? undefined : { cause });
}

export function textFileSource<T = string>(path: string, options: TextFileOptions): Source<T, TextFileSplit> {
  return {
    boundedness: 'bounded',
    createSplits({ parallelism }) {
      let size: number;
      try {
        size = fs.statSync(path).size;
      } catch (e) {
        throw new Error(`cannot open: ${(e as Error).message}`, { cause: e }); // named by the caller (job/source-splits.ts)
      }
      const n = Math.max(1, Math.min(parallelism, Math.floor(size / options.minSplitBytes)));
      return Array.from({ length: n }, (_, i) => {
        const start = Math.floor((size * i) / n);
        return { start, end: i === n - 1 ? Infinity : Math.floor((size * (i + 1)) / n), next: start, aligned: start === 0 };
      });
    },
    createReader: (ctx) => new TextFileReader(path, options.format, ctx) as unknown as SourceSplitReader<T, TextFileSplit>,
  };
}

class TextFileReader implements SourceSplitReader<unknown, TextFileSplit> {
  private splits: TextFileSplit[] = [];
  private fd: number | undefined;
  /** Bytes read from the current split's `next` on, not yet split into lines. */
  private carry = Buffer.alloc(0);
  private readPos = 0;
  private eof = false;
  private readonly chunk = Buffer.allocUnsafe(CHUNK);
  private readonly decoder = new StringDecoder('utf8');

  constructor(private readonly path: string, private readonly format: 'lines' | 'jsonl', private readonly ctx: SplitReaderContext) {}

  addSplits(splits: TextFileSplit[]): void {
    for (const s of splits) this.splits.push({ start: s.start, end: s.end ?? Infinity, next: s.next, aligned: s.aligned });
    if (this.splits.length > 0) this.resetTo(this.splits[0]!.next);
  }

  poll(max: number): SourcePoll<unknown> {
    const records: unknown[] = [];
    while (records.length < max && this.splits.length > 0) {
      const split = this.splits[0]!;
      if (this.fd === undefined) this.open();
      if (!split.aligned) {
        if (!this.align(split)) continue; // the range holds no line start: done with it
      }
      if (split.next >= split.end) {
        this.nextSplit();
        continue;
      }
      const nl = this.carry.indexOf(NL);
      if (nl < 0) {
        if (this.eof) {
          if (this.carry.length > 0) this.emitLine(split, this.carry.length, this.carry.length, records);
          this.nextSplit();
          continue;
        }
        this.fill();
        continue;
      }
      this.emitLine(split, nl, nl + 1, records);
    }
    return { records, done: this.splits.length === 0 };
  }

  snapshotSplits(): TextFileSplit[] {
    return this.splits.map((s) => ({ ...s }));
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private open(): void {
    try {
      this.fd = fs.openSync(this.path, 'r');
    } catch (e) {
      throw sourceError(this.ctx.taskInfo.operatorName, this.path, `cannot open: ${(e as Error).message}`, e);
    }
  }

  /** Moves `split.next` to the first line start at or after `start`; false when the range has none (the split is dropped). */
  private align(split: TextFileSplit): boolean {
    const before = Buffer.alloc(1);
    const n = fs.readSync(this.fd!, before, 0, 1, split.start - 1);
    if (n === 1 && before[0] !== NL) {
      // Skip the rest of the line that started in the previous range.
      for (;;) {
        const nl = this.carry.indexOf(NL);
        if (nl >= 0) {
          this.consume(split, nl + 1);
          break;
        }
        if (this.eof) {
          this.consume(split, this.carry.length);
          break;
        }
        this.fill();
      }
    }
    split.aligned = true;
    if (split.next >= split.end || (this.eof && this.carry.length === 0)) {
      this.nextSplit();
      return false;
    }
    return true;
  }

  private fill(): void {
    const n = fs.readSync(this.fd!, this.chunk, 0, CHUNK, this.readPos);
    if (n === 0) {
      this.eof = true;
      return;
    }
    this.readPos += n;
    this.carry = this.carry.length === 0 ? Buffer.from(this.chunk.subarray(0, n)) : Buffer.concat([this.carry, this.chunk.subarray(0, n)]);
  }

  private consume(split: TextFileSplit, bytes: number): void {
    this.carry = this.carry.subarray(bytes);
    split.next += bytes;
  }

  private emitLine(split: TextFileSplit, length: number, consumed: number, out: unknown[]): void {
    let end = length;
    if (end > 0 && this.carry[end - 1] === 13) end--;
    const text = this.decoder.end(this.carry.subarray(0, end));
    const lineStart = split.next;
    this.consume(split, consumed);
    if (this.format === 'lines') {
      out.push(text);
      return;
    }
    if (text.trim() === '') return;
    try {
      out.push(JSON.parse(text));
    } catch (e) {
      const shown = text.length > 120 ? `${text.slice(0, 120)}…` : text;
      throw sourceError(this.ctx.taskInfo.operatorName, this.path, `invalid JSON at byte offset ${lineStart}: ${(e as Error).message} — line: ${shown}`, e);
    }
  }

  private nextSplit(): void {
    this.splits.shift();
    if (this.splits.length > 0) this.resetTo(this.splits[0]!.next);
  }

  private resetTo(position: number): void {
    this.carry = Buffer.alloc(0);
    this.readPos = position;
    this.eof = false;
  }
}
