/**
 * The local endpoint's contracts: what it needs from the work behind it (MinerBackend), what a
 * share's context and verdict carry, and its options.
 */
import type { StratumJob } from '../core/index.js';
import type { Logger } from '../log.js';
import type { SubmitParams } from './codec.js';
import type { WorkerControl } from './extension.js';
import type { Slot } from './session.js';
import type { VardiffOptions } from './vardiff.js';

/** What the validator needs to know about the connection a share came from. */
export interface ShareContext {
  sessionId: number;
  worker: string;
  userAgent: string;
  address: string;
  extranonce1: string;
  extranonce2Size: number;
  /** the difficulty the share is held to: the one in force when its job was sent on this connection */
  difficulty: number;
  /** a lower difficulty also accepted (the connection's difficulty now, when it dropped since the job was sent) */
  previousDifficulty: number | null;
  /** negotiated version-rolling mask (0 = none) */
  versionMask: number;
}

export type ShareVerdict =
  | { ok: true /** difficulty of the hash */; difficulty: number /** difficulty credited to the worker */; credited: number }
  | { ok: false; code: number; message: string };

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
  /** working (subscribed) miners at most (default 1024) */
  maxConnections?: number;
  /** connections that have not subscribed yet, in total (default 256) */
  maxPending?: number;
  /** connections that have not subscribed yet, per source address or IPv6 /64 (default 8) */
  maxPendingPerAddress?: number;
  /** working miners per source address or IPv6 /64 (default 64; browser workers behind HA ingress share one) */
  maxMinersPerAddress?: number;
  /** a connection must subscribe within this (default 5 s) */
  subscribeTimeoutS?: number;
  /** distinct worker names (each a Home Assistant device once it has a share) at most (default 32) */
  maxWorkerNames?: number;
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
  /** repeated warnings (refused connections, refused names) are summed up over this window (default 10 s) */
  logWindowS?: number;
  /** the pause extension and per-miner obedience (extension.ts) */
  control?: WorkerControl;
  logger?: Logger;
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
