/**
 * Windows rescaled (LMDB state): event-time sliding windows with allowed lateness and a late side
 * output, stopped mid-run and restored at another parallelism, twice in a chain —
 * from savepoints 2 → 3 → 2 (and the first savepoint also 2 → 1), and from unaligned checkpoints
 * holding in-flight data of the windows' keyed input (the window operator is slow) 2 → 3 → 2.
 * Each checkpoint is taken mid-window: open windows, pending end-of-window and cleanup timers,
 * some results emitted before it and some not. The outputs of the chained runs (each released up
 * to the checkpoint the next one restores) together must be exactly the sequential reference's:
 * every window result once, every late record once — a result lost or emitted twice across a
 * rescale, or a re-routed in-flight record lost, duplicated or sent to a subtask that does not
 * own its key (a window result split in two), shows as a difference.
 *
 * A parallel generator rescaled down (4 → 1) hands the remaining subtask several splits:
 * read in index order, a watermark assigned after the source sees no more disorder than the
 * events' own, so no on-time record turns late (read split after split, every split but the first
 * would have been behind the watermark).
 *
 * The unaligned case's input rises in event time (with records late by far more than the allowed
 * lateness): watermarks inside re-routed in-flight data are dropped and a restored window subtask
 * starts from the smallest old watermark (docs/checkpointing.md), so only results that do not
 * depend on where exactly the watermarks fell can be compared with the sequential reference.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inOrderEvents, outOfOrderEvents, windowRescaleJob, windowRescaleReference } from './support/window-rescale-jobs.ts';
import type { Ev } from './support/window-jobs.ts';
import { checkpointsCompleted } from './support/checkpoint-events.ts';
import type { JobClient } from '../index.ts';
import type { ChannelStateHandle } from '../runtime/task/subtask-checkpointer.ts';

const sorted = (xs: readonly unknown[]) => xs.map((x) => JSON.stringify(x)).sort();
/** Work per element and window in the first runs (the restored last runs do none). */
const SPIN = 150;

interface Output { out: unknown[]; late: unknown[] }

function options(dir: string, name: string, events: Ev[], parallelism: number, spinMicros: number) {
  return {
    params: { events, parallelism, spinMicros },
    parallelism,
    stateBackend: 'lmdb' as const,
    stateDirectory: path.join(dir, name),
    bufferBytes: 1024,
  };
}

/** The runs' outputs together must be the reference's, exactly. */
function assertExact(label: string, runs: Output[], exp: Output): void {
  assert.deepEqual(sorted(runs.flatMap((r) => r.out)), sorted(exp.out), `${label}: every window result once`);
  assert.deepEqual(sorted(runs.flatMap((r) => r.late)), sorted(exp.late), `${label}: every late record once`);
}

