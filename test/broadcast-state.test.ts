/**
 * Broadcast state (issue #14) against sequential references (test/support/broadcast-jobs.ts): a
 * keyed stream connected with a broadcast stream of rules, judged in event time by the rule
 * version valid at each event (exact whatever the interleaving of the inputs), each subtask
 * storing every rule exactly once, and the non-keyed variant; at parallelism 1, 2 and 4 on the
 * heap and LMDB backends. Also: the graph a broadcast builds and the API's argument errors.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rulesJob, rulesReference, seenReference, nonKeyedReference, RULES, type RuleJobShape } from './support/broadcast-jobs.ts';
import { defineJob, MapStateDescriptor, StreamEnvironment, ValueStateDescriptor } from '../index.ts';

const SHAPE: RuleJobShape = { events: 1500, users: 13, categories: 5, ruleEvery: 37 };

describe('broadcast state: keyed and non-keyed, exact against the reference', () => {
  for (const backend of ['heap', 'lmdb'] as const) {
    for (const parallelism of [1, 2, 4]) {
      test(`parallelism ${parallelism} on ${backend}`, { timeout: 120_000 }, async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weir-broadcast-'));
        try {
          const result = await rulesJob.execute({
            params: { ...SHAPE, parallelism, nonKeyed: true }, parallelism, stateBackend: backend, stateDirectory: path.join(dir, 'state'),
          }).done;
          assert.equal(result.status, 'finished');
          const out = [...(result.collected.out as string[])].sort();
          assert.equal(out.length, SHAPE.events, 'one judgement per event');
          assert.deepEqual(out, rulesReference(SHAPE), 'each event judged by the rule version valid at its time');
          assert.deepEqual([...(result.collected.seen as string[])].sort(), seenReference(SHAPE, parallelism), 'every subtask stored every rule once');
          assert.deepEqual([...(result.collected.nonKeyed as string[])].sort(), nonKeyedReference(SHAPE, parallelism), 'non-keyed: every event once; every rule on every subtask, in order');
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  }
});

describe('broadcast: the graph and argument errors', () => {
  test('broadcast() sends every record to every subtask; a keyed broadcast operator heads its vertex, input 1 keyed, input 2 broadcast', () => {
    const graph = broadcastGraphJob.graph(undefined, 3);
    const head = graph.vertices.find((v) => v.id === 'b')!;
    assert.deepEqual(head.inputs.map((e) => [e.partitioning, e.inputOrdinal]), [['hash', 0], ['broadcast', 1]]);
    assert.equal(head.isKeyed, true);
    const plain = graph.vertices.find((v) => v.id === 'all')!;
    assert.deepEqual(plain.inputs.map((e) => e.partitioning), ['broadcast'], 'broadcast() without descriptors: a broadcast edge');
  });
  test('bad descriptors, an unkeyed onTimer, a function without processBroadcastElement, a bad bound: typed errors', () => {
    const env = new StreamEnvironment(1, 128);
    const s = env.fromArray([1]);
    assert.throws(() => s.broadcast(new ValueStateDescriptor('v') as never), { code: 'WEIR_INVALID_ARGUMENT', message: /broadcast: expected MapStateDescriptors \(new MapStateDescriptor\(name\)\), got a value descriptor/ });
    assert.throws(() => s.broadcast(new MapStateDescriptor('m', { ttl: { ttlMs: 5 } })), { code: 'WEIR_INVALID_ARGUMENT', message: /state 'm' has a TTL/ });
    assert.throws(() => s.broadcast(RULES, new MapStateDescriptor('rules')), { code: 'WEIR_INVALID_ARGUMENT', message: /state 'rules' is given twice/ });
    const b = env.fromArray([2]).broadcast(RULES);
    assert.throws(() => s.connect(b).process({ processElement() {}, processBroadcastElement() {}, onTimer() {} } as never), { code: 'WEIR_INVALID_ARGUMENT', message: /onTimer needs a keyed stream/ });
    assert.throws(() => s.connect(b).process({ processElement() {} } as never), { code: 'WEIR_INVALID_ARGUMENT', message: /processBroadcastElement\(value, ctx, out\)/ });
    assert.throws(() => b.withMaxStateBytes(0), { code: 'WEIR_INVALID_ARGUMENT', message: /withMaxStateBytes: expected an integer >= 1, got 0/ });
  });
  test('a broadcast stream on input 1 of a two-input operator is refused', () => {
    assert.throws(() => wrongSideJob.graph(undefined, 1), { code: 'WEIR_INVALID_GRAPH', message: /only its second input may be \(and must be\) a broadcast stream/ });
  });
});

const broadcastGraphJob = defineJob('t-broadcast-graph', (env) => {
  const rules = env.fromArray([1]).broadcast(new MapStateDescriptor<number, number>('r'));
  env.fromArray([1]).keyBy((x) => x).connect(rules).process({ processElement() {}, processBroadcastElement() {} }).uid('b').collect();
  env.fromArray([1]).broadcast().map((x) => x).uid('all').collect('all');
});

const wrongSideJob = defineJob('t-broadcast-wrong-side', (env) => {
  env.fromArray([1]).broadcast().connect(env.fromArray([2]).broadcast(RULES)).process({ processElement() {}, processBroadcastElement() {} }).collect();
});
