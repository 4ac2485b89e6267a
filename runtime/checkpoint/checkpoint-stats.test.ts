import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { CheckpointStatsTracker, type SubtaskCheckpointMetrics } from './checkpoint-stats.ts';

function metrics(over: Partial<SubtaskCheckpointMetrics> = {}): SubtaskCheckpointMetrics {
  return {
    syncMs: 1, asyncMs: 2, alignmentMs: 0, startDelayMs: 0, unaligned: false,
    stateBytes: 100, incrementalStateBytes: 100, persistedInFlightBytes: 0, ...over,
  };
}

describe('CheckpointStatsTracker', () => {
  test('per-checkpoint entry: acks, sizes, in-flight bytes, per-subtask rows', () => {
    const s = new CheckpointStatsTracker();
    s.reportPending({ checkpointId: 1, kind: 'checkpoint', trigger: 'periodic', triggerTimestamp: 1000, totalSubtasks: 3 });
    s.reportSubtaskAck(1, { vertexId: 'map', subtask: 1 }, 1040, metrics({ syncMs: 3, asyncMs: 10, alignmentMs: 7, startDelayMs: 2, unaligned: true, stateBytes: 300, incrementalStateBytes: 50, persistedInFlightBytes: 64 }));
    s.reportSubtaskAck(1, { vertexId: 'map', subtask: 0 }, 1020, metrics({ syncMs: 1, asyncMs: 4, alignmentMs: 3, startDelayMs: 6, stateBytes: 100, incrementalStateBytes: 100, persistedInFlightBytes: 0 }));
    const inProgress = s.checkpoint(1)!;
    assert.equal(inProgress.status, 'in_progress');
    assert.equal(inProgress.acknowledged, 2);
    assert.equal(inProgress.total, 3);
    assert.equal(inProgress.durationMs, 40); // up to the latest ack
    s.reportSubtaskAck(1, { vertexId: 'src', subtask: 0 }, 1050, 'finished');
    s.reportCompleted(1, 1060, '/c/chk-1');
    const e = s.checkpoint(1)!;
    assert.equal(e.status, 'completed');
    assert.equal(e.durationMs, 50, "Flink's end-to-end duration: trigger → latest acknowledgement");
    assert.equal(e.endTimestamp, 1060, 'completed once _metadata was durable');
    assert.equal(e.acknowledged, 3);
    assert.equal(e.stateBytes, 400);
    assert.equal(e.checkpointedBytes, 150);
    assert.equal(e.persistedInFlightBytes, 64);
    assert.ok(!('processedInFlightBytes' in e), 'no processed in-flight bytes: Weir does not measure them');
    assert.equal(e.alignmentMs, 7);
    assert.equal(e.startDelayMs, 6);
    assert.equal(e.unalignedSubtasks, 1);
    assert.equal(e.externalPath, '/c/chk-1');
    assert.deepEqual(e.subtasks.map((r) => [r.id, r.endToEndMs, r.finished]), [['map#0', 20, false], ['map#1', 40, false], ['src#0', 50, true]]);
    // Finished subtasks are left out of the per-subtask summary.
    assert.deepEqual(e.subtaskSummary.syncMs, { count: 2, min: 1, avg: 2, max: 3 });
    assert.deepEqual(e.subtaskSummary.alignmentMs, { count: 2, min: 3, avg: 5, max: 7 });
  });

  test('counts, latest entries and min/avg/max summaries over completed checkpoints', () => {
    const s = new CheckpointStatsTracker();
    const run = (id: number, start: number, end: number, bytes: number, alignmentMs: number, ok: boolean, kind: 'checkpoint' | 'savepoint' = 'checkpoint'): void => {
      s.reportPending({ checkpointId: id, kind, trigger: 'manual', triggerTimestamp: start, totalSubtasks: 1 });
      s.reportSubtaskAck(id, { vertexId: 'v', subtask: 0 }, end, metrics({ stateBytes: bytes, incrementalStateBytes: bytes / 2, alignmentMs, persistedInFlightBytes: bytes / 4 }));
      if (ok) s.reportCompleted(id, end);
      else s.reportFailed(id, end, 'CHECKPOINT_EXPIRED', 'too slow');
    };
    run(1, 0, 100, 1000, 10, true);
    run(2, 200, 250, 2000, 20, false);
    run(3, 300, 600, 3000, 40, true);
    run(4, 700, 720, 400, 0, true, 'savepoint');
    s.reportPending({ checkpointId: 5, kind: 'checkpoint', trigger: 'periodic', triggerTimestamp: 800, totalSubtasks: 1 });
    s.reportRestored({ checkpointId: 3, kind: 'checkpoint', path: '/c/chk-3', restoreTimestamp: 900 });
    const j = s.toJSON();
    assert.deepEqual(j.counts, { triggered: 5, inProgress: 1, completed: 3, failed: 1, restored: 1 });
    assert.equal(j.latest.completed!.checkpointId, 4);
    assert.equal(j.latest.savepoint!.checkpointId, 4);
    assert.equal(j.latest.failed!.checkpointId, 2);
    assert.equal(j.latest.failed!.failureReason, 'CHECKPOINT_EXPIRED');
    assert.equal(j.latest.failed!.failureMessage, 'too slow');
    assert.deepEqual(j.latest.restore, { checkpointId: 3, kind: 'checkpoint', path: '/c/chk-3', restoreTimestamp: 900 });
    assert.deepEqual(j.summary.durationMs, { count: 3, min: 20, avg: 140, max: 300 });
    assert.deepEqual(j.summary.stateBytes, { count: 3, min: 400, avg: 4400 / 3, max: 3000 });
    assert.deepEqual(j.summary.checkpointedBytes, { count: 3, min: 200, avg: 2200 / 3, max: 1500 });
    assert.deepEqual(j.summary.persistedInFlightBytes, { count: 3, min: 100, avg: 1100 / 3, max: 750 });
    assert.deepEqual(j.summary.alignmentMs, { count: 3, min: 0, avg: 50 / 3, max: 40 });
    assert.deepEqual(j.history.map((h) => [h.checkpointId, h.status]), [[5, 'in_progress'], [4, 'completed'], [3, 'completed'], [2, 'failed'], [1, 'completed']]);
    // JSON-safe.
    assert.deepEqual(JSON.parse(JSON.stringify(j)), j);
  });

  test('empty summaries are null; history keeps the last N finished plus the in-progress ones', () => {
    const s = new CheckpointStatsTracker({ historySize: 2 });
    assert.deepEqual(s.toJSON().summary.durationMs, { count: 0, min: null, avg: null, max: null });
    s.reportPending({ checkpointId: 1, kind: 'checkpoint', trigger: 'periodic', triggerTimestamp: 0, totalSubtasks: 1 });
    for (let id = 2; id <= 5; id++) {
      s.reportPending({ checkpointId: id, kind: 'checkpoint', trigger: 'periodic', triggerTimestamp: id, totalSubtasks: 1 });
      s.reportFailed(id, id + 1, 'CHECKPOINT_DECLINED');
    }
    assert.deepEqual(s.toJSON().history.map((h) => h.checkpointId), [5, 4, 1]);
    assert.equal(s.checkpoint(2), undefined);
    // Reports for unknown or finished ids are ignored.
    s.reportCompleted(4, 100);
    s.reportSubtaskAck(42, { vertexId: 'v', subtask: 0 }, 1, 'finished');
    assert.deepEqual(s.toJSON().counts, { triggered: 5, inProgress: 1, completed: 0, failed: 4, restored: 0 });
  });

  test('completedView shows the entry as completed at a given time without changing it', () => {
    const s = new CheckpointStatsTracker();
    s.reportPending({ checkpointId: 7, kind: 'checkpoint', trigger: 'manual', triggerTimestamp: 10, totalSubtasks: 1 });
    s.reportSubtaskAck(7, { vertexId: 'v', subtask: 0 }, 30, metrics());
    const view = s.completedView(7, 35)!;
    assert.equal(view.status, 'completed');
    assert.equal(view.durationMs, 20);
    assert.equal(view.endTimestamp, 35);
    assert.equal(s.checkpoint(7)!.status, 'in_progress');
  });
});
