// A worker switched off by hand (its own HA "Mining" switch, the hub's Mining switch, a bridge
// command) works again as soon as it is switched back on: the plan's minimum pause damps the plan's
// own flapping (an appliance busy for a moment, a budget that dips), not the user's hand. Through
// the hub's command path with a real hub and a real `micro-mining worker`; the resume delay is
// printed (a figure, not an assertion). The pure part: which pauses the minimum pause holds.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Hub } from '../../src/app/hub.js';
import { parsePolicy, parseScheduleState, schedule, type ScheduleInput, type ScheduleState } from '../../src/schedule/index.js';
import type { ShareEvent } from '../../src/work/index.js';
import { startTestHub } from '../support/hub.js';
import { until, workerProcess, type WorkerProcess } from './support.js';

let hub: Hub | null = null;
let worker: WorkerProcess | null = null;

after(async () => {
  await worker?.stop();
  await hub?.stop();
});

test('switched off and on again by hand, a worker agent resumes at once (through hub.command)', async () => {
  hub = await startTestHub({ args: ['--practice-difficulty', '0.00001'] });
  const h = hub;
  let accepted = 0;
  h.manager.stats.on('share', (e: ShareEvent) => {
    if (e.worker === 'pc-switch' && e.accepted) accepted++;
  });
  const port = h.server!.address().port;
  worker = workerProcess([
    '--hub',
    `stratum+tcp://127.0.0.1:${port}`,
    '--name',
    'pc-switch',
    '--threads',
    '1',
    '--max-load',
    '100',
    '--battery',
    '--difficulty',
    '0.00001',
    '--nice',
    '0',
  ]);
  const report = () => h.obedience.control.list().find((w) => w.worker === 'pc-switch')?.report ?? null;
  const decision = () => h.planner.lastPlan?.workers.find((w) => w.id === 'pc-switch');
  await until('the plan lets the worker work', () => decision()?.action === 'work', 60_000);
  await until('the worker works', () => report()?.state === 'working', 60_000);

  const commands = [
    {
      what: 'its own Mining switch',
      off: { kind: 'worker_mining', worker: 'pc-switch', on: false },
      on: { kind: 'worker_mining', worker: 'pc-switch', on: true },
      reason: /Mining switch is off/,
    },
    { what: "the hub's Mining switch", off: { kind: 'mining', on: false }, on: { kind: 'mining', on: true }, reason: /switched off by hand/ },
  ] as const;
  for (const c of commands) {
    await h.command(c.off);
    assert.equal(decision()?.action, 'pause');
    assert.match(decision()!.reason, c.reason);
    await until(`${c.what} off: the worker paused`, () => report()?.state === 'paused' && report()?.threads === 0, 30_000);
    const before = accepted;
    const t0 = performance.now();
    await h.command(c.on);
    // the plan made for the command lets it work: no minimum pause after a pause by hand
    assert.equal(decision()?.action, 'work', `the plan right after the command: ${decision()?.reason}`);
    await until(`${c.what} on: the worker works again`, () => report()?.state === 'working', 30_000);
    const ms = performance.now() - t0;
    console.log(`# ${c.what} on -> the worker agent reports working: ${ms.toFixed(0)} ms`);
    await until(`${c.what} on: shares accepted again`, () => accepted > before, 60_000);
  }
});

test("the minimum pause holds the plan's own pauses, not one made by hand or by a worker away (pure)", () => {
  const p = parsePolicy({ mode: 'idle_only', minPauseSeconds: 30 });
  assert.ok(p.ok);
  const policy = p.value;
  const T = Date.UTC(2026, 11, 7, 12, 0, 0);
  const base = (now: number, o: Partial<ScheduleInput> = {}): ScheduleInput => ({
    now,
    appliances: [{ id: 'dev-pc', name: 'Office PC', status: 'idle', roles: ['worker'], workerId: 'pc' }],
    hub: null,
    miners: [{ id: 'pc', connected: true, hashrate: 1e6, watts: 20 }],
    ...o,
  });
  const act = (i: ScheduleInput, s: ScheduleState | null) => {
    const r = schedule(i, policy, s);
    return { d: r.plan.workers.find((w) => w.id === 'pc')!, state: r.state };
  };
  let r = act(base(T), null);
  assert.equal(r.d.action, 'work');
  // by hand, off and on 2 s later: works at once
  r = act(base(T + 1000, { manual: { workersOff: ['pc'] } }), r.state);
  assert.equal(r.d.action, 'pause');
  assert.equal(r.state.workers.pc.pausedBy, 'hand');
  // the state survives the Node-RED context (its schema keeps pausedBy)
  const kept = parseScheduleState(JSON.parse(JSON.stringify(r.state)));
  assert.ok(kept.ok && kept.value.workers.pc.pausedBy === 'hand');
  r = act(base(T + 3000), r.state);
  assert.equal(r.d.action, 'work', r.d.reason);
  // the hub's Mining switch
  r = act(base(T + 4000, { manual: { paused: true } }), r.state);
  assert.equal(r.d.action, 'pause');
  r = act(base(T + 5000, { manual: { paused: false } }), r.state);
  assert.equal(r.d.action, 'work', r.d.reason);
  // away and back: works at once
  r = act(base(T + 6000, { miners: [{ id: 'pc', connected: false, hashrate: 1e6, watts: 20 }] }), r.state);
  assert.equal(r.d.action, 'pause');
  r = act(base(T + 7000), r.state);
  assert.equal(r.d.action, 'work', r.d.reason);
  // the plan's own pause (its computer busy for a moment): the minimum pause holds it, and says so
  r = act(base(T + 8000, { appliances: [{ id: 'dev-pc', name: 'Office PC', status: 'busy', roles: ['worker'], workerId: 'pc' }] }), r.state);
  assert.equal(r.d.action, 'pause');
  assert.equal(r.state.workers.pc.pausedBy, undefined);
  r = act(base(T + 10_000), r.state);
  assert.equal(r.d.action, 'pause');
  assert.match(r.d.reason, /paused 2 s ago: waits 28 s more \(minimum pause\)/);
  // switched off by hand during that pause, and on again: the user's hand wins over the wait
  r = act(base(T + 11_000, { manual: { workersOff: ['pc'] } }), r.state);
  r = act(base(T + 12_000), r.state);
  assert.equal(r.d.action, 'work', r.d.reason);
});
