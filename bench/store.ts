// npm run bench:store: bytes a day the hub sends to the block layer (goal: under 5 MB/day, an SD card
// wears out). Two ways:
//
//   npm run bench:store [-- --seconds N]   the real hub in real time (default 600 s): starts
//       `node bin/micro-mining.js start --practice --threads 1 --no-mqtt --no-node-red
//       --data-dir TMP` (log to /dev/null, status and Stratum on free ports), samples
//       /proc/PID/io write_bytes every 10 s after a warm-up and prints bytes/day extrapolated.
//       The file system cannot merge what real time keeps apart, so this is the honest figure.
//       --from-source runs the same program from src/ through tsx (when dist/ cannot be built).
//   npm run bench:store -- --in-process    the totals store and the history ring alone, in this
//       process (about 2 minutes): three totals saves measured as far apart as the kernel's
//       writeback delay (each in-place write also dirties the file's inode: one more page on ext4
//       without a journal), and a simulated day of the history (a tick every 5 s, written every
//       10 min) whose data pages are counted as written, plus that metadata page per write.
//
// TMP is a folder on the disk (BENCH_DIR or the system temp folder; a tmpfs counts nothing).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TotalsStore } from '../src/app/store.js';
import { History, PAGE, type HistoryTick } from '../src/history/index.js';

const GOAL = 5e6;
const DAY = 86_400;
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const value = (name: string, def: number) => {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : def;
  if (!Number.isFinite(v) || v <= 0) {
    console.error(`${name} needs a positive number`);
    process.exit(2);
  }
  return v;
};
const root = new URL('..', import.meta.url).pathname;
const base = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'mm-bench-store-'));
const mb = (b: number) => (b / 1e6).toFixed(2);

function fsNote(dir: string): string {
  try {
    const t = statfsSync(dir).type;
    return t === 0x01021994 ? ' (WARNING: a tmpfs, the block layer sees nothing; set BENCH_DIR to a folder on a disk)' : '';
  } catch {
    return '';
  }
}

function writeBytes(pid: number | 'self'): number {
  const t = readFileSync(`/proc/${pid}/io`, 'utf8');
  return Number(/^write_bytes: (\d+)/m.exec(t)?.[1] ?? Number.NaN);
}

