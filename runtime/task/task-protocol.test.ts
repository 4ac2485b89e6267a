import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { ActorRef } from '../../actors/index.ts';
import { callTask, parseTaskMessage, sendToMaster, type TaskToMaster } from './task-protocol.ts';

const subtask = { vertexId: 'v1', subtask: 0 };

describe('parseTaskMessage', () => {
  test('accepts every message a subtask sends', () => {
    const messages: TaskToMaster[] = [
      { type: 'ack', subtask, checkpointId: 3, ack: { stateHandles: { operator: {} }, channelStateHandles: null, files: [], metrics: { syncMs: 0, asyncMs: 0, alignmentMs: 0, startDelayMs: 0, unaligned: false, stateBytes: 0, incrementalStateBytes: 0, persistedInFlightBytes: 0 } } },
      { type: 'decline', subtask, checkpointId: 3, reason: 'TASK_FAILURE' },
      { type: 'decline', subtask, checkpointId: 3, reason: 'TASK_FAILURE', message: 'boom' },
      { type: 'subtask-finished', subtask },
      { type: 'source-finished', subtask },
      { type: 'metrics', metrics: { vertex: 0, subtask: 0, recordsIn: 1, recordsOut: 1, bytesOut: 8, framesIn: 1, busyMs: 0, idleMs: 0, backPressuredMs: 0, mailsRun: 0, finished: true, inputWatermark: 0, outputWatermark: 0, keyedStateBytes: null } },
    ];
    for (const m of messages) assert.equal(parseTaskMessage(structuredClone(m))?.type, m.type);
  });

  test('rejects unknown types and messages missing what their type requires', () => {
    for (const m of [undefined, null, 7, 'ack', {}, { type: 'nope', subtask },
      { type: 'ack', subtask, checkpointId: 1 }, { type: 'ack', checkpointId: 1, ack: {} },
      { type: 'decline', subtask, reason: 'x' }, { type: 'decline', subtask, checkpointId: 1, reason: 'x', message: 5 },
      { type: 'subtask-finished' }, { type: 'source-finished', subtask: { vertexId: 'v1' } }, { type: 'metrics' }]) {
      assert.equal(parseTaskMessage(m), undefined, JSON.stringify(m));
    }
  });
});

describe('typed control plane', () => {
  test('sendToMaster passes the message on unchanged', () => {
    const sent: unknown[] = [];
    sendToMaster({ send: (m) => sent.push(m) }, { type: 'source-finished', subtask });
    assert.deepEqual(sent, [{ type: 'source-finished', subtask }]);
  });

  test('callTask calls the method by name with its arguments (and is checked at compile time)', async () => {
    const calls: unknown[][] = [];
    const ref = { id: 'a', host: 0, done: Promise.resolve(), stop: async () => {}, call: async (...a: unknown[]) => { calls.push(a); return undefined as never; } } satisfies ActorRef;
    await callTask(ref, 'notifyCheckpointAborted', 4, 'expired');
    await callTask(ref, 'endInput');
    assert.deepEqual(calls, [['notifyCheckpointAborted', 4, 'expired'], ['endInput']]);
    if (calls.length < 0) {
      // Type-level checks only (never run).
      // @ts-expect-error not a method of the subtask actor
      await callTask(ref, 'triggerSavepoint');
      // @ts-expect-error run() is driven by the host, not callable
      await callTask(ref, 'run');
      // @ts-expect-error wrong argument type
      await callTask(ref, 'notifyCheckpointComplete', '4');
      // @ts-expect-error missing argument
      await callTask(ref, 'notifyCheckpointAborted', 4);
      // @ts-expect-error subtask-finished requires its subtask key
      sendToMaster({ send: () => {} }, { type: 'subtask-finished' });
    }
  });
});
