/**
 * The hub: wires the parts of the data flow together (DESIGN.md):
 * job source -> job manager -> hub pool + local Stratum endpoint -> share validation -> stats ->
 * MQTT entities / status page; HA appliances -> the flow (embedded Node-RED, or the scheduler
 * directly) -> plans applied to the hub pool and the local miners.
 */
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { InputError, nbitsToDifficulty, parseU32Hex, type StratumJob } from '../core/index.js';
import { FlowRuntime, InProcessHub, MqttHubBridge, editorAccessOptions, type MinerControl } from '../flow/index.js';
import { HaAppliances, hubLoadMeter, type Appliance, type ApplianceEvent, type IdleRulesInput } from '../ha/index.js';
import { HashPool } from '../hashpool/index.js';
import { logger, redactUrl, type Logger } from '../log.js';
import {
  MqttEntities,
  describeDecision,
  expectedSecondsToBlock,
  oddsPerDay,
  startEmbeddedBroker,
  type EmbeddedBroker,
  type MinerCommand,
  type MinerSnapshot,
} from '../mqtt/index.js';
import { defaultPolicy, parsePolicy, schedule, type ApplianceInput, type Policy, type ScheduleState } from '../schedule/index.js';
import { StratumServer } from '../stratum/index.js';
import { JobManager, NodeSource, PracticeSource, UpstreamSource, type BlockEvent, type BlockOutcome, type JobSource, type ShareEvent } from '../work/index.js';
import { appPageUrl } from './addon.js';
import type { Config } from './config.js';
import { Obedience } from './obedience.js';
import { MinerSwitches } from './switches.js';
import { WorkerPage } from '../web/index.js';
import { StatusServer, type HubStatus } from './status.js';
import { TotalsStore, emptyTotals, type LifetimeTotals } from './store.js';

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
  /** least time between two writes of the lifetime totals, ms (default 60 000) */
  totalsIntervalMs?: number;
}

/** A hub running from one validated configuration. */
export class Hub {
  readonly log: Logger;
  readonly cores = availableParallelism();
  pool!: HashPool;
  manager!: JobManager;
  hub!: InProcessHub;
  server: StratumServer | null = null;
  /** how every worker on the endpoint obeys the plan (obedience.ts) */
  obedience!: Obedience;
  ha: HaAppliances | null = null;
  flow: FlowRuntime | null = null;
  broker: EmbeddedBroker | null = null;
  entities: MqttEntities | null = null;
  statusServer: StatusServer | null = null;
  private store!: TotalsStore;
  private totals: LifetimeTotals = emptyTotals();
  private session = { accepted: 0, rejected: 0, stale: 0, best: 0, blocks: 0 };
  private networkDifficulty: number | undefined;
  private nodeSource: NodeSource | null = null;
  private lastBlock: BlockOutcome | null = null;
  private timers: NodeJS.Timeout[] = [];
  private stopping: Promise<void> | null = null;
  private startedAt = Date.now();
  private lastEnergyAt = Date.now();
  private scheduleState: ScheduleState | null = null;
  private directPolicy: Policy | null = null;
  private readonly wattsPerThread: number;
  private readonly tickMs: number;
  private loadMeter: (() => number) | null = null;
  /** The price sensor's last reading (for the cost entity), when one is configured. */
  private price: { value: number | null; unit: string | null } = { value: null, unit: null };
  private stopped: [string, () => Promise<void>][] = [];

  constructor(
    readonly config: Config,
    private readonly overrides: HubOverrides = {},
  ) {
    this.log = overrides.logger ?? logger('hub');
    this.wattsPerThread = overrides.wattsPerThread ?? 6;
    this.tickMs = overrides.tickMs ?? 5000;
  }

