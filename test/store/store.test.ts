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

test('kill -9 with periodic saving: the file holds the last completed save or a newer one, never goes backwards, and saves keep coming', async () => {
  const dir = freshDir();
  const writer = new URL('./fixtures/periodic-writer.ts', import.meta.url).pathname;
  const intervalMs = 100;
  let previous = 0;
  for (let round = 0; round < 5; round++) {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, dir, String(intervalMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const wantSaves = 3 + round; // kill at a different point each round
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`writer made fewer than ${wantSaves} saves in 60 s:\n${out}`)), 60_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if ((out.match(/^saved /gm) ?? []).length >= wantSaves && !child.killed) {
          child.kill('SIGKILL');
          clearTimeout(t);
          resolve();
        }
      });
    });
    await exited;
    const saved = [...out.matchAll(/^saved (\d+)$/gm)].map((m) => Number(m[1]));
    const counted = Math.max(0, ...[...out.matchAll(/^counted (\d+)$/gm)].map((m) => Number(m[1])));
    for (let i = 1; i < saved.length; i++) assert.ok(saved[i] > saved[i - 1], `round ${round}: each save is newer than the one before`);
    const onDisk = LifetimeTotalsSchema.parse(JSON.parse(readFileSync(join(dir, 'totals.json'), 'utf8')));
    const got = onDisk.sharesAccepted;
    const last = saved[saved.length - 1];
    assert.ok(got >= last, `round ${round}: the file (${got}) holds at least the last completed save (${last}): at most the last interval is lost`);
    assert.ok(got >= previous, `round ${round}: never backwards (${got} after ${previous})`);
    assert.equal(onDisk.sharesRejected, got * 2, 'the record is whole');
    assert.ok(got <= Math.max(counted, last) + 200 * 2, 'nothing from the future');
    previous = got;
  }
  // the next start continues from what is on disk and clears a killed writer's temp file
  assert.equal((await new TotalsStore(dir).load()).totals.sharesAccepted, previous);
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('totals.json.tmp')), []);
  console.log(`# kill -9 with periodic saving: 5 rounds, totals after the last round: ${previous}`);
});

test('periodic saving: 10,000 changes within one interval make at most two writes, the newest wins; saveNow writes at once', async () => {
  const dir = freshDir();
  const s = new TotalsStore(dir, { intervalMs: 60_000 });
  await s.load();
  for (let i = 1; i <= 10_000; i++) s.update({ ...sample, sharesAccepted: i });
  await new Promise((r) => setImmediate(r));
  for (let i = 10_001; i <= 20_000; i++) s.update({ ...sample, sharesAccepted: i });
  assert.ok(s.written.writes <= 1, `no more than the first write yet (${s.written.writes})`);
  // a found block: on disk at once, whatever the interval
  await s.saveNow({ ...sample, sharesAccepted: 20_000, blocksFound: 1 });
  const afterBlock = LifetimeTotalsSchema.parse(JSON.parse(readFileSync(s.path, 'utf8')));
  assert.equal(afterBlock.blocksFound, 1);
  s.update({ ...sample, sharesAccepted: 20_001, blocksFound: 1 });
  await s.flush(); // the stop
  assert.equal(LifetimeTotalsSchema.parse(JSON.parse(readFileSync(s.path, 'utf8'))).sharesAccepted, 20_001);
  assert.ok(s.written.writes <= 3, `20,001 changes, ${s.written.writes} writes`);
  // bad values are refused at once, the file keeps the last good totals
  assert.throws(() => s.update({ ...sample, sharesAccepted: -1 }), /previous totals/);
  await s.flush();
  assert.equal(LifetimeTotalsSchema.parse(JSON.parse(readFileSync(s.path, 'utf8'))).sharesAccepted, 20_001);
});
