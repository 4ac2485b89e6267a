/**
 * Jobs and helpers for the exactly-once file sink integration tests. Every
 * worker imports this module, so jobs are defined at top level.
 */
import fs from 'node:fs';
import path from 'node:path';
import { defineJob, exactlyOnceFileSink } from '../../index.ts';
import { withCommitFaults } from './commit-faults.ts';

/** One output record; `text` needs CSV quoting (comma, quote, newline). */
export interface SinkRecord { i: number; text: string; even: boolean }

export function sinkRecord(i: number): SinkRecord {
  return { i, text: `r,"${i}"\nend`, even: i % 2 === 0 };
}

export interface FileSinkJobParams {
  n: number;
  directory: string;
  format: 'jsonl' | 'csv';
  /** Microseconds spent per record before the sink (so the job spans several checkpoints). */
  spinMicros: number;
  /** Put a rebalance before the sink (every sink subtask reads every source subtask). */
  rebalance: boolean;
  /** Injected failures, each fired once across attempts (armed by a marker file, claimed by deleting it). */
  faults?: SinkFault[];
  /** While this file exists, the sink's next commit of a non-empty transaction throws before committing (once). */
  commitFailMarker?: string;
}

/** Fail when the map sees record `at`: throw, or exit the worker thread (no close, files left behind). */
export interface SinkFault { at: number; marker: string; kind: 'throw' | 'exit' }

function fireFaults(i: number, faults: readonly SinkFault[] | undefined): void {
  if (!faults) return;
  for (const f of faults) {
    if (f.at !== i) continue;
    try {
      fs.unlinkSync(f.marker);
    } catch {
      continue; // fired already, in an earlier attempt
    }
    if (f.kind === 'exit') process.exit(7);
    throw new Error(`injected failure at record ${i}`);
  }
}

/** Busy-wait (a slow operator without timers). */
function spin(micros: number): void {
  if (micros <= 0) return;
  const end = performance.now() + micros / 1000;
  while (performance.now() < end) { /* spin */ }
}

/** numbers (parallel) → map (slow) → [rebalance] → exactly-once file sink. */
export const fileSinkJob = defineJob('t-sink-files', (env, p: FileSinkJobParams) => {
  const records = env.fromSequence(0, p.n - 1).uid('numbers').map((i) => {
    spin(p.spinMicros);
    fireFaults(i, p.faults);
    return sinkRecord(i);
  });
  const files = exactlyOnceFileSink<SinkRecord>({ directory: p.directory, format: p.format });
  (p.rebalance ? records.rebalance() : records)
    .sinkTo(p.commitFailMarker ? withCommitFaults(files, { preCommit: [], commit: [], commitBefore: [p.commitFailMarker] }) : files)
    .uid('files');
});

/** numbers (parallel) → map (slow, faults) → writeJsonl: the at-least-once part-file sink. */
export const jsonlSinkJob = defineJob('t-sink-jsonl', (env, p: { n: number; directory: string; spinMicros: number; faults?: SinkFault[] }) => {
  env.fromSequence(0, p.n - 1).uid('numbers').map((i) => {
    spin(p.spinMicros);
    fireFaults(i, p.faults);
    return { i };
  }).uid('wrap')
    .writeJsonl(p.directory)
    .uid('jsonl');
});

/** Committed (visible) files of a directory, sorted; dot-files are in-progress or pending. */
export function committedFiles(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => !n.startsWith('.')).sort() : [];
}

export function hiddenFiles(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.startsWith('.')).sort() : [];
}

/** Minimal RFC 4180 parser (quoted fields may hold commas, doubled quotes, CR and LF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
      if (c === '"') { quoted = false; i++; continue; }
      field += c;
      i++;
      continue;
    }
    if (c === '"') { quoted = true; i++; continue; }
    if (c === ',') { row.push(field); field = ''; i++; continue; }
    if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i += 2; continue; }
    field += c;
    i++;
  }
  if (field.length > 0 || row.length > 0) throw new Error(`CSV does not end with CRLF: ${JSON.stringify(text.slice(-40))}`);
  return rows;
}

/** Records of every committed file (JSONL parsed; CSV rows checked against the header and typed back). */
export function readCommitted(dir: string, format: 'jsonl' | 'csv'): SinkRecord[] {
  const out: SinkRecord[] = [];
  for (const name of committedFiles(dir)) {
    const text = fs.readFileSync(path.join(dir, name), 'utf8');
    if (format === 'jsonl') {
      for (const line of text.split('\n')) if (line.length > 0) out.push(JSON.parse(line) as SinkRecord);
      continue;
    }
    const [header, ...rows] = parseCsv(text);
    if (header?.join(',') !== 'i,text,even') throw new Error(`${name}: unexpected header ${JSON.stringify(header)}`);
    for (const r of rows) out.push({ i: Number(r[0]), text: r[1]!, even: r[2] === 'true' });
  }
  return out;
}
