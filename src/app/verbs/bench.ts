import { availableParallelism } from 'node:os';
import { loadKernel, measureRate, type AnyKernelName } from '../../core/index.js';
import { HashPool, type WorkUnit } from '../../hashpool/index.js';
import { logger } from '../../log.js';
import { numberFlag, parseVerbArgs } from '../args.js';
import { InputError } from '../../core/index.js';
import { measurePaths, type PathRow } from './bench-paths.js';
import { openBrowserGpu, type BrowserGpu } from './bench-browser.js';
import { WASM_KERNEL_PATH } from '../../core/kernels/wasm.js';
import { WEB_BUILD_DIR } from '../../web/index.js';
import { openNodeGpu } from '../../worker/index.js';

const HELP = `usage: micro-mining bench [--seconds S] [--json] [--browser auto|on|off]

Measures every available kernel and the naive baseline (two @noble/hashes sha256 calls per nonce,
no midstate) on the same header, one thread each and then all threads, in one run, and prints
MH/s and each kernel's ratio to the naive baseline at the same thread count.
Then every native path this CPU has (AVX-512, SHA-NI, AVX2, ARMv8 SHA2, NEON, portable C) side by
side, on 1 thread and on all threads, in 3 alternating rounds (median), MH/s per thread and per
CPU-second; the path marked "<- runs" is the one the native kernel picks. With Chromium present,
the WebAssembly SIMD kernel runs in headless Chromium in the same rounds (the browser worker's
engine), with its ratio to the native AVX2 path per thread; and the worker page's WebGPU thread
beside its WASM thread in Chromium (WebGPU on the software adapter SwiftShader where there is no
GPU), alternating rounds, MH/s and the ratio WebGPU / WASM of the same run; and the same kernel
in Node where the optional package "webgpu" (Dawn) finds an adapter (else the line says why not).
  --seconds S           measuring time per kernel and thread count, and per round (default 2)
  --json                one JSON object a line
  --browser auto|on|off the Chromium rows: auto runs them when Chromium and playwright-core are
                        there, on requires it, off skips it (env MM_BENCH_BROWSER; default auto)`;

// block 125552's header (Bitcoin wiki): every kernel hashes the same bytes
const BENCH_HEADER = Buffer.from(
  '0100000081cd02ab7e569e8bcd9317e2fe99f2de44d49ab2b8851ba4a308000000000000e320b6c2fffc8d750423db8b1eb942ae710e951ed797f7affc8892b0f1fc122bc7f5d74df2b9441a42a14695',
  'hex',
);

export interface BenchRow {
  kernel: AnyKernelName;
  threads: number;
  mhs: number;
  ratio: number;
  detail?: string;
}

