/**
 * `micro-mining worker --gpu`: the worker page's WebGPU kernel (src/web/client/gpu.ts) in Node,
 * through the `webgpu` package (Dawn for Node). That package is NOT a dependency: the hub and the
 * add-on image never need it, and its native part is large; a worker computer with a GPU adds it
 * with `npm install webgpu`. Without it, or without an adapter (Dawn needs a Vulkan, Metal or D3D12
 * driver), `openNodeGpu` says which in one sentence and the agent hashes with its CPU kernels.
 *
 * GpuDriver takes work units from the same source as the CPU threads (the job manager's hub units:
 * no unit is searched twice), re-checks candidates on the CPU (GpuScanner, then the full target)
 * and hands finds to the manager, which validates them like any share.
 */
import { EventEmitter } from 'node:events';
import { topWordOf, verifyCandidates } from '../core/index.js';
import type { PoolFind, WorkUnit } from '../hashpool/index.js';
import type { Logger } from '../log.js';
import { GpuFault, GpuScanner, GpuUnavailable, estimatedGpuWatts, type GpuEntry } from '../web/index.js';

/** what the `webgpu` package exports (the part used) */
export interface WebgpuModule {
  create(flags: string[]): GpuEntry;
}

/** What GpuDriver needs of a scanner (GpuScanner; a stand-in in tests where no GPU runs) */
export type GpuScan = Pick<GpuScanner, 'perDispatch' | 'adapter' | 'detail' | 'setHeader' | 'scan' | 'close'>;

export type NodeGpu = { scanner: GpuScan; reason?: undefined } | { scanner?: undefined; reason: string };

const NOT_INSTALLED = 'the optional package "webgpu" (Dawn for Node) is not installed; run "npm install webgpu" where micro-mining is installed';

/**
 * Opens the GPU for the worker, or says why not. Never throws.
 * @param load imports the `webgpu` package (default: `import('webgpu')`)
 */
export async function openNodeGpu(opts: { load?: () => Promise<WebgpuModule>; timeoutMs?: number } = {}): Promise<NodeGpu> {
  let mod: WebgpuModule;
  try {
    mod = await (opts.load ?? (() => import('webgpu' as string) as Promise<WebgpuModule>))();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return { reason: NOT_INSTALLED };
    return { reason: `the "webgpu" package did not load (${(err as Error).message.split('\n')[0].slice(0, 200)})` };
  }
  if (typeof mod?.create !== 'function') return { reason: 'the "webgpu" package has no create(): not Dawn for Node' };
  try {
    const scanner = await GpuScanner.open(mod.create([]), { timeoutMs: opts.timeoutMs });
    return { scanner };
  } catch (err) {
    if (err instanceof GpuUnavailable) {
      const hint = process.platform === 'linux' ? ' (Dawn needs libvulkan1 and a Vulkan driver for the GPU)' : '';
      return { reason: `"webgpu" (Dawn) is installed but ${err.message.replace(/^WebGPU /, '')}${hint}` };
    }
    return { reason: (err as Error).message };
  }
}

/** The GPU's power while it hashes, labelled: declared by the user, or estimated from the adapter's class. */
export function gpuPower(scanner: GpuScan, declared: number | undefined): { watts: number; from: 'declared' | 'estimated'; why: string } {
  if (declared !== undefined) return { watts: declared, from: 'declared', why: 'declared with --watts' };
  const cls = scanner.adapter.class;
  return { watts: estimatedGpuWatts(cls), from: 'estimated', why: `estimated for a ${cls} GPU adapter` };
}

/** Events: 'find' (PoolFind), 'fault' (GpuFault: the GPU is off for the session). */
export class GpuDriver extends EventEmitter {
  private unit: WorkUnit | null = null;
  private next = 0;
  private wanted = false;
  private loop: Promise<void> | null = null;
  private dead = false;
  private hashes = 0;
  private samples: { t: number; h: number; ms: number }[] = [];
  private wake: (() => void) | null = null;

  constructor(
    readonly scanner: GpuScan,
    private readonly source: () => WorkUnit | null,
    private readonly log: Logger,
  ) {
    super();
  }

  /** Hash (true) or stop after the dispatch in flight (false). */
  setRunning(on: boolean): void {
    if (this.dead) return;
    this.wanted = on;
    if (on && !this.loop) this.loop = this.run().finally(() => (this.loop = null));
    this.wake?.();
  }

  /** Drops the unit of a job that went stale. */
  stale(jobIds: string[]): void {
    if (this.unit && jobIds.includes(this.unit.jobId)) this.unit = null;
  }

  /** A dispatch is in flight (a pause counts once this is false). */
  get active(): boolean {
    return this.loop !== null && this.wanted;
  }

  get running(): boolean {
    return this.loop !== null;
  }

  get alive(): boolean {
    return !this.dead;
  }

  stats(): { hashrate: number; hashes: number } {
    const now = performance.now();
    this.samples = this.samples.filter((s) => now - s.t < 5000);
    const ms = this.samples.reduce((a, s) => a + s.ms, 0);
    return { hashrate: this.loop && ms > 0 ? this.samples.reduce((a, s) => a + s.h, 0) / (ms / 1000) : 0, hashes: this.hashes };
  }

  async stop(): Promise<void> {
    this.wanted = false;
    this.wake?.();
    await this.loop;
    this.scanner.close();
    this.dead = true;
  }

  private async run(): Promise<void> {
    try {
      while (this.wanted) {
        if (!this.unit || this.next >= this.unit.start + this.unit.count) {
          this.unit = this.source();
          if (!this.unit) {
            await new Promise<void>((r) => {
              const t = setTimeout(r, 250);
              this.wake = () => {
                clearTimeout(t);
                r();
              };
            });
            this.wake = null;
            continue;
          }
          this.next = this.unit.start;
          this.scanner.setHeader(this.unit.header, topWordOf(this.unit.target));
        }
        const u = this.unit;
        const n = Math.min(this.scanner.perDispatch, u.start + u.count - this.next);
        const r = await this.scanner.scan(this.next, n);
        this.hashes += n;
        this.samples.push({ t: performance.now(), h: n, ms: r.ms });
        if (r.overflow) this.log.warn({ dropped: r.overflow }, 'more GPU candidates in one dispatch than its buffer holds: the share difficulty is very low');
        for (const f of verifyCandidates(u.header, r.candidates, u.target)) {
          this.emit('find', { unit: u, nonce: f.nonce, hashRaw: f.hashRaw, hash: f.hash, difficulty: f.difficulty } satisfies PoolFind);
        }
        if (this.unit === u) this.next += n;
      }
    } catch (err) {
      this.dead = true;
      this.wanted = false;
      this.scanner.close();
      const fault = err instanceof GpuFault ? err : new GpuFault('lost', (err as Error).message);
      this.emit('fault', fault);
    }
  }
}
