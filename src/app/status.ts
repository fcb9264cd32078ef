import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { logger, type Logger } from '../log.js';
import { allowedHosts, hostAllowed, hostName, refusal, withoutCors } from '../flow/index.js';
import type { NodeStatus } from '../work/index.js';
import type { HubSections, WorkerSections } from './hub/sections.js';
import type { HistoryQuery, HistorySpan } from '../history/index.js';
import { EventStreams, SSE_MAX_CLIENTS } from './status-events.js';
import { renderStatusPage, statusJson } from './status-render.js';

export {
  esc,
  formatWorkerHashrate,
  renderAppliances,
  renderCards,
  renderHead,
  renderStatusPage,
  renderWorkerRows,
  sourceOf,
  statusJson,
} from './status-render.js';
export { SSE_MAX_CLIENTS } from './status-events.js';

/** The page's script and style (src/app/page), built by scripts/build-web.mjs. */
export const PAGE_BUILD_DIR = fileURLToPath(new URL('../../build/web', import.meta.url));
const PAGE_ASSETS: Record<string, string> = { 'page.js': 'text/javascript; charset=utf-8', 'page.css': 'text/css; charset=utf-8' };
/** The spans `GET api/history?span=` serves. */
export const HISTORY_SPANS: readonly HistorySpan[] = ['1h', '24h', '30d'];

/** What the status page and the terminal line show (and the sections parts add: hub/sections.ts). */
export interface HubStatus extends Partial<HubSections> {
  /** solo: the user's own node is the job source */
  mode: 'practice' | 'pool' | 'solo';
  /** pool URL without credentials, or "practice" */
  source: string;
  /** true only while an upstream pool or the user's node is connected (practice: false, there is no pool) */
  poolConnected: boolean;
  /** the job source's connection, honestly: practice has none */
  connection: 'practice' | 'connected' | 'connecting';
  mining: boolean;
  policy: string;
  /** the schedule's one-line reason */
  decision: string;
  threads: number;
  maxThreads: number;
  /** what limits the hub's threads below its cores, e.g. `1 of 2 threads: 1 core kept for Home Assistant (--headroom 1)`; null: nothing */
  threadLimit: string | null;
  kernel: string;
  /** H/s, hub and local miners together */
  hashrate: number;
  hubHashrate: number;
  shares: { accepted: number; rejected: number; stale: number };
  bestDifficulty: { session: number; allTime: number };
  blocksFound: number;
  networkDifficulty: number;
  /** probability of finding a block within a day at the current hashrate */
  oddsPerDay: number;
  /** seconds, Infinity when not hashing */
  expectedTimeToBlock: number;
  powerW: number;
  /** how powerW is made up, e.g. `hub 6 W estimated; workers: 1 declared, 2 estimated` */
  powerHow?: string;
  energyKWh: number;
  workers: {
    name: string;
    status: string;
    hashrate: number;
    accepted: number;
    rejected: number;
    bestDifficulty: number;
    lastShare: number | null;
    /** the hashrate's 95 % interval and the shares it rests on (src/work/stats.ts) */
    estimate?: { low: number; high: number; shares: number; settled: boolean; hashrate?: number };
    /** where `hashrate` comes from: the worker's own report (mm_state), or its shares */
    hashrateFrom?: 'reported' | 'shares';
    /** its own state and why (mm_state), the threads and kernel it reports */
    state?: string | null;
    reason?: string | null;
    threads?: number | null;
    kernel?: string | null;
    /** where `watts` comes from */
    how?: 'measured' | 'plug' | 'declared' | 'estimated';
    /** what the plan asked and what the worker did (src/app/obedience.ts) */
    kind?: 'agent' | 'browser' | 'miner';
    by?: 'extension' | 'no-work' | 'switch';
    asked?: 'work' | 'pause';
    did?: string;
    device?: string | null;
    watts?: number;
  }[] &
    Partial<WorkerSections>[];
  appliances: {
    idle: number;
    busy: number;
    total: number;
    /** HA devices that are not appliances (docs/appliances.md) */
    ignored: number;
    list: { name: string; area: string | null; role: 'worker' | 'load'; status: 'idle' | 'busy' | 'unknown'; reason: string; why: string }[];
  };
  haConnected: boolean | null;
  mqttConnected: boolean | null;
  startedAt: number;
  /** solo mining: the node (network, height, connection, template age) and the last block sent */
  node?: NodeStatus;
}

