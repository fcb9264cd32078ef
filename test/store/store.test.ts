import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TotalsStore, emptyTotals, writeFileAtomic, LifetimeTotalsSchema } from '../../src/app/store.js';

const root = mkdtempSync(join(tmpdir(), 'mm-store-test-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `d${n++}`);

const sample = { sharesAccepted: 12, sharesRejected: 1, sharesStale: 2, bestDifficulty: 1234.5, blocksFound: 0, energyKwh: 0.75 };

test('no file yet: zeros, and the data folder is created', async () => {
  const dir = freshDir();
  const store = new TotalsStore(dir);
  const r = await store.load();
  assert.deepEqual(r.totals, emptyTotals());
  assert.ok(existsSync(dir));
});

test('save then load in a new store gives the same totals (a restart)', async () => {
  const dir = freshDir();
  const a = new TotalsStore(dir);
  await a.load();
  await a.save(sample);
  const r = await new TotalsStore(dir).load();
  assert.equal(r.quarantined, undefined);
  assert.deepEqual({ ...r.totals, savedAt: undefined, version: undefined }, { ...sample, savedAt: undefined, version: undefined });
  assert.equal(r.totals.version, 1);
  // no temp files are left behind
  assert.deepEqual(readdirSync(dir), ['totals.json']);
});

test('concurrent saves are serialised: the last one wins and the file is valid', async () => {
  const dir = freshDir();
  const s = new TotalsStore(dir);
  await s.load();
  await Promise.all(Array.from({ length: 20 }, (_, i) => s.save({ ...sample, sharesAccepted: i })));
  const r = await new TotalsStore(dir).load();
  assert.equal(r.totals.sharesAccepted, 19);
});

test('bad totals are refused before anything is written', async () => {
  const dir = freshDir();
  const s = new TotalsStore(dir);
  await s.load();
  await s.save(sample);
  await assert.rejects(s.save({ ...sample, sharesAccepted: -1 }), /sharesAccepted.*previous totals/);
  await assert.rejects(s.save({ ...sample, energyKwh: Number.NaN }));
  assert.equal((await new TotalsStore(dir).load()).totals.sharesAccepted, 12);
});

for (const [what, content] of [
  ['not JSON', '{"version":1,"shares'],
  ['wrong shape', JSON.stringify({ version: 1, sharesAccepted: 'many' })],
  ['negative count', JSON.stringify({ ...emptyTotals(), blocksFound: -3 })],
] as const) {
  test(`an unreadable file (${what}) is moved aside, kept, and the start goes on from zero`, async () => {
    const dir = freshDir();
    const s = new TotalsStore(dir);
    await s.load();
    writeFileSync(s.path, content);
    const r = await s.load();
    assert.deepEqual(r.totals, emptyTotals());
    assert.ok(r.quarantined && existsSync(r.quarantined), 'the bad file is kept');
    assert.equal(readFileSync(r.quarantined!, 'utf8'), content, 'its bytes are unchanged');
    assert.equal(existsSync(s.path), false);
  });
}

test('leftover temp files of a killed writer are removed at load', async () => {
  const dir = freshDir();
  const s = new TotalsStore(dir);
  await s.load();
  await s.save(sample);
  writeFileSync(join(dir, 'totals.json.tmp-999-x-y'), '{"half');
  const r = await s.load();
  assert.equal(r.totals.sharesAccepted, 12);
  assert.deepEqual(readdirSync(dir), ['totals.json']);
});

test('writeFileAtomic replaces the whole file', async () => {
  const dir = freshDir();
  await new TotalsStore(dir).load();
  const p = join(dir, 'x.json');
  await writeFileAtomic(p, 'a'.repeat(10000));
  await writeFileAtomic(p, 'short');
  assert.equal(readFileSync(p, 'utf8'), 'short');
});

test('kill -9 during writes: the file always holds the last or the previous totals', async () => {
  const dir = freshDir();
  const writer = new URL('./fixtures/writer.ts', import.meta.url).pathname;
  let lastReported = 0;
  for (let round = 0; round < 6; round++) {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const target = lastReported + 20 + round * 7; // kill at a different point each round
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('writer made no progress in 30 s')), 30_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const lines = out.trim().split('\n');
        if (Number(lines[lines.length - 1]) >= target && !child.killed) {
          child.kill('SIGKILL');
          clearTimeout(t);
          resolve();
        }
      });
    });
    await exited;
    const lines = out.trim().split('\n').map(Number).filter((x) => x > 0);
    const reported = lines[lines.length - 1];
    // Straight from the disk, without the store's help:
    const onDisk = LifetimeTotalsSchema.parse(JSON.parse(readFileSync(join(dir, 'totals.json'), 'utf8')));
    const got = onDisk.sharesAccepted;
    assert.ok(got === reported || got === reported + 1, `round ${round}: file has ${got}, last completed save ${reported}`);
    assert.equal(onDisk.sharesRejected, got * 2, 'the record is whole, not a mix of two writes');
    assert.equal(onDisk.bestDifficulty, got * 1.5);
    lastReported = got;
  }
  // The next start continues from what was on disk.
  const r = await new TotalsStore(dir).load();
  assert.equal(r.totals.sharesAccepted, lastReported);
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('totals.json.tmp')), []);
  console.log(`# kill -9 rounds: 6, totals after the last round: ${lastReported}`);
});
