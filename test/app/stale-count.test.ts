// Issue 10 item 8: invalid shares with fake job ids do not inflate the stale count. A job id the
// hub never issued is "job not found" (invalid); only a job the hub did issue and then replaced
// is stale. A real miner connection on loopback to the real Stratum endpoint.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { StratumServer } from '../../src/stratum/index.js';
import { JobManager, PracticeSource, type ShareEvent } from '../../src/work/index.js';
import { LinePeer, handshake } from '../stratum/helpers.js';

const cleanup: (() => Promise<unknown> | undefined)[] = [];
after(async () => {
  for (const f of cleanup.reverse()) await f();
});

test('fake job ids count as invalid, not stale; a replaced job still counts as stale', async () => {
  const practice = new PracticeSource({ jobIntervalS: 3600, blockIntervalS: 3600 });
  const manager = new JobManager({ source: practice });
  await manager.start();
  cleanup.push(() => manager.stop());
  const server = new StratumServer({ backend: manager, port: 0 });
  await server.start();
  cleanup.push(() => server.stop());
  const events: ShareEvent[] = [];
  manager.stats.on('share', (e: ShareEvent) => events.push(e));

  const peer = await LinePeer.connect(server.address().port);
  cleanup.push(() => peer.close());
  const h = await handshake(peer, { user: 'flood.test' });
  const FAKES = 40;
  for (let i = 0; i < FAKES; i++) {
    const r = await peer.call('mining.submit', ['flood.test', `fake${i.toString(16)}`, '00'.repeat(h.extranonce2Size), h.job.ntime, '00000000']);
    assert.equal(r.result === true, false, 'a fake job id is refused');
  }
  const w = manager.stats.snapshot().find((x) => x.name === 'flood.test')!;
  assert.equal(w.stale, 0, `fake job ids are not stale (stale ${w.stale}, rejected ${w.rejected})`);
  assert.equal(w.rejected, FAKES);
  assert.equal(events.filter((e) => !e.accepted && e.code === 21).length, 0, 'no share event with the stale code 21');

  // a job the hub issued, then replaced by a new block (clean jobs): a share on it is stale
  const stale = new Promise<string[]>((r) => manager.once('stale', r));
  practice.next(true);
  const staleIds = await stale;
  assert.ok(staleIds.includes(h.job.jobId), `the first job is replaced: ${staleIds.join(',')}`);
  await peer.call('mining.submit', ['flood.test', h.job.jobId, '00'.repeat(h.extranonce2Size), h.job.ntime, '00000000']);
  assert.equal(manager.stats.snapshot().find((x) => x.name === 'flood.test')!.stale, 1, 'a replaced job is stale');
});
