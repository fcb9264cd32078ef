// The Node-RED nodes carry the power target (node-red-node-test-helper: a real Node-RED runtime,
// a real hash pool): with the hub's allocation in the hub state (InProcessHub.setPower, as the power
// part sets it), mm-policy and mm-schedule pass it on as msg.power, the plan keeps within it and its
// reasons say the step and why; without one msg.power is absent; a malformed one in a hand-made
// hub state is a named error of mm-schedule, never a crash.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { buildNodes } from '../../scripts/build-nodes.mjs';
import { InProcessHub } from '../../src/flow/index.js';
import { HashPool } from '../../src/hashpool/index.js';
import type { Plan, PowerCap } from '../../src/schedule/index.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const helper: Any = require('node-red-node-test-helper');

let pool: HashPool;
let hub: InProcessHub;
let nodeModule: Any;

before(async () => {
  const { js } = await buildNodes({ quiet: true });
  nodeModule = require(js);
  pool = new HashPool({ threads: 0, maxThreads: 2, kernel: 'js' });
  await pool.start();
  hub = new InProcessHub({ pool, cores: 2, wattsPerThread: 5 });
  helper.init(require.resolve('node-red'), { microMiningHub: hub });
  await new Promise<void>((r) => helper.startServer(r));
});
afterEach(async () => {
  await helper.unload();
  hub.setPower(null);
  pool.setThreads(0);
});
after(async () => {
  await new Promise<void>((r) => helper.stopServer(r));
  await pool.stop();
});

const flow = [
  { id: 'hub1', type: 'mm-hub', name: 'hub', mode: 'auto' },
  { id: 'app', type: 'mm-appliances', hub: 'hub1', interval: 0, wires: [['pol']] },
  { id: 'pol', type: 'mm-policy', mode: 'always', minPauseSeconds: 0, minRunSeconds: 0, headroomCores: 0, wires: [['sch', 'polout']] },
  { id: 'polout', type: 'helper' },
  { id: 'sch', type: 'mm-schedule', wires: [['dis', 'out']] },
  { id: 'dis', type: 'mm-dispatch', hub: 'hub1', wires: [[]] },
  { id: 'out', type: 'helper' },
];

function next<T>(id: string, pred: (m: T) => boolean, ms = 10_000): Promise<T> {
  const n = helper.getNode(id);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no matching message at ${id}`)), ms);
    const on = (msg: T) => {
      if (!pred(msg)) return;
      clearTimeout(t);
      n.removeListener('input', on);
      resolve(msg);
    };
    n.on('input', on);
  });
}

const cap: PowerCap = { target: '8 W (sensor.p_deferrable0)', hubThreads: 1, hubReason: '1 of 2 threads: 5 W estimated of the 8 W left', off: {} };

test("the hub's power allocation travels through mm-policy and mm-schedule as msg.power; the plan keeps within it", async () => {
  await helper.load(nodeModule, flow);
  type M = { payload: Plan; power?: PowerCap };
  const free = await next<M>('out', (m) => m.payload.hubThreads === 2);
  assert.equal(free.power, undefined, 'no power target: no msg.power');
  const atPolicy = next<{ power?: PowerCap }>('polout', (m) => m.power !== undefined);
  const capped = next<M>('out', (m) => m.payload.hubThreads === 1);
  hub.setPower(cap);
  const m = await capped;
  assert.deepEqual(m.power, cap);
  assert.deepEqual((await atPolicy).power, cap);
  assert.match(m.payload.workers.find((w) => w.id === 'hub')?.reason ?? '', /power target 8 W \(sensor\.p_deferrable0\): 1 of 2 threads/);
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(pool.threads, 1, 'dispatch applied the capped plan to the real pool');
  const none = next<M>('out', (x) => x.payload.hubThreads === 0);
  hub.setPower({
    ...cap,
    target: 'no figure: sensor.p_deferrable0 is unavailable',
    hubThreads: 0,
    hubReason: 'off: no power target figure: no mining on a missing figure',
  });
  assert.match((await none).payload.summary, /^not mining: power target no figure/);
});

test('a malformed power allocation in a hand-made hub state is a named error of mm-schedule', async () => {
  await helper.load(nodeModule, [{ id: 'sch', type: 'mm-schedule', wires: [[]] }]);
  const sch = helper.getNode('sch');
  const err = new Promise<string>((resolve) => sch.once('call:error', (c: { args: unknown[] }) => resolve(String((c.args[0] as Error)?.message ?? c.args[0]))));
  sch.receive({ payload: { appliances: [], hub: null, miners: [], manual: { power: { target: 'x', hubThreads: -3, hubReason: '', off: {} } } } });
  assert.match(await err, /mm-schedule: bad schedule input: manual\.power\.hubThreads/);
});
