// The GPU settings (issue 25): the hub's worker_page_gpu (pages may hash on WebGPU; default on) and
// the worker's --gpu (default off), each by flag, environment and file key, and a bad value named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/app/config.js';
import { loadWorkerConfig } from '../../src/worker/config.js';
import { InputError } from '../../src/core/index.js';

test('worker_page_gpu: on by default; off by flag or MM_WORKER_PAGE_GPU; a bad value names the setting', () => {
  assert.equal(loadConfig({ argv: [], env: {}, cores: 2 }).workerPageGpu, true);
  assert.equal(loadConfig({ argv: ['--no-worker-page-gpu'], env: {}, cores: 2 }).workerPageGpu, false);
  assert.equal(loadConfig({ argv: [], env: { MM_WORKER_PAGE_GPU: 'false' }, cores: 2 }).workerPageGpu, false);
  assert.throws(
    () => loadConfig({ argv: [], env: { MM_WORKER_PAGE_GPU: 'maybe' }, cores: 2 }),
    (e: unknown) => e instanceof InputError && /worker_page_gpu/.test(e.message),
  );
});

test('worker --gpu: off by default, on by flag or MM_GPU', () => {
  const hub = ['--hub', 'stratum+tcp://127.0.0.1:3333'];
  assert.equal(loadWorkerConfig({ argv: hub, env: {} }).gpu, false);
  assert.equal(loadWorkerConfig({ argv: [...hub, '--gpu'], env: {} }).gpu, true);
  assert.equal(loadWorkerConfig({ argv: hub, env: { MM_GPU: 'true' } }).gpu, true);
});
