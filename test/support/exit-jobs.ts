/**
 * A job whose worker exits mid-stream (process.exit), for the lost-worker
 * message test. Defined at top level: every worker imports this module.
 */
import { defineJob } from '../../index.ts';

export const exitingJob = defineJob('t-exiting', (env, p: { at: number; exitCode: number }) => {
  env.fromSequence(1, p.at * 2)
    .map((x) => {
      if (x === p.at) process.exit(p.exitCode);
      return x;
    })
    .uid('exiter')
    .collect('out');
});
