import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TotalsStore, emptyTotals, LifetimeTotalsSchema, TotalsUnreadableError } from '../../src/app/store.js';
import { PAGE, encodeSlot } from '../../src/history/index.js';
import { totalsOnDisk } from './fixtures/disk.js';

const root = mkdtempSync(join(tmpdir(), 'mm-store-test-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `d${n++}`);

const sample = { sharesAccepted: 12, sharesRejected: 1, sharesStale: 2, bestDifficulty: 1234.5, blocksFound: 0, energyKwh: 0.75 };
const strip = (t: object) => ({ ...t, savedAt: undefined, version: undefined });

test('no file yet: zeros, the data folder is created and the slot file preallocated (2 pages)', async () => {
  const dir = freshDir();
  const store = new TotalsStore(dir);
  const r = await store.load();
  assert.deepEqual(r.totals, emptyTotals());
  assert.equal(r.notice, undefined);
  assert.equal(statSync(join(dir, 'totals.bin')).size, 2 * PAGE);
});

test('save then load in a new store gives the same totals (a restart); only totals.bin is there', async () => {
  const dir = freshDir();
  const a = new TotalsStore(dir);
  await a.load();
  await a.save(sample);
  const r = await new TotalsStore(dir).load();
  assert.equal(r.quarantined, undefined);
  assert.deepEqual(strip(r.totals), strip(sample));
  assert.equal(r.totals.version, 1);
  assert.deepEqual(readdirSync(dir), ['totals.bin']);
});

test('saves are written in place: same inode, same size, one page each, alternating slots', async () => {
  const dir = freshDir();
  const s = new TotalsStore(dir);
  await s.load();
  const before = statSync(s.path);
  for (let i = 1; i <= 5; i++) await s.save({ ...sample, sharesAccepted: i });
  const afterSt = statSync(s.path);
  assert.equal(afterSt.ino, before.ino, 'no rename: the same file');
  assert.equal(afterSt.size, 2 * PAGE, 'no size change');
  assert.equal(s.written.writes, 5);
  assert.equal(s.written.bytes, 5 * PAGE, 'one page per save');
  // the previous copy is the other slot: 4 in one, 5 in the other
  const b = readFileSync(s.path);
  const texts = [b.subarray(0, PAGE).toString('latin1'), b.subarray(PAGE).toString('latin1')];
  assert.ok(texts.some((t) => t.includes('"sharesAccepted":4')) && texts.some((t) => t.includes('"sharesAccepted":5')), 'the last two totals, one per slot');
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

test('a damaged newest copy: the previous good copy is used, said in the log and in notice; the next save keeps it', async () => {
  const dir = freshDir();
  const s = new TotalsStore(dir);
  await s.load();
  await s.save({ ...sample, sharesAccepted: 100 }); // slot 0
  await s.save({ ...sample, sharesAccepted: 101 }); // slot 1 (newest)
  const b = readFileSync(s.path);
  b.write('garbage from a torn write', PAGE + 40, 'latin1');
  writeFileSync(s.path, b);
  const s2 = new TotalsStore(dir);
  const r = await s2.load();
  assert.equal(r.totals.sharesAccepted, 100, 'the previous good copy');
  assert.equal(r.recovered, 'previous-copy');
  assert.match(r.notice ?? '', /damaged.*good copy saved at/);
  assert.equal(s2.notice, r.notice, 'available for the status page');
  const good = readFileSync(s.path).subarray(0, PAGE);
  await s2.save({ ...sample, sharesAccepted: 102 });
  assert.deepEqual(readFileSync(s.path).subarray(0, PAGE), good, 'the good copy is not written over by the next save');
  const r3 = await new TotalsStore(dir).load();
  assert.equal(r3.totals.sharesAccepted, 102);
  assert.equal(r3.notice, undefined, 'both copies check again');
});

test('a newest copy that checks but holds no totals (NaN, negative) falls back to the previous copy', async () => {
  const dir = freshDir();
  const s = new TotalsStore(dir);
  await s.load();
  await s.save({ ...sample, sharesAccepted: 7 }); // slot 0, seq 1
  const b = readFileSync(s.path);
  b.set(encodeSlot(2, Buffer.from(JSON.stringify({ ...emptyTotals(), sharesAccepted: -5 })), PAGE), PAGE);
  writeFileSync(s.path, b);
  const r = await new TotalsStore(dir).load();
  assert.equal(r.totals.sharesAccepted, 7);
  assert.match(r.notice ?? '', /not totals/);
});

for (const [what, content] of [
  ['empty', Buffer.alloc(0)],
  ['cut short', Buffer.from('MMSL\x00\x00')],
  ['garbage of the right size', Buffer.alloc(2 * PAGE, 0x5a)],
  ['NaN in both copies', Buffer.concat([encodeSlot(1, Buffer.from('{"version":1,"sharesAccepted":NaN}'), PAGE), encodeSlot(2, Buffer.from('NaN'), PAGE)])],
] as const) {
  test(`a totals.bin with no good copy (${what}) is moved aside with its bytes, and the start goes on from zero`, async () => {
    const dir = freshDir();
    const s = new TotalsStore(dir);
    await s.load();
    writeFileSync(s.path, content);
    const r = await s.load();
    assert.deepEqual(r.totals, emptyTotals());
    assert.ok(r.quarantined && existsSync(r.quarantined), 'the bad file is kept');
    assert.deepEqual(readFileSync(r.quarantined!), content, 'its bytes are unchanged');
    assert.match(r.notice ?? '', /unreadable.*started from zero/);
    assert.equal(statSync(s.path).size, 2 * PAGE, 'a fresh slot file');
    await s.save(sample);
    assert.equal(totalsOnDisk(dir).sharesAccepted, 12);
  });
}

test('bad starts do not pile up .bad files: at most 3 are kept', async () => {
  const dir = freshDir();
  const s = new TotalsStore(dir);
  await s.load();
  for (let i = 0; i < 6; i++) {
    writeFileSync(s.path, `garbage ${i}`);
    await s.load();
  }
  const bad = readdirSync(dir)
    .filter((f) => f.startsWith('totals.bin.bad-'))
    .sort();
  assert.equal(bad.length, 3);
  // the newest three are the ones kept
  const kept = bad.map((f) => readFileSync(join(dir, f), 'utf8')).sort();
  assert.deepEqual(kept, ['garbage 3', 'garbage 4', 'garbage 5']);
});

test('migration: the old totals.json is read once, written to totals.bin and kept as it is', async () => {
  const dir = freshDir();
  mkdirSync(dir, { recursive: true });
  const old = `${JSON.stringify({ ...sample, version: 1, sharesAccepted: 4242, savedAt: '2026-11-30T10:00:00.000Z' }, null, 2)}\n`;
  writeFileSync(join(dir, 'totals.json'), old);
  writeFileSync(join(dir, 'totals.json.tmp-1-a-b'), '{"half'); // a killed writer of the old scheme
  const r = await new TotalsStore(dir).load();
  assert.equal(r.totals.sharesAccepted, 4242);
  assert.equal(r.migrated, true);
  assert.equal(readFileSync(join(dir, 'totals.json'), 'utf8'), old, 'kept, bytes unchanged');
  assert.equal(totalsOnDisk(dir).sharesAccepted, 4242, 'on disk in the new file');
  assert.deepEqual(readdirSync(dir).sort(), ['totals.bin', 'totals.json'], 'the old temp file is removed');
  // from now on totals.bin is the truth: the old file is not read again
  writeFileSync(join(dir, 'totals.json'), JSON.stringify({ ...emptyTotals(), sharesAccepted: 1 }));
  const r2 = await new TotalsStore(dir).load();
  assert.equal(r2.totals.sharesAccepted, 4242);
  assert.equal(r2.migrated, undefined);
});

test('a totals.bin with no good copy next to an old totals.json: the start goes on from the old file, saying so', async () => {
  const dir = freshDir();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'totals.json'), JSON.stringify({ ...sample, version: 1, sharesAccepted: 99, savedAt: '2026-11-30T10:00:00.000Z' }));
  const s = new TotalsStore(dir);
  await s.load();
  writeFileSync(s.path, Buffer.alloc(2 * PAGE, 1));
  const r = await s.load();
  assert.equal(r.totals.sharesAccepted, 99);
  assert.equal(r.recovered, 'legacy-file');
  assert.match(r.notice ?? '', /started from the old totals\.json \(saved at 2026-11-30/);
});

for (const [what, content] of [
  ['empty', ''],
  ['cut short', '{"version":1,"shares'],
  ['garbage', '\u0000\u00ff garbage'],
  ['NaN', '{"version":1,"sharesAccepted":NaN}'],
  ['wrong shape', JSON.stringify({ version: 1, sharesAccepted: 'many' })],
  ['negative count', JSON.stringify({ ...emptyTotals(), blocksFound: -3 })],
] as const) {
  test(`an unreadable old totals.json (${what}) is moved aside, kept, and the start goes on from zero`, async () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'totals.json'), content);
    const r = await new TotalsStore(dir).load();
    assert.deepEqual(r.totals, emptyTotals());
    assert.ok(r.quarantined && existsSync(r.quarantined), 'the bad file is kept');
    assert.equal(readFileSync(r.quarantined!, 'utf8'), content, 'its bytes are unchanged');
    assert.equal(existsSync(join(dir, 'totals.json')), false);
    assert.match(r.notice ?? '', /unreadable/);
  });
}

