/**
 * An async batch sink the task unit tests drive through the in-thread harness: vertex 0 is an
 * array source, vertex 1 (after a rebalance) the sink. Its writes land in {@link writes}, where
 * the test resolves or rejects them when it likes (the harness runs in the test's thread).
 */
import { asyncBatchSink, defineJob } from '../../../index.ts';

export const writes: Array<{ batch: number[]; resolve: () => void; reject: (e: Error) => void }> = [];

export const asyncSinkHarnessJob = defineJob('harness-async-sink', (env, p: { batchSize: number; maxInFlightBatches: number; copies?: number }) => {
  env.fromArray<number>([]).rebalance()
    // `copies`: each input record reaches the sink that many times (x, x + 0.1, …: one input record can fill a batch and start another).
    .flatMap((x: number) => Array.from({ length: p.copies ?? 1 }, (_, i) => x + i / 10)).setParallelism(1)
    .sinkTo(asyncBatchSink<number>({
      name: 'Store',
      batchSize: p.batchSize,
      maxInFlightBatches: p.maxInFlightBatches,
      write: (batch) => new Promise<void>((resolve, reject) => void writes.push({ batch, resolve, reject })),
    })).setParallelism(1).uid('sink');
});
