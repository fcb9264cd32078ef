// A STAND-IN for an AxeOS miner (Bitaxe, ESP-Miner): there is no miner hardware here. Built from
// ESP-Miner's main/http_server/openapi.yaml and its handlers as they behave (http_server.c,
// system_api_json.c, websocket_api.c, nvs_config.c, power_management_task.c), in three firmware
// generations plus a fork's string fields:
//   legacy  (v2.4-like):  no /api/system/asic, no pause, bestDiff as a suffixed string ("4.29G")
//   v2.9    (v2.7-v2.13): /api/system/asic, no pause, bestDiff as a number
//   v2.14   (v2.14+):     /asic, POST /api/system/pause|resume, miningPaused, /api/ws/live
//   fork: true            numbers sent as strings, bestDiff "270M" / bestSessionDiff "4.29G" (NerdQAxe++)
// Every /api endpoint answers 401 unless the client address (and any Origin) is private; settings
// are checked as nvs_config's table does (400 "Wrong API input", unknown keys ignored) and applied
// live to what info reports; overheat mode stops mining and lowers frequency and voltage by 100
// after cooling. It also MINES for real: a small Stratum client (the project's codec and core
// hashing) from the same loopback address, so a hub links it by its connection address.
import http from 'node:http';
import net from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { assembleHeader, createJsKernel, difficultyToTarget, u32Hex, verifiedScan, type StratumJob } from '../../src/core/index.js';
import { LineSplitter, encodeRequest, parseMessage, parseNotify } from '../../src/stratum/index.js';

export type Generation = 'legacy' | 'v2.9' | 'v2.14';

export interface StandInOptions {
  generation: Generation;
  fork?: boolean;
  /** loopback address to bind and to mine from (default 127.0.0.2) */
  host?: string;
  port?: number;
  hostname?: string;
  mac?: string;
  asicModel?: 'BM1366' | 'BM1368' | 'BM1370';
  frequency?: number;
  coreVoltage?: number;
  /** watts at the default frequency and voltage, hashing */
  watts?: number;
  /** treat loopback clients as the firmware treats private ones (default true; false: loopback gets 401) */
  trustLoopback?: boolean;
  /** live feed period (firmware: 500 ms) */
  livePeriodMs?: number;
}

type Fault = 'status:401' | 'status:404' | 'status:500' | 'hang' | 'oversize' | 'garbage' | 'not-axeos' | 'reset' | 'wrong-types';

const OPTIONS: Record<string, { f: number[]; v: number[]; df: number; dv: number; cores: number }> = {
  BM1366: { f: [400, 425, 450, 475, 485, 500, 525, 550, 575], v: [1100, 1150, 1200, 1250, 1300], df: 485, dv: 1200, cores: 894 },
  BM1368: { f: [400, 425, 450, 475, 485, 490, 500, 525, 550, 575], v: [1100, 1150, 1166, 1200, 1250, 1300], df: 490, dv: 1166, cores: 1276 },
  BM1370: { f: [400, 490, 525, 550, 600, 625], v: [1000, 1060, 1100, 1150, 1200, 1250], df: 525, dv: 1150, cores: 2040 },
};

