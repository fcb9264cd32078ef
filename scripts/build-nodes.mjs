#!/usr/bin/env node
// Builds the Node-RED node package in nodes/: the TypeScript sources (and the pure scheduler they
// use) bundled into one CommonJS file nodes/dist/micro-mining.js that Node-RED can require(),
// and the editor HTML of every node joined into nodes/dist/micro-mining.html.
//   node scripts/build-nodes.mjs
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const nodesDir = join(root, 'nodes');

/** Builds nodes/dist; returns the paths written. */
export async function buildNodes({ quiet = false } = {}) {
  const { build } = await import('esbuild');
  const dist = join(nodesDir, 'dist');
  mkdirSync(dist, { recursive: true });
  const js = join(dist, 'micro-mining.js');
  await build({
    entryPoints: [join(nodesDir, 'src', 'index.ts')],
    outfile: js,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    // dependencies of the node package (nodes/package.json)
    external: ['zod', 'mqtt'],
    // Node-RED wants module.exports to be the registering function
    footer: { js: 'module.exports = module.exports.default;' },
    logLevel: 'warning',
    sourcemap: false,
  });
  const srcDir = join(nodesDir, 'src');
  const htmlFiles = readdirSync(srcDir)
    .filter((f) => f.endsWith('.html'))
    .sort();
  if (!htmlFiles.length) throw new Error('build-nodes: no editor HTML in nodes/src');
  const html = htmlFiles.map((f) => `<!-- ${f} -->\n${readFileSync(join(srcDir, f), 'utf8').trim()}\n`).join('\n');
  const htmlOut = join(dist, 'micro-mining.html');
  writeFileSync(htmlOut, html);
  if (!quiet) console.log(`build-nodes: wrote ${js} and ${htmlOut} (${htmlFiles.length} editors)`);
  return { js, html: htmlOut };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  buildNodes().catch((err) => {
    console.error(`build-nodes: ${err.message}`);
    process.exit(1);
  });
}
