/// <reference lib="webworker" />
// One hashing thread of the worker page: the project's WebAssembly SIMD kernel (build/wasm/kernel.wasm,
// the ABI of src/core/kernels/wasm/abi.ts) scanning nonce ranges of one header. It hashes in chunks of
// 2^16 nonces (a few ms) and looks at its messages between chunks, so a stop takes effect at once.
//
// in:  {type:'init', wasm: ArrayBuffer} | {type:'work', id, header: Uint8Array, topWord, start, count} | {type:'stop'}
// out: {type:'ready'} | {type:'progress', id, hashes, candidates: number[], next, done} | {type:'stopped', hashes} | {type:'error', message}

import { KERNEL_ABI, SCAN_CHUNK as CHUNK, type KernelExports } from '../../core/kernels/wasm/abi.js';

const REPORT_MS = 250;

let k: KernelExports<WebAssembly.Memory> | null = null;
let current: { id: number; header: Uint8Array; topWord: number; next: number; end: number } | null = null;
let running = false;
let hashes = 0;

const post = (m: unknown) => (self as unknown as { postMessage(m: unknown): void }).postMessage(m);

self.onmessage = async (e: MessageEvent) => {
  const m = e.data as { type: string; [k: string]: unknown };
  try {
    if (m.type === 'init') {
      const { instance } = (await WebAssembly.instantiate(m.wasm as ArrayBuffer, {
        env: {
          abort: () => {
            throw new Error('wasm kernel aborted');
          },
        },
      })) as unknown as { instance: WebAssembly.Instance };
      const ex = instance.exports as unknown as KernelExports<WebAssembly.Memory>;
      if (typeof ex.abiVersion !== 'function' || ex.abiVersion() !== KERNEL_ABI) throw new Error('kernel.wasm speaks another ABI');
      k = ex;
      post({ type: 'ready' });
    } else if (m.type === 'work') {
      current = {
        id: m.id as number,
        header: m.header as Uint8Array,
        topWord: m.topWord as number,
        next: m.start as number,
        end: (m.start as number) + (m.count as number),
      };
      if (k) {
        new Uint8Array(k.memory.buffer).set(current.header, k.headerPtr());
        k.prepare();
      }
      if (!running) void run();
    } else if (m.type === 'stop') {
      current = null;
      if (!running) post({ type: 'stopped', hashes });
    }
  } catch (err) {
    post({ type: 'error', message: (err as Error).message });
  }
};

const channel = new MessageChannel();
let wake: (() => void) | null = null;
channel.port1.onmessage = () => {
  const w = wake;
  wake = null;
  w?.();
};
function yieldTurn(): Promise<void> {
  return new Promise((r) => {
    wake = r;
    channel.port2.postMessage(0);
  });
}

async function run(): Promise<void> {
  running = true;
  try {
    let since = performance.now();
    let done = 0;
    let found: number[] = [];
    while (current && k) {
      const w = current;
      const n = Math.min(CHUNK, w.end - w.next);
      if (n > 0) {
        const cap = k.outCap() >>> 0;
        const got = k.scan(w.next | 0, n, w.topWord | 0, cap) >>> 0;
        const words = new Uint32Array(k.memory.buffer, k.outPtr(), got);
        for (let i = 0; i < got; i++) found.push(words[i]);
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
      // let a stop or new work in: a task turn between chunks (a MessageChannel, not setTimeout's 4 ms clamp)
      await yieldTurn();
    }
  } finally {
    running = false;
    post({ type: 'stopped', hashes });
  }
}
