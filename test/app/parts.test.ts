// The hub's house (issue 20): the typed bus (order, awaited async listeners, a failing listener
// logged and the others still run, unsubscribe), the snapshot as a pure function of its inputs (one
// share tally: stale shown apart from rejected, a session reset), and the part list: a new part is
// one line; a part that fails to start stops the parts before it and the hub throws; a part that
// fails to stop is logged and the others still stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import pino from 'pino';
import { Hub, PARTS, type HubContext, type HubPart } from '../../src/app/hub.js';
import { HubBus } from '../../src/app/hub/bus.js';
import { buildSnapshot, type SnapshotInputs } from '../../src/app/hub/snapshot.js';
import { WorkerStats } from '../../src/work/index.js';
import { testHub } from '../support/hub.js';

function memoryLog() {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { log, lines };
}

test('bus: listeners run in order, async ones awaited; a failing one is logged and the rest still run; unsubscribe', async () => {
  const { log, lines } = memoryLog();
  const bus = new HubBus(log);
  const seen: string[] = [];
  bus.on('tick', async (t) => {
    await new Promise((r) => setTimeout(r, 20));
    seen.push(`a${t.at}`);
  });
  const offB = bus.on('tick', () => {
    throw new Error('b broke');
  });
  bus.on('tick', (t) => void seen.push(`c${t.at}`));
  await bus.emit('tick', { at: 1, dtS: 1 });
  assert.deepEqual(seen, ['a1', 'c1'], 'in order, the async one finished before the next');
  assert.equal(lines.filter((l) => l.event === 'tick' && /failed/.test(String(l.msg))).length, 1, 'the failure is logged with its event');
  offB();
  assert.equal(bus.listenerCount('tick'), 2);
  await bus.emit('tick', { at: 2, dtS: 1 });
  assert.deepEqual(seen, ['a1', 'c1', 'a2', 'c2']);
  assert.equal(bus.listenerCount('share'), 0);
  await bus.emit('share', { worker: 'w', kind: 'miner', accepted: true, at: 0, practice: true });
});

function inputs(over: Partial<SnapshotInputs> = {}): SnapshotInputs {
  const stats = new WorkerStats({ now: () => 1_000_000 });
  stats.connected('rig', 'miner');
  stats.accepted('rig', 'miner', 8, 1);
  stats.rejected('rig', 'miner', 21, 'job not found');
  stats.rejected('rig', 'miner', 23, 'low difficulty');
  return {
    at: 1_000_000,
    startedAt: 0,
    cores: 4,
    config: { mode: 'practice', practice: true, addon: false, policy: 'always', threads: 3, priceSensor: false, maxWorkerDevices: 32 },
    source: 'practice',
    upstreamConnected: false,
    node: null,
    pool: { hashrate: 0, threads: 0, kernel: 'js' },
    workers: stats.snapshot(),
    session: stats.session(),
    totals: { bestDifficulty: 100, blocksFound: 0, energyKwh: 0.5 },
    networkDifficulty: 1,
    plan: null,
    manual: {},
    obeyed: [],
    minerWatts: { rig: 12 },
    minerEnergyKwh: { rig: 0.01 },
    appliances: [],
    ignoredAppliances: 0,
    haAway: null,
    mqtt: null,
    price: { value: null, unit: null },
    sections: { top: {}, workers: {}, entities: { hub: [], workers: {} } },
    ...over,
  };
}

test('snapshot: one pure function; the session tally of WorkerStats with stale apart from rejected; both views agree', () => {
  const i = inputs();
  const a = buildSnapshot(i);
  assert.deepEqual(buildSnapshot(i), a, 'the same inputs give the same snapshot');
  assert.deepEqual(a.status.shares, { accepted: 1, rejected: 1, stale: 1 });
  assert.equal(a.miner.hub.sharesStale, 1);
  assert.equal(a.miner.hub.sharesRejected, 1);
  assert.equal(a.status.bestDifficulty.session, 8);
  assert.equal(a.status.bestDifficulty.allTime, 100);
  assert.equal(a.status.powerW, 12, "the hashing miner's watts");
  assert.equal(a.miner.workers[0].powerW, 12);
  assert.equal(a.status.connection, 'practice');
  assert.equal(a.miner.hub.decision, 'starting');
});

