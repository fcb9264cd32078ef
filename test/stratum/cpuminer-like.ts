// A miner on loopback that handles difficulty as cpuminer 2.5.1 does: `mining.set_difficulty`
// only sets the difficulty of the NEXT work; work (and with it the share target) is rebuilt only
// when a notify brings a job id different from the current work's. It hashes for real (JS kernel)
// and submits every nonce that meets its work's target, each with a fresh extranonce2 per work.
import { assembleHeader, createJsKernel, difficultyToTarget, verifiedScan, u32Hex, type StratumJob } from '../../src/core/index.js';
import { jobOf, type LinePeer, type Msg } from './helpers.js';

const kernel = createJsKernel();

interface Work {
  job: StratumJob;
  difficulty: number;
  extranonce2: string;
  header: Uint8Array;
  target: bigint;
  nonce: number;
}

export class CpuminerLike {
  nextDiff: number;
  work: Work | null = null;
  accepted = 0;
  readonly rejected: unknown[] = [];
  pendingSubmits = 0;
  /** the first difficulty, then every set_difficulty value received, in order */
  readonly difficulties: number[] = [];
  /** works built (job id, difficulty) */
  readonly works: { jobId: string; difficulty: number }[] = [];
  hashing = true;
  /** nonces hashed in all */
  hashes = 0;
  /** the sum of the work difficulty of every accepted share: what the miner itself did */
  acceptedWork = 0;
  private sentAt = new Map<number, number>();
  private en2 = 0;
  private nextId = 1_000_000;

  constructor(
    private readonly peer: LinePeer,
    private readonly user: string,
    private readonly extranonce1: string,
    private readonly extranonce2Size: number,
    initial: { job: StratumJob; difficulty: number },
  ) {
    this.nextDiff = initial.difficulty;
    this.difficulties.push(initial.difficulty);
    this.rebuild(initial.job);
    peer.onMsg = (m) => this.onMsg(m);
  }

  private onMsg(m: Msg): void {
    if (m.method === 'mining.set_difficulty') {
      this.nextDiff = Number(m.params![0]);
      this.difficulties.push(this.nextDiff);
    } else if (m.method === 'mining.notify') {
      const job = jobOf(m.params!);
      if (job.jobId !== this.work?.job.jobId) this.rebuild(job); // the same id: nothing changes
    } else if (typeof m.id === 'number' && m.id >= 1_000_000) {
      this.pendingSubmits--;
      const d = this.sentAt.get(m.id) ?? 0;
      this.sentAt.delete(m.id);
      if (m.result === true) {
        this.accepted++;
        this.acceptedWork += d;
      } else this.rejected.push(m.error);
    }
  }

  private rebuild(job: StratumJob): void {
    const extranonce2 = (this.en2++).toString(16).padStart(this.extranonce2Size * 2, '0');
    const { header } = assembleHeader(job, { extranonce1: this.extranonce1, extranonce2 });
    this.work = { job, difficulty: this.nextDiff, extranonce2, header, target: difficultyToTarget(this.nextDiff), nonce: 0 };
    this.works.push({ jobId: job.jobId, difficulty: this.nextDiff });
  }

  /** Hashes one chunk of the current work and submits what meets its target. */
  step(chunk = 1 << 13): void {
    const w = this.work!;
    if (w.nonce + chunk > 2 ** 32) return;
    for (const f of verifiedScan(kernel, w.header, w.nonce, chunk, w.target)) {
      this.pendingSubmits++;
      this.sentAt.set(this.nextId, w.difficulty);
      this.peer.send({ id: this.nextId++, method: 'mining.submit', params: [this.user, w.job.jobId, w.extranonce2, w.job.ntime, u32Hex(f.nonce)] });
    }
    w.nonce += chunk;
    this.hashes += chunk;
  }

  /** Runs the hashing loop (yielding to the event loop between chunks) until `done()`, within `ms`. */
  async run(done: () => boolean, ms: number, what: string): Promise<void> {
    const t0 = performance.now();
    while (!done()) {
      if (performance.now() - t0 > ms)
        throw new Error(
          `${what}: not within ${ms} ms (difficulties ${this.difficulties.join(', ')}; accepted ${this.accepted}, rejected ${this.rejected.length})`,
        );
      if (this.hashing) this.step();
      await new Promise((r) => setImmediate(r));
      if (!this.hashing) await new Promise((r) => setTimeout(r, 20));
    }
  }
}
