// The AxeOS HTTP client (the I/O edge): GET /api/system/info, GET /api/system/asic,
// POST /api/system/pause|resume (v2.14+), PATCH /api/system with frequency and coreVoltage only.
// Every request has a deadline, every reply is capped in size, and every failure is a state in
// words, never a throw: a miner that answers 401/404/500, times out or sends garbage is reported,
// retried a bounded number of times with back-off, and never crashes the hub.
import http from 'node:http';
import { BadReply, parseAsic, parseInfo, type AxeosAsicInfo, type AxeosReading, type AxeosState } from './model.js';

export type Failure = { ok: false; state: Exclude<AxeosState, 'ok' | 'paused' | 'overheated' | 'power fault' | 'not linked'>; detail: string; status?: number };
export type Result<T> = { ok: true; value: T } | Failure;

/** The only settings the hub ever sends. */
export interface AxeosSettings {
  frequency?: number;
  coreVoltage?: number;
}

export interface AxeosClientOptions {
  /** http://host[:port] of the device (no path, no credentials) */
  url: string;
  /** deadline of one request, connect to last byte (default 4000 ms) */
  timeoutMs?: number;
  /** largest reply read (default 256 KiB; an info object is 2-10 KiB) */
  maxReplyBytes?: number;
  /** tries of a request that failed for a passing reason (unreachable, timed out, server error); default 3 */
  tries?: number;
  /** first back-off (default 500 ms), doubled per try up to maxBackoffMs (default 8000) */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** source address of our requests (tests on 127/8) */
  localAddress?: string;
}

export const CLIENT_DEFAULTS = { timeoutMs: 4000, maxReplyBytes: 256 * 1024, tries: 3, backoffMs: 500, maxBackoffMs: 8000 } as const;

/** Checks and normalizes a configured axeos_url: http only, no credentials, query or fragment. */
export function normalizeAxeosUrl(input: string): { ok: true; url: string } | { ok: false; error: string } {
  if (typeof input !== 'string' || input.length > 2048) return { ok: false, error: 'axeos_url must be a URL like http://192.168.1.50' };
  const raw = /^[a-z][a-z0-9+.-]*:\/\//i.test(input.trim()) ? input.trim() : `http://${input.trim()}`;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { ok: false, error: 'axeos_url must be a URL like http://192.168.1.50' };
  }
  if (u.protocol !== 'http:') return { ok: false, error: 'axeos_url must start with http:// (AxeOS serves plain HTTP)' };
  if (u.username || u.password) return { ok: false, error: 'axeos_url must not carry a user or password (AxeOS has none)' };
  if (u.search || u.hash) return { ok: false, error: 'axeos_url must not carry a query or fragment' };
  if (!u.hostname) return { ok: false, error: 'axeos_url needs a host' };
  const path = u.pathname.replace(/\/+$/, '');
  return { ok: true, url: `http://${u.host}${path}` };
}

/** The back-off before try `attempt` (1-based: the first retry is attempt 1), with ±20 % jitter. */
export function retryDelay(attempt: number, baseMs: number, maxMs: number, rand: () => number = Math.random): number {
  const d = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(d * (0.8 + 0.4 * rand()));
}

/** Failures worth another try soon. refused, not found and bad reply are answers, not accidents. */
export function isPassing(state: Failure['state']): boolean {
  return state === 'unreachable' || state === 'timed out' || state === 'server error';
}

const SAFE_KEYS = new Set(['frequency', 'coreVoltage']);

/** Throws unless `s` holds only frequency and/or coreVoltage as positive whole-ish numbers. */
export function assertSafeSettings(s: AxeosSettings): void {
  const keys = Object.keys(s);
  if (keys.length === 0) throw new Error('no setting to send');
  for (const k of keys) {
    if (!SAFE_KEYS.has(k)) throw new Error(`the hub never sends the AxeOS setting ${k}`);
    const v = (s as Record<string, unknown>)[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > 65535) throw new Error(`${k} must be a number 1..65535`);
  }
}

