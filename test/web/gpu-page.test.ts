// The worker page on the GPU: headless Chromium with WebGPU on SwiftShader against a real hub
// (standalone, practice jobs). The page picks the WebGPU kernel, says so on the page and to the hub
// (mm_state `kernel`), and its shares are validated and credited by the hub. The bad cases are
// injected into the real kernel path with the page's TEST HOOK (?mm-test-fault=…, honoured only
// because the hub serves the page in test mode): a device lost mid-scan, a dispatch that never
// returns (timeout), a wrong candidate (refused by the CPU check); each turns the GPU off for the
// session with a clear message and the page goes on with WASM. Without WebGPU, or with the hub's
// gpu option off, the page uses WASM and says why.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { buildWeb } from '../../scripts/build-web.mjs';
import { loadConfig } from '../../src/app/config.js';
import { Hub } from '../../src/app/hub.js';
import { WorkerPage } from '../../src/web/index.js';
import { logger } from '../../src/log.js';
import { launchBrowser } from '../support/browser.js';
import { until } from '../worker/support.js';
import { launchGpuBrowser } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'mm-gpu-page-'));
let hub: Hub;
let browser: Browser;
const pages: Page[] = [];

before(async () => {
  await buildWeb({ quiet: true });
  const config = loadConfig({
    argv: ['--data-dir', dir, '--no-node-red', '--no-mqtt', '--stratum-port', '0', '--status-port', '0', '--threads', '0', '--policy', 'always'],
    env: {},
  });
  hub = new Hub(config, { tickMs: 250 });
  await hub.start();
  browser = await launchGpuBrowser();
});