export interface StatusServerOptions {
  port: number;
  host?: string;
  /** addresses allowed to connect (the add-on allows only the Supervisor's ingress proxy 172.30.32.2); empty = all */
  allow?: string[];
  status: () => HubStatus;
  /**
   * The Node-RED editor served under `node-red/` (HA ingress has one port: the status page and
   * the editor share it). Requests and the editor's websocket are passed to this loopback target.
   */
  nodeRed?: { host: string; port: number; hosts?: string[] } | null;
  /**
   * Host names the page answers to besides loopback and its own addresses (DNS rebinding check,
   * standalone only: behind HA's ingress the allow list is the gate), e.g. hub.local.
   */
  hosts?: string[];
  /** the browser worker page under `worker` (src/web) */
  worker?: {
    handle(req: IncomingMessage, res: ServerResponse, path: string): boolean;
    upgrade(req: IncomingMessage, socket: Socket, head: Buffer, path: string): boolean;
  } | null;
  /** the history ring (the history part's handle), read at each request; null: off */
  history?: () => { query(span: HistorySpan): HistoryQuery } | null;
  /** the "join this hub" panel's HTML (escaped by its maker), shown on the page */
  join?: () => string;
  /** live views (`api/events`) at most (default 16) */
  maxEventClients?: number;
  /** where page.js and page.css are (default build/web) */
  pageDir?: string;
  logger?: Logger;
}

/** Where a path enters the Node-RED editor: the rest after `/node-red`, or null. */
export function nodeRedPath(path: string): string | null {
  const i = path.indexOf('/node-red');
  if (i < 0) return null;
  const rest = path.slice(i + '/node-red'.length);
  if (rest !== '' && !rest.startsWith('/')) return null;
  return rest || '/';
}

/** The most a request to the Node-RED editor may send (Node-RED's own apiMaxLength is 5 MB). */
export const EDITOR_MAX_BODY = 5 * 1024 * 1024;

/**
 * Headers of every answer of this server (the page, its JSON, errors): no MIME sniffing, framing
 * only by the same origin (HA's ingress serves the panel from HA's own origin), and for the page a
 * policy that loads nothing from anywhere but the hub.
 */
const SECURITY_HEADERS = { 'x-content-type-options': 'nosniff', 'x-frame-options': 'SAMEORIGIN', 'referrer-policy': 'no-referrer' } as const;
export const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'self'; base-uri 'self'; form-action 'self'; object-src 'none'";

/** The status page (HTML), its JSON (`api/status`) and a health endpoint (`health`), under any path prefix. */
export class StatusServer {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly log: Logger;
  private hostsCache: Set<string> | null = null;
  private readonly events: EventStreams;
  constructor(private readonly opts: StatusServerOptions) {
    this.log = opts.logger ?? logger('status');
    this.events = new EventStreams(opts.maxEventClients ?? SSE_MAX_CLIENTS);
  }

  /** Sends one snapshot's status to every live view (the status part calls it each tick). */
  publish(s: HubStatus): void {
    if (this.events.size > 0) this.events.publish(statusJson(s));
  }

