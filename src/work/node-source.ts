/**
 * The user's own node as the job source: the hub is a home solo pool. Jobs come from
 * getblocktemplate (rules segwit); the hub builds the coinbase paying the payout address;
 * a solved header becomes a block sent with submitblock.
 *
 * New blocks are seen by a long poll (getblocktemplate with the template's longpollid, which
 * btcd and Bitcoin Core answer when the tip changes) and by polling getbestblockhash every
 * `pollMs` (the backstop for nodes without long polls, and the liveness check); the template is
 * refreshed for new transactions every `refreshS`. When the node is unreachable, restarting or
 * syncing, the source says so, drops its jobs (nothing mined then could be submitted) and tries
 * again with a bounded back-off; when it answers again, mining resumes on a new session.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { InputError, bytesToHex, type StratumJob } from '../core/index.js';
import { logger as makeLogger, type Logger } from '../log.js';
import type { SubmitOutcome } from '../stratum/index.js';
import { CHAIN_NAMES, buildBlock, buildJob, normalizeChain, parseTemplate, payoutScript, type BlockTemplate, type Chain, type NodeWork } from './gbt.js';
import { RpcClient, RpcError } from './rpc.js';
import type { BlockCandidate, BlockOutcome, JobSource, SourceSession } from './sources.js';

export interface NodeSourceOptions {
  /** http://user:password@host:port of the node's RPC */
  url: string;
  /** the node's cookie file, when the URL has no credentials */
  cookieFile?: string;
  payoutAddress: string;
  /** text in every coinbase (default "/micro-mining solo/") */
  tag?: string;
  /** share difficulty of the hub's own threads (statistics; blocks are checked against the network target) (default 0.001) */
  shareDifficulty?: number;
  /** ms between getbestblockhash polls (default 1000) */
  pollMs?: number;
  /** seconds between template refreshes for new transactions (default 30) */
  refreshS?: number;
  /** use long polls where the node offers them (default true) */
  longpoll?: boolean;
  /** back-off bounds while the node is unreachable, ms (default 1000 .. 15000) */
  retryMinMs?: number;
  retryMaxMs?: number;
  logger?: Logger;
}

export type NodeState = 'connecting' | 'ready' | 'syncing' | 'unreachable' | 'error';

export interface NodeStatus {
  /** the node's address without credentials */
  node: string;
  state: NodeState;
  /** what is wrong, in words (null when ready) */
  message: string | null;
  chain: string | null;
  /** the node's best height */
  height: number | null;
  /** seconds since the template in use was fetched */
  templateAgeS: number | null;
  blocksSubmitted: number;
  blocksAccepted: number;
  lastBlock: BlockOutcome | null;
}

export const NODE_TAG = '/micro-mining solo/';
const EXTRANONCE1_BYTES = 4;
const EXTRANONCE2_BYTES = 8;
const MAX_WORKS = 32;

export class NodeSource extends EventEmitter implements JobSource {
  readonly kind = 'node' as const;
  readonly rpc: RpcClient;
  private readonly opts: NodeSourceOptions;
  private readonly log: Logger;
  private readonly shareDiff: number;
  private sess: SourceSession | null = null;
  private counter = 0;
  private chain: Chain | null = null;
  private script: Uint8Array | null = null;
  private segwit = true;
  private template: BlockTemplate | null = null;
  private templateKey = '';
  private templateAt = 0;
  private jobSeq = 0;
  private readonly works = new Map<string, { work: NodeWork; extranonce1: string; session: number }>();
  private readonly solved = new Set<string>();
  private state: NodeState = 'connecting';
  private message: string | null = null;
  private running = false;
  private busy = false;
  private timer: NodeJS.Timeout | null = null;
  private nextTry = 0;
  private backoff: number;
  private longpolling = false;
  private submitChain: Promise<unknown> = Promise.resolve();
  private submitted = 0;
  private accepted = 0;
  private last: BlockOutcome | null = null;

  constructor(options: NodeSourceOptions) {
    super();
    this.opts = options;
    this.log = options.logger ?? makeLogger('node');
    this.rpc = new RpcClient({ url: options.url, cookieFile: options.cookieFile });
    this.shareDiff = options.shareDifficulty ?? 0.001;
    this.backoff = options.retryMinMs ?? 1000;
  }

