// Part of bench/preemption.ts: a `micro-mining worker` process and the browser worker page, paused
// and resumed by a real hub on loopback; the time from the hub's pause to the worker's report that
// its threads stopped (the report is sent only once no thread hashes any more).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { buildWeb } from '../scripts/build-web.mjs';
import type { Hub } from '../src/app/hub.js';
import { startTestHub } from '../test/support/hub.js';
import { rootLogger } from '../src/log.js';
import type { ControlledWorker } from '../src/stratum/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, fn: () => T | undefined, ms: number): Promise<T> {
  const end = performance.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (performance.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(2);
  }
}

async function pauses(hub: Hub, worker: string, runs: number): Promise<number[]> {
  const reports: (ControlledWorker & { t: number })[] = [];
  const on = (w: ControlledWorker) => reports.push({ ...w, t: performance.now() });
  hub.obedience.control.on('report', on);
  const out: number[] = [];
  try {
    const state = () => hub.obedience.control.list().find((w) => w.worker === worker)?.report?.state;
    await waitFor(`${worker} working`, () => (state() === 'working' ? true : undefined), 120_000);
    for (let i = 0; i < runs; i++) {
      await sleep(300 + ((i * 53) % 400)); // hashing, tasks in flight
      const from = reports.length;
      const t0 = performance.now();
      hub.obedience.setWorking(worker, false, 'bench');
      const r = await waitFor(`${worker} paused`, () => reports.slice(from).find((x) => x.worker === worker && x.report?.state === 'paused'), 10_000);
      out.push(r.t - t0);
      hub.obedience.setWorking(worker, true);
      await waitFor(`${worker} working again`, () => (state() === 'working' ? true : undefined), 10_000);
    }
  } finally {
    hub.obedience.control.off('report', on);
  }
  return out;
}

const stat = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)].toFixed(1)} ms, worst ${s[s.length - 1].toFixed(1)} ms`;
};

export async function benchWorkers(runs: number): Promise<void> {
  await buildWeb({ quiet: true });
  if (!process.env.MM_LOG_LEVEL) rootLogger().level = 'warn';
  const dir = mkdtempSync(join(tmpdir(), 'mm-preempt-workers-'));
  // the test hub's defaults: no Node-RED, no MQTT, free ports, no hub threads, policy always
  const hub = await startTestHub({ dataDir: dir, overrides: { tickMs: 250 } });
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'bin/micro-mining.js'),
      'worker',
      '--hub',
      `stratum+tcp://127.0.0.1:${hub.server!.address().port}`,
      '--name',
      'bench-pc',
      '--threads',
      '1',
      '--max-load',
      '100',
      '--battery',
    ],
    {
      env: { ...process.env, MM_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  try {
    const agent = await pauses(hub, 'bench-pc', runs);
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${hub.statusServer!.port}/worker?autostart&name=bench-tablet`);
    const web = await pauses(hub, 'bench-tablet', runs);
    console.log(`workers over ${runs} pauses each (hub pause -> worker reports its threads stopped):`);
    console.log(`  micro-mining worker process (1 thread):           ${stat(agent)}  (goal: 1000 ms)`);
    console.log(`  browser worker page (headless Chromium):          ${stat(web)}  (goal: 1000 ms)`);
  } finally {
    await browser.close();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await hub.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
