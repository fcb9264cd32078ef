// The bench's WebGPU row: the worker page's own GPU thread and WASM thread (build/web) in one
// Chromium with WebGPU on SwiftShader; both hash, and the GPU side names its adapter as software.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildWeb } from '../../scripts/build-web.mjs';
import { openBrowserGpu } from '../../src/app/verbs/bench-browser.js';
import { WASM_KERNEL_PATH } from '../../src/core/kernels/wasm.js';
import { WEB_BUILD_DIR } from '../../src/web/index.js';

const HEADER = Buffer.from(
  '0100000081cd02ab7e569e8bcd9317e2fe99f2de44d49ab2b8851ba4a308000000000000e320b6c2fffc8d750423db8b1eb942ae710e951ed797f7affc8892b0f1fc122bc7f5d74df2b9441a42a14695',
  'hex',
);

test('bench: the page WebGPU thread and its WASM thread hash in one Chromium; the ratio is printed', async () => {
  await buildWeb({ quiet: true });
  const b = await openBrowserGpu(WEB_BUILD_DIR, WASM_KERNEL_PATH, HEADER);
  try {
    assert.equal(b.error, null);
    assert.match(b.detail ?? '', /^software adapter google\/swiftshader, \d+ nonces a dispatch/);
    const w = await b.round('wasm', 500);
    const g = await b.round('webgpu', 500);
    assert.ok(w.hashes > 0 && g.hashes > 0, 'both hashed');
    console.log(
      `# webgpu ${(g.hashes / g.wall / 1e6).toFixed(3)} MH/s, page wasm thread ${(w.hashes / w.wall / 1e6).toFixed(3)} MH/s: ${(g.hashes / g.wall / (w.hashes / w.wall)).toFixed(3)}x (${b.version}, ${b.detail})`,
    );
  } finally {
    await b.close();
  }
});

test('bench: a missing build names the command that makes it', async () => {
  await assert.rejects(
    openBrowserGpu('/nonexistent/web', WASM_KERNEL_PATH, HEADER),
    /\/nonexistent\/web\/gpu-worker\.js is missing \(run "npm run build:web" and "npm run build:wasm"\)/,
  );
});
