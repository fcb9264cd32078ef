// The node source alone on a real btcd (regtest): what it reports, a block the node refuses (its
// reason is passed on), and a second block on a parent that already has ours (not sent).
// Headers are solved here directly: at regtest's target every other hash is a block.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assembleHeader, hashToBigInt, headerHash, nbitsToTarget, u32Hex, type StratumJob } from '../../src/core/index.js';
import { NodeSource, type BlockOutcome } from '../../src/work/index.js';
import { startBtcd, type Btcd } from '../support/btcd.js';
import { MINER_ADDRESS, PAYOUT_ADDRESS, until } from './support.js';

let node: Btcd;
let source: NodeSource;
const jobs: StratumJob[] = [];

before(async () => {
  node = await startBtcd({ miningAddress: MINER_ADDRESS });
  await node.ctl('generate', '3');
  source = new NodeSource({ url: node.url, payoutAddress: PAYOUT_ADDRESS });
  source.on('job', (j: StratumJob) => jobs.push(j));
  await source.start();
});
after(async () => {
  await source?.stop();
  await node?.stop();
});

/** A header of this job meeting the job's target, with this ntime; extranonce2 of 8 bytes. */
function solve(job: StratumJob, ntime: number, en2 = '0000000000000001'): { header: Uint8Array; extranonce2: string } {
  const target = nbitsToTarget(parseInt(job.nbits, 16));
  const extranonce1 = source.current()!.extranonce1;
  for (let nonce = 0; nonce < 10_000; nonce++) {
    const h = assembleHeader(job, { extranonce1, extranonce2: en2, ntime: u32Hex(ntime), nonce }).header;
    if (hashToBigInt(headerHash(h)) <= target) return { header: h, extranonce2: en2 };
  }
  throw new Error('no header within 10,000 nonces at regtest difficulty');
}

test('the source reports the node: regtest, its height, a fresh template; the job is for the next height', async () => {
  const job = await until('a job', () => jobs[0], 30_000, 20);
  const s = source.status();
  assert.equal(s.state, 'ready');
  assert.equal(s.chain, 'regtest');
  assert.equal(s.height, 3);
  assert.ok(s.templateAgeS !== null && s.templateAgeS < 60);
  assert.equal(s.message, null);
  assert.equal(job.cleanJobs, true);
  assert.equal(source.current()?.extranonce2Size, 8);
});

test('a block the node refuses: its reason is passed on and nothing counts as found', async () => {
  const job = jobs[jobs.length - 1];
  // a timestamp three hours ahead: btcd refuses blocks more than two hours in the future
  const tooLate = parseInt(job.ntime, 16) + 3 * 3600;
  const { header, extranonce2 } = solve(job, tooLate);
  const outcome: BlockOutcome = await source.submitBlock({ jobId: job.jobId, extranonce2, header });
  assert.equal(outcome.accepted, false);
  assert.match(outcome.reason ?? '', /too far in the future|time-too-new/i, `btcd's reason: ${outcome.reason}`);
  assert.equal(source.status().blocksAccepted, 0);
  assert.equal(source.status().lastBlock?.reason, outcome.reason);
  assert.equal(await node.rpc<number>('getblockcount'), 3, 'the chain did not move');
  console.log(`# refused: ${outcome.reason}`);
});

test('a good block is accepted; a second one on the same parent is not sent (it could only be a stale sibling)', async () => {
  const job = jobs[jobs.length - 1];
  const first = solve(job, parseInt(job.ntime, 16), '0000000000000002');
  const second = solve(job, parseInt(job.ntime, 16), '0000000000000003');
  const [a, b] = await Promise.all([source.submitBlock({ jobId: job.jobId, ...first }), source.submitBlock({ jobId: job.jobId, ...second })]);
  assert.equal(a.accepted, true, `first: ${a.reason}`);
  assert.equal(await node.rpc<string>('getbestblockhash'), a.hash);
  assert.equal(b.accepted, false);
  assert.match(b.reason ?? '', /not sent: a block at height 4 was already accepted/);
  assert.equal(source.status().blocksSubmitted, 2, 'the refused one and the good one were sent; the sibling was not');
  // the source moves on to height 5 by itself
  await until('a clean job on top of our block', () => jobs.find((j) => j.cleanJobs && j !== job && source.status().height === 4), 30_000, 20);
});

test("without long polls (a node that offers none), the best-hash poll still sees another miner's block", async () => {
  const polled = new NodeSource({ url: node.url, payoutAddress: PAYOUT_ADDRESS, longpoll: false, pollMs: 1000 });
  const seen: { at: number; job: StratumJob }[] = [];
  polled.on('job', (j: StratumJob) => seen.push({ at: Date.now(), job: j }));
  try {
    await polled.start();
    await until('a first job', () => seen[0], 30_000, 20);
    const n = seen.length;
    const t0 = Date.now();
    await node.ctl('generate', '1');
    const clean = await until('a clean job from polling', () => seen.slice(n).find((s) => s.job.cleanJobs), 30_000, 20);
    // a figure, not an assertion: the poll runs every second
    console.log(`# poll only: clean job ${clean.at - t0} ms after btcctl generate 1 (poll interval 1000 ms)`);
  } finally {
    await polled.stop();
  }
});