test('a directory where totals.bin should be: TotalsUnreadableError, and nothing is written', async () => {
  const dir = freshDir();
  mkdirSync(join(dir, 'totals.bin'), { recursive: true });
  const s = new TotalsStore(dir);
  await assert.rejects(s.load(), (err: unknown) => err instanceof TotalsUnreadableError && /EISDIR/.test(err.message) && err.message.includes(s.path));
  assert.equal(s.ready, false);
  await assert.rejects(s.save(sample), /never written over/);
  assert.ok(statSync(s.path).isDirectory());
  assert.deepEqual(readdirSync(dir), ['totals.bin']);
});

/** Runs a child with the store and kills it -9 once `until(out)` holds; returns its output. */
async function runAndKill(args: string[], until: (out: string) => boolean, what: string): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what}: no progress in 60 s:\n${out.slice(-2000)}`));
    }, 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (until(out) && !child.killed) {
        child.kill('SIGKILL');
        clearTimeout(t);
        resolve();
      }
    });
  });
  await exited;
  return out;
}

test('kill -9 during writes: the file always holds the last or the previous totals', async () => {
  const dir = freshDir();
  const writer = new URL('./fixtures/writer.ts', import.meta.url).pathname;
  let lastReported = 0;
  for (let round = 0; round < 6; round++) {
    const target = lastReported + 20 + round * 7; // kill at a different point each round
    const out = await runAndKill([writer, dir], (o) => Number(o.trim().split('\n').pop()) >= target, `round ${round}`);
    const lines = out
      .trim()
      .split('\n')
      .map(Number)
      .filter((x) => x > 0);
    const reported = lines[lines.length - 1];
    const onDisk = totalsOnDisk(dir); // straight from the disk, without the store's help
    const got = onDisk.sharesAccepted;
    assert.ok(got === reported || got === reported + 1, `round ${round}: file has ${got}, last completed save ${reported}`);
    assert.equal(onDisk.sharesRejected, got * 2, 'the record is whole, not a mix of two writes');
    assert.equal(onDisk.bestDifficulty, got * 1.5);
    lastReported = got;
  }
  const r = await new TotalsStore(dir).load();
  assert.equal(r.totals.sharesAccepted, lastReported);
  assert.deepEqual(readdirSync(dir), ['totals.bin']);
  console.log(`# kill -9 rounds: 6, totals after the last round: ${lastReported}`);
});

