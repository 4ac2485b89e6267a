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
import { isAscii } from 'node:buffer';
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
  /**
   * Bytes read from the file; `carry[at …]` starts at the current split's `next` and is not yet
   * split into lines. Lines are decoded straight from it by offsets: a view or a copy per line
   * cost ~6 % of a JSONL source's CPU (issue #18 profile of the click job).
   */
  private carry = Buffer.alloc(0);
  private at = 0;
  /**
   * JSONL: the text of `carry[blockStart …]` up to its last newline, decoded at once when it is
   * ASCII (string offsets are then byte offsets); lines are sliced from it. A decode per line cost
   * ~25 % more than JSON.parse on slices of one string (the plain loop's way) in a micro-benchmark
   * of the click file. `blockStart` -1: none; `noBlockBefore`: carry offset up to which the bytes
   * are known not to be ASCII (lines there are decoded one by one).
   */
  private block = '';
  private blockStart = -1;
  private noBlockBefore = 0;
  private readPos = 0;
  private eof = false;
  private readonly chunk = Buffer.allocUnsafe(CHUNK);

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
      if (this.format === 'jsonl' && this.nextFromBlock(split, records)) continue;
      const nl = this.carry.indexOf(NL, this.at);
      if (nl < 0) {
        if (this.eof) {
          const rest = this.carry.length - this.at;
          if (rest > 0) this.emitLine(split, rest, rest, records);
          this.nextSplit();
          continue;
        }
        this.fill();
        continue;
      }
      this.emitLine(split, nl - this.at, nl - this.at + 1, records);
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
        const nl = this.carry.indexOf(NL, this.at);
        if (nl >= 0) {
          this.consume(split, nl - this.at + 1);
          break;
        }
        if (this.eof) {
          this.consume(split, this.carry.length - this.at);
          break;
        }
        this.fill();
      }
    }
    split.aligned = true;
    if (split.next >= split.end || (this.eof && this.carry.length === this.at)) {
      this.nextSplit();
      return false;
    }
    return true;
  }

  private fill(): void {
    const rest = this.carry.length - this.at;
    // A line longer than a chunk: read as much again as is pending, so the copies and the newline
    // scans of one long line add up to O(its length) (a chunk at a time they were quadratic: a 48 MiB
    // line took 11 s).
    const size = Math.max(CHUNK, rest);
    const into = size === CHUNK ? this.chunk : Buffer.allocUnsafe(size);
    const n = fs.readSync(this.fd!, into, 0, size, this.readPos);
    if (n === 0) {
      this.eof = true;
      return;
    }
    this.readPos += n;
    this.carry = rest === 0 ? Buffer.from(into.subarray(0, n)) : Buffer.concat([this.carry.subarray(this.at), into.subarray(0, n)]);
    this.at = 0;
    this.forgetBlock();
  }

  private forgetBlock(): void {
    this.block = '';
    this.blockStart = -1;
    this.noBlockBefore = 0;
  }

  /** JSONL: emits the line at `carry[at …]` from the decoded block (decoding one if the bytes allow); false when the line must be read the per-line way. */
  private nextFromBlock(split: TextFileSplit, out: unknown[]): boolean {
    if (this.blockStart < 0 || this.at - this.blockStart >= this.block.length) {
      this.blockStart = -1;
      if (this.at < this.noBlockBefore) return false;
      const last = this.carry.lastIndexOf(NL);
      if (last < this.at) return false;
      if (!isAscii(this.carry.subarray(this.at, last + 1))) {
        this.noBlockBefore = last + 1;
        return false;
      }
      this.block = this.carry.toString('latin1', this.at, last + 1);
      this.blockStart = this.at;
    }
    const i = this.at - this.blockStart;
    const nl = this.block.indexOf('\n', i); // found: the block ends with a newline
    const end = nl > i && this.block.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    const lineStart = split.next;
    this.consume(split, nl - i + 1);
    this.emitText(this.block.slice(i, end), lineStart, out);
    return true;
  }

  private consume(split: TextFileSplit, bytes: number): void {
    this.at += bytes;
    split.next += bytes;
  }

  /** Emits the line of `length` bytes at `carry[at …]` (`consumed`: with its newline). */
  private emitLine(split: TextFileSplit, length: number, consumed: number, out: unknown[]): void {
    const start = this.at;
    let end = start + length;
    if (end > start && this.carry[end - 1] === 13) end--;
    // Whole lines only (a newline never sits inside a UTF-8 sequence): no decoder state to carry.
    const text = this.carry.toString('utf8', start, end);
    const lineStart = split.next;
    this.consume(split, consumed);
    this.emitText(text, lineStart, out);
  }

  /** Emits one line's text (without its line break) that started at byte `lineStart` of the file. */
  private emitText(text: string, lineStart: number, out: unknown[]): void {
    if (this.format === 'lines') {
      out.push(text);
      return;
    }
    if (text.trim() === '') return;
    try {
      out.push(JSON.parse(text));
    } catch (e) {
      const shown = text.length > 120 ? `${text.slice(0, 120)}…` : text;
      // Deterministic: a restart reads the same line again (an unlimited restart strategy looped on it).
      const operator = this.ctx.taskInfo.operatorName;
      throw new WeirError(RuntimeErrorCode.SOURCE_INVALID_RECORD, `file source '${operator}' (${this.path}): invalid JSON at byte offset ${lineStart}: ${(e as Error).message} — line: ${shown}`,
        { operator, path: this.path, byteOffset: lineStart }, { cause: e });
    }
  }

  private nextSplit(): void {
    this.splits.shift();
    if (this.splits.length > 0) this.resetTo(this.splits[0]!.next);
  }

  private resetTo(position: number): void {
    this.carry = Buffer.alloc(0);
    this.at = 0;
    this.forgetBlock();
    this.readPos = position;
    this.eof = false;
  }
}
