/**
 * Child process of the `logger: 'silent'` test (test/embedding.test.ts): runs the job whose worker
 * exits mid-stream with `execute({ logger: 'silent' })` and prints the job's status on stdout.
 * Whatever Weir writes to stderr is the test's finding: nothing may be.
 */
import { exitingJob } from './exit-jobs.ts';

const result = await exitingJob.execute({ params: { at: 50, exitCode: 3 }, parallelism: 1, stateBackend: 'heap', logger: 'silent' }).done.then(
  (r) => r.status,
  (e: Error & { code?: string }) => `failed ${e.code}`,
);
process.stdout.write(`${result}\n`);
