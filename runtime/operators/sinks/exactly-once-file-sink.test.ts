/**
 * The exactly-once file sink driven through the operator's hooks (no threads),
 * on real files in a temp directory: what becomes visible when, restore, and
 * the CSV encoding.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TaskInfo } from '../../api/functions.ts';
import { WeirError } from '../../../common/weir-error.ts';
import { TwoPhaseCommitSinkOperator, type TwoPhaseCommitState } from './two-phase-commit-sink.ts';
import { csvField, exactlyOnceFileSink, type ExactlyOnceFileSinkOptions, type FileTransaction } from './exactly-once-file-sink.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-sink-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const newDir = () => path.join(root, `d${dirs++}`);

function info(attempt = 0, subtask = 0): TaskInfo {
  return { operatorName: 'Files', uid: 'files', subtask, parallelism: 1, maxParallelism: 128, attempt };
}

type Op = TwoPhaseCommitSinkOperator<unknown, FileTransaction>;

async function start(options: ExactlyOnceFileSinkOptions, restored?: unknown[], attempt = 0): Promise<Op> {
  const op = new TwoPhaseCommitSinkOperator(exactlyOnceFileSink(options), info(attempt)) as Op;
  await op.initializeState(restored);
  op.open();
  return op;
}

/** Visible (committed) files, sorted. */
function visible(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => !n.startsWith('.')).sort() : [];
}

function hidden(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.startsWith('.')).sort() : [];
}

/** Concatenated content of the committed files (in commit order: names sort by seq within an instance). */
function committedText(dir: string): string {
  return visible(dir).map((n) => fs.readFileSync(path.join(dir, n), 'utf8')).join('');
}

function jsonlRecords(dir: string): unknown[] {
  return committedText(dir).split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as unknown);
}

function feed(op: Op, ...values: unknown[]): void {
  for (const v of values) op.processElement(v, undefined);
}

describe('exactly-once file sink: visibility', () => {
  test('records before checkpoint n become visible only after notifyCheckpointComplete(n)', async () => {
    const dir = newDir();
    const op = await start({ directory: dir, format: 'jsonl' });
    feed(op, { a: 1 }, { a: 2 });
    assert.deepEqual(visible(dir), []);
    assert.equal(hidden(dir).length, 1);
    assert.match(hidden(dir)[0]!, /^\.part-files-0-0-[0-9a-f]{8}-000000\.inprogress$/);
    op.snapshotState(1);
    assert.match(hidden(dir)[0]!, /^\.part-files-0-0-[0-9a-f]{8}-000000\.pending$/);
    feed(op, { a: 3 });
    assert.deepEqual(visible(dir), []);
    await op.notifyCheckpointComplete(1);
    assert.equal(visible(dir).length, 1);
    assert.match(visible(dir)[0]!, /^part-files-0-0-[0-9a-f]{8}-000000\.jsonl$/);
    assert.deepEqual(jsonlRecords(dir), [{ a: 1 }, { a: 2 }]);
    await op.close();
    assert.deepEqual(jsonlRecords(dir), [{ a: 1 }, { a: 2 }], 'the uncommitted record 3 never becomes visible');
    assert.deepEqual(hidden(dir), [], 'close deleted the open in-progress file');
  });

  test('subsuming: completing 3 commits the transactions of checkpoints 2 and 3; empty transactions make no file', async () => {
    const dir = newDir();
    const op = await start({ directory: dir, format: 'jsonl' });
    feed(op, 1);
    op.snapshotState(1);
    await op.notifyCheckpointComplete(1);
    feed(op, 2, 3);
    op.snapshotState(2);
    op.snapshotState(3); // nothing written between 2 and 3: no file for that transaction
    feed(op, 4);
    op.snapshotState(4);
    assert.equal(visible(dir).length, 1);
    await op.notifyCheckpointComplete(3);
    assert.deepEqual(jsonlRecords(dir), [1, 2, 3]);
    assert.equal(visible(dir).length, 2);
    assert.equal(hidden(dir).length, 1, 'the transaction of checkpoint 4 is still pending');
    await op.notifyCheckpointComplete(4);
    assert.deepEqual(jsonlRecords(dir), [1, 2, 3, 4]);
    await op.close();
  });

  test('an aborted checkpoint keeps its file pending until a later checkpoint completes', async () => {
    const dir = newDir();
    const op = await start({ directory: dir, format: 'jsonl' });
    feed(op, 'x');
    op.snapshotState(1);
    op.notifyCheckpointAborted();
    assert.deepEqual(visible(dir), []);
    assert.equal(hidden(dir).filter((n) => n.endsWith('.pending')).length, 1);
    feed(op, 'y');
    op.snapshotState(2);
    await op.notifyCheckpointComplete(2);
    assert.deepEqual(jsonlRecords(dir), ['x', 'y']);
    assert.deepEqual(hidden(dir), []);
    await op.close();
  });

  test('without checkpointing, finish commits everything in one file', async () => {
    const dir = newDir();
    const op = await start({ directory: dir, format: 'jsonl' });
    const n = 5000; // > the 64 KiB write buffer
    for (let i = 0; i < n; i++) op.processElement({ i, pad: 'p'.repeat(20) }, undefined);
    assert.deepEqual(visible(dir), []);
    await op.finish();
    await op.close();
    assert.equal(visible(dir).length, 1);
    assert.deepEqual(jsonlRecords(dir).map((r) => (r as { i: number }).i), Array.from({ length: n }, (_, i) => i));
    assert.deepEqual(hidden(dir), []);
  });

  test('close after a failure leaves no final file for uncommitted data', async () => {
    const dir = newDir();
    const op = await start({ directory: dir, format: 'csv' });
    feed(op, { a: 1 });
    op.snapshotState(1); // pre-committed, checkpoint never completes
    feed(op, { a: 2 });
    await op.close();
    assert.deepEqual(visible(dir), []);
    assert.equal(hidden(dir).length, 1);
    assert.match(hidden(dir)[0]!, /\.pending$/, 'the pre-committed file stays (hidden) for a restore');
  });
});

