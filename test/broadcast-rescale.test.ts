/**
 * Broadcast state rescaled (issue #14): the rules job of test/support/broadcast-jobs.ts stopped
 * mid-run and restored at another parallelism. From an unaligned checkpoint that persisted
 * in-flight data of the broadcast operator (rules and events queued behind a slow map), 2 → 3 and
 * 3 → 2 (a savepoint differs only in carrying no in-flight data). Every new subtask starts from one whole copy of the
 * broadcast state (and replays the in-flight rules that belong to that copy); the keyed state
 * and timers move by key group. Output of both runs together: every event judged exactly once,
 * by the rule version valid at its time.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rulesJob, rulesReference, type RuleJobParams, type RuleJobShape } from './support/broadcast-jobs.ts';
import type { ChannelStateHandle } from '../runtime/task/subtask-checkpointer.ts';
import { readChannelStateFile } from '../runtime/checkpoint/channel-state-file.ts';

const SHAPE: RuleJobShape = { events: 6000, users: 17, categories: 5, ruleEvery: 12 };
// Rules trickle in over the run, so that some are queued before the operator at the checkpoint.
const params = (parallelism: number): RuleJobParams => ({ ...SHAPE, parallelism, sinkMicros: 200, rulesPerSecond: 400 });

/** Whether some subtask of the broadcast operator persisted records of its broadcast input (input 2, edge ordinal 1). */
async function broadcastInputInFlight(subtasks: ReadonlyArray<{ vertexId: string; channelStateHandles: unknown }>, rootDir: string): Promise<boolean> {
  for (const s of subtasks) {
    const h = s.channelStateHandles as ChannelStateHandle | null;
    if (s.vertexId !== 'judge' || h === null || h.inputFrames === 0) continue;
    const contents = await readChannelStateFile(path.join(rootDir, h.file));
    if (contents.input.some((i) => i.edge === 1 && i.frames.length > 0)) return true;
  }
  return false;
}

function assertExact(before: readonly string[], after: readonly string[], what: string): void {
  const want = rulesReference(SHAPE);
  assert.ok(before.length > 0 && before.length < want.length, `${what}: stopped mid-run (${before.length} of ${want.length} judgements before)`);
  const all = [...before, ...after].sort();
  assert.equal(all.length, want.length, `${what}: every event judged once over both runs`);
  assert.deepEqual(all, want, `${what}: each by the rule version valid at its time`);
}

describe('broadcast state rescaled', () => {
  for (const [from, to] of [[2, 3], [3, 2]] as const) {
    test(`from an unaligned checkpoint holding in-flight data of the broadcast operator: ${from} → ${to}`, { timeout: 120_000 }, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-broadcast-rescale-'));
      try {
        const options = { stateBackend: 'lmdb' as const, bufferBytes: 1024 };
        const first = rulesJob.execute({
          ...options, params: params(from), parallelism: from, stateDirectory: path.join(dir, 'state-1'),
          checkpointing: { directory: path.join(dir, 'checkpoints'), unaligned: true, retention: 'retain-on-cancel', retained: 10 },
        });
        let restoreFrom: string | undefined;
        try {
          await first.running;
          for (let attempt = 0; attempt < 40 && !restoreFrom; attempt++) {
            const c = await first.triggerCheckpoint();
            const inFlight = await broadcastInputInFlight(c.metadata.subtasks, path.dirname(c.directory));
            // …and some judgements committed before it (the operator buffers events until the watermark passes them).
            if (inFlight && first.collected<string>('out').length > 0) restoreFrom = c.directory;
          }
        } finally {
          await first.cancel();
        }
        await first.done;
        assert.ok(restoreFrom, 'an unaligned checkpoint persisted in-flight rules before the broadcast operator');
        const second = await rulesJob.execute({ ...options, params: params(to), parallelism: to, stateDirectory: path.join(dir, 'state-2'), restore: restoreFrom }).done;
        assert.equal(second.status, 'finished');
        assertExact(first.collected<string>('out'), second.collected.out as string[], `${from} → ${to}`);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
