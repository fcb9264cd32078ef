/// <reference lib="dom" />
// The worker page's hashing threads (Web Workers) and the kernel they run: one GPU thread
// (gpu-worker.js, WebGPU) when the browser has WebGPU and the hub allows it, else up to four WASM
// threads (hash-worker.js). A GPU thread that reports a fatal fault (a lost device, a dispatch that
// never returns, a wrong candidate, a failed known-answer test, no adapter) is ended, the GPU is off
// for the rest of the session with the reason shown, and WASM threads take over.

import { estimatedGpuWatts, type AdapterClass } from './gpu.js';

export type KernelKind = 'webgpu' | 'wasm';

export interface Unit {
  id: number;
  header: Uint8Array;
  target: bigint;
  jobId: string;
  extranonce2: string;
  ntime: string;
}

export interface Thread {
  w: Worker;
  kind: KernelKind;
  ready: boolean;
  unit: Unit | null;
  hashing: boolean;
}

export interface ThreadHooks {
  /** a thread can take work */
  ready(t: Thread): void;
  progress(t: Thread, m: { id: number; hashes: number; candidates: number[]; done: boolean }): void;
  /** a thread without a unit stopped hashing */
  stopped(t: Thread): void;
  /** the kernel changed (GPU off, WASM threads ready to start) */
  switched(): void;
  log(message: string): void;
}

const WASM_THREADS = Math.max(1, Math.min(4, (navigator.hardwareConcurrency || 2) - 1));

export class Threads {
  list: Thread[] = [];
  max = WASM_THREADS;
  /** the kernel the threads run ('' before start) */
  kernel: KernelKind | '' = '';
  detail = '';
  /** why the GPU is not used, once known */
  gpuOff = '';
  /** the GPU adapter's class, once the GPU thread is ready */
  adapterClass: AdapterClass | null = null;
  private wasm: ArrayBuffer | null = null;

  constructor(
    private readonly base: () => string,
    private readonly hooks: ThreadHooks,
    private readonly opts: { gpuAllowed: boolean; testFault: string | null },
  ) {}

  /** One GPU thread when WebGPU is there and allowed, else the WASM threads. */
  async start(): Promise<void> {
    if (!this.opts.gpuAllowed) this.gpuOff ||= 'turned off by the hub (option gpu)';
    else if (!('gpu' in navigator)) this.gpuOff ||= 'this browser has no WebGPU';
    if (this.gpuOff) return this.startWasm();
    this.kernel = 'webgpu';
    this.max = 1;
    const t = this.spawn('gpu-worker.js', 'webgpu');
    t.w.postMessage({ type: 'init', ...(this.opts.testFault ? { testFault: this.opts.testFault } : {}) });
    this.list = [t];
    this.hooks.log('starting the WebGPU kernel (known-answer test, dispatch tuning)');
  }

  /** The GPU's extra power while it hashes, W, estimated from its adapter's class (null without the GPU). */
  gpuWattsEstimate(): number | null {
    return this.kernel === 'webgpu' && this.adapterClass ? estimatedGpuWatts(this.adapterClass) : null;
  }

  /** What the page shows as its kernel. */
  text(): string {
    if (this.kernel === 'webgpu') return `WebGPU on the GPU (${this.detail || 'starting'})`;
    if (this.kernel === 'wasm') return `WebAssembly SIMD on the CPU${this.gpuOff ? `; GPU not used: ${this.gpuOff}` : ''}`;
    return 'not started';
  }

  private async startWasm(): Promise<void> {
    if (!this.wasm) {
      const r = await fetch(new URL('worker/kernel.wasm', this.base()));
      if (!r.ok) throw new Error(`the kernel did not load (${r.status})`);
      this.wasm = await r.arrayBuffer();
    }
    this.kernel = 'wasm';
    this.detail = '';
    this.max = WASM_THREADS;
    this.list = [];
    for (let i = 0; i < this.max; i++) {
      const t = this.spawn('hash-worker.js', 'wasm');
      t.w.postMessage({ type: 'init', wasm: this.wasm });
      this.list.push(t);
    }
  }

  /** The GPU failed: off for this session, with the reason; WASM takes over. */
  private gpuFailed(t: Thread, message: string): void {
    if (!this.list.includes(t)) return;
    t.w.terminate();
    this.gpuOff = message;
    this.hooks.log(`WebGPU kernel off for this session: ${message}; hashing with WebAssembly on the CPU`);
    this.list = [];
    this.startWasm().then(
      () => this.hooks.switched(),
      (err: Error) => this.hooks.log(err.message),
    );
  }

  private spawn(script: string, kind: KernelKind): Thread {
    const t: Thread = { w: new Worker(new URL(`worker/${script}`, this.base())), kind, ready: false, unit: null, hashing: false };
    t.w.onmessage = (e) => {
      const m = e.data as { type: string; [k: string]: unknown };
      if (m.type === 'ready') {
        t.ready = true;
        if (kind === 'webgpu') {
          const a = m.adapter as { class: AdapterClass; vendor: string; architecture: string };
          this.adapterClass = a.class;
          this.detail = `${a.class} adapter ${a.vendor}/${a.architecture}, ${String(m.perDispatch)} nonces a dispatch`;
          this.hooks.log(`hashing on the GPU: WebGPU, ${this.detail}`);
        }
        this.hooks.ready(t);
      } else if (m.type === 'progress') this.hooks.progress(t, m as unknown as { id: number; hashes: number; candidates: number[]; done: boolean });
      else if (m.type === 'stopped') {
        if (!t.unit) {
          t.hashing = false;
          this.hooks.stopped(t);
        }
      } else if (m.type === 'error') {
        if (m.fatal && kind === 'webgpu') this.gpuFailed(t, String(m.message));
        else this.hooks.log(`hashing thread: ${String(m.message)}`);
      }
    };
    return t;
  }
}
