/**
 * Stratum V1 client toward an upstream pool, over TCP or TLS: configure (BIP310), subscribe,
 * authorize, suggest_difficulty, notify, set_difficulty, set_extranonce, set_version_mask,
 * client.reconnect, submit; reconnects with backoff and jitter, and fails over to a second pool.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { InputError, u32Hex, type StratumJob } from '../core/index.js';
import { logger as makeLogger, redactUrl, type Logger } from '../log.js';
import {
  ERR,
  LineSplitter,
  checkExtranonce,
  encodeRequest,
  encodeResult,
  encodeError,
  parseDifficulty,
  parseMessage,
  parseNotify,
  parsePoolUrl,
  parseSubscribeResult,
  type PoolUrl,
  type RpcId,
  type RpcMessage,
} from './codec.js';

export interface StratumClientOptions {
  /** stratum+tcp://host:port or stratum+ssl://host:port */
  url: string;
  /** a second pool, used after `failoverAfter` failed attempts on the first */
  fallbackUrl?: string;
  user: string;
  password?: string;
  userAgent?: string;
  /** version-rolling mask to ask for (BIP310); false: do not send mining.configure (default 0x1fffe000) */
  versionRolling?: number | false;
  /** sent as mining.suggest_difficulty after authorize */
  suggestDifficulty?: number;
  /** send mining.extranonce.subscribe (default false: some old pools drop unknown methods) */
  extranonceSubscribe?: boolean;
  /** TLS: extra CA (a self-signed pool), or rejectUnauthorized false to accept any certificate */
  tls?: { ca?: string | Buffer; rejectUnauthorized?: boolean; servername?: string };
  /** first reconnect delay (default 1000 ms); doubles up to backoffMaxMs, with jitter */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** failed attempts on one pool before trying the other (default 2) */
  failoverAfter?: number;
  /** a request without a reply fails after this (default 30 s) */
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** no message from the pool for this long: reconnect (default 10 min) */
  idleTimeoutMs?: number;
  /** longest line accepted from the pool (default 1 MiB) */
  maxLine?: number;
  /** follow client.reconnect to another host (default false: only the port and the wait are honoured) */
  followRedirects?: boolean;
  /** more mining.configure extensions (e.g. the hub's pause extension) and the server methods they bring, emitted as 'extension' ({method, params}) */
  extensions?: { names: string[]; params: Record<string, unknown>; methods: string[] };
  logger?: Logger;
}

export interface ConnectedInfo {
  /** the pool URL without credentials */
  url: string;
  fallback: boolean;
  extranonce1: string;
  extranonce2Size: number;
  /** negotiated version-rolling mask (0 = none) */
  versionMask: number;
  /** increases with every new pool session */
  session: number;
  /** the pool's mining.configure result ({} when it sent none) */
  configured: Record<string, unknown>;
}

export interface UpstreamSubmit {
  jobId: string;
  extranonce2: string;
  /** big-endian hex, 8 digits */
  ntime: string;
  nonce: string;
  versionBits?: string;
}

export interface SubmitOutcome {
  accepted: boolean;
  code?: number;
  message?: string;
  /** round trip in ms */
  ms: number;
}

interface Pending {
  resolve: (m: { result: unknown; error: { code: number; message: string } | null }) => void;
  timer: NodeJS.Timeout;
}

interface Conn {
  socket: net.Socket;
  splitter: LineSplitter;
  pending: Map<number, Pending>;
  ready: boolean;
  closed: boolean;
  badLines: number;
  queuedJob: StratumJob | null;
}

/**
 * Events: 'connected' (ConnectedInfo), 'job' (StratumJob), 'difficulty' (number),
 * 'extranonce' ({extranonce1, extranonce2Size}), 'versionMask' (number),
 * 'disconnected' ({reason}), 'warning' (Error). Never emits 'error'.
 */
export class StratumClient extends EventEmitter {
  readonly userAgent: string;
  private readonly urls: PoolUrl[];
  private readonly opts: StratumClientOptions;
  private readonly log: Logger;
  private conn: Conn | null = null;
  private urlIndex = 0;
  private failuresHere = 0;
  private attempt = 0;
  private nextId = 1;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private redirect: { host: string; port: number } | null = null;
  private sessionNo = 0;
  private info: ConnectedInfo | null = null;
  private diff = 0;
  private closedWaiters: (() => void)[] = [];

  constructor(options: StratumClientOptions) {
    super();
    this.opts = options;
    if (typeof options.user !== 'string' || !options.user.length) throw new InputError('pool user is required (your payout address or account.worker)', 'pool-user');
    this.urls = [parsePoolUrl(options.url)];
    if (options.fallbackUrl) this.urls.push(parsePoolUrl(options.fallbackUrl));
    this.userAgent = options.userAgent ?? 'micro-mining/0.1.0';
    this.log = options.logger ?? makeLogger('stratum-client');
  }

