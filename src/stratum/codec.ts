/**
 * Stratum V1 wire codec: newline-delimited JSON-RPC as pools and miners really speak it.
 * Pure (no I/O): line framing with a length cap, message classification, parameter schemas,
 * and the error shapes seen in the wild (arrays, strings, objects, reject-reason).
 */
import { z } from 'zod';
import { InputError, parseU32Hex, type StratumJob } from '../core/index.js';
import { redactUrl } from '../log.js';

/** Standard Stratum share error codes. */
export const ERR = {
  OTHER: 20,
  JOB_NOT_FOUND: 21,
  DUPLICATE: 22,
  LOW_DIFFICULTY: 23,
  UNAUTHORIZED: 24,
  NOT_SUBSCRIBED: 25,
} as const;
export type ErrorCode = (typeof ERR)[keyof typeof ERR];

/** The error shape sent on the wire: `[code, "message", null]`. */
export type WireError = [number, string, null];

export function wireError(code: number, message: string): WireError {
  return [code, message, null];
}

export type RpcId = number | string | null;

export interface RpcRequest {
  kind: 'request';
  id: RpcId;
  method: string;
  params: unknown[];
}
export interface RpcResponse {
  kind: 'response';
  id: RpcId;
  result: unknown;
  error: { code: number; message: string } | null;
}
export type RpcMessage = RpcRequest | RpcResponse;

const idSchema = z.union([z.number(), z.string().max(64), z.null()]);

/**
 * A line that is JSON with a readable id but not a valid message (e.g. `params` as an object):
 * the error reply carries that id, so a peer waiting on it hears back (issue 24 item 15).
 */
export class MessageError extends InputError {
  constructor(
    message: string,
    field: string,
    /** the request's id when it could be read, else null */
    readonly id: RpcId,
  ) {
    super(message, field);
    this.name = 'MessageError';
  }
}

/** The id of a message that failed to parse: the error's own when it could be read, else null. */
export function idOfBadMessage(err: unknown): RpcId {
  return err instanceof MessageError ? err.id : null;
}

/** Parses one line into a request/notification or a response; throws InputError on anything else (MessageError when the id could be read). */
export function parseMessage(line: string): RpcMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new InputError('not JSON', 'line');
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InputError('expected a JSON object', 'line');
  const o = raw as Record<string, unknown>;
  const parsedId = idSchema.safeParse(o.id === undefined ? null : o.id);
  if (!parsedId.success) throw new InputError('bad id', 'id');
  const id = parsedId.data;
  if (typeof o.method === 'string') {
    if (o.method.length > 64) throw new MessageError('method name too long', 'method', id);
    let params: unknown[];
    if (o.params === undefined || o.params === null) params = [];
    else if (Array.isArray(o.params)) params = o.params;
    else throw new MessageError('params must be an array', 'params', id);
    return { kind: 'request', id, method: o.method, params };
  }
  if ('result' in o || 'error' in o) {
    return { kind: 'response', id, result: o.result ?? null, error: normalizeError(o.error, o['reject-reason'], o.result) };
  }
  throw new MessageError('neither a request nor a response', 'line', id);
}

/**
 * Turns any error form into `{code, message}`: `[code, msg, data]`, `"Stale"`,
 * `{code, message}` (JSON-RPC 2.0), or a `reject-reason` next to `result: false`.
 */
export function normalizeError(error: unknown, rejectReason?: unknown, result?: unknown): { code: number; message: string } | null {
  if (Array.isArray(error) && error.length >= 1) {
    const code = typeof error[0] === 'number' ? error[0] : Number(error[0]);
    return { code: Number.isFinite(code) ? code : ERR.OTHER, message: clip(String(error[1] ?? 'error')) };
  }
  if (typeof error === 'string' && error.length) return { code: codeFromMessage(error), message: clip(error) };
  if (error && typeof error === 'object') {
    const e = error as { code?: unknown; message?: unknown };
    const code = typeof e.code === 'number' ? e.code : ERR.OTHER;
    return { code, message: clip(typeof e.message === 'string' ? e.message : 'error') };
  }
  if (typeof rejectReason === 'string' && rejectReason.length) return { code: codeFromMessage(rejectReason), message: clip(rejectReason) };
  if (result === false) return { code: ERR.OTHER, message: 'rejected' };
  return null;
}

