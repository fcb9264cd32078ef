// End to end on the real HA test bed: a `micro-mining worker` process is linked to the Office PC's
// HA device by the MAC it tells (the PC's device lists that MAC), a browser worker page (headless
// Chromium) to the Kitchen Tablet's device by a mapping; each device's busy/idle in HA drives its
// worker through the hub's plan (idle_only). Prints the time from the HA state change (published
// to HA's MQTT broker) to "stopped hashing" reported by each worker.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { buildWeb } from '../../scripts/build-web.mjs';
import type { Hub } from '../../src/app/hub.js';
import { testHub } from '../support/hub.js';
import type { ControlledWorker } from '../../src/stratum/index.js';
import { primaryMac } from '../../src/worker/index.js';
import { launchBrowser } from '../support/browser.js';
import { startHaTestBed, type HaTestBed } from '../support/habed/index.js';
import { until, workerProcess, type WorkerProcess } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'mm-e2e-workers-'));
const mac = primaryMac();
let bed: HaTestBed;
let hub: Hub | null = null;
let agent: WorkerProcess | null = null;
let browser: { browser: Browser; close: () => Promise<void> } | null = null;
let page: Page | null = null;
let tabletDevice = '';

before(async () => {
  await buildWeb({ quiet: true });
  bed = await startHaTestBed();
  await bed.announceDevice({
    id: 'officepc',
    name: 'Office PC',
    manufacturer: 'Acme',
    connections: mac ? [['mac', mac]] : [],
    entities: [{ component: 'binary_sensor', key: 'in_use' }],
  });
  await bed.publishState('officepc', 'in_use', 'OFF');
  tabletDevice = (
    await bed.announceDevice({ id: 'tablet', name: 'Kitchen Tablet', manufacturer: 'Acme', entities: [{ component: 'binary_sensor', key: 'in_use' }] })
  ).deviceId;
  await bed.publishState('tablet', 'in_use', 'OFF');
});

after(async () => {
  await page?.close().catch(() => {});
  await browser?.close();
  await agent?.stop();
  await hub?.stop();
  await bed?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("the Office PC and the kitchen tablet: each device's busy state in HA pauses its worker", {
  skip: mac ? false : 'this machine has no MAC address to link by',
}, async () => {
  hub = testHub({
    dataDir: dir,
    policy: 'idle_only',
    args: [
      '--idle-hold',
      '1',
      '--ha-url',
      bed.url,
      '--ha-token',
      bed.token,
      '--worker-mappings',
      JSON.stringify([{ worker: 'tablet-e2e', device: tabletDevice }]),
    ],
  });
  const h = hub;
  await h.start();
  const reports: ControlledWorker[] = [];
  h.obedience.control.on('report', (w: ControlledWorker) => reports.push({ ...w, reportAt: performance.now() }));

  agent = workerProcess([
    '--hub',
    `stratum+tcp://127.0.0.1:${h.server!.address().port}`,
    '--name',
    'office-pc-worker',
    '--threads',
    '1',
    '--kernel',
    'js',
    '--max-load',
    '100',
    '--battery',
  ]);
  browser = await launchBrowser();
  page = await browser.browser.newPage();
  await page.goto(`http://127.0.0.1:${h.statusServer!.port}/worker?autostart&name=tablet-e2e`);

  const linked = await until(
    'the worker process is linked to the Office PC by its MAC',
    () => h.ha?.appliances().find((a) => a.workerId === 'office-pc-worker'),
    60_000,
  );
  assert.equal(linked.name, 'Office PC');
  assert.equal(linked.workerMatchedBy, 'mac');
  assert.equal(h.ha?.appliances().find((a) => a.workerId === 'tablet-e2e')?.name, 'Kitchen Tablet');
  const working = (name: string) => h.obedience.control.list().find((w) => w.worker === name)?.report?.state === 'working';
  await until('both work while their devices are idle', () => working('office-pc-worker') && working('tablet-e2e'), 90_000);

  for (const [device, worker] of [
    ['officepc', 'office-pc-worker'],
    ['tablet', 'tablet-e2e'],
  ] as const) {
    const from = reports.length;
    const t0 = performance.now();
    await bed.publishState(device, 'in_use', 'ON');
    const stopped = await until(
      `${worker} reports it stopped`,
      () => reports.slice(from).find((r) => r.worker === worker && r.report?.state === 'paused'),
      30_000,
    );
    console.log(`# e2e on the real HA test bed: ${device} busy (MQTT -> HA) -> ${worker} stopped hashing, reported: ${(stopped.reportAt! - t0).toFixed(0)} ms`);
    assert.equal(stopped.report!.threads, 0);
    assert.match(stopped.report!.reason ?? '', /is busy/);
  }
  // what the dispatch node shows: how many did what the plan asked
  assert.deepEqual((await h.planner.stats()).obeyed, { obeyed: 2, total: 2 });
  const plan = h.planner.lastPlan!;
  assert.match(plan.workers.find((w) => w.id === 'office-pc-worker')!.reason, /Office PC is busy/);
});