describe('exactly-once file sink: restore', () => {
  test('restore commits the restored pending transactions idempotently and discards the open one and later ones', async () => {
    const dir = newDir();
    const op1 = await start({ directory: dir, format: 'jsonl' });
    feed(op1, 1, 2);
    op1.snapshotState(1);
    await op1.notifyCheckpointComplete(1);
    feed(op1, 3);
    op1.snapshotState(2);
    feed(op1, 4);
    const state = op1.snapshotState(3) as TwoPhaseCommitState<FileTransaction>; // checkpoint 3 completes, notification lost
    feed(op1, 5);
    op1.snapshotState(4); // checkpoint 4 never completes
    feed(op1, 6);
    // Crash: no close. Pending files of checkpoints 2, 3 and 4 and an in-progress file remain.
    assert.deepEqual(jsonlRecords(dir), [1, 2]);
    assert.equal(hidden(dir).length, 4);

    const op2 = await start({ directory: dir, format: 'jsonl' }, [state], 1);
    assert.deepEqual(jsonlRecords(dir), [1, 2, 3, 4], 'transactions of checkpoints 2 and 3 committed; 4 and the open one discarded');
    assert.deepEqual(hidden(dir), [], 'transactions begun after checkpoint 3 are deleted');
    const files = visible(dir);

    // A second restore from the same checkpoint (e.g. another failure before the next one) changes nothing.
    const op3 = await start({ directory: dir, format: 'jsonl' }, [state], 2);
    assert.deepEqual(visible(dir), files);
    assert.deepEqual(jsonlRecords(dir), [1, 2, 3, 4]);

    // The restored instance writes new files with new names.
    feed(op3, 5, 6);
    await op3.finish();
    assert.deepEqual(jsonlRecords(dir).sort(), [1, 2, 3, 4, 5, 6]);
    await op2.close();
    await op3.close();
    assert.deepEqual(hidden(dir), []);
  });

  test('a pre-committed file that vanished is reported, not skipped', async () => {
    const dir = newDir();
    const op1 = await start({ directory: dir, format: 'jsonl' });
    feed(op1, 1);
    const state = op1.snapshotState(1);
    for (const n of hidden(dir)) fs.unlinkSync(path.join(dir, n));
    const op2 = new TwoPhaseCommitSinkOperator(exactlyOnceFileSink({ directory: dir, format: 'jsonl' }), info(1));
    await assert.rejects(op2.initializeState([state]), (e: WeirError) => {
      assert.equal(e.code, 'WEIR_SINK_FAILED');
      assert.match(e.message, /the pre-committed data is lost/);
      return true;
    });
  });
});

