/**
 * The hub: a short list of parts over one typed event bus (docs/architecture.md).
 *
 *   job source -> job manager -> hash pool + local Stratum endpoint -> share validation ->
 *   WorkerStats -> snapshot -> MQTT entities / status page / terminal;
 *   HA appliances -> the flow (embedded Node-RED, or the scheduler directly) -> plans applied to
 *   the hash pool and the workers.
 *
 * A NEW PART goes in its own file under parts/ (extend Part from context.ts: start(), and stop()
 * comes with it) and one line in PARTS below. It talks to the others over the bus (bus.ts) and
 * through the handles of the context (context.ts); it never edits another part's file.
 */
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { HashPool } from '../../hashpool/index.js';
import type { FlowRuntime, InProcessHub } from '../../flow/index.js';
import type { HaAppliances } from '../../ha/index.js';
import { logger, type Logger } from '../../log.js';
import type { EmbeddedBroker, MinerCommand, MinerSnapshot, MqttEntities } from '../../mqtt/index.js';
import type { StratumServer } from '../../stratum/index.js';
import type { JobManager } from '../../work/index.js';
import type { Config } from '../config.js';
import type { Obedience } from '../obedience.js';
import type { HubStatus, StatusServer } from '../status.js';
import type { HubBus } from './bus.js';
import { createContext, type HubContext, type HubOverrides, type HubPart, type PartFactory } from './context.js';
import { snapshotNow } from './inputs.js';
import { AxeosPart } from './parts/axeos.js';
import { BlocksPart } from './parts/blocks.js';
import { DataLockPart } from './parts/data-lock.js';
import { HistoryPart } from './parts/history.js';
import { MiningPart } from './parts/mining.js';
import { MqttPart } from './parts/mqtt.js';
import { ObediencePart } from './parts/obedience.js';
import { PowerPart } from './parts/power.js';
import { SchedulingPart } from './parts/scheduling.js';
import { StatusPart } from './parts/status-page.js';
import { TotalsPart } from './parts/totals.js';
import type { TickSnapshot } from './snapshot.js';

export type { HubOverrides } from './context.js';

/** The parts, in start order (they stop in reverse). One line per part. */
export const PARTS: readonly PartFactory[] = [
  (ctx) => new DataLockPart(ctx), // one hub per data folder (hub.lock)
  (ctx) => new TotalsPart(ctx), // lifetime totals, energy tally
  (ctx) => new HistoryPart(ctx), // the on-disk history ring: figures and plan decisions per tick
  (ctx) => new ObediencePart(ctx), // how workers obey the plan; HA switches of plain miners
  (ctx) => new MiningPart(ctx), // hash pool, job source, Stratum endpoint, worker page hookup
  (ctx) => new SchedulingPart(ctx), // planner, HA appliances, Node-RED flow or direct planning
  (ctx) => new BlocksPart(ctx), // HA event and notification for a found block
  (ctx) => new AxeosPart(ctx), // Bitaxe / AxeOS miners: linked, read, steered, paused (src/axeos)
  (ctx) => new PowerPart(ctx), // a power target met by the whole fleet (power_target)
  (ctx) => new MqttPart(ctx), // HA entities over MQTT, embedded broker, Node-RED bridge
  (ctx) => new StatusPart(ctx), // status page, /api/status, worker page, editor proxy
];

/** A hub running from one validated configuration. */
export class Hub {
  readonly log: Logger;
  readonly cores = availableParallelism();
  private ctx: HubContext | null = null;
  private parts: HubPart[] = [];
  private timers: NodeJS.Timeout[] = [];
  private stopping: Promise<void> | null = null;
  private readonly tickMs: number;

  constructor(
    readonly config: Config,
    private readonly overrides: HubOverrides = {},
    private readonly partList: readonly PartFactory[] = PARTS,
  ) {
    this.log = overrides.logger ?? logger('hub');
    this.tickMs = overrides.tickMs ?? 5000;
  }