test('kill -9 with periodic saving: the file holds the last completed save or a newer one, never goes backwards, and saves keep coming', async () => {
  const dir = freshDir();
  const writer = new URL('./fixtures/periodic-writer.ts', import.meta.url).pathname;
  let previous = 0;
  for (let round = 0; round < 5; round++) {
    const wantSaves = 3 + round; // kill at a different point each round
    const out = await runAndKill([writer, dir, '100'], (o) => (o.match(/^saved /gm) ?? []).length >= wantSaves, `round ${round}`);
    const saved = [...out.matchAll(/^saved (\d+)$/gm)].map((m) => Number(m[1]));
    for (let i = 1; i < saved.length; i++) assert.ok(saved[i] > saved[i - 1], `round ${round}: each save is newer than the one before`);
    const onDisk = totalsOnDisk(dir);
    const got = onDisk.sharesAccepted;
    const last = saved[saved.length - 1];
    assert.ok(got >= last, `round ${round}: the file (${got}) holds at least the last completed save (${last}): at most the last interval is lost`);
    assert.ok(got >= previous, `round ${round}: never backwards (${got} after ${previous})`);
    assert.equal(onDisk.sharesRejected, got * 2, 'the record is whole');
    previous = got;
  }
  assert.equal((await new TotalsStore(dir).load()).totals.sharesAccepted, previous);
  console.log(`# kill -9 with periodic saving: 5 rounds, totals after the last round: ${previous}`);
});

