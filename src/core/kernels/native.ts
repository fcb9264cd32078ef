import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ScanKernel } from './types.js';

/** Bits of the native module's path mask (src/core/native/sha256d.h). */
export const NATIVE_PATHS = { generic: 1, shani: 2, avx2: 4, armv8: 8, avx512: 16, neon: 32 } as const;
export type NativePath = keyof typeof NATIVE_PATHS;

const PRE = 'midstate, nonce-independent rounds and message words once per scan, early exit after round 60 of the second hash';
const DETAIL: Record<NativePath, string> = {
  avx512: `x86-64 AVX-512F, 16 nonces per vector; ${PRE}`,
  shani: 'x86-64 SHA-NI, 2 nonces interleaved; midstate, rounds 0-1, constant W+K pairs and message groups once per scan, second hash stopped after round 61',
  avx2: `x86-64 AVX2, 8 nonces per vector; ${PRE}`,
  armv8: 'ARMv8 SHA2 crypto extensions, 2 nonces interleaved; midstate, constant W+K groups and message pairs once per scan, second hash ends on the last group\'s sha256h2',
  neon: `ARMv8 NEON, 4 nonces per vector; ${PRE}`,
  generic: `portable C, one nonce at a time; ${PRE}`,
};

interface NativeModule {
  paths(): number;
  scan(path: number, header: Uint8Array, start: number, count: number, top: number, max: number): number[];
}

/** Where scripts/build-native.mjs puts the addon (build/native/ at the repository root). */
export const NATIVE_MODULE_PATH = fileURLToPath(new URL('../../../build/native/mm_native.node', import.meta.url));

let cached: NativeModule | null = null;

function loadModule(file: string): NativeModule {
  if (file === NATIVE_MODULE_PATH && cached) return cached;
  if (!existsSync(file)) {
    throw new Error(`native kernel not built (${file} is missing; run "npm run build:native")`);
  }
  let m: NativeModule;
  try {
    m = createRequire(import.meta.url)(file) as NativeModule;
  } catch (err) {
    throw new Error(`native kernel failed to load from ${file}: ${(err as Error).message.split('\n')[0]} (rebuild it with "npm run build:native")`);
  }
  if (typeof m?.scan !== 'function' || typeof m?.paths !== 'function') throw new Error(`${file} is not the micro-mining native module`);
  if (file === NATIVE_MODULE_PATH) cached = m;
  return m;
}

/** The paths this CPU can run, fastest first. */
export function nativePaths(file = NATIVE_MODULE_PATH): NativePath[] {
  const mask = loadModule(file).paths();
  return (['avx512', 'shani', 'armv8', 'neon', 'avx2', 'generic'] as NativePath[]).filter((p) => mask & NATIVE_PATHS[p]);
}

let fastest: { path: NativePath; rates: Partial<Record<NativePath, number>> } | null = null;

/** Times every available path on a short scan and returns the fastest (cached per thread). */
function fastestPath(m: NativeModule, available: NativePath[]): { path: NativePath; rates: Partial<Record<NativePath, number>> } {
  if (fastest) return fastest;
  const header = new Uint8Array(80);
  const rates: Partial<Record<NativePath, number>> = {};
  for (const p of available) {
    m.scan(NATIVE_PATHS[p], header, 0, 1 << 14, 0, 16); // warm-up
    let n = 1 << 15;
    let t = 0;
    let done = 0;
    const t0 = performance.now();
    while ((t = performance.now() - t0) < 15) {
      m.scan(NATIVE_PATHS[p], header, done, n, 0, 16);
      done += n;
    }
    rates[p] = done / (t / 1000);
  }
  const path = available.reduce((a, b) => ((rates[b] ?? 0) > (rates[a] ?? 0) ? b : a));
  fastest = { path, rates };
  return fastest;
}

/**
 * The native N-API kernel. It times the paths the CPU has (AVX-512, SHA-NI, ARMv8 SHA2, NEON, AVX2,
 * portable C) on a short scan and takes the fastest; `path` (or MM_NATIVE_PATH) forces one, which must be available.
 */
export async function loadNativeKernel(opts: { path?: NativePath; file?: string } = {}): Promise<ScanKernel> {
  const file = opts.file ?? NATIVE_MODULE_PATH;
  const m = loadModule(file);
  const available = nativePaths(file);
  const forced = opts.path ?? (process.env.MM_NATIVE_PATH as NativePath | undefined);
  if (forced !== undefined && !(forced in NATIVE_PATHS)) {
    const from = opts.path !== undefined ? 'native path' : 'MM_NATIVE_PATH';
    throw new Error(`${from} "${forced}" is not one of ${Object.keys(NATIVE_PATHS).join(', ')}`);
  }
  if (forced && !available.includes(forced)) throw new Error(`native path ${forced} is not available on this CPU (have ${available.join(', ')})`);
  let path: NativePath;
  let why: string;
  if (forced) {
    path = forced;
    why = 'forced';
  } else {
    const f = fastestPath(m, available);
    path = f.path;
    why = `fastest of ${available.map((p) => `${p} ${((f.rates[p] ?? 0) / 1e6).toFixed(1)}`).join(', ')} MH/s`;
  }
  const bit = NATIVE_PATHS[path];
  return {
    name: 'native',
    detail: `${DETAIL[path]} (${why})`,
    scan(header, start, count, topWord, maxCandidates) {
      if (count <= 0) return [];
      return m.scan(bit, header, start, count, topWord >>> 0, Math.max(1, Math.min(maxCandidates, 1 << 20)));
    },
  };
}
