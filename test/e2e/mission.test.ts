// The whole mission on the real HA test bed: the hub starts from the add-on's run entry (with a
// stand-in for the Supervisor's HTTP API: the Supervisor cannot run here), finds the test bed's
// appliances, the default Node-RED flow schedules work as they go idle and busy, the hub pool and
// a household miner (a second process of the project) hash practice jobs, shares are validated,
// and the sensors in HA show it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startHaTestBed, type HaTestBed } from '../support/habed/index.js';
import { ARTIFACTS, launchBrowser } from '../support/browser.js';

const ROOT = join(import.meta.dirname, '../..');

let bed: HaTestBed;
let supervisor: Server;
const supervisorCalls: string[] = [];
let hub: ChildProcess | null = null;
let miner: ChildProcess | null = null;
let dir: string;
let statusPort: number;
let stratumPort: number;
let nodeRedPort: number;
let pcDevice: string;
let hubLog = '';

interface Status {
  threads: number;
  hashrate: number;
  hubHashrate: number;
  decision: string;
  mode: string;
  shares: { accepted: number; rejected: number };
  workers: { name: string; accepted: number; status: string }[];
  haConnected: boolean | null;
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
    if (Date.now() > deadline) {
      throw new Error(`${what}: not within ${ms} ms${last ? ` (${(last as Error).message})` : ''}\n--- hub log tail ---\n${hubLog.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function status(): Promise<Status> {
  const r = await fetch(`http://127.0.0.1:${statusPort}/api/status`);
  return (await r.json()) as Status;
}

async function haState(entityId: string): Promise<string | undefined> {
  try {
    const s = await bed.rest<{ state: string }>('GET', `/api/states/${entityId}`);
    return s.state;
  } catch {
    return undefined;
  }
}

function stopChild(p: ChildProcess | null, ms = 5000): Promise<number | null> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return Promise.resolve(p?.exitCode ?? null);
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      try {
        process.kill(-p.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, ms);
    p.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
    try {
      process.kill(-p.pid!, 'SIGTERM');
    } catch {
      /* gone */
    }
  });
}

before(async () => {
  bed = await startHaTestBed({ mqtt: true });
  dir = mkdtempSync(join(tmpdir(), 'mm-e2e-'));
  [statusPort, stratumPort, nodeRedPort] = [await freePort(), await freePort(), await freePort()];

  // the appliances: the PC the hub runs on (a worker appliance, linked to the hub), and a washer
  const pc = await bed.announceDevice({
    id: 'officepc',
    name: 'Office PC',
    manufacturer: 'Acme',
    entities: [{ component: 'binary_sensor', key: 'in_use' }],
  });
  pcDevice = pc.deviceId;
  await bed.publishState('officepc', 'in_use', 'OFF');
  const washer = await bed.announceDevice({
    id: 'washer',
    name: 'Washer',
    manufacturer: 'Acme',
    entities: [{ component: 'sensor', key: 'power', deviceClass: 'power', unit: 'W' }],
  });
  assert.ok(washer.deviceId);
  await bed.publishState('washer', 'power', '2');

  // the stand-in Supervisor: the MQTT service (the test bed's Mosquitto) and Core's API
  supervisor = createServer((req, res) => {
    supervisorCalls.push(`${req.method} ${req.url} ${req.headers.authorization === `Bearer ${bed.token}` ? 'auth' : 'no-auth'}`);
    if (req.url === '/services/mqtt') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ result: 'ok', data: { host: bed.mqtt!.host, port: bed.mqtt!.port, ssl: false, protocol: '3.1.1', addon: 'core_mosquitto' } }));
    } else if (req.url?.startsWith('/core/api')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"message":"API running."}');
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => supervisor.listen(0, '127.0.0.1', r));

  const options = {
    practice: true,
    // ~43k hashes a share: the hub's shares are certain within seconds, not a matter of luck
    practice_difficulty: 0.00001,
    threads: 1,
    policy: 'idle_only',
    idle_hold: 1,
    hub_max_load: 100,
    worker_mappings: [{ worker: 'hub', device: pcDevice }],
    stratum: true,
    stratum_port: stratumPort,
    stratum_bind: '127.0.0.1',
    node_red_port: nodeRedPort,
    status_port: statusPort,
    status_bind: '127.0.0.1',
    log_level: 'info',
    heap_mb: 256,
  };
  writeFileSync(join(dir, 'options.json'), JSON.stringify(options));
  hub = spawn('sh', [join(ROOT, 'addon/run.sh')], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      MM_TEST: '',
      MM_LOG_LEVEL: 'info',
      MM_LOG_FORMAT: 'pretty',
      SUPERVISOR_TOKEN: bed.token,
      MM_SUPERVISOR_URL: `http://127.0.0.1:${(supervisor.address() as AddressInfo).port}`,
      MM_ADDON_OPTIONS: join(dir, 'options.json'),
      MM_DATA_DIR: join(dir, 'data'),
      // the Supervisor's websocket proxy stands in as the test bed's own URL
      MM_HA_URL: bed.url,
      MM_HA_TOKEN: bed.token,
    },
  });
  hub.stdout!.on('data', (d) => (hubLog += d));
  hub.stderr!.on('data', (d) => (hubLog += d));
});