export async function runBench(argv: string[]): Promise<number> {
  const { values } = parseVerbArgs('bench', argv, {
    seconds: { type: 'string' },
    json: { type: 'boolean' },
    browser: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const seconds = numberFlag(values.seconds, '--seconds', 2);
  if (seconds > 600) throw new InputError('--seconds: at most 600', 'seconds');
  const browser = parseBrowser(values.browser);
  const rows = await bench(
    seconds,
    (row) => {
      if (values.json) console.log(JSON.stringify({ kernel: row.kernel, threads: row.threads, mhs: round(row.mhs), ratio: round(row.ratio) }));
      else
        console.log(
          `${row.kernel.padEnd(7)} ${String(row.threads).padStart(2)} thread${row.threads === 1 ? ' ' : 's'}  ${row.mhs.toFixed(3).padStart(9)} MH/s  ${row.ratio.toFixed(2).padStart(7)}x naive  ${row.detail ?? ''}`,
        );
    },
    (name, reason) => {
      if (!values.json) console.log(`${name.padEnd(7)} skipped: ${reason}`);
      else console.error(JSON.stringify({ kernel: name, skipped: reason }));
    },
  );
  if (!rows.length) return 1;
  let chosen: string | undefined;
  const native = rows.find((r) => r.kernel === 'native' && r.threads === 1);
  if (native?.detail) chosen = /\((?:fastest|forced)/.test(native.detail) ? pathOf(native.detail) : undefined;
  const threads = availableParallelism();
  await measurePaths({
    header: BENCH_HEADER,
    seconds,
    rounds: 3,
    threadCounts: threads > 1 ? [1, threads] : [1],
    browser,
    onRow: (row) => {
      if (values.json) console.log(JSON.stringify(pathJson(row)));
      else console.log(pathLine(row, chosen));
    },
    onSkip: (what, reason) => {
      if (!values.json) console.log(`${what} skipped: ${reason}`);
      else console.error(JSON.stringify({ kernel: what, skipped: reason }));
    },
  });
  if (browser !== 'off') {
    await benchBrowserGpu(
      seconds,
      3,
      browser,
      (line, json) => console.log(values.json ? JSON.stringify(json) : line),
      (what, reason) => {
        if (!values.json) console.log(`${what} skipped: ${reason}`);
        else console.error(JSON.stringify({ kernel: what, skipped: reason }));
      },
    );
  }
  await benchNodeGpu(
    seconds,
    (line, json) => console.log(values.json ? JSON.stringify(json) : line),
    (what, reason) => {
      if (!values.json) console.log(`${what} skipped: ${reason}`);
      else console.error(JSON.stringify({ kernel: what, skipped: reason }));
    },
  );
  return 0;
}

/** The WebGPU kernel in Node (`micro-mining worker --gpu`) where the optional `webgpu` package finds an adapter. */
async function benchNodeGpu(
  seconds: number,
  print: (line: string, json: Record<string, unknown>) => void,
  skip: (what: string, reason: string) => void,
): Promise<void> {
  const g = await openNodeGpu();
  if (!g.scanner) {
    skip('webgpu in Node', g.reason);
    return;
  }
  const s = g.scanner;
  try {
    s.setHeader(BENCH_HEADER, 0);
    const rates: number[] = [];
    let next = 0;
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      let n = 0;
      while (performance.now() - t0 < seconds * 1000) {
        if (next + s.perDispatch > 2 ** 32) next = 0;
        await s.scan(next, s.perDispatch);
        next += s.perDispatch;
        n += s.perDispatch;
      }
      rates.push(n / ((performance.now() - t0) / 1000) / 1e6);
    }
    print(
      `${'webgpu in Node'.padEnd(17)} 1 GPU      ${median(rates).toFixed(3).padStart(9)} MH/s  Dawn (webgpu package), ${s.detail}; rounds ${rates.map((x) => x.toFixed(3)).join('/')}`,
      {
        kernel: 'webgpu-node',
        adapter: s.adapter,
        mhs: round(median(rates)),
        rounds: rates.map(round),
      },
    );
  } finally {
    s.close();
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * The worker page's WebGPU thread and its WASM thread in one Chromium, alternating rounds of
 * `seconds`, medians; the ratio is taken round by round (same load for both halves).
 */
async function benchBrowserGpu(
  seconds: number,
  rounds: number,
  mode: 'auto' | 'on',
  print: (line: string, json: Record<string, unknown>) => void,
  skip: (what: string, reason: string) => void,
): Promise<void> {
  let b: BrowserGpu;
  try {
    b = await openBrowserGpu(WEB_BUILD_DIR, WASM_KERNEL_PATH, BENCH_HEADER);
  } catch (err) {
    if (mode === 'on') throw new Error(`--browser on: ${(err as Error).message}`);
    skip('webgpu in Chromium', (err as Error).message);
    return;
  }
  try {
    if (b.error) {
      skip('webgpu in Chromium', b.error);
      return;
    }
    const wasm: number[] = [];
    const gpu: number[] = [];
    const ratio: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const w = await b.round('wasm', seconds * 1000);
      const g = await b.round('webgpu', seconds * 1000);
      wasm.push(w.hashes / w.wall / 1e6);
      gpu.push(g.hashes / g.wall / 1e6);
      ratio.push(gpu[r] / wasm[r]);
    }
    const software = /^software /.test(b.detail ?? '');
    const runtime = `Chromium ${b.version}`;
    print(
      `${'wasm page thread'.padEnd(17)} 1 thread   ${median(wasm).toFixed(3).padStart(9)} MH/s  ${runtime}, the worker page's WASM thread; rounds ${wasm.map((x) => x.toFixed(2)).join('/')}`,
      {
        kernel: 'wasm-page',
        runtime,
        threads: 1,
        mhs: round(median(wasm)),
        rounds: wasm.map(round),
      },
    );
    print(
      `${'webgpu in browser'.padEnd(17)} 1 GPU      ${median(gpu).toFixed(3).padStart(9)} MH/s  ${median(ratio).toFixed(3)}x the page's wasm thread (same run)  ${runtime}, ${b.detail}; rounds ${gpu.map((x) => x.toFixed(3)).join('/')}${software ? '  (software adapter: the CPU emulates the GPU; docs/performance.md)' : ''}`,
      { kernel: 'webgpu', runtime, adapter: b.detail, mhs: round(median(gpu)), vsWasm: round(median(ratio)), rounds: gpu.map(round), software },
    );
  } finally {
    await b.close();
  }
}

const PATH_NAMES: Record<string, string> = {
  avx512: 'x86-64 AVX-512F',
  shani: 'x86-64 SHA-NI',
  avx2: 'x86-64 AVX2',
  armv8: 'ARMv8 SHA2',
  neon: 'ARMv8 NEON',
  generic: 'portable C',
};

/** the native path a kernel detail names (its detail starts with the path's description) */
function pathOf(detail: string): string | undefined {
  return Object.entries(PATH_NAMES).find(([, name]) => detail.startsWith(name))?.[0];
}

function parseBrowser(v: string | undefined): 'auto' | 'on' | 'off' {
  const from = v !== undefined ? '--browser' : 'MM_BENCH_BROWSER';
  const s = v ?? process.env.MM_BENCH_BROWSER ?? 'auto';
  if (s === 'auto' || s === 'on' || s === 'off') return s;
  throw new InputError(`${from}: expected auto, on or off, got "${s}"`, 'browser');
}

function pathJson(r: PathRow): Record<string, unknown> {
  return {
    path: r.path,
    runtime: r.runtime,
    threads: r.threads,
    mhs: round(r.mhs),
    mhsPerThread: round(r.mhsPerThread),
    mhsPerCpuSecond: Number.isFinite(r.mhsPerCpuSecond) ? round(r.mhsPerCpuSecond) : null,
    rounds: r.rounds.map(round),
    ...(r.vsAvx2 !== undefined ? { vsAvx2: round(r.vsAvx2), vsAvx2Cpu: Number.isFinite(r.vsAvx2Cpu) ? round(r.vsAvx2Cpu ?? NaN) : null } : {}),
  };
}

function pathLine(r: PathRow, chosen: string | undefined): string {
  const name = r.path === 'wasm' ? 'wasm in browser' : `path ${r.path}`;
  const cpu = Number.isFinite(r.mhsPerCpuSecond) ? `${r.mhsPerCpuSecond.toFixed(2).padStart(7)} per CPU-s` : '';
  const spread = `rounds ${r.rounds.map((x) => x.toFixed(2)).join('/')}`;
  const vs =
    r.vsAvx2 !== undefined
      ? `  ${r.vsAvx2.toFixed(2)}x native avx2 per thread${Number.isFinite(r.vsAvx2Cpu) ? ` (${(r.vsAvx2Cpu ?? NaN).toFixed(2)}x per CPU-s)` : ''}`
      : '';
  const what = r.path === 'wasm' ? r.runtime : (PATH_NAMES[r.path] ?? r.path);
  const mark = r.path === chosen && r.threads === 1 ? '  <- runs' : '';
  return `${name.padEnd(16)} ${String(r.threads).padStart(2)} thread${r.threads === 1 ? ' ' : 's'}  ${r.mhsPerThread.toFixed(3).padStart(9)} MH/s per thread  ${cpu}  ${what}; ${spread}${vs}${mark}`;
}

/** Runs the benchmark; calls `onRow` as each figure is measured. */
export async function bench(
  seconds: number,
  onRow: (row: BenchRow) => void,
  onSkip: (name: AnyKernelName, reason: string) => void = () => {},
): Promise<BenchRow[]> {
  const names: AnyKernelName[] = ['naive', 'js', 'wasm', 'native'];
  const rows: BenchRow[] = [];
  const working: AnyKernelName[] = [];
  let naive1 = 0;
  for (const name of names) {
    const r = await loadKernel(name);
    if (!r.kernel) {
      onSkip(name, r.reason);
      continue;
    }
    working.push(name);
    measureRate(r.kernel, 100, BENCH_HEADER); // warm-up (JIT, caches)
    const rate = measureRate(r.kernel, seconds * 1000, BENCH_HEADER);
    r.kernel.close?.();
    if (name === 'naive') naive1 = rate;
    const row = { kernel: name, threads: 1, mhs: rate / 1e6, ratio: rate / naive1, detail: r.kernel.detail };
    rows.push(row);
    onRow(row);
  }
  const threads = availableParallelism();
  if (threads > 1) {
    let naiveN = 0;
    for (const name of working) {
      const rate = await poolRate(name, threads, seconds);
      if (name === 'naive') naiveN = rate;
      const row = { kernel: name, threads, mhs: rate / 1e6, ratio: rate / naiveN };
      rows.push(row);
      onRow(row);
    }
  }
  return rows;
}

/** Hashrate of the hub pool with every thread on one kernel, measured after a short warm-up. */
async function poolRate(kernel: AnyKernelName, threads: number, seconds: number): Promise<number> {
  // the pool's kernel line would repeat what the rows already say: warnings only
  const log = logger('bench');
  log.level = log.isLevelEnabled('warn') ? 'warn' : log.level;
  const pool = new HashPool({ threads, maxThreads: threads, kernel, nice: 0, taskMs: 250, logger: log });
  await pool.start();
  let n = 0;
  pool.setSource((): WorkUnit => ({ jobId: 'bench', extranonce2: String(n), header: BENCH_HEADER, target: 0n, start: (n++ % 4096) * 2 ** 20, count: 2 ** 20 }));
  try {
    await sleep(1000);
    const h0 = pool.stats().hashes;
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const h1 = pool.stats().hashes;
    return (h1 - h0) / ((performance.now() - t0) / 1000);
  } finally {
    await pool.stop();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
