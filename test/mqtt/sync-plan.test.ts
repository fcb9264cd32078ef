// The sync plan (pure): what to publish for a snapshot, compared with what the broker holds from us.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, planSync, DEFAULT_ENTITY_OPTIONS, topics, type Published } from '../../src/mqtt/index.js';
import { snapshot, worker } from './fixtures/snapshot.js';

const opts = { ...DEFAULT_ENTITY_OPTIONS, nodeId: 'plan_mm', baseTopic: 'plan_mm' };
const t = topics(opts);

/** What the broker holds after a plan was sent. */
function applied(before: Published, plan: ReturnType<typeof planSync>): Published {
  const configs = new Map(before.configs);
  const states = new Map(before.states);
  for (const [k, v] of plan.configs) configs.set(k, v);
  for (const k of plan.removedConfigs) configs.delete(k);
  for (const [k, v] of plan.states) states.set(k, v);
  for (const k of plan.clearedStates) states.delete(k);
  return { configs, states };
}

const empty: Published = { configs: new Map(), states: new Map() };

test('first plan: every config and every state; the same snapshot again: nothing; forced: everything again', () => {
  const s = snapshot({}, [worker('nerd1')]);
  const model = buildModel(s, opts);
  const first = planSync(model, empty, opts.baseTopic, false);
  assert.deepEqual(first.configs.map(([k]) => k).sort(), [t.hubDevice, t.workerDevice('nerd1')].sort());
  assert.ok(first.states.length >= 25);
  assert.deepEqual(first.removedConfigs, []);
  assert.deepEqual(first.clearedStates, []);
  const held = applied(empty, first);
  const again = planSync(buildModel(s, opts), held, opts.baseTopic, false);
  assert.deepEqual(again, { configs: [], removedConfigs: [], states: [], clearedStates: [] });
  const forced = planSync(buildModel(s, opts), held, opts.baseTopic, true);
  assert.equal(forced.configs.length, first.configs.length);
  assert.equal(forced.states.length, first.states.length);
});

test('a state change: only the states that change; a vanished worker: its config removed and its states cleared', () => {
  const s = snapshot({}, [worker('a'), worker('b')]);
  const held = applied(empty, planSync(buildModel(s, opts), empty, opts.baseTopic, false));
  const faster = snapshot({ hashrate: 2_000_000 }, [worker('a'), worker('b')]);
  const p1 = planSync(buildModel(faster, opts), held, opts.baseTopic, false);
  assert.deepEqual(p1.configs, []);
  assert.ok(p1.states.some(([k, v]) => k === t.hubState('hashrate') && v === '2'));
  assert.ok(
    p1.states.every(([k]) => k.startsWith(`${opts.baseTopic}/hub/`)),
    'worker states unchanged',
  );
  const gone = planSync(buildModel(snapshot({}, [worker('b')]), opts), held, opts.baseTopic, false);
  assert.deepEqual(gone.removedConfigs, [t.workerDevice('a')]);
  assert.ok(gone.clearedStates.includes(t.workerState('a', 'hashrate')));
  assert.ok(!gone.clearedStates.some((k) => k.includes('/worker/b/')), 'the other worker keeps its states');
});

test('a retained config under our naming that lists foreign topics cannot make the plan clear them', () => {
  const fake = JSON.stringify({
    cmps: { x: { platform: 'sensor', state_topic: 'zigbee2mqtt/lamp' }, y: { platform: 'sensor', state_topic: `${opts.baseTopic}/hub/old_sensor` } },
  });
  const held: Published = { configs: new Map([[t.workerDevice('ghost'), fake]]), states: new Map() };
  const p = planSync(buildModel(snapshot({}, []), opts), held, opts.baseTopic, false);
  assert.deepEqual(p.removedConfigs, [t.workerDevice('ghost')]);
  assert.ok(p.clearedStates.includes(`${opts.baseTopic}/hub/old_sensor`), 'our own topic is cleared');
  assert.ok(!p.clearedStates.includes('zigbee2mqtt/lamp'), 'a foreign topic never is');
});