after(async () => {
  await stopChild(miner);
  await stopChild(hub);
  await new Promise<void>((r) => (supervisor ? supervisor.close(() => r()) : r()));
  await bed?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the add-on run entry asks the stand-in Supervisor for MQTT and Core, and the hub comes up in practice mode', async () => {
  const s = await until('status page', async () => status(), 90_000);
  assert.equal(s.mode, 'practice');
  assert.ok(
    supervisorCalls.some((c) => c === 'GET /services/mqtt auth'),
    supervisorCalls.join(', '),
  );
  assert.ok(
    supervisorCalls.some((c) => c.startsWith('GET /core/api')),
    supervisorCalls.join(', '),
  );
  await until('HA connection', async () => (await status()).haConnected === true);
});

test('the PC idle: the default flow gives the hub its thread; the hub hashes and HA shows the hashrate', async () => {
  const s = await until('hub hashing', async () => {
    const st = await status();
    return st.threads > 0 && st.hubHashrate > 0 ? st : undefined;
  });
  assert.match(s.decision, /^mining: /);
  await until('HA hashrate sensor above 0', async () => {
    const v = Number(await haState('sensor.micro_mining_hashrate'));
    return v > 0 ? v : undefined;
  });
  await until('HA decision sensor', async () => {
    const v = await haState('sensor.micro_mining_decision');
    return v === 'mining' ? v : undefined;
  });
});

test('a household miner (second process) joins the local endpoint; its shares are validated and shown in HA', async () => {
  miner = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'scripts/household-miner.ts'),
      '--url',
      `stratum+tcp://127.0.0.1:${stratumPort}`,
      '--user',
      'kitchen-nerdminer',
      '--threads',
      '1',
      '--kernel',
      'js',
      '--suggest-difficulty',
      '0.00001',
    ],
    {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MM_LOG_LEVEL: 'warn' },
    },
  );
  const w = await until(
    'miner shares accepted by the hub',
    async () => {
      const st = await status();
      const k = st.workers.find((x) => x.name === 'kitchen-nerdminer');
      return k && k.accepted > 0 ? k : undefined;
    },
    300_000,
  );
  assert.equal(w.status, 'mining');
  const total = await until('HA shares accepted sensor', async () => {
    const v = Number(await haState('sensor.micro_mining_shares_accepted'));
    return v > 0 ? v : undefined;
  });
  assert.ok(total >= w.accepted);
  const device = await until(
    'the household miner has its HA device',
    async () => {
      const devices = await bed.call<{ name: string | null; identifiers: [string, string][] }[]>('config/device_registry/list');
      return devices.find((d) => /kitchen-nerdminer/i.test(d.name ?? ''));
    },
    20_000,
  );
  assert.ok(device.identifiers.length > 0);
});

