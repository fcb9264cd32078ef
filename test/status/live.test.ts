// The status page live and with its history (issue 23 items 2 and 5), on a real hub in headless
// Chromium: figures follow the hub's server-sent events without a reload, the charts draw from
// /api/history after the hub restarted on the same data folder, a worker paused by its Mining
// switch shows as a paused band with its reason, a worker name with markup reads as text, no
// console errors, no request leaves the hub; screenshots in test-artifacts/ (light, dark, phone).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import type { Hub } from '../../src/app/hub.js';
import { PAGE_BUILD_DIR } from '../../src/app/status.js';
import { buildWeb } from '../../scripts/build-web.mjs';
import { ARTIFACTS, launchBrowser } from '../support/browser.js';
import { startTestHub } from '../support/hub.js';
import { LinePeer, handshake, until } from '../stratum/helpers.js';

const dataDir = mkdtempSync(join(tmpdir(), 'mm-live-page-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));
const NAME = '<img src=x onerror=xss=1>rig'; // within the history's 32-byte names

let hub: Hub | null = null;
let peer: LinePeer | null = null;
let browser: Awaited<ReturnType<typeof launchBrowser>> | null = null;
let workerName = '';

before(async () => {
  await buildWeb({ quiet: true });
  for (const f of ['page.js', 'page.css']) {
    const b = readFileSync(join(PAGE_BUILD_DIR, f));
    console.log(`# status page bundle ${f}: ${b.length} bytes, ${gzipSync(b).length} gzipped`);
  }
  hub = await startTestHub({ threads: 1, dataDir });
  peer = await LinePeer.connect(hub.server!.address().port);
  await handshake(peer, { user: `bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq.${NAME}` });
  await until(() => (hub?.status().workers.length ?? 0) > 0, 20_000, 'the worker connected');
  workerName = hub.status().workers[0].name;
  browser = await launchBrowser();
});
after(async () => {
  peer?.close();
  await browser?.close();
  await hub?.stop();
});

/** A page that records console errors, page errors and every request's origin. */
async function open(url: string, opts: { width?: number; height?: number; dark?: boolean } = {}): Promise<{ page: Page; errors: string[]; foreign: string[] }> {
  const page = await browser!.browser.newPage({
    viewport: { width: opts.width ?? 1200, height: opts.height ?? 900 },
    colorScheme: opts.dark ? 'dark' : 'light',
  });
  const errors: string[] = [];
  const foreign: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`);
  });
  const origin = new URL(url).origin;
  page.on('request', (r) => {
    if (new URL(r.url()).origin !== origin) foreign.push(r.url());
  });
  await page.goto(url);
  return { page, errors, foreign };
}

test('the page follows the hub without a reload (server-sent events), shows a markup name as text, and a paused worker in the timeline with its reason', async () => {
  assert.match(workerName, /<img/, 'the hub keeps the markup in the name (the page must escape it)');
  const url = `http://127.0.0.1:${hub!.statusServer!.port}/api/hassio_ingress/Tok3n/`;
  const { page, errors, foreign } = await open(url);
  await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
  await page.waitForFunction(() => Number(document.body.dataset.snapshots ?? 0) >= 2, null, { timeout: 30_000 });
  // the worker's name is text: no element made from it, and nothing ran
  const cell = await page.textContent('#workers tr td');
  assert.ok(cell?.startsWith(workerName), `name shown as text: ${cell}`);
  assert.equal(await page.locator('#workers img').count(), 0);
  assert.equal(await page.evaluate(() => (window as unknown as { xss?: number }).xss), undefined);
  assert.equal(await page.textContent('#live'), 'live');

  // the worker's own Mining switch off: the plan pauses it, the page shows it without a reload
  const pauses = new Set<string>();
  hub!.bus.on('plan', (p) => {
    for (const w of p.workers) if (w.id === workerName && w.action === 'pause') pauses.add(w.reason);
  });
  await hub!.command({ kind: 'worker_mining', worker: workerName, on: false });
  await page.waitForFunction(() => document.querySelectorAll('#workers tr td')[2]?.textContent === 'pause', null, { timeout: 30_000 });
  assert.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 42, 'the same document: no reload');

  // the timeline (history reloaded by the span button) shows the pause with the plan's reason
  await page.click('button[data-span="1h"]');
  const seg = page.locator('.tl-seg[data-decision="pause"]', { hasText: '' });
  await page.waitForFunction(() => document.querySelectorAll('.tl-seg[data-decision="pause"]').length > 0, null, { timeout: 30_000 });
  const reasons = await seg.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.reason ?? ''));
  assert.ok(pauses.size > 0, 'the plan paused the worker');
  assert.ok(
    reasons.some((r) => pauses.has(r)),
    `the band carries the plan's reason (${[...pauses].join(' | ')}): ${reasons.join(' | ')}`,
  );
  await seg.first().hover();
  assert.match((await page.textContent('#timeline-detail')) ?? '', /paused from .* to .*: /);
  const names = await page.locator('.tl-name').allTextContents();
  assert.ok(names.includes(workerName), `the timeline names the worker as text: ${names.join(', ')}`);
  await page.screenshot({ path: join(ARTIFACTS, 'status-live-light.png'), fullPage: true });
  assert.deepEqual(errors, [], 'no console errors');
  assert.deepEqual(foreign, [], 'no request leaves the hub');
  await page.close();
});

