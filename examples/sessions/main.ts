/**
 * Runs the sessions job on synthetic clicks and prints a few sessions.
 *   npx tsx examples/sessions/main.ts [users] [clicksPerUser]
 */
import { sessionsJob, syntheticClicks, type Session } from './job.ts';

const users = Number(process.argv[2] ?? 50);
const perUser = Number(process.argv[3] ?? 200);
const clicks = syntheticClicks(users, perUser);
const result = await sessionsJob.execute({ params: { clicks, gapMs: 30_000, outOfOrdernessMs: 2_000 }, parallelism: 2 }).done;
const sessions = result.collected.sessions as Session[];
console.log(`${clicks.length} clicks of ${users} users → ${sessions.length} sessions (30 s inactivity gap) in ${result.durationMs} ms`);
for (const s of sessions.slice(0, 5)) {
  console.log(`  ${s.user}: ${s.events} events over ${((s.end - s.start) / 1000).toFixed(1)} s, first pages ${s.firstPages.join(' → ')}, pages ${JSON.stringify(s.pages)}`);
}
