import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineJob, exactlyOnceFileSink } from '../../index.ts';
import type { VertexInfo } from '../checkpoint/checkpoint-metadata.ts';
import type { JobGraph } from '../graph/job-graph.ts';
import { placementOf, vertexTopology } from './vertex-topology.ts';

/**
 * A keyed counter feeding one or two sinks. With two, each sink is a vertex of its own; with one,
 * the sink chains into the counter's vertex (a user's review: removing the file sink put 'sink'
 * into 'counter's chain, and the old 'sink' vertex's in-flight records were dropped as unmatched).
 */
interface Shape { fileSink?: boolean; extraMap?: boolean; counterUid?: string }
const job = defineJob('t-topology', (env, p: Shape) => {
  let s = env.fromSequence(0, 99).uid('numbers').map((i) => ({ k: i % 3, i })).uid('to-rec');
  if (p.extraMap) s = s.map((r) => r).uid('extra');
  const counted = s.keyBy((r) => r.k).reduce((a, b) => ({ k: a.k, i: a.i + b.i })).uid(p.counterUid ?? 'counter');
  counted.collect('out').uid('sink');
  if (p.fileSink) counted.sinkTo(exactlyOnceFileSink({ directory: '/nonexistent', format: 'jsonl' })).uid('files');
});

const graph = (p: Shape): JobGraph => job.graph(p, 2);
const recorded = (g: JobGraph, id: string): VertexInfo => {
  const v = g.vertices.find((x) => x.id === id)!;
  return { vertexId: v.id, parallelism: v.parallelism, maxParallelism: v.maxParallelism, ...vertexTopology(g, v) };
};

test('the same graph, another parallelism, or edges added after the old ones: in-flight data replays', () => {
  const before = graph({});
  for (const id of ['numbers', 'counter']) assert.equal(placementOf(recorded(before, id), job.graph({}, 1)), 'same', id);
  const withFiles = graph({ fileSink: true });
  assert.equal(placementOf(recorded(before, 'numbers'), withFiles), 'same', "numbers' chain and edges are unchanged");
});

test('a rescale that turns a forward edge into rebalance (or back) keeps the in-flight data in place', () => {
  const fanned = defineJob('t-topology-fan', (env) => {
    env.fromSequence(0, 9).uid('numbers').setParallelism(1).map((i) => i).uid('m').startNewChain().collect('out').uid('sink');
  });
  const atTwo = fanned.graph(undefined, 2);
  const atOne = fanned.graph(undefined, 1);
  const m = atTwo.vertices.find((v) => v.id === 'm')!;
  assert.equal(m.inputs[0]!.partitioning, 'rebalance');
  assert.equal(atOne.vertices.find((v) => v.id === 'm')!.inputs[0]!.partitioning, 'forward');
  const info: VertexInfo = { vertexId: 'm', parallelism: 2, maxParallelism: 128, ...vertexTopology(atTwo, m) };
  assert.equal(placementOf(info, atOne), 'same');
});

test("a head chained into another vertex, or a chain with unsent output that changed: 'changed' (its records have nowhere exact to go)", () => {
  const twoSinks = graph({ fileSink: true });
  assert.deepEqual(twoSinks.vertices.map((v) => v.operators.map((o) => o.uid)), [['numbers', 'to-rec'], ['counter'], ['sink'], ['files']]);
  const oneSink = graph({});
  assert.deepEqual(oneSink.vertices.map((v) => v.operators.map((o) => o.uid)), [['numbers', 'to-rec'], ['counter', 'sink']]);
  assert.equal(placementOf(recorded(twoSinks, 'sink'), oneSink), 'changed', "'sink' is now inside counter's chain");
  assert.equal(placementOf(recorded(twoSinks, 'counter'), oneSink), 'changed', "counter had output edges (unsent output) and its chain changed");
  assert.equal(placementOf(recorded(twoSinks, 'files'), oneSink), 'removed');
  assert.equal(placementOf(recorded(oneSink, 'numbers'), graph({ extraMap: true })), 'changed', "numbers' unsent output would skip the new map");
});

test("a head whose downstream operator was replaced keeps its edges; a removed head's data is unmatched state", () => {
  const before = graph({});
  assert.equal(placementOf(recorded(before, 'numbers'), graph({ counterUid: 'counter-v2' })), 'same', 'counter is gone: its replacement takes the unsent records');
  assert.equal(placementOf(recorded(before, 'counter'), graph({ counterUid: 'counter-v2' })), 'removed');
  assert.equal(placementOf({ vertexId: 'counter', parallelism: 2, maxParallelism: 128 }, graph({})), 'same', 'a checkpoint without topology: judged by its head');
  assert.equal(placementOf({ vertexId: 'sink', parallelism: 2, maxParallelism: 128 }, graph({})), 'changed');
});
