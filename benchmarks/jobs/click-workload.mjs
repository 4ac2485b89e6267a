// The realistic JSONL click workload of `bench:throughput` (issue #18): the input file, the plain
// Node loop it is measured against, and the reader of the per-user counts both write (one JSON
// line per user, `{"user":…,"clicks":n}`), so every run is checked against the loop's output.
// Plain JavaScript: it is also loaded by throughput-child.mjs under plain `node`.
import fs from 'node:fs';
import path from 'node:path';

/** Distinct users in a generated file. */
export const CLICK_USERS = 10_000;

/** Writes `n` click events as JSON Lines (~51 bytes a line: 1 M events ≈ 51 MB); deterministic. */
export function writeClickFile(file, n) {
  const fd = fs.openSync(file, 'w');
  try {
    let chunk = '';
    for (let i = 0; i < n; i++) {
      chunk += `{"user":"u${(i * 7919) % CLICK_USERS}","page":"/p/${(i * 31) % 500}","ts":${1_700_000_000_000 + i * 10}}\n`;
      if (chunk.length > 1 << 20) {
        fs.writeSync(fd, chunk);
        chunk = '';
      }
    }
    fs.writeSync(fd, chunk);
  } finally {
    fs.closeSync(fd);
  }
}

/** The plain single-threaded loop: read the file, JSON.parse each line, count per user in a Map, write the counts. Returns the lines read. */
export function clickPlainLoop(file, outFile) {
  const text = fs.readFileSync(file, 'utf8');
  const counts = new Map();
  let lines = 0;
  let at = 0;
  for (;;) {
    const nl = text.indexOf('\n', at);
    const line = nl < 0 ? text.slice(at) : text.slice(at, nl);
    if (line.length > 0) {
      const click = JSON.parse(line);
      counts.set(click.user, (counts.get(click.user) ?? 0) + 1);
      lines++;
    }
    if (nl < 0) break;
    at = nl + 1;
  }
  let out = '';
  for (const [user, clicks] of counts) out += `${JSON.stringify({ user, clicks })}\n`;
  fs.writeFileSync(outFile, out);
  return lines;
}

/** The per-user counts in the committed JSONL files of a directory (or in one file); a user written twice is an error. */
export function readUserCounts(where) {
  const files = fs.statSync(where).isDirectory()
    ? fs.readdirSync(where).filter((f) => f.endsWith('.jsonl') && !f.startsWith('.')).map((f) => path.join(where, f))
    : [where];
  const counts = new Map();
  for (const f of files) {
    for (const line of fs.readFileSync(f, 'utf8').split('\n')) {
      if (line === '') continue;
      const r = JSON.parse(line);
      if (counts.has(r.user)) throw new Error(`user ${r.user} written twice`);
      counts.set(r.user, r.clicks);
    }
  }
  return counts;
}