async function realHub(seconds: number, warmupS: number): Promise<void> {
  const dataDir = join(base, 'data');
  const hubArgs = ['start', '--practice', '--threads', '1', '--no-mqtt', '--no-node-red', '--data-dir', dataDir, '--status-port', '0', '--stratum-port', '0'];
  // --from-source: the same program from src/ through tsx (when dist/ cannot be built); tsx may
  // write its compile cache during the warm-up, which is not counted
  const argv = flag('--from-source')
    ? [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { main } = await import(${JSON.stringify(join(root, 'src/app/cli.ts'))}); process.exitCode = await main(process.argv.slice(1));`,
        '--',
        ...hubArgs,
      ]
    : ['bin/micro-mining.js', ...hubArgs];
  console.log(`real hub, real time: node ${argv.join(' ')} (log to /dev/null)${fsNote(base)}`);
  const child = spawn(process.execPath, argv, { cwd: root, stdio: 'ignore', env: { ...process.env, HOME: base } });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  try {
    await sleep(warmupS * 1000);
    if (gone) throw new Error(`the hub exited during the warm-up (code ${await exited}); run the command above by hand to see why`);
    const startup = writeBytes(child.pid!);
    const t0 = performance.now();
    console.log(`  after a ${warmupS} s warm-up: ${startup} bytes written (the start: files made once)`);
    let last = startup;
    const steps = Math.ceil(seconds / 10);
    for (let i = 1; i <= steps && !gone; i++) {
      await sleep(Math.min(10, seconds - (i - 1) * 10) * 1000);
      if (gone) break;
      const now = writeBytes(child.pid!);
      if (now !== last) console.log(`  +${Math.round((performance.now() - t0) / 1000)} s: write_bytes +${now - last} (total since warm-up ${now - startup})`);
      last = now;
    }
    if (gone) throw new Error(`the hub exited during the measurement (code ${await exited})`);
    const spanS = (performance.now() - t0) / 1000;
    const perDay = ((last - startup) / spanS) * DAY;
    console.log(
      `  ${Math.round(spanS)} s measured: ${last - startup} bytes -> ${mb(perDay)} MB/day at the block layer (goal: under ${mb(GOAL)} MB/day: ${perDay < GOAL ? 'met' : 'NOT met'})`,
    );
    if (spanS < 600)
      console.log(`  note: under 600 s the totals' 120 s interval and the history's 600 s interval are not both seen; use the default --seconds 600 or more`);
  } finally {
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Seconds after which the kernel has written dirty pages back (expiry plus one flusher period). */
function writebackS(): number {
  const read = (k: string, def: number) => {
    try {
      return Number(readFileSync(`/proc/sys/vm/${k}`, 'utf8')) / 100;
    } catch {
      return def;
    }
  };
  return read('dirty_expire_centisecs', 30) + read('dirty_writeback_centisecs', 5);
}

async function inProcess(): Promise<void> {
  console.log(`in-process, on the disk${fsNote(base)}:`);
  // Every write in place also changes the file's mtime. On ext4 without a journal (this machine)
  // the process itself dirties the inode table block, so a write more than the writeback delay
  // after the last one costs one more page at the block layer; with a journal, jbd2 writes it.
  // So a few saves are measured apart, as the hub makes them, not back to back.
  const gapS = Math.ceil(writebackS()) + 10;
  const store = new TotalsStore(join(base, 'totals'));
  await store.load();
  const samples: number[] = [];
  for (let i = 1; i <= 3; i++) {
    await new Promise((r) => setTimeout(r, gapS * 1000));
    const b0 = writeBytes('self');
    await store.save({ sharesAccepted: i * 600, sharesRejected: i, sharesStale: i, bestDifficulty: i * 1.5, blocksFound: 0, energyKwh: i * 0.0004 });
    samples.push(writeBytes('self') - b0);
  }
  const perSave = samples.reduce((a, b) => a + b, 0) / samples.length;
  const metaPerWrite = Math.max(0, perSave - PAGE);
  const intervalS = store.intervalMs / 1000;
  const totalsDay = (perSave * DAY) / intervalS;
  console.log(`  totals store: ${samples.join(', ')} bytes a save, measured ${gapS} s apart (a data page of ${PAGE}, the rest the file's metadata)`);
  console.log(
    `    a save every ${intervalS} s (the store's default) -> ${mb(totalsDay)} MB/day; every 120 s (what the hub passes today) -> ${mb((perSave * DAY) / 120)} MB/day`,
  );
  // the history: a simulated day (a tick every 5 s, three workers, a plan change every 2 h),
  // written every 10 min; its data pages counted as written, plus the metadata page measured above
  const h = new History({ dataDir: join(base, 'history'), flushIntervalS: 0 });
  const T0 = Math.floor(Date.now() / 900_000) * 900_000 - DAY * 1000;
  await h.start(T0);
  const h0 = writeBytes('self');
  let shares = 0;
  for (let s = 0; s < DAY; s += 5) {
    const t = T0 + s * 1000;
    shares += 3;
    const paused = Math.floor(s / 7200) % 2 === 1;
    const tick: HistoryTick = {
      t,
      hashrate: 25e6 + (s % 97) * 1e4,
      hubHashrate: 24e6,
      workers: [
        { name: 'hub', hashrate: 24e6, decision: 'work', reason: 'idle_only: nothing busy' },
        { name: 'den-pc', hashrate: paused ? 0 : 9e6, decision: paused ? 'pause' : 'work', reason: paused ? 'den-pc is busy' : 'idle' },
        { name: 'bitaxe', hashrate: 480e9, decision: 'work', reason: 'dedicated miner' },
      ],
      powerW: 26,
      powerHow: 'estimated',
      targetW: 500,
      surplusW: 800,
      sharesAccepted: shares,
      bestDifficulty: 1e6 + s,
    };
    h.record(tick);
    if (s > 0 && s % 600 === 0) await h.flush();
  }
  await h.stop();
  const historyData = writeBytes('self') - h0;
  const historyDay = historyData + h.written.writes * metaPerWrite;
  console.log(
    `  history ring, ticks every 5 s, 3 workers, written every 600 s (the 15 min tier every 6 h): ${h.written.writes} writes, ${historyData} bytes of data pages + ${h.written.writes} x ${Math.round(metaPerWrite)} of metadata -> ${mb(historyDay)} MB/day`,
  );
  const sum = totalsDay + historyDay;
  console.log(`  together, totals every ${intervalS} s: ${mb(sum)} MB/day (goal: under ${mb(GOAL)} MB/day: ${sum < GOAL ? 'met' : 'NOT met'})`);
  const at120 = (perSave * DAY) / 120 + historyDay;
  console.log(`  together, totals every 120 s: ${mb(at120)} MB/day (${at120 < GOAL ? 'met' : 'NOT met'})`);
  console.log(
    "  note: the running hub writes the history only once a history part calls this API (after the hub refactor); the real-hub figure is the totals' alone until then",
  );
}

try {
  if (flag('--in-process')) await inProcess();
  else await realHub(value('--seconds', 600), value('--warmup', 15));
} finally {
  rmSync(base, { recursive: true, force: true });
}
