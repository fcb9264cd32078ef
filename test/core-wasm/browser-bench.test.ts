import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { nativePaths } from '../../src/core/kernels/native.js';
import { CHROMIUM_PATH } from '../../src/app/verbs/bench-browser.js';

const BIN = join(import.meta.dirname, '../../bin/micro-mining.js');
const inCI = process.env.CI === 'true';

test('bench --browser on: the wasm kernel timed in headless Chromium, beside the native AVX2 path in the same rounds', {
  skip: !existsSync(CHROMIUM_PATH) && !inCI ? `no Chromium at ${CHROMIUM_PATH} (run .ci/setup.d/browser.sh)` : false,
}, () => {
  const r = spawnSync(process.execPath, [BIN, 'bench', '--seconds', '0.3', '--json', '--browser', 'on'], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  const rows = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const wasm = rows.find((l) => l.path === 'wasm');
  assert.ok(wasm, 'a browser row');
  assert.match(String(wasm.runtime), /^Chromium \d+\./);
  assert.equal(wasm.threads, 1);
  assert.ok((wasm.mhsPerThread as number) > 0, 'the page hashed');
  if (nativePaths().includes('avx2')) {
    assert.ok((wasm.vsAvx2 as number) > 0 && Number.isFinite(wasm.vsAvx2), 'its ratio to native AVX2');
  }
});

test('bench --browser on without Chromium is an error naming the missing browser, not a silent skip', () => {
  const r = spawnSync(process.execPath, [BIN, 'bench', '--seconds', '0.1', '--json', '--browser', 'on'], {
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, CHROMIUM_PATH: '/nonexistent/chromium' },
  });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--browser on: no Chromium at \/nonexistent\/chromium/);
});
