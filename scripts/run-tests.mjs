#!/usr/bin/env node
// Runs every test file under test/ with Node's own test runner (TypeScript through tsx).
//   node scripts/run-tests.mjs            all tests
//   node scripts/run-tests.mjs --only ha  only test/ha/**
//   node scripts/run-tests.mjs --skip ha  everything but test/ha/**
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const only = [];
const skip = [];
const extra = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--only') only.push(args[++i]);
  else if (args[i] === '--skip') skip.push(args[++i]);
  else extra.push(args[i]);
}

function walk(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.test\.(ts|mjs|js)$/.test(name)) out.push(p);
  }
  return out;
}

const files = walk(join(root, 'test'), []).filter((f) => {
  const rel = relative(join(root, 'test'), f).split(sep);
  if (only.length && !only.includes(rel[0])) return false;
  if (skip.includes(rel[0])) return false;
  return true;
});
if (files.length === 0) {
  console.error('run-tests: no test files matched');
  process.exit(1);
}
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...extra, ...files.map((f) => relative(root, f))],
  { cwd: root, stdio: 'inherit', env: { ...process.env, MM_TEST: '1' } },
);
process.exit(r.status ?? 1);
