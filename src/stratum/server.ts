/**
 * The hub's local Stratum V1 endpoint for household miners (NerdMiner, Bitaxe, cpuminer).
 * The protocol and the connection hygiene live here; the work (extranonce slots, jobs, share
 * validation and accounting) comes from a MinerBackend (the job manager in src/work).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { InputError, u32Hex, type StratumJob } from '../core/index.js';
import { logger as makeLogger, type Logger } from '../log.js';
import {
  ERR,
  LineSplitter,
  encodeError,
  encodeRequest,
  encodeResult,
  notifyParams,
  parseDifficulty,
  parseMessage,
  parseSubmit,
  type RpcId,
  type SubmitParams,
} from './codec.js';
import { Vardiff, type VardiffOptions } from './vardiff.js';
import type { SessionHandle, WorkerControl } from './extension.js';

/** What the validator needs to know about the connection a share came from. */
export interface ShareContext {
  sessionId: number;
  worker: string;
  userAgent: string;
  address: string;
  extranonce1: string;
  extranonce2Size: number;
  /** the connection's difficulty now */
  difficulty: number;
  /** the difficulty before the last change, still accepted for a short grace period */
  previousDifficulty: number | null;
  /** negotiated version-rolling mask (0 = none) */
  versionMask: number;
}

export type ShareVerdict =
  | { ok: true; /** difficulty of the hash */ difficulty: number; /** difficulty credited to the worker */ credited: number }
  | { ok: false; code: number; message: string };

export interface Slot {
  slot: number;
  extranonce1: string;
  extranonce2Size: number;
}

/** The work behind the endpoint (implemented by the job manager in src/work). */
export interface MinerBackend {
  /** carves an extranonce1 for a new connection; null when there is no work or no room */
  allocate(): Slot | null;
  release(slot: number): void;
  /** the slot's layout after an extranonce change; null when it no longer fits */
  layoutFor(slot: number): Slot | null;
  currentJob(): StratumJob | null;
  /** the version bits miners may roll (0 = none) */
  versionMask(): number;
  submit(ctx: ShareContext, share: SubmitParams): ShareVerdict;
  /** a submit too malformed to validate, from an authorized worker: counted as rejected */
  rejected?(ctx: ShareContext, code: number, message: string): void;
  /** a worker authorized (or left): for per-worker statistics */
  workerSeen?(ctx: ShareContext): void;
  workerGone?(ctx: ShareContext): void;
  on(event: 'job', fn: (job: StratumJob) => void): unknown;
  on(event: 'layout', fn: () => void): unknown;
  off(event: 'job', fn: (job: StratumJob) => void): unknown;
  off(event: 'layout', fn: () => void): unknown;
}

export interface StratumServerOptions {
  backend: MinerBackend;
  /** default 3333; 0 for an ephemeral port */
  port?: number;
  /** default 127.0.0.1 (the add-on passes 0.0.0.0) */
  host?: string;
  /** when set, miners must authorize with this password */
  password?: string;
  /** default 1024 */
  maxConnections?: number;
  /** longest accepted line in bytes (default 8192) */
  maxLine?: number;
  /** difficulty before vardiff or a suggestion (default 0.001) */
  initialDifficulty?: number;
  vardiff?: VardiffOptions;
  /** no message from a miner for this long: disconnect (default 600 s) */
  idleTimeoutS?: number;
  /** subscribe and authorize must happen within this (default 30 s) */
  handshakeTimeoutS?: number;
  /** resend the current job to a miner that heard nothing for this long (default 60 s) */
  keepaliveS?: number;
  /** messages per second a miner may send on average (default 100) and in a burst (default 500) */
  floodRate?: number;
  floodBurst?: number;
  /** a miner not reading its socket: disconnect above this many queued bytes (default 1 MiB) */
  maxWriteBuffer?: number;
  /** malformed lines tolerated per connection before disconnecting (default 10) */
  maxBadLines?: number;
  /** the pause extension and per-miner obedience (extension.ts) */
  control?: WorkerControl;
  logger?: Logger;
}

