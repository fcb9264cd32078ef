// The WebGPU scan kernel's host: one device, one compiled pipeline, one nonce range per dispatch.
// Used by the worker page's GPU thread (gpu-worker.ts, navigator.gpu) and by `micro-mining worker
// --gpu` (src/worker/gpu.ts, the `webgpu` package). No DOM or Node types: only the WebGPU subset in
// gpu-types.ts and the project's core.
//
// Per header the CPU computes the midstate and the nonce-free words (gpuParams); per dispatch it
// writes the range into the uniform block, resets the candidate counter, dispatches and reads the
// candidates back. Every candidate is re-hashed on the CPU: a nonce outside the range or whose
// hash misses the top word the kernel was given is a kernel fault (GpuFault 'wrong'), and the
// caller disables the kernel for the session. A dispatch that does not finish in time ('timeout'),
// a lost device ('lost') and a failed known-answer test ('selftest') are faults too; no adapter or
// no WebGPU at all is GpuUnavailable. Dispatch sizes are tuned at start to ~75 ms (50-100 ms), so a
// pause takes effect within one dispatch.
import { headerHash, withNonce } from '../../core/header.js';
import { midstate } from '../../core/sha.js';
import {
  BUFFER_USAGE,
  MAP_READ,
  type GpuAdapter,
  type GpuAdapterInfo,
  type GpuBindGroup,
  type GpuBuffer,
  type GpuComputePipeline,
  type GpuDevice,
  type GpuEntry,
} from './gpu-types.js';
import { CANDIDATE_CAP, PARAM, PARAM_WORDS, WORKGROUP_SIZE, gpuParams, sha256dWgsl } from './sha256d-wgsl.js';

export type GpuFaultKind = 'lost' | 'timeout' | 'wrong' | 'selftest' | 'compile';

/** The kernel misbehaved: the caller falls back to another kernel for the session. */
export class GpuFault extends Error {
  constructor(
    readonly kind: GpuFaultKind,
    message: string,
  ) {
    super(message);
    this.name = 'GpuFault';
  }
}

/** No WebGPU here (no API, no adapter, no device): `message` names what is missing. */
export class GpuUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GpuUnavailable';
  }
}

/** Test hook only (named so where it is set): makes the real kernel path misbehave on purpose. */
export type GpuTestFault = 'lost' | 'hang' | 'wrong';

export type AdapterClass = 'software' | 'integrated' | 'discrete' | 'unknown';

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  description: string;
  class: AdapterClass;
}

export interface GpuScannerOptions {
  /** a dispatch not done after this long is a 'timeout' fault (default: max(3 s, 20x the tuned time)) */
  timeoutMs?: number;
  /** milliseconds one dispatch should take after tuning (default 75) */
  targetMs?: number;
  /** TEST HOOK: inject a fault into the 2nd dispatch after tuning (the page honours it only in test mode) */
  testFault?: GpuTestFault;
  powerPreference?: 'low-power' | 'high-performance';
}

export interface GpuScanResult {
  /** candidates that passed the CPU check (nonce in range, top word met), in increasing order */
  candidates: number[];
  hashes: number;
  /** more candidates than the buffer holds: the rest of this dispatch's were dropped */
  overflow: number;
  ms: number;
}

/** Known answers: the genesis block and block 125552 (as src/core/kernels/selftest.ts). */
export const KNOWN_ANSWERS = [
  {
    header:
      '0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c',
    nonce: 2083236893,
  },
  {
    header:
      '0100000081cd02ab7e569e8bcd9317e2fe99f2de44d49ab2b8851ba4a308000000000000e320b6c2fffc8d750423db8b1eb942ae710e951ed797f7affc8892b0f1fc122bc7f5d74df2b9441a42a14695',
    nonce: 2504433986,
  },
];

/** An adapter's class from what it tells (WebGPU names no type: vendor and architecture hint it). */
export function classifyAdapter(info: GpuAdapterInfo | undefined, fallback = false): AdapterSummary {
  const vendor = String(info?.vendor ?? '').toLowerCase();
  const architecture = String(info?.architecture ?? '').toLowerCase();
  const description = String(info?.description ?? info?.device ?? '').slice(0, 80);
  const text = `${vendor} ${architecture} ${description.toLowerCase()}`;
  let cls: AdapterClass = 'unknown';
  if (fallback || info?.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe|software|warp/.test(text)) cls = 'software';
  else if (/intel|arm|mali|qualcomm|adreno|apple|imagination|powervr|broadcom|mesa/.test(text)) cls = 'integrated';
  else if (/nvidia|amd|ati|radeon/.test(text)) cls = 'discrete';
  return { vendor: vendor || '?', architecture: architecture || '?', description, class: cls };
}

