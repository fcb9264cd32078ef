// The embedded Node-RED runtime (real node-red, real HashPool) running the default flow, with
// an editor login (Node-RED adminAuth; every admin call here carries the bearer token).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { buildNodes } from '../../scripts/build-nodes.mjs';
import { FlowRuntime, InProcessHub, checkRuntimeOptions, exposureNote } from '../../src/flow/index.js';
import { HashPool } from '../../src/hashpool/index.js';
import type { ApplianceInput, Plan } from '../../src/schedule/index.js';

const dataDir = mkdtempSync(join(tmpdir(), 'mm-flow-'));
let pool: HashPool;
let hub: InProcessHub;
let rt: FlowRuntime;
let base = '';
let auth: Record<string, string> = {};
const LOGIN = { username: 'admin', password: 'test-password-1' };
const logLines: string[] = [];

const hubApp = (status: ApplianceInput['status']): ApplianceInput => ({ id: 'dev-hub', name: 'Hub', status, roles: ['worker'], workerId: 'hub' });

function waitPlan(pred: (p: Plan) => boolean, ms = 5000): Promise<Plan> {
  if (hub.lastPlan && pred(hub.lastPlan)) return Promise.resolve(hub.lastPlan);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      hub.off('plan', on);
      reject(new Error(`no such plan in ${ms} ms; last: ${hub.lastPlan?.summary}`));
    }, ms);
    const on = (p: Plan) => {
      if (!pred(p)) return;
      clearTimeout(t);
      hub.off('plan', on);
      resolve(p);
    };
    hub.on('plan', on);
  });
}

async function deploy(flows: unknown[]): Promise<void> {
  const r = await fetch(`${base}/flows`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full', 'Node-RED-API-Version': 'v1' },
    body: JSON.stringify(flows),
  });
  assert.equal(r.status, 204, await r.text());
}

async function getFlows(): Promise<Record<string, unknown>[]> {
  const r = await fetch(`${base}/flows`, { headers: { ...auth, 'Node-RED-API-Version': 'v1' } });
  assert.equal(r.status, 200);
  return (await r.json()) as Record<string, unknown>[];
}

before(async () => {
  await buildNodes({ quiet: true });
  pool = new HashPool({ threads: 0, maxThreads: 2, kernel: 'js' });
  await pool.start();
  hub = new InProcessHub({ pool, cores: 3 });
  hub.setAppliances([hubApp('busy')]);
  rt = new FlowRuntime({
    hub,
    dataDir,
    port: 0,
    bind: '127.0.0.1',
    credentials: LOGIN,
    logger: pino({ level: 'info' }, { write: (l: string) => void logLines.push(l) }),
  });
  await rt.start();
  base = `http://127.0.0.1:${rt.address().port}`;
  const r = await fetch(`${base}/auth/token`, {
    method: 'POST',
    body: new URLSearchParams({ client_id: 'node-red-admin', grant_type: 'password', scope: '*', ...LOGIN }),
  });
  assert.equal(r.status, 200);
  auth = { authorization: `Bearer ${((await r.json()) as { access_token: string }).access_token}` };
});

