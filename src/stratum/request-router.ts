/**
 * The endpoint's requests from a miner, one line at a time: parsed (an error that carries the
 * request's id whenever it can be read), routed by method, and the handshake answered
 * (subscribe with the admission caps and an extranonce slot, authorize with the password and the
 * cap on worker names, configure for version rolling and the extensions, suggest_difficulty).
 * Submits go to the submit handler, difficulty and jobs to the job feed.
 */
import { timingSafeEqual } from 'node:crypto';
import { InputError, u32Hex } from '../core/index.js';
import type { Logger } from '../log.js';
import { ERR, encodeError, encodeResult, idOfBadMessage, parseDifficulty, parseMessage, type RpcId } from './codec.js';
import type { JobFeed, Wire } from './job-feed.js';
import type { Admission } from './limits.js';
import { normalizeWorkerName, type WorkerNames } from './names.js';
import type { RateLimitedLog } from './ratelog.js';
import { sanitize, sha, type Session } from './session.js';
import { shareContext, type SubmitHandler } from './submit-handler.js';
import type { MinerBackend, StratumServerOptions } from './types.js';

export interface RequestRouterDeps {
  opts: StratumServerOptions;
  backend: MinerBackend;
  log: Logger;
  warnings: RateLimitedLog;
  admission: Admission;
  workerNames: WorkerNames;
  /** connections that have not subscribed yet (the server evicts the oldest when full) */
  unsubscribed: Set<Session>;
  passwordHash: Buffer | null;
  wire: Wire;
  feed: JobFeed;
  submits: SubmitHandler;
}

export class RequestRouter {
  private readonly maxBadLines: number;

  constructor(private readonly d: RequestRouterDeps) {
    this.maxBadLines = d.opts.maxBadLines ?? 10;
  }

  line(s: Session, line: string, now: number): void {
    const { wire } = this.d;
    let msg: ReturnType<typeof parseMessage>;
    try {
      msg = parseMessage(line);
    } catch (err) {
      wire.send(s, encodeError(idOfBadMessage(err), ERR.OTHER, `malformed message: ${(err as Error).message}`));
      if (++s.badLines > this.maxBadLines) wire.close(s, 'too many malformed lines');
      return;
    }
    if (msg.kind === 'response') return; // replies to our own requests need nothing
    const { id, method, params } = msg;
    try {
      switch (method) {
        case 'mining.subscribe':
          return this.subscribe(s, id, params);
        case 'mining.authorize':
          return this.authorize(s, id, params);
        case 'mining.configure':
          return this.configure(s, id, params);
        case 'mining.suggest_difficulty':
          return this.suggest(s, id, params, now);
        case 'mining.suggest_target':
          return this.reply(s, id, true);
        case 'mining.extranonce.subscribe':
          s.extranonceSubscribed = true;
          return this.reply(s, id, true);
        case 'mining.submit':
          return this.d.submits.submit(s, id, params, now);
        case 'mining.get_transactions':
          return this.reply(s, id, []);
        case 'mining.multi_version':
          return this.reply(s, id, true);
        case 'mining.ping':
          return this.reply(s, id, 'pong');
        default:
          {
            const ext = this.d.opts.control?.message(s.id, method, params);
            if (ext) return this.reply(s, id, ext.result);
          }
          if (++s.badLines > this.maxBadLines) {
            wire.send(s, encodeError(id, ERR.OTHER, `unknown method ${method}`));
            wire.close(s, 'too many unknown methods');
            return;
          }
          if (id !== null) wire.send(s, encodeError(id, ERR.OTHER, `unknown method ${method}`));
      }
    } catch (err) {
      if (id !== null) wire.send(s, encodeError(id, ERR.OTHER, err instanceof InputError ? err.message : 'internal error'));
      if (!(err instanceof InputError)) this.d.log.error({ err, id: s.id }, 'error handling a miner message');
    }
  }

  private reply(s: Session, id: RpcId, result: unknown): void {
    if (id === null) return;
    this.d.wire.send(s, encodeResult(id, result));
  }

  // ---- the handshake ------------------------------------------------------------------------

