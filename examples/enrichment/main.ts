/**
 * Runs the payment-screening job (broadcast rules + interval join) on synthetic payments and
 * prints a summary.
 *   npx tsx examples/enrichment/main.ts [accounts] [paymentsPerAccount] [parallelism]
 */
import { enrichmentJob, syntheticInput, type Alert } from './job.ts';

const accounts = Number(process.argv[2] ?? 50);
const perAccount = Number(process.argv[3] ?? 60);
const parallelism = Number(process.argv[4] ?? 2);
const input = syntheticInput(accounts, perAccount);
const result = await enrichmentJob.execute({ params: input, parallelism }).done;
const flagged = result.collected.flagged as Array<{ id: number; limit: number }>;
const alerts = result.collected.alerts as Alert[];
console.log(`${input.payments.length} payments of ${accounts} accounts, ${input.rules.length} limit updates, ${input.logins.length} logins, in ${result.durationMs} ms (parallelism ${parallelism}):`);
console.log(`  ${flagged.length} payments flagged above the limit valid at their time`);
console.log(`  ${alerts.length} alerts: a flagged payment with a login of its account in the 5 minutes before it`);
const worst = [...alerts].sort((a, b) => b.flagsOfAccount - a.flagsOfAccount || b.amount - a.amount)[0];
if (worst) console.log(`  e.g. ${worst.account}: payment #${worst.paymentId} of ${worst.amount} (limit ${worst.limit}, flag ${worst.flagsOfAccount} of the account), login from ${worst.loginIp} at ${new Date(worst.loginTs).toISOString().slice(11, 19)}`);