export class AxeosClient {
  readonly url: string;
  private readonly o: Required<Omit<AxeosClientOptions, 'localAddress' | 'url'>> & { localAddress?: string };
  private readonly target: URL;
  private closed = false;
  private readonly inflight = new Set<http.ClientRequest>();
  private readonly sleeps = new Set<{ t: NodeJS.Timeout; r: () => void }>();

  constructor(opts: AxeosClientOptions) {
    const n = normalizeAxeosUrl(opts.url);
    if (!n.ok) throw new Error(n.error);
    this.url = n.url;
    this.target = new URL(n.url);
    this.o = {
      timeoutMs: opts.timeoutMs ?? CLIENT_DEFAULTS.timeoutMs,
      maxReplyBytes: opts.maxReplyBytes ?? CLIENT_DEFAULTS.maxReplyBytes,
      tries: Math.max(1, Math.min(10, opts.tries ?? CLIENT_DEFAULTS.tries)),
      backoffMs: opts.backoffMs ?? CLIENT_DEFAULTS.backoffMs,
      maxBackoffMs: opts.maxBackoffMs ?? CLIENT_DEFAULTS.maxBackoffMs,
      localAddress: opts.localAddress,
    };
  }

  /** GET /api/system/info, read leniently. */
  async info(): Promise<Result<AxeosReading>> {
    const r = await this.retrying(() => this.request('GET', '/api/system/info'));
    if (!r.ok) return r;
    return this.decode(r.value.body, parseInfo);
  }

  /** GET /api/system/info as the raw object (for merging live updates). */
  async infoRaw(): Promise<Result<Record<string, unknown>>> {
    const r = await this.retrying(() => this.request('GET', '/api/system/info'));
    if (!r.ok) return r;
    return this.decode(r.value.body, (o) => {
      parseInfo(o);
      return o as Record<string, unknown>;
    });
  }

  /** GET /api/system/asic: the device's own steps; ok with null when the firmware has no such endpoint (404). */
  async asic(): Promise<Result<AxeosAsicInfo | null>> {
    const r = await this.retrying(() => this.request('GET', '/api/system/asic'));
    if (!r.ok) return r.state === 'not found' ? { ok: true, value: null } : r;
    return this.decode(r.value.body, parseAsic);
  }

  /** PATCH /api/system with frequency and/or coreVoltage only (anything else throws before sending). */
  async set(settings: AxeosSettings): Promise<Result<void>> {
    assertSafeSettings(settings);
    const body: AxeosSettings = {};
    if (settings.frequency !== undefined) body.frequency = settings.frequency;
    if (settings.coreVoltage !== undefined) body.coreVoltage = settings.coreVoltage;
    // one try for writes that reached the device; a passing failure before it answered is retried
    const r = await this.retrying(() => this.request('PATCH', '/api/system', JSON.stringify(body)));
    return r.ok ? { ok: true, value: undefined } : r;
  }

  /** POST /api/system/pause (v2.14+; older firmware: 'not found'). */
  async pause(): Promise<Result<void>> {
    const r = await this.retrying(() => this.request('POST', '/api/system/pause', ''));
    return r.ok ? { ok: true, value: undefined } : r;
  }

  /** POST /api/system/resume (v2.14+; older firmware: 'not found'). */
  async resume(): Promise<Result<void>> {
    const r = await this.retrying(() => this.request('POST', '/api/system/resume', ''));
    return r.ok ? { ok: true, value: undefined } : r;
  }

  /** Aborts requests in flight and back-off waits; later calls fail as 'unreachable'. */
  close(): void {
    this.closed = true;
    for (const q of this.inflight) q.destroy(new Error('client closed'));
    this.inflight.clear();
    for (const s of this.sleeps) {
      clearTimeout(s.t);
      s.r();
    }
    this.sleeps.clear();
  }

