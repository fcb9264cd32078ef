#!/usr/bin/env node
// The `micro-mining` command: runs the compiled JavaScript in dist/ (no TypeScript at run time).
// In a source checkout (src/ beside dist/) a stale dist/ is rebuilt first with esbuild (about a
// second; scripts/build-dist.mjs), so `npm start` always runs the sources as they are.
import { ensure } from './ensure-dist.js';

await ensure();
const { main } = await import('../dist/app/cli.js');
process.exitCode = await main(process.argv.slice(2));