  /** The current pool session, null while not connected and authorized. */
  get connected(): ConnectedInfo | null {
    return this.info;
  }

  get difficulty(): number {
    return this.diff;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.connect();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const c = this.conn;
    if (c && !c.closed) {
      const closed = new Promise<void>((r) => this.closedWaiters.push(r));
      c.socket.destroy();
      await closed;
    }
  }

  /** Submits a share with the pool user as worker name. */
  submit(s: UpstreamSubmit): Promise<SubmitOutcome> {
    const c = this.conn;
    const t0 = performance.now();
    if (!c || !c.ready || !this.info) return Promise.resolve({ accepted: false, code: ERR.OTHER, message: 'not connected to the pool', ms: 0 });
    const params: unknown[] = [this.userFor(), s.jobId, s.extranonce2, s.ntime, s.nonce];
    if (s.versionBits !== undefined && this.info.versionMask) params.push(s.versionBits);
    return this.request(c, 'mining.submit', params).then(({ result, error }) => {
      const ms = performance.now() - t0;
      if (result === true && !error) return { accepted: true, ms };
      return { accepted: false, code: error?.code ?? ERR.OTHER, message: error?.message ?? 'rejected', ms };
    });
  }

  /** Sends a request to the pool on the current session (an extension's report); resolves with its reply. */
  call(method: string, params: unknown[]): Promise<{ result: unknown; error: { code: number; message: string } | null }> {
    const c = this.conn;
    if (!c || !c.ready) return Promise.resolve({ result: null, error: { code: ERR.OTHER, message: 'not connected to the pool' } });
    return this.request(c, method, params);
  }

  private userFor(): string {
    return this.urls[this.urlIndex].user ?? this.opts.user;
  }

  private passwordFor(): string {
    return this.urls[this.urlIndex].password ?? this.opts.password ?? 'x';
  }

  private currentLabel(): string {
    const u = this.urls[this.urlIndex];
    return redactUrl(`${u.tls ? 'stratum+ssl' : 'stratum+tcp'}://${u.host}:${u.port}`);
  }

  private connect(): void {
    this.timer = null;
    if (!this.running) return;
    const u = this.urls[this.urlIndex];
    const host = this.redirect?.host ?? u.host;
    const port = this.redirect?.port ?? u.port;
    this.redirect = null;
    this.pendingMask = null;
    this.diff = 1; // Stratum's default until the pool sets one
    const connectTimeout = this.opts.connectTimeoutMs ?? 10_000;
    let socket: net.Socket;
    if (u.tls) {
      socket = tls.connect({
        host,
        port,
        servername: this.opts.tls?.servername ?? (net.isIP(host) ? undefined : host),
        ca: this.opts.tls?.ca,
        rejectUnauthorized: this.opts.tls?.rejectUnauthorized ?? true,
      });
    } else {
      socket = net.connect({ host, port });
    }
    const conn: Conn = {
      socket,
      splitter: new LineSplitter(this.opts.maxLine ?? 1024 * 1024),
      pending: new Map(),
      ready: false,
      closed: false,
      badLines: 0,
      queuedJob: null,
    };
    this.conn = conn;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    socket.setTimeout(connectTimeout);
    this.log.info({ pool: this.currentLabel(), fallback: this.urlIndex > 0 }, 'connecting to pool');
    socket.on(u.tls ? 'secureConnect' : 'connect', () => {
      socket.setTimeout(this.opts.idleTimeoutMs ?? 600_000);
      this.handshake(conn).catch((err: Error) => {
        this.warn(err);
        socket.destroy();
      });
    });
    socket.on('timeout', () => {
      this.warn(new Error(conn.ready ? 'pool silent for too long' : 'pool connection timed out'));
      socket.destroy();
    });
    socket.on('data', (chunk: Buffer) => {
      let lines: string[];
      try {
        lines = conn.splitter.push(chunk);
      } catch (err) {
        this.warn(err as Error);
        socket.destroy();
        return;
      }
      for (const line of lines) {
        if (conn.closed) return;
        this.onLine(conn, line);
      }
    });
    socket.on('error', (err) => this.log.warn({ err: { message: err.message } }, 'pool socket error'));
    socket.on('close', () => this.onClose(conn));
  }