  /** Starts every part in order; a part that fails to start stops what was started and throws. */
  async start(): Promise<void> {
    const c = this.config;
    mkdirSync(c.dataDir, { recursive: true });
    for (const w of c.warnings) this.log.warn(w);
    const ctx = createContext({
      config: c,
      overrides: this.overrides,
      log: this.log,
      cores: this.cores,
      snapshot: () => snapshotNow(ctx),
      stopping: () => this.stopping !== null,
    });
    this.ctx = ctx;
    for (const make of this.partList) {
      const part = make(ctx);
      this.parts.push(part);
      try {
        await part.start();
      } catch (err) {
        await this.stop();
        throw err;
      }
    }
    let last = Date.now();
    const t = setInterval(
      () => {
        if (this.stopping) return;
        const now = Date.now();
        void ctx.bus.emit('tick', { at: now, dtS: (now - last) / 1000 });
        last = now;
      },
      Math.min(this.tickMs, 1000),
    );
    const m = setInterval(() => {
      if (!this.stopping) void ctx.bus.emit('snapshot', this.snapshot());
    }, this.tickMs);
    for (const x of [t, m]) x.unref();
    this.timers.push(t, m);
    this.log.info(
      { source: ctx.manager.label, threads: c.threads, headroom: c.headroom, cores: ctx.cores, policy: c.policy },
      `hub running: ${ctx.manager.label}, ${this.threadsNote()}, policy ${c.policy}`,
    );
  }

  /** Stops every part in reverse order, each on its own; leaves no worker, socket or timer. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const t of this.timers) clearInterval(t);
      this.timers = [];
      for (const p of this.parts) await this.guard(p, 'flush', () => p.flush?.());
      for (const p of [...this.parts].reverse()) await this.guard(p, 'stop', () => p.stop());
      this.parts = [];
    })();
    return this.stopping;
  }

  private async guard(p: HubPart, what: string, fn: () => Promise<void> | undefined): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.log.error({ err, part: p.name }, `${p.name} failed to ${what} cleanly`);
    }
  }

  /** The snapshot now (the tick sends one on the bus; this builds one the same way). */
  snapshot(): TickSnapshot {
    return snapshotNow(this.context());
  }

  /** The numbers of the hub for the status page and the terminal line. */
  status(): HubStatus {
    return this.snapshot().status;
  }

  /** The numbers of the hub for the MQTT entities. */
  minerSnapshot(): MinerSnapshot {
    return this.snapshot().miner;
  }

  /** Applies a command from an HA entity (as the entities do): every part's listener, in order. */
  command(cmd: MinerCommand): Promise<void> {
    return this.context().bus.emit('command', cmd);
  }

  /** How many hub threads may run and what limits them, e.g. `up to 1 of 2 hub threads: 1 core kept for Home Assistant (--headroom 1)`. */
  threadsNote(): string {
    const c = this.config;
    const cores = this.cores;
    const headroom = c.headroom ?? 1;
    const byHeadroom = Math.max(0, cores - headroom);
    const n = Math.min(c.threads, byHeadroom);
    const why =
      c.threads < byHeadroom
        ? `--threads ${c.threads}`
        : headroom === 0
          ? 'every core (--headroom 0)'
          : `${headroom} core${headroom === 1 ? '' : 's'} kept for Home Assistant (--headroom ${headroom}${c.headroom === null ? ", the default flow's policy" : ''})`;
    return `up to ${n} of ${cores} hub thread${cores === 1 ? '' : 's'}: ${why}`;
  }

  private context(): HubContext {
    if (!this.ctx) throw new Error('the hub has not started');
    return this.ctx;
  }

  // handles for tests, benchmarks and the start verb (read only; the parts own them)
  get bus(): HubBus {
    return this.context().bus;
  }
  get pool(): HashPool {
    return this.context().pool;
  }
  get manager(): JobManager {
    return this.context().manager;
  }
  get obedience(): Obedience {
    return this.context().obedience;
  }
  get planner(): InProcessHub {
    return this.context().planner;
  }
  get server(): StratumServer | null {
    return this.ctx?.handle('server') ?? null;
  }
  get ha(): HaAppliances | null {
    return this.ctx?.handle('ha') ?? null;
  }
  get flow(): FlowRuntime | null {
    return this.ctx?.handle('flow') ?? null;
  }
  get broker(): EmbeddedBroker | null {
    return this.ctx?.handle('broker') ?? null;
  }
  get entities(): MqttEntities | null {
    return this.ctx?.handle('entities') ?? null;
  }
  get statusServer(): StatusServer | null {
    return this.ctx?.handle('statusServer') ?? null;
  }
}