interface Session {
  id: number;
  socket: net.Socket;
  address: string;
  splitter: LineSplitter;
  subscribed: boolean;
  slot: Slot | null;
  workers: Set<string>;
  worker: string;
  userAgent: string;
  extranonceSubscribed: boolean;
  versionMask: number;
  vardiff: Vardiff;
  previousDifficulty: number | null;
  previousUntil: number;
  lastSuggestion: number | null;
  started: boolean;
  connectedAt: number;
  lastRecv: number;
  lastSend: number;
  tokens: number;
  lastRefill: number;
  badLines: number;
  badAuth: number;
  closed: boolean;
  killTimer: NodeJS.Timeout | null;
}

export interface SessionInfo {
  id: number;
  address: string;
  worker: string;
  userAgent: string;
  difficulty: number;
  extranonce1: string | null;
  versionMask: number;
  connectedAt: number;
}

const GRACE_MS = 15_000;

/** Events: 'listening' ({host, port}), 'connect' ({id, address}), 'disconnect' ({id, address, worker, reason}), 'difficulty' ({id, worker, difficulty}). */
export class StratumServer extends EventEmitter {
  private readonly opts: StratumServerOptions;
  private readonly backend: MinerBackend;
  private readonly log: Logger;
  private server: net.Server | null = null;
  private readonly sessions = new Map<number, Session>();
  private readonly sockets = new Set<net.Socket>();
  private nextSession = 1;
  private sweep: NodeJS.Timeout | null = null;
  private jobLine = '';
  private readonly passwordHash: Buffer | null;
  private readonly onJob = (job: StratumJob) => this.broadcastJob(job);
  private readonly onLayout = () => this.relayout();

  constructor(options: StratumServerOptions) {
    super();
    this.opts = options;
    this.backend = options.backend;
    this.log = options.logger ?? makeLogger('stratum-server');
    this.passwordHash = options.password ? sha(options.password) : null;
    const init = options.initialDifficulty ?? 0.001;
    parseDifficulty(init, 'initialDifficulty');
    const port = options.port ?? 3333;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError(`stratum port must be 0..65535, got ${port}`, 'stratum-port');
  }

  /** The bound address (after start). */
  address(): { host: string; port: number } {
    const a = this.server?.address();
    if (!a || typeof a === 'string') throw new Error('stratum server is not listening');
    return { host: a.address, port: a.port };
  }

  get connections(): number {
    return this.sessions.size;
  }

