/**
 * Side-output edges in the job graph: an edge from `getSideOutput(tag)` carries the tag id, never
 * chains (so an operator with side-output consumers ends its chain), keeps the tag through keyBy
 * and rebalance, and the tag is part of the fingerprint (restore matching sees a changed tag).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineJob, OutputTag } from '../../index.ts';

const TAG = new OutputTag<number>('evens');

const job = defineJob('t-graph-side-outputs', (env, p: { tag: string; keyed: boolean }) => {
  const split = env.fromSequence(1, 10).process<number>({
    processElement(x, ctx, out) { if (x % 2 === 0) ctx.output(new OutputTag<number>(p.tag), x); else out.collect(x); },
  }).uid('split');
  const side = split.getSideOutput(TAG);
  (p.keyed ? side.keyBy((x) => x % 3).rebalance() : side).map((x) => x * 2).uid('side-map').collect('side');
});

test('a side-output consumer starts a new chain; its edge carries the tag; the main output still chains', () => {
  const g = job.graph({ tag: 'evens', keyed: false }, 2);
  const split = g.vertices.find((v) => v.operators.some((o) => o.uid === 'split'))!;
  assert.deepEqual(split.operators.map((o) => o.spec.kind), ['source', 'process'], 'the source and the process function chain; nothing after the process function does');
  const sideMap = g.vertices.find((v) => v.operators[0]!.uid === 'side-map')!;
  assert.equal(sideMap.inputs.length, 1);
  assert.equal(sideMap.inputs[0]!.sideOutputTag, 'evens');
  assert.equal(sideMap.inputs[0]!.partitioning, 'forward');
  assert.deepEqual(split.outputs.map((e) => e.sideOutputTag), ['evens']);
});

test('keyBy and rebalance keep the tag of a side output', () => {
  const g = job.graph({ tag: 'evens', keyed: true }, 2);
  const sideMap = g.vertices.find((v) => v.operators[0]!.uid === 'side-map')!;
  assert.equal(sideMap.inputs[0]!.sideOutputTag, 'evens');
  assert.equal(sideMap.inputs[0]!.partitioning, 'rebalance');
});

test('the fingerprint names the tag, and is unchanged for graphs without side outputs', () => {
  const a = job.graph({ tag: 'evens', keyed: false }, 2).fingerprint;
  const other = defineJob('t-graph-side-outputs-2', (env) => {
    const split = env.fromSequence(1, 10).process<number>({ processElement(x, _ctx, out) { out.collect(x); } }).uid('split');
    split.getSideOutput(new OutputTag<number>('odds')).map((x) => x * 2).uid('side-map').collect('side');
  }).graph(undefined, 2).fingerprint;
  assert.ok((JSON.parse(a) as { g: string }).g.includes('{"sideOutput":"evens"}'), a);
  assert.ok((JSON.parse(other) as { g: string }).g.includes('{"sideOutput":"odds"}'), other);
  const plain = defineJob('t-graph-plain', (env) => { env.fromSequence(1, 3).map((x) => x).collect('out'); }).graph(undefined, 1).fingerprint;
  assert.doesNotMatch(plain, /sideOutput/);
  assert.throws(() => defineJob('t-graph-bad-tag', (env) => {
    env.fromSequence(1, 3).map((x) => x).getSideOutput({ id: '' } as OutputTag<number>).collect('x');
  }).graph(undefined, 1), { code: 'WEIR_INVALID_ARGUMENT', message: /getSideOutput/ });
});
