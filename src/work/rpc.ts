/**
 * A JSON-RPC 1.0 client for a Bitcoin node (Bitcoin Core, btcd, Knots): HTTP POST with Basic
 * authentication from the URL's user:password or from the node's cookie file (read again on
 * every 401, since a node writes a new cookie when it restarts). Errors say what is wrong in
 * words a node owner can act on; the credentials never appear in a message.
 */
import { readFileSync } from 'node:fs';

export type RpcErrorKind = 'unreachable' | 'auth' | 'forbidden' | 'timeout' | 'http' | 'rpc' | 'protocol' | 'aborted';

export class RpcError extends Error {
  constructor(
    readonly kind: RpcErrorKind,
    message: string,
    /** the node's JSON-RPC error code (kind 'rpc') */
    readonly code?: number,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

export interface RpcClientOptions {
  /** http://user:pass@host:port (credentials optional with a cookie file) */
  url: string;
  /** the node's .cookie file (`__cookie__:password`), used when the URL has no credentials */
  cookieFile?: string;
  /** ms before a call fails (default 10,000) */
  timeoutMs?: number;
  /** largest answer read, bytes (default 64 MiB: a full block template with its transactions) */
  maxBytes?: number;
}

/** The node's address without credentials, for messages and logs. */
export function nodeLabel(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return 'the node';
  }
}

export class RpcClient {
  readonly label: string;
  private readonly endpoint: string;
  private readonly urlAuth: string | null;
  private readonly cookieFile: string | undefined;
  private cookieAuth: string | null = null;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private seq = 0;
  private readonly inflight = new Set<AbortController>();

  constructor(opts: RpcClientOptions) {
    let u: URL;
    try {
      u = new URL(opts.url);
    } catch {
      throw new RpcError('protocol', 'node URL is not a URL; give one like http://user:password@127.0.0.1:8332');
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new RpcError('protocol', `node URL must start with http:// or https:// (got ${u.protocol})`);
    this.urlAuth = u.username ? `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}` : null;
    u.username = '';
    u.password = '';
    this.endpoint = u.toString();
    this.label = nodeLabel(this.endpoint);
    this.cookieFile = opts.cookieFile;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
  }

  private auth(reload: boolean): string {
    if (this.urlAuth !== null) return this.urlAuth;
    if (!this.cookieFile)
      throw new RpcError(
        'auth',
        `no RPC credentials for ${this.label}: put user:password in the node URL (http://user:password@host:port) or give the node's cookie file (--node-cookie)`,
      );
    if (reload || this.cookieAuth === null) {
      let text: string;
      try {
        text = readFileSync(this.cookieFile, 'utf8').trim();
      } catch (err) {
        throw new RpcError(
          'auth',
          `cannot read the node's cookie file ${this.cookieFile} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): is the node running, and may this program read its data folder?`,
        );
      }
      if (!/^[^:\s]+:\S+$/.test(text))
        throw new RpcError('auth', `the cookie file ${this.cookieFile} does not hold user:password; give the node's .cookie file`);
      this.cookieAuth = text;
    }
    return this.cookieAuth;
  }

  /** Calls a method; `timeoutMs` overrides the client's (long polls). */
  async call<T = unknown>(method: string, params: unknown[] = [], timeoutMs?: number): Promise<T> {
    try {
      return await this.once<T>(method, params, timeoutMs, false);
    } catch (err) {
      // a node restarted with a new cookie: read it again once
      if (err instanceof RpcError && err.kind === 'auth' && this.urlAuth === null && this.cookieFile) return this.once<T>(method, params, timeoutMs, true);
      throw err;
    }
  }

  /** Aborts every call in flight (stop). */
  abortAll(): void {
    for (const c of this.inflight) c.abort();
    this.inflight.clear();
  }

  private async once<T>(method: string, params: unknown[], timeoutMs: number | undefined, reloadCookie: boolean): Promise<T> {
    const auth = this.auth(reloadCookie);
    const ctl = new AbortController();
    this.inflight.add(ctl);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctl.abort();
    }, timeoutMs ?? this.timeoutMs);
    try {
      let res: Response;
      try {
        res = await fetch(this.endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(auth).toString('base64')}` },
          body: JSON.stringify({ jsonrpc: '1.0', id: ++this.seq, method, params }),
          signal: ctl.signal,
        });
      } catch (err) {
        if (timedOut) throw new RpcError('timeout', `${this.label} did not answer ${method} within ${Math.round((timeoutMs ?? this.timeoutMs) / 1000)} s`);
        if (ctl.signal.aborted) throw new RpcError('aborted', `${method} aborted`);
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        const code = cause?.code ?? (err as Error).message;
        throw new RpcError(
          'unreachable',
          `the node at ${this.label} is unreachable (${code}): is it running, and is its RPC port open to this machine (rpcbind / rpcallowip)?`,
        );
      }
      if (res.status === 401) {
        await res.body?.cancel();
        throw new RpcError(
          'auth',
          `the node at ${this.label} refused the RPC credentials (HTTP 401): check the user and password in the node URL${this.cookieFile && this.urlAuth === null ? ' (or the cookie file)' : ''} against the node's rpcuser/rpcpassword or rpcauth`,
        );
      }
      if (res.status === 403) {
        await res.body?.cancel();
        throw new RpcError(
          'forbidden',
          `the node at ${this.label} does not allow RPC from this machine (HTTP 403): add this machine's address to the node's rpcallowip`,
        );
      }
      const text = await readLimited(res, this.maxBytes);
      let body: { result?: unknown; error?: { code?: number; message?: string } | null };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        if (timedOut) throw new RpcError('timeout', `${this.label} did not answer ${method} within ${Math.round((timeoutMs ?? this.timeoutMs) / 1000)} s`);
        throw new RpcError(
          res.ok ? 'protocol' : 'http',
          `${this.label} answered ${method} with HTTP ${res.status} and no JSON-RPC reply (${text.slice(0, 120).replace(/\s+/g, ' ')})`,
        );
      }
      if (body.error) throw new RpcError('rpc', `${method}: ${String(body.error.message ?? 'error').slice(0, 300)} (code ${body.error.code})`, body.error.code);
      if (!res.ok) throw new RpcError('http', `${this.label} answered ${method} with HTTP ${res.status}`);
      return body.result as T;
    } finally {
      clearTimeout(timer);
      this.inflight.delete(ctl);
    }
  }
}

async function readLimited(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > max) {
      await reader.cancel();
      throw new RpcError('protocol', `the node's answer is larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
