// The HA websocket connection: home-assistant-js-websocket over `ws`, with handshake and auth
// timeouts, a heartbeat, waiting for HA to be RUNNING, and reconnection that never gives up
// while the app runs (the library resubscribes; we re-read the registries on every `ready`).
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { createConnection, createLongLivedTokenAuth, type Connection, type HaWebSocket } from 'home-assistant-js-websocket';
import { logger, redactUrl, type Logger } from '../log.js';

export type HaConnectionState = 'stopped' | 'connecting' | 'starting' | 'ready' | 'disconnected' | 'auth_failed';

export interface HaConnectionOptions {
  /** ws:// or http(s):// URL of HA (…/api/websocket is added when missing). */
  url: string;
  token: string;
  handshakeTimeoutMs?: number;
  authTimeoutMs?: number;
  /** Ping interval; a ping without pong within the same time forces a reconnect. */
  heartbeatMs?: number;
  /** How often to ask whether HA is RUNNING while it starts. */
  startPollMs?: number;
  /** First retry delay of the initial connection; doubles up to 30 s. */
  retryMs?: number;
  log?: Logger;
}

/** Standalone (URL + long-lived token) or, in the add-on, the Supervisor proxy with SUPERVISOR_TOKEN. */
export function haConnectionTarget(opts: { url?: string; token?: string; env?: NodeJS.ProcessEnv }): { url: string; token: string } | undefined {
  const env = opts.env ?? process.env;
  if (opts.url) {
    if (!opts.token) throw new Error('--ha-token is required with --ha-url (a long-lived access token from your HA profile page)');
    return { url: opts.url, token: opts.token };
  }
  if (env.SUPERVISOR_TOKEN) return { url: 'ws://supervisor/core/websocket', token: env.SUPERVISOR_TOKEN };
  return undefined;
}

export function toWsUrl(url: string): string {
  let u = url.trim().replace(/\/+$/, '');
  if (u.startsWith('http://')) u = `ws://${u.slice(7)}`;
  else if (u.startsWith('https://')) u = `wss://${u.slice(8)}`;
  if (!/^wss?:\/\//.test(u)) throw new Error(`HA URL must start with ws://, wss://, http:// or https://: ${redactUrl(url)}`);
  if (!/\/(api\/websocket|core\/websocket|websocket)$/.test(u)) u += '/api/websocket';
  return u;
}

class AuthInvalid extends Error {}

/** Retries after HA refused the token: 30 s, doubling, at most every 5 min (a rejected token stays rejected until the user changes it, but the Supervisor's may come back after its restart). */
const AUTH_RETRY_FIRST_MS = 30_000;
const AUTH_RETRY_MAX_MS = 5 * 60_000;
/** A refusal that repeats is logged again at most this often. */
const AUTH_ERROR_EVERY_MS = 30 * 60_000;

/** What a refused token means and how to fix it: standalone a new long-lived token, in the add-on a restart. */
export function authInvalidText(url: string): string {
  return /^wss?:\/\/supervisor\//.test(url)
    ? 'Home Assistant refused the Supervisor token (auth_invalid): restart the add-on'
    : 'Home Assistant refused the token (auth_invalid): make a long-lived access token in your HA profile (Security tab) and give it with --ha-token or MM_HA_TOKEN';
}

/** One attempt: open the socket (handshake timeout) and authenticate (auth timeout). */
function openSocket(wsUrl: string, token: string, handshakeTimeoutMs: number, authTimeoutMs: number): Promise<HaWebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, { handshakeTimeout: handshakeTimeoutMs, maxPayload: 64 * 1024 * 1024 });
    let done = false;
    const fail = (err: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ws.removeAllListeners('message');
      ws.terminate();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error(`no auth_ok within ${handshakeTimeoutMs + authTimeoutMs} ms`)), handshakeTimeoutMs + authTimeoutMs);
    ws.once('error', (e) => fail(e));
    ws.once('close', () => fail(new Error('closed during auth')));
    ws.on('message', (raw) => {
      let msg: { type?: string; ha_version?: string };
      try {
        msg = JSON.parse(String(raw));
      } catch {
        return fail(new Error('non-JSON message during auth'));
      }
      if (msg.type === 'auth_required') ws.send(JSON.stringify({ type: 'auth', access_token: token }));
      else if (msg.type === 'auth_invalid') fail(new AuthInvalid('HA rejected the access token (auth_invalid)'));
      else if (msg.type === 'auth_ok') {
        done = true;
        clearTimeout(timer);
        ws.removeAllListeners('message');
        ws.removeAllListeners('close');
        ws.removeAllListeners('error');
        ws.on('error', () => undefined);
        const sock = ws as unknown as HaWebSocket;
        sock.haVersion = msg.ha_version ?? '';
        // Same as the library's own socket: announce coalesced messages support.
        ws.send(JSON.stringify({ type: 'supported_features', id: 1, features: { coalesce_messages: 1 } }));
        resolve(sock);
      }
    });
  });
}

/**
 * A connection to HA that survives HA restarts. Events: `state` (HaConnectionState),
 * `ready` (Connection: HA is RUNNING; read registries and states now), `down`.
 */
export class HaConnection extends EventEmitter {
  state: HaConnectionState = 'stopped';
  haVersion = '';
  conn?: Connection;
  private readonly wsUrl: string;
  private readonly log: Logger;
  private stopped = true;
  private heartbeat?: NodeJS.Timeout;
  private pingTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private readyGen = 0;
  /** Refusals of the token in a row (0 once connected). */
  private authFailures = 0;
  private authLoggedAt = 0;
  lastError?: string;

