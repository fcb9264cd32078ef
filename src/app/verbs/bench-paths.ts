// Every native path (AVX-512, SHA-NI, AVX2, ARMv8 SHA2, NEON, portable C) timed side by side: each
// path on 1 thread and on every thread, in alternating rounds, median of the rounds; and, when
// Chromium is there, the WebAssembly SIMD kernel in the browser in the same rounds. The native
// paths run in worker threads that load the addon directly and report their own CPU time
// (/proc/thread-self on Linux), so a busy machine still shows what one thread does.
import { Worker } from 'node:worker_threads';
import { NATIVE_MODULE_PATH, NATIVE_PATHS, nativePaths, type NativePath } from '../../core/kernels/native.js';
import { WASM_KERNEL_PATH } from '../../core/kernels/wasm.js';
import { openBrowserWasm, type BrowserWasm } from './bench-browser.js';

export interface PathRow {
  /** native path name, or 'wasm' for the browser row */
  path: NativePath | 'wasm';
  runtime: string;
  threads: number;
  /** median over rounds, MH/s of all threads together (wall clock) */
  mhs: number;
  mhsPerThread: number;
  /** MH/s per second of CPU time the threads got (NaN where it cannot be read) */
  mhsPerCpuSecond: number;
  rounds: number[];
  /** the wasm row: its per-thread rate over the native AVX2 path's, round by round, median (wall clock) */
  vsAvx2?: number;
  /** the same per second of CPU time */
  vsAvx2Cpu?: number;
}

// plain CommonJS run by each worker: loads the addon, scans 2^18 nonces a call, answers {n, wall, cpu}
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const m = require(workerData.file);
const header = new Uint8Array(workerData.header);
const B = 1 << 18;
let start = workerData.start >>> 0;
function cpu() {
  try {
    const f = fs.readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch { return NaN; }
}
function run(ms) {
  let n = 0;
  const c0 = cpu();
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    if (start > 2 ** 32 - B) start = 0;
    m.scan(workerData.bit, header, start, B, 0, 16);
    start += B;
    n += B;
  }
  return { n, wall: (performance.now() - t0) / 1000, cpu: cpu() - c0 };
}
parentPort.on('message', (ms) => parentPort.postMessage(run(ms)));
`;

interface Sample {
  n: number;
  wall: number;
  cpu: number;
}

class PathGang {
  private readonly workers: Worker[] = [];
  constructor(
    readonly path: NativePath,
    readonly threads: number,
    header: Uint8Array,
  ) {
    for (let i = 0; i < threads; i++) {
      const w = new Worker(WORKER, {
        eval: true,
        workerData: { file: NATIVE_MODULE_PATH, bit: NATIVE_PATHS[path], header: Array.from(header), start: i * 2 ** 28 },
      });
      w.unref();
      this.workers.push(w);
    }
  }

  /** every thread scans for `ms`; total hashes, mean wall seconds, summed CPU seconds */
  async round(ms: number): Promise<Sample> {
    const parts = await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<Sample>((resolve, reject) => {
            const onErr = (err: Error) => reject(err);
            w.once('error', onErr);
            w.once('message', (s: Sample) => {
              w.off('error', onErr);
              resolve(s);
            });
            w.postMessage(ms);
          }),
      ),
    );
    return {
      n: parts.reduce((a, p) => a + p.n, 0),
      wall: parts.reduce((a, p) => a + p.wall, 0) / parts.length,
      cpu: parts.reduce((a, p) => a + p.cpu, 0),
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Times every native path at each thread count in `threadCounts`, and the browser's wasm kernel
 * (when `browser` is not 'off'), `rounds` alternating rounds of `seconds` each.
 * `onSkip` hears why the browser row is missing.
 */
export async function measurePaths(opts: {
  header: Uint8Array;
  seconds: number;
  rounds: number;
  threadCounts: number[];
  browser: 'auto' | 'on' | 'off';
  onRow: (row: PathRow) => void;
  onSkip: (what: string, reason: string) => void;
}): Promise<PathRow[]> {
  let paths: NativePath[];
  try {
    paths = nativePaths();
  } catch (err) {
    opts.onSkip('native paths', (err as Error).message);
    paths = [];
  }
  let browser: BrowserWasm | null = null;
  if (opts.browser !== 'off') {
    try {
      browser = await openBrowserWasm(WASM_KERNEL_PATH, opts.header);
    } catch (err) {
      if (opts.browser === 'on') throw new Error(`--browser on: ${(err as Error).message}`);
      opts.onSkip('wasm in Chromium', (err as Error).message);
    }
  }
  const rows: PathRow[] = [];
  const ms = opts.seconds * 1000;
  try {
    for (const threads of opts.threadCounts) {
      const gangs = paths.map((p) => new PathGang(p, threads, opts.header));
      const withBrowser = threads === 1 && browser !== null;
      const samples: Sample[][] = gangs.map(() => []);
      const browserSamples: Sample[] = [];
      try {
        for (const g of gangs) await g.round(150); // warm-up, one path at a time
        // the browser's round right after the AVX2 path's (or after the last path): the two ratios'
        // halves then see the same load as nearly as a shared machine allows
        const after = paths.includes('avx2') ? paths.indexOf('avx2') : gangs.length - 1;
        for (let r = 0; r < opts.rounds; r++) {
          for (let i = 0; i < gangs.length; i++) {
            samples[i].push(await gangs[i].round(ms));
            if (i === after && withBrowser && browser) {
              const b = await browser.round(ms);
              browserSamples.push({ n: b.hashes, wall: b.wall, cpu: b.cpu });
            }
          }
          if (gangs.length === 0 && withBrowser && browser) {
            const b = await browser.round(ms);
            browserSamples.push({ n: b.hashes, wall: b.wall, cpu: b.cpu });
          }
        }
      } finally {
        await Promise.all(gangs.map((g) => g.close()));
      }
      const rowOf = (path: NativePath | 'wasm', runtime: string, s: Sample[]): PathRow => {
        const rounds = s.map((x) => x.n / x.wall / 1e6);
        const mhs = median(rounds);
        return {
          path,
          runtime,
          threads,
          mhs,
          mhsPerThread: mhs / threads,
          mhsPerCpuSecond: median(s.map((x) => (x.cpu > 0 ? x.n / x.cpu / 1e6 : NaN))),
          rounds,
        };
      };
      const batch = gangs.map((g, i) => rowOf(g.path, `native (${process.arch})`, samples[i]));
      if (withBrowser && browser) {
        const row = rowOf('wasm', `Chromium ${browser.version}`, browserSamples);
        const avx2 = batch.find((b) => b.path === 'avx2');
        if (avx2) {
          // per round, then the median: the two ran back to back under the same load
          const idx = paths.indexOf('avx2');
          const a = samples[idx];
          row.vsAvx2 = median(browserSamples.map((b, r) => b.n / b.wall / (a[r].n / a[r].wall)));
          row.vsAvx2Cpu = median(browserSamples.map((b, r) => (b.cpu > 0 && a[r].cpu > 0 ? b.n / b.cpu / (a[r].n / a[r].cpu) : NaN)));
        }
        batch.push(row);
      }
      for (const row of batch) {
        rows.push(row);
        opts.onRow(row);
      }
    }
  } finally {
    await browser?.close();
  }
  return rows;
}