  get label(): string {
    return `solo at ${this.rpc.label}`;
  }

  /**
   * Checks the node once: wrong credentials, a node that forbids this machine, or a payout address
   * for another network throw (the hub does not start); an unreachable or syncing node is
   * reported and retried in the background.
   */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.connect();
    } catch (err) {
      if (isFatal(err)) {
        this.running = false;
        throw err instanceof RpcError ? new InputError(`node / --node: ${err.message}`, 'node') : err;
      }
      this.failed(err as Error);
    }
    this.timer = setInterval(() => void this.poll(), this.opts.pollMs ?? 1000);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.rpc.abortAll();
    await this.submitChain.catch(() => undefined);
    this.sess = null;
  }

  current(): SourceSession | null {
    return this.sess ? { ...this.sess } : null;
  }

  difficulty(): number {
    return this.shareDiff;
  }

  /** Shares go nowhere (there is no pool); blocks go to the node through submitBlock. */
  async submit(): Promise<SubmitOutcome> {
    return { accepted: true, ms: 0, message: 'solo: shares stay on the hub' };
  }

  status(): NodeStatus {
    return {
      node: this.rpc.label,
      state: this.state,
      message: this.message,
      chain: this.chain ? CHAIN_NAMES[this.chain] : null,
      height: this.template ? this.template.height - 1 : null,
      templateAgeS: this.templateAt ? Math.max(0, Math.round((Date.now() - this.templateAt) / 1000)) : null,
      blocksSubmitted: this.submitted,
      blocksAccepted: this.accepted,
      lastBlock: this.last,
    };
  }

  /** Sends a solved block at once; one at a time, so a second block on the same parent is not sent. */
  submitBlock(c: BlockCandidate): Promise<BlockOutcome> {
    const run = this.submitChain.then(() => this.submitNow(c));
    this.submitChain = run.catch(() => undefined);
    return run;
  }

  // ---- connection ----------------------------------------------------------------------------

  private async connect(): Promise<void> {
    this.state = 'connecting';
    const info = await this.rpc.call<{ chain?: unknown; blocks?: number; initialblockdownload?: boolean; softforks?: unknown; bip9_softforks?: unknown }>(
      'getblockchaininfo',
    );
    const chain = normalizeChain(info.chain);
    this.script = payoutScript(this.opts.payoutAddress, chain);
    if (this.chain !== chain)
      this.log.info({ chain: CHAIN_NAMES[chain] }, `node ${this.rpc.label} is on ${CHAIN_NAMES[chain]}; blocks pay ${this.opts.payoutAddress}`);
    this.chain = chain;
    this.segwit = segwitActive(info);
    if (info.initialblockdownload === true) throw new SyncingError(info.blocks);
    const t = await this.fetchTemplate();
    this.sess = {
      session: ++this.counter,
      extranonce1: bytesToHex(randomBytes(EXTRANONCE1_BYTES)),
      extranonce2Size: EXTRANONCE2_BYTES,
      versionMask: 0x1fffe000,
    };
    this.works.clear();
    this.template = null;
    this.templateKey = '';
    const wasDown = this.message !== null;
    this.state = 'ready';
    this.message = null;
    this.backoff = this.opts.retryMinMs ?? 1000;
    this.log.info(
      { node: this.rpc.label, height: t.height - 1 },
      wasDown ? `node ${this.rpc.label} answers again: mining resumes at height ${t.height}` : `solo mining at ${this.rpc.label}: height ${t.height}`,
    );
    this.emit('session', { ...this.sess });
    this.emit('difficulty', this.shareDiff);
    this.apply(t, true);
    void this.longpollLoop();
  }

  private async fetchTemplate(longpollid?: string): Promise<BlockTemplate> {
    const req: Record<string, unknown> = { rules: ['segwit'] };
    if (longpollid) req.longpollid = longpollid;
    try {
      const raw = await this.rpc.call('getblocktemplate', [req], longpollid ? 120_000 : undefined);
      return parseTemplate(raw);
    } catch (err) {
      // -10: Bitcoin Core and btcd say so while they download blocks (btcd: the tip is older than a day)
      if (err instanceof RpcError && err.code === -10) throw new SyncingError(null, err.message);
      throw err;
    }
  }

  private async poll(): Promise<void> {
    if (!this.running || this.busy) return;
    this.busy = true;
    try {
      if (!this.sess) {
        if (Date.now() < this.nextTry) return;
        await this.connect();
        return;
      }
      const best = await this.rpc.call<string>('getbestblockhash');
      const t = this.template;
      const stale = !t || best !== t.previousblockhash;
      if (stale || Date.now() - this.templateAt >= (this.opts.refreshS ?? 30) * 1000) {
        const fresh = await this.fetchTemplate();
        if (this.running && this.sess) this.apply(fresh, false);
      }
    } catch (err) {
      if (this.running) this.failed(err as Error);
    } finally {
      this.busy = false;
    }
  }

  private async longpollLoop(): Promise<void> {
    if (this.longpolling || this.opts.longpoll === false) return;
    this.longpolling = true;
    try {
      while (this.running && this.sess && this.template?.longpollid) {
        const session = this.sess.session;
        const t0 = Date.now();
        let fresh: BlockTemplate;
        try {
          fresh = await this.fetchTemplate(this.template.longpollid);
        } catch {
          break; // the poll notices what is wrong and reconnects
        }
        if (!this.running || this.sess?.session !== session) break;
        this.apply(fresh, false);
        // a node that answers long polls at once must not make this loop spin
        if (Date.now() - t0 < 1000) await new Promise((r) => setTimeout(r, 1000).unref());
      }
    } finally {
      this.longpolling = false;
    }
  }

  /** A template from any path: a new tip makes a clean job for everyone; new transactions a plain one. */
  private apply(t: BlockTemplate, first: boolean): void {
    const cur = this.template;
    if (cur && t.height < cur.height) return; // an answer older than the one in use
    this.templateAt = Date.now();
    const key = `${t.previousblockhash}:${t.coinbasevalue}:${t.bits}:${t.version}:${t.transactions.length}:${t.transactions.map((x) => x.data.slice(-16)).join('')}`;
    const newTip = first || !cur || cur.previousblockhash !== t.previousblockhash;
    if (!newTip && key === this.templateKey) {
      this.template = { ...t, longpollid: t.longpollid ?? cur?.longpollid };
      return;
    }
    const sess = this.sess;
    if (!sess || !this.script) return;
    const jobId = (++this.jobSeq).toString(16);
    const { job, work } = buildJob({
      template: t,
      jobId,
      payoutScript: this.script,
      extranonceBytes: EXTRANONCE1_BYTES + EXTRANONCE2_BYTES,
      tag: this.opts.tag ?? NODE_TAG,
      segwit: this.segwit,
      clean: newTip,
    });
    if (work.commitmentMismatch)
      this.log.warn({ height: t.height }, "the node's default_witness_commitment differs from the one computed here; blocks use the computed one");
    this.template = t;
    this.templateKey = key;
    this.works.set(jobId, { work, extranonce1: sess.extranonce1, session: sess.session });
    while (this.works.size > MAX_WORKS) this.works.delete(this.works.keys().next().value as string);
    if (newTip)
      this.log.info({ height: t.height, prev: t.previousblockhash, transactions: t.transactions.length }, `new block on the node: mining height ${t.height}`);
    else this.log.debug({ height: t.height, transactions: t.transactions.length }, 'template refreshed');
    this.emit('job', job satisfies StratumJob);
  }

  private failed(err: Error): void {
    const syncing = err instanceof SyncingError;
    const msg = err.message;
    const state: NodeState = syncing ? 'syncing' : err instanceof RpcError && (err.kind === 'unreachable' || err.kind === 'timeout') ? 'unreachable' : 'error';
    const changed = state !== this.state || msg !== this.message;
    const hadWork = this.sess !== null;
    this.state = state;
    this.message = msg;
    this.sess = null;
    this.works.clear();
    this.nextTry = Date.now() + this.backoff;
    const retryS = Math.round(this.backoff / 1000);
    this.backoff = Math.min(this.backoff * 2, this.opts.retryMaxMs ?? 15_000);
    if (changed || hadWork) {
      const what = syncing ? `${msg}; mining waits until it has caught up` : `${msg}; ${hadWork ? 'mining paused, ' : ''}retrying (next in ${retryS} s)`;
      this.log.warn({ node: this.rpc.label, state }, what);
    }
    if (hadWork) this.emit('lost');
  }

  // ---- blocks ----------------------------------------------------------------------------------

  private async submitNow(c: BlockCandidate): Promise<BlockOutcome> {
    const t0 = Date.now();
    const rec = this.works.get(c.jobId);
    const outcome = (o: Omit<BlockOutcome, 'ms' | 'at'>): BlockOutcome => {
      const out = { ...o, ms: Date.now() - t0, at: Date.now() };
      this.last = out;
      this.emit('block', out);
      return out;
    };
    if (!rec) return outcome({ accepted: false, hash: '', height: 0, reason: 'the job is no longer known (the node changed its tip or restarted)' });
    const block = buildBlock(rec.work, rec.extranonce1 + c.extranonce2, c.header);
    const base = { hash: block.hash, height: rec.work.height };
    if (this.solved.has(rec.work.prevhash))
      return outcome({ ...base, accepted: false, reason: `not sent: a block at height ${rec.work.height} was already accepted` });
    this.submitted++;
    let answer: unknown;
    try {
      answer = await this.rpc.call('submitblock', [block.hex], 60_000);
    } catch (err) {
      const reason = `submitblock failed: ${(err as Error).message}`;
      this.log.error({ hash: block.hash, height: rec.work.height }, reason);
      return outcome({ ...base, accepted: false, reason });
    }
    if (answer !== null && answer !== undefined) {
      const reason = String(answer).slice(0, 300);
      this.log.error({ hash: block.hash, height: rec.work.height, reason }, `the node rejected block ${block.hash}: ${reason}`);
      return outcome({ ...base, accepted: false, reason });
    }
    // null: valid. On the best chain, or beside it (another block at this height came first)?
    let best = '';
    try {
      best = await this.rpc.call<string>('getbestblockhash');
    } catch {
      /* the node accepted it; the tip check is only for the message */
    }
    if (best && best !== block.hash) {
      const reason = `valid, but not on the node's best chain (tip ${best}): another block at height ${rec.work.height} came first`;
      this.log.warn({ hash: block.hash, height: rec.work.height }, reason);
      return outcome({ ...base, accepted: false, reason });
    }
    this.accepted++;
    this.solved.add(rec.work.prevhash);
    if (this.solved.size > 64) this.solved.delete(this.solved.values().next().value as string);
    this.log.warn(
      { hash: block.hash, height: rec.work.height, payout: this.opts.payoutAddress, coinbaseValue: rec.work.coinbaseValue },
      `BLOCK ACCEPTED by the node: height ${rec.work.height}, ${block.hash}`,
    );
    // mine on top of it at once, not at the next poll
    void this.poll();
    return outcome({ ...base, accepted: true });
  }
}

class SyncingError extends Error {
  constructor(height: number | null | undefined, detail?: string) {
    super(
      `the node is still syncing (initial block download${typeof height === 'number' ? `, at height ${height}` : ''}${detail ? `; it says: ${detail}` : ''}): it gives no work until it has the current chain`,
    );
    this.name = 'SyncingError';
  }
}

/** Errors that waiting cannot fix: the hub refuses to start on them. */
function isFatal(err: unknown): boolean {
  if (err instanceof InputError) return true;
  return err instanceof RpcError && (err.kind === 'auth' || err.kind === 'forbidden' || err.kind === 'protocol');
}

/** Segwit is active unless getblockchaininfo says otherwise (every public network has it). */
function segwitActive(info: { softforks?: unknown; bip9_softforks?: unknown }): boolean {
  const sf = (info.softforks ?? {}) as Record<string, { active?: boolean }>;
  if (sf && typeof sf === 'object' && !Array.isArray(sf) && sf.segwit && typeof sf.segwit.active === 'boolean') return sf.segwit.active;
  const b9 = (info.bip9_softforks ?? {}) as Record<string, { status?: string }>;
  if (b9 && typeof b9 === 'object' && b9.segwit?.status) return b9.segwit.status === 'active';
  return true;
}
