/**
 * Payment screening with broadcast state and an interval join (event time):
 *   rules     per merchant category, the largest amount that passes unflagged; updates arrive on
 *             a stream of their own, each valid from its timestamp. The stream is broadcast:
 *             every subtask of the screening operator keeps every version in broadcast state.
 *   screen    payments keyed by account, connected with the broadcast rules
 *             (KeyedBroadcastProcessFunction). A payment waits in keyed state until the watermark —
 *             the minimum of both inputs — passes its time, so the rule version valid at that time
 *             has arrived whatever the order the two inputs were read in; then it is judged, and
 *             flagged when above the limit (a per-account count of flags in ValueState).
 *   alerts    each flagged payment interval-joined with the account's logins in the 5 minutes
 *             before it (ProcessJoinFunction): the login a fraud analyst looks at first.
 * Watermarks: the largest timestamp seen minus OUT_OF_ORDERNESS_MS; the synthetic data stays
 * within it, so the output is deterministic and reference.ts computes it in plain TypeScript.
 */
import {
  defineJob, MapStateDescriptor, ValueStateDescriptor,
  type KeyedBroadcastProcessFunction, type MapState, type ValueState,
} from '../../index.ts';

export interface Payment { id: number; account: string; category: string; amount: number; ts: number }
export interface Login { account: string; ip: string; ts: number }
export interface LimitRule { category: string; limit: number; ts: number }
export interface Flagged { payment: Payment; limit: number; flagsOfAccount: number }
export interface Alert { paymentId: number; account: string; amount: number; limit: number; flagsOfAccount: number; loginIp: string; loginTs: number }

export const CATEGORIES = ['groceries', 'travel', 'electronics', 'gaming'] as const;
/** The limit of a category before its first rule. */
export const DEFAULT_LIMIT = 500;
export const LOGIN_LOOKBACK_MS = 5 * 60_000;
export const OUT_OF_ORDERNESS_MS = 3_000;

/** Broadcast state: category → the rule versions received, in time order ([validFrom, limit]). */
export const LIMITS = new MapStateDescriptor<string, Array<[number, number]>>('limits');

/** The limit valid at `ts` among a category's versions. */
export function limitAt(versions: ReadonlyArray<readonly [number, number]> | undefined, ts: number): number {
  let limit = DEFAULT_LIMIT;
  for (const [from, l] of versions ?? []) if (from <= ts) limit = l;
  return limit;
}

const screen = (): KeyedBroadcastProcessFunction<string, Payment, LimitRule, Flagged> => {
  let waiting!: MapState<number, Payment[]>;
  let flags!: ValueState<number>;
  return {
    open(ctx) {
      waiting = ctx.getMapState(new MapStateDescriptor<number, Payment[]>('waiting'));
      flags = ctx.getState(new ValueStateDescriptor<number>('flags'));
    },
    processElement(p, ctx) {
      waiting.put(p.ts, [...(waiting.get(p.ts) ?? []), p]);
      ctx.timerService().registerEventTimeTimer(p.ts);
    },
    processBroadcastElement(rule, ctx) {
      // Deterministic from the rule alone: every subtask ends up with the same versions.
      const limits = ctx.getBroadcastState(LIMITS);
      const versions = [...(limits.get(rule.category) ?? []), [rule.ts, rule.limit] as [number, number]];
      limits.put(rule.category, versions.sort((a, b) => a[0] - b[0]));
    },
    onTimer(ts, ctx, out) {
      const limits = ctx.getBroadcastState(LIMITS);
      for (const p of (waiting.get(ts) ?? []).sort((a, b) => a.id - b.id)) {
        const limit = limitAt(limits.get(p.category), ts);
        if (p.amount <= limit) continue;
        const n = (flags.value() ?? 0) + 1;
        flags.update(n);
        out.collect({ payment: p, limit, flagsOfAccount: n });
      }
      waiting.remove(ts);
    },
  };
};

export interface EnrichmentInput { payments: Payment[]; logins: Login[]; rules: LimitRule[] }

export const enrichmentJob = defineJob('payment-screening', (env, input: EnrichmentInput) => {
  const bounded = <T extends { ts: number }>() => ({ timestamp: (x: T) => x.ts, maxOutOfOrdernessMs: OUT_OF_ORDERNESS_MS, intervalMs: 0 });
  const payments = env.fromArray(input.payments).uid('payments').assignTimestampsAndWatermarks(bounded<Payment>());
  const logins = env.fromArray(input.logins).uid('logins').assignTimestampsAndWatermarks(bounded<Login>());
  const rules = env.fromArray(input.rules).uid('rules').assignTimestampsAndWatermarks(bounded<LimitRule>());

  const flagged = payments.keyBy((p) => p.account)
    .connect(rules.broadcast(LIMITS))
    .process(screen()).uid('screen').name('Screen payments');
  flagged.map((f) => ({ id: f.payment.id, limit: f.limit })).uid('flagged-ids').collect('flagged');

  flagged.keyBy((f) => f.payment.account)
    .intervalJoin(logins.keyBy((l) => l.account))
    .between(-LOGIN_LOOKBACK_MS, 0)
    .process<Alert>({
      processElement(f, login, _ctx, out) {
        const p = f.payment;
        out.collect({ paymentId: p.id, account: p.account, amount: p.amount, limit: f.limit, flagsOfAccount: f.flagsOfAccount, loginIp: login.ip, loginTs: login.ts });
      },
    }).uid('alerts').name('Recent logins of flagged payments')
    .collect('alerts');
});

/** Deterministic synthetic input (a linear congruential generator; no Math.random). */
export function syntheticInput(accounts: number, paymentsPerAccount: number): EnrichmentInput {
  let seed = 12345;
  const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const start = Date.UTC(2026, 11, 6, 9, 0, 0);
  const spanMs = paymentsPerAccount * 60_000;
  const jitter = () => Math.floor(next() * OUT_OF_ORDERNESS_MS);
  const payments: Payment[] = [];
  const logins: Login[] = [];
  let id = 0;
  for (let a = 0; a < accounts; a++) {
    const account = `acct-${a}`;
    for (let i = 0; i < paymentsPerAccount; i++) {
      const ts = start + Math.floor(next() * spanMs);
      payments.push({ id: id++, account, category: CATEGORIES[Math.floor(next() * CATEGORIES.length)]!, amount: Math.round(next() ** 3 * 1500), ts });
      if (next() < 0.3) logins.push({ account, ip: `10.0.${a % 256}.${Math.floor(next() * 256)}`, ts: ts - Math.floor(next() * 3 * LOGIN_LOOKBACK_MS) });
    }
  }
  const rules: LimitRule[] = [];
  for (let t = start; t < start + spanMs; t += 2 * 60_000) {
    rules.push({ category: CATEGORIES[rules.length % CATEGORIES.length]!, limit: 400 + Math.floor(next() * 700), ts: t });
  }
  // Arrival order: by time, each record up to OUT_OF_ORDERNESS_MS early (within the watermark's bound).
  const arrival = <T extends { ts: number }>(xs: T[]): T[] => xs.map((x) => ({ x, at: x.ts + jitter() })).sort((p, q) => p.at - q.at).map((p) => p.x);
  return { payments: arrival(payments), logins: arrival(logins), rules };
}
