// The browser worker page in Debian's headless Chromium against a real hub (standalone): it joins
// over the WebSocket on the status port, its shares are validated by the hub, a pause from the
// plan stops its hashing (threads stopped, hash counter frozen; the time is printed), and closing
// the page removes the worker. A WebSocket from another origin is refused. Hidden and on battery,
// the page yields and resumes after (its own listeners, driven by the same events).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import WebSocket from 'ws';
import { buildWeb } from '../../scripts/build-web.mjs';
import type { Hub } from '../../src/app/hub.js';
import { startTestHub } from '../support/hub.js';
import type { ControlledWorker } from '../../src/stratum/index.js';
import { launchBrowser } from '../support/browser.js';
import { until } from './support.js';

let hub: Hub;
let browser: { browser: Browser; close: () => Promise<void> };
let page: Page | null = null;

before(async () => {
  await buildWeb({ quiet: true });
  hub = await startTestHub();
  browser = await launchBrowser();
});

after(async () => {
  await page?.close().catch(() => {});
  await browser?.close();
  await hub?.stop();
});

const tablet = () => hub.obedience.control.list().find((w) => w.worker === 'tablet-test');

test('the page joins as a browser worker and its shares are validated by the hub', async () => {
  page = await browser.browser.newPage();
  await page.goto(`http://127.0.0.1:${hub.statusServer!.port}/worker?autostart&name=tablet-test`);
  const w = await until('the page reports it hashes', () => (tablet()?.report?.state === 'working' ? tablet() : undefined), 60_000);
  assert.equal(w.kind, 'browser');
  assert.ok(w.report!.threads >= 1);
  await until(
    'a share from the page validated by the hub',
    () => (hub.manager.stats.snapshot().find((s) => s.name === 'tablet-test')?.accepted ?? 0) >= 1,
    120_000,
  );
  assert.match((await page.textContent('#shares')) ?? '', /[1-9]\d* accepted/);
});

test('a pause from the plan stops the page hashing', async () => {
  const reports: ControlledWorker[] = [];
  const onReport = (w: ControlledWorker) => reports.push(w);
  hub.obedience.control.on('report', onReport);
  try {
    const t0 = performance.now();
    await hub.command({ kind: 'mining', on: false });
    const paused = await until(
      'the page reports its threads stopped',
      () => reports.find((r) => r.worker === 'tablet-test' && r.report?.state === 'paused'),
      20_000,
    );
    const ms = performance.now() - t0;
    console.log(`# browser worker: plan pause -> page threads stopped, reported to the hub: ${ms.toFixed(0)} ms`);
    assert.equal(paused.report!.threads, 0);
    assert.equal(await page!.getAttribute('body', 'data-state'), 'idle');
    const h1 = await page!.textContent('#hashes');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await page!.textContent('#hashes'), h1, 'no hash while paused');
    assert.match((await page!.textContent('#state')) ?? '', /paused by the hub/);
    // the status page says per worker what the plan asked and what it did
    const st = (await (await fetch(`http://127.0.0.1:${hub.statusServer!.port}/api/status`)).json()) as {
      workers: { name: string; kind?: string; asked?: string; did?: string }[];
    };
    const row = st.workers.find((w) => w.name === 'tablet-test');
    assert.equal(row?.kind, 'browser');
    assert.equal(row?.asked, 'pause');
    assert.match(row?.did ?? '', /^paused \(paused by the hub/);
    const html = await (await fetch(`http://127.0.0.1:${hub.statusServer!.port}/`)).text();
    assert.match(html, /tablet-test \(browser\)<\/td><td>[^<]*<\/td><td>pause<\/td><td>paused/);
  } finally {
    hub.obedience.control.off('report', onReport);
  }
});

test('the WebSocket refuses another origin', async () => {
  const url = `ws://127.0.0.1:${hub.statusServer!.port}/worker/ws`;
  const status = (origin?: string) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(url, origin ? { origin } : {});
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => {
        ws.close();
        resolve(101);
      });
      ws.on('error', () => {});
    });
  assert.equal(await status('http://evil.example'), 403);
  assert.equal(await status(), 403);
  assert.equal(await status(`http://127.0.0.1:${hub.statusServer!.port}`), 101);
});

test('closing the page removes the worker', async () => {
  await page!.close();
  page = null;
  await until('the worker is gone from the hub', () => !tablet() && !hub.manager.stats.snapshot().find((s) => s.name === 'tablet-test')?.online, 20_000);
});