describe('windows: rescaling from a savepoint', () => {
  test('savepoints at parallelism 2 and 3, restored 2 → 3 → 2 and 2 → 1: the runs together emit the output exactly', { timeout: 120_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-window-rescale-'));
    try {
      const evs = outOfOrderEvents(99, 3000);
      const exp = windowRescaleReference(evs);
      assert.ok(exp.late.length > 0, 'some records are late');
      const checkpointing = { intervalMs: 20, directory: path.join(dir, 'checkpoints') };
      /** Runs until 2 checkpoints completed, then stops with a savepoint. */
      const untilSavepoint = async (client: JobClient) => {
        await checkpointsCompleted(client, 2);
        const savepoint = await client.stopWithSavepoint(path.join(dir, 'savepoints'));
        const result = await client.done;
        return { savepoint: savepoint.directory, output: { out: result.collected.out ?? [], late: result.collected.late ?? [] } };
      };
      const first = await untilSavepoint(windowRescaleJob.execute({ ...options(dir, 'first', evs, 2, SPIN), checkpointing }));
      assert.ok(first.output.out.length > 0 && first.output.out.length < exp.out.length, `the savepoint at parallelism 2 was taken mid-run (${first.output.out.length} of ${exp.out.length} results before it)`);

      const toOne = await windowRescaleJob.execute({ ...options(dir, 'restored-1', evs, 1, 0), restore: first.savepoint }).done;
      assert.equal(toOne.status, 'finished');
      assertExact('parallelism 2 → 1', [first.output, { out: toOne.collected.out!, late: toOne.collected.late! }], exp);

      const second = await untilSavepoint(windowRescaleJob.execute({ ...options(dir, 'restored-3', evs, 3, SPIN), checkpointing, restore: first.savepoint }));
      const upToSecond = first.output.out.length + second.output.out.length;
      assert.ok(second.output.out.length > 0 && upToSecond < exp.out.length, `the savepoint at parallelism 3 was taken mid-run (${second.output.out.length} more results, ${upToSecond} of ${exp.out.length})`);

      const last = await windowRescaleJob.execute({ ...options(dir, 'restored-2', evs, 2, 0), restore: second.savepoint }).done;
      assert.equal(last.status, 'finished');
      assertExact('parallelism 2 → 3 → 2', [first.output, second.output, { out: last.collected.out!, late: last.collected.late! }], exp);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('windows: a parallel generator rescaled down from a savepoint', () => {
  // Restored at 1: one source subtask reads all four splits, so the output depends on their order
  // alone. (At 2, two restored sources race each other and the windows' watermark — the slower
  // one's — decides which of the far-behind records are late: not comparable with a sequential run.)
  for (const to of [1]) {
    test(`sources and windows at parallelism 4, restored at ${to}: no on-time record turns late, the runs together emit the output exactly`, { timeout: 120_000 }, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-window-rescale-'));
      try {
        const evs = inOrderEvents(11, 3000);
        const exp = windowRescaleReference(evs);
        const run = (name: string, parallelism: number, spinMicros: number) => ({ ...options(dir, name, evs, parallelism, spinMicros), params: { events: evs, parallelism, spinMicros, sourceParallelism: parallelism } });
        const client = windowRescaleJob.execute({ ...run('first', 4, SPIN), checkpointing: { intervalMs: 20, directory: path.join(dir, 'checkpoints') } });
        await checkpointsCompleted(client, 2);
        const savepoint = await client.stopWithSavepoint(path.join(dir, 'savepoints'));
        const first = await client.done;
        const before = { out: first.collected.out ?? [], late: first.collected.late ?? [] };
        assert.ok(before.out.length < exp.out.length / 2, `the savepoint was taken in the first half (${before.out.length} of ${exp.out.length} results before it)`);

        const restored = await windowRescaleJob.execute({ ...run(`restored-${to}`, to, 0), restore: savepoint.directory }).done;
        assert.equal(restored.status, 'finished');
        assertExact(`parallelism 4 → ${to}`, [before, { out: restored.collected.out!, late: restored.collected.late! }], exp);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('windows: rescaling from an unaligned checkpoint with in-flight data of the keyed input', () => {
  test('unaligned checkpoints at parallelism 2 and 3, restored 2 → 3 → 2: the runs together emit the output exactly', { timeout: 120_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-window-rescale-'));
    try {
      const evs = inOrderEvents(7, 3000);
      const exp = windowRescaleReference(evs);
      assert.ok(exp.late.length > 50, `some records are late (${exp.late.length})`);
      const checkpointing = { directory: path.join(dir, 'checkpoints'), unaligned: true, retention: 'retain-on-cancel' as const, retained: 10 };
      /**
       * Triggers unaligned checkpoints until one persisted in-flight records of the keyed edge
       * (the windows are slow: their input queues up) and followed `minResults` results and some late
       * records of this run; then cancels. Returns that checkpoint and the run's output up to it.
       */
      const untilCheckpoint = async (client: JobClient, minResults: number) => {
        let restoreFrom: string | undefined;
        let last = { inputFrames: 0, outputFrames: 0, results: 0, late: 0 };
        try {
          await client.running;
          for (let attempt = 0; attempt < 300 && !restoreFrom; attempt++) {
            const c = await client.triggerCheckpoint();
            // The keyed edge: the source's unsent output and the windows' overtaken input.
            const frames = (vertexId: string, side: 'inputFrames' | 'outputFrames') => c.metadata.subtasks
              .filter((s) => s.vertexId === vertexId)
              .reduce((n, s) => n + ((s.channelStateHandles as ChannelStateHandle | null)?.[side] ?? 0), 0);
            last = {
              inputFrames: frames('windows', 'inputFrames'),
              outputFrames: frames('events', 'outputFrames'),
              results: client.collected('out').length,
              late: client.collected('late').length,
            };
            if (last.inputFrames + last.outputFrames > 0 && last.results >= minResults && last.late > 0) restoreFrom = c.directory;
          }
        } finally {
          await client.cancel();
        }
        await client.done;
        assert.ok(restoreFrom, `an unaligned checkpoint after ${minResults} results persisted in-flight data (the last one: ${JSON.stringify(last)})`);
        return { checkpoint: restoreFrom, output: { out: client.collected('out'), late: client.collected('late') } };
      };
      const quarter = Math.floor(exp.out.length / 4);
      const first = await untilCheckpoint(windowRescaleJob.execute({ ...options(dir, 'first', evs, 2, SPIN), checkpointing }), quarter);
      assert.ok(first.output.out.length < exp.out.length, `the checkpoint at parallelism 2 was taken mid-run (${first.output.out.length} of ${exp.out.length} results before it)`);

      const second = await untilCheckpoint(windowRescaleJob.execute({ ...options(dir, 'restored-3', evs, 3, SPIN), checkpointing, restore: first.checkpoint }), quarter);
      const upToSecond = first.output.out.length + second.output.out.length;
      assert.ok(upToSecond < exp.out.length, `the checkpoint at parallelism 3 was taken mid-run (${upToSecond} of ${exp.out.length} results before it)`);

      const last = await windowRescaleJob.execute({ ...options(dir, 'restored-2', evs, 2, 0), restore: second.checkpoint }).done;
      assert.equal(last.status, 'finished');
      assertExact('parallelism 2 → 3 → 2', [first.output, second.output, { out: last.collected.out!, late: last.collected.late! }], exp);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
