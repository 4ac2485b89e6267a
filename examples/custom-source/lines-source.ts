/**
 * Writing your own source with the public Source API (docs/sources.md): the lines of a set of
 * text files, read in parallel and resumable exactly. Each file is a split; a split's position is
 * the byte offset after the last line handed out, so a checkpoint stores where every file was and
 * a restore (at any parallelism) continues each file from there.
 */
import fs from 'node:fs/promises';
import type { Source, SourcePoll, SourceSplitReader } from '../../index.ts';

/** One file and where the next line starts. */
export interface FileSplit {
  readonly file: string;
  offset: number;
}

/** A line with where it came from. */
export interface Line { file: string; offset: number; text: string }

const CHUNK_BYTES = 64 * 1024;

export function linesSource(files: readonly string[]): Source<Line, FileSplit> {
  return {
    boundedness: 'bounded',
    createSplits: () => files.map((file) => ({ file, offset: 0 })),
    createReader: () => new LinesReader(),
  };
}

class LinesReader implements SourceSplitReader<Line, FileSplit> {
  private splits: FileSplit[] = [];
  /** Lines read ahead of the current split's offset (a chunk's complete lines). */
  private buffered: Line[] = [];

  addSplits(splits: FileSplit[]): void {
    this.splits.push(...splits);
  }

  poll(max: number): SourcePoll<Line> | Promise<SourcePoll<Line>> {
    if (this.buffered.length > 0) return this.take(max);
    if (this.splits.length === 0) return { records: [], done: true };
    return this.readChunk().then(() => this.take(max));
  }

  snapshotSplits(): FileSplit[] {
    return this.splits.map((s) => ({ ...s }));
  }

  /** Hand out up to `max` buffered lines; the split's offset moves past exactly those. */
  private take(max: number): SourcePoll<Line> {
    const records = this.buffered.splice(0, max);
    const split = this.splits[0];
    if (split && records.length > 0) {
      const last = records[records.length - 1]!;
      split.offset = last.offset + Buffer.byteLength(last.text) + 1;
    }
    return { records, done: false };
  }

  /** Read the next complete lines of the first split; drop the split at its end. */
  private async readChunk(): Promise<void> {
    const split = this.splits[0]!;
    const handle = await fs.open(split.file, 'r');
    try {
      const buf = Buffer.alloc(CHUNK_BYTES);
      const { bytesRead } = await handle.read(buf, 0, CHUNK_BYTES, split.offset);
      if (bytesRead === 0) {
        this.splits.shift();
        return;
      }
      const chunk = buf.subarray(0, bytesRead);
      const lastNewline = chunk.lastIndexOf(0x0a);
      // A last line without a newline ends the file (if the chunk is shorter than asked).
      const end = lastNewline >= 0 ? lastNewline + 1 : bytesRead < CHUNK_BYTES ? bytesRead : -1;
      if (end < 0) throw new Error(`${split.file}: a line at byte ${split.offset} is longer than ${CHUNK_BYTES} bytes`);
      let at = 0;
      while (at < end) {
        const nl = chunk.indexOf(0x0a, at);
        const stop = nl < 0 || nl >= end ? end : nl;
        this.buffered.push({ file: split.file, offset: split.offset + at, text: chunk.toString('utf8', at, stop) });
        at = stop + 1;
      }
    } finally {
      await handle.close();
    }
  }
}
