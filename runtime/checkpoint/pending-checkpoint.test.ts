import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { PendingCheckpoint, type SubtaskAck } from './pending-checkpoint.ts';
import { CheckpointStatsTracker } from './checkpoint-stats.ts';

const A = { vertexId: 'a', subtask: 0 };
const B = { vertexId: 'b', subtask: 0 };

function ack(files: string[]): SubtaskAck {
  return {
    stateHandles: { files }, channelStateHandles: { inflight: 1 },
    files: files.map((p) => ({ path: p, bytes: 1, sha256: '0'.repeat(64), shared: p.startsWith('shared/') })),
    metrics: { syncMs: 0, asyncMs: 0, alignmentMs: 0, startDelayMs: 0, unaligned: false, stateBytes: 1, incrementalStateBytes: 1, persistedInFlightBytes: 0 },
  };
}

describe('PendingCheckpoint', () => {
  test('tracks acknowledgements and builds a draft in a stable order', () => {
    const p = new PendingCheckpoint({ checkpointId: 4, kind: 'checkpoint', trigger: 'manual', triggerTimestamp: 10, alignment: 'aligned', tasksToAcknowledge: [B, A] });
    assert.equal(p.acknowledge({ vertexId: 'z', subtask: 0 }, ack([])), 'unknown-subtask');
    assert.equal(p.acknowledge(B, ack(['chk-4/b', 'shared/x'])), 'accepted');
    assert.equal(p.acknowledge(B, ack([])), 'duplicate');
    assert.equal(p.isFullyAcknowledged(), false);
    assert.equal(p.acknowledgeFinished(B), false); // already acknowledged
    assert.equal(p.acknowledgeFinished(A), true);
    assert.equal(p.isFullyAcknowledged(), true);
    assert.equal(p.acknowledgedCount, 2);
    const stats = new CheckpointStatsTracker();
    stats.reportPending({ checkpointId: 4, kind: 'checkpoint', trigger: 'manual', triggerTimestamp: 10, totalSubtasks: 2 });
    const d = p.toDraft({ jobId: 'j', vertices: [], completionTimestamp: 20, stats: stats.completedView(4, 20)! });
    assert.deepEqual(d.subtasks, [
      { vertexId: 'a', subtask: 0, finished: true, stateHandles: null, channelStateHandles: null },
      { vertexId: 'b', subtask: 0, finished: false, stateHandles: { files: ['chk-4/b', 'shared/x'] }, channelStateHandles: { inflight: 1 } },
    ]);
    assert.deepEqual(d.files.map((f) => [f.path, f.shared, f.subtask]), [['chk-4/b', false, 'b#0'], ['shared/x', true, 'b#0']]);
    assert.equal(d.targetDirectory, undefined);
  });

  test('after abort, late acks are not accepted but their files are remembered for cleanup', () => {
    const p = new PendingCheckpoint({ checkpointId: 1, kind: 'checkpoint', trigger: 'manual', triggerTimestamp: 0, alignment: 'aligned', tasksToAcknowledge: [A, B] });
    p.acknowledge(A, ack(['chk-1/a']));
    p.status = 'aborted';
    assert.equal(p.acknowledge(B, ack(['chk-1/b'])), 'not-collecting');
    assert.deepEqual(p.files().map((f) => f.path), ['chk-1/a', 'chk-1/b']);
  });
});
