// A paused plain Stratum miner (no extension, no switch) gets no new jobs; measured with two
// miners that keep hashing their last job: one for ever, one with cpuminer's rule (it stops when
// its job is older than a limit: 120 s in cpuminer, 2 s here so that the test is short). Prints
// how long each kept submitting after the pause, and why it stopped (docs/workers.md).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { LinePeer, handshake } from '../stratum/helpers.js';
import { LastJobMiner } from './last-job-miner.js';
import { hubEndpoint, until, type HubEndpoint } from './support.js';

let hub: HubEndpoint;
const peers: LinePeer[] = [];
const miners: LastJobMiner[] = [];

before(async () => {
  // a job every second, a practice "block" (clean_jobs: earlier jobs are stale) every 3 s
  hub = await hubEndpoint({ jobIntervalS: 1, blockIntervalS: 3 });
});

after(async () => {
  for (const m of miners) await m.stop();
  for (const p of peers) await p.close();
  await hub.stop();
});

async function miner(user: string, maxJobAgeS: number | null): Promise<LastJobMiner> {
  const peer = await LinePeer.connect(hub.port);
  peers.push(peer);
  const h = await handshake(peer, { user });
  const m = new LastJobMiner(peer, user, h.extranonce1, h.extranonce2Size, h, maxJobAgeS);
  miners.push(m);
  m.start();
  return m;
}

test('paused plain miners get no new jobs: one hashes its last job until it is stale, one stops by its job-age rule', async () => {
  const forever = await miner('forever-miner', null);
  const cpuminer = await miner('cpuminer-like', 2);
  await until('accepted shares from both', () => forever.results.some((r) => r.ok) && cpuminer.results.some((r) => r.ok), 30_000);

  const notifies = (p: LinePeer) => p.msgs.filter((m) => m.method === 'mining.notify').length;
  const before = peers.map(notifies);
  const t0 = performance.now();
  for (const name of ['forever-miner', 'cpuminer-like'])
    assert.deepEqual(hub.control.setWorking(name, false, 'paused by the test'), { extension: 0, withheld: 1 });

  // the cpuminer-like one stops once its last job is older than its limit
  await until('the cpuminer-like miner stops hashing', () => cpuminer.stoppedAt, 20_000);
  const stopMs = cpuminer.stoppedAt! - t0;
  const submitsAtStop = cpuminer.submits.length;
  assert.ok(cpuminer.stoppedAt! - cpuminer.jobAt <= 2_500, 'it stopped by its job-age rule');

  // the other one hashes on: accepted while its job is current, rejected as stale once a block made it stale
  const stale = await until('a stale rejection for the miner that hashes for ever', () => forever.results.find((r) => r.at > t0 && r.code === 21), 20_000);
  const acceptedAfterPause = forever.results.filter((r) => r.at > t0 && r.ok).length;
  const submitsAtStale = forever.submits.length;
  await until('it still submits after its job went stale', () => forever.submits.length > submitsAtStale, 20_000);
  assert.equal(cpuminer.submits.length, submitsAtStop, 'the stopped miner submitted nothing more');
  assert.deepEqual(peers.map(notifies), before, 'no new job reached a paused miner');
  console.log(
    `# plain miner, no switch: no new jobs after the pause; a cpuminer-like miner (job-age limit 2 s; cpuminer: 120 s) stopped ${(stopMs / 1000).toFixed(1)} s after the pause; ` +
      `one that hashes for ever had ${acceptedAfterPause} shares accepted until its job went stale at the next block ${((stale.at - t0) / 1000).toFixed(1)} s after the pause, and kept submitting stale shares`,
  );

  // resumed: the current job at once (clean_jobs), and the stopped miner hashes again
  hub.control.setWorking('cpuminer-like', true);
  hub.control.setWorking('forever-miner', true);
  await until('the cpuminer-like miner hashes again', () => cpuminer.submits.length > submitsAtStop && cpuminer.stoppedAt === null, 20_000);
  const okAfter = cpuminer.results.length;
  await until('its shares are accepted again', () => cpuminer.results.slice(okAfter).some((r) => r.ok), 20_000);
});