function suffix(n: number): string {
  const units = ['', 'k', 'M', 'G', 'T', 'P', 'E'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? String(Math.round(v)) : `${v.toFixed(2).replace(/\.?0+$/, '')}${units[i]}`;
}

function isPrivate(addr: string, trustLoopback: boolean): boolean {
  const a = addr.replace(/^::ffff:/, '');
  if (!net.isIPv4(a)) return false;
  const [x, y] = a.split('.').map(Number) as [number, number];
  if (x === 10 || (x === 172 && y >= 16 && y <= 31) || (x === 192 && y === 168)) return true;
  return x === 127 && trustLoopback;
}

export class AxeosStandIn {
  readonly generation: Generation;
  readonly fork: boolean;
  readonly host: string;
  /** every request as received (method, path, body text) */
  readonly requests: { method: string; path: string; body: string; from: string }[] = [];
  /** every PATCH /api/system body, parsed (what a hub sent) */
  readonly patches: Record<string, unknown>[] = [];
  readonly posts: string[] = [];
  private readonly o: Required<Omit<StandInOptions, 'fork' | 'port'>> & { port: number };
  private server: http.Server | null = null;
  private wss: WebSocketServer | null = null;
  private liveTimer: NodeJS.Timeout | null = null;
  private lastLive = new Map<WebSocket, Record<string, unknown>>();
  private faults: { kind: Fault; left: number }[] = [];
  private hung = new Set<http.ServerResponse>();
  // device state
  frequency: number;
  coreVoltage: number;
  paused = false;
  overheatMode = false;
  powerFault: string | null = null;
  hostname: string;
  fanspeed = 45;
  /** settings a hub must never touch: changes here show in `requests` and in these */
  stratumURL = 'stratum+tcp://127.0.0.1';
  stratumPort = 3333;
  stratumUser = '';
  private bestDiff = 0;
  private bestSessionDiff = 0;
  // mining
  accepted = 0;
  rejected = 0;
  private miner: StandInMiner | null = null;

  constructor(opts: StandInOptions) {
    this.generation = opts.generation;
    this.fork = opts.fork ?? false;
    const asic = OPTIONS[opts.asicModel ?? 'BM1370']!;
    this.o = {
      generation: opts.generation,
      host: opts.host ?? '127.0.0.2',
      port: opts.port ?? 0,
      hostname: opts.hostname ?? 'bitaxe',
      mac: opts.mac ?? 'AA:BB:CC:00:11:22',
      asicModel: opts.asicModel ?? 'BM1370',
      frequency: opts.frequency ?? asic.df,
      coreVoltage: opts.coreVoltage ?? asic.dv,
      watts: opts.watts ?? 18,
      trustLoopback: opts.trustLoopback ?? true,
      livePeriodMs: opts.livePeriodMs ?? 500,
    };
    this.host = this.o.host;
    this.frequency = this.o.frequency;
    this.coreVoltage = this.o.coreVoltage;
    this.hostname = this.o.hostname;
  }

  get asic() {
    return OPTIONS[this.o.asicModel]!;
  }

  get hasAsic(): boolean {
    return this.generation !== 'legacy';
  }

  get hasPause(): boolean {
    return this.generation === 'v2.14';
  }

  get mining(): boolean {
    return !this.paused && !this.overheatMode;
  }

  /** http://host:port */
  get url(): string {
    const a = this.server!.address() as net.AddressInfo;
    return `http://${this.host}:${a.port}`;
  }

  get port(): number {
    return (this.server!.address() as net.AddressInfo).port;
  }

  /** Watts as the power task would measure them: ∝ frequency, ∝ voltage²; ~2 W when not hashing. */
  get watts(): number {
    if (!this.mining) return 2.1;
    return this.o.watts * (this.frequency / this.asic.df) * (this.coreVoltage / this.asic.dv) ** 2;
  }

  /** GH/s as the firmware expects it: frequency × small cores / 1000. */
  get hashrateGhs(): number {
    return this.mining ? (this.frequency * this.asic.cores) / 1000 : 0;
  }

  /** The next `count` requests fail this way. */
  failNext(kind: Fault, count = 1): void {
    this.faults.push({ kind, left: count });
  }

  clearFaults(): void {
    this.faults = [];
    for (const r of this.hung) r.destroy();
    this.hung.clear();
  }

  /** The firmware's overheat: mining stops, fan 100 %, overheat_mode 1. */
  overheat(): void {
    this.overheatMode = true;
    this.fanspeed = 100;
  }

  /** After cooling: frequency and voltage each lowered by 100, overheat_mode 0, mining again. */
  cool(): void {
    this.frequency = Math.max(1, this.frequency - 100);
    this.coreVoltage = Math.max(1, this.coreVoltage - 100);
    this.overheatMode = false;
    this.fanspeed = 45;
  }

  async start(): Promise<this> {
    const server = http.createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 1000;
    this.server = server;
    if (this.hasPause) {
      this.wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
      server.on('upgrade', (req, socket, head) => {
        if (req.url !== '/api/ws/live' || !this.allowed(req)) {
          socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
          return;
        }
        this.wss!.handleUpgrade(req, socket, head, (ws) => {
          const full = this.info();
          this.lastLive.set(ws, full);
          ws.send(JSON.stringify({ event: 'update', data: full }));
          ws.on('close', () => this.lastLive.delete(ws));
          ws.on('error', () => this.lastLive.delete(ws));
        });
      });
      this.liveTimer = setInterval(() => this.pushLive(), this.o.livePeriodMs);
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port, this.o.host, () => resolve());
    });
    return this;
  }

  /**
   * Mines on a Stratum endpoint from this stand-in's own address (hashing for real, throttled).
   * `suggestDifficulty`: sent as mining.suggest_difficulty after authorize, as ESP-Miner does with
   * its configured difficulty (a test gives a low one so shares come often).
   */
  async mine(opts: { port: number; host?: string; user: string; suggestDifficulty?: number }): Promise<void> {
    this.stratumUser = opts.user;
    this.stratumPort = opts.port;
    this.miner = new StandInMiner(this, {
      host: opts.host ?? '127.0.0.1',
      port: opts.port,
      user: opts.user,
      localAddress: this.host,
      suggestDifficulty: opts.suggestDifficulty,
    });
    await this.miner.connect();
  }

  async stop(): Promise<void> {
    if (this.liveTimer) clearInterval(this.liveTimer);
    this.liveTimer = null;
    await this.miner?.stop();
    this.miner = null;
    for (const ws of this.wss?.clients ?? []) ws.terminate();
    this.wss?.close();
    this.wss = null;
    this.clearFaults();
    const s = this.server;
    this.server = null;
    if (s) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  }

  /** Called by the miner when a share it found was answered. */
  credit(accepted: boolean, difficulty: number): void {
    if (accepted) this.accepted++;
    else this.rejected++;
    if (difficulty > this.bestSessionDiff) this.bestSessionDiff = difficulty;
    if (difficulty > this.bestDiff) this.bestDiff = difficulty;
  }

  private allowed(req: http.IncomingMessage): boolean {
    const from = req.socket.remoteAddress ?? '';
    if (!isPrivate(from, this.o.trustLoopback)) return false;
    const origin = req.headers.origin;
    if (typeof origin === 'string') {
      const m = /^http:\/\/([^/:]+)/.exec(origin);
      if (!m || !isPrivate(m[1]!, this.o.trustLoopback)) return false;
    }
    return true;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 16384) chunks.push(c);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = (req.url ?? '/').split('?')[0]!;
      this.requests.push({ method: req.method ?? '?', path, body, from: req.socket.remoteAddress ?? '?' });
      const fault = this.faults[0];
      if (fault && path.startsWith('/api/')) {
        if (--fault.left <= 0) this.faults.shift();
        if (this.fault(fault.kind, res)) return;
      }
      this.route(req, res, path, body, size);
    });
  }

  /** true when the fault answered (or swallowed) the request */
  private fault(kind: Fault, res: http.ServerResponse): boolean {
    if (kind.startsWith('status:')) {
      const status = Number(kind.slice(7));
      res
        .writeHead(status, { 'content-type': 'text/plain' })
        .end(status === 401 ? 'Unauthorized' : status === 404 ? '{"error":"unknown route"}' : 'Internal Server Error');
      return true;
    }
    if (kind === 'hang') {
      this.hung.add(res);
      return true;
    }
    if (kind === 'reset') {
      res.socket?.destroy();
      return true;
    }
    if (kind === 'garbage') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"power": 12.5, "temp": 5');
      return true;
    }
    if (kind === 'not-axeos') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"hello":"a router page"}');
      return true;
    }
    if (kind === 'wrong-types') {
      const i = this.info();
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ...i, temp: { c: 50 }, power: [1], bestDiff: true, frequency: 'fast', hostname: 42, macAddr: 'nope', overheat_mode: 'maybe' }));
      return true;
    }
    if (kind === 'oversize') {
      // an endless-looking reply: 2 MiB of a JSON string, chunked (no content-length)
      res.writeHead(200, { 'content-type': 'application/json' });
      const piece = 'x'.repeat(64 * 1024);
      res.write('{"ASICModel":"BM1370","hashRate":1,"pad":"');
      let n = 0;
      const more = () => {
        while (n < 32) {
          n++;
          if (!res.write(piece)) {
            res.once('drain', more);
            return;
          }
        }
        res.end('"}');
      };
      res.on('error', () => {});
      more();
      return true;
    }
    return false;
  }

  private json(res: http.ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json', 'access-control-allow-origin': '*' }).end(JSON.stringify(body));
  }

  private route(req: http.IncomingMessage, res: http.ServerResponse, path: string, body: string, size: number): void {
    const method = req.method ?? 'GET';
    if (!path.startsWith('/api/')) {
      res.writeHead(302, { location: '/' }).end('Redirect to the captive portal');
      return;
    }
    if (!this.allowed(req)) {
      res.writeHead(401, { 'content-type': 'text/plain' }).end('Unauthorized');
      return;
    }
    if (method === 'GET' && path === '/api/system/info') {
      this.json(res, 200, this.info());
      return;
    }
    if (method === 'GET' && path === '/api/system/asic' && this.hasAsic) {
      const a = this.asic;
      this.json(res, 200, {
        ASICModel: this.o.asicModel,
        deviceModel: 'Gamma',
        swarmColor: 'purple',
        asicCount: 1,
        defaultFrequency: a.df,
        frequencyOptions: a.f,
        defaultVoltage: a.dv,
        voltageOptions: a.v,
      });
      return;
    }
    if (method === 'PATCH' && path === '/api/system') {
      this.patch(res, body, size);
      return;
    }
    if (method === 'POST' && (path === '/api/system/pause' || path === '/api/system/resume') && this.hasPause) {
      this.posts.push(path);
      this.paused = path.endsWith('pause');
      this.json(res, 200, { message: this.paused ? 'Mining paused' : 'Mining resumed' });
      return;
    }
    // the firmware's catch-all for /api/*: 404 as JSON
    this.json(res, 404, { error: 'unknown route' });
  }

  private patch(res: http.ServerResponse, body: string, size: number): void {
    if (size >= 10240) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('content too long');
      return;
    }
    let root: unknown;
    try {
      root = JSON.parse(body);
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('Invalid JSON');
      return;
    }
    if (!root || typeof root !== 'object' || Array.isArray(root)) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('Invalid JSON');
      return;
    }
    const o = root as Record<string, unknown>;
    this.patches.push(o);
    // nvs_config's table: type and range per known key; unknown keys are ignored
    const numeric: Record<string, [number, number]> = {
      frequency: [1, 65535],
      coreVoltage: [1, 65535],
      fanspeed: [0, 100],
      stratumPort: [1, 65535],
      overheat_mode: [0, 0],
    };
    const strings: Record<string, [number, number]> = { hostname: [1, 32], stratumURL: [0, 128], stratumUser: [0, 128] };
    let ok = true;
    for (const [k, [lo, hi]] of Object.entries(numeric)) {
      if (!(k in o)) continue;
      const v = o[k];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) ok = false;
    }
    for (const [k, [lo, hi]] of Object.entries(strings)) {
      if (!(k in o)) continue;
      const v = o[k];
      if (typeof v !== 'string' || v.length < lo || v.length > hi) ok = false;
    }
    if (!ok) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('Wrong API input');
      return;
    }
    // applied live (the power task re-reads NVS every ~100 ms)
    if (typeof o.frequency === 'number') this.frequency = this.generation === 'legacy' ? Math.trunc(o.frequency) : o.frequency;
    if (typeof o.coreVoltage === 'number') this.coreVoltage = Math.trunc(o.coreVoltage);
    if (typeof o.fanspeed === 'number') this.fanspeed = o.fanspeed;
    if (typeof o.hostname === 'string') this.hostname = o.hostname;
    if (typeof o.stratumURL === 'string') this.stratumURL = o.stratumURL;
    if (typeof o.stratumPort === 'number') this.stratumPort = o.stratumPort;
    if (typeof o.stratumUser === 'string') this.stratumUser = o.stratumUser;
    if ('overheat_mode' in o) this.overheatMode = false;
    res.writeHead(200).end();
  }

  /** The SystemInfo object this generation sends. */
  info(): Record<string, unknown> {
    const a = this.asic;
    const base: Record<string, unknown> = {
      power: round(this.watts, 4),
      voltage: 5112.5,
      current: round((this.watts / 5.1125) * 1000, 2),
      temp: this.mining ? round(42 + this.watts, 2) : 38,
      vrTemp: this.mining ? round(40 + this.watts * 1.2, 1) : 36,
      hashRate: round(this.hashrateGhs, 3),
      coreVoltage: this.coreVoltage,
      coreVoltageActual: this.coreVoltage - 6,
      frequency: this.frequency,
      ssid: 'home',
      macAddr: this.o.mac,
      hostname: this.hostname,
      wifiStatus: 'Connected!',
      sharesAccepted: this.accepted,
      sharesRejected: this.rejected,
      uptimeSeconds: 1234,
      smallCoreCount: a.cores,
      ASICModel: this.o.asicModel,
      stratumURL: this.stratumURL,
      stratumPort: this.stratumPort,
      stratumUser: this.stratumUser,
      fallbackStratumURL: '',
      fallbackStratumPort: 3333,
      fallbackStratumUser: '',
      isUsingFallbackStratum: 0,
      boardVersion: '601',
      runningPartition: 'ota_0',
      overheat_mode: this.overheatMode ? 1 : 0,
      invertscreen: 0,
      autofanspeed: this.overheatMode ? 0 : 1,
      fanspeed: this.fanspeed,
      fanrpm: Math.round(this.fanspeed * 62),
      freeHeap: 171_000,
    };
    if (this.powerFault) base.power_fault = this.powerFault;
    if (this.generation === 'legacy') {
      return {
        ...base,
        version: 'v2.4.0',
        bestDiff: suffix(this.bestDiff),
        bestSessionDiff: suffix(this.bestSessionDiff),
        asicCount: 1,
        flipscreen: 1,
        invertfanpolarity: 1,
      };
    }
    const modern: Record<string, unknown> = {
      ...base,
      version: this.generation === 'v2.9' ? 'v2.9.0' : 'v2.14.0',
      axeOSVersion: this.generation === 'v2.9' ? 'v2.9.0' : 'v2.14.0',
      idfVersion: 'v5.4.1',
      maxPower: 40,
      nominalVoltage: 5,
      expectedHashrate: round((this.frequency * a.cores) / 1000, 3),
      bestDiff: this.bestDiff,
      bestSessionDiff: this.bestSessionDiff,
      poolDifficulty: 1000,
      temptarget: 60,
      statsFrequency: 0,
    };
    if (this.generation === 'v2.14') {
      Object.assign(modern, {
        miningPaused: this.paused,
        hashRate_1m: modern.hashRate,
        hashRate_10m: modern.hashRate,
        hashRate_1h: modern.hashRate,
        errorPercentage: 0.1,
        hashrateMonitor: { asics: [{ total: modern.hashRate, errorCount: 0, domains: [1, 2, 3, 4] }] },
      });
    }
    if (this.fork) {
      // a fork's strings: numbers as text, difficulties with suffixes
      for (const k of ['power', 'temp', 'vrTemp', 'hashRate', 'frequency', 'coreVoltage', 'fanspeed', 'sharesAccepted']) modern[k] = String(modern[k]);
      modern.bestDiff = this.bestDiff > 0 ? suffix(this.bestDiff) : '270M';
      modern.bestSessionDiff = this.bestSessionDiff > 0 ? suffix(this.bestSessionDiff) : '4.29G';
      modern.version = 'v1.0.30-nerdqaxe';
    }
    return modern;
  }

  private pushLive(): void {
    for (const [ws, last] of this.lastLive) {
      const now = this.info();
      const diff: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(now)) if (JSON.stringify(last[k]) !== JSON.stringify(v)) diff[k] = v;
      this.lastLive.set(ws, now);
      if (Object.keys(diff).length) ws.send(JSON.stringify({ event: 'update', data: diff }));
    }
  }
}

