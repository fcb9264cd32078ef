/**
 * The `micro-mining worker` agent: a household miner made of the hub's own parts (Stratum client,
 * job manager, piscina hash pool with the same kernels) that speaks the hub's pause extension
 * (src/stratum/extension.ts), yields to its own machine, and tells the hub what it does.
 */
import { EventEmitter } from 'node:events';
import { hubLoadMeter, type HashPoolOptions } from '../hashpool/index.js';
import { logger as makeLogger, type Logger } from '../log.js';
import { MM_EXTENSION, MM_METHODS, type ReportedState, type WorkerReport } from '../stratum/index.js';
import { PowercapMeter } from '../power/index.js';
import { HouseholdMiner } from '../work/index.js';
import { GpuDriver, gpuPower, openNodeGpu, type NodeGpu, type WebgpuModule } from './gpu.js';
import { HubLink } from './hub-link.js';
import { YieldCheck, onBattery, readPowerSupplies, type YieldRules } from './machine.js';

export interface WorkerAgentOptions {
  /** stratum+tcp://HUB:3333 */
  hub: string;
  /** the worker name the hub shows (and links to an HA device by name) */
  name: string;
  password?: string;
  /** most hashing threads */
  threads: number;
  kernel?: HashPoolOptions['kernel'];
  /** priority of the hashing threads, 0..19 (default 19) */
  nice?: number;
  /** told to the hub so it links this worker to the computer's HA device */
  hostname: string;
  mac: string | null;
  yield: YieldRules;
  /** asks the hub for this share difficulty */
  suggestDifficulty?: number;
  /** power the user declares for this computer while it hashes, W (told to the hub) */
  watts?: number;
  /** also hash on the GPU (WebGPU through the optional `webgpu` package) where there is one */
  gpu?: boolean;
  /** imports the `webgpu` package (tests; default `import('webgpu')`) */
  gpuLoad?: () => Promise<WebgpuModule>;
  /** opens the GPU (tests: a stand-in scanner where no GPU runs; default openNodeGpu) */
  gpuOpen?: () => Promise<NodeGpu>;
  /** how often the local check runs, ms (default 1000) */
  checkMs?: number;
  /** how often the state is reported while nothing changes, ms (default 10000) */
  reportMs?: number;
  /** stand-ins for the machine readings (tests); default: this machine */
  loadMeter?: () => number;
  battery?: () => boolean | null;
  /** where the RAPL counters are (default /sys/class/powercap; tests: a stand-in folder) */
  powercapRoot?: string;
  logger?: Logger;
}

export interface AgentState {
  state: ReportedState;
  threads: number;
  hashrate: number;
  hashes: number;
  accepted: number;
  rejected: number;
  connected: boolean;
  /** the hub negotiated the extension on this connection */
  controlled: boolean;
  hubPaused: boolean;
  hubThreads: number | null;
  yielding: string | null;
  reason?: string;
  /** the kernels hashing: "native", "webgpu+native", … */
  kernel: string;
  /** why the GPU is not used (asked for with --gpu), or null */
  gpuOff: string | null;
}

/**
 * Events: 'state' (AgentState) on every change; 'stopped' ({ms}) when threads stopped after a pause;
 * 'share'; 'gpu' ({ok, reason?, detail?}) once the GPU asked for is running or known to be absent.
 */
export class WorkerAgent extends EventEmitter {
  readonly miner: HouseholdMiner;
  private readonly opts: WorkerAgentOptions;
  private readonly log: Logger;
  private readonly check: YieldCheck;
  private readonly meter: () => number;
  private readonly battery: () => boolean | null;
  private hubPaused = false;
  private hubReason = '';
  private hubThreads: number | null = null;
  private yielding: string | null = null;
  private controlled = false;
  private timers: NodeJS.Timeout[] = [];
  private lastKey = '';
  private running = false;
  private waitingStop: { since: number; timer: NodeJS.Timeout | null } | null = null;
  private gpu: GpuDriver | null = null;
  private gpuOff: string | null = null;
  private powercap: PowercapMeter | null = null;
  private measuredW: number | null = null;
  private gpuWatts: { watts: number; from: 'declared' | 'estimated' } | null = null;
  /** the connection to the hub in the worker's words (the fix when it cannot be reached) */
  readonly link: HubLink;

