#!/usr/bin/env node
// Builds the browser worker page's scripts (src/web/client) into build/web: the page's miner
// (Stratum over a WebSocket, the project's core for headers and share checks), the hashing
// thread (a Web Worker running build/wasm/kernel.wasm) and the GPU thread (a Web Worker running
// the WebGPU kernel, src/web/client/gpu.ts), and the status page's script and style
// (src/app/page: live figures over server-sent events, charts with uPlot) as page.js + page.css.
//   node scripts/build-web.mjs
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Builds build/web; returns the files written. */
export async function buildWeb({ quiet = false } = {}) {
  const { build } = await import('esbuild');
  const out = join(root, 'build', 'web');
  mkdirSync(out, { recursive: true });
  const files = [];
  for (const name of ['miner', 'hash-worker', 'gpu-worker']) {
    const outfile = join(out, `${name}.js`);
    await build({
      entryPoints: [join(root, 'src', 'web', 'client', `${name}.ts`)],
      outfile,
      bundle: true,
      platform: 'browser',
      // src/core/hex.ts uses Node's Buffer for hex: a small stand-in in the browser
      inject: [join(root, 'src', 'web', 'client', 'buffer-shim.ts')],
      format: 'iife',
      target: ['chrome100', 'firefox100', 'safari15'],
      minify: true,
      logLevel: 'warning',
      sourcemap: false,
    });
    files.push(outfile);
  }
  // the status page (served by the status server as page.js and page.css; no request leaves the hub)
  const page = join(out, 'page.js');
  await build({
    entryPoints: [join(root, 'src', 'app', 'page', 'page.ts')],
    outfile: page,
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: ['chrome100', 'firefox100', 'safari15'],
    minify: true,
    logLevel: 'warning',
    sourcemap: false,
  });
  files.push(page, join(out, 'page.css'));
  if (!quiet) {
    for (const f of [page, join(out, 'page.css')])
      console.log(`build-web: status page ${f.replace(/^.*\//, '')} ${statSync(f).size} bytes (${gzipSync(readFileSync(f)).length} gzipped)`);
    console.log(`build-web: wrote ${files.join(', ')}`);
  }
  return files;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await buildWeb();
}
