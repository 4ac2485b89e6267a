/**
 * The window operator on its keyed state, driven directly (no job): what the fast paths must keep.
 * - A checkpoint never sees a change made after its sync point, although the heap backend's
 *   contents are changed in place (aggregate and reduce functions that change their argument,
 *   element lists): snapshot, add more, materialize, restore — the restored windows hold only
 *   what was there at the sync point.
 * - A reduce function that changes its first argument does not change other windows' values
 *   (sliding windows share elements) nor the elements.
 * - Windows purged by their trigger are still cleaned up at their cleanup time
 *   (ProcessWindowFunction.clear once per window), and a custom trigger's own timers fire.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KeyedStateBackend } from '../../../state/index.ts';
import { BACKENDS, makeBackend, removeDir, resolver, snapshotTarget, tempDir } from '../../../state/testing/backend-fixtures.ts';
import { WindowOperator } from './window-operator.ts';
import { SlidingEventTimeWindows, TumblingEventTimeWindows } from './assigners.ts';
import { CountTrigger, PurgingTrigger } from './triggers.ts';
import type { Trigger, WindowOperatorSpec } from './window-operator-spec.ts';
import type { TimeWindow } from './windows.ts';

const root = tempDir();
after(() => removeDir(root));

const info = { operatorName: 'w', uid: 'w', subtask: 0, parallelism: 1 } as never;

interface Ev { k: string; ts: number; v: number }

function operator(b: KeyedStateBackend, spec: Partial<WindowOperatorSpec> & Pick<WindowOperatorSpec, 'fn'>, out: unknown[]): WindowOperator {
  const op = new WindowOperator((e: Ev) => e.k, { assigner: TumblingEventTimeWindows.of(100), trigger: undefined, count: undefined, allowedLateness: 0, lateDataTag: undefined, ...spec }, {
    collect: (v, ts) => out.push([v, ts]),
    emitWatermark: () => {},
  }, info);
  op.open({ info, keyedState: b, checkpointingEnabled: true, now: () => 0, currentWatermark: () => 0, requestProcessingTime: () => {}, executeMail: () => {}, yieldToMailbox: () => Promise.resolve(false), blockInputUntil: () => {} });
  return op;
}

const feed = (b: KeyedStateBackend, op: WindowOperator, evs: Ev[]) => { for (const e of evs) b.batch(() => op.processElement(e, e.ts)); };
const watermark = (b: KeyedStateBackend, op: WindowOperator, wm: number) => b.batch(() => op.processWatermark(wm));
const evs = (k: string, tss: number[]): Ev[] => tss.map((ts) => ({ k, ts, v: 1 }));

const FNS: Array<[string, WindowOperatorSpec['fn']]> = [
  ['aggregate changing its accumulator', { type: 'aggregate', agg: { createAccumulator: () => ({ n: 0 }), add: (e: Ev, acc: { n: number }) => { acc.n += e.v; return acc; }, getResult: (acc: { n: number }) => acc.n } }],
  ['reduce changing its first argument', { type: 'reduce', reduce: (a: Ev, b: Ev) => { a.v += b.v; return a; }, process: { process: (_k, _c, [r], out) => out.collect((r as Ev).v) } }],
  ['process (element list)', { type: 'process', process: { process: (_k, _c, es, out) => out.collect(es.length) } }],
];

for (const kind of BACKENDS) {
  describe(`window operator state (${kind})`, () => {
    for (const [what, fn] of FNS) {
      test(`${what}: a checkpoint holds the windows as of its sync point`, async () => {
        const b = await makeBackend(kind, root);
        const restored = await makeBackend(kind, root);
        try {
          const op = operator(b, { fn }, []);
          feed(b, op, [...evs('a', [1, 2, 3]), ...evs('b', [5, 150])]);
          const snap = b.snapshot(1, snapshotTarget(root, 1));
          feed(b, op, [...evs('a', [4, 5, 6, 7]), ...evs('b', [6, 160])]); // changes the same windows in place
          const handle = await snap.materialize();
          await restored.restore([handle], resolver(root));
          const out: unknown[] = [];
          const op2 = operator(restored, { fn }, out);
          watermark(restored, op2, 1000);
          assert.deepEqual(out.map(String).sort(), ['1,199', '1,99', '3,99'].sort());
        } finally {
          await b.dispose({ deleteFiles: true });
          await restored.dispose({ deleteFiles: true });
        }
      });
    }

    test('a reduce that changes its first argument: sliding windows and elements stay apart', async () => {
      const b = await makeBackend(kind, root);
      try {
        const out: unknown[] = [];
        const op = operator(b, { assigner: SlidingEventTimeWindows.of(20, 10), fn: { type: 'reduce', reduce: (x: Ev, y: Ev) => { x.v += y.v; return x; } } }, out);
        const input = evs('a', [5, 15, 16]);
        feed(b, op, input);
        watermark(b, op, 100);
        assert.deepEqual((out as Array<[Ev, number]>).map(([v, ts]) => [v.v, ts]), [[1, 9], [3, 19], [2, 29]]);
        assert.deepEqual(input.map((e) => e.v), [1, 1, 1], 'the elements are unchanged');
      } finally {
        await b.dispose({ deleteFiles: true });
      }
    });

    test('purged windows are cleaned up once; a custom trigger\'s timers fire', async () => {
      const b = await makeBackend(kind, root);
      try {
        const out: unknown[] = [];
        const cleared: string[] = [];
        const fn: WindowOperatorSpec['fn'] = {
          type: 'process',
          process: {
            process: (k, ctx, es, o) => {
              const s = ctx.windowState().getState<number>('firings');
              s.update((s.value() ?? 0) + 1);
              o.collect(`${String(k)}@${(ctx.window as TimeWindow).start}:${es.length}`);
            },
            clear: (ctx) => { cleared.push(`${(ctx.window as TimeWindow).start}:${ctx.windowState().getState<number>('firings').value()}`); },
          },
        };
        const op = operator(b, { trigger: PurgingTrigger.of(CountTrigger.of(2)), fn }, out);
        feed(b, op, evs('a', [1, 2, 101, 102, 103]));
        watermark(b, op, 250);
        assert.deepEqual((out as Array<[unknown]>).map(([v]) => v), ['a@0:2', 'a@100:2']);
        assert.deepEqual(cleared.sort(), ['0:1', '100:1']);

        // A custom trigger: an early timer at start + 50 and the end timer; clear deletes both.
        const early: Trigger<unknown, TimeWindow> = {
          onElement: (_e, _t, w, c) => { c.registerEventTimeTimer(w.start + 50); c.registerEventTimeTimer(w.maxTimestamp()); return 'CONTINUE'; },
          onEventTime: () => 'FIRE',
          onProcessingTime: () => 'CONTINUE',
          clear: (w, c) => { c.deleteEventTimeTimer(w.start + 50); c.deleteEventTimeTimer(w.maxTimestamp()); },
          toString: () => 'Early',
        };
        const b2 = await makeBackend(kind, root);
        try {
          const out2: unknown[] = [];
          const cleared2: string[] = [];
          const op2 = operator(b2, { trigger: early, fn: { type: 'process', process: { process: (_k, ctx, es, o) => o.collect(`${(ctx.window as TimeWindow).start}:${es.length}`), clear: (ctx) => { cleared2.push(String((ctx.window as TimeWindow).start)); } } } }, out2);
          feed(b2, op2, evs('a', [10, 20]));
          watermark(b2, op2, 60);
          feed(b2, op2, evs('a', [70]));
          watermark(b2, op2, 99);
          feed(b2, op2, evs('a', [120]));
          watermark(b2, op2, 300);
          assert.deepEqual((out2 as Array<[unknown, number]>).map(([v, ts]) => `${String(v)}@${String(ts)}`), ['0:2@99', '0:3@99', '0:3@99', '100:1@199', '100:1@199'],
            'early at 50; the element at 70 registers 50 again (due: fires with the next watermark) and 99; then 150 and 199');
          assert.deepEqual(cleared2, ['0', '100']);
          assert.equal(b2.timers.size(), 0, 'no timer left');
        } finally {
          await b2.dispose({ deleteFiles: true });
        }
      } finally {
        await b.dispose({ deleteFiles: true });
      }
    });
  });
}
