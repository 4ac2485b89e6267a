/**
 * `tsx benchmarks/support/cpu-profile-summary.ts <dir or .cpuprofile>… [--top=25]`
 *
 * The top self-time frames of V8 CPU profiles (`node --cpu-prof --cpu-prof-dir=DIR`: the main
 * thread and every worker thread each write one file; a job's subtasks run on the workers).
 * Prints, per profile and for all worker profiles together, the functions with the most self
 * time (function, file:line, ms, % of the profile's non-idle time). Idle, program and garbage
 * collector frames are listed separately. Used for issue #18's "profile first" (README:
 * Throughput, profile).
 */
import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

/** Self time in ms per frame label, of one profile. */
export function selfTimes(profile: CpuProfile): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const out = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!)!;
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const f = node.callFrame;
    const file = f.url ? path.basename(f.url.replace(/\?.*$/, '')) : '';
    // Modules transpiled on the fly (tsx) are one line: the column tells their functions apart.
    const at = f.lineNumber === 0 ? `1:${f.columnNumber + 1}` : `${f.lineNumber + 1}`;
    const label = `${f.functionName || '(anonymous)'}${file ? ` ${file}:${at}` : ''}`;
    out.set(label, (out.get(label) ?? 0) + dt);
  }
  return out;
}

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)']);

function print(title: string, times: Map<string, number>, top: number): void {
  let busy = 0;
  for (const [k, v] of times) if (k !== '(idle)') busy += v;
  const special = [...SPECIAL].map((k) => `${k} ${(times.get(k) ?? 0).toFixed(0)} ms`).join(', ');
  console.log(`\n== ${title}: busy ${busy.toFixed(0)} ms (${special})`);
  const rows = [...times].filter(([k]) => !SPECIAL.has(k)).sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [k, v] of rows) console.log(`${v.toFixed(0).padStart(7)} ms ${((v / busy) * 100).toFixed(1).padStart(5)} %  ${k}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const top = Number(args.find((a) => a.startsWith('--top='))?.slice(6) ?? 25);
  const files = args.filter((a) => !a.startsWith('--')).flatMap((a) => (fs.statSync(a).isDirectory() ? fs.readdirSync(a).filter((f) => f.endsWith('.cpuprofile')).sort().map((f) => path.join(a, f)) : [a]));
  const all = new Map<string, number>();
  for (const file of files) {
    const times = selfTimes(JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile);
    // File names end <pid>.<threadId>.<seq>.cpuprofile: thread 0 is the main thread.
    const thread = /\.(\d+)\.\d+\.cpuprofile$/.exec(file)?.[1];
    if (args.includes('--each')) print(`${path.basename(file)} (thread ${thread})`, times, top);
    if (thread !== '0') for (const [k, v] of times) all.set(k, (all.get(k) ?? 0) + v);
  }
  print(`all worker threads (${files.length} profiles)`, all, top);
}
