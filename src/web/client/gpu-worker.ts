/// <reference lib="webworker" />
// The worker page's GPU "thread": a Web Worker driving the WebGPU kernel (gpu.ts) through the same
// messages as a WASM hashing thread (hash-worker.ts), so the page treats both alike. One dispatch
// (~50-100 ms, tuned at start) at a time; a stop takes effect after the dispatch in flight.
//
// in:  {type:'init', testFault?} | {type:'work', id, header, topWord, start, count} | {type:'stop'}
// out: {type:'ready', kernel:'webgpu', detail, adapter} | {type:'progress', id, hashes, candidates, next, done}
//      | {type:'stopped', hashes} | {type:'error', message, fatal: true, kind}
import { GpuFault, GpuScanner, GpuUnavailable, type GpuTestFault } from './gpu.js';
import type { GpuEntry } from './gpu-types.js';

const REPORT_MS = 250;

let scanner: GpuScanner | null = null;
let current: { id: number; header: Uint8Array; topWord: number; next: number; end: number; fresh: boolean } | null = null;
let running = false;
let dead = false;
let hashes = 0;

const post = (m: unknown) => (self as unknown as { postMessage(m: unknown): void }).postMessage(m);

function fatal(err: unknown): void {
  dead = true;
  current = null;
  scanner?.close();
  scanner = null;
  const kind = err instanceof GpuFault ? err.kind : err instanceof GpuUnavailable ? 'unavailable' : 'error';
  post({ type: 'error', fatal: true, kind, message: (err as Error).message });
}

self.onmessage = async (e: MessageEvent) => {
  const m = e.data as { type: string; [k: string]: unknown };
  if (dead) return;
  try {
    if (m.type === 'init') {
      const gpu = (navigator as unknown as { gpu?: GpuEntry }).gpu;
      const testFault = typeof m.testFault === 'string' ? (m.testFault as GpuTestFault) : undefined;
      scanner = await GpuScanner.open(gpu, { testFault });
      post({ type: 'ready', kernel: 'webgpu', detail: scanner.detail, adapter: scanner.adapter, perDispatch: scanner.perDispatch, tunedMs: scanner.tunedMs });
    } else if (m.type === 'work') {
      current = {
        id: m.id as number,
        header: m.header as Uint8Array,
        topWord: m.topWord as number,
        next: m.start as number,
        end: (m.start as number) + (m.count as number),
        fresh: true,
      };
      if (!running) void run();
    } else if (m.type === 'stop') {
      current = null;
      if (!running) post({ type: 'stopped', hashes });
    }
  } catch (err) {
    fatal(err);
  }
};

async function run(): Promise<void> {
  running = true;
  try {
    let since = performance.now();
    let done = 0;
    let found: number[] = [];
    while (current && scanner) {
      const w = current;
      if (w.fresh) {
        scanner.setHeader(w.header, w.topWord);
        w.fresh = false;
      }
      const n = Math.min(scanner.perDispatch, w.end - w.next);
      if (n > 0) {
        const r = await scanner.scan(w.next, n);
        if (current !== w) {
          // new work or a stop arrived during the dispatch: these hashes still count, the candidates
          // belong to the old header and go back with its id
          hashes += n;
          post({ type: 'progress', id: w.id, hashes: done + n, candidates: [...found, ...r.candidates], next: w.next + n, done: false });
          done = 0;
          found = [];
          since = performance.now();
          continue;
        }
        found.push(...r.candidates);
        w.next += n;
        done += n;
        hashes += n;
      }
      const finished = w.next >= w.end;
      const now = performance.now();
      if (finished || found.length || now - since >= REPORT_MS) {
        post({ type: 'progress', id: w.id, hashes: done, candidates: found, next: w.next, done: finished });
        done = 0;
        found = [];
        since = now;
        if (finished && current === w) current = null;
      }
    }
  } catch (err) {
    fatal(err);
  } finally {
    running = false;
    if (!dead) post({ type: 'stopped', hashes });
  }
}
