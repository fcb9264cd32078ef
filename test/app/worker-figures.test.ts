// A worker's state, hashrate and watts follow what it reports (issue 24 items 3 and 4), on a real
// hub with a real `micro-mining worker` agent on loopback: yielding to its own computer it reads
// "yielding" with 0 H/s and 0 W and is left out of the home's total and the live line's miners;
// its share-based estimate stays visible as the cross-check; offline, it says when its last share
// came (not "no shares yet"). The agent's machine load is a stand-in (a busy computer on demand).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { startTestHub } from '../support/hub.js';
import { WorkerAgent } from '../../src/worker/index.js';
import { powerText, statusLine } from '../../src/app/terminal.js';
import type { StatusView, StatusWorker } from '../../src/app/hub/snapshot.js';
import { estimateCpuWatts } from '../../src/app/power-estimate.js';
import { until } from '../worker/support.js';

function agent(port: number, name: string, busy: () => boolean): WorkerAgent {
  return new WorkerAgent({
    hub: `stratum+tcp://127.0.0.1:${port}`,
    name,
    threads: 1,
    kernel: 'js',
    nice: 0,
    hostname: name,
    mac: null,
    yield: { maxLoadPercent: 50, resumeAfterS: 0, onBattery: false },
    suggestDifficulty: 0.00001,
    checkMs: 100,
    reportMs: 500,
    loadMeter: () => (busy() ? 95 : 0),
    battery: () => null,
    logger: pino({ level: 'silent' }),
  });
}

test('a yielding agent (stand-in machine load) reads yielding, 0 H/s, 0 W, out of the total and the live line; offline it says when its last share came', async () => {
  const hub = await startTestHub({ args: ['--kernel', 'js'], overrides: { tickMs: 200 } });
  let busy = false;
  const a = agent(hub.server!.address().port, 'desk-pc', () => busy);
  const view = () => hub.status() as unknown as StatusView;
  const me = (): StatusWorker | undefined => view().workers.find((w) => w.name === 'desk-pc');
  const api = async (): Promise<StatusView> => (await (await fetch(`http://127.0.0.1:${hub.statusServer!.port}/api/status`)).json()) as StatusView;
  const page = async (): Promise<string> => (await fetch(`http://127.0.0.1:${hub.statusServer!.port}/`)).text();
  try {
    await a.start();
    // working: its own report (state, threads, hashrate, kernel) and the CPU model's watts
    const w = await until(
      'the agent mines and has shares',
      () => {
        const x = me();
        return x && x.status === 'mining' && x.accepted >= 3 && x.hashrate > 0 ? x : undefined;
      },
      120_000,
    );
    assert.equal(w.hashrateFrom, 'reported');
    assert.equal(w.state, 'working');
    assert.equal(w.threads, 1);
    assert.equal(w.kernel, 'js');
    assert.deepEqual({ watts: w.watts, how: w.how }, estimateCpuWatts(1, 'computer'), 'one thread of a computer, estimated');
    assert.ok(w.estimate && w.estimate.shares >= 1, 'the share-based estimate stays as the cross-check');
    assert.match(statusLine(view()), /\(hub 0 thr, 1 miner\)/);
    assert.match(statusLine(view()), new RegExp(`\\| ${w.watts} W \\(estimated\\)`), 'the live line says the watts are estimated');

    // its computer gets busy: it yields, and every view says so
    busy = true;
    const y = await until('the agent yields', () => (me()?.status === 'yielding' ? me() : undefined), 60_000);
    assert.equal(y.hashrate, 0, 'a yielding worker hashes nothing');
    assert.equal(y.watts, 0, 'and draws nothing for mining');
    assert.equal(y.threads, 0);
    assert.match(y.reason ?? '', /this computer is busy/);
    assert.ok(y.estimate, 'the estimate is still shown');
    const s = view();
    assert.equal(s.hashrate, s.hubHashrate, 'the home total leaves it out');
    assert.equal(s.powerW, s.hubPower.watts);
    assert.match(statusLine(s), /\(hub 0 thr, 0 miners\)/);
    const j = (await api()).workers.find((x) => x.name === 'desk-pc')!;
    assert.deepEqual([j.status, j.hashrate, j.watts, j.how, j.kernel], ['yielding', 0, 0, 'estimated', 'js']);
    const m = hub.minerSnapshot().workers.find((x) => x.id === 'desk-pc')!;
    assert.deepEqual([m.status, m.hashrate, m.powerW], ['busy', 0, 0], 'HA: its computer is busy');
    const row = (await page()).split('<tr>').find((r) => r.includes('desk-pc')) ?? '';
    assert.match(row, /<td>yielding<\/td>/);
    assert.doesNotMatch(row, /<td>mining<\/td>/);
    assert.match(row, /<td>0 W \(?estimated\)?<\/td>/, '0 W, with where the figure comes from');

    // idle again: it works again
    busy = false;
    await until('it mines again', () => (me()?.status === 'mining' ? true : undefined), 60_000);

    // gone: offline, with its last share's age, and not among the live line's miners
    const accepted = me()!.accepted;
    await a.stop();
    const off = await until('offline', () => (me()?.status === 'offline' ? me() : undefined), 60_000);
    assert.ok(off.accepted >= accepted && off.accepted > 0);
    assert.match(off.did ?? '', /^offline, last share \d+ s ago$/);
    assert.equal(off.hashrate, 0);
    assert.equal(off.watts, 0);
    assert.match(statusLine(view()), /\(hub 0 thr, 0 miners\)/);
    const offRow = (await page()).split('<tr>').find((r) => r.includes('desk-pc')) ?? '';
    assert.doesNotMatch(offRow, /no shares yet/, 'a worker with shares never says "no shares yet"');
    assert.match(offRow, /offline, last share \d+ s ago/);
  } finally {
    await a.stop();
    await hub.stop();
  }
});

test("the live line's watts say where they come from", () => {
  const s = (powerW: number, powerHow?: string) => ({ powerW, powerHow }) as Parameters<typeof powerText>[0];
  assert.equal(powerText(s(12, 'hub 6 W estimated; workers: 1 estimated')), '12 W (estimated)');
  assert.equal(powerText(s(21, 'hub 6 W estimated; workers: 1 declared')), '21 W (declared+estimated)');
  assert.equal(powerText(s(42, 'hub 0 W estimated; workers: 1 plug, 1 estimated')), '42 W (plug+estimated)');
  assert.equal(powerText(s(5)), '5 W', "a status without the figures' sources");
});
