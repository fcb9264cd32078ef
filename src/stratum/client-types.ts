/** The upstream client's options and what it reports (client.ts), and its reconnect timing. */
import type { Logger } from '../log.js';

export interface StratumClientOptions {
  /** stratum+tcp://host:port or stratum+ssl://host:port */
  url: string;
  /** a second pool, used after `failoverAfter` failed attempts on the first */
  fallbackUrl?: string;
  user: string;
  password?: string;
  userAgent?: string;
  /** version-rolling mask to ask for (BIP310); false: do not send mining.configure (default 0x1fffe000) */
  versionRolling?: number | false;
  /** sent as mining.suggest_difficulty after authorize */
  suggestDifficulty?: number;
  /** send mining.extranonce.subscribe (default false: some old pools drop unknown methods) */
  extranonceSubscribe?: boolean;
  /** TLS: extra CA (a self-signed pool), or rejectUnauthorized false to accept any certificate */
  tls?: { ca?: string | Buffer; rejectUnauthorized?: boolean; servername?: string };
  /** first reconnect delay (default 1000 ms); doubles up to backoffMaxMs, with jitter */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** failed attempts on one pool before trying the other (default 2) */
  failoverAfter?: number;
  /** a request without a reply fails after this (default 30 s) */
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** no message from the pool for this long: reconnect (default 10 min) */
  idleTimeoutMs?: number;
  /** longest line accepted from the pool (default 1 MiB) */
  maxLine?: number;
  /** follow client.reconnect to another host (default false: only the port and the wait are honoured) */
  followRedirects?: boolean;
  /** more mining.configure extensions (e.g. the hub's pause extension) and the server methods they bring, emitted as 'extension' ({method, params}) */
  extensions?: { names: string[]; params: Record<string, unknown>; methods: string[] };
  logger?: Logger;
}

/** The version-rolling mask asked for when the options name none (public-pool's). */
export const DEFAULT_VERSION_ROLLING = 0x1fffe000;

export interface ConnectedInfo {
  /** the pool URL without credentials */
  url: string;
  fallback: boolean;
  extranonce1: string;
  extranonce2Size: number;
  /** negotiated version-rolling mask (0 = none) */
  versionMask: number;
  /** increases with every new pool session */
  session: number;
  /** the pool's mining.configure result ({} when it sent none) */
  configured: Record<string, unknown>;
}

export interface UpstreamSubmit {
  jobId: string;
  extranonce2: string;
  /** big-endian hex, 8 digits */
  ntime: string;
  nonce: string;
  versionBits?: string;
}

export interface SubmitOutcome {
  accepted: boolean;
  code?: number;
  message?: string;
  /** round trip in ms */
  ms: number;
}

/** A reply from the pool: its result and its error in one shape. */
export interface PoolReply {
  result: unknown;
  error: { code: number; message: string } | null;
}

/** Exponential backoff with "equal jitter": half fixed, half random. */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random = Math.random): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(base / 2 + (random() * base) / 2);
}
