import { EventEmitter, once } from 'node:events';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { InputError, loadKernel, selectKernel, topWordOf, verifyCandidates, type KernelChoice } from '../core/index.js';
import { logger as makeLogger, type Logger } from '../log.js';
import { CTRL_GENERATION, CTRL_SLOT_BASE, type ScanResult, type ScanTask } from './protocol.js';

/** One unit of work: a header (job + extranonce2) and a nonce range no other worker searches. */
export interface WorkUnit {
  jobId: string;
  extranonce2: string;
  /** 80 bytes; the nonce field is ignored */
  header: Uint8Array;
  /** share target: a hash (as a little-endian 256-bit integer) at or below it is a find */
  target: bigint;
  start: number;
  /** start + count <= 2^32 */
  count: number;
  meta?: unknown;
}

/** Called whenever a thread needs work; null means nothing to do now. */
export type UnitSource = () => WorkUnit | null;

export interface PoolFind {
  unit: WorkUnit;
  nonce: number;
  hashRaw: Uint8Array;
  /** display order */
  hash: string;
  difficulty: number;
}

export interface PoolStats {
  threads: number;
  maxThreads: number;
  /** H/s over the last few seconds; 0 when paused or without work */
  hashrate: number;
  perThread: number[];
  /** nonces hashed since start */
  hashes: number;
  kernel: string;
  /** why this kernel */
  kernelWhy: string;
}

export interface HashPoolOptions {
  /** threads to run at start (default: cores - 1, at least 1) */
  threads?: number;
  /** upper bound for setThreads (default: the core count) */
  maxThreads?: number;
  /** a kernel, or auto; 'naive' only for benchmarks */
  kernel?: KernelChoice | 'naive';
  /** thread priority of the hashing threads, 0..19 (default 19: the lowest, so Home Assistant never waits) */
  nice?: number;
  /** milliseconds of hashing per task before it reports back (finds and rate), default 200 */
  taskMs?: number;
  logger?: Logger;
}

interface Slot {
  index: number;
  loop: Promise<void> | null;
  unit: WorkUnit | null;
  next: number;
  /** recent (time ms, hashes, seconds) samples for the rate */
  samples: { t: number; hashes: number; seconds: number }[];
  busy: boolean;
}

const RATE_WINDOW_MS = 5000;
const IDLE_POLL_MS = 250;

/**
 * The hub's hashing threads: a piscina pool running scan tasks of work units. Changing the work
 * or the thread count takes effect within one batch of a few milliseconds (a shared flag checked
 * between batches); `stop()` leaves no worker behind.
 */
export class HashPool extends EventEmitter {
  readonly maxThreads: number;
  private readonly opts: Required<Omit<HashPoolOptions, 'logger' | 'threads' | 'maxThreads'>>;
  private readonly log: Logger;
  private readonly control: SharedArrayBuffer;
  private readonly ctrl: Int32Array;
  private piscina: Piscina<ScanTask, ScanResult> | null = null;
  private source: UnitSource | null = null;
  private slots: Slot[] = [];
  private wanted: number;
  private running = false;
  private kernelName = '';
  private kernelWhy = '';
  private kernelDetail = '';
  private totalHashes = 0;
  private wake = new EventEmitter();

  constructor(options: HashPoolOptions = {}) {
    super();
    const cores = availableParallelism();
    this.maxThreads = options.maxThreads ?? cores;
    if (!Number.isInteger(this.maxThreads) || this.maxThreads < 1 || this.maxThreads > 256) {
      throw new InputError(`maxThreads must be an integer in 1..256, got ${options.maxThreads}`, 'threads');
    }
    this.wanted = this.checkThreads(options.threads ?? Math.max(1, cores - 1));
    this.opts = { kernel: options.kernel ?? 'auto', nice: options.nice ?? 19, taskMs: options.taskMs ?? 200 };
    this.log = options.logger ?? makeLogger('hashpool');
    this.control = new SharedArrayBuffer(4 * (CTRL_SLOT_BASE + this.maxThreads));
    this.ctrl = new Int32Array(this.control);
    this.wake.setMaxListeners(0);
    for (let i = 0; i < this.maxThreads; i++) {
      this.slots.push({ index: i, loop: null, unit: null, next: 0, samples: [], busy: false });
    }
  }

