import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SubtaskCheckpointLocations } from './checkpoint-locations.ts';

test('a checkpoint directory that cannot be created is WEIR_STATE_WRITE_FAILED naming it (not a raw errno error)', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-locations-'));
  try {
    fs.writeFileSync(path.join(root, 'chk-1'), 'a file where the directory goes');
    const locations = new SubtaskCheckpointLocations(root, 'count-0', false);
    assert.throws(() => locations.snapshotTarget({ checkpointId: 1, kind: 'checkpoint' }), (e: unknown) => {
      const err = e as { code?: string; message: string; details: Record<string, unknown> };
      assert.equal(err.code, 'WEIR_STATE_WRITE_FAILED');
      assert.match(err.message, /cannot create the checkpoint directory .*chk-1\/count-0 \(ENOTDIR/);
      assert.equal(err.details.checkpointId, 1);
      return true;
    });
    const ok = locations.snapshotTarget({ checkpointId: 2, kind: 'checkpoint' });
    assert.ok(fs.statSync(ok.exclusiveDir).isDirectory());
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