test('the PC turns busy: the flow takes the hub thread away; idle again after the hold time: it comes back', async () => {
  // measured end to end: the MQTT state published to HA's broker -> HA's state machine -> the
  // hub's HA websocket -> the classifier -> the deployed Node-RED flow -> the hub pool's threads,
  // polled every 10 ms on the status API (itself a few ms)
  const t0 = performance.now();
  await bed.publishState('officepc', 'in_use', 'ON');
  let s: Status | undefined;
  while (performance.now() - t0 < 30_000) {
    s = await status();
    if (s.threads === 0) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const ms = performance.now() - t0;
  assert.equal(s?.threads, 0, 'hub stopped');
  console.log(`# preemption on the real HA test bed: Office PC busy (MQTT -> HA) -> hub threads 0 in ${ms.toFixed(0)} ms`);
  assert.match(s!.decision, /^not mining|mining: 0 threads|1 miner/);
  await until(
    'HA hashrate sensor follows',
    async () => {
      const st = await status();
      return st.hubHashrate === 0 ? true : undefined;
    },
    30_000,
  );
  await bed.publishState('officepc', 'in_use', 'OFF');
  await until('hub back after the hold time', async () => ((await status()).threads > 0 ? true : undefined), 60_000);
});

test('in headless Chromium under an ingress prefix: the status page, and the Node-RED editor with the project nodes in its palette', async () => {
  const { browser, close } = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const prefix = `http://127.0.0.1:${statusPort}/api/hassio_ingress/e2eToken`;
    await page.goto(`${prefix}/`);
    assert.match((await page.textContent('#mode')) ?? '', /practice mode: earns nothing/);
    assert.match((await page.textContent('#hashrate')) ?? '', /H\/s$/);
    assert.match((await page.textContent('#odds')) ?? '', /( to 1$|^none$)/, 'odds as HA writes them: N to 1');
    assert.match((await page.textContent('#power')) ?? '', / W \((measured|declared|estimated)\)$/, 'the watts say where they come from');
    assert.match((await page.textContent('#decision')) ?? '', /mining/);
    assert.match((await page.textContent('#workers')) ?? '', /kitchen-nerdminer/, 'the workers table (the first table may be a chart legend)');
    await page.screenshot({ path: join(ARTIFACTS, 'e2e-status-page.png'), fullPage: true });
    await page.click('a[href="node-red/"]');
    await page.waitForURL(`${prefix}/node-red/`);
    // the palette lists the project's nodes once the editor has loaded through the proxy (and its websocket)
    await page.waitForSelector('.red-ui-palette-node[data-palette-type="mm-schedule"]', { timeout: 60_000 });
    for (const type of ['mm-appliances', 'mm-policy', 'mm-dispatch', 'mm-stats', 'mm-control']) {
      assert.ok(await page.$(`.red-ui-palette-node[data-palette-type="${type}"]`), `${type} in the palette`);
    }
    // the default flow is deployed: its schedule node is on the workspace
    await page.waitForSelector('#red-ui-workspace-chart .red-ui-flow-node-group, #red-ui-workspace-chart g.red-ui-flow-node', { timeout: 30_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'e2e-node-red-editor.png') });
  } finally {
    await close();
  }
});

test('the switch in HA stops the hub; Ctrl-C (SIGTERM) stops everything within 2 s', async () => {
  await bed.callService('switch', 'turn_off', { entity_id: 'switch.micro_mining_mining' });
  await until('hub paused by the HA switch', async () => ((await status()).threads === 0 ? true : undefined), 20_000);
  await stopChild(miner);
  miner = null;
  const t0 = Date.now();
  const code = await stopChild(hub, 10_000);
  const ms = Date.now() - t0;
  console.log(`# hub stopped ${ms} ms after SIGTERM (exit ${code})`);
  hub = null;
  assert.equal(code, 0, hubLog.slice(-3000));
  assert.ok(
    ms < 2500,
    `stop took ${ms} ms\n${hubLog
      .split('\n')
      .filter((l) => /stop|took|timer/i.test(l))
      .join('\n')}`,
  );
  // the hub's entities go unavailable in HA (availability topic)
  await until('entities unavailable after stop', async () => ((await haState('sensor.micro_mining_hashrate')) === 'unavailable' ? true : undefined), 20_000);
});
