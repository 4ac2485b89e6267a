/**
 * Built-in sinks. The collect sink publishes batches on a channel read by the
 * main thread; the others write from the worker.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TaskInfo } from '../api/functions.ts';
import { userFunctionFailed, type StreamOperator } from './operator.ts';
import { WeirError, preview } from '../../common/weir-error.ts';
import { RuntimeErrorCode } from '../errors.ts';

/**
 * Where the collect sink puts its records: the task's record writer of the collect channel
 * (runtime/task/record-writer.ts). Declared here so that operators/ does not import task/,
 * which builds operator chains from operators/.
 */
export interface RecordEmitter {
  emit(value: unknown, ts: number | undefined): void;
}

/** Sends records to the main thread (JobClient.results/collected). */
export class CollectSinkOperator implements StreamOperator {
  constructor(private readonly writer: RecordEmitter) {}
  processElement(value: unknown, ts: number | undefined): void {
    this.writer.emit(value, ts);
  }
}

export class ConsoleSinkOperator implements StreamOperator {
  private buffer: string[] = [];
  /** Flink's PrintSinkOutputWriter: `<prefix>:<subtask>> `, `<prefix>> ` at parallelism 1, `<subtask>> ` without a prefix, nothing for neither. */
  private readonly lead: string;
  constructor(prefix: string | undefined, info: TaskInfo) {
    let lead = prefix ?? '';
    if (info.parallelism > 1) lead += `${lead === '' ? '' : ':'}${info.subtask + 1}`;
    this.lead = lead === '' ? '' : `${lead}> `;
  }
  processElement(value: unknown): void {
    const text = typeof value === 'string' ? value : preview(value, Infinity);
    this.buffer.push(this.lead + text);
    if (this.buffer.length >= 256) this.flush();
  }
  /** Called by the task when its input is idle and at the end. */
  flush(): void {
    if (this.buffer.length === 0) return;
    process.stdout.write(this.buffer.join('\n') + '\n');
    this.buffer = [];
  }
  finish(): void {
    this.flush();
  }
}

/** JSON Lines: `<directory>/part-<uid>-<subtask>.jsonl`, flushed when the input is idle, on checkpoints and at the end. */
/**
 * `writeJsonl(dir)`: one part file per subtask, at-least-once. A fresh start truncates its part
 * file; an attempt after a failover or a restore appends to it, so what the failed attempt wrote
 * stays and what it wrote after the restored checkpoint is written again (duplicates, never a
 * loss). A checkpoint makes the lines written before its barrier durable (flushed and fsynced).
 * Before, every attempt truncated its file: a failover lost everything written before the
 * restored checkpoint. Exactly-once output: `exactlyOnceFileSink`.
 */
export class JsonlSinkOperator implements StreamOperator {
  private fd: number | undefined;
  private chunks: string[] = [];
  private size = 0;
  /** Restored from a checkpoint or savepoint (its state marks that the part files hold earlier output). */
  private restored = false;
  readonly file: string;
  constructor(directory: string, private readonly info: TaskInfo) {
    this.file = path.join(directory, `part-${info.uid}-${info.subtask}.jsonl`);
  }
  initializeState(restored: readonly unknown[] | undefined): void {
    this.restored = restored !== undefined;
  }
  /** Lines before the barrier are in the file, durably; the state only marks a restore as one. */
  snapshotState(): unknown {
    this.flush();
    if (this.fd !== undefined) fs.fsyncSync(this.fd);
    return { file: path.basename(this.file) };
  }
  open(): void {
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      this.fd = fs.openSync(this.file, this.restored || this.info.attempt > 0 ? 'a' : 'w');
    } catch (e) {
      throw new WeirError(RuntimeErrorCode.SINK_FAILED, `JSONL sink '${this.info.operatorName}' (subtask ${this.info.subtask + 1}/${this.info.parallelism}) cannot open ${this.file}: ${(e as Error).message}`, { file: this.file }, { cause: e });
    }
  }
  processElement(value: unknown): void {
    let line: string | undefined;
    try {
      line = JSON.stringify(value);
    } catch (e) {
      throw userFunctionFailed(this.info, 'JSON serialization in the JSONL sink', value, e);
    }
    if (line === undefined) throw userFunctionFailed(this.info, 'JSON serialization in the JSONL sink', value, new TypeError('value has no JSON representation'));
    this.chunks.push(line);
    this.size += line.length + 1;
    if (this.size >= 64 * 1024) this.flush();
  }
  flush(): void {
    if (this.chunks.length === 0 || this.fd === undefined) return;
    fs.writeSync(this.fd, this.chunks.join('\n') + '\n');
    this.chunks = [];
    this.size = 0;
  }
  finish(): void {
    this.flush();
  }
  close(): void {
    this.flush();
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

export class FunctionSinkOperator implements StreamOperator {
  constructor(private readonly fn: (v: unknown) => void, private readonly info: TaskInfo) {}
  processElement(value: unknown): void {
    try {
      this.fn(value);
    } catch (e) {
      throw userFunctionFailed(this.info, 'sink function', value, e);
    }
  }
}
