import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { StatusServer, renderAppliances, renderStatusPage, formatWorkerHashrate, type HubStatus } from '../../src/app/status.js';
import { formatDuration, formatHashrate, formatOdds } from '../../src/core/index.js';
import { ARTIFACTS, launchBrowser } from '../support/browser.js';

function sample(over: Partial<HubStatus> = {}): HubStatus {
  return {
    mode: 'practice',
    source: 'practice',
    poolConnected: false,
    connection: 'practice',
    mining: true,
    policy: 'idle_only',
    decision: 'mining: 1 thread, 2 appliances idle, 640 W surplus',
    threads: 1,
    maxThreads: 2,
    threadLimit: '1 of 2 threads: 1 core kept for Home Assistant (--headroom 1)',
    kernel: 'js',
    hashrate: 1_530_000,
    hubHashrate: 1_530_000,
    shares: { accepted: 12, rejected: 1, stale: 0 },
    bestDifficulty: { session: 0.25, allTime: 3.5 },
    blocksFound: 0,
    networkDifficulty: 1.2e14,
    oddsPerDay: 2.6e-13,
    expectedTimeToBlock: 3.4e11,
    powerW: 15,
    energyKWh: 0.042,
    workers: [{ name: 'nerdminer-kitchen', status: 'mining', hashrate: 55_000, accepted: 4, rejected: 0, bestDifficulty: 0.01, lastShare: Date.now() }],
    appliances: {
      idle: 2,
      busy: 1,
      total: 3,
      ignored: 41,
      list: [
        {
          name: 'Washer',
          area: 'Laundry',
          role: 'load',
          status: 'idle',
          reason: 'sensor.washer_status=finished',
          why: 'sensor.washer_status reports a working status',
        },
        { name: 'TV <b>', area: 'Living Room', role: 'load', status: 'busy', reason: 'media_player.tv=playing', why: 'media_player.tv plays media' },
        { name: 'hub', area: null, role: 'worker', status: 'idle', reason: 'the rest of the machine uses 3% CPU, within the 50% limit', why: 'the hub' },
      ],
    },
    haConnected: true,
    mqttConnected: true,
    startedAt: Date.now(),
    ...over,
  };
}

let status = sample();
const server = new StatusServer({ port: 0, status: () => status });
before(() => server.start());
after(() => server.stop());

test('the page writes its figures with the one formatter (src/core/format.ts): no exponent, odds as "… to 1" like the HA odds sensor', async () => {
  assert.equal(formatHashrate(55_000), '55 kH/s');
  assert.equal(formatOdds(2.6e-13), '3.85 trillion to 1');
  assert.equal(formatDuration(86400 * 3), '3 days');
  const html = renderStatusPage(sample());
  assert.doesNotMatch(html.slice(html.indexOf('<body')), /\de[+-]?\d/, 'no exponent anywhere on the page');
  assert.match(html, /id="odds">3\.85 trillion to 1</);
  assert.match(html, /id="network">120 T</);
  assert.match(html, /id="power">15 W \(estimated\)</);
  // /api/status carries the same words beside the numbers
  const j = (await (await fetch(`http://127.0.0.1:${server.port}/api/status`)).json()) as { text: Record<string, string>; oddsPerDay: number };
  assert.equal(j.oddsPerDay, 2.6e-13);
  assert.deepEqual(
    { odds: j.text.odds_per_day, hashrate: j.text.hashrate, network: j.text.network_difficulty, power: j.text.power, eta: j.text.expected_time_to_block },
    { odds: '3.85 trillion to 1', hashrate: '1.53 MH/s', network: '120 T', power: '15 W (estimated)', eta: formatDuration(3.4e11) },
  );
});

test('health and JSON endpoints answer under any prefix; other methods and paths are refused', async () => {
  const base = `http://127.0.0.1:${server.port}`;
  assert.deepEqual(await (await fetch(`${base}/health`)).json(), { ok: true });
  const j = (await (await fetch(`${base}/api/hassio_ingress/XYZ/api/status`)).json()) as HubStatus;
  assert.equal(j.decision, status.decision);
  assert.equal(j.hashrate, 1_530_000);
  assert.equal((await fetch(`${base}/nope.js`)).status, 404);
  assert.equal((await fetch(`${base}/`, { method: 'POST' })).status, 405);
  status = sample({ expectedTimeToBlock: Infinity, mining: false, hashrate: 0 });
  assert.equal(((await (await fetch(`${base}/api/status`)).json()) as { expectedTimeToBlock: unknown }).expectedTimeToBlock, null);
  status = sample();
});