function codeFromMessage(m: string): number {
  const s = m.toLowerCase();
  if (s.includes('stale') || s.includes('job not found')) return ERR.JOB_NOT_FOUND;
  if (s.includes('duplicate')) return ERR.DUPLICATE;
  if (s.includes('low difficulty') || s.includes('above target') || s.includes('high-hash')) return ERR.LOW_DIFFICULTY;
  if (s.includes('unauthorized')) return ERR.UNAUTHORIZED;
  if (s.includes('not subscribed')) return ERR.NOT_SUBSCRIBED;
  return ERR.OTHER;
}

function clip(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

export function encodeRequest(id: RpcId, method: string, params: unknown[]): string {
  return `${JSON.stringify({ id, method, params })}\n`;
}

export function encodeResult(id: RpcId, result: unknown): string {
  return `${JSON.stringify({ id, result, error: null })}\n`;
}

export function encodeError(id: RpcId, code: number, message: string): string {
  return `${JSON.stringify({ id, result: null, error: wireError(code, message) })}\n`;
}

/** Splits a byte stream into lines, refusing any line longer than `maxLine` bytes. */
export class LineSplitter {
  private parts: Buffer[] = [];
  private pending = 0;
  constructor(private readonly maxLine: number) {}

  /** Feeds a chunk; returns the complete lines, or throws InputError when a line is too long. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(10, from);
      if (nl < 0) break;
      const piece = chunk.subarray(from, nl);
      if (this.pending + piece.length > this.maxLine) throw new InputError(`line longer than ${this.maxLine} bytes`, 'line');
      const buf = this.pending ? Buffer.concat([...this.parts, piece]) : piece;
      this.parts = [];
      this.pending = 0;
      const line = buf.toString('utf8').replace(/\r$/, '').trim();
      if (line.length) lines.push(line);
      from = nl + 1;
    }
    if (from < chunk.length) {
      const rest = chunk.subarray(from);
      this.pending += rest.length;
      if (this.pending > this.maxLine) throw new InputError(`line longer than ${this.maxLine} bytes`, 'line');
      this.parts.push(Buffer.from(rest));
    }
    return lines;
  }
}

// ---- parameter schemas ------------------------------------------------------------------

const hex = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[0-9a-fA-F]*$/, 'hex');
const evenHex = (max: number) => hex(max).refine((s) => s.length % 2 === 0, 'even number of hex digits');
const u32hex = z.string().regex(/^[0-9a-fA-F]{1,8}$/, '1 to 8 hex digits');

/** `mining.notify` params (a pool's job). */
export const notifySchema = z
  .tuple([
    z.string().min(1).max(64),
    evenHex(64).refine((s) => s.length === 64, '32 bytes'),
    evenHex(200_000),
    evenHex(200_000),
    z.array(evenHex(64).refine((s) => s.length === 64, '32 bytes')).max(32),
    u32hex,
    u32hex,
    u32hex,
    z.union([z.boolean(), z.number(), z.null()]).optional(),
  ])
  .rest(z.unknown());

export function parseNotify(params: unknown[]): StratumJob {
  const r = notifySchema.safeParse(params);
  if (!r.success) throw new InputError(`mining.notify: ${r.error.issues[0]?.message ?? 'bad params'} at ${r.error.issues[0]?.path.join('.')}`, 'mining.notify');
  const [jobId, prevhash, coinb1, coinb2, merkleBranch, version, nbits, ntime, clean] = r.data;
  return {
    jobId,
    prevhash: prevhash.toLowerCase(),
    coinb1: coinb1.toLowerCase(),
    coinb2: coinb2.toLowerCase(),
    merkleBranch: merkleBranch.map((b) => b.toLowerCase()),
    version: u32pad(version),
    nbits: u32pad(nbits),
    ntime: u32pad(ntime),
    cleanJobs: clean === true || clean === 1,
  };
}

/** The notify params for a job (fields padded to 8 hex digits, as we emit them). */
export function notifyParams(job: StratumJob, cleanJobs = job.cleanJobs): unknown[] {
  return [job.jobId, job.prevhash, job.coinb1, job.coinb2, job.merkleBranch, u32pad(job.version), u32pad(job.nbits), u32pad(job.ntime), cleanJobs];
}

function u32pad(h: string): string {
  return parseU32Hex(h, 'u32').toString(16).padStart(8, '0');
}

/** Subscribe result: `[[subscriptions...], extranonce1, extranonce2_size]`. */
export function parseSubscribeResult(result: unknown): { extranonce1: string; extranonce2Size: number } {
  if (!Array.isArray(result) || result.length < 3)
    throw new InputError('mining.subscribe: result is not [subscriptions, extranonce1, extranonce2_size]', 'mining.subscribe');
  return checkExtranonce(result[1], result[2], 'mining.subscribe');
}

export function checkExtranonce(e1: unknown, size: unknown, where: string): { extranonce1: string; extranonce2Size: number } {
  if (typeof e1 !== 'string' || !/^([0-9a-fA-F]{2}){0,16}$/.test(e1)) throw new InputError(`${where}: extranonce1 must be 0 to 16 bytes of hex`, where);
  const n = typeof size === 'string' ? Number(size) : size;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 16) throw new InputError(`${where}: extranonce2_size must be an integer 0..16`, where);
  return { extranonce1: e1.toLowerCase(), extranonce2Size: n };
}

/** A positive finite difficulty, or an InputError. */
export function parseDifficulty(v: unknown, where: string): number {
  const d = typeof v === 'string' ? Number(v) : v;
  if (typeof d !== 'number' || !Number.isFinite(d) || d <= 0 || d > 2 ** 64) throw new InputError(`${where}: difficulty must be a positive number`, where);
  return d;
}

export interface SubmitParams {
  worker: string;
  jobId: string;
  extranonce2: string;
  ntime: string;
  nonce: string;
  versionBits?: string;
}

const submitSchema = z.tuple([z.string().max(256), z.string().min(1).max(64), hex(64), u32hex, u32hex]).rest(z.unknown());

/** `mining.submit` params: 5 (cpuminer, NerdMiner) or 6 with version bits (Bitaxe). */
export function parseSubmit(params: unknown[]): SubmitParams {
  const r = submitSchema.safeParse(params);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new InputError(`malformed mining.submit: ${i?.path.length ? `param ${i.path.join('.')}: ` : ''}${i?.message ?? 'bad params'}`, 'mining.submit');
  }
  const [worker, jobId, extranonce2, ntime, nonce] = r.data;
  const out: SubmitParams = { worker, jobId, extranonce2: extranonce2.toLowerCase(), ntime, nonce };
  const vb = params[5];
  if (vb !== undefined && vb !== null) {
    if (typeof vb !== 'string' || !/^[0-9a-fA-F]{1,8}$/.test(vb))
      throw new InputError('malformed mining.submit: version bits must be 1 to 8 hex digits', 'mining.submit');
    out.versionBits = vb;
  }
  return out;
}