  constructor(opts: WorkerAgentOptions) {
    super();
    this.opts = opts;
    this.log = opts.logger ?? makeLogger('worker');
    this.link = new HubLink(this.log, opts.hub);
    this.check = new YieldCheck(opts.yield);
    this.meter = opts.loadMeter ?? hubLoadMeter();
    this.battery = opts.battery ?? (() => onBattery(readPowerSupplies()));
    const params: Record<string, unknown> = {
      [`${MM_EXTENSION}.kind`]: 'agent',
      [`${MM_EXTENSION}.hostname`]: opts.hostname,
      [`${MM_EXTENSION}.version`]: '0.1.0',
    };
    if (opts.mac) params[`${MM_EXTENSION}.mac`] = opts.mac;
    this.miner = new HouseholdMiner({
      url: opts.hub,
      user: opts.name,
      password: opts.password,
      threads: opts.threads,
      kernel: opts.kernel,
      nice: opts.nice,
      suggestDifficulty: opts.suggestDifficulty,
      userAgent: 'micro-mining-worker/0.1.0',
      // a hub that does not answer: tried again after 1 s, doubling to every 30 s at most
      client: {
        extensions: { names: [MM_EXTENSION], params, methods: [MM_METHODS.pause, MM_METHODS.resume, MM_METHODS.threads] },
        backoffMinMs: 1000,
        backoffMaxMs: 30_000,
      },
      logger: this.link.logger,
    });
    const client = this.miner.source.client;
    client.on('extension', (m: { method: string; params: unknown[] }) => this.onHub(m.method, m.params));
    client.on('connected', (info: { configured: Record<string, unknown> }) => {
      this.link.connected();
      this.controlled = info.configured[MM_EXTENSION] === true;
      if (!this.controlled)
        this.log.warn('the hub did not accept the micro-mining-control extension: it cannot pause this worker (an old hub, or not a micro-mining hub)');
      this.lastKey = '';
      this.update();
    });
    client.on('disconnected', () => {
      if (this.running) this.link.lost();
      // a new connection starts from the hub's wish again (it repeats a pause on connect)
      this.hubPaused = false;
      this.hubThreads = null;
      this.controlled = false;
      this.update();
    });
    this.miner.on('share', (s) => this.emit('share', s));
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    // yield before the first hash when the machine is already busy or on battery
    this.yielding = this.check.sample(Date.now(), 0, this.battery());
    this.miner.pool.setThreads(this.wantedThreads());
    await this.miner.start();
    if (this.opts.gpu) await this.startGpu();
    const t = setInterval(() => this.sample(), this.opts.checkMs ?? 1000);
    const r = setInterval(() => void this.measure().then(() => this.report(true)), this.opts.reportMs ?? 10_000);
    this.timers.push(t, r);
    this.update();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (this.waitingStop?.timer) clearTimeout(this.waitingStop.timer);
    this.waitingStop = null;
    await this.gpu?.stop();
    this.gpu = null;
    await this.miner.stop();
  }

  /** Opens the GPU (--gpu): one clear line when there is none, and the CPU kernels go on alone. */
  private async startGpu(): Promise<void> {
    const g = await (this.opts.gpuOpen ?? (() => openNodeGpu({ load: this.opts.gpuLoad })))();
    if (!g.scanner) {
      this.gpuOff = g.reason;
      this.log.warn({ reason: g.reason }, `--gpu: no GPU to hash on: ${g.reason}; hashing with the CPU kernels only`);
      this.emit('gpu', { ok: false, reason: g.reason });
      return;
    }
    if (!this.running) {
      g.scanner.close();
      return;
    }
    const driver = new GpuDriver(g.scanner, () => this.miner.manager.unitSource(), this.log);
    driver.on('find', (f) => this.miner.manager.hubFind(f));
    driver.on('fault', (err: Error) => {
      this.gpuOff = err.message;
      this.gpu = null;
      this.log.error({ reason: err.message }, `GPU off for this session: ${err.message}; hashing with the CPU kernels only`);
      this.update();
    });
    this.miner.manager.on('stale', (ids: string[]) => driver.stale(ids));
    const power = gpuPower(g.scanner, this.opts.watts);
    this.gpuWatts = { watts: power.watts, from: power.from };
    this.gpu = driver;
    this.log.info(
      { adapter: g.scanner.adapter, perDispatch: g.scanner.perDispatch, watts: power.watts, wattsFrom: power.from },
      `hashing on the GPU too: WebGPU, ${g.scanner.detail}; power ${power.watts} W (${power.why})`,
    );
    this.emit('gpu', { ok: true, detail: g.scanner.detail });
    this.update();
  }

  state(): AgentState {
    const s = this.miner.stats();
    const g = this.gpu?.stats();
    const gpuOn = this.gpu?.running ? 1 : 0;
    const threads = this.miner.pool.threads + gpuOn;
    const cpuKernel = this.miner.pool.kernel.name || 'cpu';
    const kernel = gpuOn && this.miner.pool.threads ? `webgpu+${cpuKernel}` : gpuOn ? 'webgpu' : cpuKernel;
    const state: ReportedState = this.hubPaused ? 'paused' : this.yielding ? 'yielding' : threads > 0 ? 'working' : 'idle';
    const reason = this.hubPaused ? this.hubReason || 'paused by the hub' : (this.yielding ?? undefined);
    return {
      state,
      threads,
      hashrate: threads > 0 ? s.hashrate + (g?.hashrate ?? 0) : 0,
      hashes: s.hashes + (g?.hashes ?? 0),
      accepted: s.accepted,
      rejected: s.rejected,
      connected: s.connected,
      controlled: this.controlled,
      hubPaused: this.hubPaused,
      hubThreads: this.hubThreads,
      yielding: this.yielding,
      ...(reason ? { reason } : {}),
      kernel,
      gpuOff: this.gpuOff,
    };
  }