  private async handshake(c: Conn): Promise<void> {
    const mask = this.opts.versionRolling === undefined ? 0x1fffe000 : this.opts.versionRolling;
    let versionMask = 0;
    let configuredResult: Record<string, unknown> = {};
    const ext = this.opts.extensions;
    const names = [...(mask === false ? [] : ['version-rolling']), ...(ext?.names ?? [])];
    const configured =
      names.length === 0
        ? Promise.resolve()
        : this.request(c, 'mining.configure', [names, { ...(mask === false ? {} : { 'version-rolling.mask': u32Hex(mask), 'version-rolling.min-bit-count': 2 }), ...ext?.params }]).then(({ result }) => {
            if (result && typeof result === 'object' && !Array.isArray(result)) configuredResult = { ...(result as Record<string, unknown>) };
            if (mask !== false && result && typeof result === 'object' && (result as Record<string, unknown>)['version-rolling'] === true) {
              const m = String((result as Record<string, unknown>)['version-rolling.mask'] ?? '');
              if (/^[0-9a-fA-F]{1,8}$/.test(m)) versionMask = (parseInt(m, 16) & mask) >>> 0;
            }
          });
    const sub = await this.request(c, 'mining.subscribe', [this.userAgent]);
    await configured;
    if (sub.error) throw new Error(`pool refused mining.subscribe: ${sub.error.message}`);
    const { extranonce1, extranonce2Size } = parseSubscribeResult(sub.result);
    if (this.opts.extranonceSubscribe) this.send(c, encodeRequest(this.nextId++, 'mining.extranonce.subscribe', []));
    const auth = await this.request(c, 'mining.authorize', [this.userFor(), this.passwordFor()]);
    if (auth.result !== true || auth.error) {
      throw new Error(`pool refused mining.authorize for this user: ${auth.error?.message ?? 'result false'}; check --pool-user and --pool-password`);
    }
    if (c.closed) return;
    if (this.opts.suggestDifficulty) this.send(c, encodeRequest(this.nextId++, 'mining.suggest_difficulty', [this.opts.suggestDifficulty]));
    c.ready = true;
    this.attempt = 0;
    this.failuresHere = 0;
    this.info = {
      url: this.currentLabel(),
      fallback: this.urlIndex > 0,
      extranonce1,
      extranonce2Size,
      versionMask: this.pendingMask ?? versionMask,
      session: ++this.sessionNo,
      configured: configuredResult,
    };
    this.pendingMask = null;
    this.log.info({ pool: this.info.url, extranonce2Size, versionMask: u32Hex(this.info.versionMask) }, 'pool session ready');
    this.emit('connected', { ...this.info });
    this.emit('difficulty', this.diff);
    if (c.queuedJob) {
      const j = c.queuedJob;
      c.queuedJob = null;
      this.emit('job', { ...j, cleanJobs: true });
    }
  }

  private pendingMask: number | null = null;

  private onLine(c: Conn, line: string): void {
    let msg: RpcMessage;
    try {
      msg = parseMessage(line);
    } catch (err) {
      if (++c.badLines > 100) {
        this.warn(new Error('pool sends too many malformed lines; reconnecting'));
        c.socket.destroy();
      }
      this.log.debug({ err: { message: (err as Error).message } }, 'malformed line from pool');
      return;
    }
    if (msg.kind === 'response') {
      if (typeof msg.id !== 'number') return;
      const p = c.pending.get(msg.id);
      if (!p) return;
      c.pending.delete(msg.id);
      clearTimeout(p.timer);
      p.resolve({ result: msg.result, error: msg.error });
      return;
    }
    try {
      this.onRequest(c, msg.id, msg.method, msg.params);
    } catch (err) {
      c.badLines++;
      this.warn(err as Error);
      if (msg.id !== null) this.send(c, encodeError(msg.id, ERR.OTHER, (err as Error).message));
    }
  }

  private onRequest(c: Conn, id: RpcId, method: string, params: unknown[]): void {
    switch (method) {
      case 'mining.notify': {
        const job = parseNotify(params);
        if (c.ready) this.emit('job', job);
        else c.queuedJob = job;
        return;
      }
      case 'mining.set_difficulty': {
        this.diff = parseDifficulty(params[0], 'mining.set_difficulty');
        if (c.ready) this.emit('difficulty', this.diff);
        return;
      }
      case 'mining.set_extranonce': {
        const e = checkExtranonce(params[0], params[1], 'mining.set_extranonce');
        if (this.info) {
          this.info.extranonce1 = e.extranonce1;
          this.info.extranonce2Size = e.extranonce2Size;
          this.emit('extranonce', e);
        }
        if (id !== null) this.send(c, encodeResult(id, true));
        return;
      }
      case 'mining.set_version_mask': {
        const m = typeof params[0] === 'string' && /^[0-9a-fA-F]{1,8}$/.test(params[0]) ? parseInt(params[0], 16) >>> 0 : null;
        if (m === null) throw new InputError('mining.set_version_mask: expected a hex mask', 'mining.set_version_mask');
        const asked = this.opts.versionRolling === false ? 0 : (this.opts.versionRolling ?? 0x1fffe000);
        const mask = (m & asked) >>> 0;
        if (this.info) {
          this.info.versionMask = mask;
          this.emit('versionMask', mask);
        } else this.pendingMask = mask;
        return;
      }
      case 'client.reconnect': {
        this.onReconnect(c, params);
        return;
      }
      case 'mining.ping':
        if (id !== null) this.send(c, encodeResult(id, 'pong'));
        return;
      case 'client.get_version':
        if (id !== null) this.send(c, encodeResult(id, this.userAgent));
        return;
      case 'client.show_message':
        this.log.info({ message: String(params[0] ?? '').slice(0, 200) }, 'message from the pool');
        if (id !== null) this.send(c, encodeResult(id, true));
        return;
      default:
        if (this.opts.extensions?.methods.includes(method)) {
          this.emit('extension', { method, params });
          if (id !== null) this.send(c, encodeResult(id, true));
          return;
        }
        if (id !== null) this.send(c, encodeError(id, ERR.OTHER, `unknown method ${method.slice(0, 64)}`));
    }
  }

