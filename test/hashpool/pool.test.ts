import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { hexToBytes, nbitsToTarget } from '../../src/core/index.js';
import { HashPool, type PoolFind, type WorkUnit } from '../../src/hashpool/index.js';
import { GENESIS } from '../core/vectors.js';

const header = hexToBytes(GENESIS.header, 'header', 80);

/** An endless source of units that never find anything (target 0), like a real job at a high difficulty. */
function endless(jobId: string): () => WorkUnit {
  let n = 0;
  return () => ({ jobId, extranonce2: String(n), header, target: 0n, start: (n++ % 1000) * 2 ** 22, count: 2 ** 22 });
}

async function until(cond: () => boolean, ms: number): Promise<number> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 1));
  }
  return performance.now() - t0;
}

const pool = new HashPool({ threads: 2, maxThreads: 2, kernel: 'js' });
before(() => pool.start());
after(() => pool.stop());

test('the pool finds the genesis nonce and streams it back with its hash', async () => {
  const finds: PoolFind[] = [];
  const onFind = (f: PoolFind) => finds.push(f);
  pool.on('find', onFind);
  let given = false;
  pool.setSource(() => {
    if (given) return null;
    given = true;
    return { jobId: 'genesis', extranonce2: '', header, target: nbitsToTarget(GENESIS.nbits), start: GENESIS.nonce - 50_000, count: 100_000 };
  });
  await until(() => finds.length > 0, 10_000);
  pool.off('find', onFind);
  assert.equal(finds.length, 1);
  assert.equal(finds[0].nonce, GENESIS.nonce);
  assert.equal(finds[0].hash, GENESIS.hash);
  assert.equal(finds[0].unit.jobId, 'genesis');
});

test('units never overlap: every nonce of a split range is hashed exactly once', async () => {
  const done: WorkUnit[] = [];
  const units: WorkUnit[] = [];
  for (let i = 0; i < 8; i++) units.push({ jobId: 'split', extranonce2: '', header, target: 0n, start: i * 20_000, count: 20_000 });
  let next = 0;
  const onDone = (u: WorkUnit) => done.push(u);
  pool.on('unitDone', onDone);
  // the previous test's unit may still be hashing its rest: let it end first (it is not counted here)
  pool.setSource(() => null);
  await until(() => pool.activeThreads === 0, 20_000);
  const h0 = pool.stats().hashes;
  pool.setSource(() => (next < units.length ? units[next++] : null));
  await until(() => done.length === units.length, 20_000);
  pool.off('unitDone', onDone);
  assert.equal(pool.stats().hashes - h0, 160_000);
  assert.deepEqual(new Set(done), new Set(units));
});

test('the thread count changes on a busy pool (time printed), and 0 pauses with hashrate 0', async () => {
  pool.setThreads(2);
  pool.setSource(endless('busy'));
  await until(() => pool.stats().perThread.filter((r) => r > 0).length === 2, 10_000);
  const t0 = performance.now();
  pool.setThreads(0);
  // both slots report back (their tasks saw the flag) once their loops end
  await until(() => (pool as unknown as { slots: { loop: unknown }[] }).slots.every((s) => s.loop === null), 2_000);
  const ms = performance.now() - t0;
  console.log(`# setThreads(0) on a busy pool: all threads stopped in ${ms.toFixed(1)} ms`);
  assert.equal(pool.stats().hashrate, 0);
  assert.equal(pool.stats().threads, 0);
  const hashes = pool.stats().hashes;
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(pool.stats().hashes, hashes, 'no hashing while paused');
  pool.setThreads(1);
  await until(() => pool.stats().hashrate > 0, 5_000);
  assert.equal(pool.stats().perThread.length, 1);
  assert.throws(() => pool.setThreads(3), /threads must be an integer in 0..2/);
  assert.throws(() => pool.setThreads(-1), /threads/);
});

test('cancelling a job (clean_jobs) stops its units and the next job takes over (time printed)', async () => {
  pool.setThreads(2);
  let job = 'old';
  const make = { old: endless('old'), new: endless('new') };
  pool.setSource(() => make[job as 'old' | 'new']());
  await until(() => pool.stats().perThread.filter((r) => r > 0).length === 2, 10_000);
  const slots = (pool as unknown as { slots: { unit: WorkUnit | null; busy: boolean }[] }).slots;
  job = 'new';
  const t0 = performance.now();
  pool.cancelJob('old');
  await until(() => slots.every((s) => s.unit?.jobId === 'new'), 2_000);
  const ms = performance.now() - t0;
  console.log(`# cancelJob on a busy pool: new job on every thread in ${ms.toFixed(1)} ms`);
});

test('a source that throws or returns a malformed unit is logged and skipped, not fatal', async () => {
  let calls = 0;
  pool.setSource(() => {
    calls++;
    if (calls % 2) throw new Error('source broke');
    return { jobId: 'bad', extranonce2: '', header: header.slice(0, 10), target: 0n, start: 0, count: 10 };
  });
  await until(() => calls >= 4, 5_000);
  assert.equal(pool.stats().threads, 2);
  pool.setSource(null);
});

test('stop() leaves no worker thread behind', async () => {
  const p = new HashPool({ threads: 1, maxThreads: 1, kernel: 'js' });
  await p.start();
  p.setSource(endless('x'));
  await until(() => p.stats().hashrate > 0, 10_000);
  const pisc = (p as unknown as { piscina: { threads: unknown[] } }).piscina;
  assert.equal(pisc.threads.length, 1);
  await p.stop();
  assert.equal(pisc.threads.length, 0);
  assert.equal(p.stats().hashrate, 0);
});
