/**
 * Test fixture script (run as a child process): starts a 1-thread ActorSystem with the
 * default workerExecArgv(), spawns actor-esm-probe.ts and prints what the worker reported
 * plus this process's execArgv as one JSON line on stdout.
 */
import { ActorSystem } from '../actor-system.ts';

const system = await ActorSystem.start({ threads: 1 });
try {
  const ref = await system.spawn({ id: 'probe', module: new URL('./actor-esm-probe.ts', import.meta.url), args: {} });
  const worker = await ref.call('probe');
  process.stdout.write(`${JSON.stringify({ parentExecArgv: process.execArgv, worker })}\n`);
} finally {
  await system.shutdown();
}