  /** `client.reconnect [host, port, wait]`: port may be a string; no params means "this pool again". */
  private onReconnect(c: Conn, params: unknown[]): void {
    const u = this.urls[this.urlIndex];
    const host = typeof params[0] === 'string' && params[0].length ? params[0] : u.host;
    const portNum = params[1] === undefined || params[1] === null || params[1] === '' ? u.port : Number(params[1]);
    const wait = params[2] === undefined ? 0 : Number(params[2]);
    if (!Number.isInteger(portNum) || portNum < 1 || portNum > 65535) throw new InputError('client.reconnect: bad port', 'client.reconnect');
    const sameHost = host === u.host;
    if (!sameHost && !this.opts.followRedirects) {
      this.log.warn({ host: host.slice(0, 100) }, 'pool asked to reconnect to another host; reconnecting to the configured host instead');
    }
    this.redirect = { host: sameHost || this.opts.followRedirects ? host : u.host, port: sameHost || this.opts.followRedirects ? portNum : u.port };
    this.reconnectWaitMs = Number.isFinite(wait) && wait > 0 ? Math.min(wait, 600) * 1000 : 0;
    this.log.info({ port: this.redirect.port, waitS: this.reconnectWaitMs / 1000 }, 'pool asked us to reconnect');
    c.socket.destroy();
  }

  private reconnectWaitMs: number | null = null;

  private request(c: Conn, method: string, params: unknown[]): Promise<{ result: unknown; error: { code: number; message: string } | null }> {
    if (c.closed) return Promise.resolve({ result: null, error: { code: ERR.OTHER, message: 'connection lost' } });
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        c.pending.delete(id);
        resolve({ result: null, error: { code: ERR.OTHER, message: `no reply to ${method}` } });
      }, this.opts.requestTimeoutMs ?? 30_000);
      c.pending.set(id, { resolve, timer });
      this.send(c, encodeRequest(id, method, params));
    });
  }

  private send(c: Conn, line: string): void {
    if (!c.closed && c.socket.writable) c.socket.write(line);
  }

  private onClose(c: Conn): void {
    c.closed = true;
    for (const [, p] of c.pending) {
      clearTimeout(p.timer);
      p.resolve({ result: null, error: { code: ERR.OTHER, message: 'connection lost' } });
    }
    c.pending.clear();
    const wasReady = c.ready;
    if (this.conn === c) this.conn = null;
    if (wasReady) {
      this.info = null;
      this.emit('disconnected', { reason: 'connection closed' });
    }
    const waiters = this.closedWaiters;
    this.closedWaiters = [];
    for (const w of waiters) w();
    if (!this.running) return;
    let delay: number;
    if (this.reconnectWaitMs !== null) {
      delay = this.reconnectWaitMs;
      this.reconnectWaitMs = null;
    } else {
      if (!wasReady) {
        this.failuresHere++;
        if (this.urls.length > 1 && this.failuresHere >= (this.opts.failoverAfter ?? 2)) {
          this.urlIndex = (this.urlIndex + 1) % this.urls.length;
          this.failuresHere = 0;
          this.log.warn({ pool: this.currentLabel() }, 'failing over to the other pool');
        }
      }
      delay = backoffDelay(this.attempt++, this.opts.backoffMinMs ?? 1000, this.opts.backoffMaxMs ?? 60_000);
    }
    this.timer = setTimeout(() => this.connect(), delay);
  }

  private warn(err: Error): void {
    this.log.warn({ err: { message: err.message } }, err.message);
    if (this.listenerCount('warning')) this.emit('warning', err);
  }
}

/** Exponential backoff with "equal jitter": half fixed, half random. */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random = Math.random): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(base / 2 + (random() * base) / 2);
}
