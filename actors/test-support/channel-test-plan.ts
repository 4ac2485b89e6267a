/**
 * Shared by channel tests and their worker (channel-test-worker.ts): the
 * deterministic payload generator, the frame digest and the message shapes.
 */
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/** One step of a producer's plan. */
export interface PlanOp {
  lane: 'data' | 'priority';
  kind: number;
  /** Payload bytes (priority frames: ≥ 8, the first 8 hold the position). */
  size: number;
  seed: number;
  /** Data ops: publish with tryWrite when it fits (else write). */
  tryFirst: boolean;
  /** Data ops: await this write before the next op (otherwise it may stay queued). */
  awaitIt: boolean;
  /** Yield to the event loop after this op (creates full/empty races). */
  pause: boolean;
}

/** What the consumer saw of one frame. */
export interface SeenFrame {
  index: number;
  kind: number;
  size: number;
  digest: string;
}

/** What the consumer saw of one priority frame. */
export interface SeenPriority extends SeenFrame {
  /** Position written by the producer (dataFramesWritten when it was sent). */
  position: number;
  /** Data frames the consumer had read when it received this frame. */
  dataReadAtReceipt: number;
}

/** Deterministic bytes for (seed, size): xorshift32. */
export function payloadFor(seed: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = (seed | 0) || 0x9e3779b9;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** SHA-1 of a payload, hex. */
export function digest(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('hex');
}

/**
 * Start a TypeScript worker. On Node 20 `execArgv: ['--import', 'tsx']` does
 * not apply tsx's hooks to a worker's entry module (ERR_UNKNOWN_FILE_EXTENSION),
 * so a tiny eval'd bootstrap registers tsx's ESM hooks, then imports the file.
 */
export function startTsWorker(file: URL): Worker {
  const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const code = `import(${api}).then((tsx) => { tsx.register(); return import(${JSON.stringify(file.href)}); })`;
  return new Worker(code, { eval: true });
}

/** Start the channel test worker. */
export function startChannelTestWorker(): Worker {
  return startTsWorker(new URL('./channel-test-worker.ts', import.meta.url));
}

/** Send one command to a test worker and resolve with its final reply; `onEvent` sees interim events. */
export function request<T>(worker: Worker, message: Record<string, unknown>, onEvent?: (event: string) => void): Promise<T> {
  const id = Math.random();
  return new Promise<T>((resolve, reject) => {
    const onMessage = (m: { id: number; event?: string; error?: unknown; result?: T }): void => {
      if (m.id !== id) return;
      if (m.event !== undefined) {
        onEvent?.(m.event);
        return;
      }
      cleanup();
      if (m.error !== undefined) reject(Object.assign(new Error(String((m.error as { message?: string }).message ?? m.error)), m.error));
      else resolve(m.result as T);
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const cleanup = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.postMessage({ ...message, id });
  });
}