describe('exactly-once file sink: CSV', () => {
  test('RFC 4180 quoting, header per file, CRLF, stable column order from the first record', async () => {
    const dir = newDir();
    const op = await start({ directory: dir, format: 'csv' });
    feed(op, { id: 1, text: 'plain', ok: true });
    feed(op, { text: 'a,b', ok: false, id: 2 }); // other key order: columns stay id,text,ok
    op.snapshotState(1);
    feed(op, { id: 3, text: 'say "hi"\nbye', ok: null }, { id: 4n, text: '', ok: new Date(0) });
    op.snapshotState(2);
    await op.notifyCheckpointComplete(2);
    await op.close();
    const [f1, f2] = visible(dir).map((n) => fs.readFileSync(path.join(dir, n), 'utf8'));
    assert.equal(f1, 'id,text,ok\r\n1,plain,true\r\n2,"a,b",false\r\n');
    assert.equal(f2, 'id,text,ok\r\n3,"say ""hi""\nbye",\r\n4,"",1970-01-01T00:00:00.000Z\r\n');
  });

  test('explicit columns choose and order the fields; others are ignored; header names are quoted', async () => {
    const dir = newDir();
    const op = await start({ directory: dir, format: 'csv', columns: ['b', 'a,1'], prefix: 'out' });
    feed(op, { 'a,1': 'x', b: 2, c: 'ignored' });
    await op.finish();
    await op.close();
    assert.match(visible(dir)[0]!, /^out-files-0-0-[0-9a-f]{8}-000000\.csv$/);
    assert.equal(committedText(dir), 'b,"a,1"\r\n2,x\r\n');
  });

  test('bad records fail with WEIR_SINK_INVALID_RECORD (no restart) naming operator, subtask, column and record', async () => {
    const dir = newDir();
    const op = await start({ directory: dir, format: 'csv' });
    feed(op, { id: 1, name: 'a' });
    const expectBad = (record: unknown, reason: string, pattern: RegExp, column?: string) => {
      assert.throws(() => op.processElement(record, undefined), (e: WeirError) => {
        assert.equal(e.code, 'WEIR_SINK_INVALID_RECORD');
        assert.match(e.message, /^exactly-once CSV sink 'Files' \(uid files, subtask 1\/1\): record /);
        assert.match(e.message, pattern);
        assert.equal(e.details.reason, reason);
        assert.equal(e.details.subtask, 0);
        assert.equal(e.details.record, JSON.stringify(record));
        if (column) assert.equal(e.details.column, column);
        return true;
      });
    };
    expectBad({ id: 2 }, 'missing-column', /has no field 'name' \(columns: id, name\)/, 'name');
    expectBad({ id: 3, name: { first: 'x' } }, 'nested-value', /field 'name' holds a nested object/, 'name');
    expectBad({ id: 4, name: [1] }, 'nested-value', /field 'name' holds an array/, 'name');
    expectBad({ id: 5, name: 'b', extra: 1 }, 'extra-field', /has field 'extra' that is not a column/, 'extra');
    expectBad(7, 'not-an-object', /is not an object/);
    await op.finish();
    await op.close();
    assert.equal(committedText(dir), 'id,name\r\n1,a\r\n', 'bad records wrote nothing');
  });

  test('csvField encodes each kind of value', () => {
    assert.equal(csvField('a'), 'a');
    assert.equal(csvField(''), '""');
    assert.equal(csvField('a"b'), '"a""b"');
    assert.equal(csvField('line\r\nnext'), '"line\r\nnext"');
    assert.equal(csvField(' spaced '), ' spaced ');
    assert.equal(csvField(-1.5), '-1.5');
    assert.equal(csvField(null), '');
    assert.equal(csvField(undefined), undefined);
    assert.equal(csvField({}), undefined);
  });
});

describe('exactly-once file sink: options and JSONL records', () => {
  test('invalid options are WEIR_INVALID_ARGUMENT', () => {
    assert.throws(() => exactlyOnceFileSink({ directory: '', format: 'jsonl' }), { code: 'WEIR_INVALID_ARGUMENT' });
    assert.throws(() => exactlyOnceFileSink({ directory: 'x', format: 'xml' as never }), { code: 'WEIR_INVALID_ARGUMENT' });
    assert.throws(() => exactlyOnceFileSink({ directory: 'x', format: 'jsonl', columns: ['a'] }), { code: 'WEIR_INVALID_ARGUMENT' });
    assert.throws(() => exactlyOnceFileSink({ directory: 'x', format: 'csv', columns: ['a', 'a'] }), { code: 'WEIR_INVALID_ARGUMENT' });
    assert.throws(() => exactlyOnceFileSink({ directory: 'x', format: 'csv', prefix: '.hidden' }), { code: 'WEIR_INVALID_ARGUMENT' });
    assert.throws(() => exactlyOnceFileSink({ directory: 'x', format: 'csv', prefix: 'a/b' }), { code: 'WEIR_INVALID_ARGUMENT' });
  });

  test('a record without a JSON form fails with WEIR_SINK_INVALID_RECORD', async () => {
    const dir = newDir();
    const op = await start({ directory: dir, format: 'jsonl' });
    assert.throws(() => op.processElement(() => 1, undefined), (e: WeirError) => e.code === 'WEIR_SINK_INVALID_RECORD' && e.details.reason === 'not-json');
    assert.throws(() => op.processElement({ n: 1n }, undefined), (e: WeirError) => e.code === 'WEIR_SINK_INVALID_RECORD' && /has no JSON form/.test(e.message));
    await op.close();
    assert.deepEqual(fs.existsSync(dir) ? fs.readdirSync(dir) : [], []);
  });
});
