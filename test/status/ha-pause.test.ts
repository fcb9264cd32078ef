// The plan timeline on the real HA test bed (issue 23 item 5): the PC the hub runs on is an HA
// device (a binary sensor over MQTT discovery on the test bed's Mosquitto, linked to the hub by
// worker_mappings); it turns busy, the idle_only policy pauses the hub, and the status page's
// timeline in headless Chromium shows the pause with the plan's reason. Screenshot in test-artifacts/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hub } from '../../src/app/hub.js';
import { buildWeb } from '../../scripts/build-web.mjs';
import { startHaTestBed, type HaTestBed } from '../support/habed/index.js';
import { ARTIFACTS, launchBrowser } from '../support/browser.js';
import { startTestHub } from '../support/hub.js';
import { until } from '../stratum/helpers.js';

let bed: HaTestBed;
let hub: Hub | null = null;
let dir = '';

before(async () => {
  await buildWeb({ quiet: true });
  bed = await startHaTestBed({ mqtt: true });
  dir = mkdtempSync(join(tmpdir(), 'mm-ha-pause-'));
  const pc = await bed.announceDevice({ id: 'officepc', name: 'Office PC', manufacturer: 'Acme', entities: [{ component: 'binary_sensor', key: 'in_use' }] });
  await bed.publishState('officepc', 'in_use', 'OFF');
  const file = join(dir, 'settings.json');
  writeFileSync(
    file,
    JSON.stringify({ ha_url: bed.url, ha_token: bed.token, idle_hold: 1, hub_max_load: 100, worker_mappings: [{ worker: 'hub', device: pc.deviceId }] }),
  );
  hub = await startTestHub({ threads: 1, policy: 'idle_only', dataDir: join(dir, 'data'), args: ['--config', file] });
});

after(async () => {
  await hub?.stop();
  await bed?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the Office PC turns busy in HA: the hub pauses and the status page timeline shows it with the plan’s reason', async () => {
  const h = hub!;
  await until(() => h.status().threads > 0, 60_000, 'the hub mining while the PC is idle');
  const pauses = new Set<string>();
  h.bus.on('plan', (p) => {
    for (const w of p.workers) if (w.id === 'hub' && w.action === 'pause') pauses.add(w.reason);
  });
  let snaps = 0;
  h.bus.on('snapshot', () => void snaps++);
  await bed.publishState('officepc', 'in_use', 'ON');
  await until(() => pauses.size > 0 && h.status().threads === 0, 60_000, 'the plan pausing the hub');
  const after = snaps;
  await until(() => snaps >= after + 2, 30_000, 'two snapshots after the pause');
  console.log(`# the plan's reasons for the pause: ${[...pauses].join(' | ')}`);

  const { browser, close } = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    const errors: string[] = [];
    page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${h.statusServer!.port}/api/hassio_ingress/HaT0ken/`);
    await page.waitForFunction(() => document.querySelectorAll('.tl-seg[data-decision="pause"]').length > 0, null, { timeout: 60_000 });
    const bands = await page.locator('.tl-row').evaluateAll((rows) =>
      rows.map((r) => ({
        name: r.querySelector('.tl-name')?.textContent ?? '',
        pauses: [...r.querySelectorAll<HTMLElement>('.tl-seg[data-decision="pause"]')].map((s) => s.dataset.reason ?? ''),
      })),
    );
    const hubRow = bands.find((b) => b.name === 'hub');
    assert.ok(hubRow, `a band for the hub: ${JSON.stringify(bands)}`);
    assert.ok(
      hubRow!.pauses.some((r) => pauses.has(r)),
      `the hub's paused band carries the plan's reason (${[...pauses].join(' | ')}): ${hubRow!.pauses.join(' | ')}`,
    );
    assert.match(hubRow!.pauses.join(' '), /Office PC/, 'the reason names the appliance');
    await page.locator('.tl-row', { hasText: 'hub' }).locator('.tl-seg[data-decision="pause"]').first().hover();
    assert.match((await page.textContent('#timeline-detail')) ?? '', /^hub: paused from .*Office PC/);
    await page.screenshot({ path: join(ARTIFACTS, 'status-timeline-ha-busy.png'), fullPage: true });
    assert.deepEqual(errors, [], 'no console errors');
  } finally {
    await close();
  }
});
