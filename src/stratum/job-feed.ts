/**
 * What the endpoint sends a working miner unasked: its difficulty and the jobs. A new job goes to
 * every started connection that is not withheld (a paused plain miner gets none, extension.ts);
 * a new difficulty goes out as set_difficulty followed by the current job under a new id, so
 * miners that rebuild their work only on a new job id (cpuminer) use it at once; a new
 * extranonce layout goes to those that subscribed to it, the others are asked to reconnect.
 */
import { u32Hex, type StratumJob } from '../core/index.js';
import { encodeRequest, notifyParams } from './codec.js';
import type { SessionHandle } from './extension.js';
import { ReissueIds } from './jobs.js';
import type { Session } from './session.js';
import type { MinerBackend, StratumServerOptions } from './types.js';

/** How the endpoint writes to a connection and ends it (server.ts). */
export interface Wire {
  send(s: Session, line: string): void;
  close(s: Session, reason: string): void;
}

export interface JobFeedDeps {
  backend: MinerBackend;
  control: StratumServerOptions['control'];
  wire: Wire;
  sessions: () => Iterable<Session>;
  /** a connection's difficulty changed (the server's 'difficulty' event) */
  onDifficulty: (s: Session, difficulty: number) => void;
}

export class JobFeed {
  /** the current job's notify line, encoded once for every connection */
  private jobLine = '';
  private readonly reissueIds = new ReissueIds();

  constructor(private readonly d: JobFeedDeps) {}

  /** Encodes the backend's current job (at start). */
  prime(): void {
    const job = this.d.backend.currentJob();
    if (job) this.jobLine = encodeRequest(null, 'mining.notify', notifyParams(job, true));
  }

  /** A connection has subscribed and authorized: its difficulty, then the current job. */
  begin(s: Session): void {
    this.d.wire.send(s, encodeRequest(null, 'mining.set_difficulty', [s.vardiff.difficulty]));
    if (!this.withheld(s)) this.sendCurrentJob(s);
  }

  broadcast(job: StratumJob): void {
    this.jobLine = encodeRequest(null, 'mining.notify', notifyParams(job));
    for (const s of this.d.sessions()) if (s.started && !this.withheld(s)) this.sendJob(s, job.jobId, job.jobId, this.jobLine);
  }

  /** Sets a difficulty (a suggestion, or a minimum) and tells a miner that has started. */
  setDifficulty(s: Session, d: number, now: number): void {
    const before = s.vardiff.difficulty;
    const after = s.vardiff.set(d, now);
    if (s.started && after !== before) this.applyDifficulty(s, after);
  }

  /** A new difficulty reaches the miner as set_difficulty followed by the current job under a new id. */
  applyDifficulty(s: Session, d: number): void {
    this.d.wire.send(s, encodeRequest(null, 'mining.set_difficulty', [d]));
    const job = this.d.backend.currentJob();
    if (job && !this.withheld(s)) {
      const id = this.reissueIds.next();
      const params = notifyParams(job, false);
      params[0] = id;
      this.sendJob(s, id, job.jobId, encodeRequest(null, 'mining.notify', params));
    }
    this.d.onDifficulty(s, d);
  }

  /** Nothing sent for a while: the last job again (a keepalive), unless withheld. */
  keepalive(s: Session): void {
    if (this.withheld(s)) return;
    if (s.lastJobLine) this.d.wire.send(s, s.lastJobLine);
    else this.sendCurrentJob(s);
  }

  /** The extranonce layout changed: each connection gets its new extranonce1, or is asked to reconnect. */
  relayout(): void {
    const { backend, wire } = this.d;
    for (const s of this.d.sessions()) {
      if (!s.slot) continue;
      const next = backend.layoutFor(s.slot.slot);
      const mask = (s.versionMask ? backend.versionMask() : 0) >>> 0;
      if (!next) {
        wire.send(s, encodeRequest(null, 'client.reconnect', []));
        wire.close(s, 'extranonce layout changed');
        continue;
      }
      if (next.extranonce1 === s.slot.extranonce1 && next.extranonce2Size === s.slot.extranonce2Size) continue;
      if (s.extranonceSubscribed) {
        s.slot = next;
        wire.send(s, encodeRequest(null, 'mining.set_extranonce', [next.extranonce1, next.extranonce2Size]));
        if (mask !== s.versionMask) {
          s.versionMask = mask;
          wire.send(s, encodeRequest(null, 'mining.set_version_mask', [u32Hex(mask)]));
        }
        if (s.started && !this.withheld(s)) this.sendCurrentJob(s);
      } else {
        // the miner cannot take a new extranonce1 on this connection: ask it to come back
        wire.send(s, encodeRequest(null, 'client.reconnect', []));
        wire.close(s, 'extranonce changed');
      }
    }
  }

  /** A paused plain miner gets no new jobs (extension.ts). */
  withheld(s: Session): boolean {
    return this.d.control?.withholds(s.id) ?? false;
  }

  /** The session as the worker control sees it. */
  handle(s: Session): SessionHandle {
    return {
      id: s.id,
      address: s.address,
      worker: s.worker,
      notify: (method, params) => this.d.wire.send(s, encodeRequest(null, method, params)),
      giveWork: () => {
        this.d.wire.send(s, encodeRequest(null, 'mining.set_difficulty', [s.vardiff.difficulty]));
        this.sendCurrentJob(s, true);
      },
    };
  }

  /** Sends a job line and records the difficulty it goes out at. */
  private sendJob(s: Session, id: string, backendId: string, line: string): void {
    s.jobs.add(id, backendId, s.vardiff.difficulty);
    s.lastJobLine = line;
    this.d.wire.send(s, line);
  }

  /** The backend's current job, under its own id. */
  private sendCurrentJob(s: Session, clean?: boolean): void {
    const job = this.d.backend.currentJob();
    if (!job) return;
    const line = clean === undefined && this.jobLine ? this.jobLine : encodeRequest(null, 'mining.notify', notifyParams(job, clean ?? true));
    this.sendJob(s, job.jobId, job.jobId, line);
  }
}
