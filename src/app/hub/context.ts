/**
 * What every part of the hub gets (HubContext), what a part is (HubPart, and the Part base class
 * that tracks its bus listeners and what it started), and the handles parts offer each other.
 *
 * Parts never reach into each other: they talk over the bus (bus.ts) or through a handle here.
 * The shared objects (hash pool, job manager, obedience, planner) are made before any part starts
 * (createContext) and are each started and stopped by exactly one part; what a part makes while it
 * starts (the Stratum endpoint, the HA connection, the MQTT entities, ...) it offers with
 * `ctx.provide(name, handle)`, and others read it with `ctx.handle(name)` (null: off, not started).
 */
import type { FlowRuntime } from '../../flow/index.js';
import { InProcessHub } from '../../flow/index.js';
import type { HaAppliances } from '../../ha/index.js';
import { HashPool } from '../../hashpool/index.js';
import { logger, type Logger } from '../../log.js';
import type { EmbeddedBroker, MqttEntities } from '../../mqtt/index.js';
import type { StratumServer } from '../../stratum/index.js';
import type { WorkerPage } from '../../web/index.js';
import { JobManager, NodeSource, PracticeSource, UpstreamSource, type JobSource } from '../../work/index.js';
import type { Config } from '../config.js';
import { Obedience } from '../obedience.js';
import { estimateCpuWatts } from '../power-estimate.js';
import type { StatusServer } from '../status.js';
import type { LifetimeTotals } from '../store.js';
import { HubBus, type HubEventName, type Listener } from './bus.js';
import { SectionBook } from './sections.js';
import type { TickSnapshot } from './snapshot.js';

export interface HubOverrides {
  logger?: Logger;
  /** estimated extra power of one busy hub thread, W (default 6) */
  wattsPerThread?: number;
  /** embedded broker port (default 1883; 0 = any free port) */
  mqttPort?: number;
  /** how often the MQTT states and the hub appliance are refreshed, ms (default 5000) */
  tickMs?: number;
  /** least time a miner's HA switch stays on / off, s (default 300 each) */
  switchMinOnS?: number;
  switchMinOffS?: number;
  /** least time between two writes of the lifetime totals, ms (default 600 000: parts/totals.ts) */
  totalsIntervalMs?: number;
}

/** The handles a part offers the others once started (ctx.provide / ctx.handle). */
export interface HubHandles {
  /** mining: the local Stratum endpoint (null: --no-stratum) */
  server: StratumServer;
  /** mining: the browser worker page, served by the status part */
  workerPage: WorkerPage;
  /** mining: the network difficulty of the current job (undefined before the first) */
  network: { difficulty(): number | undefined };
  /** scheduling: Home Assistant's appliances (null: no HA) */
  ha: HaAppliances;
  /** scheduling: the embedded Node-RED runtime (null: --no-node-red) */
  flow: FlowRuntime;
  /** scheduling: the price sensor's last reading (a power budget event) */
  price: { value: number | null; unit: string | null };
  /** mqtt: the embedded broker (null: an external broker or none) */
  broker: EmbeddedBroker;
  /** mqtt: the HA entities over MQTT */
  entities: MqttEntities;
  /** status: the status page */
  statusServer: StatusServer;
  /** totals: the lifetime totals now */
  totals: { now(): LifetimeTotals };
}

export type HandleName = keyof HubHandles;

export interface HubContext {
  readonly config: Config;
  readonly overrides: HubOverrides;
  readonly cores: number;
  readonly startedAt: number;
  readonly bus: HubBus;
  /** the hub's own logger */
  readonly log: Logger;
  /** a logger for one part or library (`logger('stratum')`) */
  logger(name: string): Logger;
  // shared objects, made before any part starts; the part named starts and stops each
  /** the hub's hashing threads (mining) */
  readonly pool: HashPool;
  /** job source, work units, share validation and WorkerStats, the one share tally (mining) */
  readonly manager: JobManager;
  /** the user's node when it is the job source (solo), for its status (mining) */
  readonly nodeSource: NodeSource | null;
  /** how every worker on the endpoint obeys the plan (obedience) */
  readonly obedience: Obedience;
  /** the flow's side of the hub: appliances, budget, manual state; applies plans (scheduling) */
  readonly planner: InProcessHub;
  /** figures parts add to the snapshot (sections.ts): `/api/status` `power`, `workers[].axeos` */
  readonly sections: SectionBook;
  /** Offers a handle to the other parts (or withdraws it: null). */
  provide<K extends HandleName>(name: K, handle: HubHandles[K] | null): void;
  /** A handle another part offers, or null (off, not started, stopped). */
  handle<K extends HandleName>(name: K): HubHandles[K] | null;
  /** True once the hub is stopping: parts do no new work. */
  stopping(): boolean;
  /** The hub's snapshot now, built by the one pure function (snapshot.ts). */
  snapshot(): TickSnapshot;
}