  get threads(): number {
    return this.wanted;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const sel =
      this.opts.kernel === 'naive'
        ? await (async () => {
            const r = await loadKernel('naive');
            if (!r.kernel) throw new Error(r.reason);
            return { kernel: r.kernel, why: 'naive baseline (benchmark)', skipped: [], rates: {} };
          })()
        : await selectKernel(this.opts.kernel);
    for (const s of sel.skipped) this.log.warn({ kernel: s.name, reason: s.reason }, `kernel ${s.name} skipped: ${s.reason}`);
    this.kernelName = sel.kernel.name;
    this.kernelDetail = sel.kernel.detail;
    this.kernelWhy = sel.why;
    sel.kernel.close?.();
    this.log.info({ kernel: this.kernelName, rates: sel.rates }, sel.why);
    this.piscina = new Piscina<ScanTask, ScanResult>({
      filename: fileURLToPath(new URL('./worker-entry.mjs', import.meta.url)),
      minThreads: 0,
      maxThreads: this.maxThreads,
      idleTimeout: 30_000,
      // each slot has at most one task in flight, so the queue stays short
      maxQueue: this.maxThreads * 2,
    });
    this.piscina.on('error', (err: unknown) => this.log.error({ err }, 'hash worker failed'));
    this.running = true;
    this.applyThreads();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (let i = 0; i < this.maxThreads; i++) Atomics.store(this.ctrl, CTRL_SLOT_BASE + i, 1);
    Atomics.add(this.ctrl, CTRL_GENERATION, 1);
    this.wake.emit('wake');
    await Promise.allSettled(this.slots.map((s) => s.loop));
    const p = this.piscina;
    this.piscina = null;
    await p?.destroy();
  }

  /** Replaces the work source; units in flight are cancelled. */
  setSource(source: UnitSource | null): void {
    this.source = source;
    this.cancelAll();
  }

  /** Cancels in-flight units of one job (a pool's clean_jobs); other units go on where they were. */
  cancelJob(jobId: string): void {
    let hit = false;
    for (const s of this.slots) {
      if (s.unit?.jobId === jobId) {
        s.unit = null;
        hit = true;
      }
    }
    if (hit) {
      Atomics.add(this.ctrl, CTRL_GENERATION, 1);
      this.wake.emit('wake');
    }
  }

  /** Sets the number of hashing threads, 0 (paused) to maxThreads. */
  setThreads(n: number): void {
    this.wanted = this.checkThreads(n);
    if (this.running) this.applyThreads();
  }

  stats(): PoolStats {
    const now = performance.now();
    const perThread = this.slots.map((s) => (s.index < this.wanted && this.running ? slotRate(s, now) : 0));
    return {
      threads: this.wanted,
      maxThreads: this.maxThreads,
      hashrate: perThread.reduce((a, b) => a + b, 0),
      perThread: perThread.slice(0, Math.max(this.wanted, 0)),
      hashes: this.totalHashes,
      kernel: this.kernelName,
      kernelWhy: this.kernelWhy,
    };
  }

  /** Threads with a scan task in flight now: 0 after a pause means no thread hashes any more. */
  get activeThreads(): number {
    return this.slots.filter((s) => s.busy).length;
  }

  /** Details of the kernel in use (after start). */
  get kernel(): { name: string; detail: string; why: string } {
    return { name: this.kernelName, detail: this.kernelDetail, why: this.kernelWhy };
  }

  private checkThreads(n: number): number {
    if (!Number.isInteger(n) || n < 0 || n > this.maxThreads) {
      throw new InputError(`threads must be an integer in 0..${this.maxThreads}, got ${n}`, 'threads');
    }
    return n;
  }

