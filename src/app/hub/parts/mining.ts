/**
 * Mining part: the hash pool, the job source and job manager (work units, share validation,
 * WorkerStats), the local Stratum endpoint and the browser worker page's hookup to it.
 *
 * emits: share, block, blockResult, job (from the job manager); workerState (connect/disconnect)
 * consumes: command (reset_session: a new WorkerStats session)
 * offers: handles `server`, `workerPage`, `network`
 */
import { nbitsToDifficulty, parseU32Hex, type StratumJob } from '../../../core/index.js';
import { redactUrl } from '../../../log.js';
import { StratumServer } from '../../../stratum/index.js';
import { WorkerPage } from '../../../web/index.js';
import type { BlockEvent, ShareEvent } from '../../../work/index.js';
import { Part } from '../context.js';
import type { BlockResult } from '../bus.js';

export class MiningPart extends Part {
  readonly name = 'mining';
  private networkDifficulty: number | undefined;

  async start(): Promise<void> {
    const ctx = this.ctx;
    const c = ctx.config;
    const { pool, manager, bus } = ctx;
    await pool.start();
    this.stops.add('hash pool', () => pool.stop());

    const onBlockResult = (o: BlockResult) => void bus.emit('blockResult', o);
    const onJob = (job: StratumJob) => {
      try {
        this.networkDifficulty = nbitsToDifficulty(parseU32Hex(job.nbits, 'nbits'));
      } catch {
        /* a malformed nbits is the validator's business */
      }
      void bus.emit('job', job);
    };
    const onShare = (e: ShareEvent) => void bus.emit('share', e);
    const onBlock = (e: BlockEvent) => void bus.emit('block', e);
    manager.on('blockResult', onBlockResult);
    manager.on('job', onJob);
    manager.stats.on('share', onShare);
    manager.stats.on('block', onBlock);
    this.stops.add('job manager listeners', () => {
      manager.off('blockResult', onBlockResult);
      manager.off('job', onJob);
      manager.stats.off('share', onShare);
      manager.stats.off('block', onBlock);
    });
    ctx.provide('network', { difficulty: () => this.networkDifficulty });
    await manager.start();
    this.stops.add('job source', () => manager.stop());
    manager.attachPool(pool);
    ctx.log.info({ source: c.node ? redactUrl(c.node.url) : c.pool ? redactUrl(c.pool.url) : 'practice' }, `job source: ${manager.label}`);

    // HA's "reset session" button: the session tally starts again (lifetime totals stay)
    this.on('command', (cmd) => {
      if (cmd.kind === 'reset_session') manager.stats.resetSession();
    });

    let server: StratumServer | null = null;
    if (c.stratum.enabled) {
      server = new StratumServer({
        control: ctx.obedience.control,
        backend: manager,
        port: c.stratum.port,
        host: c.stratum.bind,
        password: c.stratum.password ?? undefined,
        maxConnections: c.stratum.maxMiners,
        maxWorkerNames: c.stratum.maxWorkerDevices,
        vardiff: { targetIntervalS: c.stratum.shareIntervalS },
        logger: ctx.logger('stratum'),
      });
      await server.start();
      const s = server;
      this.stops.add('stratum endpoint', () => s.stop());
      s.on('connect', () => void bus.emit('workerState', { change: 'connect', at: Date.now() }));
      s.on('disconnect', () => void bus.emit('workerState', { change: 'disconnect', at: Date.now() }));
      ctx.provide('server', s);
    }

    // the browser worker page (src/web): its WebSocket becomes one more connection of the endpoint
    const endpoint = server;
    const page = new WorkerPage({
      accept: endpoint ? (socket) => endpoint.accept(socket) : null,
      passwordRequired: Boolean(c.stratum.password),
      gpu: c.workerPageGpu,
      log: ctx.logger('worker-page'),
    });
    ctx.provide('workerPage', page);
    this.stops.add('worker page', () => page.stop());
  }
}
