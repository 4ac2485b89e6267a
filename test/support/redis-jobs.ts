/**
 * Jobs for the Redis Streams source tests (every worker imports this module: jobs at top level,
 * inputs as params).
 *
 * redis (p) → rebalance → map (parallelism 1: fault injection, optional slowness) → collect('out').
 * The map keeps each stream's order (one source subtask per stream, one consumer), so the output
 * can be checked per stream: every id once, in id order.
 */
import fs from 'node:fs';
import { defineJob, OutputTag, redisEntryTime, TumblingEventTimeWindows, type RedisStreamEntry } from '../../index.ts';
import { claim } from './fault-jobs.ts';
import { spin } from './checkpoint-jobs.ts';

export interface RedisJobParams {
  url: string;
  streams: string[];
  bounded: boolean;
  sourceParallelism: number;
  batchSize?: number;
  start?: 'earliest' | 'latest';
  connectTimeoutMs?: number;
  /** While this file exists, the map throws once (and deletes it): alternately process.exit(7) in the worker and a throw. */
  failMarker?: string;
  /** While this file exists, the map spins `slowMicros` per record. */
  slowMarker?: string;
  slowMicros?: number;
}

export interface Out { stream: string; id: string; n: string }

export const redisJob = defineJob('t-redis-streams', (env, p: RedisJobParams) => {
  let sinceCheck = 0;
  let slow = false;
  env.fromRedisStreams({
    url: p.url, streams: p.streams, bounded: p.bounded, start: p.start ?? 'earliest',
    ...(p.batchSize !== undefined ? { batchSize: p.batchSize } : {}),
    ...(p.connectTimeoutMs !== undefined ? { connectTimeoutMs: p.connectTimeoutMs } : {}),
    blockMs: 100,
  }).uid('redis').setParallelism(p.sourceParallelism)
    .rebalance()
    .map((r: RedisStreamEntry): Out => {
      if (sinceCheck-- <= 0) {
        sinceCheck = 50;
        slow = p.slowMarker !== undefined && fs.existsSync(p.slowMarker);
        if (p.failMarker !== undefined && fs.existsSync(p.failMarker) && claim(p.failMarker)) {
          const exited = `${p.failMarker}.exited`;
          if (!fs.existsSync(exited)) {
            fs.writeFileSync(exited, '');
            process.exit(7);
          }
          fs.rmSync(exited, { force: true });
          throw new Error(`injected failure on ${r.stream}/${r.id}`);
        }
      }
      if (slow) spin(p.slowMicros ?? 200);
      return { stream: r.stream, id: r.id, n: r.n! };
    }).uid('check').setParallelism(1)
    .collect('out');
});

/** A job that only reads (for the error tests and the parse option). */
export const redisParseJob = defineJob('t-redis-streams-parse', (env, p: { url: string; streams: string[]; bounded: boolean; parallelism: number; overrides?: { port?: number; password?: string; db?: number; connectTimeoutMs?: number } }) => {
  env.fromRedisStreams({
    url: p.url, streams: p.streams, bounded: p.bounded, ...p.overrides,
    parse: (fields, id, stream) => ({ key: `${stream}:${fields.n}`, id }),
  }).uid('redis').setParallelism(p.parallelism)
    .collect('out');
});

/**
 * Event time from the entry ids: redis (p) → timestamps/watermarks (redisEntryTime) → one-second
 * tumbling event-time windows over everything → `{ start, count }` per window.
 */
export const redisWindowJob = defineJob('t-redis-streams-windows', (env, p: { url: string; streams: string[]; parallelism: number }) => {
  env.fromRedisStreams({ url: p.url, streams: p.streams, blockMs: 50 }).uid('redis').setParallelism(p.parallelism)
    .assignTimestampsAndWatermarks({ timestamp: (e) => redisEntryTime(e.id), intervalMs: 20 })
    .windowAll(TumblingEventTimeWindows.of(1000))
    .process<{ start: number; count: number }>({
      process(ctx, elements, out) {
        out.collect({ start: ctx.window.start, count: elements.length });
      },
    })
    .collect('windows');
});

/**
 * Bounded, event time from the entry ids, every stream on one subtask: one-second tumbling windows
 * over everything, late entries to a side output — what a subtask reading several streams must
 * hand out in id order for (none is late with maxOutOfOrdernessMs 0).
 */
export const redisMergedEventTimeJob = defineJob('t-redis-streams-merged', (env, p: { url: string; streams: string[]; batchSize: number }) => {
  const late = new OutputTag<RedisStreamEntry>('late');
  const windows = env.fromRedisStreams({ url: p.url, streams: p.streams, bounded: true, batchSize: p.batchSize }).uid('redis').setParallelism(1)
    .assignTimestampsAndWatermarks({ timestamp: (e) => redisEntryTime(e.id), maxOutOfOrdernessMs: 0, intervalMs: 0 })
    .windowAll(TumblingEventTimeWindows.of(1000))
    .sideOutputLateData(late)
    .process<{ start: number; count: number }>({
      process(ctx, elements, out) {
        out.collect({ start: ctx.window.start, count: elements.length });
      },
    });
  windows.collect('windows');
  windows.getSideOutput(late).collect('late');
});