test('issue 24 item 16, kill -9 of a process using the store: the first share is on disk at once; after N updates and a found block (saveNow) the shares, energy and block survive', async () => {
  const dir = freshDir();
  const child = new URL('./fixtures/hub-like.ts', import.meta.url).pathname;
  // round 1: killed right after the first write with a share (long interval; an energy-only write
  // came just before it, so only the store's "first share" rule writes it)
  const out1 = await runAndKill([child, dir, '1000000', '600000'], (o) => /^first \d+$/m.test(o), 'first share');
  const firstSaved = Number(/^first (\d+)$/m.exec(out1)![1]);
  assert.ok(firstSaved >= 1 && firstSaved < 100, `the first write came with the first shares (${firstSaved}), not after the interval`);
  const d1 = totalsOnDisk(dir);
  assert.ok(d1.sharesAccepted >= 1, 'the first share survives a kill -9');
  assert.ok(d1.energyKwh > 0, 'with its energy');
  // round 2: N = 300 updates, then a block saved at once, then more counting; killed after 200 more
  const out2 = await runAndKill(
    [child, dir, '300', '600000'],
    (o) => {
      const m = /^block (\d+) /m.exec(o);
      const c = [...o.matchAll(/^counted (\d+)$/gm)].pop();
      return !!m && !!c && Number(c[1]) >= Number(m[1]) + 200;
    },
    'block',
  );
  const [, blockShares, blockKwh] = /^block (\d+) ([\d.e-]+)$/m.exec(out2)!;
  const d2 = totalsOnDisk(dir);
  assert.equal(d2.blocksFound, 1, 'a found block is never lost');
  assert.ok(d2.sharesAccepted >= Number(blockShares), `shares up to the block survive (${d2.sharesAccepted} >= ${blockShares})`);
  assert.ok(d2.energyKwh >= Number(blockKwh) - 1e-9, `energy up to the block survives (${d2.energyKwh} >= ${blockKwh})`);
  const counted = Math.max(...[...out2.matchAll(/^counted (\d+)$/gm)].map((m) => Number(m[1])));
  // what is lost is at most what came after the last write (the interval), never more
  assert.ok(d2.sharesAccepted <= counted + 100, 'nothing from the future');
  // round 3: a short interval: the periodic writes carry energy too (no clean stop ever happened)
  const out3 = await runAndKill([child, dir, '1000000', '50'], (o) => [...o.matchAll(/^counted (\d+)$/gm)].length >= 30, 'periodic');
  void out3;
  const d3 = totalsOnDisk(dir);
  assert.ok(d3.sharesAccepted > d2.sharesAccepted, 'periodic writes happened');
  assert.ok(d3.energyKwh > d2.energyKwh, `energy grew across kill -9 (${d2.energyKwh} -> ${d3.energyKwh})`);
  // round 4: the block only handed to update(): the store sees blocksFound grow and writes at once
  const out4 = await runAndKill([child, dir, '50', '600000', 'auto'], (o) => /^block \d+ /m.test(o), 'block by update');
  const [, autoShares] = /^block (\d+) /m.exec(out4)!;
  const d4 = totalsOnDisk(dir);
  assert.equal(d4.blocksFound, 2, 'the second block is on disk although only update() was called');
  assert.ok(d4.sharesAccepted >= Number(autoShares));
  console.log(
    `# item 16: after the block ${blockShares} shares / ${blockKwh} kWh; on disk after kill -9: ${d2.sharesAccepted} shares, ${d2.energyKwh.toFixed(3)} kWh; after periodic: ${d3.sharesAccepted}, ${d3.energyKwh.toFixed(3)} kWh`,
  );
});

test('periodic saving: 10,000 changes within one interval make at most two writes, the newest wins; urgent and saveNow write at once', async () => {
  const dir = freshDir();
  const s = new TotalsStore(dir, { intervalMs: 60_000 });
  await s.load();
  for (let i = 1; i <= 10_000; i++) s.update({ ...sample, sharesAccepted: i });
  await new Promise((r) => setImmediate(r));
  for (let i = 10_001; i <= 20_000; i++) s.update({ ...sample, sharesAccepted: i });
  assert.ok(s.written.writes <= 1, `no more than the first write yet (${s.written.writes})`);
  // a found block: on disk at once, whatever the interval
  await s.saveNow({ ...sample, sharesAccepted: 20_000, blocksFound: 1 });
  assert.equal(totalsOnDisk(dir).blocksFound, 1);
  const w = s.written.writes;
  s.update({ ...sample, sharesAccepted: 20_000, blocksFound: 2 }, { urgent: true });
  await s.flush();
  assert.equal(s.written.writes, w + 1);
  assert.equal(totalsOnDisk(dir).blocksFound, 2, 'urgent update written at once');
  s.update({ ...sample, sharesAccepted: 20_001, blocksFound: 2 });
  await s.flush(); // the stop
  assert.equal(totalsOnDisk(dir).sharesAccepted, 20_001);
  assert.ok(s.written.writes <= 4, `20,001 changes, ${s.written.writes} writes`);
  assert.throws(() => s.update({ ...sample, sharesAccepted: -1 }), /previous totals/);
  await s.flush();
  assert.equal(LifetimeTotalsSchema.parse(totalsOnDisk(dir)).sharesAccepted, 20_001);
});
