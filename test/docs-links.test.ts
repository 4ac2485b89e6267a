/**
 * Every link in the repository's documentation resolves inside the repository
 * (issue #11, defect 12): relative markdown links point at existing files (and
 * headings), and no document points at a path outside the repository.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function docs(): string[] {
  const out = ['README.md', 'ARCHITECTURE.md', 'benchmarks/README.md'];
  for (const dir of ['docs', 'examples']) {
    const walk = (d: string): void => {
      if (!fs.existsSync(path.join(ROOT, d))) return;
      for (const e of fs.readdirSync(path.join(ROOT, d), { withFileTypes: true })) {
        const rel = `${d}/${e.name}`;
        if (e.isDirectory()) walk(rel);
        else if (e.name.endsWith('.md')) out.push(rel);
      }
    };
    walk(dir);
  }
  return out.filter((f) => fs.existsSync(path.join(ROOT, f)));
}

/** Markdown text without fenced code blocks (links inside them are not links). */
function prose(text: string): string {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
}

/** GitHub's heading anchors of a markdown file. */
function anchors(text: string): Set<string> {
  const out = new Set<string>();
  for (const [, heading] of prose(text).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = heading!.toLowerCase().replace(/`/g, '').replace(/[^\p{L}\p{N}\s_-]/gu, '').trim().replace(/\s/g, '-');
    let s = slug;
    for (let i = 1; out.has(s); i++) s = `${slug}-${i}`;
    out.add(s);
  }
  return out;
}

function inRepo(abs: string): boolean {
  const rel = path.relative(ROOT, abs);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

test('every relative link in the docs resolves to a file (and heading) inside the repository', () => {
  const problems: string[] = [];
  let checked = 0;
  for (const doc of docs()) {
    const text = fs.readFileSync(path.join(ROOT, doc), 'utf8');
    for (const [, target] of prose(text).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target!)) continue; // https:, mailto: …
      checked++;
      const [file, anchor] = target!.split('#') as [string, string | undefined];
      const abs = file === '' ? path.join(ROOT, doc) : path.resolve(path.dirname(path.join(ROOT, doc)), decodeURIComponent(file));
      if (file.startsWith('/') || !inRepo(abs)) problems.push(`${doc}: ${target} points outside the repository`);
      else if (!fs.existsSync(abs)) problems.push(`${doc}: ${target} does not exist`);
      else if (anchor && abs.endsWith('.md') && !anchors(fs.readFileSync(abs, 'utf8')).has(anchor)) problems.push(`${doc}: ${target} names no heading of ${path.relative(ROOT, abs)}`);
    }
  }
  assert.ok(checked >= 10, `links checked: ${checked}`);
  assert.deepEqual(problems, []);
});

test('no doc refers to a file by an absolute path outside the repository', () => {
  const problems: string[] = [];
  for (const doc of docs()) {
    const text = fs.readFileSync(path.join(ROOT, doc), 'utf8');
    // A path in a code span or in prose that names a document on some machine (e.g. `/home/someone/notes/design.md`).
    for (const [ref] of text.matchAll(/(?<![\w.~-])\/(?:[\w.-]+\/)+[\w.-]+\.(?:md|ts|mjs|json)\b/g)) {
      if (!inRepo(ref!) || !fs.existsSync(ref!)) problems.push(`${doc}: ${ref}`);
    }
  }
  assert.deepEqual(problems, []);
});
