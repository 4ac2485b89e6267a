/**
 * Runs the click-stream analytics job on synthetic clicks and prints a summary.
 *   npx tsx examples/clickstream/main.ts [users] [clicksPerUser] [parallelism]
 */
import { clickstreamJob, syntheticClicks, type ActiveUsers, type Click, type PageViews, type UserSession } from './job.ts';

const users = Number(process.argv[2] ?? 40);
const perUser = Number(process.argv[3] ?? 100);
const parallelism = Number(process.argv[4] ?? 2);
const clicks = syntheticClicks(users, perUser);
const result = await clickstreamJob.execute({ params: { clicks }, parallelism }).done;
const views = result.collected['page-views'] as PageViews[];
const late = result.collected['late-clicks'] as Click[];
const active = result.collected['active-users'] as ActiveUsers[];
const sessions = result.collected.sessions as UserSession[];
console.log(`${clicks.length} clicks of ${users} users in ${result.durationMs} ms (parallelism ${parallelism}):`);
console.log(`  ${views.length} page-view window results (10 s tumbling, 5 s allowed lateness), ${late.length} clicks too late for them`);
const busiest = [...views].sort((a, b) => b.views - a.views)[0];
if (busiest) console.log(`  busiest: ${busiest.page} with ${busiest.views} views in the 10 s before ${new Date(busiest.windowEnd).toISOString().slice(11, 19)}`);
console.log(`  active users (60 s sliding by 10 s): peak ${Math.max(0, ...active.map((a) => a.users))} over ${active.length} windows`);
const long = [...sessions].sort((a, b) => (b.end - b.start) - (a.end - a.start))[0];
console.log(`  ${sessions.length} sessions (30 s gap)${long ? `; the longest: ${long.user}, ${long.clicks} clicks over ${((long.end - long.start) / 1000).toFixed(0)} s` : ''}`);
