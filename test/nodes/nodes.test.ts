// The Node-RED nodes in node-red-node-test-helper (a real Node-RED runtime, real hash pool).
import { after, before, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { buildNodes } from '../../scripts/build-nodes.mjs';
import { InProcessHub } from '../../src/flow/index.js';
import { HashPool } from '../../src/hashpool/index.js';
import type { ApplianceInput, Plan } from '../../src/schedule/index.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const helper: Any = require('node-red-node-test-helper');

let pool: HashPool;
let hub: InProcessHub;
let nodeModule: Any;

const hubApp = (status: ApplianceInput['status']): ApplianceInput => ({ id: 'dev-hub', name: 'Hub', status, roles: ['worker'], workerId: 'hub' });

before(async () => {
  const { js } = await buildNodes({ quiet: true });
  nodeModule = require(js);
  pool = new HashPool({ threads: 0, maxThreads: 2, kernel: 'js' });
  await pool.start();
  hub = new InProcessHub({ pool, cores: 3, wattsPerThread: 5 });
  helper.init(require.resolve('node-red'), { microMiningHub: hub });
  await new Promise<void>((r) => helper.startServer(r));
});

afterEach(async () => {
  await helper.unload();
  pool.setThreads(0);
  await hub.control({ action: 'start' });
  await hub.control({ action: 'threads', threads: null });
  hub.setAppliances([]);
});

after(async () => {
  await new Promise<void>((r) => helper.stopServer(r));
  await pool.stop();
});

const HUB = { id: 'hub1', type: 'mm-hub', name: 'hub', mode: 'auto' };
const chain = (policy: Record<string, unknown> = {}) => [
  HUB,
  { id: 'app', type: 'mm-appliances', hub: 'hub1', interval: 0, wires: [['pol']] },
  { id: 'pol', type: 'mm-policy', mode: 'idle_only', minPauseSeconds: 0, minRunSeconds: 0, headroomCores: 1, ...policy, wires: [['sch']] },
  { id: 'sch', type: 'mm-schedule', wires: [['dis']] },
  { id: 'dis', type: 'mm-dispatch', hub: 'hub1', wires: [['out']] },
  { id: 'out', type: 'helper' },
];

/** The next plan that reaches the helper node after dispatch. */
function nextPlan(pred: (p: Plan) => boolean = () => true, ms = 5000): Promise<Plan> {
  const out = helper.getNode('out');
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no plan arrived')), ms);
    const on = (msg: { payload: Plan }) => {
      if (!pred(msg.payload)) return;
      clearTimeout(t);
      out.removeListener('input', on);
      resolve(msg.payload);
    };
    out.on('input', on);
  });
}

