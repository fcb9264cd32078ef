/**
 * A household miner made of the project's own parts: a Stratum client toward a pool (or the
 * hub's local endpoint), the job manager, and the hub hash pool hashing with the project's core.
 * The end-to-end tests run it as a second process; anyone may point it at a pool.
 */
import { EventEmitter } from 'node:events';
import { HashPool, type HashPoolOptions } from '../hashpool/index.js';
import { logger as makeLogger, type Logger } from '../log.js';
import type { StratumClientOptions } from '../stratum/index.js';
import { JobManager } from './manager.js';
import { UpstreamSource } from './sources.js';

export interface HouseholdMinerOptions {
  /** stratum+tcp://host:port of the pool or of the hub's endpoint */
  url: string;
  user: string;
  password?: string;
  /** hashing threads (default 1) */
  threads?: number;
  kernel?: HashPoolOptions['kernel'];
  /** priority of the hashing threads, 0..19 (default 19: the lowest) */
  nice?: number;
  /** asks the pool for this difficulty (mining.suggest_difficulty) */
  suggestDifficulty?: number;
  userAgent?: string;
  /** more client options (TLS, backoff) */
  client?: Partial<StratumClientOptions>;
  logger?: Logger;
}

export interface HouseholdMinerStats {
  hashrate: number;
  hashes: number;
  found: number;
  accepted: number;
  rejected: number;
  connected: boolean;
  difficulty: number;
}

/** Events: 'share' ({accepted, code?, message?}), 'connected', 'disconnected'. */
export class HouseholdMiner extends EventEmitter {
  readonly source: UpstreamSource;
  readonly manager: JobManager;
  readonly pool: HashPool;
  private accepted = 0;
  private rejected = 0;
  private found = 0;
  private readonly log: Logger;

  constructor(opts: HouseholdMinerOptions) {
    super();
    this.log = opts.logger ?? makeLogger('household-miner');
    this.source = new UpstreamSource({
      url: opts.url,
      user: opts.user,
      password: opts.password,
      suggestDifficulty: opts.suggestDifficulty,
      userAgent: opts.userAgent ?? 'micro-mining-household/0.1.0',
      backoffMinMs: 500,
      backoffMaxMs: 10_000,
      ...opts.client,
      logger: this.log,
    });
    this.manager = new JobManager({ source: this.source, hubWorker: 'local', logger: this.log });
    this.pool = new HashPool({
      threads: opts.threads ?? 1,
      maxThreads: Math.max(1, opts.threads ?? 1),
      kernel: opts.kernel ?? 'auto',
      nice: opts.nice,
      logger: this.log,
    });
    this.manager.stats.on('share', (e: { accepted: boolean }) => {
      if (e.accepted) this.found++;
    });
    this.manager.stats.on('upstream', (e: { accepted: boolean; code?: number; message?: string }) => {
      if (e.accepted) this.accepted++;
      else this.rejected++;
      this.emit('share', { accepted: e.accepted, code: e.code, message: e.message });
    });
    this.source.client.on('connected', (i) => this.emit('connected', i));
    this.source.client.on('disconnected', (i) => this.emit('disconnected', i));
  }

  async start(): Promise<void> {
    await this.pool.start();
    await this.manager.start();
    this.manager.attachPool(this.pool);
  }

  async stop(): Promise<void> {
    this.manager.detachPool();
    await this.manager.stop();
    await this.pool.stop();
  }

  stats(): HouseholdMinerStats {
    const p = this.pool.stats();
    return {
      hashrate: p.hashrate,
      hashes: p.hashes,
      found: this.found,
      accepted: this.accepted,
      rejected: this.rejected,
      connected: this.source.current() !== null,
      difficulty: this.source.difficulty(),
    };
  }
}
