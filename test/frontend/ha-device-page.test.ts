// Home Assistant's own frontend (served by the test bed's real HA Core) in Debian's Chromium:
// log in as the onboarded owner, open the hub's device page and read what a person sees there:
// the entity names, units and states, no "Unknown", and the household miner as a connected device.
// The hub runs as `micro-mining start` (practice mode) against the test bed's HA and Mosquitto; the
// household miner is a second process of the project on the hub's Stratum endpoint.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { freePort, startHaTestBed, type HaTestBed } from '../support/habed/index.js';
import { ARTIFACTS, launchBrowser } from '../support/browser.js';
import { workerSlug } from '../../src/mqtt/index.js';

const ROOT = join(import.meta.dirname, '../..');
const MINER = 'kitchen-nerdminer';

let bed: HaTestBed;
let hub: ChildProcess | null = null;
let miner: ChildProcess | null = null;
let dir = '';
let log = '';
let hubStartedAt = 0;
let browser: Awaited<ReturnType<typeof launchBrowser>> | null = null;
let page: Page;

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline || /the hub exited/.test(String((last as Error | undefined)?.message)))
      throw new Error(`${what}: not within ${ms} ms${last ? ` (${(last as Error).message})` : ''}\n--- hub/miner log tail ---\n${log.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function haState(entityId: string): Promise<string | undefined> {
  try {
    return (await bed.rest<{ state: string }>('GET', `/api/states/${entityId}`)).state;
  } catch {
    return undefined;
  }
}

function run(args: string[]): ChildProcess {
  const p = spawn(process.execPath, args, {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MM_TEST: '', MM_LOG_LEVEL: 'warn' },
  });
  p.stdout!.on('data', (d) => (log = (log + d).slice(-20_000)));
  p.stderr!.on('data', (d) => (log = (log + d).slice(-20_000)));
  return p;
}

function stopChild(p: ChildProcess | null, ms = 8000): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      try {
        process.kill(-p.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, ms);
    p.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    try {
      process.kill(-p.pid!, 'SIGTERM');
    } catch {
      /* gone */
    }
  });
}

/**
 * Text of each element matching a selector and of everything under it, shadow roots included
 * (HA's UI is web components). Built with new Function so the test's TypeScript transform adds
 * no helper to what runs in the page.
 */
const deepTextInPage = new Function(
  'els',
  `const text = (n) => {
    if (n.nodeType === Node.TEXT_NODE) return n.textContent || '';
    if (!(n instanceof Element) || n instanceof HTMLStyleElement || n instanceof HTMLScriptElement) return '';
    const own = n.shadowRoot ? [...n.shadowRoot.childNodes].map(text).join(' ') : '';
    return own + ' ' + [...n.childNodes].map(text).join(' ');
  };
  return els.map((e) => text(e).replace(/\\s+/g, ' ').trim());`,
) as (els: Element[]) => string[];

async function deepText(p: Page, selector: string): Promise<string[]> {
  return p.locator(selector).evaluateAll(deepTextInPage);
}

before(async () => {
  // the recorder and history as a user's HA has them (default_config), to count the rows we cause
  bed = await startHaTestBed({ mqtt: true, extraConfig: 'recorder:\n  commit_interval: 1\nhistory:\n' });
  // an electricity price as HA reports one (the cost entity reads its value and currency)
  await bed.setState('sensor.electricity_price', '0.30', { unit_of_measurement: 'EUR/kWh', friendly_name: 'Electricity price' });
  dir = mkdtempSync(join(tmpdir(), 'mm-frontend-'));
  const [stratumPort, statusPort] = [await freePort(), await freePort()];
  hubStartedAt = Date.now();
  hub = run([
    join(ROOT, 'bin/micro-mining.js'),
    'start',
    '--practice',
    '--threads',
    '1',
    '--policy',
    'always',
    '--hub-max-load',
    '100',
    '--mqtt',
    bed.mqtt!.url,
    '--ha-url',
    bed.url,
    '--ha-token',
    bed.token,
    '--price-sensor',
    'sensor.electricity_price',
    '--stratum-port',
    String(stratumPort),
    '--stratum-bind',
    '127.0.0.1',
    '--status-port',
    String(statusPort),
    '--no-node-red',
    '--data-dir',
    join(dir, 'data'),
    '--bridge-key',
    randomBytes(16).toString('hex'),
  ]);
  await until(
    'hub status page',
    async () => {
      if (hub!.exitCode !== null) throw new Error(`the hub exited with ${hub!.exitCode}`);
      return (await fetch(`http://127.0.0.1:${statusPort}/api/status`)).ok;
    },
    90_000,
  );
  miner = run([
    '--import',
    'tsx',
    join(ROOT, 'scripts/household-miner.ts'),
    '--url',
    `stratum+tcp://127.0.0.1:${stratumPort}`,
    '--user',
    MINER,
    '--threads',
    '1',
    '--kernel',
    'js',
    '--suggest-difficulty',
    '0.0001',
  ]);
  // what the page should show is in HA's state machine first: the miner's first share, figures
  await until(
    'the miner’s first share in HA',
    async () => {
      const v = await haState(`sensor.micro_mining_${workerSlug(MINER)}_last_share`);
      return v && v !== 'unknown' && v !== 'unavailable' ? v : undefined;
    },
    120_000,
  ).catch(async (err) => {
    const states = await bed.rest<{ entity_id: string; state: string }[]>('GET', '/api/states');
    throw new Error(
      `${(err as Error).message}\n${states
        .filter((s) => s.entity_id.includes('micro_mining'))
        .map((s) => `${s.entity_id}=${s.state}`)
        .join('\n')}`,
    );
  });
  for (const id of [
    'sensor.micro_mining_hashrate',
    'sensor.micro_mining_odds_per_day',
    'sensor.micro_mining_expected_time_to_block',
    'sensor.micro_mining_cost_per_day',
    'sensor.micro_mining_network_difficulty',
  ]) {
    await until(`${id} known`, async () => {
      const v = await haState(id);
      return v && v !== 'unknown' && v !== 'unavailable' && Number(v) > 0 ? v : undefined;
    });
  }
  browser = await launchBrowser();
  page = await browser.browser.newPage({ viewport: { width: 1280, height: 2000 } });
  // generous: HA's frontend is large and the machine may be busy
  page.setDefaultTimeout(60_000);
  page.setDefaultNavigationTimeout(60_000);
});