test('an allow list (the add-on: only the ingress proxy) refuses other addresses', async () => {
  const s = new StatusServer({ port: 0, allow: ['172.30.32.2'], status: () => status });
  await s.start();
  try {
    assert.equal((await fetch(`http://127.0.0.1:${s.port}/`)).status, 403);
  } finally {
    await s.stop();
  }
});

test('the status page in headless Chromium under an ingress path shows hashrate, odds, power and the reason', async () => {
  const { browser, close } = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 760 } });
    await page.goto(`http://127.0.0.1:${server.port}/api/hassio_ingress/Tok3n/`);
    assert.equal(await page.textContent('#hashrate'), '1.53 MH/s');
    assert.equal(await page.textContent('#odds'), '3.85 trillion to 1');
    assert.equal(await page.textContent('#power'), '15 W (estimated)');
    assert.equal(await page.textContent('#decision'), 'mining: 1 thread, 2 appliances idle, 640 W surplus');
    assert.match((await page.textContent('#mode')) ?? '', /practice mode: earns nothing/);
    assert.match((await page.textContent('#workers')) ?? '', /nerdminer-kitchen/);
    // the relative JSON link resolves under the prefix
    const href = await page.getAttribute('a[href="api/status"]', 'href');
    const resolved = new URL(href!, page.url()).pathname;
    assert.equal(resolved, '/api/hassio_ingress/Tok3n/api/status');
    const shot = join(ARTIFACTS, 'status-page.png');
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(existsSync(shot) && statSync(shot).size > 5000);
  } finally {
    await close();
  }
});

test('appliances: a table grouped by area with role, status and reason; the counts match the list; devices left out are counted', async () => {
  const html = renderAppliances(sample().appliances);
  const areas = [...html.matchAll(/<tr class="area"><th colspan="4">([^<]*)<\/th><\/tr>/g)].map((m) => m[1]);
  assert.deepEqual(areas, ['Laundry', 'Living Room', 'No area']);
  assert.match(html, /<td>TV &#60;b&#62;<\/td><td>load<\/td><td class="st-busy">busy<\/td><td>media_player\.tv=playing/);
  assert.match(html, /<td>hub<\/td><td>worker<\/td><td class="st-idle">idle<\/td><td>the rest of the machine uses 3% CPU/);
  assert.match(html, /2 idle, 1 busy of 3 appliances\. 41 other devices are not appliances/);
  const rows = [...html.matchAll(/<td class="st-(idle|busy|unknown)">/g)].map((m) => m[1]);
  assert.equal(rows.length, sample().appliances.total, 'one row per appliance');
  assert.equal(rows.filter((r) => r === 'idle').length, sample().appliances.idle);
  // The page and the JSON carry the same list.
  const page = await (await fetch(`http://127.0.0.1:${server.port}/`)).text();
  assert.ok(page.includes('id="appliances"'));
  const json = (await (await fetch(`http://127.0.0.1:${server.port}/api/status`)).json()) as { appliances: { list: unknown[]; ignored: number } };
  assert.equal(json.appliances.list.length, 3);
  assert.equal(json.appliances.ignored, 41);
});

test('a worker hashrate on few shares is shown with its 95 % range and share count; settled, as a plain figure', () => {
  assert.equal(
    formatWorkerHashrate({ hashrate: 55_000, estimate: { low: 11_000, high: 160_000, shares: 3, settled: false } }),
    '~55 kH/s (11 kH/s to 160 kH/s, 3 shares)',
  );
  assert.equal(formatWorkerHashrate({ hashrate: 0, estimate: { low: 0, high: 0, shares: 0, settled: false } }), 'no shares yet');
  assert.equal(formatWorkerHashrate({ hashrate: 1_530_000, estimate: { low: 1_300_000, high: 1_800_000, shares: 60, settled: true } }), '1.53 MH/s');
  const html = renderStatusPage({
    ...sample(),
    workers: [{ ...sample().workers[0], hashrate: 55_000, estimate: { low: 11_000, high: 160_000, shares: 3, settled: false } }],
  });
  assert.ok(html.includes('~55 kH/s (11 kH/s to 160 kH/s, 3 shares)'));
});