  sessionsInfo(): SessionInfo[] {
    return [...this.sessions.values()].map((s) => ({
      id: s.id,
      address: s.address,
      worker: s.worker,
      userAgent: s.userAgent,
      difficulty: s.vardiff.difficulty,
      extranonce1: s.slot?.extranonce1 ?? null,
      versionMask: s.versionMask,
      connectedAt: s.connectedAt,
    }));
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = net.createServer({ noDelay: true }, (socket) => this.onConnection(socket));
    server.on('error', (err) => this.log.error({ err }, 'stratum server error'));
    const port = this.opts.port ?? 3333;
    const host = this.opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      const onErr = (err: NodeJS.ErrnoException) => {
        reject(
          new InputError(
            err.code === 'EADDRINUSE' ? `stratum port ${port} on ${host} is in use; choose another with --stratum-port` : `cannot listen on ${host}:${port}: ${err.message}`,
            'stratum-port',
          ),
        );
      };
      server.once('error', onErr);
      server.listen({ port, host, backlog: 2048 }, () => {
        server.off('error', onErr);
        resolve();
      });
    });
    this.server = server;
    this.backend.on('job', this.onJob);
    this.backend.on('layout', this.onLayout);
    const job = this.backend.currentJob();
    if (job) this.jobLine = encodeRequest(null, 'mining.notify', notifyParams(job, true));
    this.sweep = setInterval(() => this.onSweep(), 1000);
    const a = this.address();
    this.log.info(a, 'local stratum endpoint listening');
    this.emit('listening', a);
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = null;
    this.backend.off('job', this.onJob);
    this.backend.off('layout', this.onLayout);
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const s of this.sessions.values()) this.close(s, 'server stopping');
    for (const sock of this.sockets) sock.destroy();
    this.sockets.clear();
    await closed;
  }

  private onConnection(socket: net.Socket): void {
    const address = socket.remoteAddress ?? '?';
    if (!this.server) {
      socket.destroy();
      return;
    }
    const max = this.opts.maxConnections ?? 1024;
    if (this.sessions.size >= max) {
      this.log.warn({ address, max }, 'connection cap reached; refusing a miner');
      socket.on('error', () => {});
      socket.end(encodeRequest(null, 'client.show_message', ['too many connections']));
      socket.destroySoon();
      return;
    }
    const now = Date.now();
    const s: Session = {
      id: this.nextSession++,
      socket,
      address,
      splitter: new LineSplitter(this.opts.maxLine ?? 8192),
      subscribed: false,
      slot: null,
      workers: new Set(),
      worker: '',
      userAgent: '',
      extranonceSubscribed: false,
      versionMask: 0,
      vardiff: new Vardiff(this.opts.initialDifficulty ?? 0.001, now, this.opts.vardiff),
      previousDifficulty: null,
      previousUntil: 0,
      lastSuggestion: null,
      started: false,
      connectedAt: now,
      lastRecv: now,
      lastSend: now,
      tokens: this.opts.floodBurst ?? 500,
      lastRefill: now,
      badLines: 0,
      badAuth: 0,
      closed: false,
      killTimer: null,
    };
    this.sockets.add(socket);
    this.sessions.set(s.id, s);
    socket.setKeepAlive(true, 60_000);
    socket.on('data', (chunk: Buffer) => this.onData(s, chunk));
    socket.on('error', (err) => this.log.debug({ id: s.id, err: { message: err.message } }, 'miner socket error'));
    socket.on('close', () => this.onClose(s));
    this.emit('connect', { id: s.id, address });
  }

  private onData(s: Session, chunk: Buffer): void {
    if (s.closed) return;
    let lines: string[];
    try {
      lines = s.splitter.push(chunk);
    } catch (err) {
      this.send(s, encodeError(null, ERR.OTHER, (err as Error).message));
      this.close(s, 'line too long');
      return;
    }
    const now = Date.now();
    for (const line of lines) {
      if (s.closed) return;
      s.lastRecv = now;
      if (!this.take(s, now)) {
        this.close(s, 'flooding');
        return;
      }
      this.onLine(s, line, now);
    }
  }

  /** Token bucket: false when the miner sends faster than allowed. */
  private take(s: Session, now: number): boolean {
    const rate = this.opts.floodRate ?? 100;
    const burst = this.opts.floodBurst ?? 500;
    s.tokens = Math.min(burst, s.tokens + ((now - s.lastRefill) / 1000) * rate);
    s.lastRefill = now;
    s.tokens -= 1;
    return s.tokens >= 0;
  }

  private onLine(s: Session, line: string, now: number): void {
    let msg;
    try {
      msg = parseMessage(line);
    } catch (err) {
      this.send(s, encodeError(null, ERR.OTHER, `malformed message: ${(err as Error).message}`));
      if (++s.badLines > (this.opts.maxBadLines ?? 10)) this.close(s, 'too many malformed lines');
      return;
    }
    if (msg.kind === 'response') return; // replies to our own requests need nothing
    const { id, method, params } = msg;
    try {
      switch (method) {
        case 'mining.subscribe':
          return this.onSubscribe(s, id, params);
        case 'mining.authorize':
          return this.onAuthorize(s, id, params);
        case 'mining.configure':
          return this.onConfigure(s, id, params);
        case 'mining.suggest_difficulty':
          return this.onSuggest(s, id, params, now);
        case 'mining.suggest_target':
          return this.reply(s, id, true);
        case 'mining.extranonce.subscribe':
          s.extranonceSubscribed = true;
          return this.reply(s, id, true);
        case 'mining.submit':
          return this.onSubmit(s, id, params, now);
        case 'mining.get_transactions':
          return this.reply(s, id, []);
        case 'mining.multi_version':
          return this.reply(s, id, true);
        case 'mining.ping':
          return this.reply(s, id, 'pong');
        default: {
          const ext = this.opts.control?.message(s.id, method, params);
          if (ext) return this.reply(s, id, ext.result);
        }
          if (++s.badLines > (this.opts.maxBadLines ?? 10)) {
            this.send(s, encodeError(id, ERR.OTHER, `unknown method ${method}`));
            this.close(s, 'too many unknown methods');
            return;
          }
          if (id !== null) this.send(s, encodeError(id, ERR.OTHER, `unknown method ${method}`));
      }
    } catch (err) {
      if (id !== null) this.send(s, encodeError(id, ERR.OTHER, err instanceof InputError ? err.message : 'internal error'));
      if (!(err instanceof InputError)) this.log.error({ err, id: s.id }, 'error handling a miner message');
    }
  }

  private onSubscribe(s: Session, id: RpcId, params: unknown[]): void {
    if (typeof params[0] === 'string') s.userAgent = sanitize(params[0], 64);
    if (!s.slot) {
      const slot = this.backend.allocate();
      if (!slot) {
        this.send(s, encodeError(id, ERR.OTHER, 'no work available right now; try again later'));
        this.close(s, 'no work or no free extranonce slot');
        return;
      }
      s.slot = slot;
    }
    s.subscribed = true;
    const subId = s.id.toString(16).padStart(8, '0');
    this.reply(s, id, [[['mining.set_difficulty', subId], ['mining.notify', subId]], s.slot.extranonce1, s.slot.extranonce2Size]);
    this.maybeStart(s);
  }

  private onAuthorize(s: Session, id: RpcId, params: unknown[]): void {
    const user = params[0];
    if (typeof user !== 'string' || user.length === 0 || user.length > 128) {
      this.send(s, encodeError(id, ERR.UNAUTHORIZED, 'worker name must be 1 to 128 characters'));
      return;
    }
    if (this.passwordHash) {
      const pass = typeof params[1] === 'string' ? params[1] : '';
      if (!timingSafeEqual(sha(pass), this.passwordHash)) {
        this.send(s, encodeError(id, ERR.UNAUTHORIZED, 'wrong password for this endpoint'));
        if (++s.badAuth >= 5) this.close(s, 'too many failed authorizations');
        return;
      }
    }
    const name = sanitize(user, 128);
    s.workers.add(name);
    if (!s.worker) s.worker = name;
    this.reply(s, id, true);
    this.maybeStart(s);
  }

  private onConfigure(s: Session, id: RpcId, params: unknown[]): void {
    const exts = Array.isArray(params[0]) ? params[0].filter((e): e is string => typeof e === 'string').slice(0, 16) : [];
    const args = params[1] && typeof params[1] === 'object' ? (params[1] as Record<string, unknown>) : {};
    const result: Record<string, unknown> = {};
    for (const ext of exts) {
      if (ext === 'version-rolling') {
        const asked = typeof args['version-rolling.mask'] === 'string' && /^[0-9a-fA-F]{1,8}$/.test(args['version-rolling.mask']) ? parseInt(args['version-rolling.mask'], 16) >>> 0 : 0xffffffff;
        const mask = (asked & this.backend.versionMask()) >>> 0;
        s.versionMask = mask;
        result['version-rolling'] = mask !== 0;
        result['version-rolling.mask'] = u32Hex(mask);
      } else if (ext === 'minimum-difficulty') {
        const d = Number(args['minimum-difficulty.value']);
        if (Number.isFinite(d) && d > 0) this.setDifficulty(s, Math.max(d, s.vardiff.difficulty), Date.now(), true);
        result['minimum-difficulty'] = Number.isFinite(d) && d > 0;
      } else if (this.opts.control?.handles(ext)) {
        Object.assign(result, this.opts.control.configure(s.id, args));
      } else {
        result[ext.slice(0, 64)] = false;
      }
    }
    this.reply(s, id, result);
  }

  private onSuggest(s: Session, id: RpcId, params: unknown[], now: number): void {
    const d = parseDifficulty(params[0], 'mining.suggest_difficulty');
    // NerdMiner resends its suggestion as a keepalive: the same value changes nothing
    if (s.lastSuggestion !== d) {
      s.lastSuggestion = d;
      this.setDifficulty(s, d, now, true);
    }
    this.reply(s, id, true);
  }

  private onSubmit(s: Session, id: RpcId, params: unknown[], now: number): void {
    if (!s.subscribed || !s.slot) return this.send(s, encodeError(id, ERR.NOT_SUBSCRIBED, 'not subscribed'));
    if (s.workers.size === 0) return this.send(s, encodeError(id, ERR.UNAUTHORIZED, 'unauthorized worker'));
    let share: SubmitParams;
    try {
      share = parseSubmit(params);
    } catch (err) {
      const message = (err as Error).message;
      this.backend.rejected?.(this.ctx(s, s.worker), ERR.OTHER, message);
      return this.send(s, encodeError(id, ERR.OTHER, message));
    }
    const worker = sanitize(share.worker, 128);
    if (!s.workers.has(worker)) return this.send(s, encodeError(id, ERR.UNAUTHORIZED, 'unauthorized worker'));
    const verdict = this.backend.submit(this.ctx(s, worker), share);
    if (!verdict.ok) return this.send(s, encodeError(id, verdict.code, verdict.message));
    this.reply(s, id, true);
    const before = s.vardiff.difficulty;
    const next = s.vardiff.onShare(now);
    if (next !== null) this.applyDifficulty(s, before, next, now);
  }

  private ctx(s: Session, worker: string): ShareContext {
    const now = Date.now();
    return {
      sessionId: s.id,
      worker,
      userAgent: s.userAgent,
      address: s.address,
      extranonce1: s.slot?.extranonce1 ?? '',
      extranonce2Size: s.slot?.extranonce2Size ?? 0,
      difficulty: s.vardiff.difficulty,
      previousDifficulty: s.previousDifficulty !== null && now < s.previousUntil ? s.previousDifficulty : null,
      versionMask: s.versionMask,
    };
  }

  private maybeStart(s: Session): void {
    if (s.started || !s.subscribed || s.workers.size === 0 || !s.slot) return;
    s.started = true;
    this.backend.workerSeen?.(this.ctx(s, s.worker));
    this.opts.control?.started(this.handle(s));
    this.send(s, encodeRequest(null, 'mining.set_difficulty', [s.vardiff.difficulty]));
    if (this.jobLine && !this.withheld(s)) this.send(s, this.jobLine);
  }

  /** Sets a difficulty (a suggestion, or a minimum) and tells the miner when it has started. */
  private setDifficulty(s: Session, d: number, now: number, restart: boolean): void {
    const before = s.vardiff.difficulty;
    const after = s.vardiff.set(d, now);
    if (restart && after !== before) this.noteChange(s, before, now);
    if (s.started) {
      this.send(s, encodeRequest(null, 'mining.set_difficulty', [after]));
    }
  }

  private applyDifficulty(s: Session, before: number, d: number, now: number): void {
    this.noteChange(s, before, now);
    this.send(s, encodeRequest(null, 'mining.set_difficulty', [d]));
    // resend the current job so the miner starts using the new difficulty now
    const job = this.backend.currentJob();
    if (job && !this.withheld(s)) this.send(s, encodeRequest(null, 'mining.notify', notifyParams(job, false)));
    this.emit('difficulty', { id: s.id, worker: s.worker, difficulty: d });
  }

  private noteChange(s: Session, before: number, now: number): void {
    // shares in flight at the old difficulty stay valid for a short while
    s.previousDifficulty = before;
    s.previousUntil = now + GRACE_MS;
  }

  private broadcastJob(job: StratumJob): void {
    this.jobLine = encodeRequest(null, 'mining.notify', notifyParams(job));
    for (const s of this.sessions.values()) if (s.started && !this.withheld(s)) this.send(s, this.jobLine);
  }

  private relayout(): void {
    for (const s of this.sessions.values()) {
      if (!s.slot) continue;
      const next = this.backend.layoutFor(s.slot.slot);
      const mask = (s.versionMask ? this.backend.versionMask() : 0) >>> 0;
      if (!next) {
        this.send(s, encodeRequest(null, 'client.reconnect', []));
        this.close(s, 'extranonce layout changed');
        continue;
      }
      if (next.extranonce1 === s.slot.extranonce1 && next.extranonce2Size === s.slot.extranonce2Size) continue;
      if (s.extranonceSubscribed) {
        s.slot = next;
        this.send(s, encodeRequest(null, 'mining.set_extranonce', [next.extranonce1, next.extranonce2Size]));
        if (mask !== s.versionMask) {
          s.versionMask = mask;
          this.send(s, encodeRequest(null, 'mining.set_version_mask', [u32Hex(mask)]));
        }
        if (this.jobLine && s.started) this.send(s, this.jobLine);
      } else {
        // the miner cannot take a new extranonce1 on this connection: ask it to come back
        this.send(s, encodeRequest(null, 'client.reconnect', []));
        this.close(s, 'extranonce changed');
      }
    }
  }

  private onSweep(): void {
    const now = Date.now();
    const idle = (this.opts.idleTimeoutS ?? 600) * 1000;
    const handshake = (this.opts.handshakeTimeoutS ?? 30) * 1000;
    const keepalive = (this.opts.keepaliveS ?? 60) * 1000;
    for (const s of this.sessions.values()) {
      if (s.closed) continue;
      if (!s.started && now - s.connectedAt > handshake) {
        this.close(s, 'no subscribe/authorize in time');
        continue;
      }
      if (now - s.lastRecv > idle) {
        this.close(s, 'idle');
        continue;
      }
      if (!s.started) continue;
      const before = s.vardiff.difficulty;
      const next = s.vardiff.tick(now);
      if (next !== null) this.applyDifficulty(s, before, next, now);
      else if (now - s.lastSend > keepalive && this.jobLine && !this.withheld(s)) this.send(s, this.jobLine);
    }
  }

  /** A paused plain miner gets no new jobs (extension.ts). */
  private withheld(s: Session): boolean {
    return this.opts.control?.withholds(s.id) ?? false;
  }

  private handle(s: Session): SessionHandle {
    return {
      id: s.id,
      address: s.address,
      worker: s.worker,
      notify: (method, params) => this.send(s, encodeRequest(null, method, params)),
      giveWork: () => {
        const job = this.backend.currentJob();
        this.send(s, encodeRequest(null, 'mining.set_difficulty', [s.vardiff.difficulty]));
        if (job) this.send(s, encodeRequest(null, 'mining.notify', notifyParams(job, true)));
      },
    };
  }

  private reply(s: Session, id: RpcId, result: unknown): void {
    if (id === null) return;
    this.send(s, encodeResult(id, result));
  }

  private send(s: Session, line: string): void {
    if (s.closed || !s.socket.writable) return;
    if (s.socket.writableLength > (this.opts.maxWriteBuffer ?? 1024 * 1024)) {
      this.close(s, 'not reading its socket');
      return;
    }
    s.lastSend = Date.now();
    s.socket.write(line);
  }

  private close(s: Session, reason: string): void {
    if (s.closed) return;
    s.closed = true;
    this.log.debug({ id: s.id, worker: s.worker, reason }, 'closing miner connection');
    s.socket.end();
    // a peer that never reads or closes must not hold the socket open
    s.killTimer = setTimeout(() => s.socket.destroy(), 200);
    this.finish(s, reason);
  }

  private onClose(s: Session): void {
    s.closed = true;
    if (s.killTimer) clearTimeout(s.killTimer);
    this.sockets.delete(s.socket);
    this.finish(s, 'closed by the miner');
  }

  private finish(s: Session, reason: string): void {
    if (!this.sessions.has(s.id)) return;
    this.sessions.delete(s.id);
    if (s.started) this.backend.workerGone?.(this.ctx(s, s.worker));
    this.opts.control?.gone(s.id);
    if (s.slot) this.backend.release(s.slot.slot);
    this.emit('disconnect', { id: s.id, address: s.address, worker: s.worker, reason });
  }
}

function sha(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Printable ASCII only, bounded: names and user agents end up in logs and entity names. */
function sanitize(s: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[^\x20-\x7e]/g, '?').slice(0, max);
}
