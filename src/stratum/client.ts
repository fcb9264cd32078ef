/**
 * Stratum V1 client toward an upstream pool, over TCP or TLS: the connection, its requests and
 * replies, reconnects with backoff and jitter, and failover to a second pool. The parts beside
 * it: client-types.ts (options, outcomes, backoff), client-handshake.ts (configure, subscribe,
 * authorize), pool-requests.ts (what the pool asks: notify, set_difficulty, set_extranonce,
 * set_version_mask, client.reconnect, ...).
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { InputError, u32Hex, type StratumJob } from '../core/index.js';
import { logger as makeLogger, redactUrl, type Logger } from '../log.js';
import { handshake } from './client-handshake.js';
import { backoffDelay, type ConnectedInfo, type PoolReply, type StratumClientOptions, type SubmitOutcome, type UpstreamSubmit } from './client-types.js';
import { ERR, LineSplitter, encodeRequest, encodeResult, encodeError, parseMessage, parsePoolUrl, type PoolUrl, type RpcId, type RpcMessage } from './codec.js';
import { routePoolRequest, type Reconnect } from './pool-requests.js';

export { backoffDelay, type ConnectedInfo, type StratumClientOptions, type SubmitOutcome, type UpstreamSubmit } from './client-types.js';

interface Pending {
  resolve: (m: PoolReply) => void;
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
    if (typeof options.user !== 'string' || !options.user.length)
      throw new InputError('pool user is required (your payout address or account.worker)', 'pool-user');
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
    if (!c?.ready || !this.info) return Promise.resolve({ accepted: false, code: ERR.OTHER, message: 'not connected to the pool', ms: 0 });
    const params: unknown[] = [this.userFor(), s.jobId, s.extranonce2, s.ntime, s.nonce];
    if (s.versionBits !== undefined && this.info.versionMask) params.push(s.versionBits);
    return this.request(c, 'mining.submit', params).then(({ result, error }) => {
      const ms = performance.now() - t0;
      if (result === true && !error) return { accepted: true, ms };
      return { accepted: false, code: error?.code ?? ERR.OTHER, message: error?.message ?? 'rejected', ms };
    });
  }

  /** Sends a request to the pool on the current session (an extension's report); resolves with its reply. */
  call(method: string, params: unknown[]): Promise<PoolReply> {
    const c = this.conn;
    if (!c?.ready) return Promise.resolve({ result: null, error: { code: ERR.OTHER, message: 'not connected to the pool' } });
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
      this.begin(conn).catch((err: Error) => {
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

  /** The handshake on a new connection; then the session is ready and announced. */
  private async begin(c: Conn): Promise<void> {
    const { extranonce1, extranonce2Size, versionMask, configured } = await handshake(
      { request: (method, params) => this.request(c, method, params), send: (method, params) => this.send(c, encodeRequest(this.nextId++, method, params)) },
      {
        versionRolling: this.opts.versionRolling,
        extensions: this.opts.extensions,
        extranonceSubscribe: this.opts.extranonceSubscribe,
        userAgent: this.userAgent,
        user: this.userFor(),
        password: this.passwordFor(),
      },
    );
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
      configured,
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

  /** Carries out what the pool asks (pool-requests.ts reads it). */
  private onRequest(c: Conn, id: RpcId, method: string, params: unknown[]): void {
    const u = this.urls[this.urlIndex];
    const a = routePoolRequest(method, params, {
      versionRolling: this.opts.versionRolling,
      extensionMethods: this.opts.extensions?.methods ?? [],
      userAgent: this.userAgent,
      host: u.host,
      port: u.port,
      followRedirects: this.opts.followRedirects ?? false,
    });
    const reply = (result: unknown) => {
      if (id !== null) this.send(c, encodeResult(id, result));
    };
    switch (a.kind) {
      case 'job':
        if (c.ready) this.emit('job', a.job);
        else c.queuedJob = a.job;
        return;
      case 'difficulty':
        this.diff = a.difficulty;
        if (c.ready) this.emit('difficulty', this.diff);
        return;
      case 'extranonce':
        if (this.info) {
          this.info.extranonce1 = a.extranonce1;
          this.info.extranonce2Size = a.extranonce2Size;
          this.emit('extranonce', { extranonce1: a.extranonce1, extranonce2Size: a.extranonce2Size });
        }
        return reply(true);
      case 'versionMask':
        if (this.info) {
          this.info.versionMask = a.mask;
          this.emit('versionMask', a.mask);
        } else this.pendingMask = a.mask;
        return;
      case 'reconnect':
        return this.onReconnect(c, a.to);
      case 'reply':
        return reply(a.result);
      case 'message':
        this.log.info({ message: a.text }, 'message from the pool');
        return reply(true);
      case 'extension':
        this.emit('extension', { method: a.method, params: a.params });
        return reply(true);
      case 'unknown':
        if (id !== null) this.send(c, encodeError(id, ERR.OTHER, `unknown method ${a.method.slice(0, 64)}`));
    }
  }

  /** `client.reconnect`: to the configured host (another only with followRedirects), after the wait asked. */
  private onReconnect(c: Conn, to: Reconnect): void {
    if (to.refusedHost !== undefined) {
      this.log.warn({ host: to.refusedHost }, 'pool asked to reconnect to another host; reconnecting to the configured host instead');
    }
    this.redirect = { host: to.host, port: to.port };
    this.reconnectWaitMs = to.waitMs;
    this.log.info({ port: this.redirect.port, waitS: this.reconnectWaitMs / 1000 }, 'pool asked us to reconnect');
    c.socket.destroy();
  }

  private reconnectWaitMs: number | null = null;

  private request(c: Conn, method: string, params: unknown[]): Promise<PoolReply> {
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
