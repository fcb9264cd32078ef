#!/usr/bin/env node
// The add-on's run entry, Node part: reads /data/options.json, SUPERVISOR_TOKEN and the
// Supervisor's MQTT service (src/app/addon.ts, compiled to dist/) and prints the shell lines
// that run.sh evals.
import { ensure } from '../bin/ensure-dist.js';

await ensure();
const { addonMain } = await import('../dist/app/addon.js');
process.exitCode = await addonMain(process.argv.slice(2));
