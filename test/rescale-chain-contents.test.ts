/**
 * Every checkpoint of a rescale chain holds exactly what the sources emitted before its barrier —
 * also those taken right after a restore at another parallelism, while the restored in-flight
 * data is still being replayed and every source's first read after the restore is settling.
 * The job (support/switch-stress-jobs.ts) is unaligned with a 20 ms aligned timeout behind
 * 2 KiB rings and a slow map on rebalance edges, so barriers switch from aligned to unaligned on
 * both sides (consumer and producer-side timeouts). Per key, the records listed in keyed state
 * plus those in the persisted channel state are exactly the records the sources had emitted
 * (their checkpointed splits): none missing, none twice. A second variant puts the slow map
 * after the counter instead, so the counter replays its re-routed input behind blocked output.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { switchStressJob } from './support/switch-stress-jobs.ts';
import { inFlightRecords, readCompletedCheckpoint, remainingSourceValues, seenByKey } from './support/checkpoint-reader.ts';
import type { Counted, Rec } from './support/checkpoint-jobs.ts';

const N = 40_000;
const KEYS = 25;
/** Parallelism of each run; each run after the first restores the previous run's latest checkpoint. */
const CHAIN = [2, 3, 1, 2];
/** Checkpoints each run but the last completes before it is cancelled. */
const PER_RUN = 3;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-rescale-chain-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** What is wrong with checkpoint `dir`, per key (empty: nothing). */
async function problems(dir: string): Promise<string[]> {
  const c = readCompletedCheckpoint(dir);
  const unread = new Set<number>();
  for (const rest of remainingSourceValues(c, 'numbers').values()) for (const v of rest) unread.add(v);
  const seen = await seenByKey(c, 'counter', KEYS);
  const toMap = (await inFlightRecords(c, { consumers: ['slow-map'], producers: ['numbers'] })).records as number[];
  const toCounter = (await inFlightRecords(c, { consumers: ['counter'], producers: ['slow-map'] })).records as Rec[];
  const out: string[] = [];
  for (let k = 0; k < KEYS; k++) {
    const held = [...seen[k]!, ...toMap.filter((i) => i % KEYS === k), ...toCounter.filter((r) => r.k === k).map((r) => r.i)];
    const once = new Set(held);
    const twice = held.length - once.size;
    const missing: number[] = [];
    const extra: number[] = [];
    for (let i = k; i < N; i += KEYS) {
      if (!unread.has(i) && !once.has(i)) missing.push(i);
      if (unread.has(i) && once.has(i)) extra.push(i);
    }
    if (twice || missing.length || extra.length) out.push(`key ${k}: missing [${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}] (${missing.length}), held twice ${twice}, held but unread ${extra.length}`);
  }
  return out;
}

for (const [variant, mapMicros, sinkMicros] of [['slow map before the keyed counter', 120, 0], ['slow map after the keyed counter', 5, 120]] as const) test(`every checkpoint of a rescale chain (parallelism ${CHAIN.join(' → ')}) holds exactly the records emitted before its barrier: ${variant}`, { timeout: 300_000 }, async () => {
  let restore: string | undefined;
  let checked = 0;
  let last: Counted[] = [];
  for (let r = 0; r < CHAIN.length; r++) {
    const final = r === CHAIN.length - 1;
    const dir = path.join(root, `${sinkMicros}-run-${r}`);
    const client = switchStressJob.execute({
      params: { n: N, keys: KEYS, mapMicros, sinkMicros },
      parallelism: CHAIN[r]!,
      threads: 2,
      stateBackend: 'lmdb',
      stateDirectory: path.join(dir, 'state'),
      bufferBytes: 2048,
      // `retained` above what a run can complete before the test's timeout (300 s / 80 ms = 3 750):
      // retention must not delete a checkpoint this test reads. With 100, a final run slowed by a
      // loaded machine completed more than 100 and its first ones were gone when read (ENOENT).
      checkpointing: { directory: path.join(dir, 'checkpoints'), unaligned: true, alignedCheckpointTimeoutMs: 20, intervalMs: 80, retained: 5_000, retention: 'retain-on-cancel' },
      ...(restore ? { restore } : {}),
    });
    const completed: string[] = [];
    const enough = new Promise<void>((resolve) => {
      client.onCheckpoint((c) => {
        if (c.status !== 'completed' || c.kind !== 'checkpoint' || !c.externalPath) return;
        completed.push(c.externalPath);
        if (!final && completed.length === PER_RUN) resolve();
      });
    });
    await Promise.race([enough, client.done]);
    if (!final) await client.cancel();
    const result = await client.done;
    assert.ok(result.status === (final ? 'finished' : 'cancelled'), `run ${r}: ${result.status}`);
    assert.ok(completed.length >= (final ? 1 : PER_RUN), `run ${r} completed ${completed.length} checkpoints before it ended (the machine ran it faster than checkpoints)`);
    for (const c of completed) {
      assert.deepEqual(await problems(c), [], `run ${r} (parallelism ${CHAIN[r]}${restore ? `, restored ${path.basename(restore)}` : ''}): ${path.basename(c)}`);
      checked++;
    }
    restore = completed[completed.length - 1];
    last = result.collected.out as Counted[];
  }
  assert.ok(checked >= (CHAIN.length - 1) * PER_RUN + 1);
  // The last run ends the chain exactly once: per key, its final count is the key's number of records.
  const finalCount = new Array<number>(KEYS).fill(0);
  for (const c of last) finalCount[c.k] = Math.max(finalCount[c.k]!, c.n);
  assert.deepEqual(finalCount, Array.from({ length: KEYS }, (_, k) => Math.floor((N - 1 - k) / KEYS) + 1));
});
