/**
 * Waiting on a running job's checkpoints instead of on time (no sleeps in tests): what the
 * recovery tests use to inject failures after observed checkpoints.
 */
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobClient } from '../../index.ts';

/** Polls a state of the running job until `cond` holds (no timing: it waits however long it takes); rejects if the job ends first. */
export async function untilJobState(client: JobClient, what: string, cond: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await cond())) {
    if (client.status === 'failed' || client.status === 'finished' || client.status === 'cancelled') throw new Error(`the job ended (${client.status}) while waiting for ${what}`);
    await sleep(5);
  }
}

/** Resolves after `n` more checkpoints completed (rejects if the job ends first). */
export function checkpointsCompleted(client: JobClient, n: number): Promise<void> {
  let seen = 0;
  return checkpointCompletedWhen(client, () => ++seen >= n, `${n} more checkpoints completed`);
}

/**
 * Resolves at the first completed checkpoint after which `condition()` holds (asked at each
 * completed checkpoint; rejects if the job ends first).
 */
export function checkpointCompletedWhen(client: JobClient, condition: () => boolean, what = 'the awaited checkpoint'): Promise<void> {
  return new Promise((resolve, reject) => {
    const off = client.onCheckpoint((c) => {
      if (c.status === 'completed' && condition()) {
        off();
        resolve();
      }
    });
    client.done.then(() => { off(); reject(new Error(`the job ended (${client.status}) before ${what}`)); }, (e) => { off(); reject(e); });
  });
}

/**
 * Arms one failure (creates `marker`, which the job's fault claims) after each completed checkpoint
 * that follows the previous failover, `count` times; resolves when all `count` happened.
 */
export function injectFailures(client: JobClient, marker: string, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let armed = 0;
    const off = client.onCheckpoint((c) => {
      if (c.status !== 'completed') return;
      if (client.failovers.length < armed) return; // the armed failure has not happened yet
      if (armed === count) {
        off();
        resolve();
        return;
      }
      fs.writeFileSync(marker, '');
      armed++;
    });
    client.done.then(() => { off(); reject(new Error(`the job ended (${client.status}) after ${client.failovers.length} of ${count} failures`)); }, (e) => { off(); reject(e); });
  });
}

/**
 * Arms the failures in order (creates marker k, which the job's fault k claims) after a checkpoint
 * completed once failure k-1 caused its failover (events, not time); resolves when all happened,
 * rejects if the job ends before every failure fired.
 */
export function injectFailuresInOrder(client: JobClient, markers: readonly string[]): Promise<void> {
  if (markers.length === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    let armed = 0;
    const off = client.onCheckpoint((c) => {
      if (c.status !== 'completed' || client.failovers.length < armed) return;
      if (armed === markers.length) {
        off();
        resolve();
        return;
      }
      fs.writeFileSync(markers[armed]!, '');
      armed++;
    });
    client.done.then(() => {
      off();
      if (armed < markers.length || client.failovers.length < markers.length) reject(new Error(`the job ended after ${client.failovers.length} of ${markers.length} failures: make it longer`));
      else resolve();
    }, (e: unknown) => { off(); reject(e); });
  });
}

/**
 * Once the job runs, triggers checkpoints until collect sink `sink` received something (so the
 * checkpoint lies mid-stream), cancels the job and waits for its end; returns that checkpoint's
 * directory (the job must retain checkpoints on cancel).
 */
export async function checkpointMidStreamThenCancel(client: JobClient, sink: string): Promise<string> {
  let from: string;
  try {
    await client.running;
    let c = await client.triggerCheckpoint();
    while (client.collected(sink).length === 0) c = await client.triggerCheckpoint();
    from = c.directory;
  } finally {
    await client.cancel();
  }
  await client.done;
  return from;
}