  /** Live views open now. */
  get eventClients(): number {
    return this.events.size;
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    server.on('upgrade', (req, socket, head) => this.upgrade(req, socket as Socket, head));
    server.headersTimeout = 10_000;
    server.requestTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.log.info({ port: this.port, host: this.opts.host ?? '127.0.0.1' }, `status page on http://${this.opts.host ?? '127.0.0.1'}:${this.port}/`);
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    this.events.close();
    if (!s) return;
    for (const sock of this.sockets) sock.destroy();
    this.sockets.clear();
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    if (!this.allowed(req)) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('forbidden\n');
      return;
    }
    const foreign = this.foreignHost(req);
    if (foreign) {
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' }).end(foreign);
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (this.opts.worker?.handle(req, res, path)) return;
    const nr = this.opts.nodeRed ? nodeRedPath(path) : null;
    if (nr !== null) {
      // standalone (no allow list) the proxy checks Host and Origin as the editor's own port does;
      // behind HA ingress the Supervisor's address check (allow) stays the gate
      const no = this.opts.allow?.length ? null : refusal(req, this.editorHosts());
      if (no) {
        res.writeHead(no.status, { 'content-type': 'text/plain; charset=utf-8' }).end(no.text);
        return;
      }
      if (path.endsWith('/node-red')) {
        // the editor links relatively: it needs the trailing slash
        res.writeHead(302, { location: `${path.slice(path.lastIndexOf('/') + 1)}/` }).end();
        return;
      }
      // a body larger than the editor takes is refused before a byte of it is read
      const length = Number(req.headers['content-length'] ?? 0);
      if (length > EDITOR_MAX_BODY) {
        this.tooLarge(req, res);
        return;
      }
      this.proxy(req, res, nr + (req.url?.includes('?') ? req.url.slice(req.url.indexOf('?')) : ''));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    // the page links relatively, so it works under HA ingress (X-Ingress-Path) or any prefix
    const tail = path.replace(/^.*\//, '');
    try {
      if (tail === 'health') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
      } else if (path.endsWith('/api/status')) {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(statusJson(this.opts.status()));
      } else if (path.endsWith('/api/events')) {
        this.events.open(req, res, () => statusJson(this.opts.status()));
      } else if (path.endsWith('/api/history')) {
        this.history(req, res);
      } else if (PAGE_ASSETS[tail]) {
        void this.asset(res, tail);
      } else if (path === '/' || path.endsWith('/') || tail === 'index.html') {
        const ingress = String(req.headers['x-ingress-path'] ?? '');
        res
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': PAGE_CSP })
          .end(renderStatusPage(this.opts.status(), ingress, Boolean(this.opts.nodeRed), this.opts.join?.() ?? ''));
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      }
    } catch (err) {
      this.log.error({ err }, 'status page failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('error\n');
    }
  }

  /** `api/history?span=1h|24h|30d`: the ring's JSON; a bad span is 400 with the allowed values. */
  private history(req: IncomingMessage, res: ServerResponse): void {
    const span = new URL(req.url ?? '/', 'http://x').searchParams.get('span') ?? '1h';
    if (!HISTORY_SPANS.includes(span as HistorySpan)) {
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: `span must be one of ${HISTORY_SPANS.join(', ')} (got ${JSON.stringify(span.slice(0, 40))})`, allowed: HISTORY_SPANS }));
      return;
    }
    const h = this.opts.history?.() ?? null;
    if (!h) {
      res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'the history is not running' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(h.query(span as HistorySpan)));
  }

  /** page.js / page.css from the build (a clear 404 when it was not built). */
  private async asset(res: ServerResponse, name: string): Promise<void> {
    try {
      const body = await readFile(`${this.opts.pageDir ?? PAGE_BUILD_DIR}/${name}`);
      res.writeHead(200, { 'content-type': PAGE_ASSETS[name], 'cache-control': 'no-cache' }).end(body);
    } catch {
      if (!res.headersSent) res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(`${name} is not built: run npm run build:web (the page works without it, reloading itself)\n`);
    }
  }

  private editorHosts(): Set<string> {
    return allowedHosts(this.opts.host ?? '127.0.0.1', this.opts.nodeRed?.hosts);
  }

  /**
   * Standalone (no allow list): the refusal text for a Host that is not this machine, loopback or
   * a name the user gave (a DNS-rebinding page names its own host); null when the host is fine.
   */
  private foreignHost(req: IncomingMessage): string | null {
    if (this.opts.allow?.length) return null;
    if (hostAllowed(req.headers.host, this.pageHosts())) return null;
    const name = hostName(req.headers.host) ?? String(req.headers.host ?? '').slice(0, 100);
    return `forbidden: this hub does not answer to the host name "${name}" (DNS rebinding protection); add the name with --node-red-hosts (MM_NODE_RED_HOSTS, node_red_hosts) if it is yours\n`;
  }

  private pageHosts(): Set<string> {
    return (this.hostsCache ??= allowedHosts(this.opts.host ?? '127.0.0.1', [...(this.opts.hosts ?? []), ...(this.opts.nodeRed?.hosts ?? [])]));
  }

  /** 413 without reading the body; the connection is closed after the answer. */
  private tooLarge(req: IncomingMessage, res: ServerResponse): void {
    res
      .writeHead(413, { 'content-type': 'text/plain', connection: 'close' })
      .end(`request body too large (at most ${EDITOR_MAX_BODY} bytes)\n`, () => req.socket.destroy());
  }

  private allowed(req: IncomingMessage): boolean {
    const remote = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    return !this.opts.allow?.length || this.opts.allow.includes(remote);
  }

  /** Passes one request to the Node-RED editor. */
  private proxy(req: IncomingMessage, res: ServerResponse, path: string): void {
    const t = this.opts.nodeRed!;
    // checked above: the editor sees its own address and no cross-origin marker
    const headers = { ...req.headers, host: `${t.host}:${t.port}` };
    delete headers.origin;
    const up = request({ host: t.host, port: t.port, method: req.method, path, headers, timeout: 30_000 }, (r) => {
      withoutCors(res);
      for (const k of Object.keys(r.headers)) if (k.startsWith('access-control-')) delete r.headers[k];
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    // a body without Content-Length (chunked) is counted on the way and cut at the cap
    let sent = 0;
    req.on('data', (chunk: Buffer) => {
      sent += chunk.length;
      if (sent <= EDITOR_MAX_BODY) return;
      req.unpipe(up);
      up.destroy();
      if (!res.headersSent) this.tooLarge(req, res);
      else req.socket.destroy();
    });
    up.on('timeout', () => up.destroy(new Error('Node-RED did not answer')));
    up.on('error', (err) => {
      if (sent > EDITOR_MAX_BODY) return;
      this.log.warn({ err: err.message }, 'Node-RED editor unreachable');
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('the Node-RED editor is not reachable\n');
    });
    req.pipe(up);
  }

  /** The editor's websocket (comms) through the same port. */
  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const path = (req.url ?? '/').split('?')[0];
    const foreign = this.allowed(req) ? this.foreignHost(req) : 'forbidden\n';
    if (foreign) {
      socket.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n\r\n${foreign}`);
      return;
    }
    if (this.opts.worker?.upgrade(req, socket, head, path)) return;
    const nr = this.opts.nodeRed ? nodeRedPath(path) : null;
    if (nr === null) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    const no = this.opts.allow?.length ? null : refusal(req, this.editorHosts());
    if (no) {
      socket.end(`HTTP/1.1 ${no.status} Forbidden\r\nconnection: close\r\n\r\n${no.text}`);
      return;
    }
    const t = this.opts.nodeRed!;
    const up = connect(t.port, t.host, () => {
      const lines = [`${req.method} ${nr}${req.url?.includes('?') ? req.url.slice(req.url.indexOf('?')) : ''} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const k = req.rawHeaders[i];
        if (k.toLowerCase() === 'origin') continue;
        lines.push(`${k}: ${k.toLowerCase() === 'host' ? `${t.host}:${t.port}` : req.rawHeaders[i + 1]}`);
      }
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    const close = () => {
      up.destroy();
      socket.destroy();
    };
    up.on('error', close);
    socket.on('error', close);
    this.sockets.add(socket);
    this.sockets.add(up);
    socket.on('close', () => this.sockets.delete(socket));
    up.on('close', () => this.sockets.delete(up));
  }
}

export interface ProxyTarget {
  host: string;
  port: number;
}
