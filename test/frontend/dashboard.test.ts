// The ready dashboard of docs/dashboard.md (issue 23 item 4) in Home Assistant's own frontend: the
// test bed's real HA Core and Mosquitto, the hub as `micro-mining start` (practice) and a household
// miner on its Stratum endpoint. The YAML is read from the doc, saved as a new dashboard through
// HA's websocket API (lovelace/dashboards/create, lovelace/config/save), opened in Chromium as the
// owner; every card renders with the hub's entities and no "Entity not available".
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { freePort, startHaTestBed, type HaTestBed } from '../support/habed/index.js';
import { ARTIFACTS, launchBrowser } from '../support/browser.js';

const ROOT = join(import.meta.dirname, '../..');
const MINER = 'kitchen_nerdminer'; // the doc's example worker (its entity ids are its name)

let bed: HaTestBed;
let hub: ChildProcess | null = null;
let miner: ChildProcess | null = null;
let dir = '';
let log = '';
let browser: Awaited<ReturnType<typeof launchBrowser>> | null = null;

/** The dashboard's YAML: the one ```yaml block of docs/dashboard.md. */
function dashboardYaml(): { title: string; views: { path: string; cards: { type: string; title?: string; entities: ({ entity: string } | string)[] }[] }[] } {
  const md = readFileSync(join(ROOT, 'docs/dashboard.md'), 'utf8');
  const blocks = [...md.matchAll(/```yaml\n([\s\S]*?)```/g)];
  assert.equal(blocks.length, 1, 'one YAML block in the doc');
  return parse(blocks[0][1]);
}

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
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${ms} ms${last ? ` (${(last as Error).message})` : ''}\n--- hub/miner log tail ---\n${log.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
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

/** Text of each element and everything under it, shadow roots included (HA's UI is web components). */
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

/** Whether each element draws a chart (a canvas or an svg somewhere under it, shadow roots included). */
const hasChartInPage = new Function(
  'els',
  `const find = (n) => [...n.querySelectorAll('*')].some((c) => c.tagName === 'CANVAS' || c.tagName.toLowerCase() === 'svg' && c.getBoundingClientRect().height > 50 || (c.shadowRoot ? find(c.shadowRoot) : false));
  return els.map((e) => (e.shadowRoot ? find(e.shadowRoot) : false) || find(e));`,
) as (els: Element[]) => boolean[];

const entityIds = () => dashboardYaml().views.flatMap((v) => v.cards.flatMap((c) => c.entities.map((e) => (typeof e === 'string' ? e : e.entity))));

before(async () => {
  bed = await startHaTestBed({ mqtt: true, extraConfig: 'recorder:\n  commit_interval: 1\nhistory:\n' });
  dir = mkdtempSync(join(tmpdir(), 'mm-dashboard-'));
  const [stratumPort, statusPort] = [await freePort(), await freePort()];
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
  // every entity of the dashboard known in HA's state machine before the page is opened
  for (const id of entityIds()) {
    await until(
      `${id} known in HA`,
      async () => {
        const s = await bed.rest<{ state: string }>('GET', `/api/states/${id}`).catch(() => undefined);
        return s && s.state !== 'unknown' && s.state !== 'unavailable' ? s.state : undefined;
      },
      120_000,
    ).catch(async (err) => {
      const states = await bed.rest<{ entity_id: string; state: string }[]>('GET', '/api/states');
      throw new Error(
        `${(err as Error).message}\nHA has: ${states
          .filter((s) => s.entity_id.includes('micro_mining'))
          .map((s) => `${s.entity_id}=${s.state}`)
          .join(', ')}`,
      );
    });
  }
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await stopChild(miner);
  await stopChild(hub);
  await bed?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the dashboard of docs/dashboard.md, saved through HA’s websocket API, renders every card with the hub’s entities', async () => {
  const config = dashboardYaml();
  const ids = entityIds();
  assert.ok(ids.length >= 12, `the dashboard names the hub's entities: ${ids.join(', ')}`);
  await bed.call('lovelace/dashboards/create', {
    url_path: 'micro-mining',
    title: config.title,
    icon: 'mdi:pickaxe',
    show_in_sidebar: true,
    require_admin: false,
    mode: 'storage',
  });
  await bed.call('lovelace/config/save', { url_path: 'micro-mining', config });
  const saved = await bed.call<{ views: unknown[] }>('lovelace/config', { url_path: 'micro-mining' });
  assert.deepEqual(saved, config, 'HA kept the configuration as given');

  const page = await browser!.browser.newPage({ viewport: { width: 1280, height: 1400 } });
  page.setDefaultTimeout(60_000);
  await page.goto(bed.url);
  await page.waitForURL(/\/auth\/authorize/, { timeout: 30_000 });
  await page.getByLabel('Username').fill(bed.username);
  await page.getByLabel('Password', { exact: true }).fill(bed.password);
  await page.getByRole('button', { name: /log in/i }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/auth/'), { timeout: 30_000 });
  // logged in (the tokens are stored once the UI is up): the sidebar shows
  await page.locator('ha-sidebar').first().waitFor({ state: 'visible', timeout: 60_000 });
  await page.goto(`${bed.url}/micro-mining/${config.views[0].path}`);
  const cards = config.views[0].cards;
  const want = (type: string) => cards.filter((c) => c.type === type).length;
  await page
    .locator('hui-entities-card')
    .nth(want('entities') - 1)
    .waitFor({ timeout: 60_000 });
  await page
    .locator('hui-history-graph-card')
    .nth(want('history-graph') - 1)
    .waitFor({ timeout: 60_000 });
  // the graphs drew once the recorder's history arrived (a chart, not "No state history found")
  await until(
    'both history graphs drawn',
    async () => {
      const texts = await page.locator('hui-history-graph-card').evaluateAll(deepTextInPage);
      const charts = await page.locator('hui-history-graph-card').evaluateAll(hasChartInPage);
      return texts.length === want('history-graph') && texts.every((t) => !/No state history found/i.test(t)) && charts.every(Boolean) ? true : undefined;
    },
    60_000,
  );
  const entityCards = await page.locator('hui-entities-card').evaluateAll(deepTextInPage);
  const graphs = await page.locator('hui-history-graph-card').evaluateAll(deepTextInPage);
  console.log(`# dashboard cards:\n${[...entityCards, ...graphs].map((t) => `#   ${t.slice(0, 300)}`).join('\n')}`);
  await page.screenshot({ path: join(ARTIFACTS, 'ha-dashboard.png'), fullPage: true });
  const all = [...entityCards, ...graphs].join('\n');
  assert.doesNotMatch(all, /Entity not available|not found/i, 'every entity of the dashboard exists in HA');
  for (const c of cards) if (c.title) assert.ok(all.includes(c.title), `the card "${c.title}" rendered`);
  // the hub's figures as HA shows them
  assert.match(all, /Decision mining/);
  assert.match(all, /Odds per day [\d,]+ to 1/);
  assert.match(all, /Hashrate [\d,.]+ MH\/s/);
  assert.match(all, new RegExp(`${MINER} mining`), 'the worker mining');
  await page.close();
});