function round(n: number, d: number): number {
  const f = 10 ** d;
  return Math.round(n * f) / f;
}

const kernel = createJsKernel();

/** The stand-in's Stratum client: subscribe, authorize, hash the job for real (throttled), submit. */
class StandInMiner {
  private socket: net.Socket | null = null;
  private job: StratumJob | null = null;
  private header: Uint8Array | null = null;
  private extranonce1 = '';
  private extranonce2Size = 4;
  private en2 = 0;
  private en2hex = '';
  private nonce = 0;
  private difficulty = 1;
  private nextId = 1;
  private timer: NodeJS.Timeout | null = null;
  private readonly pending = new Map<number, { resolve: (m: { result?: unknown; error?: unknown }) => void; difficulty?: number }>();

  constructor(
    private readonly device: AxeosStandIn,
    private readonly o: { host: string; port: number; user: string; localAddress: string; suggestDifficulty?: number },
  ) {}

  async connect(): Promise<void> {
    const socket = net.connect({ host: this.o.host, port: this.o.port, localAddress: this.o.localAddress });
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.on('error', () => {});
    const split = new LineSplitter(1 << 20);
    socket.on('data', (c: Buffer) => {
      let lines: string[];
      try {
        lines = split.push(c);
      } catch {
        socket.destroy();
        return;
      }
      for (const line of lines) this.onLine(line);
    });
    const sub = await this.call('mining.subscribe', ['bitaxe/BM1370/v2.14.0']);
    const r = sub.result as [unknown, string, number];
    this.extranonce1 = r[1];
    this.extranonce2Size = r[2];
    const auth = await this.call('mining.authorize', [this.o.user, 'x']);
    if (auth.result !== true) throw new Error(`stand-in miner: authorize refused ${JSON.stringify(auth.error)}`);
    if (this.o.suggestDifficulty !== undefined) await this.call('mining.suggest_difficulty', [this.o.suggestDifficulty]);
    this.timer = setInterval(() => this.hashSome(), 20);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const s = this.socket;
    this.socket = null;
    if (s) await new Promise<void>((r) => (s.destroyed ? r() : (s.once('close', () => r()), s.end(), setTimeout(() => s.destroy(), 500).unref())));
  }