after(async () => {
  for (const p of pages) await p.close().catch(() => {});
  await browser?.close();
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const worker = (name: string) => hub.obedience.control.list().find((w) => w.worker === name);
const stats = (name: string) => hub.manager.stats.snapshot().find((s) => s.name === name);

/** Opens the hub's worker page; `difficulty` makes shares come often (a share is certain within the limit). */
async function open(name: string, extra = ''): Promise<Page> {
  const p = await browser.newPage();
  pages.push(p);
  await p.goto(`http://127.0.0.1:${hub.statusServer!.port}/worker?autostart&name=${name}&difficulty=0.00005${extra}`);
  return p;
}

const logText = (p: Page) => p.textContent('#log').then((t) => t ?? '');

test('the page mines on the GPU (WebGPU on SwiftShader), says so, and the hub credits its shares', async () => {
  const p = await open('gpu-tab');
  const w = await until(
    'the page reports it hashes with webgpu',
    () => (worker('gpu-tab')?.report?.state === 'working' && worker('gpu-tab')?.report?.kernel === 'webgpu' ? worker('gpu-tab') : undefined),
    120_000,
  );
  assert.equal(w.kind, 'browser');
  assert.equal(w.report!.threads, 1, 'one GPU thread');
  assert.equal(w.report!.wattsEstimate, 0, 'a software adapter adds no GPU power of its own (estimated, from its class)');
  assert.match((await p.textContent('#kernel')) ?? '', /WebGPU on the GPU \(software adapter/);
  await until('a share found on the GPU, validated and credited by the hub', () => (stats('gpu-tab')?.accepted ?? 0) >= 2, 180_000);
  assert.equal(stats('gpu-tab')?.rejected ?? 0, 0);
  assert.match((await p.textContent('#shares')) ?? '', /[1-9]\d* accepted, 0 rejected/);
  assert.doesNotMatch(await logText(p), /WebGPU kernel off/);

  // a pause from the plan stops the GPU thread (after the dispatch in flight; the time is printed)
  const t0 = performance.now();
  await hub.command({ kind: 'mining', on: false });
  await until(
    'the GPU page reports it stopped',
    () => (worker('gpu-tab')?.report?.state === 'paused' && worker('gpu-tab')?.report?.threads === 0 ? true : undefined),
    30_000,
  );
  console.log(`# GPU page: plan pause -> GPU thread stopped, reported to the hub: ${(performance.now() - t0).toFixed(0)} ms`);
  const h1 = await p.textContent('#hashes');
  await p.waitForTimeout(1500);
  assert.equal(await p.textContent('#hashes'), h1, 'no hash while paused');
  await hub.command({ kind: 'mining', on: true });
  await until('the GPU page works again', () => (worker('gpu-tab')?.report?.state === 'working' ? true : undefined), 30_000);
  await p.close();
});

test('the GPU page yields when hidden and on battery, and resumes after', async () => {
  const p = await browser.newPage();
  pages.push(p);
  // headless Chromium cannot hide a tab or unplug a charger: a stand-in document.hidden and battery
  // object drive the page's own listeners through the real events (as test/worker/browser.test.ts)
  await p.addInitScript({
    content: `
      window.__hidden = false;
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => window.__hidden });
      const battery = Object.assign(new EventTarget(), { charging: true, level: 0.8 });
      window.__battery = battery;
      Object.defineProperty(navigator, 'getBattery', { configurable: true, value: () => Promise.resolve(battery) });
    `,
  });
  await p.goto(`http://127.0.0.1:${hub.statusServer!.port}/worker?autostart&name=gpu-yield&difficulty=0.00005`);
  const me = () => worker('gpu-yield')?.report;
  await until('it hashes on the GPU', () => (me()?.state === 'working' && me()?.kernel === 'webgpu' ? true : undefined), 120_000);
  await p.evaluate(`window.__hidden = true; document.dispatchEvent(new Event('visibilitychange'))`);
  await until(
    'hidden: the GPU thread stops',
    () => (me()?.state === 'yielding' && me()?.threads === 0 && /hidden/.test(me()?.reason ?? '') ? true : undefined),
    30_000,
  );
  await p.evaluate(`window.__hidden = false; document.dispatchEvent(new Event('visibilitychange'))`);
  await until('visible: it hashes again', () => (me()?.state === 'working' ? true : undefined), 30_000);
  await p.evaluate(`window.__battery.charging = false; window.__battery.dispatchEvent(new Event('chargingchange'))`);
  await until(
    'on battery: the GPU thread stops',
    () => (me()?.state === 'yielding' && me()?.threads === 0 && /battery/.test(me()?.reason ?? '') ? true : undefined),
    30_000,
  );
  await p.evaluate(`window.__battery.charging = true; window.__battery.dispatchEvent(new Event('chargingchange'))`);
  await until('charging: it hashes again on the GPU', () => (me()?.state === 'working' && me()?.kernel === 'webgpu' ? true : undefined), 30_000);
  await p.close();
});

for (const [fault, message] of [
  ['lost', /WebGPU kernel off for this session: the GPU device was lost mid-scan/],
  ['hang', /WebGPU kernel off for this session: a WebGPU dispatch of \d+ nonces did not finish within \d+ ms/],
  ['wrong', /WebGPU kernel off for this session: the WebGPU kernel returned nonce \d+, which the CPU check refuses/],
] as const) {
  test(`test hook ${fault}: the GPU is off for the session with a clear message, the page goes on with WASM`, async () => {
    const name = `gpu-fault-${fault}`;
    const p = await open(name, `&mm-test-fault=${fault}`);
    await p.waitForFunction((re) => new RegExp(re).test(document.getElementById('log')?.textContent ?? ''), message.source, { timeout: 120_000 });
    await until(
      'the page reports it hashes with wasm',
      () => (worker(name)?.report?.state === 'working' && worker(name)?.report?.kernel === 'wasm' ? true : undefined),
      60_000,
    );
    assert.match((await p.textContent('#kernel')) ?? '', /WebAssembly SIMD on the CPU; GPU not used: /);
    // hashing goes on with WASM, shares are accepted; the wrong candidate never reached the hub
    await until('a share after the fallback', () => (stats(name)?.accepted ?? 0) >= 1, 120_000);
    assert.equal(stats(name)?.rejected ?? 0, 0, 'no share refused by the hub');
    await p.close();
  });
}

test('the page served outside test mode ignores the fault hook', async () => {
  const html = await (await fetch(`http://127.0.0.1:${hub.statusServer!.port}/worker`)).text();
  assert.match(html, /data-test-hooks="1"/, 'this hub runs in test mode (MM_TEST)');
  const page = new WorkerPage({ accept: null, passwordRequired: false, testHooks: false, log: logger('test') });
  const body = await serve(page, async (url) => (await fetch(url)).text());
  assert.doesNotMatch(body, /data-test-hooks/);
  assert.match(body, /data-gpu="1"/, 'GPU on by default');
});

test("with the hub's gpu option off, the page hashes with WASM and says why", async () => {
  const page = new WorkerPage({ accept: null, passwordRequired: false, gpu: false, log: logger('test') });
  await serve(page, async (url) => {
    const p = await browser.newPage();
    pages.push(p);
    await p.goto(`${url}?autostart&name=gpu-off`);
    await p.waitForFunction(() => /GPU not used: turned off by the hub/.test(document.getElementById('kernel')?.textContent ?? ''), undefined, {
      timeout: 30_000,
    });
    await p.close();
  });
});

test('in a browser without a WebGPU adapter the page hashes with WASM and names what is missing', async () => {
  const plain = await launchBrowser(); // --disable-gpu, no WebGPU flags
  try {
    const p = await plain.browser.newPage();
    await p.goto(`http://127.0.0.1:${hub.statusServer!.port}/worker?autostart&name=no-gpu`);
    await until(
      'the page reports it hashes with wasm',
      () => (worker('no-gpu')?.report?.state === 'working' && worker('no-gpu')?.report?.kernel === 'wasm' ? true : undefined),
      120_000,
    );
    const k = (await p.textContent('#kernel')) ?? '';
    assert.match(k, /WebAssembly SIMD on the CPU; GPU not used: (this browser has no WebGPU|WebGPU found no GPU adapter)/);
    await p.close();
  } finally {
    await plain.close();
  }
});

/** Serves one WorkerPage on a loopback port for the callback's duration. */
async function serve<T>(page: WorkerPage, fn: (url: string) => Promise<T>): Promise<T> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (!page.handle(req, res, path)) res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    return await fn(`http://127.0.0.1:${(server.address() as { port: number }).port}/worker`);
  } finally {
    page.stop();
    await new Promise<void>((r) => server.close(() => r()));
  }
}
