import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { resolveInitialRestore } from './restore-source.ts';

test("restore: 'latest' warns about a damaged checkpoint with the id of the job it belongs to (not the new run's)", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-restore-source-'));
  try {
    fs.mkdirSync(path.join(dir, 'orders-0a1b2c3d', 'chk-7'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'orders-0a1b2c3d', 'chk-7', '_metadata'), 'not a checkpoint');
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk)) as Record<string, unknown>); done(); } });
    const logger = pino({ level: 'warn' }, sink).child({ job: 'orders-ffffffff' }); // the new run's fresh id
    await assert.rejects(resolveInitialRestore('latest', { checkpointDirectory: dir, jobName: 'orders', jobId: undefined, logger }), { code: 'WEIR_RESTORE_NOTHING' });
    const warning = lines.find((l) => String(l.msg).startsWith('skipping checkpoint'));
    assert.ok(warning, JSON.stringify(lines));
    assert.equal(warning.job, 'orders-0a1b2c3d');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
