/**
 * Job sources: the upstream pool (through the Stratum client) and the practice source
 * (correctly formed templates made locally, at a low share difficulty; it earns nothing).
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { bytesToHex, sha256d, swapWords, u32Hex, type StratumJob } from '../core/index.js';
import { logger as makeLogger, type Logger } from '../log.js';
import { StratumClient, type StratumClientOptions, type SubmitOutcome, type UpstreamSubmit } from '../stratum/index.js';

export interface SourceSession {
  /** increases whenever earlier jobs become invalid (a new pool connection, a new extranonce1) */
  session: number;
  extranonce1: string;
  extranonce2Size: number;
  /** version bits the source lets miners roll */
  versionMask: number;
}

/** A share that meets the network target, as the manager hands it to a source that takes blocks. */
export interface BlockCandidate {
  /** the source's job id */
  jobId: string;
  /** extranonce2 relative to the source's extranonce1 (the miner's slot prefix included) */
  extranonce2: string;
  /** the solved 80-byte header (rolled version, ntime and nonce in it) */
  header: Uint8Array;
}

/** What the node said about a block. */
export interface BlockOutcome {
  accepted: boolean;
  /** display order */
  hash: string;
  height: number;
  /** the node's reason when not accepted */
  reason?: string;
  ms: number;
  at: number;
}

/**
 * A source of jobs. Events: 'session' (SourceSession), 'job' (StratumJob), 'difficulty' (number),
 * 'lost' (no work until the next 'session').
 */
export interface JobSource extends EventEmitter {
  readonly kind: 'upstream' | 'practice' | 'node';
  /** shown to users: the pool without credentials, or "practice (earns nothing)" */
  readonly label: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  current(): SourceSession | null;
  difficulty(): number;
  submit(share: UpstreamSubmit): Promise<SubmitOutcome>;
  /** sources that take whole blocks (the user's node): sent at once when a share meets the network target */
  submitBlock?(candidate: BlockCandidate): Promise<BlockOutcome>;
}

/** Jobs from an upstream Stratum pool. */
export class UpstreamSource extends EventEmitter implements JobSource {
  readonly kind = 'upstream' as const;
  readonly client: StratumClient;
  private sess: SourceSession | null = null;
  private counter = 0;

  constructor(options: StratumClientOptions) {
    super();
    this.client = new StratumClient(options);
    this.client.on('connected', (info) => {
      this.sess = { session: ++this.counter, extranonce1: info.extranonce1, extranonce2Size: info.extranonce2Size, versionMask: info.versionMask };
      this.emit('session', { ...this.sess });
    });
    this.client.on('extranonce', (e: { extranonce1: string; extranonce2Size: number }) => {
      if (!this.sess) return;
      this.sess = { ...this.sess, session: ++this.counter, extranonce1: e.extranonce1, extranonce2Size: e.extranonce2Size };
      this.emit('session', { ...this.sess });
    });
    this.client.on('versionMask', (mask: number) => {
      if (!this.sess) return;
      this.sess = { ...this.sess, versionMask: mask };
      this.emit('session', { ...this.sess });
    });
    this.client.on('difficulty', (d: number) => this.emit('difficulty', d));
    this.client.on('job', (j: StratumJob) => this.emit('job', j));
    this.client.on('disconnected', () => {
      this.sess = null;
      this.emit('lost');
    });
  }

  get label(): string {
    return this.client.connected?.url ?? 'pool (connecting)';
  }

  start(): Promise<void> {
    return this.client.start();
  }

  stop(): Promise<void> {
    return this.client.stop();
  }

  current(): SourceSession | null {
    return this.sess ? { ...this.sess } : null;
  }

  difficulty(): number {
    return this.client.difficulty || 1;
  }

  submit(share: UpstreamSubmit): Promise<SubmitOutcome> {
    return this.client.submit(share);
  }
}

export interface PracticeOptions {
  /** share difficulty of practice jobs (default 0.001) */
  difficulty?: number;
  /** seconds between jobs (default 30) */
  jobIntervalS?: number;
  /** seconds between practice "blocks" (a new prevhash, clean_jobs) (default 600) */
  blockIntervalS?: number;
  /** compact network target written in the jobs (default 0x17027726, a recent mainnet value) */
  nbits?: number;
  /** first height (default 900000) */
  height?: number;
  /** transactions besides the coinbase, i.e. merkle branches come from 1 + this (default 5) */
  transactions?: number;
  logger?: Logger;
}

export const PRACTICE_LABEL = 'practice (no pool; earns nothing)';
const PRACTICE_TAG = '/micro-mining practice: earns nothing/';

/**
 * Local block templates in the real format (BIP34 height, an extranonce push in the coinbase
 * scriptSig, an OP_RETURN output of value 0, merkle branches of stand-in transactions, a recent
 * mainnet nBits), so the whole pipeline runs without a network. Nothing it makes can earn.
 */
export class PracticeSource extends EventEmitter implements JobSource {
  readonly kind = 'practice' as const;
  readonly label = PRACTICE_LABEL;
  private readonly opts: Required<Omit<PracticeOptions, 'logger'>>;
  private readonly log: Logger;
  private sess: SourceSession | null = null;
  private timer: NodeJS.Timeout | null = null;
  private height: number;
  private prevhash = '';
  private seq = 0;
  private lastBlock = 0;
  private txids: string[] = [];

