/**
 * Runs the word-count job at parallelism 2 and prints the most frequent words.
 *   npx tsx examples/word-count/main.ts [file] [--parallelism N] [--repeat N]
 */
import { fileURLToPath } from 'node:url';
import { wordCount, totals } from './job.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const file = args.find((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1]!.startsWith('--'))) ??
  fileURLToPath(new URL('./data/two-cities.txt', import.meta.url));

const client = wordCount.execute({
  params: { file, repeat: opt('repeat', 1) },
  parallelism: opt('parallelism', 2),
  stateBackend: 'lmdb',
});
const result = await client.done;
const counts = totals(result.collected.counts as Array<[string, number]>);
const top = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 15);

console.log(`word count of ${file}: ${counts.size} distinct words, ${[...counts.values()].reduce((a, b) => a + b, 0)} in total, ${result.durationMs} ms`);
for (const [word, n] of top) console.log(`${String(n).padStart(6)}  ${word}`);
for (const v of result.metrics.vertices) {
  console.log(`  ${v.name.padEnd(60)} p=${v.parallelism} in=${v.recordsIn} out=${v.recordsOut}`);
}