test('WorkerStats session: a reset starts the hub-wide tally again, the workers keep theirs', () => {
  const stats = new WorkerStats();
  stats.accepted('a', 'miner', 5, 1);
  stats.rejected('a', 'miner', 21, 'stale');
  assert.deepEqual({ ...stats.session(), since: 0 }, { accepted: 1, rejected: 1, stale: 1, bestDifficulty: 5, blocks: 0, since: 0 });
  stats.resetSession();
  assert.deepEqual({ ...stats.session(), since: 0 }, { accepted: 0, rejected: 0, stale: 0, bestDifficulty: 0, blocks: 0, since: 0 });
  assert.equal(stats.worker('a')?.accepted, 1);
});

test('parts: a new part is one line; one failing to start stops the parts before it; one failing to stop is logged, the others stop', async () => {
  const events: string[] = [];
  const { log, lines } = memoryLog();
  let statusPort = 0;
  // a part as the next issues add them: its own start/stop, the bus, the context's handles
  const spy =
    (fail: 'start' | 'stop' | null) =>
    (ctx: HubContext): HubPart => ({
      name: `spy-${fail ?? 'ok'}`,
      async start() {
        statusPort = ctx.handle('statusServer')?.port ?? 0;
        events.push(`start ${this.name}`);
        if (fail === 'start') throw new Error('cannot start');
      },
      async stop() {
        events.push(`stop ${this.name}`);
        if (fail === 'stop') throw new Error('cannot stop');
      },
    });

  // a part that fails to start: the hub throws, every part that started is stopped (the status page too)
  const config = testHub({ args: ['--kernel', 'js'] }).config;
  const failing = new Hub(config, { logger: log, tickMs: 250 }, [...PARTS, spy(null), spy('start')]);
  await assert.rejects(failing.start(), /cannot start/);
  assert.deepEqual(events, ['start spy-ok', 'start spy-start', 'stop spy-start', 'stop spy-ok']);
  assert.ok(statusPort > 0 && (await canListen(statusPort)), 'the status page stopped: its port is free again');

  // a part that fails to stop: logged, and the parts before it still stop
  events.length = 0;
  const hub = new Hub(config, { logger: log, tickMs: 250 }, [...PARTS, spy('stop')]);
  await hub.start();
  await hub.stop();
  assert.deepEqual(events, ['start spy-stop', 'stop spy-stop']);
  assert.ok(
    lines.some((l) => l.part === 'spy-stop' && /failed to stop cleanly/.test(String(l.msg))),
    'the failure is logged with the part',
  );
  assert.ok(await canListen(statusPort), 'the status page stopped after the failing part');
  assert.equal(hub.bus.listenerCount('snapshot'), 0, 'every part removed its bus listeners');
  assert.equal(hub.bus.listenerCount('command'), 0);
});

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

test('sections: a part adds a top-level and a per-worker section to the snapshot without touching its file; a failing one is left out', async () => {
  const { SectionBook } = await import('../../src/app/hub/sections.js');
  const book = new SectionBook();
  const offTop = book.report('example' as never, (() => ({ target_w: 300 })) as never);
  book.reportWorkers('exampleWorker' as never, (() => ({ rig: { url: 'http://10.0.0.5' } })) as never);
  book.report(
    'broken' as never,
    (() => {
      throw new Error('no figure');
    }) as never,
  );
  const failed: string[] = [];
  const values = book.read((name) => failed.push(name));
  assert.deepEqual(failed, ['broken']);
  const s = buildSnapshot(inputs({ sections: values }));
  assert.deepEqual((s.status as unknown as Record<string, unknown>).example, { target_w: 300 });
  const rig = s.status.workers.find((w) => w.name === 'rig') as unknown as Record<string, unknown>;
  assert.deepEqual(rig.exampleWorker, { url: 'http://10.0.0.5' });
  offTop();
  assert.equal('example' in book.read().top, false, 'removed at stop');
  // a part's HA entities reach the MQTT view of the hub and of its worker
  book.entities('example', () => ({
    hub: [{ key: 'power_target', platform: 'number', name: 'Power target', config: {}, state: '300', command: true }],
    workers: { rig: [{ key: 'frequency', platform: 'select', name: 'Frequency', config: { options: ['490'] }, state: '490' }] },
  }));
  const m = buildSnapshot(inputs({ sections: book.read() })).miner;
  assert.equal(m.hub.extra?.[0]?.key, 'power_target');
  assert.equal(m.workers.find((w) => w.id === 'rig')?.extra?.[0]?.key, 'frequency');
});
