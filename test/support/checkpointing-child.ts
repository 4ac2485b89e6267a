/**
 * Child process for the crash tests: runs the backpressured job with periodic
 * aligned checkpoints into argv[2] until it is killed.
 */
import { backpressuredJob } from './checkpoint-jobs.ts';

const directory = process.argv[2]!;
const client = backpressuredJob.execute({
  jobId: 'crash-test',
  params: { a: 50_000_000, b: 1_000_000, keys: 40, sinkMicros: 50 },
  parallelism: 2,
  stateBackend: 'lmdb',
  stateDirectory: `${directory}/state`,
  bufferBytes: 4096,
  checkpointing: { intervalMs: 30, directory: `${directory}/checkpoints`, retained: 100, tolerableFailures: 1000 },
});
process.stdout.write('started\n');
await client.done;