  /** Starts every configured part; a part that fails to start stops what was started and throws. */
  async start(): Promise<void> {
    const c = this.config;
    this.startedAt = Date.now();
    mkdirSync(c.dataDir, { recursive: true });
    for (const w of c.warnings) this.log.warn(w);

    // lifetime totals
    // a totals file that exists but cannot be read throws (TotalsUnreadableError, exit 2) and is
    // never written over: the store refuses every save until a load succeeded
    this.store = new TotalsStore(c.dataDir, { intervalMs: this.overrides.totalsIntervalMs ?? 120_000 });
    const loaded = await this.store.load();
    this.totals = loaded.totals;
    this.stopped.push(['totals', () => this.store.flush()]);

    try {
      await this.startMining();
      await this.startScheduling();
      await this.startMqtt();
      await this.startStatus();
    } catch (err) {
      await this.stop();
      throw err;
    }
    const t = setInterval(() => this.tick(), Math.min(this.tickMs, 1000));
    t.unref();
    this.timers.push(t);
    const m = setInterval(() => void this.publish(), this.tickMs);
    m.unref();
    this.timers.push(m);
    this.log.info(
      { source: this.manager.label, threads: c.threads, headroom: c.headroom, cores: this.cores, policy: c.policy },
      `hub running: ${this.manager.label}, ${this.threadsNote()}, policy ${c.policy}`,
    );
  }

  /** How many hub threads may run and what limits them, e.g. `up to 1 of 2 hub threads: 1 core kept for Home Assistant (--headroom 1)`. */
  threadsNote(): string {
    const c = this.config;
    const headroom = c.headroom ?? 1;
    const byHeadroom = Math.max(0, this.cores - headroom);
    const n = Math.min(c.threads, byHeadroom);
    const why =
      c.threads < byHeadroom
        ? `--threads ${c.threads}`
        : headroom === 0
          ? 'every core (--headroom 0)'
          : `${headroom} core${headroom === 1 ? '' : 's'} kept for Home Assistant (--headroom ${headroom}${c.headroom === null ? ', the default flow\'s policy' : ''})`;
    return `up to ${n} of ${this.cores} hub thread${this.cores === 1 ? '' : 's'}: ${why}`;
  }

