/**
 * Child process for the process-kill test: runs the exactly-once file sink job
 * (job id 'kill-test', periodic aligned checkpoints retained on cancel) into
 * argv[2] until the parent kills it with SIGKILL.
 */
import { fileSinkJob } from './sink-jobs.ts';

/** Shared with the parent: the job's size and the options both runs use. */
export const KILL_N = 20_000;

const directory = process.argv[2];
if (directory) {
  const client = fileSinkJob.execute({
    jobId: 'kill-test',
    params: { n: KILL_N, directory: `${directory}/out`, format: 'jsonl', spinMicros: 150, rebalance: false },
    parallelism: 2,
    stateBackend: 'lmdb',
    stateDirectory: `${directory}/state`,
    bufferBytes: 4096,
    checkpointing: { intervalMs: 30, directory: `${directory}/checkpoints`, retained: 100, retention: 'retain-on-cancel' },
  });
  process.stdout.write('started\n');
  await client.done;
  process.stdout.write('finished\n');
}