after(async () => {
  await rt?.stop();
  await pool?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('first start writes the default flow into <data>/node-red and listens on loopback (the login given with a loopback bind)', async () => {
  const file = join(dataDir, 'node-red', 'flows.json');
  assert.ok(existsSync(file));
  const flows = JSON.parse(readFileSync(file, 'utf8')) as { type: string }[];
  assert.deepEqual(
    ['mm-appliances', 'mm-policy', 'mm-schedule', 'mm-dispatch', 'mm-hub'].filter((t) => !flows.some((n) => n.type === t)),
    [],
  );
  assert.equal(rt.address().host, '127.0.0.1');
  const page = await fetch(`${base}/`);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /red\/red\.min\.js/);
  assert.doesNotMatch(html, /(src|href)="\/(?!\/)/, 'relative links only: works under the ingress path prefix');
  const nodes = await fetch(`${base}/nodes`, { headers: { ...auth, accept: 'application/json' } });
  const list = (await nodes.json()) as { module: string; types: string[] }[];
  const ours = list.find((m) => m.module === '@micro-mining/node-red-micro-mining');
  assert.ok(ours, 'our node package is loaded');
  assert.deepEqual([...ours.types].sort(), ['mm-appliances', 'mm-control', 'mm-dispatch', 'mm-hub', 'mm-policy', 'mm-schedule', 'mm-stats']);
});

test('the deployed default flow drives the real hub pool from appliance events', async () => {
  await waitPlan((p) => p.hubThreads === 0 && /Hub is busy/.test(p.summary + p.workers[0]?.reason));
  assert.equal(pool.threads, 0);
  hub.updateAppliance(hubApp('idle'));
  await waitPlan((p) => p.hubThreads === 2);
  assert.equal(pool.threads, 2);
  const t0 = performance.now();
  hub.updateAppliance(hubApp('busy'));
  await waitPlan((p) => p.hubThreads === 0);
  const ms = performance.now() - t0;
  assert.equal(pool.threads, 0);
  console.log(`appliance busy -> plan applied (setThreads(0)) through the deployed flow: ${ms.toFixed(1)} ms`);
});

test('editing the flow changes the schedule; disabling it stops scheduling', async () => {
  // the hub was just preempted: the default policy's minimum pause (30 s) holds it
  hub.updateAppliance(hubApp('idle'));
  await waitPlan((p) => /minimum pause/.test(p.workers[0]?.reason ?? ''));
  assert.equal(pool.threads, 0);
  const flows = await getFlows();
  const policy = flows.find((n) => n.type === 'mm-policy')!;
  policy.maxHubThreads = '1';
  policy.minPauseSeconds = 0;
  await deploy(flows);
  await waitPlan((p) => p.hubThreads === 1);
  assert.equal(pool.threads, 1);
  assert.match(readFileSync(join(dataDir, 'node-red', 'flows.json'), 'utf8'), /"maxHubThreads": ?"1"/, 'the edit is saved in the user dir');

  const tab = flows.find((n) => n.type === 'tab')!;
  tab.disabled = true;
  await deploy(flows);
  await waitPlan((p) => p.hubThreads === 0);
  assert.equal(pool.threads, 0);
  assert.match(hub.lastPlan!.summary, /^not mining: the (dispatch node was removed|flow is being)/);
  // appliance events no longer schedule anything
  hub.updateAppliance(hubApp('busy'));
  hub.updateAppliance(hubApp('idle'));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(pool.threads, 0, 'a disabled flow does not schedule');

  tab.disabled = false;
  await deploy(flows);
  await waitPlan((p) => p.hubThreads === 1);
});

test('bad messages injected into the running flow: an error per node in the log/sidebar, no crash, nothing applied', async () => {
  const flows = await getFlows();
  const tab = flows.find((n) => n.type === 'tab')!;
  const hubId = flows.find((n) => n.type === 'mm-hub')!.id;
  const targets = ['mm-appliances', 'mm-policy', 'mm-schedule', 'mm-dispatch'].map((t) => flows.find((n) => n.type === t)!.id as string);
  const extra = [
    { id: 'bad-stats', type: 'mm-stats', z: tab.id, hub: hubId, interval: 0, x: 100, y: 400, wires: [[]] },
    { id: 'bad-ctl', type: 'mm-control', z: tab.id, hub: hubId, x: 100, y: 440, wires: [[]] },
  ];
  const inj = {
    id: 'bad-inject',
    type: 'inject',
    z: tab.id,
    props: [{ p: 'payload' }],
    payload: '{"no":"shape"}',
    payloadType: 'json',
    repeat: '',
    once: false,
    x: 100,
    y: 360,
    wires: [[...targets, 'bad-stats', 'bad-ctl']],
  };
  await deploy([...flows, inj, ...extra]);
  await waitPlan((p) => p.hubThreads === 1);
  const before = logLines.length;
  const r = await fetch(`${base}/inject/bad-inject`, { method: 'POST', headers: auth });
  assert.equal(r.status, 200);
  const deadline = Date.now() + 3000;
  const want = ['mm-appliances:', 'mm-policy:', 'mm-schedule:', 'mm-dispatch:', 'mm-stats:', 'mm-control:'];
  let seen: string[] = [];
  while (Date.now() < deadline) {
    seen = want.filter((w) => logLines.slice(before).some((l) => l.includes(w)));
    if (seen.length === want.length) break;
    await new Promise((res) => setTimeout(res, 20));
  }
  assert.deepEqual(seen, want, logLines.slice(before).join('\n'));
  assert.equal(pool.threads, 1, 'nothing applied');
  // still scheduling
  hub.updateAppliance(hubApp('busy'));
  await waitPlan((p) => p.hubThreads === 0);
});

test('the editor is never served without a login, except behind HA ingress (loopback only); beyond loopback the log says so', () => {
  assert.throws(() => checkRuntimeOptions({ hub, dataDir, bind: '0.0.0.0' }), /refusing to open the Node-RED editor on 0\.0\.0\.0 without credentials/);
  assert.throws(() => checkRuntimeOptions({ hub, dataDir, bind: '0.0.0.0', ingressOnly: true }), /without credentials/);
  assert.throws(() => checkRuntimeOptions({ hub, dataDir }), /refusing to serve the Node-RED editor without a login/);
  assert.throws(() => checkRuntimeOptions({ hub, dataDir, credentials: { username: 'a', password: 'short' } }), /at least 8 characters/);
  // the user's own login: every network (as before); a generated one: loopback unless told
  assert.deepEqual(checkRuntimeOptions({ hub, dataDir, credentials: { username: 'admin', password: 'long enough' } }), { bind: '0.0.0.0' });
  const generated = { username: 'admin', password: 'long enough', source: 'generated' as const, file: '/x', created: false };
  assert.deepEqual(checkRuntimeOptions({ hub, dataDir, credentials: generated, login: generated }), { bind: '127.0.0.1' });
  assert.deepEqual(checkRuntimeOptions({ hub, dataDir, ingressOnly: true }), { bind: '127.0.0.1' });
  assert.deepEqual(checkRuntimeOptions({ hub, dataDir, editor: false }), { bind: '127.0.0.1' });
  assert.match(
    exposureNote('0.0.0.0', 1880, true) ?? '',
    /listens on 0\.0\.0\.0:1880 \(every network of this machine\) because an editor login is set; it asks for that login/,
  );
  assert.equal(exposureNote('127.0.0.1', 1880, true), null);
  assert.equal(exposureNote('::1', 1880, true), null);
});
