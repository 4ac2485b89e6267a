/**
 * Reads completed checkpoints back and checks them against what the sources
 * had emitted before the barrier: per key, records counted in keyed state plus
 * records in the persisted channel state equal the records the sources emitted
 * before barrier n — in every exactly-once mode (at-least-once: never fewer).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { countingJob, type Rec } from './support/checkpoint-jobs.ts';
import { countsByKey, inFlightRecords, remainingSourceValues } from './support/checkpoint-reader.ts';
import type { CheckpointConfigInput } from '../runtime/checkpoint/checkpoint-config.ts';
import type { CompletedCheckpoint } from '../runtime/checkpoint/checkpoint-metadata.ts';

const KEYS = 25;

/** Per key, how many records the sources had emitted before the barrier (from their checkpointed splits). */
function emittedByKey(c: CompletedCheckpoint, N: number): number[] {
  const HALF = N / 2; // fromSequence(0, N-1) at parallelism 2: subtask 0 emits [0, HALF), subtask 1 [HALF, N)
  const remaining = remainingSourceValues(c, 'numbers');
  assert.equal(remaining.size, 2, 'both source subtasks stored their splits');
  const emitted = new Array<number>(KEYS).fill(0);
  for (const [s, rest] of remaining) {
    for (let i = s === 0 ? 0 : HALF; i < (s === 0 ? HALF : N); i++) if (!rest.has(i)) emitted[i % KEYS]!++;
  }
  return emitted;
}

interface Mode {
  name: string;
  cp: CheckpointConfigInput;
  exact: boolean;
  expectInFlight: boolean;
  /** Default: 60 000 records, sink 8 µs/record, 4 KiB rings. */
  n?: number;
  counterMicros?: number;
  sinkMicros?: number;
  bufferBytes?: number;
  /** The counter is slow and its frames are large: barriers must be taken in the middle of frames. */
  expectPartialFrames?: boolean;
  /**
   * The sources' in-band barriers wait behind full rings longer than the aligned timeout: some
   * source overtakes its queued barrier and persists output channel state (a source never
   * forwards a checkpoint unaligned otherwise in this mode).
   */
  expectOutputState?: boolean;
}

const MODES: Mode[] = [
  { name: 'aligned', cp: {}, exact: true, expectInFlight: false },
  { name: 'unaligned', cp: { unaligned: true }, exact: true, expectInFlight: true },
  { name: 'aligned-with-timeout (1 ms)', cp: { unaligned: true, alignedCheckpointTimeoutMs: 1 }, exact: true, expectInFlight: true },
  { name: 'at-least-once', cp: { mode: 'at-least-once' }, exact: false, expectInFlight: false },
  // Frames of ~1 000 records at 100 µs each: the unprocessed rest of the frame in progress is in flight.
  { name: 'unaligned, slow keyed operator (barriers inside frames)', cp: { unaligned: true }, exact: true, expectInFlight: true, n: 40_000, counterMicros: 100, sinkMicros: 0, bufferBytes: 32 * 1024, expectPartialFrames: true },
  { name: 'aligned-with-timeout (5 ms), slow keyed operator', cp: { unaligned: true, alignedCheckpointTimeoutMs: 5 }, exact: true, expectInFlight: true, n: 40_000, counterMicros: 100, sinkMicros: 0, bufferBytes: 32 * 1024, expectPartialFrames: true },
  { name: 'aligned-with-timeout (20 ms), sources overtake their queued barriers (producer-side timeout)', cp: { unaligned: true, alignedCheckpointTimeoutMs: 20 }, exact: true, expectInFlight: true, n: 40_000, counterMicros: 100, sinkMicros: 0, bufferBytes: 32 * 1024, expectOutputState: true },
];

describe('a completed checkpoint holds exactly what was emitted before its barrier', () => {
  for (const mode of MODES) {
    test(mode.name, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-cpc-'));
      try {
        const N = mode.n ?? 60_000;
        const client = countingJob.execute({
          params: { n: N, keys: KEYS, sinkMicros: mode.sinkMicros ?? 8, counterMicros: mode.counterMicros ?? 0 },
          parallelism: 2,
          stateBackend: 'lmdb',
          stateDirectory: path.join(dir, 'state'),
          bufferBytes: mode.bufferBytes ?? 4096,
          checkpointing: { directory: path.join(dir, 'checkpoints'), retained: 50, retention: 'retain-on-cancel', ...mode.cp },
        });
        const checkpoints: CompletedCheckpoint[] = [];
        await client.running;
        while (checkpoints.length < 4 && client.status === 'running') {
          await new Promise((r) => setTimeout(r, 40));
          try {
            checkpoints.push(await client.triggerCheckpoint());
          } catch (e) {
            if (client.status === 'running') throw e;
          }
        }
        await client.done;
        assert.ok(checkpoints.length >= 2, `checkpoints taken while running: ${checkpoints.length}`);
        let inFlightSeen = 0;
        let partialFrames = 0;
        let sourceOutputFrames = 0;
        for (const c of checkpoints) {
          const emitted = emittedByKey(c, N);
          const counted = await countsByKey(c, 'counter', KEYS);
          const inflight = await inFlightRecords(c, { consumers: ['counter'], producers: ['numbers'] });
          inFlightSeen += inflight.records.length;
          partialFrames += inflight.partialFrames;
          sourceOutputFrames += (await inFlightRecords(c, { consumers: [], producers: ['numbers'] })).outputFrames;
          const inflightByKey = new Array<number>(KEYS).fill(0);
          for (const r of inflight.records as Rec[]) inflightByKey[r.k]!++;
          for (let k = 0; k < KEYS; k++) {
            const have = counted[k]! + inflightByKey[k]!;
            if (mode.exact) assert.equal(have, emitted[k], `chk-${c.checkpointId} key ${k}: counted ${counted[k]} + in flight ${inflightByKey[k]} vs emitted ${emitted[k]}`);
            else assert.ok(have >= emitted[k]!, `chk-${c.checkpointId} key ${k}: ${have} < ${emitted[k]}`);
          }
          if (!mode.expectInFlight) assert.equal(inflight.records.length, 0, `chk-${c.checkpointId} persisted in-flight records in ${mode.name} mode`);
        }
        if (mode.expectInFlight) assert.ok(inFlightSeen > 0, 'the unaligned checkpoints persisted some in-flight records (else this test proves nothing)');
        if (mode.expectPartialFrames) assert.ok(partialFrames > 0, 'some checkpoint was taken inside a frame and persisted its unprocessed rest');
        if (mode.expectOutputState) assert.ok(sourceOutputFrames > 0, 'some source overtook its queued in-band barrier and persisted the frames before it');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
