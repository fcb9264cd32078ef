// npm run bench:store: bytes the lifetime totals write per day at 1 share/s (goal: under 5 MB/day),
// with the hub's default interval of 120 s (BENCH_INTERVAL_S to try another).
//
// The real TotalsStore on the real disk, fed as the hub feeds it (every share -> update(), which
// writes at most once per interval), with time compressed: the interval and the share period are
// both divided by SCALE, so one real second stands for SCALE seconds. Counted two ways:
//   - bytes through the store (the file text each write hands to the disk), and
//   - the process's own I/O counters in /proc/self/io: wchar (bytes passed to write()) and
//     write_bytes (bytes this process sent to the block layer: whole 4 KiB pages per write).
// For comparison the old behaviour (one atomic write per share) is measured on a few hundred shares.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TotalsStore } from '../src/app/store.js';

const INTERVAL_S = Number(process.env.BENCH_INTERVAL_S ?? 120);
const SCALE = Number(process.env.BENCH_SCALE ?? 200);
const REAL_S = Number(process.env.BENCH_SECONDS ?? 20);
const DAY = 86_400;
// on the disk, not a tmpfs: the block-layer counter must see the writes
const base = mkdtempSync(join(process.env.BENCH_DIR ?? process.cwd(), '.bench-store-'));

function io(): { wchar: number; writeBytes: number } {
  try {
    const t = readFileSync('/proc/self/io', 'utf8');
    const get = (k: string) => Number(new RegExp(`^${k}: (\\d+)`, 'm').exec(t)?.[1] ?? NaN);
    return { wchar: get('wchar'), writeBytes: get('write_bytes') };
  } catch {
    return { wchar: NaN, writeBytes: NaN };
  }
}

const mb = (b: number) => (b / 1e6).toFixed(2);
const totals = (n: number) => ({ sharesAccepted: n, sharesRejected: Math.floor(n / 50), sharesStale: Math.floor(n / 200), bestDifficulty: 0.01 + n * 1e-6, blocksFound: 0, energyKwh: n * 1.7e-6 });

async function periodic(): Promise<void> {
  const store = new TotalsStore(join(base, 'periodic'), { intervalMs: (INTERVAL_S * 1000) / SCALE });
  await store.load();
  const periodMs = 1000 / SCALE;
  const before = io();
  const t0 = performance.now();
  let shares = 0;
  // one share per (1 s / SCALE) of real time, handed over as the hub does
  while (performance.now() - t0 < REAL_S * 1000) {
    const due = Math.floor((performance.now() - t0) / periodMs);
    while (shares < due) store.update(totals(++shares));
    await new Promise((r) => setTimeout(r, 1));
  }
  await store.flush();
  const after = io();
  const simulatedS = ((performance.now() - t0) / 1000) * SCALE;
  const perDay = DAY / simulatedS;
  console.log(`totals saved at most every ${INTERVAL_S} s, 1 share/s (time compressed ${SCALE}x: ${REAL_S} s real = ${(simulatedS / 3600).toFixed(1)} h simulated, ${shares} shares)`);
  console.log(`  writes: ${store.written.writes} -> ${Math.round(store.written.writes * perDay)} per day`);
  console.log(`  bytes through the store: ${store.written.bytes} -> ${mb(store.written.bytes * perDay)} MB/day`);
  console.log(`  /proc/self/io wchar: ${after.wchar - before.wchar} -> ${mb((after.wchar - before.wchar) * perDay)} MB/day`);
  console.log(`  /proc/self/io write_bytes (block layer, whole pages): ${after.writeBytes - before.writeBytes} -> ${mb((after.writeBytes - before.writeBytes) * perDay)} MB/day`);
  const disk = (after.writeBytes - before.writeBytes) * perDay;
  console.log(`  goal: under 5 MB/day -> through the store ${store.written.bytes * perDay < 5e6 ? 'met' : 'NOT met'}; at the block layer ${Number.isNaN(disk) ? 'not measurable here' : disk < 5e6 ? 'met' : 'NOT met'}`);
}

async function perShare(): Promise<void> {
  const store = new TotalsStore(join(base, 'per-share'));
  await store.load();
  const N = 300;
  const before = io();
  for (let i = 1; i <= N; i++) await store.save(totals(i));
  const after = io();
  console.log(`before (one write per share), ${N} shares measured:`);
  console.log(`  bytes through the store: ${mb((store.written.bytes / N) * DAY)} MB/day; wchar ${mb(((after.wchar - before.wchar) / N) * DAY)} MB/day; write_bytes ${mb(((after.writeBytes - before.writeBytes) / N) * DAY)} MB/day`);
}

try {
  await periodic();
  await perShare();
} finally {
  rmSync(base, { recursive: true, force: true });
}