/** One concern of the running hub. */
export interface HubPart {
  /** its name in logs */
  readonly name: string;
  /** Starts it; throws when it cannot (the hub then stops every part that started, this one too). */
  start(): Promise<void>;
  /** Before any part stops: write what must survive a restart. Optional. */
  flush?(): Promise<void>;
  /** Stops what start() started and removes its bus listeners; each resource caught on its own. */
  stop(): Promise<void>;
}

/** How hub.ts makes a part: one line in its list. */
export type PartFactory = (ctx: HubContext) => HubPart;

/**
 * Named stop functions, run in reverse order of adding, each caught and logged on its own (a slow
 * one is logged with its time). What a part started, it adds here right after it started.
 */
export class StopList {
  private list: [string, () => Promise<void> | void][] = [];
  constructor(private readonly log: Logger) {}

  add(name: string, fn: () => Promise<void> | void): void {
    this.list.push([name, fn]);
  }

  async run(): Promise<void> {
    const list = this.list.reverse();
    this.list = [];
    for (const [part, fn] of list) {
      const t0 = performance.now();
      try {
        await fn();
      } catch (err) {
        this.log.error({ err, part }, `${part} failed to stop cleanly`);
      }
      const ms = performance.now() - t0;
      if (ms > 250) this.log.warn({ part, ms: Math.round(ms) }, `${part} took ${Math.round(ms)} ms to stop`);
    }
  }
}

/**
 * The base of a part (as zigbee2mqtt's Extension): `this.on` listens on the bus and is removed at
 * stop; `this.stops` holds what start() started, stopped in reverse at stop().
 */
export abstract class Part implements HubPart {
  abstract readonly name: string;
  protected readonly stops: StopList;
  private readonly unsubscribes: (() => void)[] = [];

  constructor(protected readonly ctx: HubContext) {
    this.stops = new StopList(ctx.log);
  }

  abstract start(): Promise<void>;

  protected on<K extends HubEventName>(event: K, fn: Listener<K>): void {
    this.unsubscribes.push(this.ctx.bus.on(event, fn));
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribes.splice(0)) off();
    await this.stops.run();
  }
}

/** The job source the configuration names: the user's node (solo), an upstream pool, or practice. */
function jobSource(c: Config): JobSource {
  if (c.node)
    return new NodeSource({ url: c.node.url, cookieFile: c.node.cookieFile ?? undefined, payoutAddress: c.node.payoutAddress, logger: logger('node') });
  if (c.pool) return new UpstreamSource({ url: c.pool.url, fallbackUrl: c.pool.fallbackUrl ?? undefined, user: c.pool.user, password: c.pool.password });
  return new PracticeSource({ difficulty: c.practiceDifficulty });
}

/** The context of one run: the bus and the shared objects (nothing started yet). */
export function createContext(o: {
  config: Config;
  overrides: HubOverrides;
  log: Logger;
  cores: number;
  snapshot: () => TickSnapshot;
  stopping: () => boolean;
}): HubContext {
  const { config, overrides, log, cores, snapshot, stopping } = o;
  const c = config;
  const handles: { [K in HandleName]?: HubHandles[K] | null } = {};
  const pool = new HashPool({ threads: 0, maxThreads: cores, kernel: c.kernel, logger: logger('hashpool') });
  const source = jobSource(c);
  const manager = new JobManager({ source, logger: logger('work') });
  // a worker's linked appliance: HA's, once the scheduling part has connected
  const applianceOf = (w: string) => handles.ha?.appliances().find((a) => a.workerId === w) ?? null;
  const obedience = new Obedience({ applianceOf, declaredW: c.miners.powerW, cpuWattsPerThread: overrides.wattsPerThread, log: logger('obey') });
  const planner = new InProcessHub({
    pool,
    miners: {
      list: () => obedience.minerInputs(manager.stats.snapshot()),
      setWorking: (id, working, reason) => obedience.setWorking(id, working, reason),
      obeyed: () => obedience.obeyed(manager.stats.snapshot()),
    },
    cores,
    headroomCores: c.headroom,
    // one power model: a hub thread counts what an agent's thread on the same kind of CPU counts
    wattsPerThread: overrides.wattsPerThread ?? estimateCpuWatts(1, 'computer').watts,
    logger: logger('flow-hub'),
  });
  return {
    config,
    overrides,
    cores,
    startedAt: Date.now(),
    bus: new HubBus(log),
    log,
    logger,
    pool,
    manager,
    nodeSource: source instanceof NodeSource ? source : null,
    obedience,
    planner,
    sections: new SectionBook(),
    provide(name, handle) {
      handles[name] = handle;
    },
    handle(name) {
      return handles[name] ?? null;
    },
    stopping,
    snapshot,
  };
}
