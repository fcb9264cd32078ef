/**
 * `mining.submit` on the endpoint: the share is checked against the connection (subscribed,
 * authorized worker, well-formed), judged by the backend in its context (the difficulty of the
 * job it names), answered, credited to the worker name, and fed to the connection's vardiff.
 */
import { ERR, encodeError, encodeResult, parseSubmit, type RpcId, type SubmitParams } from './codec.js';
import type { JobFeed, Wire } from './job-feed.js';
import { normalizeWorkerName, type WorkerNames } from './names.js';
import type { Session } from './session.js';
import type { MinerBackend, ShareContext } from './types.js';

/**
 * The context of a share: held to the difficulty its job was sent at (`jobDifficulty`; the
 * connection's difficulty now for a job it was not sent), or to the difficulty now when that
 * is lower.
 */
export function shareContext(s: Session, worker: string, jobDifficulty: number | null): ShareContext {
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

export interface SubmitDeps {
  backend: MinerBackend;
  wire: Wire;
  workerNames: WorkerNames;
  feed: JobFeed;
}

export class SubmitHandler {
  constructor(private readonly d: SubmitDeps) {}

  submit(s: Session, id: RpcId, params: unknown[], now: number): void {
    const { backend, wire } = this.d;
    if (!s.subscribed || !s.slot) return wire.send(s, encodeError(id, ERR.NOT_SUBSCRIBED, 'not subscribed'));
    if (s.workers.size === 0) return wire.send(s, encodeError(id, ERR.UNAUTHORIZED, 'unauthorized worker'));
    let share: SubmitParams;
    try {
      share = parseSubmit(params);
    } catch (err) {
      const message = (err as Error).message;
      backend.rejected?.(shareContext(s, s.worker, null), ERR.OTHER, message);
      return wire.send(s, encodeError(id, ERR.OTHER, message));
    }
    const n = normalizeWorkerName(share.worker);
    if (!n.ok || !s.workers.has(n.name)) return wire.send(s, encodeError(id, ERR.UNAUTHORIZED, 'unauthorized worker'));
    const sent = s.jobs.get(share.jobId);
    const verdict = backend.submit(shareContext(s, n.name, sent?.difficulty ?? null), sent ? { ...share, jobId: sent.backendId } : share);
    if (!verdict.ok) return wire.send(s, encodeError(id, verdict.code, verdict.message));
    if (id !== null) wire.send(s, encodeResult(id, true));
    this.d.workerNames.credit(n.name);
    const next = s.vardiff.onShare(now, verdict.credited);
    if (next !== null) this.d.feed.applyDifficulty(s, next);
  }
}
