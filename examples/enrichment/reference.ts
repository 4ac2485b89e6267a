/**
 * The payment-screening job's results computed sequentially in plain TypeScript (what the tests
 * compare the job with): a payment is flagged when its amount is above the limit of its category
 * valid at its time (the latest rule with ts <= the payment's); flags are counted per account in
 * time order (ties by payment id); each flagged payment pairs with every login of its account in
 * [payment time - 5 min, payment time].
 */
import { LOGIN_LOOKBACK_MS, limitAt, type Alert, type EnrichmentInput } from './job.ts';

export function referenceResults(input: EnrichmentInput): { flagged: Array<{ id: number; limit: number }>; alerts: Alert[] } {
  const versions = new Map<string, Array<[number, number]>>();
  for (const r of [...input.rules].sort((a, b) => a.ts - b.ts)) (versions.get(r.category) ?? versions.set(r.category, []).get(r.category)!).push([r.ts, r.limit]);
  const flagged: Array<{ id: number; limit: number }> = [];
  const alerts: Alert[] = [];
  const flags = new Map<string, number>();
  for (const p of [...input.payments].sort((a, b) => a.ts - b.ts || a.id - b.id)) {
    const limit = limitAt(versions.get(p.category), p.ts);
    if (p.amount <= limit) continue;
    const n = (flags.get(p.account) ?? 0) + 1;
    flags.set(p.account, n);
    flagged.push({ id: p.id, limit });
    for (const l of input.logins) {
      if (l.account === p.account && l.ts >= p.ts - LOGIN_LOOKBACK_MS && l.ts <= p.ts) {
        alerts.push({ paymentId: p.id, account: p.account, amount: p.amount, limit, flagsOfAccount: n, loginIp: l.ip, loginTs: l.ts });
      }
    }
  }
  return { flagged, alerts };
}