  private decode<T>(body: string, parse: (o: unknown) => T): Result<T> {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return { ok: false, state: 'bad reply', detail: 'the reply is not JSON' };
    }
    try {
      return { ok: true, value: parse(json) };
    } catch (err) {
      return { ok: false, state: 'bad reply', detail: err instanceof BadReply ? err.message : 'unreadable reply' };
    }
  }

  private async retrying<T>(fn: () => Promise<Result<T>>): Promise<Result<T>> {
    let last: Result<T> | null = null;
    for (let attempt = 0; attempt < this.o.tries; attempt++) {
      if (attempt > 0) await this.sleep(retryDelay(attempt, this.o.backoffMs, this.o.maxBackoffMs));
      if (this.closed) return { ok: false, state: 'unreachable', detail: 'client closed' };
      last = await fn();
      if (last.ok || !isPassing(last.state)) return last;
    }
    return last!;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const s = {
        t: setTimeout(() => {
          this.sleeps.delete(s);
          resolve();
        }, ms),
        r: resolve,
      };
      this.sleeps.add(s);
    });
  }

  private request(method: string, path: string, body?: string): Promise<Result<{ status: number; body: string }>> {
    if (this.closed) return Promise.resolve({ ok: false, state: 'unreachable', detail: 'client closed' });
    const base = this.target.pathname === '/' ? '' : this.target.pathname;
    return new Promise((resolve) => {
      let done = false;
      const finish = (r: Result<{ status: number; body: string }>) => {
        if (done) return;
        done = true;
        clearTimeout(deadline);
        this.inflight.delete(req);
        resolve(r);
      };
      const headers: Record<string, string> = { accept: 'application/json', connection: 'close' };
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = String(Buffer.byteLength(body));
      }
      const req = http.request(
        {
          host: this.target.hostname.replace(/^\[|\]$/g, ''),
          port: this.target.port ? Number(this.target.port) : 80,
          path: base + path,
          method,
          headers,
          agent: false,
          localAddress: this.o.localAddress,
        },
        (res) => {
          const status = res.statusCode ?? 0;
          const declared = Number(res.headers['content-length']);
          if (Number.isFinite(declared) && declared > this.o.maxReplyBytes) {
            finish({ ok: false, state: 'bad reply', detail: `reply larger than ${this.o.maxReplyBytes} bytes`, status });
            res.destroy();
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > this.o.maxReplyBytes) {
              // the state first: destroying emits 'aborted' at once
              finish({ ok: false, state: 'bad reply', detail: `reply larger than ${this.o.maxReplyBytes} bytes`, status });
              res.destroy();
              return;
            }
            chunks.push(c);
          });
          res.on('error', () => finish({ ok: false, state: 'unreachable', detail: 'connection lost during the reply', status }));
          res.on('aborted', () => finish({ ok: false, state: 'unreachable', detail: 'connection lost during the reply', status }));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (status >= 200 && status < 300) finish({ ok: true, value: { status, body: text } });
            else finish(statusFailure(status));
          });
        },
      );
      this.inflight.add(req);
      const deadline = setTimeout(() => {
        finish({ ok: false, state: 'timed out', detail: `no complete reply within ${this.o.timeoutMs} ms` });
        req.destroy();
      }, this.o.timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) => finish({ ok: false, state: 'unreachable', detail: errnoText(err) }));
      req.end(body);
    });
  }
}

export function statusFailure(status: number): Failure {
  if (status === 401 || status === 403)
    return { ok: false, state: 'refused', detail: `the device refused the hub (HTTP ${status}: it answers only addresses in a private network)`, status };
  if (status === 404) return { ok: false, state: 'not found', detail: 'HTTP 404: this firmware has no such endpoint', status };
  if (status >= 500) return { ok: false, state: 'server error', detail: `HTTP ${status} from the device`, status };
  return { ok: false, state: 'bad reply', detail: `HTTP ${status} from the device`, status };
}

function errnoText(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused (no AxeOS web server on that port)';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'ECONNRESET':
      return 'connection reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    default:
      return err.code ? `network error ${err.code}` : 'network error';
  }
}
