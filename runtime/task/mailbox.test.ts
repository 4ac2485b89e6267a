import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskMailbox } from './mailbox.ts';
import { mailboxScheduler, ProcessingTimeTimers } from './task-timers.ts';
import { ManualScheduler } from '../checkpoint/scheduler.ts';

test('mails run in submission order, only when the loop runs them; each submitter gets its own result or error', async () => {
  let wakes = 0;
  const mb = new TaskMailbox(() => wakes++);
  const order: string[] = [];
  const a = mb.submit('a', () => { order.push('a'); return 1; });
  const b = mb.submit('b', async () => { order.push('b'); throw new Error('b failed'); });
  const c = mb.submit('c', () => { order.push('c'); return 'c'; });
  assert.equal(wakes, 3, 'every submit wakes the loop');
  assert.deepEqual(order, [], 'nothing runs on submit');
  assert.deepEqual(mb.pending(), ['a', 'b', 'c']);
  assert.equal(await mb.runMails(), 3);
  assert.deepEqual(order, ['a', 'b', 'c']);
  assert.equal(await a, 1);
  await assert.rejects(b, /b failed/);
  assert.equal(await c, 'c');
  assert.equal(mb.mailsRun, 3);
});

test('a mail submitted by a running mail waits for the next run', async () => {
  const mb = new TaskMailbox();
  const order: string[] = [];
  void mb.submit('outer', () => { order.push('outer'); void mb.submit('inner', () => order.push('inner')); });
  assert.equal(await mb.runMails(), 1);
  assert.deepEqual(order, ['outer']);
  assert.equal(mb.hasMail, true);
  await mb.runMails();
  assert.deepEqual(order, ['outer', 'inner']);
});

test('close rejects queued and later mails with WEIR_TASK_ENDED', async () => {
  let wakes = 0;
  const mb = new TaskMailbox(() => wakes++);
  const queued = mb.submit('queued', () => 1);
  assert.equal(wakes, 1);
  mb.close();
  await assert.rejects(queued, { code: 'WEIR_TASK_ENDED' });
  await assert.rejects(mb.submit('late', () => 1), { code: 'WEIR_TASK_ENDED' });
  assert.equal(wakes, 1, 'a refused mail wakes nobody');
  assert.equal(mb.isClosed, true);
});

test('a mailbox scheduler runs due callbacks as mails; a cancel after the timer fired but before the mail ran still holds', async () => {
  const sched = new ManualScheduler();
  const mb = new TaskMailbox();
  const s = mailboxScheduler(sched, mb, 'timeout');
  const fired: string[] = [];
  s.schedule(10, () => fired.push('a'));
  const cancelB = s.schedule(10, () => fired.push('b'));
  sched.advance(10);
  assert.deepEqual(fired, [], 'not from the timer itself');
  assert.deepEqual(mb.pending(), ['timeout', 'timeout']);
  cancelB();
  await mb.runMails();
  assert.deepEqual(fired, ['a']);
});

test('processing-time timers: the earliest request is armed; firing runs as a mail once the clock passed the time, and re-arms from what the chain returns', async () => {
  const sched = new ManualScheduler();
  const mb = new TaskMailbox();
  const calls: number[] = [];
  let next: number | undefined = 50;
  const timers = new ProcessingTimeTimers(sched, sched.clock, mb, (now) => { calls.push(now); return next; }, (e) => { throw e; });
  timers.fireDue(); // at start (clock 0: what is due before it); the chain says 50
  assert.deepEqual(calls, [-1]);
  assert.equal(timers.nextAt, 50);
  timers.requestAt(80); // later than armed: ignored
  assert.equal(timers.nextAt, 50);
  timers.requestAt(20); // earlier: re-armed
  assert.equal(timers.nextAt, 20);
  sched.advance(20);
  assert.equal(mb.hasMail, false, 'not during millisecond 20: a record arriving then still belongs before a timer at 20 (Flink\'s +1 ms)');
  sched.advance(1);
  assert.deepEqual(calls, [-1], 'the timer only submits a mail');
  next = undefined;
  await mb.runMails();
  assert.deepEqual(calls, [-1, 20], 'the chain fires what is due up to 20');
  assert.equal(timers.nextAt, undefined, 'nothing more requested');
  timers.requestAt(30);
  timers.close();
  sched.advance(100);
  assert.equal(mb.hasMail, false, 'closed timers never fire');
});

