/**
 * The hub's local Stratum V1 endpoint for household miners (NerdMiner, Bitaxe, cpuminer).
 * The protocol lives here; the parts beside it hold the rest: types.ts (the backend contract and
 * the options), session.ts (one connection), limits.ts (admission: silent sockets capped per
 * address, apart from working miners), names.ts (canonical worker names and their cap), jobs.ts
 * (jobs sent per connection, with their difficulty), vardiff.ts, ratelog.ts (log lines a peer
 * could repeat, rate-limited). The work
 * (extranonce slots, jobs, share validation and accounting) comes from a MinerBackend (the job
 * manager in src/work).
 */
import { timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { InputError, u32Hex, type StratumJob } from '../core/index.js';
import { logger as makeLogger, type Logger } from '../log.js';
import { ERR, encodeError, idOfBadMessage, encodeRequest, encodeResult, notifyParams, parseDifficulty, parseMessage, parseSubmit, type RpcId, type SubmitParams } from './codec.js';
import type { SessionHandle } from './extension.js';
import { ReissueIds } from './jobs.js';
import { Admission } from './limits.js';
import { WorkerNames, normalizeWorkerName } from './names.js';
import { RateLimitedLog } from './ratelog.js';
import { newSession, sanitize, sha, takeToken, type Session } from './session.js';
import type { MinerBackend, SessionInfo, ShareContext, StratumServerOptions } from './types.js';

export type { Slot } from './session.js';
export type { MinerBackend, SessionInfo, ShareContext, ShareVerdict, StratumServerOptions } from './types.js';

/** Events: 'listening' ({host, port}), 'connect' ({id, address}), 'disconnect' ({id, address, worker, reason}), 'difficulty' ({id, worker, difficulty}). */
export class StratumServer extends EventEmitter {
  private readonly opts: StratumServerOptions;
  private readonly backend: MinerBackend;
  private readonly log: Logger;
  private readonly warnings: RateLimitedLog;
  private readonly admission: Admission;
  /** the distinct worker names in use, capped */
  readonly workerNames: WorkerNames;
  private server: net.Server | null = null;
  private readonly sessions = new Map<number, Session>();
  private readonly sockets = new Set<net.Socket>();
  /** connections that have not subscribed yet, oldest first */
  private readonly unsubscribed = new Set<Session>();
  private nextSession = 1;
  private sweep: NodeJS.Timeout | null = null;
  private jobLine = '';
  private readonly reissueIds = new ReissueIds();
  private readonly passwordHash: Buffer | null;
  private readonly onJob = (job: StratumJob) => this.broadcastJob(job);
  private readonly onLayout = () => this.relayout();

  constructor(options: StratumServerOptions) {
    super();
    this.opts = options;
    this.backend = options.backend;
    this.log = options.logger ?? makeLogger('stratum-server');
    this.warnings = new RateLimitedLog(this.log, (options.logWindowS ?? 10) * 1000);
    this.passwordHash = options.password ? sha(options.password) : null;
    const init = options.initialDifficulty ?? 0.001;
    parseDifficulty(init, 'initialDifficulty');
    const port = options.port ?? 3333;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError(`stratum port must be 0..65535, got ${port}`, 'stratum-port');
    const maxNames = options.maxWorkerNames ?? 32;
    if (!Number.isInteger(maxNames) || maxNames < 1) throw new InputError(`max worker devices must be a whole number >= 1, got ${maxNames}`, 'max-worker-devices');
    this.workerNames = new WorkerNames(maxNames);
    this.admission = new Admission({
      maxMiners: options.maxConnections ?? 1024,
      maxPending: options.maxPending ?? 256,
      maxPendingPerAddress: options.maxPendingPerAddress ?? 8,
      maxMinersPerAddress: options.maxMinersPerAddress ?? 64,
    });
  }

  /** The bound address (after start). */
  address(): { host: string; port: number } {
    const a = this.server?.address();
    if (!a || typeof a === 'string') throw new Error('stratum server is not listening');
    return { host: a.address, port: a.port };
  }

  /** Open connections (working miners and those that have not subscribed yet). */
  get connections(): number {
    return this.sessions.size;
  }

  /** Connections that have not subscribed yet, working miners, and the addresses the former come from. */
  get load(): { pending: number; miners: number; addresses: number } {
    return { pending: this.admission.pending, miners: this.admission.miners, addresses: this.admission.addresses };
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
    // a backstop below the limits above: sockets past every cap are dropped before they cost a session
    const { maxMiners, maxPending } = this.admission.limits;
    server.maxConnections = maxMiners + maxPending + 64;
    server.on('drop', (d?: { remoteAddress?: string }) => this.warnings.warn('dropped', { address: d?.remoteAddress, max: server.maxConnections }, `dropped a connection: ${server.maxConnections} sockets are open`));
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
    // after listen: a failed listen is the one clear line above, not a logged error as well
    server.on('error', (err) => this.log.error({ err }, 'stratum server error'));
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
    this.warnings.flush(true);
  }

  // ---- connections ------------------------------------------------------------------------

  /** A connection that did not come through the TCP listener (the worker page's WebSocket, src/web): same handling and limits. */
  accept(socket: net.Socket): void {
    this.onConnection(socket);
  }

  private onConnection(socket: net.Socket): void {
    const address = socket.remoteAddress ?? '?';
    if (!this.server) {
      socket.destroy();
      return;
    }
    let verdict = this.admission.open(address);
    const oldest = !verdict.ok && verdict.why === 'pending' ? this.unsubscribed.values().next().value : undefined;
    if (oldest) {
      // every slot for silent sockets is taken, from many addresses: the oldest makes room, so a
      // miner that subscribes at once always gets in
      this.close(oldest, 'the oldest connection without subscribe, making room');
      this.warnings.warn('evicted-pending', { address: oldest.address, limit: this.admission.limits.maxPending }, `closed the oldest connection without subscribe: ${this.admission.limits.maxPending} connections had not subscribed yet`);
      verdict = this.admission.open(address);
    }
    if (!verdict.ok) {
      // refused at once and silently: a flood must cost as little as possible, and not the log
      socket.on('error', () => {});
      socket.destroy();
      if (verdict.why === 'address') {
        this.warnings.warn('refused-address', { address, limit: this.admission.limits.maxPendingPerAddress }, `refused a connection: ${this.admission.limits.maxPendingPerAddress} connections from ${address} have not subscribed yet`);
      } else {
        this.warnings.warn('refused-pending', { address, limit: this.admission.limits.maxPending }, `refused a connection: ${this.admission.limits.maxPending} connections have not subscribed yet`);
      }
      return;
    }
    const now = Date.now();
    const s = newSession(
      this.nextSession++,
      socket,
      address,
      verdict.key,
      { maxLine: this.opts.maxLine ?? 8192, initialDifficulty: this.opts.initialDifficulty ?? 0.001, vardiff: this.opts.vardiff, floodBurst: this.opts.floodBurst ?? 500 },
      now,
    );
    this.sockets.add(socket);
    this.sessions.set(s.id, s);
    this.unsubscribed.add(s);
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
      if (!takeToken(s, now, this.opts.floodRate ?? 100, this.opts.floodBurst ?? 500)) {
        this.close(s, 'flooding');
        return;
      }
      this.onLine(s, line, now);
    }
  }

  private onLine(s: Session, line: string, now: number): void {
    let msg;
    try {
      msg = parseMessage(line);
    } catch (err) {
      this.send(s, encodeError(idOfBadMessage(err), ERR.OTHER, `malformed message: ${(err as Error).message}`));
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

  // ---- the handshake ------------------------------------------------------------------------

  private onSubscribe(s: Session, id: RpcId, params: unknown[]): void {
    if (typeof params[0] === 'string') s.userAgent = sanitize(params[0], 64);
    if (!s.miner) {
      const promoted = this.admission.promote(s.key);
      if (!promoted.ok) {
        const { maxMiners, maxMinersPerAddress } = this.admission.limits;
        if (promoted.why === 'miners') {
          this.send(s, encodeError(id, ERR.OTHER, `too many miners connected (${maxMiners}, max_miners); try again later`));
          this.warnings.warn('refused-miners', { address: s.address, max: maxMiners }, `refused a miner: ${maxMiners} miners are connected (max_miners)`);
        } else {
          this.send(s, encodeError(id, ERR.OTHER, `too many miners from your address (${maxMinersPerAddress}); try again later`));
          this.warnings.warn('refused-miners-address', { address: s.address, max: maxMinersPerAddress }, `refused a miner: ${maxMinersPerAddress} miners are connected from ${s.address}`);
        }
        this.close(s, 'miner cap reached');
        return;
      }
      s.miner = true;
      this.unsubscribed.delete(s);
    }
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
    if (this.passwordHash) {
      const pass = typeof params[1] === 'string' ? params[1] : '';
      if (!timingSafeEqual(sha(pass), this.passwordHash)) {
        this.send(s, encodeError(id, ERR.UNAUTHORIZED, 'wrong password for this endpoint'));
        if (++s.badAuth >= 5) this.close(s, 'too many failed authorizations');
        return;
      }
    }
    const n = normalizeWorkerName(params[0]);
    if (!n.ok) {
      this.send(s, encodeError(id, ERR.UNAUTHORIZED, n.reason));
      return;
    }
    const name = n.name;
    if (!s.workers.has(name)) {
      const admitted = this.workerNames.admit(name, s.id);
      if (!admitted.ok) {
        this.send(s, encodeError(id, ERR.UNAUTHORIZED, admitted.reason));
        this.warnings.warn('worker-cap', { worker: name, address: s.address, cap: this.workerNames.cap }, `refused a new worker name: the cap of ${this.workerNames.cap} worker names is reached (max_worker_devices)`);
        return;
      }
      s.workers.add(name);
    }
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
        if (Number.isFinite(d) && d > 0) this.setDifficulty(s, Math.max(d, s.vardiff.difficulty), Date.now());
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
      this.setDifficulty(s, d, now);
    }
    this.reply(s, id, true);
  }

  private maybeStart(s: Session): void {
    if (s.started || !s.subscribed || s.workers.size === 0 || !s.slot) return;
    s.started = true;
    this.backend.workerSeen?.(this.ctx(s, s.worker, null));
    this.opts.control?.started(this.handle(s));
    this.send(s, encodeRequest(null, 'mining.set_difficulty', [s.vardiff.difficulty]));
    if (!this.withheld(s)) this.sendCurrentJob(s);
  }

  // ---- shares -------------------------------------------------------------------------------

  private onSubmit(s: Session, id: RpcId, params: unknown[], now: number): void {
    if (!s.subscribed || !s.slot) return this.send(s, encodeError(id, ERR.NOT_SUBSCRIBED, 'not subscribed'));
    if (s.workers.size === 0) return this.send(s, encodeError(id, ERR.UNAUTHORIZED, 'unauthorized worker'));
    let share: SubmitParams;
    try {
      share = parseSubmit(params);
    } catch (err) {
      const message = (err as Error).message;
      this.backend.rejected?.(this.ctx(s, s.worker, null), ERR.OTHER, message);
      return this.send(s, encodeError(id, ERR.OTHER, message));
    }
    const n = normalizeWorkerName(share.worker);
    if (!n.ok || !s.workers.has(n.name)) return this.send(s, encodeError(id, ERR.UNAUTHORIZED, 'unauthorized worker'));
    const sent = s.jobs.get(share.jobId);
    const verdict = this.backend.submit(this.ctx(s, n.name, sent?.difficulty ?? null), sent ? { ...share, jobId: sent.backendId } : share);
    if (!verdict.ok) return this.send(s, encodeError(id, verdict.code, verdict.message));
    this.reply(s, id, true);
    this.workerNames.credit(n.name);
    const before = s.vardiff.difficulty;
    const next = s.vardiff.onShare(now, verdict.credited);
    if (next !== null) this.applyDifficulty(s, before, next);
  }

  /**
   * The context of a share: held to the difficulty its job was sent at (`jobDifficulty`; the
   * connection's difficulty now for a job it was not sent), or to the difficulty now when that
   * is lower.
   */
  private ctx(s: Session, worker: string, jobDifficulty: number | null): ShareContext {
    const now = s.vardiff.difficulty;
    const held = jobDifficulty ?? now;
    return {
      sessionId: s.id,
      worker,
      userAgent: s.userAgent,
      address: s.address,
      extranonce1: s.slot?.extranonce1 ?? '',
      extranonce2Size: s.slot?.extranonce2Size ?? 0,
      difficulty: held,
      previousDifficulty: now < held ? now : null,
      versionMask: s.versionMask,
    };
  }

  // ---- difficulty and jobs ------------------------------------------------------------------

  /** Sets a difficulty (a suggestion, or a minimum) and tells a miner that has started. */
  private setDifficulty(s: Session, d: number, now: number): void {
    const before = s.vardiff.difficulty;
    const after = s.vardiff.set(d, now);
    if (s.started && after !== before) this.applyDifficulty(s, before, after);
  }

  /**
   * A new difficulty reaches the miner as set_difficulty followed by the current job under a new
   * id: miners that rebuild their work only on a new job id (cpuminer) start using it at once.
   */
  private applyDifficulty(s: Session, _before: number, d: number): void {
    this.send(s, encodeRequest(null, 'mining.set_difficulty', [d]));
    const job = this.backend.currentJob();
    if (job && !this.withheld(s)) {
      const id = this.reissueIds.next();
      const params = notifyParams(job, false);
      params[0] = id;
      this.sendJob(s, id, job.jobId, encodeRequest(null, 'mining.notify', params));
    }
    this.emit('difficulty', { id: s.id, worker: s.worker, difficulty: d });
  }

  /** Sends a job line and records the difficulty it goes out at. */
  private sendJob(s: Session, id: string, backendId: string, line: string): void {
    s.jobs.add(id, backendId, s.vardiff.difficulty);
    s.lastJobLine = line;
    this.send(s, line);
  }

  /** The backend's current job, under its own id. */
  private sendCurrentJob(s: Session, clean?: boolean): void {
    const job = this.backend.currentJob();
    if (!job) return;
    const line = clean === undefined && this.jobLine ? this.jobLine : encodeRequest(null, 'mining.notify', notifyParams(job, clean ?? true));
    this.sendJob(s, job.jobId, job.jobId, line);
  }

  private broadcastJob(job: StratumJob): void {
    this.jobLine = encodeRequest(null, 'mining.notify', notifyParams(job));
    for (const s of this.sessions.values()) if (s.started && !this.withheld(s)) this.sendJob(s, job.jobId, job.jobId, this.jobLine);
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
        if (s.started && !this.withheld(s)) this.sendCurrentJob(s);
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
    const subscribe = (this.opts.subscribeTimeoutS ?? 5) * 1000;
    const handshake = (this.opts.handshakeTimeoutS ?? 30) * 1000;
    const keepalive = (this.opts.keepaliveS ?? 60) * 1000;
    for (const s of this.sessions.values()) {
      if (s.closed) continue;
      if (!s.subscribed && now - s.connectedAt > subscribe) {
        this.close(s, 'no subscribe in time');
        continue;
      }
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
      if (next !== null) this.applyDifficulty(s, before, next);
      else if (now - s.lastSend > keepalive && !this.withheld(s)) {
        if (s.lastJobLine) this.send(s, s.lastJobLine);
        else this.sendCurrentJob(s);
      }
    }
    this.warnings.flush();
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
        this.send(s, encodeRequest(null, 'mining.set_difficulty', [s.vardiff.difficulty]));
        this.sendCurrentJob(s, true);
      },
    };
  }

  // ---- the wire -----------------------------------------------------------------------------

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
    if (s.miner) this.admission.minerGone(s.key);
    else this.admission.release(s.key);
    this.unsubscribed.delete(s);
    for (const name of s.workers) this.workerNames.leave(name, s.id);
    if (s.started) this.backend.workerGone?.(this.ctx(s, s.worker, null));
    this.opts.control?.gone(s.id);
    if (s.slot) this.backend.release(s.slot.slot);
    this.emit('disconnect', { id: s.id, address: s.address, worker: s.worker, reason });
  }
}
