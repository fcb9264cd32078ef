// A miner that keeps hashing its last job, as cpuminer 2.5.1 and its forks do with Stratum: its
// work changes only when a notify brings a new job id, and (cpuminer's rule, `maxJobAgeS`) it stops
// hashing once the job it has is older than that (cpuminer: 120 s since the job id first came).
// Without `maxJobAgeS` it hashes its last job for ever. It hashes for real (JS kernel) and submits
// every nonce that meets its target.
import { assembleHeader, createJsKernel, difficultyToTarget, u32Hex, verifiedScan, type StratumJob } from '../../src/core/index.js';
import { jobOf, type LinePeer, type Msg } from '../stratum/helpers.js';

const kernel = createJsKernel();

export class LastJobMiner {
  job: StratumJob;
  jobAt = performance.now();
  difficulty: number;
  header: Uint8Array;
  nonce = 0;
  readonly submits: { at: number; jobId: string }[] = [];
  readonly results: { at: number; ok: boolean; code: number | null }[] = [];
  /** performance.now() when it stopped hashing by the job-age rule */
  stoppedAt: number | null = null;
  private en2 = 0;
  private en2hex = '';
  private nextId = 1_000_000;
  private running = false;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly peer: LinePeer,
    private readonly user: string,
    private readonly extranonce1: string,
    private readonly extranonce2Size: number,
    initial: { job: StratumJob; difficulty: number },
    private readonly maxJobAgeS: number | null,
  ) {
    this.difficulty = initial.difficulty;
    this.job = initial.job;
    this.header = this.build(initial.job);
    peer.onMsg = (m) => this.onMsg(m);
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private onMsg(m: Msg): void {
    if (m.method === 'mining.set_difficulty') this.difficulty = Number(m.params![0]);
    else if (m.method === 'mining.notify') {
      const job = jobOf(m.params!);
      if (job.jobId !== this.job.jobId) {
        this.job = job;
        this.jobAt = performance.now();
        this.header = this.build(job);
        this.stoppedAt = null;
      }
    } else if (typeof m.id === 'number' && m.id >= 1_000_000) {
      const code = Array.isArray(m.error) ? Number(m.error[0]) : m.error ? 20 : null;
      this.results.push({ at: performance.now(), ok: m.result === true, code });
    }
  }

  private build(job: StratumJob): Uint8Array {
    const extranonce2 = (this.en2++).toString(16).padStart(this.extranonce2Size * 2, '0');
    this.nonce = 0;
    this.en2hex = extranonce2;
    return assembleHeader(job, { extranonce1: this.extranonce1, extranonce2 }).header;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const aged = this.maxJobAgeS !== null && performance.now() - this.jobAt > this.maxJobAgeS * 1000;
      if (aged) {
        this.stoppedAt ??= performance.now();
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      const chunk = 1 << 12;
      if (this.nonce + chunk <= 2 ** 32) {
        const target = difficultyToTarget(this.difficulty);
        for (const f of verifiedScan(kernel, this.header, this.nonce, chunk, target)) {
          this.submits.push({ at: performance.now(), jobId: this.job.jobId });
          this.peer.send({ id: this.nextId++, method: 'mining.submit', params: [this.user, this.job.jobId, this.en2hex, this.job.ntime, u32Hex(f.nonce)] });
        }
        this.nonce += chunk;
      }
      await new Promise((r) => setImmediate(r));
    }
  }
}
