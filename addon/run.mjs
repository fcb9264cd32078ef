#!/usr/bin/env node
// The add-on's run entry, Node part: reads /data/options.json, SUPERVISOR_TOKEN and the
// Supervisor's MQTT service (src/app/addon.ts) and prints the shell lines that run.sh evals.
import { register } from 'tsx/esm/api';

register();
const { addonMain } = await import('../src/app/addon.ts');
process.exitCode = await addonMain(process.argv.slice(2));
