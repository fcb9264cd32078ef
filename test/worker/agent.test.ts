// `micro-mining worker` as its own process against the hub's real endpoint on loopback: it
// negotiates the pause extension, tells its host name and MAC, its shares are validated; a pause
// stops its threads (its hash counter is frozen and no share arrives while paused), a resume
// brings the shares back; a plain miner on the same endpoint never sees an extension message and,
// paused, gets no new jobs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { MM_METHODS, type ControlledWorker } from '../../src/stratum/extension.js';
import type { ShareEvent } from '../../src/work/index.js';
import { primaryMac } from '../../src/worker/index.js';
import { LinePeer, handshake } from '../stratum/helpers.js';
import { hubEndpoint, until, workerProcess, type HubEndpoint, type WorkerProcess } from './support.js';

let hub: HubEndpoint;
let worker: WorkerProcess | null = null;
let plain: LinePeer | null = null;

before(async () => {
  hub = await hubEndpoint({ jobIntervalS: 1 });
});

after(async () => {
  await worker?.stop();
  await plain?.close();
  await hub.stop();
});

const agentOf = () => hub.control.list().find((w) => w.worker === 'pc-office');

test('the worker process joins, is linked by host name and MAC, and its shares are validated', async () => {
  // --nice 0: its threads get their share of a machine whose cores are all busy (the default, 19,
  // gives way to everything else, which is what a user wants and what this test does not measure)
  worker = workerProcess([
    '--hub',
    `stratum+tcp://127.0.0.1:${hub.port}`,
    '--name',
    'pc-office',
    '--threads',
    '1',
    '--kernel',
    'js',
    '--max-load',
    '100',
    '--battery',
    '--difficulty',
    '0.00001',
    '--nice',
    '0',
  ]);
  const w = await until('the worker reports it works', () => {
    const a = agentOf();
    return a?.report?.state === 'working' ? a : undefined;
  });
  assert.equal(w.kind, 'agent');
  assert.equal(w.hostname, hostname().split('.')[0]);
  assert.equal(w.mac, primaryMac());
  assert.equal(w.asked, 'work');
  await until(
    'shares from the worker validated by the hub',
    () => (hub.manager.stats.snapshot().find((s) => s.name === 'pc-office')?.accepted ?? 0) >= 3,
    90_000,
  );
});

test('a pause stops the worker threads (frozen hash counter, no shares) and a resume restarts them', async () => {
  let sharesSincePaused = 0;
  let paused = false;
  const onShare = (e: ShareEvent) => {
    if (e.worker === 'pc-office' && paused) sharesSincePaused++;
  };
  hub.manager.stats.on('share', onShare);
  const reports: ControlledWorker[] = [];
  const onReport = (w: ControlledWorker) => reports.push(w);
  hub.control.on('report', onReport);
  try {
    // hashing now: shares keep coming
    const before = hub.manager.stats.snapshot().find((s) => s.name === 'pc-office')!.accepted;
    await until('more shares', () => hub.manager.stats.snapshot().find((s) => s.name === 'pc-office')!.accepted > before);

    const t0 = performance.now();
    const told = hub.control.setWorking('pc-office', false, 'Office PC is busy');
    assert.deepEqual(told, { extension: 1, withheld: 0 });
    const stopped = await until('the worker reports it paused', () => reports.find((r) => r.report?.state === 'paused'));
    const ms = performance.now() - t0;
    // every share hashed before the stop was sent before this report, on the same connection
    paused = true;
    assert.equal(stopped.report!.threads, 0);
    assert.equal(stopped.report!.hashrate, 0);
    assert.equal(stopped.report!.reason, 'Office PC is busy');
    assert.equal(agentOf()!.asked, 'pause');
    const stopLog = await until('the worker logs its stop time', () => worker!.logs(/^threads stopped hashing$/)[0]);
    console.log(
      `# worker agent: plan pause -> threads stopped, reported to the hub: ${ms.toFixed(1)} ms (threads stopped ${Number(stopLog.ms).toFixed(1)} ms after the message)`,
    );

    // two seconds of pause: nothing hashed (a share here would be a hash after the stop)
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(sharesSincePaused, 0, 'no share while paused');

    hub.control.setWorking('pc-office', true);
    const resumed = await until('the worker reports it works again', () =>
      reports.find((r) => r.report?.state === 'working' && r.reportAt! >= stopped.reportAt!),
    );
    assert.equal(resumed.report!.hashes, stopped.report!.hashes, 'the hash counter did not move while paused');
    assert.equal(sharesSincePaused, 0);
    paused = false;
    const after = hub.manager.stats.snapshot().find((s) => s.name === 'pc-office')!.accepted;
    await until('shares again after the resume', () => hub.manager.stats.snapshot().find((s) => s.name === 'pc-office')!.accepted > after);

    // a thread cap from the hub
    hub.control.setThreads('pc-office', 0);
    await until('capped to 0 threads', () => agentOf()?.report?.threads === 0 && agentOf()?.report?.state === 'idle');
    hub.control.setThreads('pc-office', null);
    await until('its own thread count again', () => agentOf()?.report?.threads === 1);
  } finally {
    hub.manager.stats.off('share', onShare);
    hub.control.off('report', onReport);
  }
});

test('a plain miner never sees an extension message; paused, it gets no new jobs; resumed, the current job at once', async () => {
  plain = await LinePeer.connect(hub.port);
  await handshake(plain, { user: 'kitchen-nerdminer', configureMask: 'ffffffff' });
  // its report would need the extension: refused, nothing recorded
  const refused = await plain.call(MM_METHODS.state, [{ state: 'paused', threads: 0, hashrate: 0, hashes: 0 }]);
  assert.ok(refused.error, 'mm_state without the extension is refused');
  assert.equal(hub.control.list().find((w) => w.worker === 'kitchen-nerdminer')?.report, null);

  // pause both kinds; the agent gets a message, the plain miner only silence
  hub.control.setWorking('pc-office', false, 'test');
  const told = hub.control.setWorking('kitchen-nerdminer', false, 'test');
  assert.deepEqual(told, { extension: 0, withheld: 1 });
  const notifiesBefore = plain.msgs.filter((m) => m.method === 'mining.notify').length;
  // practice jobs come every second: two of them pass while it is paused
  const jobsSeen: string[] = [];
  const onJob = (j: { jobId: string }) => jobsSeen.push(j.jobId);
  hub.manager.on('job', onJob);
  await until('two new jobs on the hub', () => jobsSeen.length >= 2, 10_000);
  hub.manager.off('job', onJob);
  assert.equal(plain.msgs.filter((m) => m.method === 'mining.notify').length, notifiesBefore, 'no job reached the paused plain miner');

  hub.control.setWorking('kitchen-nerdminer', true);
  const n = await plain.wait((m) => m.method === 'mining.notify', 5000, 'the current job after the resume');
  assert.equal(n.params![8], true, 'clean_jobs: drop the old work');
  assert.ok(!plain.msgs.some((m) => typeof m.method === 'string' && m.method.startsWith('mining.mm_')), 'no extension message to a plain miner');
  hub.control.setWorking('pc-office', true);
});
