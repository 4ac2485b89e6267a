import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusArea, statusLine } from './run-status.ts';
import { runLogger } from './run-logger.ts';

test('status line: state, records/s, the last checkpoint with its duration and age, restarts', () => {
  const base = { status: 'running' as const, failovers: [] };
  assert.equal(statusLine({ ...base, checkpointStats: () => undefined }, 12345.6), 'running · 12,346 records/s · restarts 0');
  const stats = { latest: { completed: { kind: 'checkpoint', checkpointId: 7, durationMs: 31, endTimestamp: 1_000 } } };
  assert.equal(statusLine({ ...base, failovers: [{}, {}] as never, checkpointStats: () => stats as never }, 0, 3_400), 'running · 0 records/s · last checkpoint 7: 31 ms, 2 s ago · restarts 2');
  assert.equal(statusLine({ ...base, checkpointStats: () => ({ latest: { completed: null } }) as never }, 5), 'running · 5 records/s · no checkpoint yet · restarts 0');
});

test('weir run logs: pretty on a terminal (the status line cleared first), Weir\'s JSON lines otherwise or with WEIR_LOG_FORMAT=json', () => {
  const written: string[] = [];
  const tty = { isTTY: true, write: (s: string) => written.push(s) };
  assert.equal(runLogger({ isTTY: false, write: () => true }, {}), undefined);
  assert.equal(runLogger(tty, { WEIR_LOG_FORMAT: 'json' }), undefined);
  assert.equal(runLogger(tty, {})!.level, 'warn');
  const status = new StatusArea(tty);
  const l = runLogger(tty, { WEIR_LOG_LEVEL: 'info' }, () => status.clear())!;
  assert.equal(l.level, 'info');
  status.show('running · 5 records/s');
  l.info({ checkpointId: 3 }, 'checkpoint 3 completed in 12 ms');
  assert.equal(written[0], '\r\x1b[Krunning · 5 records/s');
  assert.equal(written[1], '\r\x1b[K', 'the status line is cleared before the log line');
  assert.match(written[2]!, /INFO.*checkpoint 3 completed in 12 ms/);
  assert.match(written[2]!, /checkpointId.*3/);
  assert.doesNotMatch(written[2]!, /^\{/, 'not JSON');
});
