/**
 * A keyed broadcast subtask driven in this thread through the harness (test-support/): records of
 * the broadcast input write broadcast state that the keyed input reads; `applyToKeyedState`
 * visits every key's state; a checkpoint stores the broadcast state as operator state and a
 * restored subtask has it; misuse gives the broadcast-state error codes (not a generic
 * user-function failure, which a restart could not fix either).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamTaskTestHarness } from './test-support/stream-task-test-harness.ts';
import { broadcastHarnessJob, MAX_STATE_BYTES, type HarnessCommand, type HarnessEvent } from './test-support/broadcast-harness-jobs.ts';
import { isBroadcastStateSnapshot } from '../operators/broadcast-state.ts';
import type { SubtaskRestore } from '../recovery/restore-planner.ts';
import type { KeyedStateHandle } from '../../state/index.ts';

const EVENTS = 0;
const COMMANDS = 1;
const open = (extra: { restore?: SubtaskRestore } = {}) =>
  StreamTaskTestHarness.open({ job: broadcastHarnessJob, params: undefined, vertex: 2, stateBackend: 'lmdb', checkpointing: {}, batching: { maxBatchRecords: 1 }, ...extra });
const events = (h: StreamTaskTestHarness, ...keys: string[]) => h.records(EVENTS, keys.map((key): HarnessEvent => ({ key })));
const command = (h: StreamTaskTestHarness, c: HarnessCommand) => h.records(COMMANDS, [c]);

test('broadcast state written by the broadcast input is read by the keyed input; applyToKeyedState visits and clears every key; a restored subtask has the state', async () => {
  const h = await open();
  let restore: SubtaskRestore;
  try {
    h.start();
    await events(h, 'a', 'b', 'a');
    await h.waitUntil(() => h.collected().length === 3, 'three events');
    await command(h, { type: 'set', name: 'limit', value: 7 });
    await h.waitUntil(() => h.collected().length === 4, 'the setting');
    await events(h, 'c', 'a');
    await h.waitUntil(() => h.collected().length === 6, 'two more events');
    assert.deepEqual(h.collected(), ['a:1:none', 'b:1:none', 'a:2:none', 'set:limit=7', 'c:1:7', 'a:3:7']);

    await command(h, { type: 'reset' });
    await h.waitUntil(() => h.collected().length === 9, 'a reset line per key');
    assert.deepEqual(h.collected().slice(6).sort(), ['reset:a:3', 'reset:b:1', 'reset:c:1'], 'every key with a count, once, with its count');
    await events(h, 'a');
    await h.waitUntil(() => h.collected().length === 10, 'an event after the reset');
    assert.equal(h.collected()[9], 'a:1:7', 'the reset cleared the count of a; the setting stays');

    await h.barrier(EVENTS, 1);
    await h.barrier(COMMANDS, 1);
    await h.waitUntil(() => h.acks().length === 1, 'the ack of checkpoint 1');
    const handles = h.acks()[0]!.ack.stateHandles as { keyed?: KeyedStateHandle; operator: Record<string, unknown> };
    const snapshot = handles.operator['b'];
    assert.ok(isBroadcastStateSnapshot(snapshot), `operator state of b is the broadcast state: ${JSON.stringify(snapshot)}`);
    restore = {
      checkpointId: 1, kind: 'checkpoint', rootDir: `${h.directory}/checkpoints`, keyed: handles.keyed ? [handles.keyed] : [],
      operator: { b: [snapshot] }, channelState: [], keyedInputs: [0], oldParallelism: 1, outputsOldParallelism: [],
    };
    await h.endInput();
    await h.finished();
  } catch (e) {
    await h.close();
    throw e;
  }
  const restored = await open({ restore });
  try {
    restored.start();
    await events(restored, 'a', 'd');
    await restored.waitUntil(() => restored.collected().length === 2, 'two events after the restore');
    assert.deepEqual(restored.collected(), ['a:2:7', 'd:1:7'], 'the restored subtask has the broadcast state and the keyed counts');
    await restored.endInput();
    await restored.finished();
  } finally {
    await restored.close();
    await h.close();
  }
});

for (const [what, send, code, message] of [
  ['a write from processElement', (h: StreamTaskTestHarness) => h.records(EVENTS, [{ key: 'a', write: true }]), 'WEIR_BROADCAST_STATE_READ_ONLY', /broadcast state 'settings' in operator 'KeyedBroadcastProcess' \(uid b, subtask 1\/1\) is read-only here/],
  ['a descriptor not given to broadcast()', (h: StreamTaskTestHarness) => command(h, { type: 'unknown-state' }), 'WEIR_BROADCAST_STATE_UNKNOWN', /no broadcast state 'not-declared'; this operator's broadcast stream declares 'settings'/],
  ['a put past the bound', (h: StreamTaskTestHarness) => command(h, { type: 'big', bytes: MAX_STATE_BYTES }), 'WEIR_BROADCAST_STATE_TOO_LARGE', new RegExp(`above its bound of ${MAX_STATE_BYTES} bytes`)],
] as const) {
  test(`${what} fails the subtask with ${code}`, async () => {
    const h = await open();
    try {
      h.start();
      await command(h, { type: 'set', name: 'limit', value: 1 });
      await h.waitUntil(() => h.collected().length === 1, 'the setting');
      await send(h);
      await h.waitUntil(() => h.outcome !== undefined, 'the subtask to fail');
      assert.equal((h.outcome!.error as { code?: string }).code, code, String(h.outcome!.error));
      assert.match((h.outcome!.error as Error).message, message);
    } finally {
      await h.close();
    }
  });
}
