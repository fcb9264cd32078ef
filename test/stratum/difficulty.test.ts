// Difficulty changes as real miners honour them (issue 10, item 12): cpuminer 2.5.1 rebuilds its
// work only on a new job id, so every change of difficulty must come with a new job id, shares of
// a job are held to the difficulty in force when that job was sent, and vardiff counts a share
// at the difficulty it was credited at.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { StratumServer, Vardiff } from '../../src/stratum/index.js';
import { JobManager, PracticeSource } from '../../src/work/index.js';
import { CpuminerLike } from './cpuminer-like.js';
import { LinePeer, handshake } from './helpers.js';

const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const f of cleanup.reverse()) await f();
});

test("vardiff counts each share at the difficulty it was credited at, not the connection's new one", () => {
  // 16 shares in 16 s, all credited at 1 (found on jobs sent before a change to 8):
  // 16 * 2^32 / 16 s = 2^32 H/s; 10 s per share wants difficulty 10 -> 8, not 128
  const v = new Vardiff(8, 0, { targetIntervalS: 10, burstShares: 16 });
  let next: number | null = null;
  for (let i = 1; i <= 16; i++) next = v.onShare(i * 1000, 1) ?? next;
  assert.equal(next, null, 'on target at the credited difficulty: no change');
  assert.equal(v.difficulty, 8);
});

test('a cpuminer-2.5.1-like miner (work rebuilt only on a new job id) gets 0 rejections across several difficulty changes', async () => {
  const practice = new PracticeSource({ jobIntervalS: 3600, blockIntervalS: 3600 });
  const manager = new JobManager({ source: practice });
  await manager.start();
  cleanup.push(() => manager.stop());
  const server = new StratumServer({
    backend: manager,
    port: 0,
    initialDifficulty: 2 ** -20, // ~4,096 hashes a share: many shares at once, so vardiff raises fast
    vardiff: { minDifficulty: 2 ** -26, targetIntervalS: 1, retargetS: 1, burstShares: 8 },
  });
  await server.start();
  cleanup.push(() => server.stop());
  const peer = await LinePeer.connect(server.address().port);
  cleanup.push(() => peer.close());
  const h = await handshake(peer, { user: 'cpuminer.test', agent: 'cpuminer/2.5.1' });
  const miner = new CpuminerLike(peer, 'cpuminer.test', h.extranonce1, h.extranonce2Size, h);

  const raises = () => miner.difficulties.filter((d, i) => i > 0 && d > miner.difficulties[i - 1]).length;
  const drops = () => miner.difficulties.filter((d, i) => i > 0 && d < miner.difficulties[i - 1]).length;
  // 1. hashing at full speed from a tiny difficulty: vardiff raises it
  await miner.run(() => raises() >= 1 && miner.accepted >= 24, 60_000, 'a raised difficulty and 24 accepted shares');
  for (let cycle = 0; cycle < 2; cycle++) {
    // 2. the miner stops hashing: vardiff lowers the difficulty (three halvings)
    miner.hashing = false;
    const d0 = drops();
    await miner.run(() => drops() >= d0 + 3, 30_000, 'three lowered difficulties');
    // 3. it hashes again, now far below its rate: vardiff raises it again
    miner.hashing = true;
    const r0 = raises();
    const a0 = miner.accepted;
    await miner.run(() => raises() > r0 && miner.accepted >= a0 + 8, 60_000, 'a raised difficulty again');
  }
  // answers to every share sent
  miner.hashing = false;
  await miner.run(() => miner.pendingSubmits === 0, 20_000, 'answers to every share');
  const changes = miner.difficulties.length - 1;
  console.log(
    `# cpuminer-like: ${miner.accepted} accepted, ${miner.rejected.length} rejected; ${changes} difficulty changes (${raises()} up, ${drops()} down); ` +
      `${miner.works.length} works built; difficulties ${miner.difficulties.map((d) => `2^${Math.log2(d).toFixed(0)}`).join(' ')}`,
  );
  // the difficulty credited for its shares matches the work it did (credited at the difficulty of
  // each share's job, not at a newer one): what the per-worker hashrate rests on
  const credited = manager.stats.worker('cpuminer.test')!.creditedDifficulty;
  const ratio = (credited * 2 ** 32) / miner.hashes;
  console.log(
    `# credited difficulty x 2^32 / hashes done = ${ratio.toFixed(2)} (1 is exact; ${miner.accepted} shares give about ±${(200 / Math.sqrt(miner.accepted)).toFixed(0)} %)`,
  );
  assert.deepEqual(miner.rejected, [], 'no share rejected');
  // the hashes-to-credit ratio above is a figure (shares at 2^-9 weigh 2,048 of those at 2^-20: it
  // varies by luck); what must hold is that no share is credited above the difficulty of the work
  // the miner built it on (the old code credited the connection's newer, higher one)
  assert.ok(credited <= miner.acceptedWork * (1 + 1e-9), `credited ${credited} <= the work's own difficulty ${miner.acceptedWork}`);
  assert.ok(credited > 0);
  console.log(
    `# credited / the work's own difficulty of the accepted shares = ${(credited / miner.acceptedWork).toFixed(3)} (1: each at its job's difficulty)`,
  );
  assert.ok(changes >= 5, `several difficulty changes (${changes})`);
  assert.ok(raises() >= 3);
  // every change reached the miner's work: it built a work at each difficulty it was sent
  for (const d of miner.difficulties.slice(1))
    assert.ok(
      miner.works.some((w) => w.difficulty === d),
      `a work at difficulty ${d}`,
    );
});