  constructor(private readonly opts: HaConnectionOptions) {
    super();
    this.wsUrl = toWsUrl(opts.url);
    this.log = opts.log ?? logger('ha');
  }

  private setState(s: HaConnectionState, detail?: string): void {
    if (this.state === s) return;
    this.state = s;
    // a refused token is an error of its own (createSocket); its retries are not news
    const quiet = s === 'auth_failed' || (s === 'connecting' && this.authFailures > 0);
    this.log[quiet ? 'debug' : 'info']({ state: s, ...(detail ? { detail } : {}) }, `HA connection ${s}`);
    this.emit('state', s);
  }

  private createSocket = async (): Promise<HaWebSocket> => {
    try {
      return await openSocket(this.wsUrl, this.opts.token, this.opts.handshakeTimeoutMs ?? 10_000, this.opts.authTimeoutMs ?? 10_000);
    } catch (err) {
      this.lastError = (err as Error).message;
      if (err instanceof AuthInvalid) {
        this.authFailures++;
        this.lastError = authInvalidText(this.opts.url);
        if (this.authFailures === 1 || Date.now() - this.authLoggedAt >= AUTH_ERROR_EVERY_MS) {
          this.authLoggedAt = Date.now();
          this.log.error({ url: redactUrl(this.opts.url), attempts: this.authFailures, retryInS: Math.round(this.authRetryMs() / 1000) }, this.lastError);
        }
        this.setState('auth_failed', this.lastError);
        // The library gives up on ERR_INVALID_AUTH (2); we keep trying slowly in start()'s loop.
        throw 2;
      }
      throw 1; // ERR_CANNOT_CONNECT: the library retries with backoff
    }
  };

  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    void this.connectLoop(this.opts.retryMs ?? 1_000);
  }

  private async connectLoop(delay: number): Promise<void> {
    if (this.stopped) return;
    this.setState('connecting');
    try {
      const auth = createLongLivedTokenAuth('http://unused', this.opts.token);
      const conn = await createConnection({ auth, setupRetry: 0, createSocket: this.createSocket });
      if (this.stopped) {
        conn.close();
        return;
      }
      this.conn = conn;
      conn.addEventListener('ready', () => void this.onReady());
      conn.addEventListener('disconnected', () => {
        this.stopHeartbeat();
        this.setState('disconnected', 'HA went away; reconnecting');
        this.emit('down');
      });
      conn.addEventListener('reconnect-error', () => {
        // Invalid auth on reconnect: the library stops; start over with our own loop.
        this.conn = undefined;
        this.scheduleRetry(this.authRetryMs());
      });
      void this.onReady();
    } catch {
      if (this.state !== 'auth_failed') this.setState('disconnected', this.lastError);
      this.scheduleRetry(this.state === 'auth_failed' ? this.authRetryMs() : delay);
    }
  }

  /** The wait before the next try after a refused token: 30 s, 1, 2, 4 min, then every 5 min. */
  private authRetryMs(): number {
    return Math.min(AUTH_RETRY_FIRST_MS * 2 ** Math.max(0, this.authFailures - 1), AUTH_RETRY_MAX_MS);
  }

  private scheduleRetry(delay: number): void {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connectLoop(Math.min(delay * 2, 30_000)), delay);
  }

  /** Each (re)connect: wait for HA to be RUNNING, then announce ready. */
  private async onReady(): Promise<void> {
    const gen = ++this.readyGen;
    const conn = this.conn;
    if (!conn) return;
    this.haVersion = conn.haVersion;
    this.setState('starting');
    const poll = this.opts.startPollMs ?? 500;
    for (let i = 0; ; i++) {
      if (this.stopped || gen !== this.readyGen || !conn.connected) return;
      try {
        const cfg = await conn.sendMessagePromise<{ state?: string }>({ type: 'get_config' });
        if (cfg.state === 'RUNNING') break;
        if (i % 60 === 0) this.log.info({ haState: cfg.state }, 'waiting for HA to finish starting');
      } catch {
        return; // the connection dropped; the next ready starts over
      }
      await new Promise((r) => {
        this.retryTimer = setTimeout(r, poll);
      });
    }
    if (this.stopped || gen !== this.readyGen) return;
    this.startHeartbeat(conn);
    this.authFailures = 0;
    this.lastError = undefined;
    this.setState('ready');
    this.emit('ready', conn);
  }

  private startHeartbeat(conn: Connection): void {
    this.stopHeartbeat();
    const every = this.opts.heartbeatMs ?? 30_000;
    this.heartbeat = setInterval(() => {
      if (!conn.connected) return;
      let answered = false;
      clearTimeout(this.pingTimer);
      const t = (this.pingTimer = setTimeout(() => {
        if (!answered && !this.stopped && this.conn === conn) {
          this.log.warn({ afterMs: every }, 'HA did not answer a ping; reconnecting');
          conn.reconnect(true);
        }
      }, every));
      conn.ping().then(
        () => {
          answered = true;
          clearTimeout(t);
        },
        () => {
          answered = true;
          clearTimeout(t);
        },
      );
    }, every);
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeat);
    clearTimeout(this.pingTimer);
    this.heartbeat = undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.readyGen++;
    clearTimeout(this.retryTimer);
    this.stopHeartbeat();
    const conn = this.conn;
    this.conn = undefined;
    if (conn) {
      const sock = conn.socket as unknown as WebSocket | undefined;
      conn.close();
      if (sock && sock.readyState !== WebSocket.CLOSED) {
        await new Promise<void>((r) => {
          const t = setTimeout(() => {
            sock.terminate();
            r();
          }, 2_000);
          sock.once('close', () => {
            clearTimeout(t);
            r();
          });
        });
      }
    }
    this.setState('stopped');
  }
}
