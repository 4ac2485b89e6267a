/**
 * Runs the lines word count on the given files (default: the bundled text) with a custom source.
 *   npx tsx examples/custom-source/main.ts [parallelism] [file …]
 */
import { fileURLToPath } from 'node:url';
import { linesJob } from './job.ts';

const parallelism = Number(process.argv[2] ?? 2);
const files = process.argv.length > 3 ? process.argv.slice(3) : [fileURLToPath(new URL('../word-count/data/two-cities.txt', import.meta.url))];
const result = await linesJob.execute({ params: { files }, parallelism }).done;
const totals = new Map<string, number>();
for (const [w, n] of result.collected.counts as Array<[string, number]>) totals.set(w, Math.max(totals.get(w) ?? 0, n));
const top = [...totals].sort((a, b) => b[1] - a[1]).slice(0, 5);
console.log(`${files.length} file(s), ${totals.size} distinct words in ${result.durationMs} ms (parallelism ${parallelism}); most frequent: ${top.map(([w, n]) => `${w} ${n}`).join(', ')}`);