  private call(method: string, params: unknown[], difficulty?: number): Promise<{ result?: unknown; error?: unknown }> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, { resolve, difficulty });
      this.socket?.write(encodeRequest(id, method, params));
    });
  }

  private onLine(line: string): void {
    let m: ReturnType<typeof parseMessage>;
    try {
      m = parseMessage(line);
    } catch {
      return;
    }
    if ('method' in m && m.method) {
      if (m.method === 'mining.set_difficulty') this.difficulty = Number((m.params as unknown[])[0]) || this.difficulty;
      if (m.method === 'mining.notify') {
        try {
          const job = parseNotify(m.params as unknown[]);
          this.job = job;
          this.en2hex = (this.en2++).toString(16).padStart(this.extranonce2Size * 2, '0');
          this.header = assembleHeader(job, { extranonce1: this.extranonce1, extranonce2: this.en2hex }).header;
          this.nonce = 0;
        } catch {
          /* a job it cannot read: keep the last */
        }
      }
      return;
    }
    const id = typeof m.id === 'number' ? m.id : Number(m.id);
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    const r = m as { result?: unknown; error?: unknown };
    if (p.difficulty !== undefined) this.device.credit(r.result === true, p.difficulty);
    p.resolve(r);
  }

  /** A slice of nonces per tick, scaled by the frequency; nothing while paused or overheated. */
  private hashSome(): void {
    if (!this.job || !this.header || !this.device.mining) return;
    const count = Math.max(256, Math.round(2048 * (this.device.frequency / this.device.asic.df)));
    if (this.nonce + count > 2 ** 32) return;
    const target = difficultyToTarget(this.difficulty);
    const job = this.job;
    for (const f of verifiedScan(kernel, this.header, this.nonce, count, target)) {
      void this.call('mining.submit', [this.o.user, job.jobId, this.en2hex, job.ntime, u32Hex(f.nonce)], f.difficulty);
    }
    this.nonce += count;
  }
}
