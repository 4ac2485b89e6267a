/**
 * The asynchronous preCommit contract of the two-phase-commit operator: preCommit starts at the
 * barrier, the next transaction begins at once, `snapshotDurable(n)` resolves only after the
 * preCommit of every checkpoint <= n resolved (the subtask acknowledges n then), a rejection
 * surfaces there and fails the next record, and nothing commits before its preCommit resolved.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskInfo } from '../../api/functions.ts';
import { WeirError } from '../../../common/weir-error.ts';
import { twoPhaseCommitSink, TwoPhaseCommitSinkOperator, type TwoPhaseCommitSink } from './two-phase-commit-sink.ts';

const info: TaskInfo = { operatorName: 'AsyncRecorder', uid: 'arec', subtask: 0, parallelism: 1, maxParallelism: 128, attempt: 0 };

interface Txn { id: number; values: number[] }

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

class AsyncSink implements TwoPhaseCommitSink<number, Txn> {
  calls: string[] = [];
  prepares = new Map<number, ReturnType<typeof deferred>>();
  private next = 0;
  beginTransaction(): Txn {
    const t = { id: this.next++, values: [] };
    this.calls.push(`begin ${t.id}`);
    return t;
  }
  invoke(txn: Txn, v: number): void {
    txn.values.push(v);
  }
  preCommit(txn: Txn): Promise<void> {
    this.calls.push(`preCommit ${txn.id}`);
    const d = deferred();
    this.prepares.set(txn.id, d);
    return d.promise.then(() => { this.calls.push(`prepared ${txn.id}`); });
  }
  commit(txn: Txn): void {
    this.calls.push(`commit ${txn.id}`);
  }
  abort(txn: Txn): void {
    this.calls.push(`abort ${txn.id}`);
  }
}

async function started(sink: AsyncSink): Promise<TwoPhaseCommitSinkOperator<number, Txn>> {
  const op = new TwoPhaseCommitSinkOperator(twoPhaseCommitSink('AsyncRecorder', () => sink), info);
  await op.initializeState(undefined);
  await op.open({ checkpointingEnabled: true } as never);
  return op;
}

describe('TwoPhaseCommitSinkOperator with an asynchronous preCommit', () => {
  test('the next transaction begins at the barrier; snapshotDurable waits for the preCommit', async () => {
    const sink = new AsyncSink();
    const op = await started(sink);
    op.processElement(1, undefined);
    const state = op.snapshotState(1);
    assert.deepEqual(state, { pending: [[1, { id: 0, values: [1] }]], current: { id: 1, values: [] } });
    op.processElement(2, undefined); // goes into transaction 1 while 0 is being prepared
    let durable = false;
    const d = op.snapshotDurable(1)!.then(() => { durable = true; });
    await new Promise((r) => setImmediate(r));
    assert.equal(durable, false, 'not durable before the preCommit resolved');
    sink.prepares.get(0)!.resolve();
    await d;
    assert.equal(durable, true);
    await op.notifyCheckpointComplete(1);
    assert.deepEqual(sink.calls, ['begin 0', 'preCommit 0', 'begin 1', 'prepared 0', 'commit 0']);
  });

  test('snapshotDurable(n) covers every earlier checkpoint; undefined when nothing is in flight', async () => {
    const sink = new AsyncSink();
    const op = await started(sink);
    assert.equal(op.snapshotDurable(1), undefined);
    op.processElement(1, undefined);
    op.snapshotState(1);
    op.processElement(2, undefined);
    op.snapshotState(2);
    let durable = false;
    const d = op.snapshotDurable(2)!.then(() => { durable = true; });
    sink.prepares.get(1)!.resolve();
    await new Promise((r) => setImmediate(r));
    assert.equal(durable, false, 'checkpoint 1 is still being prepared');
    sink.prepares.get(0)!.resolve();
    await d;
    assert.equal(durable, true);
  });

  test('a rejected preCommit rejects snapshotDurable with WEIR_SINK_FAILED and fails the next record; nothing commits', async () => {
    const sink = new AsyncSink();
    const op = await started(sink);
    op.processElement(1, undefined);
    op.snapshotState(1);
    sink.prepares.get(0)!.reject(new Error('PREPARE failed'));
    await assert.rejects(op.snapshotDurable(1)!, (e: unknown) => e instanceof WeirError && e.code === 'WEIR_SINK_FAILED' && /preCommit failed: PREPARE failed/.test(e.message));
    assert.throws(() => op.processElement(2, undefined), /preCommit failed: PREPARE failed/);
    await assert.rejects(op.notifyCheckpointComplete(1), /preCommit failed/);
    assert.ok(!sink.calls.includes('commit 0'), 'a transaction whose preCommit failed is never committed');
  });
});