test('after a hub restart on the same data folder the charts draw from /api/history (the history survived), in light, dark and on a phone', async () => {
  // a finished 10 s step with hashrate: the hub hashes until the history has one
  await hub!.command({ kind: 'worker_mining', worker: workerName, on: true });
  await until(() => hub!.status().hubHashrate > 0, 60_000, 'the hub hashing');
  const before = Date.now();
  await until(() => Date.now() - before > 11_000 && hub!.status().hubHashrate > 0, 30_000, 'a 10 s step passed');
  peer?.close();
  peer = null;
  await hub!.stop();
  hub = await startTestHub({ threads: 0, dataDir });
  const port = hub.statusServer!.port;
  const h = (await (await fetch(`http://127.0.0.1:${port}/api/history?span=1h`)).json()) as {
    series: { hashrate: [number, number | null][] };
    plan: { worker: string; decision: string }[];
  };
  assert.ok(
    h.series.hashrate.some(([, v]) => (v ?? 0) > 0),
    'hashrate from before the restart',
  );
  assert.ok(
    h.plan.some((p) => p.worker === workerName && p.decision === 'pause'),
    `the pause from before the restart: ${JSON.stringify(h.plan)}`,
  );
  const bad = await fetch(`http://127.0.0.1:${port}/api/history?span=2h`);
  assert.equal(bad.status, 400);
  assert.deepEqual(((await bad.json()) as { allowed: string[] }).allowed, ['1h', '24h', '30d']);

  for (const v of [
    { file: 'status-history-light.png', width: 1280, height: 900 },
    { file: 'status-history-dark.png', width: 1280, height: 800, dark: true },
    { file: 'status-history-phone.png', width: 390, height: 844, dark: true },
  ]) {
    const { page, errors, foreign } = await open(`http://127.0.0.1:${port}/`, v);
    await page.waitForFunction(() => document.body.dataset.charts === '4', null, { timeout: 30_000 });
    assert.equal(await page.locator('#chart-hashrate canvas').count(), 1);
    assert.ok((await page.locator('.tl-seg[data-decision="pause"]').count()) > 0, 'the pause survived the restart');
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(bg, v.dark ? 'rgb(17, 17, 17)' : 'rgb(250, 250, 250)', 'the theme follows the browser');
    // on a phone nothing is wider than the screen but the tables' own scroll boxes
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `no sideways scrolling of the page: ${overflow}px`);
    await page.click('button[data-span="30d"]');
    await page.waitForFunction(() => document.body.dataset.historySpan === '30d', null, { timeout: 30_000 });
    await page.click('button[data-span="1h"]');
    await page.waitForFunction(() => document.body.dataset.historySpan === '1h', null, { timeout: 30_000 });
    const shot = join(ARTIFACTS, v.file);
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(statSync(shot).size > 10_000);
    assert.deepEqual(errors, [], 'no console errors');
    assert.deepEqual(foreign, [], 'no request leaves the hub');
    await page.close();
  }
});
