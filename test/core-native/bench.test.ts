import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { nativePaths } from '../../src/core/kernels/native.js';

const BIN = join(import.meta.dirname, '../../bin/micro-mining.js');
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [BIN, 'bench', ...args], { encoding: 'utf8', timeout: 240_000, env: { ...process.env, ...env } });

test('bench --json: every kernel, then every native path on 1 and on all threads, each with MH/s per thread', () => {
  const r = run(['--seconds', '0.2', '--json', '--browser', 'off']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const kernels = lines.filter((l) => 'kernel' in l);
  assert.ok(kernels.some((l) => l.kernel === 'native' && l.threads === 1 && (l.mhs as number) > 0));
  const paths = lines.filter((l) => 'path' in l);
  const threads = availableParallelism();
  for (const p of nativePaths()) {
    for (const t of threads > 1 ? [1, threads] : [1]) {
      const row = paths.find((l) => l.path === p && l.threads === t);
      assert.ok(row, `a row for path ${p} on ${t} thread(s)`);
      assert.ok((row.mhsPerThread as number) > 0 && Number.isFinite(row.mhsPerThread));
      assert.equal((row.rounds as number[]).length, 3, 'three alternating rounds');
      assert.ok(Math.abs((row.mhs as number) / t - (row.mhsPerThread as number)) < 0.01);
    }
  }
  assert.ok(!paths.some((l) => l.path === 'wasm'), '--browser off: no browser row');
});

test('bench: a bad --browser or MM_BENCH_BROWSER exits 2 naming it', () => {
  const a = run(['--browser', 'maybe']);
  assert.equal(a.status, 2);
  assert.match(a.stderr, /--browser: expected auto, on or off, got "maybe"/);
  const b = run([], { MM_BENCH_BROWSER: 'yes' });
  assert.equal(b.status, 2);
  assert.match(b.stderr, /MM_BENCH_BROWSER: expected auto, on or off, got "yes"/);
});