  /** Stops every part in reverse order; leaves no worker, socket or timer. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const t of this.timers) clearInterval(t);
      this.timers = [];
      this.accountEnergy();
      await this.saveTotals();
      for (const [part, fn] of this.stopped.reverse()) {
        const t0 = performance.now();
        try {
          await fn();
        } catch (err) {
          this.log.error({ err, part }, `${part} failed to stop cleanly`);
        }
        const ms = performance.now() - t0;
        if (ms > 250) this.log.warn({ part, ms: Math.round(ms) }, `${part} took ${Math.round(ms)} ms to stop`);
      }
      this.stopped = [];
    })();
    return this.stopping;
  }

  // ----------------------------------------------------------------------------------------------
  // mining: job source, job manager, hub pool, local endpoint

  private async startMining(): Promise<void> {
    const c = this.config;
    this.pool = new HashPool({ threads: 0, maxThreads: this.cores, kernel: c.kernel, logger: logger('hashpool') });
    await this.pool.start();
    this.stopped.push(['hash pool', () => this.pool.stop()]);

    const source: JobSource = c.node
      ? new NodeSource({ url: c.node.url, cookieFile: c.node.cookieFile ?? undefined, payoutAddress: c.node.payoutAddress, logger: logger('node') })
      : c.pool
        ? new UpstreamSource({ url: c.pool.url, fallbackUrl: c.pool.fallbackUrl ?? undefined, user: c.pool.user, password: c.pool.password })
        : new PracticeSource({ difficulty: c.practiceDifficulty });
    if (source instanceof NodeSource) this.nodeSource = source;
    this.manager = new JobManager({ source, logger: logger('work') });
    this.manager.on('blockResult', (o: BlockOutcome & { worker: string }) => void this.onBlockResult(o));
    this.manager.on('job', (job: StratumJob) => {
      try {
        this.networkDifficulty = nbitsToDifficulty(parseU32Hex(job.nbits, 'nbits'));
      } catch {
        /* a malformed nbits is the validator's business */
      }
    });
    this.manager.stats.on('share', (e: ShareEvent) => this.onShare(e));
    this.manager.stats.on('block', (e: BlockEvent) => this.onBlock(e));
    await this.manager.start();
    this.stopped.push(['job source', () => this.manager.stop()]);
    this.manager.attachPool(this.pool);
    this.log.info({ source: c.node ? redactUrl(c.node.url) : c.pool ? redactUrl(c.pool.url) : 'practice' }, `job source: ${this.manager.label}`);

    this.obedience = new Obedience({ applianceOf: (w) => this.ha?.appliances().find((a) => a.workerId === w) ?? null, declaredW: c.miners.powerW, log: logger('obey') });
    this.obedience.on('changed', () => this.linkWorkers());
    if (c.stratum.enabled) {
      this.server = new StratumServer({
        control: this.obedience.control,
        backend: this.manager,
        port: c.stratum.port,
        host: c.stratum.bind,
        password: c.stratum.password ?? undefined,
        maxConnections: c.stratum.maxMiners,
        maxWorkerNames: c.stratum.maxWorkerDevices,
        vardiff: { targetIntervalS: c.stratum.shareIntervalS },
        logger: logger('stratum'),
      });
      await this.server.start();
      const server = this.server;
      this.stopped.push(['stratum endpoint', () => server.stop()]);
      server.on('connect', () => this.hub?.minersChanged());
      server.on('disconnect', () => this.hub?.minersChanged());
    }
  }

  /** The local Stratum miners as the scheduler sees them. */
  private minerControl(): MinerControl {
    return {
      list: () => this.obedience.minerInputs(this.manager.stats.snapshot()),
      setWorking: (id, working, reason) => this.obedience.setWorking(id, working, reason),
      obeyed: () => this.obedience.obeyed(this.manager.stats.snapshot()),
    };
  }

  /** An appliance as the scheduler sees it (a miner's own plug is not busy because the miner runs: obedience.ts). */
  private planInput(a: Appliance): ApplianceInput {
    return this.obedience ? this.obedience.planInput(a, toInput(a)) : toInput(a);
  }

  /** Links the workers on the endpoint to HA devices by the MAC, host name and IP they told. */
  private linkWorkers(): void {
    if (!this.ha || this.stopping) return;
    this.ha.setWorkers(this.obedience.mappings());
    this.hub?.setAppliances(this.ha.appliances().map((a) => this.planInput(a)));
  }

  // ----------------------------------------------------------------------------------------------
  // scheduling: HA appliances -> in-process hub -> flow (or the scheduler directly)

  private async startScheduling(): Promise<void> {
    const c = this.config;
    this.hub = new InProcessHub({ pool: this.pool, miners: this.minerControl(), cores: this.cores, headroomCores: c.headroom, wattsPerThread: this.wattsPerThread, logger: logger('flow-hub') });
    await this.hub.control({ action: 'threads', threads: c.threads });
    await this.hub.control({ action: 'policy', mode: c.policy });
    this.hub.setBudget({ staticW: c.power.budgetW });
    this.loadMeter = hubLoadMeter();

    if (c.ha) {
      this.ha = new HaAppliances({ url: c.ha.url, token: c.ha.token, rules: this.idleRules(), log: logger('ha') });
      const ha = this.ha;
      ha.on('event', (e: ApplianceEvent) => this.onApplianceEvent(e));
      ha.on('appliances', (list: Appliance[]) => {
        this.hub.setIgnoredCount(ha.ignored().length);
        this.hub.setAppliances(list.map((a) => this.planInput(a)));
      });
      await ha.start();
      this.stopped.push(['home assistant', () => ha.stop()]);
      // plain miners linked to a device with a switch are switched as the plan says
      const switches = new MinerSwitches({
        connection: () => ha.connection.conn,
        applianceOf: (w) => ha.appliances().find((a) => a.workerId === w) ?? null,
        isPlainMiner: (w) => this.obedience.isPlainMiner(w),
        minOnS: this.overrides.switchMinOnS ?? c.miners.switchMinOnS,
        minOffS: this.overrides.switchMinOffS ?? c.miners.switchMinOffS,
        log: logger('switches'),
      });
      this.obedience.useSwitches(switches);
      this.stopped.push(['miner switches', async () => switches.stop()]);
    } else {
      // without Home Assistant the hub itself is the one appliance: idle while the rest of the
      // machine leaves the CPU alone
      this.hub.setAppliances([this.hubAppliance()]);
    }

    if (c.nodeRed.enabled) {
      this.flow = new FlowRuntime({
        hub: this.hub,
        dataDir: c.dataDir,
        port: c.nodeRed.port,
        // standalone the editor always asks for a login (the user's, or one made on the first start)
        ...editorAccessOptions({ addon: c.addon, dataDir: c.dataDir, username: c.nodeRed.username, password: c.nodeRed.password, hosts: c.nodeRed.hosts }),
        logger: logger('node-red'),
      });
      const flow = this.flow;
      await flow.start().catch((err) => {
        throw portInUse(err, 'node_red_port', 'Node-RED editor', c.nodeRed.port, 'another Node-RED?', ', or run without the editor with --no-node-red');
      });
      this.stopped.push(['node-red', () => flow.stop()]);
    } else {
      const p = parsePolicy({ ...defaultPolicy(), mode: c.policy, stagesW: c.power.stagesW, staticBudgetW: c.power.budgetW, priceCeiling: c.power.priceCeiling, quietHours: c.quietHours.map((q) => ({ start: hhmm(q.start), end: hhmm(q.end) })) });
      if (!p.ok) throw new Error(`policy: ${p.error}`);
      this.directPolicy = p.value;
      const unsubscribe = this.hub.subscribe(() => void this.planDirectly());
      this.stopped.push(['scheduler', async () => unsubscribe()]);
      await this.planDirectly();
    }
  }

  private idleRules(): IdleRulesInput {
    const c = this.config;
    // a mapping of the worker "hub" links the hub itself to an HA device (e.g. the PC it runs on)
    const hubDevice = c.idle.workers.find((w) => w.workerId === 'hub' && w.deviceId)?.deviceId;
    return {
      holdSeconds: c.idle.holdSeconds,
      powerThresholdW: c.idle.powerThresholdW,
      includeLights: c.idle.includeLights,
      overrides: c.idle.overrides.map((o) => ({ ...o, match: { ...o.match } })),
      workers: c.idle.workers.filter((w) => w.workerId !== 'hub').map((w) => ({ ...w })),
      hub: { maxLoadPercent: c.idle.hubMaxLoadPercent, ...(hubDevice ? { deviceId: hubDevice } : {}) },
      budget: {
        ...(c.power.sensor ? { surplusEntity: c.power.sensor, surplusInverted: c.power.sensorInverted } : {}),
        ...(c.power.budgetW !== null ? { staticWatts: c.power.budgetW } : {}),
        ...(c.power.priceSensor ? { priceEntity: c.power.priceSensor } : {}),
      },
    };
  }

  private hubAppliance(): ApplianceInput {
    const load = this.loadMeter?.() ?? 0;
    const limit = this.config.idle.hubMaxLoadPercent;
    const busy = load > limit;
    const reason = `the rest of the machine uses ${Math.round(load)}% CPU, ${busy ? 'above' : 'within'} the ${limit}% limit`;
    return { id: 'hub', name: 'hub', status: busy ? 'busy' : 'idle', roles: ['worker'], workerId: 'hub', area: null, reason, why: 'the hub' };
  }

  private onApplianceEvent(e: ApplianceEvent): void {
    if (e.type === 'gone') this.hub.removeAppliance(e.applianceId);
    else if (e.type === 'budget') {
      this.price = { value: e.budget.price, unit: e.budget.priceUnit };
      this.hub.setBudget({ surplusW: e.budget.surplusW, staticW: e.budget.staticW ?? this.config.power.budgetW, price: e.budget.price });
    }
    else {
      const a = this.ha?.appliances().find((x) => x.id === e.applianceId);
      if (a) this.hub.updateAppliance(this.planInput(a));
    }
  }

  /** Without Node-RED: the default flow's schedule, applied directly. */
  private async planDirectly(): Promise<void> {
    if (!this.directPolicy || this.stopping) return;
    const snap = await this.hub.snapshot();
    const { plan, state } = schedule(
      { now: Date.now(), utcOffsetMinutes: -new Date().getTimezoneOffset(), ...snap },
      this.directPolicy,
      this.scheduleState,
    );
    this.scheduleState = state;
    await this.hub.applyPlan(plan);
  }

  // ----------------------------------------------------------------------------------------------
  // statistics, totals, entities

  private onShare(e: ShareEvent): void {
    if (e.accepted) {
      this.session.accepted++;
      this.totals.sharesAccepted++;
      const d = e.difficulty ?? 0;
      if (d > this.session.best) this.session.best = d;
      if (d > this.totals.bestDifficulty) this.totals.bestDifficulty = d;
    } else if (e.code === 21) {
      this.session.stale++;
      this.totals.sharesStale++;
    } else {
      this.session.rejected++;
      this.totals.sharesRejected++;
    }
    this.updateTotals();
  }

  /**
   * What the node said about a block found here (solo): an accepted block is announced in Home
   * Assistant (event micro_mining_block_found, a persistent notification); a rejection is logged
   * with the node's reason by the source.
   */
  private async onBlockResult(o: BlockOutcome & { worker: string }): Promise<void> {
    this.lastBlock = o;
    if (!o.accepted) return;
    const conn = this.ha?.connection.conn;
    if (!conn) return;
    const data = { hash: o.hash, height: o.height, worker: o.worker, network: this.nodeSource?.status().chain ?? null, payout_address: this.config.node?.payoutAddress ?? null };
    try {
      await conn.sendMessagePromise({ type: 'fire_event', event_type: 'micro_mining_block_found', event_data: data });
      await conn.sendMessagePromise({
        type: 'call_service',
        domain: 'persistent_notification',
        service: 'create',
        service_data: {
          notification_id: `micro_mining_block_${o.height}`,
          title: 'Micro Mining found a block',
          message: `Block ${o.height} (${o.hash}) on ${data.network ?? 'the node\'s network'} was found by ${o.worker} and accepted by your node. It pays ${data.payout_address} once it has 100 confirmations.`,
        },
      });
    } catch (err) {
      this.log.warn({ err: { message: (err as Error).message ?? String(err) } }, 'could not announce the block in Home Assistant');
    }
  }

  private onBlock(e: BlockEvent): void {
    this.session.blocks++;
    // a practice "block" meets only the practice job's network target: it is no block
    if (!e.practice) this.totals.blocksFound++;
    this.log.warn({ worker: e.worker, hash: e.hash, practice: e.practice }, e.practice ? 'practice job solved (not a real block)' : 'BLOCK FOUND');
    // a real block is written at once; anything else waits for the store's interval
    if (e.practice) this.updateTotals();
    else void this.saveTotals();
  }

  /** Hands the totals to the store, which writes them at most once per interval. */
  private updateTotals(): void {
    if (!this.store?.ready) return;
    const { savedAt: _s, version: _v, ...t } = this.totals;
    try {
      this.store.update(t);
    } catch (err) {
      this.log.error({ err }, 'could not save the lifetime totals');
    }
  }

  /** Writes the totals now (a found block, the stop); nothing when the file could not be read. */
  private saveTotals(): Promise<void> {
    if (!this.store?.ready) return Promise.resolve();
    const { savedAt: _s, version: _v, ...t } = this.totals;
    return this.store.save(t).catch((err) => this.log.error({ err }, 'could not save the lifetime totals'));
  }

  /** Estimated power of the mining now, W: the plan's estimate while hashing. */
  private powerW(): number {
    // the hub's threads: the plan's estimate while they hash
    const plan = this.hub?.lastPlan;
    const hubW = plan && this.pool && this.pool.stats().hashrate > 0 ? (plan.workers.find((w) => w.kind === 'hub')?.watts ?? 0) : 0;
    // every other worker that hashes now (a paused miner that still hashes its last job counts too)
    return hubW + (this.obedience?.powerNow(this.manager?.stats.snapshot() ?? []) ?? 0);
  }

  private accountEnergy(): void {
    const now = Date.now();
    const dt = (now - this.lastEnergyAt) / 1000;
    this.lastEnergyAt = now;
    if (dt > 0 && dt < 3600) this.totals.energyKwh += (this.powerW() * dt) / 3.6e6;
    if (dt > 0 && dt < 3600) this.obedience?.accountEnergy(dt, this.manager?.stats.snapshot() ?? []);
  }

  private tick(): void {
    if (this.stopping) return;
    this.accountEnergy();
    if (this.loadMeter) {
      if (this.ha) this.ha.hubLoad(this.loadMeter());
      else this.hub.updateAppliance(this.hubAppliance());
    }
  }

  private async publish(): Promise<void> {
    if (this.stopping) return;
    this.updateTotals();
    if (this.entities) await this.entities.update(this.minerSnapshot()).catch((err) => this.log.warn({ err }, 'MQTT update failed'));
    if (!this.flow && this.directPolicy) await this.planDirectly().catch((err) => this.log.error({ err }, 'planning failed'));
  }

  /** Applies a command from an HA entity. */
  async command(cmd: MinerCommand): Promise<void> {
    if (cmd.kind === 'mining') await this.hub.control({ action: cmd.on ? 'start' : 'stop' });
    else if (cmd.kind === 'threads') await this.hub.control({ action: 'threads', threads: cmd.threads });
    else if (cmd.kind === 'policy') await this.hub.control({ action: 'policy', mode: cmd.policy });
    else if (cmd.kind === 'worker_mining') await this.hub.control({ action: 'worker', id: cmd.worker, on: cmd.on });
    else this.session = { accepted: 0, rejected: 0, stale: 0, best: 0, blocks: 0 };
    if (!this.flow) await this.planDirectly();
    await this.entities?.update(this.minerSnapshot());
  }

  private async startMqtt(): Promise<void> {
    const c = this.config;
    if (c.mqtt.mode === 'off') return;
    let url = c.mqtt.url;
    if (c.mqtt.mode === 'embedded' || !url) {
      const port = this.overrides.mqttPort ?? 1883;
      try {
        this.broker = await startEmbeddedBroker({ port });
      } catch (err) {
        // another broker already has the port (e.g. Mosquitto on this machine): the entities still
        // need one, so take a free port and say so; `--mqtt` points at the existing broker instead
        if (!/EADDRINUSE/.test(String((err as Error).message))) throw err;
        this.broker = await startEmbeddedBroker({ port: 0 });
        this.log.warn({ port: this.broker.port }, `port ${port} is in use (another MQTT broker?): the embedded broker took port ${this.broker.port}; use --mqtt mqtt://host:${port} to publish to that broker instead`);
      }
      const broker = this.broker;
      this.stopped.push(['mqtt broker', () => broker.stop()]);
      url = broker.url;
      this.log.info({ url }, `embedded MQTT broker on ${url}`);
    }
    this.entities = new MqttEntities({
      url,
      username: c.mqtt.username ?? undefined,
      password: c.mqtt.password ?? undefined,
      discoveryPrefix: c.mqtt.discoveryPrefix,
      statusTopic: c.mqtt.haStatusTopic,
      configurationUrl: c.addon ? appPageUrl(process.env.HOSTNAME) : undefined,
      onCommand: (cmd) => this.command(cmd),
    });
    const entities = this.entities;
    await entities.start(this.minerSnapshot());
    this.stopped.push(['mqtt entities', () => entities.stop()]);
    // flows in another Node-RED (with this package's nodes) reach the hub through the same broker,
    // only when the hub has a bridge key (every command must carry it)
    if (c.bridgeKey) {
      const bridge = new MqttHubBridge({ hub: this.hub, url, username: c.mqtt.username ?? undefined, password: c.mqtt.password ?? undefined, key: c.bridgeKey, logger: logger('mqtt-bridge') });
      await bridge.start();
      this.stopped.push(['mqtt bridge', () => bridge.stop()]);
    }
  }

  private async startStatus(): Promise<void> {
    const c = this.config;
    // the editor goes through the status port (HA ingress has one port) only where that port is
    // not open to the network without a login: an allow list (the add-on: the ingress proxy),
    // a loopback address, or editor credentials
    const loopback = c.status.bind === '127.0.0.1' || c.status.bind === '::1' || c.status.bind === 'localhost';
    const editor = this.flow?.address();
    const nodeRed = editor && (c.status.allow.length > 0 || loopback || (c.nodeRed.username && c.nodeRed.password)) ? { host: '127.0.0.1', port: editor.port, hosts: c.nodeRed.hosts } : null;
    this.statusServer = new StatusServer({ port: c.status.port, host: c.status.bind, allow: c.status.allow, status: () => this.status(), nodeRed, worker: this.workerPage(), logger: logger('status') });
    const s = this.statusServer;
    await s.start().catch((err) => {
      throw portInUse(err, 'status_port', 'status page', c.status.port, 'another micro-mining?', '');
    });
    this.stopped.push(['status page', () => s.stop()]);
  }

  /** The browser worker page (src/web): its WebSocket becomes one more connection of the endpoint. */
  private workerPage(): WorkerPage {
    const server = this.server;
    const page = new WorkerPage({ accept: server ? (socket) => server.accept(socket) : null, passwordRequired: Boolean(this.config.stratum.password), log: logger('worker-page') });
    this.stopped.push(['worker page', async () => page.stop()]);
    return page;
  }

  /** The numbers of the hub for the status page and the terminal line. */
  status(): HubStatus {
    const ps = this.pool?.stats();
    const snap = this.manager?.stats.snapshot() ?? [];
    const miners = snap.filter((w) => w.kind === 'miner');
    const obeyed = this.obedience?.report(snap) ?? [];
    const minersRate = miners.reduce((s, w) => s + w.hashrate, 0);
    const hubRate = ps?.hashrate ?? 0;
    const hashrate = hubRate + minersRate;
    const plan = this.hub?.lastPlan;
    const d = this.networkDifficulty ?? 0;
    const haStatus = this.ha?.status();
    return {
      mode: this.config.node ? 'solo' : this.config.pool ? 'pool' : 'practice',
      source: this.manager?.label ?? '',
      // honest: practice has no pool, so it is never "connected"
      poolConnected: this.config.practice ? false : this.nodeSource ? this.nodeSource.status().state === 'ready' : this.manager?.currentLayout() !== null,
      connection: this.config.practice ? 'practice' : (this.nodeSource ? this.nodeSource.status().state === 'ready' : this.manager?.currentLayout() !== null) ? 'connected' : 'connecting',
      ...(this.nodeSource ? { node: this.nodeSource.status() } : {}),
      mining: hashrate > 0,
      policy: this.hubManual().mode ?? this.config.policy,
      decision: plan?.summary ?? 'starting',
      threadLimit: plan?.hubLimit ? plan.hubLimit.replace(/\(headroom (\d+)\)/, this.config.addon ? '(option headroom $1)' : '(--headroom $1)') : null,
      threads: ps?.threads ?? 0,
      maxThreads: this.hubManual().maxThreads ?? this.config.threads,
      kernel: ps?.kernel ?? '',
      hashrate,
      hubHashrate: hubRate,
      shares: { accepted: this.session.accepted, rejected: this.session.rejected, stale: this.session.stale },
      bestDifficulty: { session: this.session.best, allTime: this.totals.bestDifficulty },
      blocksFound: this.totals.blocksFound,
      networkDifficulty: d,
      oddsPerDay: d > 0 ? oddsPerDay(hashrate, d) : 0,
      expectedTimeToBlock: d > 0 && hashrate > 0 ? expectedSecondsToBlock(hashrate, d) : Infinity,
      powerW: this.powerW(),
      energyKWh: this.totals.energyKwh,
      workers: miners.map((w) => {
        const o = obeyed.find((x) => x.name === w.name);
        return {
          name: w.name,
          status: w.online ? 'mining' : 'offline',
          hashrate: w.hashrate,
          estimate: { low: w.hashrateEstimate.low, high: w.hashrateEstimate.high, shares: w.hashrateEstimate.shares, settled: w.hashrateEstimate.settled },
          accepted: w.accepted,
          rejected: w.rejected,
          bestDifficulty: w.bestDifficulty,
          lastShare: w.lastShareAt,
          ...(o ? { kind: o.kind, by: o.by, asked: o.asked, did: o.did, device: o.device, watts: o.watts } : {}),
        };
      }),
      appliances: this.applianceCounts(),
      haConnected: this.ha ? !haStatus?.haAway : null,
      mqttConnected: this.entities ? true : null,
      startedAt: this.startedAt,
    };
  }

  /** The appliances as the flow sees them (with HA: HA's; without: the hub itself), for the status page. */
  private applianceCounts(): HubStatus['appliances'] {
    const list = this.hub ? this.hub.applianceList() : [];
    return {
      idle: list.filter((a) => a.status === 'idle').length,
      busy: list.filter((a) => a.status === 'busy').length,
      total: list.length,
      ignored: this.ha ? this.ha.ignored().length : 0,
      list: list.map((a) => ({
        name: a.name,
        area: a.area ?? null,
        role: a.roles.includes('worker') ? 'worker' : 'load',
        status: a.status,
        reason: a.reason ?? '',
        why: a.why ?? '',
      })),
    };
  }

  /** The numbers of the hub for the MQTT entities. */
  minerSnapshot(): MinerSnapshot {
    const s = this.status();
    const manual = this.hubManual();
    const decision = describeDecision(this.hub?.lastPlan);
    return {
      hub: {
        hashrate: s.hashrate,
        sharesAccepted: s.shares.accepted,
        sharesRejected: s.shares.rejected,
        sharesStale: s.shares.stale,
        bestDifficultySession: s.bestDifficulty.session,
        bestDifficultyAllTime: s.bestDifficulty.allTime,
        blocksFound: s.blocksFound,
        poolConnected: s.poolConnected,
        activeWorkers: s.workers.filter((w) => w.status === 'mining').length + (s.hubHashrate > 0 ? 1 : 0),
        networkDifficulty: s.networkDifficulty || undefined,
        mode: s.mode,
        ...(s.node ? { nodeHeight: s.node.height ?? undefined } : {}),
        decision: decision.decision,
        decisionReason: decision.reason,
        ...(this.config.power.priceSensor ? { electricityPrice: this.price } : {}),
        powerW: s.powerW,
        energyKwh: s.energyKWh,
        mining: !manual.paused,
        maxThreads: manual.maxThreads ?? this.config.threads,
        maxThreadsLimit: this.cores,
        policy: manual.mode ?? this.config.policy,
      },
      // a miner name gets its HA device only after its first accepted share, and never more of
      // them than the cap (the endpoint refuses new names beyond it at authorize)
      workers: (this.manager?.stats.snapshot() ?? [])
        .filter((w) => w.kind === 'miner' && w.accepted > 0)
        .slice(0, this.config.stratum.maxWorkerDevices)
        .map((w) => ({
          id: w.name,
          name: w.name,
          status: w.online ? (w.hashrate > 0 ? 'mining' : 'idle') : 'offline',
          hashrate: w.hashrate,
          shares: w.accepted,
          bestDifficulty: w.bestDifficulty,
          lastShareAt: w.lastShareAt ?? undefined,
          ...this.workerPlan(w.name, w.online ? w.hashrate : 0),
          miningAllowed: !(this.hubManual().workersOff ?? []).includes(w.name),
        })),
    };
  }

  /** A worker's power, energy and the plan's decision for it (its HA sensors). */
  private workerPlan(name: string, hashrate: number): { powerW: number; energyKwh: number; decision?: 'work' | 'pause'; decisionReason?: string } {
    const d = this.hub?.lastPlan?.workers.find((w) => w.kind === 'miner' && w.id === name);
    return {
      powerW: hashrate > 0 ? (this.obedience?.watts(name, hashrate).watts ?? 0) : 0,
      energyKwh: this.obedience?.energyKwh(name) ?? 0,
      ...(d ? { decision: d.action, decisionReason: d.reason } : {}),
    };
  }

  private hubManual(): { paused?: boolean; maxThreads?: number | null; mode?: Policy['mode'] | null; workersOff?: string[] } {
    return this.hub?.manualInput ?? {};
  }
}

function toInput(a: Appliance): ApplianceInput {
  return {
    id: a.id,
    name: a.name,
    status: a.status === 'idle' ? 'idle' : a.status === 'busy' ? 'busy' : 'unknown',
    roles: a.roles,
    workerId: a.workerId,
    watts: a.watts,
    area: a.area,
    reason: a.reason,
    ...(a.why ? { why: a.why } : {}),
  };
}

/** A listen error as the line a user can act on (EADDRINUSE / EACCES: which port, which flag); others unchanged. */
function portInUse(err: unknown, key: 'node_red_port' | 'status_port', what: string, port: number, guess: string, more: string): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  const flag = `--${key.replace(/_/g, '-')}`;
  if (code === 'EADDRINUSE') return new InputError(`${what} port ${port} is in use (${guess}); choose another with ${flag} P (0: any free port)${more}`, key);
  if (code === 'EACCES') return new InputError(`${what} port ${port} needs privileges this user does not have; choose a port above 1023 with ${flag} P${more}`, key);
  return err;
}

function hhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}
