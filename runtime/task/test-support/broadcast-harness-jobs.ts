/**
 * A broadcast job the task unit tests drive through the in-thread harness
 * (stream-task-test-harness.ts): vertices 0 (events) and 1 (commands) are array sources;
 * vertex 2 is `events.keyBy(e => e.key).connect(commands.broadcast(SETTINGS))` with a
 * KeyedBroadcastProcessFunction (uid `b`, channel 0 = events, channel 1 = commands) and a collect
 * sink chained after it. Each event counts per key (ValueState `count`) and reports the `limit`
 * setting it sees; commands set a setting, reset every key's count (`applyToKeyedState`), or
 * misuse broadcast state (the error tests).
 */
import { defineJob, MapStateDescriptor, ValueStateDescriptor, type BroadcastState, type ValueState } from '../../../index.ts';

export interface HarnessEvent { key: string; write?: boolean }
export type HarnessCommand =
  | { type: 'set'; name: string; value: number }
  | { type: 'reset' }
  | { type: 'unknown-state' }
  | { type: 'big'; bytes: number };

export const SETTINGS = new MapStateDescriptor<string, number | string>('settings');
export const COUNT = new ValueStateDescriptor<number>('count');
/** The bound of the job's broadcast state (bytes). */
export const MAX_STATE_BYTES = 1024;

export const broadcastHarnessJob = defineJob('harness-broadcast', (env) => {
  const events = env.fromArray<HarnessEvent>([]);
  const commands = env.fromArray<HarnessCommand>([]).broadcast(SETTINGS).withMaxStateBytes(MAX_STATE_BYTES);
  let count!: ValueState<number>;
  events.keyBy((e) => e.key).connect(commands).process<string>({
    open(ctx) {
      count = ctx.getState(COUNT);
    },
    processElement(e, ctx, out) {
      const settings = ctx.getBroadcastState(SETTINGS);
      if (e.write) (settings as unknown as BroadcastState<string, number>).put('limit', 0);
      const n = (count.value() ?? 0) + 1;
      count.update(n);
      out.collect(`${ctx.getCurrentKey()}:${n}:${settings.get('limit') ?? 'none'}`);
    },
    processBroadcastElement(c, ctx, out) {
      switch (c.type) {
        case 'set':
          ctx.getBroadcastState(SETTINGS).put(c.name, c.value);
          out.collect(`set:${c.name}=${c.value}`);
          return;
        case 'reset':
          ctx.applyToKeyedState(COUNT, (key, state) => {
            out.collect(`reset:${String(key)}:${state.value()}`);
            state.clear();
          });
          return;
        case 'unknown-state':
          ctx.getBroadcastState(new MapStateDescriptor<string, number>('not-declared'));
          return;
        case 'big':
          ctx.getBroadcastState(SETTINGS).put('big', 'x'.repeat(c.bytes));
      }
    },
  }).setParallelism(1).uid('b').collect('out');
});
