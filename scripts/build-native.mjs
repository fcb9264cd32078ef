#!/usr/bin/env node
// Builds the native kernel (sources and binding.gyp in src/core/native/) with node-gyp into
// build/native/, against the headers of the Node that runs this script (include/node under its
// prefix: /usr for Debian's nodejs). Nothing is downloaded. The result is build/native/mm_native.node.
// Exits non-zero with one clear line on failure; postinstall then skips the native kernel.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src/core/native');
const out = join(root, 'build/native');
const product = join(out, 'mm_native.node');

function fail(why) {
  console.error(`build-native: ${why}; the native kernel is skipped (the JS and wasm kernels still work)`);
  process.exit(1);
}

const nodedir = process.env.MM_NODEDIR ?? dirname(dirname(process.execPath));
if (!existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) {
  fail(`no Node headers at ${join(nodedir, 'include', 'node')} (install the nodejs headers, or set MM_NODEDIR to a folder holding include/node)`);
}

let gyp;
try {
  gyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
} catch {
  fail('node-gyp is not installed (run npm install)');
}

// node-gyp always builds in <cwd>/build, so it runs in build/native/ on a copy of binding.gyp whose
// sources point back at src/core/native/.
let spec;
try {
  spec = JSON.parse(readFileSync(join(src, 'binding.gyp'), 'utf8'));
} catch (err) {
  fail(`cannot read ${join(src, 'binding.gyp')}: ${err.message}`);
}
for (const t of spec.targets) t.sources = t.sources.map((s) => relative(out, join(src, s)));
rmSync(product, { force: true });
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'binding.gyp'), JSON.stringify(spec, null, 2));

const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--release', '--jobs=max', '--loglevel=warn'], {
  cwd: out,
  stdio: ['ignore', 'inherit', 'inherit'],
  timeout: 300_000,
});
if (r.error) fail(`node-gyp did not run: ${r.error.message}`);
if (r.status !== 0) fail(`node-gyp failed (exit ${r.status}; it needs a C compiler, make and python3)`);
const built = join(out, 'build/Release/mm_native.node');
if (!existsSync(built)) fail(`node-gyp finished but ${built} is missing`);
copyFileSync(built, product);
console.log(`build-native: built ${relative(root, product)}`);