/** Extra power of a GPU hashing flat out, W, by class: an estimate, and labelled so by callers. */
export function estimatedGpuWatts(cls: AdapterClass): number {
  return { software: 0, integrated: 15, discrete: 150, unknown: 30 }[cls];
}

/** Top 32 bits of a raw sha256d as the kernels compare them (bytes 28..31, little-endian). */
function topWordOfHash(h: Uint8Array): number {
  return ((h[31] << 24) | (h[30] << 16) | (h[29] << 8) | h[28]) >>> 0;
}

/**
 * Re-checks a dispatch's candidates on the CPU: returns the good ones (sorted) and the first wrong
 * one (outside the range, repeated, or its hash misses the top word), if any. Pure.
 */
export function checkCandidates(header80: Uint8Array, start: number, count: number, topWord: number, got: number[]): { good: number[]; wrong: number | null } {
  const good: number[] = [];
  const seen = new Set<number>();
  for (const n of got) {
    if (n < start || n >= start + count || seen.has(n) || topWordOfHash(headerHash(withNonce(header80, n))) > topWord >>> 0) return { good, wrong: n };
    seen.add(n);
    good.push(n);
  }
  good.sort((a, b) => a - b);
  return { good, wrong: null };
}

export class GpuScanner {
  /** nonces per dispatch (tuned at start) */
  perDispatch = WORKGROUP_SIZE * 256;
  /** milliseconds the last tuning dispatch took */
  tunedMs = 0;
  private params: Uint32Array = new Uint32Array(PARAM_WORDS);
  private header: Uint8Array | null = null;
  private lostInfo: string | null = null;
  private closing = false;
  private dispatches = 0;
  private tuned = false;
  private readonly maxGroups: number;

  private constructor(
    readonly adapter: AdapterSummary,
    private readonly device: GpuDevice,
    private readonly pipeline: GpuComputePipeline,
    private readonly bind: GpuBindGroup,
    private readonly uniform: GpuBuffer,
    private readonly out: GpuBuffer,
    private readonly readback: GpuBuffer,
    private readonly opts: GpuScannerOptions,
  ) {
    this.maxGroups = Math.min(65535, device.limits.maxComputeWorkgroupsPerDimension || 65535);
    device.lost.then((info) => {
      if (!this.closing) this.lostInfo = `${info.reason || 'unknown'}${info.message ? `: ${info.message}` : ''}`;
    });
  }