  constructor(options: PracticeOptions = {}) {
    super();
    this.opts = {
      difficulty: options.difficulty ?? 0.001,
      jobIntervalS: options.jobIntervalS ?? 30,
      blockIntervalS: options.blockIntervalS ?? 600,
      nbits: options.nbits ?? 0x17027726,
      height: options.height ?? 900_000,
      transactions: options.transactions ?? 5,
    };
    this.height = this.opts.height;
    this.log = options.logger ?? makeLogger('practice');
  }

  async start(): Promise<void> {
    if (this.sess) return;
    // 2 bytes of extranonce1 and 6 of extranonce2: household miners get 4 + 4, like a real pool
    this.sess = { session: 1, extranonce1: bytesToHex(randomBytes(2)), extranonce2Size: 6, versionMask: 0x1fffe000 };
    this.log.info({ difficulty: this.opts.difficulty }, 'practice job source: local templates, no pool, earns nothing');
    this.emit('session', { ...this.sess });
    this.emit('difficulty', this.opts.difficulty);
    this.newBlock();
    this.emitJob(true);
    this.timer = setInterval(() => this.tick(), this.opts.jobIntervalS * 1000);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sess = null;
  }

  current(): SourceSession | null {
    return this.sess ? { ...this.sess } : null;
  }

  difficulty(): number {
    return this.opts.difficulty;
  }

  async submit(): Promise<SubmitOutcome> {
    return { accepted: true, ms: 0, message: 'practice: nothing is sent anywhere' };
  }

  /** Makes the next job now (tests and the clean-jobs path use it). */
  next(clean: boolean): StratumJob {
    if (clean) this.newBlock();
    return this.emitJob(clean);
  }

  private tick(): void {
    const clean = Date.now() - this.lastBlock >= this.opts.blockIntervalS * 1000;
    if (clean) this.newBlock();
    this.emitJob(clean);
  }

  private newBlock(): void {
    this.height++;
    this.lastBlock = Date.now();
    // a block hash: random, with the zero bytes real hashes have at the top (display order)
    const raw = randomBytes(32);
    raw.fill(0, 22);
    this.prevhash = bytesToHex(swapWords(raw));
    this.txids = [];
  }

  private emitJob(clean: boolean): StratumJob {
    // stand-in transactions: one more each job, like a mempool filling up
    while (this.txids.length < this.opts.transactions + (this.seq % 3)) this.txids.push(bytesToHex(sha256d(randomBytes(64))));
    const job = practiceJob({
      jobId: (++this.seq).toString(16),
      height: this.height,
      prevhash: this.prevhash,
      txids: this.txids,
      extranonceBytes: (this.sess?.extranonce1.length ?? 4) / 2 + (this.sess?.extranonce2Size ?? 6),
      nbits: this.opts.nbits,
      ntime: Math.floor(Date.now() / 1000),
      clean,
    });
    this.emit('job', job);
    return job;
  }
}

/** Builds one practice job in the exact Stratum form. */
export function practiceJob(p: {
  jobId: string;
  height: number;
  prevhash: string;
  txids: string[];
  extranonceBytes: number;
  nbits: number;
  ntime: number;
  clean: boolean;
}): StratumJob {
  const heightPush = scriptNumPush(p.height);
  const tag = Buffer.from(PRACTICE_TAG, 'ascii');
  const tagPush = Buffer.concat([Buffer.from([tag.length]), tag]);
  const scriptLen = heightPush.length + tagPush.length + 1 + p.extranonceBytes;
  const coinb1 = Buffer.concat([
    Buffer.from('01000000', 'hex'), // version
    Buffer.from([1]), // one input
    Buffer.alloc(32), // null prevout
    Buffer.from('ffffffff', 'hex'),
    Buffer.from([scriptLen]),
    heightPush,
    tagPush,
    Buffer.from([p.extranonceBytes]), // the extranonce is one data push
  ]);
  const opReturn = Buffer.concat([Buffer.from([0x6a, tag.length]), tag]);
  const coinb2 = Buffer.concat([
    Buffer.from('ffffffff', 'hex'), // sequence
    Buffer.from([1]), // one output
    Buffer.alloc(8), // value 0: practice pays nobody
    Buffer.from([opReturn.length]),
    opReturn,
    Buffer.alloc(4), // locktime
  ]);
  return {
    jobId: p.jobId,
    prevhash: p.prevhash,
    coinb1: coinb1.toString('hex'),
    coinb2: coinb2.toString('hex'),
    merkleBranch: merkleBranches(p.txids),
    version: '20000000',
    nbits: u32Hex(p.nbits),
    ntime: u32Hex(p.ntime),
    cleanJobs: p.clean,
  };
}

/** The branches a miner needs for the coinbase at index 0 among these transaction ids (raw order). */
export function merkleBranches(txids: string[]): string[] {
  let level: (Uint8Array | null)[] = [null, ...txids.map((t) => Buffer.from(t, 'hex'))];
  const out: string[] = [];
  while (level.length > 1) {
    out.push(bytesToHex(level[1] ?? (level[0] as Uint8Array)));
    const next: (Uint8Array | null)[] = [null];
    for (let i = 2; i < level.length; i += 2) {
      const a = level[i] as Uint8Array;
      const b = (level[i + 1] ?? a) as Uint8Array;
      next.push(sha256d(Buffer.concat([a, b])));
    }
    level = next;
  }
  return out;
}

/** BIP34 height push (minimal little-endian script number). */
function scriptNumPush(n: number): Buffer {
  const bytes: number[] = [];
  let v = n;
  while (v > 0) {
    bytes.push(v & 0xff);
    v = Math.floor(v / 256);
  }
  if (bytes.length && bytes[bytes.length - 1] & 0x80) bytes.push(0);
  return Buffer.from([bytes.length, ...bytes]);
}
