/**
 * Text file source: lines, or JSON Lines parsed into values. Reads 64 KiB
 * chunks synchronously from a byte offset; `offset()` is the byte position just
 * after the last line handed out, so a restored reader resumes at the next
 * line. A final line without a trailing newline is emitted at end of file.
 * `\r\n` line endings are accepted. Empty lines are skipped in JSONL mode.
 */
import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { SourceBatch, SourceReader, SourceReaderContext } from './source-reader.ts';
import { WeirError } from '../../../common/weir-error.ts';
import { RuntimeErrorCode } from '../../errors.ts';

const CHUNK = 64 * 1024;

export function createFileSourceReader(path: string, format: 'lines' | 'jsonl', ctx: SourceReaderContext, restored?: unknown): SourceReader {
  return new FileSourceReader(path, format, ctx, typeof restored === 'number' ? restored : 0);
}

class FileSourceReader implements SourceReader {
  private fd: number | undefined;
  /** Byte position of the start of `carry` in the file. */
  private carryStart: number;
  /** Bytes read but not yet split into lines. */
  private carry = Buffer.alloc(0);
  private readPos: number;
  private eof = false;
  private lineNumberHint = 0;
  private readonly chunk = Buffer.allocUnsafe(CHUNK);

  constructor(private readonly path: string, private readonly format: 'lines' | 'jsonl', private readonly ctx: SourceReaderContext, offset: number) {
    this.carryStart = offset;
    this.readPos = offset;
  }

  private fail(message: string, cause?: unknown): WeirError {
    return new WeirError(RuntimeErrorCode.SOURCE_FAILED, `file source '${this.ctx.operatorName}' (${this.path}): ${message}`, { operator: this.ctx.operatorName, path: this.path }, { cause });
  }

  read(max: number): SourceBatch {
    if (this.fd === undefined) {
      try {
        this.fd = fs.openSync(this.path, 'r');
      } catch (e) {
        throw this.fail(`cannot open: ${(e as Error).message}`, e);
      }
    }
    const records: unknown[] = [];
    while (records.length < max) {
      const nl = this.carry.indexOf(10);
      if (nl < 0) {
        if (this.eof) {
          if (this.carry.length > 0) this.emitLine(this.carry, this.carry.length, records);
          break;
        }
        this.fill();
        continue;
      }
      this.emitLine(this.carry.subarray(0, nl), nl + 1, records);
    }
    return { records, done: this.eof && this.carry.length === 0 };
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

  private emitLine(bytes: Buffer, consumed: number, out: unknown[]): void {
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 13) end--;
    const text = new StringDecoder('utf8').end(bytes.subarray(0, end));
    const lineStart = this.carryStart;
    this.carry = this.carry.subarray(consumed);
    this.carryStart += consumed;
    this.lineNumberHint++;
    if (this.format === 'lines') {
      out.push(text);
      return;
    }
    if (text.trim() === '') return;
    try {
      out.push(JSON.parse(text));
    } catch (e) {
      const shown = text.length > 120 ? `${text.slice(0, 120)}…` : text;
      throw this.fail(`invalid JSON at byte offset ${lineStart}: ${(e as Error).message} — line: ${shown}`, e);
    }
  }

  offset(): number {
    return this.carryStart;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