  /**
   * Opens the adapter and device, compiles the kernel, runs its known-answer test and tunes the
   * dispatch size. Throws GpuUnavailable (nothing to run on) or GpuFault (it runs, but wrongly).
   */
  static async open(gpu: GpuEntry | undefined | null, opts: GpuScannerOptions = {}): Promise<GpuScanner> {
    if (!gpu) throw new GpuUnavailable('no WebGPU in this runtime (navigator.gpu is missing)');
    let adapter: GpuAdapter | null;
    try {
      adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' });
    } catch (err) {
      throw new GpuUnavailable(`WebGPU found no adapter (${(err as Error).message})`);
    }
    if (!adapter) throw new GpuUnavailable('WebGPU found no GPU adapter');
    const summary = classifyAdapter(adapter.info, adapter.isFallbackAdapter === true);
    let device: GpuDevice;
    try {
      device = await adapter.requestDevice();
    } catch (err) {
      throw new GpuUnavailable(`the GPU adapter (${summary.vendor} ${summary.architecture}) gave no device (${(err as Error).message})`);
    }
    try {
      const module = device.createShaderModule({ code: sha256dWgsl(), label: 'sha256d scan' });
      const info = await module.getCompilationInfo?.();
      const errors = info?.messages.filter((m) => m.type === 'error') ?? [];
      if (errors.length) throw new GpuFault('compile', `the WGSL kernel did not compile: ${errors[0].message} (line ${errors[0].lineNum})`);
      const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: 'sha256d scan' });
      const uniform = device.createBuffer({ size: PARAM_WORDS * 4, usage: BUFFER_USAGE.UNIFORM | BUFFER_USAGE.COPY_DST, label: 'params' });
      const outSize = 4 * (1 + CANDIDATE_CAP);
      const out = device.createBuffer({ size: outSize, usage: BUFFER_USAGE.STORAGE | BUFFER_USAGE.COPY_SRC | BUFFER_USAGE.COPY_DST, label: 'candidates' });
      const readback = device.createBuffer({ size: outSize, usage: BUFFER_USAGE.MAP_READ | BUFFER_USAGE.COPY_DST, label: 'readback' });
      const bind = device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: uniform } },
          { binding: 1, resource: { buffer: out } },
        ],
      });
      const s = new GpuScanner(summary, device, pipeline, bind, uniform, out, readback, opts);
      await s.selfTest();
      await s.tune();
      return s;
    } catch (err) {
      device.destroy();
      if (err instanceof GpuFault || err instanceof GpuUnavailable) throw err;
      throw new GpuFault('compile', `the WebGPU kernel could not be set up: ${(err as Error).message}`);
    }
  }

  /** 'webgpu (software adapter swiftshader, 200704 nonces a dispatch)' */
  get detail(): string {
    return `WGSL, one nonce per invocation, midstate and nonce-free words on the CPU, early exit after round 61; ${this.adapter.class} adapter ${this.adapter.vendor}/${this.adapter.architecture}, ${this.perDispatch} nonces a dispatch (~${Math.round(this.tunedMs)} ms)`;
  }

  /** The header (80 bytes; nonce ignored) and target top word the next scans use. */
  setHeader(header80: Uint8Array, topWord: number): void {
    this.header = Uint8Array.from(header80);
    this.params = gpuParams(midstate(this.header), this.header, topWord);
  }

  /**
   * Scans nonces start .. start+count-1 in one dispatch (count <= perDispatch is best; more is
   * split). Throws GpuFault when the device is lost, a dispatch times out or a candidate is wrong.
   */
  async scan(start: number, count: number): Promise<GpuScanResult> {
    if (!this.header) throw new Error('GpuScanner.scan before setHeader');
    if (!Number.isInteger(start) || start < 0 || !Number.isInteger(count) || count < 0 || start + count > 2 ** 32) {
      throw new RangeError(`nonce range ${start} + ${count} is not within 0 .. 2^32`);
    }
    const t0 = performance.now();
    const all: number[] = [];
    let overflow = 0;
    for (let next = start, left = count; left > 0; ) {
      const n = Math.min(left, Math.max(this.perDispatch, WORKGROUP_SIZE));
      const r = await this.dispatch(next, n);
      all.push(...r.candidates);
      overflow += r.overflow;
      next += n;
      left -= n;
    }
    return { candidates: all, hashes: count, overflow, ms: performance.now() - t0 };
  }

  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.device.destroy();
  }

  private async dispatch(start: number, count: number): Promise<{ candidates: number[]; overflow: number }> {
    if (this.lostInfo) throw this.lostFault();
    const header = this.header!;
    const topWord = this.params[PARAM.top];
    const groups = Math.ceil(count / WORKGROUP_SIZE);
    const x = Math.min(groups, this.maxGroups);
    const y = Math.ceil(groups / x);
    this.params[PARAM.base] = start;
    this.params[PARAM.count] = count;
    this.params[PARAM.rowWidth] = x * WORKGROUP_SIZE;
    const q = this.device.queue;
    q.writeBuffer(this.uniform, 0, this.params);
    q.writeBuffer(this.out, 0, new Uint32Array(1));
    const enc = this.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(this.pipeline);
    pass.setBindGroup(0, this.bind);
    pass.dispatchWorkgroups(x, y);
    pass.end();
    enc.copyBufferToBuffer(this.out, 0, this.readback, 0, this.readback.size);
    q.submit([enc.finish()]);
    const fault = this.tuned ? this.opts.testFault : undefined;
    const nth = this.tuned ? ++this.dispatches : 0;
    // TEST HOOK (opts.testFault): the device lost while this dispatch is in flight
    if (fault === 'lost' && nth === 2) this.device.destroy();
    // TEST HOOK: a dispatch that never completes
    const done = fault === 'hang' && nth === 2 ? new Promise<void>(() => {}) : this.readback.mapAsync(MAP_READ);
    const limit = this.opts.timeoutMs ?? (this.tuned ? Math.max(3000, 20 * this.tunedMs) : 30_000);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        done,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new GpuFault(
                  'timeout',
                  `a WebGPU dispatch of ${count} nonces did not finish within ${Math.round(limit)} ms (tuned: ~${Math.round(this.tunedMs)} ms)`,
                ),
              ),
            limit,
          );
        }),
      ]);
    } catch (err) {
      if (err instanceof GpuFault) {
        this.close();
        throw err;
      }
      // a failed map: the device went away under it
      await Promise.resolve();
      if (this.lostInfo || this.closing) throw this.lostFault();
      throw new GpuFault('lost', `reading the WebGPU results failed: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    const words = new Uint32Array(this.readback.getMappedRange().slice(0));
    this.readback.unmap();
    const total = words[0];
    const got = Array.from(words.subarray(1, 1 + Math.min(total, CANDIDATE_CAP)));
    // TEST HOOK: the kernel reports a nonce whose hash does not meet the target
    if (fault === 'wrong' && nth === 2) got.push(wrongNonce(header, start, count, topWord));
    const { good, wrong } = checkCandidates(header, start, count, topWord, got);
    if (wrong !== null) {
      this.close();
      throw new GpuFault(
        'wrong',
        `the WebGPU kernel returned nonce ${wrong >>> 0}, which the CPU check refuses (its hash does not meet the target it was given, or it lies outside ${start}..${start + count - 1}); the kernel is disabled for this session`,
      );
    }
    return { candidates: good, overflow: Math.max(0, total - CANDIDATE_CAP) };
  }

  private lostFault(): GpuFault {
    return new GpuFault('lost', `the GPU device was lost mid-scan (${this.lostInfo ?? 'destroyed'})`);
  }

  /** Each known header scanned around its real nonce at target top word 0: exactly that nonce. */
  private async selfTest(): Promise<void> {
    for (const c of KNOWN_ANSWERS) {
      const header = hexBytes(c.header);
      this.setHeader(header, 0);
      const start = c.nonce - 5000;
      const r = await this.scan(start, 10_000);
      if (r.candidates.length !== 1 || r.candidates[0] !== c.nonce) {
        throw new GpuFault(
          'selftest',
          `the WebGPU kernel failed its known-answer test: expected nonce ${c.nonce} in ${start}..${start + 9999}, got [${r.candidates.slice(0, 4).join(', ')}]`,
        );
      }
    }
  }

  /** Grows the dispatch until one takes 50-100 ms (at most 12 tries, at most 2^28 nonces). */
  private async tune(): Promise<void> {
    const target = this.opts.targetMs ?? 75;
    this.setHeader(hexBytes(KNOWN_ANSWERS[1].header), 0);
    let n = WORKGROUP_SIZE * 256;
    await this.dispatch(0, n); // warm-up
    for (let i = 0; i < 12; i++) {
      const t0 = performance.now();
      await this.dispatch(0, n);
      const ms = Math.max(0.5, performance.now() - t0);
      this.perDispatch = n;
      this.tunedMs = ms;
      if (ms >= target * (2 / 3) || n >= 2 ** 28) break;
      const next = Math.min(2 ** 28, Math.round((n * Math.min(8, target / ms)) / WORKGROUP_SIZE) * WORKGROUP_SIZE);
      if (next <= n) break;
      n = next;
    }
    if (this.tunedMs > target * (4 / 3) && this.perDispatch > WORKGROUP_SIZE * 16) {
      // too long: scale down once (pause must stay prompt)
      this.perDispatch = Math.max(WORKGROUP_SIZE, Math.round((this.perDispatch * target) / this.tunedMs / WORKGROUP_SIZE) * WORKGROUP_SIZE);
      this.tunedMs = target;
    }
    this.tuned = true;
    this.header = null;
  }
}

/** The first nonce of the range whose hash misses the top word (test hook), else one past the range. */
function wrongNonce(header: Uint8Array, start: number, count: number, topWord: number): number {
  for (let n = start; n < start + Math.min(count, 256); n++) if (topWordOfHash(headerHash(withNonce(header, n))) > topWord >>> 0) return n;
  return (start + count) >>> 0;
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
