/**
 * Child process for the orders end-to-end test: runs the orders job (no faults) with the
 * options in argv[2] (JSON: { jobId, params, stateDirectory, checkpointDirectory, unaligned })
 * and prints `checkpoint <id>` for every completed checkpoint, until the parent kills it (SIGKILL).
 */
import { ordersFaultJob, type OrdersFaultParams } from './orders-jobs.ts';

export interface OrdersChildArgs {
  jobId: string;
  params: OrdersFaultParams;
  stateDirectory: string;
  checkpointDirectory: string;
  unaligned: boolean;
}

/** The options the child and the restored run share. */
export function ordersExecuteOptions(a: OrdersChildArgs) {
  return {
    jobId: a.jobId,
    params: a.params,
    parallelism: 2,
    stateBackend: 'lmdb' as const,
    stateDirectory: a.stateDirectory,
    bufferBytes: 16_384,
    checkpointing: { intervalMs: 50, directory: a.checkpointDirectory, unaligned: a.unaligned, retained: 3, retention: 'retain-on-cancel' as const },
    restartStrategy: { type: 'fixed-delay' as const, attempts: 20, delayMs: 0 },
  };
}

const arg = process.argv[2];
if (arg) {
  const a = JSON.parse(arg) as OrdersChildArgs;
  const client = ordersFaultJob.execute(ordersExecuteOptions(a));
  client.onCheckpoint((c) => {
    if (c.status === 'completed') process.stdout.write(`checkpoint ${c.checkpointId}\n`);
  });
  await client.done;
  process.stdout.write('finished\n');
}
