#!/usr/bin/env node
// Builds the native kernel (src/core/native) with node-gyp against the local Node headers.
// No download: the headers come from this Node installation (include/node beside the binary).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../src/core/native/', import.meta.url));
const prefix = dirname(dirname(process.execPath));
const nodedir = process.env.MM_NODEDIR ?? prefix;
if (!existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) {
  console.error(`build-native: no Node headers at ${nodedir}/include/node (set MM_NODEDIR to a folder with include/node); the native kernel is skipped`);
  process.exit(1);
}
const require = createRequire(import.meta.url);
const gyp = require.resolve('node-gyp/bin/node-gyp.js');
const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--release', '--jobs=max'], {
  cwd: dir,
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, npm_config_nodedir: nodedir },
});
if (r.status !== 0) {
  console.error('build-native: node-gyp failed; the native kernel is skipped (the JS and wasm kernels still work)');
  process.exit(1);
}
console.log(`build-native: built ${join(dir, 'build/Release/mm_native.node')}`);
