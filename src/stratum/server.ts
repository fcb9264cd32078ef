/**
 * The hub's local Stratum V1 endpoint for household miners (NerdMiner, Bitaxe, cpuminer): the
 * listener and its connections (admission, line framing, flood limit, timeouts, the wire).
 * The parts beside it hold the rest: request-router.ts (a miner's requests and the handshake),
 * submit-handler.ts (shares), job-feed.ts (difficulty and jobs sent unasked), types.ts (the
 * backend contract and the options), session.ts (one connection), limits.ts (admission: silent
 * sockets capped per address, apart from working miners), names.ts (canonical worker names and
 * their cap), jobs.ts (jobs sent per connection, with their difficulty), vardiff.ts, ratelog.ts
 * (log lines a peer could repeat, rate-limited). The work (extranonce slots, jobs, share
 * validation and accounting) comes from a MinerBackend (the job manager in src/work).
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { InputError, type StratumJob } from '../core/index.js';
import { logger as makeLogger, type Logger } from '../log.js';
import { ERR, encodeError, parseDifficulty } from './codec.js';
import { JobFeed, type Wire } from './job-feed.js';
import { Admission } from './limits.js';
import { WorkerNames } from './names.js';
import { RateLimitedLog } from './ratelog.js';
import { RequestRouter } from './request-router.js';
import { newSession, sha, takeToken, type Session } from './session.js';
import { SubmitHandler, shareContext } from './submit-handler.js';
import type { MinerBackend, SessionInfo, StratumServerOptions } from './types.js';

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
  private readonly wire: Wire = { send: (s, line) => this.send(s, line), close: (s, reason) => this.close(s, reason) };
  private readonly feed: JobFeed;
  private readonly router: RequestRouter;
  private readonly onJob = (job: StratumJob) => this.feed.broadcast(job);
  private readonly onLayout = () => this.feed.relayout();

  constructor(options: StratumServerOptions) {
    super();
    this.opts = options;
    this.backend = options.backend;
    this.log = options.logger ?? makeLogger('stratum-server');
    this.warnings = new RateLimitedLog(this.log, (options.logWindowS ?? 10) * 1000);
    const init = options.initialDifficulty ?? 0.001;
    parseDifficulty(init, 'initialDifficulty');
    const port = options.port ?? 3333;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError(`stratum port must be 0..65535, got ${port}`, 'stratum-port');
    const maxNames = options.maxWorkerNames ?? 32;
    if (!Number.isInteger(maxNames) || maxNames < 1)
      throw new InputError(`max worker devices must be a whole number >= 1, got ${maxNames}`, 'max-worker-devices');
    this.workerNames = new WorkerNames(maxNames);
    this.admission = new Admission({
      maxMiners: options.maxConnections ?? 1024,
      maxPending: options.maxPending ?? 256,
      maxPendingPerAddress: options.maxPendingPerAddress ?? 8,
      maxMinersPerAddress: options.maxMinersPerAddress ?? 64,
    });
    const backend = this.backend;
    this.feed = new JobFeed({
      backend,
      control: options.control,
      wire: this.wire,
      sessions: () => this.sessions.values(),
      onDifficulty: (s, difficulty) => this.emit('difficulty', { id: s.id, worker: s.worker, difficulty }),
    });
    const submits = new SubmitHandler({ backend, wire: this.wire, workerNames: this.workerNames, feed: this.feed });
    this.router = new RequestRouter({
      opts: options,
      backend,
      log: this.log,
      warnings: this.warnings,
      admission: this.admission,
      workerNames: this.workerNames,
      unsubscribed: this.unsubscribed,
      passwordHash: options.password ? sha(options.password) : null,
      wire: this.wire,
      feed: this.feed,
      submits,
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
    server.on('drop', (d?: { remoteAddress?: string }) =>
      this.warnings.warn(
        'dropped',
        { address: d?.remoteAddress, max: server.maxConnections },
        `dropped a connection: ${server.maxConnections} sockets are open`,
      ),
    );
    const port = this.opts.port ?? 3333;
    const host = this.opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      const onErr = (err: NodeJS.ErrnoException) => {
        reject(
          new InputError(
            err.code === 'EADDRINUSE'
              ? `stratum port ${port} on ${host} is in use; choose another with --stratum-port`
              : `cannot listen on ${host}:${port}: ${err.message}`,
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
    this.feed.prime();
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
      this.warnings.warn(
        'evicted-pending',
        { address: oldest.address, limit: this.admission.limits.maxPending },
        `closed the oldest connection without subscribe: ${this.admission.limits.maxPending} connections had not subscribed yet`,
      );
      verdict = this.admission.open(address);
    }
    if (!verdict.ok) {
      // refused at once and silently: a flood must cost as little as possible, and not the log
      socket.on('error', () => {});
      socket.destroy();
      if (verdict.why === 'address') {
        this.warnings.warn(
          'refused-address',
          { address, limit: this.admission.limits.maxPendingPerAddress },
          `refused a connection: ${this.admission.limits.maxPendingPerAddress} connections from ${address} have not subscribed yet`,
        );
      } else {
        this.warnings.warn(
          'refused-pending',
          { address, limit: this.admission.limits.maxPending },
          `refused a connection: ${this.admission.limits.maxPending} connections have not subscribed yet`,
        );
      }
      return;
    }
    const now = Date.now();
    const s = newSession(
      this.nextSession++,
      socket,
      address,
      verdict.key,
      {
        maxLine: this.opts.maxLine ?? 8192,
        initialDifficulty: this.opts.initialDifficulty ?? 0.001,
        vardiff: this.opts.vardiff,
        floodBurst: this.opts.floodBurst ?? 500,
      },
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
      this.router.line(s, line, now);
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
      const next = s.vardiff.tick(now);
      if (next !== null) this.feed.applyDifficulty(s, next);
      else if (now - s.lastSend > keepalive) this.feed.keepalive(s);
    }
    this.warnings.flush();
  }

  // ---- the wire -----------------------------------------------------------------------------

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
    if (s.started) this.backend.workerGone?.(shareContext(s, s.worker, null));
    this.opts.control?.gone(s.id);
    if (s.slot) this.backend.release(s.slot.slot);
    this.emit('disconnect', { id: s.id, address: s.address, worker: s.worker, reason });
  }
}
