#!/usr/bin/env node
// Builds the WebAssembly SIMD kernel: src/core/kernels/wasm/gen-kernel.mjs writes the unrolled
// AssemblyScript source, AssemblyScript's compiler (a devDependency from npm, no downloaded
// binary) turns it into build/wasm/kernel.wasm. Exits non-zero, with the reason, on failure; a
// failed build leaves no kernel.wasm behind (the loader then says it is missing).
import { mkdir, rename, rm, writeFile, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join, relative, resolve } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
// --out-dir DIR builds elsewhere (tests); the loader reads build/wasm/kernel.wasm
const at = process.argv.indexOf('--out-dir');
if (at >= 0 && !process.argv[at + 1]) fail('--out-dir needs a folder');
const outDir = at >= 0 ? resolve(process.argv[at + 1]) : join(root, 'build', 'wasm');
const srcFile = join(outDir, 'src', 'kernel.ts');
const wasmFile = join(outDir, 'kernel.wasm');
const tmpFile = join(outDir, `kernel.${process.pid}.tmp.wasm`);

function fail(message) {
  console.error(`build-wasm: ${message}\nbuild-wasm: the wasm kernel is not built (the JS kernel still works)`);
  process.exit(1);
}

function show(path) {
  const r = relative(root, path);
  return r.startsWith('..') ? path : r;
}

process.on('uncaughtException', (err) => fail(err.message));
process.on('unhandledRejection', (err) => fail(err instanceof Error ? err.message : String(err)));

await mkdir(join(outDir, 'src'), { recursive: true });
await rm(wasmFile, { force: true });

const { generateKernelSource } = await import('../src/core/kernels/wasm/gen-kernel.mjs');
// --ways N: groups of four nonces interleaved per iteration (experiments; default in the generator)
const wi = process.argv.indexOf('--ways');
const source = generateKernelSource(wi >= 0 ? Number(process.argv[wi + 1]) : undefined);
await writeFile(srcFile, source);

let asc;
try {
  asc = (await import('assemblyscript/asc')).default;
} catch (err) {
  fail(
    `cannot load the AssemblyScript compiler (${err.message}); it is a devDependency: run "npm install" ` +
      'without --omit=dev, then "npm run build:wasm". The wasm kernel is skipped; the JS kernel still works.',
  );
}

const args = [
  srcFile,
  '--outFile',
  tmpFile,
  '--textFile',
  join(outDir, 'kernel.wat'),
  '--optimizeLevel',
  '3',
  '--shrinkLevel',
  '0',
  '--converge',
  '--noAssert',
  '--runtime',
  'stub',
  '--enable',
  'simd',
];
const stderr = [];
const result = await asc.main(args, {
  stdout: { write: (s) => (process.stdout.write(s), true) },
  stderr: { write: (s) => (stderr.push(String(s)), true) },
});
if (result.error) {
  await rm(tmpFile, { force: true });
  const log = stderr.join('');
  fail(`AssemblyScript failed on ${show(srcFile)}: ${result.error.message}\n${log.slice(0, 4000)}${log.length > 4000 ? '\n…' : ''}`);
}

const bytes = await readFile(tmpFile).catch(() => null);
if (!bytes || bytes.length === 0) fail('the compiler reported success but wrote no module');
if (!WebAssembly.validate(bytes)) {
  await rm(tmpFile, { force: true });
  fail('the compiled module does not validate (does this Node support WebAssembly SIMD?)');
}
await rename(tmpFile, wasmFile);
console.log(`build-wasm: built ${show(wasmFile)} (${bytes.length} bytes) from ${show(srcFile)}`);
