/**
 * One connection to the local endpoint: its state, its flood limiter, and the small pure helpers
 * the server uses on it.
 */
import { createHash } from 'node:crypto';
import type net from 'node:net';
import { LineSplitter } from './codec.js';
import { JobBook } from './jobs.js';
import { Vardiff, type VardiffOptions } from './vardiff.js';

/** A connection's extranonce slot (from the MinerBackend). */
export interface Slot {
  slot: number;
  extranonce1: string;
  extranonce2Size: number;
}

export interface Session {
  id: number;
  socket: net.Socket;
  address: string;
  /** the source the admission limits count it under (limits.ts addressKey) */
  key: string;
  /** counted against the caps on working miners (else as a connection that has not subscribed yet) */
  miner: boolean;
  splitter: LineSplitter;
  subscribed: boolean;
  slot: Slot | null;
  /** canonical worker names this connection authorized */
  workers: Set<string>;
  worker: string;
  userAgent: string;
  extranonceSubscribed: boolean;
  versionMask: number;
  vardiff: Vardiff;
  /** the jobs sent on this connection, with the difficulty each was sent at */
  jobs: JobBook;
  /** the last notify line sent (what the keepalive sends again) */
  lastJobLine: string;
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

export function newSession(
  id: number,
  socket: net.Socket,
  address: string,
  key: string,
  o: { maxLine: number; initialDifficulty: number; vardiff?: VardiffOptions; floodBurst: number },
  now: number,
): Session {
  return {
    id,
    socket,
    address,
    key,
    miner: false,
    splitter: new LineSplitter(o.maxLine),
    subscribed: false,
    slot: null,
    workers: new Set(),
    worker: '',
    userAgent: '',
    extranonceSubscribed: false,
    versionMask: 0,
    vardiff: new Vardiff(o.initialDifficulty, now, o.vardiff),
    jobs: new JobBook(),
    lastJobLine: '',
    lastSuggestion: null,
    started: false,
    connectedAt: now,
    lastRecv: now,
    lastSend: now,
    tokens: o.floodBurst,
    lastRefill: now,
    badLines: 0,
    badAuth: 0,
    closed: false,
    killTimer: null,
  };
}

/** Token bucket: false when the miner sends faster than `rate` messages a second (bursts of `burst`). */
export function takeToken(s: Session, now: number, rate: number, burst: number): boolean {
  s.tokens = Math.min(burst, s.tokens + ((now - s.lastRefill) / 1000) * rate);
  s.lastRefill = now;
  s.tokens -= 1;
  return s.tokens >= 0;
}

export function sha(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Printable ASCII only, bounded: user agents end up in logs and entity attributes. */
export function sanitize(s: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[^\x20-\x7e]/g, '?').slice(0, max);
}
