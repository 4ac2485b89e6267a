import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { reviveError, WeirError } from '../common/weir-error.ts';
import {
  collectTransferables,
  exposeHostApi,
  HostConnection,
  serializeError,
  unwrapEnvelope,
  type Envelope,
  type HostApi,
} from './control-plane.ts';

test('serializeError + reviveError keep code, details and name across a structured clone', () => {
  const weir = structuredClone(serializeError(new WeirError('WEIR_X', 'went wrong', { a: 1 })));
  const back = reviveError(weir) as WeirError;
  assert.equal(back.code, 'WEIR_X');
  assert.equal(back.message, 'went wrong');
  assert.deepEqual(back.details, { a: 1 });

  const node = Object.assign(new RangeError('bad range'), { code: 'ERR_OUT_OF_RANGE' });
  const revivedNode = reviveError(structuredClone(serializeError(node))) as WeirError;
  assert.equal(revivedNode.code, 'ERR_OUT_OF_RANGE');
  assert.equal(revivedNode.name, 'RangeError');

  const plain = reviveError(structuredClone(serializeError(new Error('plain'))));
  assert.equal(plain.message, 'plain');
  assert.equal((plain as { code?: string }).code, undefined);
  assert.equal(reviveError(serializeError('a string')).message, 'a string');
});

test('unwrapEnvelope returns values and throws revived errors', () => {
  assert.equal(unwrapEnvelope({ ok: true, value: 5 }), 5);
  assert.throws(() => unwrapEnvelope({ ok: false, error: serializeError(new WeirError('WEIR_Y', 'nope', { b: 2 })) }), { code: 'WEIR_Y', message: 'nope' });
});

test('collectTransferables finds MessagePorts in nested args, skipping shared buffers', () => {
  const a = new MessageChannel();
  const b = new MessageChannel();
  const args = { sab: new SharedArrayBuffer(8), ports: [a.port1, { deep: b.port2 }], again: a.port1, n: 1 };
  assert.deepEqual(collectTransferables(args), [a.port1, b.port2]);
  assert.deepEqual(collectTransferables([1, 'x', null]), []);
  for (const p of [a.port1, a.port2, b.port1, b.port2]) p.close();
});

test('HostConnection ↔ exposeHostApi: calls, transfers and errors with codes over a real MessagePort', async () => {
  const { port1, port2 } = new MessageChannel();
  const seen: unknown[] = [];
  const api: HostApi = {
    async spawn(request) {
      seen.push(request.id);
      const port = (request.args as { port?: MessagePort }).port;
      port?.postMessage('hi from host');
      return { ok: true, value: null };
    },
    async call(actorId, method, args): Promise<Envelope<unknown>> {
      if (method === 'fail') return { ok: false, error: serializeError(new WeirError('WEIR_TEST', `${actorId} failed`, { args })) };
      return { ok: true, value: (args as number[]).reduce((s, x) => s + x, 0) };
    },
    async stop() {
      return { ok: true, value: null };
    },
    async shutdown() {
      return { ok: true, value: { stopped: ['a'], abandoned: [] } };
    },
  };
  exposeHostApi(api, port2);
  const connection = new HostConnection(port1);
  try {
    assert.equal(await connection.call('a', 'sum', [1, 2, 3]), 6);
    await assert.rejects(connection.call('a', 'fail', [7]), (e: WeirError) => {
      assert.equal(e.code, 'WEIR_TEST');
      assert.equal(e.message, 'a failed');
      assert.deepEqual(e.details, { args: [7] });
      return true;
    });
    const channel = new MessageChannel();
    const got = new Promise((resolve) => channel.port1.once('message', resolve));
    assert.equal(await connection.spawn({ id: 'x', module: 'm', exportName: 'default', args: { port: channel.port2 }, logBindings: {} }, [channel.port2]), null);
    assert.equal(await got, 'hi from host');
    channel.port1.close();
    assert.deepEqual(await connection.shutdown('bye', 10), { stopped: ['a'], abandoned: [] });
    assert.deepEqual(seen, ['x']);
  } finally {
    connection.release();
    port2.close();
  }
  await assert.rejects(connection.stop('a', undefined, 10), { code: 'WEIR_CONTROL_PLANE_CLOSED' });
});