test('with an endpoint password: a wrong one is refused with a clear message, the right one joins', async () => {
  const hub2 = await startTestHub({ args: ['--stratum-password', 'tablet-secret-1'] });
  const p = await browser.browser.newPage();
  try {
    await p.goto(`http://127.0.0.1:${hub2.statusServer!.port}/worker`);
    assert.match((await p.getAttribute('#password', 'placeholder')) ?? '', /required/);
    await p.fill('#name', 'tablet-pw');
    await p.fill('#password', 'wrong');
    await p.click('#start');
    await p.waitForFunction(() => /refused this worker.*wrong password/.test(document.getElementById('log')?.textContent ?? ''), undefined, {
      timeout: 30_000,
    });
    assert.equal(
      hub2.obedience.control.list().find((w) => w.worker === 'tablet-pw'),
      undefined,
    );
    // it does not retry by itself with the wrong password: Start is enabled again
    await p.waitForFunction(() => !(document.getElementById('start') as HTMLButtonElement).disabled, undefined, { timeout: 10_000 });
    await p.fill('#name', 'tablet-pw');
    await p.fill('#password', 'tablet-secret-1');
    await p.click('#start');
    await until(
      'the page joins with the right password',
      () => hub2.obedience.control.list().find((w) => w.worker === 'tablet-pw' && w.kind === 'browser'),
      30_000,
    );
  } finally {
    await p.close();
    await hub2.stop();
  }
});

test('the page yields when it is hidden and when the device runs on battery, and resumes after', async () => {
  await hub.command({ kind: 'mining', on: true });
  const p = await browser.browser.newPage();
  // Headless Chromium cannot hide a tab or unplug a charger: the page's own listeners are driven
  // through the same events (visibilitychange, the Battery API's chargingchange) with a stand-in
  // document.hidden and battery object, named so here.
  // (a plain script: functions written here would carry the test compiler's helpers into the page)
  await p.addInitScript({
    content: `
      window.__hidden = false;
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => window.__hidden });
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (window.__hidden ? 'hidden' : 'visible') });
      const battery = Object.assign(new EventTarget(), { charging: true, level: 0.8 });
      window.__battery = battery;
      Object.defineProperty(navigator, 'getBattery', { configurable: true, value: () => Promise.resolve(battery) });
    `,
  });
  const reports: ControlledWorker[] = [];
  const onReport = (w: ControlledWorker) => reports.push(w);
  hub.obedience.control.on('report', onReport);
  const me = () => hub.obedience.control.list().find((w) => w.worker === 'tablet-yield');
  const waitState = (state: string, from: number, what: string) =>
    until(what, () => reports.slice(from).find((r) => r.worker === 'tablet-yield' && r.report?.state === state), 30_000);
  try {
    await p.goto(`http://127.0.0.1:${hub.statusServer!.port}/worker?autostart&name=tablet-yield`);
    await until('the page hashes', () => (me()?.report?.state === 'working' ? true : undefined), 60_000);
    let mark = reports.length;
    await p.evaluate(`window.__hidden = true; document.dispatchEvent(new Event('visibilitychange'))`);
    let r = await waitState('yielding', mark, 'hidden: the page yields').catch(async (e) => {
      throw new Error(
        `${e.message}; reports: ${JSON.stringify(reports.slice(mark).map((x) => [x.worker, x.report]))}; page state: ${await p.textContent('#state')}`,
      );
    });
    assert.equal(r.report!.threads, 0);
    assert.match(String(r.report!.reason ?? ''), /hidden/);
    mark = reports.length;
    await p.evaluate(`window.__hidden = false; document.dispatchEvent(new Event('visibilitychange'))`);
    await waitState('working', mark, 'visible again: it hashes');
    mark = reports.length;
    await p.evaluate(`window.__battery.charging = false; window.__battery.dispatchEvent(new Event('chargingchange'))`);
    r = await waitState('yielding', mark, 'on battery: the page yields');
    assert.equal(r.report!.threads, 0);
    assert.match(String(r.report!.reason ?? ''), /battery/);
    assert.match((await p.textContent('#state')) ?? '', /on battery/);
    mark = reports.length;
    await p.evaluate(`window.__battery.charging = true; window.__battery.dispatchEvent(new Event('chargingchange'))`);
    await waitState('working', mark, 'charging again: it hashes');
  } finally {
    hub.obedience.control.off('report', onReport);
    await p.close();
  }
});