  private subscribe(s: Session, id: RpcId, params: unknown[]): void {
    const { admission, wire, warnings } = this.d;
    if (typeof params[0] === 'string') s.userAgent = sanitize(params[0], 64);
    if (!s.miner) {
      const promoted = admission.promote(s.key);
      if (!promoted.ok) {
        const { maxMiners, maxMinersPerAddress } = admission.limits;
        if (promoted.why === 'miners') {
          wire.send(s, encodeError(id, ERR.OTHER, `too many miners connected (${maxMiners}, max_miners); try again later`));
          warnings.warn('refused-miners', { address: s.address, max: maxMiners }, `refused a miner: ${maxMiners} miners are connected (max_miners)`);
        } else {
          wire.send(s, encodeError(id, ERR.OTHER, `too many miners from your address (${maxMinersPerAddress}); try again later`));
          warnings.warn(
            'refused-miners-address',
            { address: s.address, max: maxMinersPerAddress },
            `refused a miner: ${maxMinersPerAddress} miners are connected from ${s.address}`,
          );
        }
        wire.close(s, 'miner cap reached');
        return;
      }
      s.miner = true;
      this.d.unsubscribed.delete(s);
    }
    if (!s.slot) {
      const slot = this.d.backend.allocate();
      if (!slot) {
        wire.send(s, encodeError(id, ERR.OTHER, 'no work available right now; try again later'));
        wire.close(s, 'no work or no free extranonce slot');
        return;
      }
      s.slot = slot;
    }
    s.subscribed = true;
    const subId = s.id.toString(16).padStart(8, '0');
    this.reply(s, id, [
      [
        ['mining.set_difficulty', subId],
        ['mining.notify', subId],
      ],
      s.slot.extranonce1,
      s.slot.extranonce2Size,
    ]);
    this.maybeStart(s);
  }

  private authorize(s: Session, id: RpcId, params: unknown[]): void {
    const { wire, workerNames } = this.d;
    if (this.d.passwordHash) {
      const pass = typeof params[1] === 'string' ? params[1] : '';
      if (!timingSafeEqual(sha(pass), this.d.passwordHash)) {
        wire.send(s, encodeError(id, ERR.UNAUTHORIZED, 'wrong password for this endpoint'));
        if (++s.badAuth >= 5) wire.close(s, 'too many failed authorizations');
        return;
      }
    }
    const n = normalizeWorkerName(params[0]);
    if (!n.ok) {
      wire.send(s, encodeError(id, ERR.UNAUTHORIZED, n.reason));
      return;
    }
    const name = n.name;
    if (!s.workers.has(name)) {
      const admitted = workerNames.admit(name, s.id);
      if (!admitted.ok) {
        wire.send(s, encodeError(id, ERR.UNAUTHORIZED, admitted.reason));
        this.d.warnings.warn(
          'worker-cap',
          { worker: name, address: s.address, cap: workerNames.cap },
          `refused a new worker name: the cap of ${workerNames.cap} worker names is reached (max_worker_devices)`,
        );
        return;
      }
      s.workers.add(name);
    }
    if (!s.worker) s.worker = name;
    this.reply(s, id, true);
    this.maybeStart(s);
  }

  private configure(s: Session, id: RpcId, params: unknown[]): void {
    const control = this.d.opts.control;
    const exts = Array.isArray(params[0]) ? params[0].filter((e): e is string => typeof e === 'string').slice(0, 16) : [];
    const args = params[1] && typeof params[1] === 'object' ? (params[1] as Record<string, unknown>) : {};
    const result: Record<string, unknown> = {};
    for (const ext of exts) {
      if (ext === 'version-rolling') {
        const asked =
          typeof args['version-rolling.mask'] === 'string' && /^[0-9a-fA-F]{1,8}$/.test(args['version-rolling.mask'])
            ? parseInt(args['version-rolling.mask'], 16) >>> 0
            : 0xffffffff;
        const mask = (asked & this.d.backend.versionMask()) >>> 0;
        s.versionMask = mask;
        result['version-rolling'] = mask !== 0;
        result['version-rolling.mask'] = u32Hex(mask);
      } else if (ext === 'minimum-difficulty') {
        const d = Number(args['minimum-difficulty.value']);
        if (Number.isFinite(d) && d > 0) this.d.feed.setDifficulty(s, Math.max(d, s.vardiff.difficulty), Date.now());
        result['minimum-difficulty'] = Number.isFinite(d) && d > 0;
      } else if (control?.handles(ext)) {
        Object.assign(result, control.configure(s.id, args));
      } else {
        result[ext.slice(0, 64)] = false;
      }
    }
    this.reply(s, id, result);
  }

  private suggest(s: Session, id: RpcId, params: unknown[], now: number): void {
    const d = parseDifficulty(params[0], 'mining.suggest_difficulty');
    // NerdMiner resends its suggestion as a keepalive: the same value changes nothing
    if (s.lastSuggestion !== d) {
      s.lastSuggestion = d;
      this.d.feed.setDifficulty(s, d, now);
    }
    this.reply(s, id, true);
  }

  /** Subscribed and authorized: the miner is counted as seen, handed to the control, and given work. */
  private maybeStart(s: Session): void {
    if (s.started || !s.subscribed || s.workers.size === 0 || !s.slot) return;
    s.started = true;
    this.d.backend.workerSeen?.(shareContext(s, s.worker, null));
    this.d.opts.control?.started(this.d.feed.handle(s));
    this.d.feed.begin(s);
  }
}
