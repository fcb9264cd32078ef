import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { History, HISTORY_FILE, NAMES_CAP, PAGE, TIERS, WORKERS_PER_RECORD, type HistoryTick } from '../../src/history/index.js';
import { tickAt } from './fixtures/ticks.js';

const root = mkdtempSync(join(tmpdir(), 'mm-history-test-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `d${n++}`);
// a fixed start on a 15 min boundary, so the steps are known
const T0 = Date.UTC(2026, 11, 1, 0, 0, 0);

/** Feeds ticks 5 s apart from `from` for `seconds`; returns the time after the last tick. */
function feed(h: History, from: number, seconds: number, f: (t: number) => HistoryTick = (t) => tickAt(t)): number {
  for (let s = 0; s < seconds; s += 5) h.record(f(from + s * 1000));
  return from + seconds * 1000;
}

test('query: 10 s steps for an hour, 1 min for a day, 15 min for 30 days, with means, shares per step and the power source', async () => {
  const h = new History({ dataDir: freshDir(), flushIntervalS: 0 });
  await h.start(T0);
  const end = feed(h, T0, 2 * 3600);
  const q1 = h.query('1h', end);
  assert.equal(q1.span, '1h');
  assert.equal(q1.step_s, 10);
  // an hour of closed 10 s steps (the open one is not shown yet)
  assert.ok(q1.series.hashrate.length >= 359 && q1.series.hashrate.length <= 361, `${q1.series.hashrate.length} points`);
  const [t, v] = q1.series.hashrate[10];
  const k = Math.floor(t / 5000);
  assert.equal(v, 1000 + ((k % 7) + ((k + 1) % 7)) / 2, 'the mean of the two ticks of the step');
  assert.ok(
    q1.series.shares.every(([, s]) => s === 2),
    'two shares a step (one a tick)',
  );
  assert.ok(q1.series.power_source.every(([, s]) => s === 'estimated'));
  assert.deepEqual(q1.series.target_w.filter(([, s]) => s !== null).slice(0, 3), [], 'no target: null, not 0');
  assert.ok(q1.series.surplus_w.every(([, s]) => s === 300));
  assert.deepEqual(Object.keys(q1.series.workers).sort(), ['den-pc', 'hub'], 'per worker (at 1 min in the hour view)');
  const q24 = h.query('24h', end);
  assert.equal(q24.step_s, 60);
  assert.ok(q24.series.hashrate.length >= 119 && q24.series.hashrate.length <= 121);
  assert.ok(
    q24.series.shares.slice(1).every(([, s]) => s === 12),
    'twelve a minute (the first tick has no baseline)',
  );
  assert.equal(q24.series.best_difficulty.at(-1)![1], (end - T0) / 5000 - 13, 'the best by the end of the last closed minute');
  const q30 = h.query('30d', end);
  assert.equal(q30.step_s, 900);
  assert.equal(q30.series.hashrate.length, 7, 'seven closed 15 min steps in two hours');
  assert.ok(q30.series.shares.slice(1).every(([, s]) => s === 180));
  assert.throws(() => h.query('2h' as never), /1h, 24h or 30d/);
  await h.stop();
});

test('plan: working and paused intervals per worker with their reason; a worker that leaves closes its interval', async () => {
  const h = new History({ dataDir: freshDir(), flushIntervalS: 0 });
  await h.start(T0);
  const washerBusy = (t: number) => t >= T0 + 600_000 && t < T0 + 1_200_000;
  const end = feed(h, T0, 1800, (t) =>
    tickAt(t, {
      workers: [
        { name: 'hub', hashrate: 600, decision: 'work', reason: 'idle' },
        ...(t < T0 + 900_000
          ? [
              {
                name: 'tv <b>',
                hashrate: 100,
                decision: washerBusy(t) ? ('pause' as const) : ('work' as const),
                reason: washerBusy(t) ? 'washer busy' : 'idle',
              },
            ]
          : []),
      ],
    }),
  );
  const q = h.query('1h', end);
  const tv = q.plan.filter((p) => p.worker === 'tv <b>');
  assert.deepEqual(
    tv.map((p) => [p.decision, p.reason, p.from - T0, p.to - T0]),
    [
      ['work', 'idle', 0, 600_000],
      ['pause', 'washer busy', 600_000, 900_000],
    ],
    'the TV paused by the washer, then gone',
  );
  const hub = q.plan.filter((p) => p.worker === 'hub');
  assert.equal(hub.length, 1);
  assert.equal(hub[0].to, end, 'still working: the interval runs to now');
  await h.stop();
});

test('restart: what was recorded is read back the same (series, workers and plan)', async () => {
  const dir = freshDir();
  const a = new History({ dataDir: dir, flushIntervalS: 0 });
  await a.start(T0);
  const end = feed(a, T0, 3 * 3600);
  await a.stop();
  const q24 = a.query('24h', end);
  const q30 = a.query('30d', end);
  const b = new History({ dataDir: dir, flushIntervalS: 0 });
  await b.start(end);
  assert.equal(b.status().persist, 'on');
  assert.deepEqual(b.query('24h', end).series, q24.series);
  assert.deepEqual(b.query('30d', end).series, q30.series);
  // the plan: the workers' intervals end where the data ended (the hub was not running after)
  const plan = b.query('24h', end).plan;
  assert.deepEqual(plan.map((p) => p.worker).sort(), ['den-pc', 'hub']);
  assert.ok(
    plan.every((p) => p.to === end),
    'closed where the data ended',
  );
  await b.stop();
});

test('writes are whole pages in place: same inode, same size; a day of ticks costs what the budget allows', async () => {
  const dir = freshDir();
  const h = new History({ dataDir: dir, flushIntervalS: 0 });
  await h.start(T0);
  const st = statSync(join(dir, HISTORY_FILE));
  let t = T0;
  for (let i = 0; i < 144; i++) {
    t = feed(h, t, 600);
    await h.flush();
  }
  await h.stop();
  const st2 = statSync(join(dir, HISTORY_FILE));
  assert.equal(st2.ino, st.ino);
  assert.equal(st2.size, st.size);
  assert.equal(h.written.bytes % PAGE, 0);
  console.log(
    `# history: a simulated day (144 writes of 10 min + stop) handed ${h.written.bytes} bytes to the disk (${(h.written.bytes / 1e6).toFixed(2)} MB/day)`,
  );
  assert.ok(h.written.bytes < 2.2e6, `under 2.2 MB a day (${h.written.bytes})`);
});

test('kill -9: the ring holds everything up to the last write; the 15 min tier is rebuilt from the 1 min tier', async () => {
  const dir = freshDir();
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./fixtures/ticker.ts', import.meta.url).pathname, dir, String(T0)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no progress in 60 s: ${out}`));
    }, 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if ((out.match(/^flushed /gm) ?? []).length >= 7 && !child.killed) {
        child.kill('SIGKILL');
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await exited;
  const lastFlushed = Math.max(...[...out.matchAll(/^flushed (\d+)$/gm)].map((m) => Number(m[1])));
  const h = new History({ dataDir: dir, flushIntervalS: 0 });
  const now = lastFlushed + 3600_000;
  await h.start(lastFlushed + 1000);
  const q24 = h.query('24h', now);
  const minutes = q24.series.hashrate.map(([t]) => t);
  // every closed minute up to the last write is there
  for (let m = T0; m < lastFlushed - 60_000; m += 60_000) assert.ok(minutes.includes(m), `minute ${(m - T0) / 60_000} survived`);
  assert.ok(
    q24.series.shares.filter(([t]) => t > T0 && t < lastFlushed - 60_000).every(([, s]) => s === 12),
    'whole records',
  );
  const q30 = h.query('30d', now);
  const quarters = Math.floor((lastFlushed - T0) / 900_000);
  assert.ok(q30.series.hashrate.length >= quarters, `the 15 min steps rebuilt (${q30.series.hashrate.length} >= ${quarters})`);
  assert.equal(q30.series.shares[1][1], 180);
  await h.stop();
  console.log(
    `# history kill -9: killed after the write at +${(lastFlushed - T0) / 60_000} min; ${minutes.length} 1 min steps, ${q30.series.hashrate.length} 15 min steps read back`,
  );
});

test('a file that cannot be read (a folder in its place) is never written; the history goes on in memory and says why', async () => {
  const dir = freshDir();
  mkdirSync(join(dir, HISTORY_FILE), { recursive: true });
  writeFileSync(join(dir, HISTORY_FILE, 'keep'), 'x');
  const h = new History({ dataDir: dir, flushIntervalS: 0 });
  await h.start(T0);
  assert.equal(h.status().persist, 'off');
  assert.match(h.status().notice ?? '', /cannot be read \(EISDIR\).*nothing is written over it/);
  const end = feed(h, T0, 600);
  assert.equal(await h.flush(), 0);
  await h.stop();
  assert.ok(h.query('1h', end).series.hashrate.length > 50, 'kept in memory');
  assert.deepEqual(readdirSync(dir), [HISTORY_FILE]);
  assert.deepEqual(readdirSync(join(dir, HISTORY_FILE)), ['keep']);
});

test('a file that is not a ring (header, size) is moved aside with its bytes; at most 3 .bad files are kept', async () => {
  const dir = freshDir();
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < 5; i++) {
    writeFileSync(join(dir, HISTORY_FILE), `not a ring ${i}`);
    const h = new History({ dataDir: dir, flushIntervalS: 0 });
    await h.start(T0);
    assert.equal(h.status().persist, 'on');
    assert.match(h.status().notice ?? '', /unreadable.*kept as .*\.bad-/);
    await h.stop();
  }
  const bad = readdirSync(dir).filter((f) => f.startsWith(`${HISTORY_FILE}.bad-`));
  assert.equal(bad.length, 3);
  assert.deepEqual(bad.map((f) => readFileSync(join(dir, f), 'utf8')).sort(), ['not a ring 2', 'not a ring 3', 'not a ring 4']);
  // a ring of the right size whose header was damaged is not ours either
  const size = statSync(join(dir, HISTORY_FILE)).size;
  writeFileSync(join(dir, HISTORY_FILE), Buffer.alloc(size, 7));
  const h = new History({ dataDir: dir, flushIntervalS: 0 });
  await h.start(T0);
  assert.match(h.status().notice ?? '', /not a history ring/);
  await h.stop();
});

test('a torn record is left out alone (the rest reads); a torn 1 min record is rebuilt from the 10 s tier', async () => {
  const dir = freshDir();
  const a = new History({ dataDir: dir, flushIntervalS: 0 });
  await a.start(T0);
  const end = feed(a, T0, 1800);
  await a.stop();
  const before1h = a.query('1h', end).series.hashrate.length;
  const before24h = a.query('24h', end).series.hashrate.length;
  const file = join(dir, HISTORY_FILE);
  const b = readFileSync(file);
  // after the header and the names: each 1 min step followed by its six 10 s steps
  const midBytes = 40 + WORKERS_PER_RECORD * 6;
  const block = midBytes + 6 * 40;
  const minute = (Math.floor(T0 / 60_000) + 5) % TIERS[1].count;
  b.write('torn', 3 * PAGE + minute * block + 10, 'latin1'); // the 1 min step of minute 5
  b.write('torn', 3 * PAGE + minute * block + midBytes + 10, 'latin1'); // its first 10 s step
  writeFileSync(file, b);
  const c = new History({ dataDir: dir, flushIntervalS: 0 });
  await c.start(end);
  assert.equal(c.query('1h', end).series.hashrate.length, before1h - 1, 'one 10 s step less');
  const q24 = c.query('24h', end);
  assert.equal(q24.series.hashrate.length, before24h, 'the 1 min step is rebuilt');
  assert.equal(q24.series.shares.find(([t]) => t === T0 + 5 * 60_000)![1], 10, 'from the 10 s steps that remain (one is torn)');
  assert.equal(c.status().notice, null);
  await c.stop();
});

test('bounds and bad input: names are capped, a record keeps the 8 fastest workers, bad numbers never throw', async () => {
  const h = new History({ dataDir: freshDir(), flushIntervalS: 0 });
  await h.start(T0);
  let t = T0;
  for (let i = 0; i < 120; i++, t += 5000) {
    h.record({
      ...tickAt(t),
      hashrate: Number.NaN,
      powerW: -5,
      powerHow: 'guessed' as never,
      targetW: Number.POSITIVE_INFINITY,
      sharesAccepted: 'x' as never,
      workers: Array.from({ length: 300 }, (_, j) => ({
        name: `w${i}-${j}\u0000\n${'x'.repeat(100)}`,
        hashrate: j,
        decision: 'work' as const,
        reason: 'r'.repeat(1000),
      })),
    });
  }
  h.record(null as never);
  h.record({ t: Number.NaN } as never);
  assert.equal(h.status().names, NAMES_CAP);
  const q = h.query('24h', t);
  assert.ok(Object.keys(q.series.workers).length <= NAMES_CAP);
  assert.ok(
    q.series.hashrate.every(([, v]) => v === 0),
    'NaN hashrate counts as 0',
  );
  assert.ok(
    q.series.power_source.every(([, s]) => s === null),
    'an unknown source is null',
  );
  assert.ok(q.series.target_w.every(([, s]) => s === null));
  assert.ok(
    q.plan.length <= 1024 && q.plan.every((p) => Buffer.byteLength(p.worker) <= 32 && Buffer.byteLength(p.reason) <= 76 && !/[\u0000\n]/.test(p.worker)),
  );
  for (const pts of Object.values(q.series.workers))
    assert.ok(
      pts.every(([, v]) => v !== null && v >= NAMES_CAP - WORKERS_PER_RECORD && v < NAMES_CAP),
      'the fastest 8 of the names known',
    );
  assert.equal(Object.keys(q.series.workers).length, WORKERS_PER_RECORD);
  await h.stop();
  assert.ok(existsSync(join(h.path)));
});