/** Parses `stratum+tcp://host:port` / `stratum+ssl://host:port` (also `stratum+tls`, `tcp`, `ssl`). */
export interface PoolUrl {
  tls: boolean;
  host: string;
  port: number;
  /** user and password when the URL carries them */
  user?: string;
  password?: string;
}

export function parsePoolUrl(url: string): PoolUrl {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InputError(`pool URL "${safe(url)}" is not a URL; expected stratum+tcp://host:port or stratum+ssl://host:port`, 'pool');
  }
  const scheme = u.protocol.replace(/:$/, '').toLowerCase();
  const tls = ['stratum+ssl', 'stratum+tls', 'ssl', 'tls', 'stratum2+ssl'].includes(scheme);
  if (!tls && !['stratum+tcp', 'tcp', 'stratum'].includes(scheme)) {
    throw new InputError(`pool URL scheme "${scheme}" is not supported; use stratum+tcp:// or stratum+ssl://`, 'pool');
  }
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw new InputError('pool URL has no host', 'pool');
  const port = Number(u.port);
  if (!u.port || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new InputError(`pool URL needs a port (1-65535), e.g. stratum+tcp://${host}:3333`, 'pool');
  const out: PoolUrl = { tls, host, port };
  if (u.username) out.user = decodeURIComponent(u.username);
  if (u.password) out.password = decodeURIComponent(u.password);
  return out;
}

/** The URL as it may be shown: user information removed by parsing (a password may hold `@`). */
function safe(url: string): string {
  return redactUrl(url).slice(0, 80);
}