  private cancelAll(): void {
    for (const s of this.slots) s.unit = null;
    Atomics.add(this.ctrl, CTRL_GENERATION, 1);
    this.wake.emit('wake');
  }

  private applyThreads(): void {
    for (const s of this.slots) {
      const on = s.index < this.wanted;
      Atomics.store(this.ctrl, CTRL_SLOT_BASE + s.index, on ? 0 : 1);
      if (!on) s.samples = [];
      if (on && !s.loop) {
        s.loop = this.runSlot(s).finally(() => {
          s.loop = null;
          // the thread count may have gone up again while this loop was ending
          if (this.running && s.index < this.wanted) this.applyThreads();
        });
      }
    }
    this.wake.emit('wake');
  }

  private async runSlot(s: Slot): Promise<void> {
    while (this.running && s.index < this.wanted) {
      if (!s.unit || s.next >= s.unit.start + s.unit.count) {
        s.unit = this.nextUnit();
        if (s.unit) s.next = s.unit.start;
        else {
          s.samples = [];
          await this.sleepUntilWake(IDLE_POLL_MS);
          continue;
        }
      }
      const unit = s.unit;
      const generation = Atomics.load(this.ctrl, CTRL_GENERATION);
      let result: ScanResult;
      try {
        s.busy = true;
        result = await this.piscina!.run({
          kernel: this.kernelName,
          control: this.control,
          slot: s.index,
          generation,
          header: unit.header,
          topWord: topWordOf(unit.target),
          start: s.next,
          count: unit.start + unit.count - s.next,
          budgetMs: this.opts.taskMs,
          nice: this.opts.nice,
        });
      } catch (err) {
        if (!this.running) return;
        this.log.error({ err }, 'scan task failed');
        this.emit('error', err);
        s.unit = null;
        await this.sleepUntilWake(1000);
        continue;
      } finally {
        s.busy = false;
      }
      this.totalHashes += result.hashes;
      s.samples.push({ t: performance.now(), hashes: result.hashes, seconds: result.seconds });
      trimSamples(s, performance.now());
      if (result.candidates.length) {
        for (const f of verifyCandidates(unit.header, result.candidates, unit.target)) {
          this.emit('find', { unit, nonce: f.nonce, hashRaw: f.hashRaw, hash: f.hash, difficulty: f.difficulty } satisfies PoolFind);
        }
      }
      if (s.unit === unit) {
        s.next = result.next;
        if (s.next >= unit.start + unit.count) this.emit('unitDone', unit);
      }
    }
  }

  private nextUnit(): WorkUnit | null {
    if (!this.source) return null;
    try {
      const u = this.source();
      if (!u) return null;
      if (u.header.length !== 80 || u.count <= 0 || u.start < 0 || u.start + u.count > 2 ** 32) {
        this.log.error({ jobId: u.jobId, start: u.start, count: u.count }, 'work source gave a malformed unit; skipped');
        return null;
      }
      return u;
    } catch (err) {
      this.log.error({ err }, 'work source failed');
      return null;
    }
  }

  private async sleepUntilWake(ms: number): Promise<void> {
    const ac = new AbortController();
    const t = setTimeout(() => ac.abort(), ms);
    try {
      await once(this.wake, 'wake', { signal: ac.signal });
    } catch {
      /* timed out */
    } finally {
      clearTimeout(t);
    }
  }
}

function trimSamples(s: Slot, now: number): void {
  while (s.samples.length && now - s.samples[0].t > RATE_WINDOW_MS) s.samples.shift();
}

function slotRate(s: Slot, now: number): number {
  trimSamples(s, now);
  if (!s.samples.length) return 0;
  let h = 0;
  let sec = 0;
  for (const x of s.samples) {
    h += x.hashes;
    sec += x.seconds;
  }
  // a slot that has not reported for a while (no work) reads 0
  if (now - s.samples[s.samples.length - 1].t > 2000 && !s.busy) return 0;
  return sec > 0 ? h / sec : 0;
}