/** The next error a node reports (what the debug sidebar shows). */
function nextError(id: string, ms = 3000): Promise<string> {
  const n = helper.getNode(id);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no error from ${id}`)), ms);
    n.once('call:error', (call: { args: unknown[] }) => {
      clearTimeout(t);
      const e = call.args[0];
      resolve(e instanceof Error ? e.message : String(e));
    });
  });
}

test('the chain appliances -> policy -> schedule -> dispatch sets the real pool threads from appliance events', async () => {
  hub.setAppliances([hubApp('idle')]);
  await helper.load(nodeModule, chain());
  const first = await nextPlan();
  assert.equal(first.hubThreads, 2, 'cores 3 - 1 headroom');
  assert.equal(pool.threads, 2);
  assert.match(first.summary, /^mining: 2 threads, 1 appliance idle/);
  const stopped = nextPlan((p) => p.hubThreads === 0);
  hub.updateAppliance(hubApp('busy'));
  assert.equal((await stopped).workers[0].reason, 'hub Hub is busy');
  assert.equal(pool.threads, 0);
  const again = nextPlan((p) => p.hubThreads > 0);
  hub.updateAppliance(hubApp('idle'));
  await again;
  assert.equal(pool.threads, 2);
});

test('policy settings change the plan: max threads, quiet hours all day, bad settings are named', async () => {
  hub.setAppliances([hubApp('idle')]);
  await helper.load(nodeModule, chain({ maxHubThreads: '1' }));
  assert.equal((await nextPlan()).hubThreads, 1);
  await helper.unload();
  await helper.load(nodeModule, chain({ quietHours: '00:00-12:00, 12:00-00:00' }));
  const q = await nextPlan();
  assert.match(q.summary, /^not mining: quiet hours/);
  await helper.unload();
  const flow = chain({ stages: '500, lots' });
  const loading = helper.load(nodeModule, flow);
  await loading;
  const pol = helper.getNode('pol');
  assert.ok(pol.error.called, 'the policy node reported its bad settings');
  assert.match(String(pol.error.firstCall.args[0]), /stagesW\.1/);
});

test('miner control: stop pauses all through the flow, start resumes, threads caps', async () => {
  hub.setAppliances([hubApp('idle')]);
  await helper.load(nodeModule, [...chain(), { id: 'ctl', type: 'mm-control', hub: 'hub1', wires: [[]] }]);
  await nextPlan();
  const ctl = helper.getNode('ctl');
  let p = nextPlan((x) => x.hubThreads === 0);
  ctl.receive({ payload: 'stop' });
  assert.equal((await p).summary, 'not mining: mining switched off by hand');
  p = nextPlan((x) => x.hubThreads === 1);
  ctl.receive({ payload: 'start' });
  ctl.receive({ payload: { threads: 1 } });
  await p;
  assert.equal(pool.threads, 1);
});

test('dispatch pauses all work when its flow stops', async () => {
  hub.setAppliances([hubApp('idle')]);
  await helper.load(nodeModule, chain());
  await nextPlan();
  assert.equal(pool.threads, 2);
  await helper.unload();
  assert.equal(pool.threads, 0);
  assert.match(hub.lastPlan!.summary, /^not mining: the flow/);
});

test('miner stats sends the pool figures', async () => {
  await helper.load(nodeModule, [HUB, { id: 'st', type: 'mm-stats', hub: 'hub1', interval: 0, wires: [['out']] }, { id: 'out', type: 'helper' }]);
  const got = new Promise<Any>((r) => helper.getNode('out').once('input', r));
  helper.getNode('st').receive({ payload: 1700000000000 });
  const msg = await got;
  assert.equal(msg.topic, 'stats');
  assert.equal(msg.payload.hubThreads, 0);
  assert.equal(msg.payload.hashrate, 0);
});

test('bad input into every node: a clear error in the sidebar, no crash, nothing applied', async () => {
  hub.setAppliances([hubApp('busy')]);
  await helper.load(nodeModule, [
    ...chain(),
    { id: 'st', type: 'mm-stats', hub: 'hub1', interval: 0, wires: [[]] },
    { id: 'ctl', type: 'mm-control', hub: 'hub1', wires: [[]] },
  ]);
  await nextPlan();
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['app', { payload: { hello: 1 } }, /mm-appliances: .*msg\.payload must be empty/],
    ['pol', { payload: 'washer' }, /mm-policy: msg\.payload must be the hub state/],
    ['pol', { payload: { appliances: [] }, policy: { mode: 'sometimes' } }, /mm-policy: msg\.policy: bad policy: mode/],
    ['pol', { payload: { appliances: [] }, policy: [1] }, /msg\.policy must be an object/],
    ['sch', { payload: 42 }, /mm-schedule: msg\.payload must be the hub state/],
    ['sch', { payload: { appliances: 'none', hub: null, miners: [] } }, /mm-schedule: bad schedule input: appliances/],
    ['sch', { payload: { appliances: [], hub: null, miners: [] }, policy: { minRunSeconds: -1 } }, /msg\.policy: bad policy: minRunSeconds/],
    ['dis', { payload: { hubThreads: 99 } }, /mm-dispatch: msg\.payload must be a plan/],
    ['dis', { payload: null }, /mm-dispatch: msg\.payload must be a plan .*got null/],
    ['st', { payload: { x: 1 } }, /mm-stats: .*msg\.payload must be empty/],
    ['ctl', { payload: 'explode' }, /mm-control: msg\.payload must be "start"/],
    ['ctl', { payload: { threads: -3 } }, /mm-control: threads must be an integer/],
  ];
  for (const [id, msg, re] of cases) {
    const err = nextError(id);
    helper.getNode(id).receive(msg);
    assert.match(await err, re, `${id} ${JSON.stringify(msg)}`);
  }
  assert.equal(pool.threads, 0, 'no bad message changed the pool');
  assert.equal(hub.lastPlan?.hubThreads, 0);
  // the runtime still works after all that
  const p = nextPlan((x) => x.hubThreads > 0);
  hub.updateAppliance(hubApp('idle'));
  await p;
});

test('without a hub: nodes show why (no crash)', async () => {
  await helper.load(nodeModule, [{ id: 'dis', type: 'mm-dispatch', hub: '', wires: [] }]);
  const dis = helper.getNode('dis');
  assert.ok(dis.error.called);
  assert.match(String(dis.error.firstCall.args[0]), /no hub configured/);
  const err = nextError('dis');
  dis.receive({ payload: {} });
  assert.match(await err, /no hub configured/);
});

test('the appliances node carries the appliance list (area, role, status, reason) and the count of devices left out', async () => {
  hub.setIgnoredCount(7);
  hub.setAppliances([
    {
      id: 'w',
      name: 'Washer',
      status: 'idle',
      roles: ['load'],
      area: 'Laundry',
      reason: 'sensor.washer_status=finished',
      why: 'sensor.washer_status reports a working status',
    },
    hubApp('busy'),
  ]);
  await helper.load(nodeModule, [HUB, { id: 'app', type: 'mm-appliances', hub: 'hub1', interval: 0, wires: [['out']] }, { id: 'out', type: 'helper' }]);
  const out = helper.getNode('out');
  const msg: Any = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no message from mm-appliances')), 5000);
    out.once('input', (m: unknown) => {
      clearTimeout(t);
      resolve(m);
    });
    helper.getNode('app').receive({ payload: 'refresh' });
  });
  assert.equal(msg.ignored, 7);
  assert.equal(msg.payload.ignoredAppliances, 7);
  const washer = msg.appliances.find((a: Any) => a.id === 'w');
  assert.equal(washer.area, 'Laundry');
  assert.equal(washer.reason, 'sensor.washer_status=finished');
  assert.equal(msg.appliances.length, 2);
  hub.setIgnoredCount(0);
});

test('the dispatch node says how many workers obeyed the plan', async () => {
  // the hub's miner control as the hub wires it (src/app/obedience.ts answers obeyed()): one
  // connected miner that did what the plan asked
  const opts = (hub as unknown as { opts: { miners?: unknown } }).opts;
  const before = opts.miners;
  const asked: [string, boolean][] = [];
  opts.miners = {
    list: () => [{ id: 'kitchen-nerdminer', connected: true, hashrate: 55_000, watts: 1 }],
    setWorking: (id: string, working: boolean) => asked.push([id, working]),
    obeyed: () => ({ obeyed: asked.length ? 1 : 0, total: 1 }),
  };
  try {
    hub.setAppliances([hubApp('idle')]);
    await helper.load(nodeModule, chain());
    await nextPlan();
    const dis = helper.getNode('dis');
    const text: string = await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no "obeyed" status from mm-dispatch')), 20_000);
      const on = (call: { args: [{ text?: string }] }) => {
        if (!/obeyed/.test(call.args[0]?.text ?? '')) return;
        clearTimeout(t);
        dis.removeListener('call:status', on);
        resolve(call.args[0].text!);
      };
      dis.on('call:status', on);
    });
    // first, so that the status's length limit never cuts it off
    assert.match(text, /^1\/1 obeyed · mining:/);
    assert.deepEqual(asked.at(-1), ['kitchen-nerdminer', true]);
  } finally {
    opts.miners = before;
  }
});