  private onHub(method: string, params: unknown[]): void {
    if (method === MM_METHODS.pause) {
      this.hubPaused = true;
      this.hubReason = typeof params[0] === 'string' ? params[0].slice(0, 120) : '';
    } else if (method === MM_METHODS.resume) {
      this.hubPaused = false;
      this.hubReason = '';
    } else if (method === MM_METHODS.threads) {
      const n = params[0];
      if (n === null || n === undefined) this.hubThreads = null;
      else if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 1024) this.hubThreads = n;
      else {
        this.log.warn({ value: String(n).slice(0, 20) }, `${MM_METHODS.threads}: not a thread count; ignored`);
        return;
      }
    }
    this.log.info({ method, params: params.slice(0, 2) }, `hub: ${method.replace('mining.mm_', '')}`);
    this.update();
  }

  private sample(): void {
    let load = 0;
    try {
      load = this.meter();
    } catch {
      load = 0;
    }
    const y = this.check.sample(Date.now(), load, this.battery());
    if (y === this.yielding) return;
    // only a change between yielding and hashing is news; a new figure in the reason ("91% CPU")
    // is kept for the status and the next report, not logged or reported at once
    const flip = (y === null) !== (this.yielding === null);
    this.yielding = y;
    if (flip) {
      this.log.debug({ reason: y }, y ? `yielding: ${y}` : 'this computer is idle again');
      this.update();
    }
  }

  /** the GPU hashes when the agent may hash at all and the hub's cap leaves it a thread */
  private gpuWanted(): boolean {
    return this.gpu !== null && !this.hubPaused && !this.yielding && (this.hubThreads ?? 1) >= 1;
  }

  private wantedThreads(): number {
    if (this.hubPaused || this.yielding) return 0;
    // the GPU counts as one of the threads the hub allows
    const cap = this.hubThreads === null ? this.opts.threads : Math.max(0, this.hubThreads - (this.gpuWanted() ? 1 : 0));
    return Math.min(this.opts.threads, cap);
  }

  /** Applies the wanted thread count; after a stop, reports once no thread hashes any more. */
  private update(): void {
    if (!this.running) return;
    const want = this.wantedThreads();
    const pool = this.miner.pool;
    if (pool.threads !== want) pool.setThreads(want);
    const gpu = this.gpuWanted();
    this.gpu?.setRunning(gpu);
    if ((want === 0 && pool.activeThreads > 0) || (!gpu && this.gpu?.running)) {
      this.waitStopped();
      return;
    }
    this.report(false);
  }

  private waitStopped(): void {
    if (this.waitingStop) return;
    const w: { since: number; timer: NodeJS.Timeout | null } = { since: performance.now(), timer: null };
    this.waitingStop = w;
    const poll = () => {
      w.timer = null;
      if (this.waitingStop !== w) return;
      const pool = this.miner.pool;
      // a thread finishes its batch within milliseconds; bounded at 10 s all the same
      if (((pool.activeThreads > 0 && pool.threads === 0) || (this.gpu?.running && !this.gpuWanted())) && performance.now() - w.since < 10_000) {
        w.timer = setTimeout(poll, 2);
        return;
      }
      this.waitingStop = null;
      const ms = performance.now() - w.since;
      this.log.info({ ms: Math.round(ms * 10) / 10 }, 'threads stopped hashing');
      this.emit('stopped', { ms });
      this.report(false);
    };
    poll();
  }

  /**
   * The computer's draw from RAPL (src/power) where Linux lets this user read it: the whole CPU
   * package while it hashes, sent to the hub as measured watts; null while it does not hash or
   * where there is no such counter (the hub then estimates, and says so).
   */
  private async measure(): Promise<void> {
    this.powercap ??= new PowercapMeter(this.opts.powercapRoot ? { root: this.opts.powercapRoot } : {});
    const w = await this.powercap.read().catch(() => null);
    this.measuredW = w !== null && this.miner.pool.threads > 0 ? Math.round(w * 10) / 10 : null;
  }

  /** Tells the hub (and the local listeners) the state when it changed, or always when forced. */
  private report(force: boolean): void {
    const s = this.state();
    const key = `${s.state}|${s.threads}|${s.reason ?? ''}|${s.connected}|${s.kernel}`;
    if (!force && key === this.lastKey) return;
    this.lastKey = key;
    this.emit('state', s);
    if (!this.controlled) return;
    const report: WorkerReport = { state: s.state, threads: s.threads, hashrate: s.hashrate, hashes: s.hashes };
    if (s.reason) report.reason = s.reason;
    if (this.opts.watts !== undefined) report.watts = this.opts.watts;
    else if (this.gpuWatts?.from === 'estimated' && this.gpu) report.wattsEstimate = this.gpuWatts.watts;
    if (this.measuredW !== null && s.threads > 0) report.wattsMeasured = this.measuredW;
    report.kernel = s.kernel;
    void this.miner.source.client.call(MM_METHODS.state, [report]).then(({ error }) => {
      if (error && error.message !== 'not connected to the pool') this.log.debug({ error }, 'the hub did not take the state report');
    });
  }
}
