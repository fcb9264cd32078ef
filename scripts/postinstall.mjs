#!/usr/bin/env node
// Runs after `npm install` in this repository: compiles src/ to dist/ (what `npm start` runs),
// builds the WebAssembly and native kernels and the Node-RED nodes. A kernel that fails to build is skipped with a warning (the JS kernel always works).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// build-worker-package.mjs last: it packs dist/ and the kernels for other computers (/worker/package.tgz)
for (const step of ['build-dist.mjs', 'build-wasm.mjs', 'build-native.mjs', 'build-nodes.mjs', 'build-web.mjs', 'build-worker-package.mjs']) {
  const script = fileURLToPath(new URL(step, import.meta.url));
  if (!existsSync(script)) continue;
  const r = spawnSync(process.execPath, [script], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0)
    console.warn(
      `micro-mining: ${step} failed (exit ${r.status}); ${step === 'build-dist.mjs' ? 'micro-mining will try again when it starts (npm run build:dist)' : step === 'build-nodes.mjs' ? 'the embedded Node-RED flow will not start' : step === 'build-web.mjs' ? 'the browser worker page will not load' : step === 'build-worker-package.mjs' ? 'the hub will not serve /worker/package.tgz (npm run build:worker-package)' : 'that kernel will be skipped'}`,
    );
}