after(async () => {
  await browser?.close();
  await stopChild(miner);
  await stopChild(hub);
  await bed?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('logs into HA\'s own frontend as the onboarded owner (the UI loads past "Loading…")', async () => {
  await page.goto(bed.url);
  await page.waitForURL(/\/auth\/authorize/, { timeout: 30_000 });
  await page.getByLabel('Username').fill(bed.username);
  await page.getByLabel('Password', { exact: true }).fill(bed.password);
  await page.getByRole('button', { name: /log in/i }).click();
  // logged in: back on HA's own pages, with the sidebar (it never appears while the UI hangs)
  await page.waitForURL((u) => !u.pathname.startsWith('/auth/'), { timeout: 30_000 });
  await page.locator('ha-sidebar').first().waitFor({ state: 'visible', timeout: 60_000 });
  await page.screenshot({ path: join(ARTIFACTS, 'ha-frontend-home.png') });
});

test("the hub's device page: entity names, units, states, no unknown, the household miner connected", async () => {
  const devices =
    await bed.call<{ id: string; name: string | null; identifiers: [string, string][]; via_device_id: string | null }[]>('config/device_registry/list');
  const hubDevice = devices.find((d) => d.identifiers.some(([dom, id]) => dom === 'mqtt' && id === 'micro_mining_hub'));
  assert.ok(hubDevice, 'the hub device in HA');
  await page.goto(`${bed.url}/config/devices/device/${hubDevice!.id}`);
  await page.getByText('Connected devices').first().waitFor({ timeout: 60_000 });
  // entity rows are rendered once the states arrived
  await page.locator('hui-generic-entity-row').first().waitFor({ timeout: 30_000 });
  const rows = await deepText(page, 'hui-generic-entity-row');
  await page.screenshot({ path: join(ARTIFACTS, 'ha-device-page-hub.png'), fullPage: true });
  console.log(`# device page rows:\n${rows.map((r) => `#   ${r}`).join('\n')}`);
  const row = (name: RegExp) => {
    const hit = rows.find((r) => name.test(r));
    assert.ok(hit, `a row ${name} among:\n${rows.join('\n')}`);
    return hit!;
  };
  assert.match(row(/^Hashrate\b/), /^Hashrate [\d,.]+\.\d{2} MH\/s$/, 'MH/s with 2 decimals');
  assert.match(row(/^Decision\b/), /^Decision mining$/);
  assert.match(row(/^Block odds per day\b/), /^Block odds per day [\d,]+ to 1$/);
  assert.match(row(/^Expected time to a block\b/), /^Expected time to a block [\d,.]+ y$/);
  assert.match(row(/^Estimated cost per day\b/), /^Estimated cost per day [\d.,]+ EUR$/);
  assert.match(row(/^Estimated power\b/), /^Estimated power \d+ W$/);
  assert.match(row(/^Pool connection\b/), /^Pool connection practice$/, 'practice mode says practice, not connected');
  for (const r of rows) {
    assert.doesNotMatch(r, /\bunknown\b|\bunavailable\b/i, `no unknown state: ${r}`);
    assert.doesNotMatch(r, /Micro Mining Mining/, 'names read well after the device name');
  }
  // the household miner is a device connected through the hub
  const connected = (await deepText(page, 'ha-device-via-devices-card')).join(' ');
  assert.match(connected, new RegExp(MINER), `connected devices: ${connected}`);

  // what HA's recorder got since the hub started: the figures change, the decision did not
  const ids = ['sensor.micro_mining_hashrate', 'sensor.micro_mining_decision', 'sensor.micro_mining_decision_reason'];
  const history = await bed.rest<{ entity_id?: string; state: string }[][]>(
    'GET',
    `/api/history/period/${new Date(hubStartedAt).toISOString()}?filter_entity_id=${ids.join(',')}&significant_changes_only=0&no_attributes`,
  );
  const changes = (id: string) => history.find((h) => h[0]?.entity_id === id) ?? [];
  const seconds = Math.round((Date.now() - hubStartedAt) / 1000);
  console.log(`# recorder rows in ${seconds} s since the hub started: ${ids.map((id) => `${id.slice(7)} ${changes(id).length}`).join(', ')}`);
  console.log(
    `# decision: ${changes('sensor.micro_mining_decision')
      .map((c) => c.state)
      .join(' -> ')}; reason: ${changes('sensor.micro_mining_decision_reason')
      .map((c) => c.state)
      .join(' -> ')}`,
  );
  assert.ok(changes('sensor.micro_mining_hashrate').length >= 3, 'the hashrate moved (the test can tell)');
  // the decision: its first state, and "mining" once the plan ran (the old text sensor changed every 5 s)
  assert.ok(
    changes('sensor.micro_mining_decision').length <= 3,
    changes('sensor.micro_mining_decision')
      .map((c) => c.state)
      .join(' -> '),
  );
  assert.ok(
    changes('sensor.micro_mining_decision_reason').length <= 4,
    changes('sensor.micro_mining_decision_reason')
      .map((c) => c.state)
      .join(' -> '),
  );
});

test("the household miner's device page, reached from the hub's connected devices", async () => {
  await page.locator('ha-device-via-devices-card').getByText(MINER).first().click();
  await page.waitForURL(/\/config\/devices\/device\//, { timeout: 30_000 });
  await page.getByText('Connected via').first().waitFor({ timeout: 30_000 });
  await page.locator('hui-generic-entity-row').first().waitFor({ timeout: 30_000 });
  const rows = await deepText(page, 'hui-generic-entity-row');
  await page.screenshot({ path: join(ARTIFACTS, 'ha-device-page-miner.png'), fullPage: true });
  console.log(`# miner device page rows:\n${rows.map((r) => `#   ${r}`).join('\n')}`);
  const row = (name: RegExp) => rows.find((r) => name.test(r)) ?? assert.fail(`a row ${name} among:\n${rows.join('\n')}`);
  assert.match(row(/^Mining status\b/), /^Mining status mining$/);
  assert.match(row(/^Hashrate\b/), /^Hashrate \d+\.\d{2} MH\/s$/, 'the same unit as the hub');
  assert.match(row(/^Shares\b/), /^Shares [1-9][\d,]*$/);
  assert.match(row(/^Last share\b/), /^Last share .*ago|^Last share .*(second|minute)/);
  for (const r of rows) assert.doesNotMatch(r, /\bunknown\b|\bunavailable\b/i, `no unknown state: ${r}`);
  // "Connected via Micro Mining"
  const info = (await deepText(page, 'ha-device-info-card')).join(' ');
  assert.match(info, /Connected via\s+Micro Mining/, info);
});
