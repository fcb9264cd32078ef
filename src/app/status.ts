import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { logger, type Logger } from '../log.js';
import { allowedHosts, hostAllowed, hostName, refusal, withoutCors } from '../flow/index.js';
import type { NodeStatus } from '../work/index.js';
import type { HubSections, WorkerSections } from './hub/sections.js';

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
  worker?: { handle(req: IncomingMessage, res: ServerResponse, path: string): boolean; upgrade(req: IncomingMessage, socket: Socket, head: Buffer, path: string): boolean } | null;
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
  constructor(private readonly opts: StatusServerOptions) {
    this.log = opts.logger ?? logger('status');
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
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(jsonSafe(this.opts.status())));
      } else if (path === '/' || path.endsWith('/') || tail === 'index.html') {
        const ingress = String(req.headers['x-ingress-path'] ?? '');
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': PAGE_CSP }).end(renderStatusPage(this.opts.status(), ingress, Boolean(this.opts.nodeRed)));
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      }
    } catch (err) {
      this.log.error({ err }, 'status page failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('error\n');
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
    res.writeHead(413, { 'content-type': 'text/plain', connection: 'close' }).end(`request body too large (at most ${EDITOR_MAX_BODY} bytes)\n`, () => req.socket.destroy());
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

function jsonSafe(s: HubStatus): unknown {
  return { ...s, expectedTimeToBlock: Number.isFinite(s.expectedTimeToBlock) ? s.expectedTimeToBlock : null };
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function formatHashrate(hs: number): string {
  const units = ['H/s', 'kH/s', 'MH/s', 'GH/s', 'TH/s', 'PH/s'];
  let v = hs;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v >= 100 || i === 0 ? 0 : 2)} ${units[i]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'never (not hashing)';
  const y = seconds / (365.25 * 86400);
  if (y >= 1) return `${y >= 1e6 ? y.toExponential(1) : Math.round(y).toLocaleString('en')} years`;
  const d = seconds / 86400;
  if (d >= 1) return `${d.toFixed(1)} days`;
  return `${(seconds / 3600).toFixed(1)} hours`;
}

export function formatOdds(p: number): string {
  if (p <= 0) return '0';
  if (p >= 0.01) return `${(p * 100).toFixed(1)} %`;
  const n = 1 / p;
  return n >= 1e7 ? `1 in ${n.toExponential(1).replace('e+', 'e')}` : `1 in ${Math.round(n).toLocaleString('en')}`;
}

export function formatDifficulty(d: number): string {
  if (d === 0) return '0';
  if (d >= 1e6) return d.toExponential(3);
  if (d >= 1) return d.toFixed(2);
  return d.toPrecision(3);
}

/**
 * A worker's hashrate as far as its shares tell: a few shares give a wide interval, so until the
 * estimate has settled it is shown with its 95 % range and the share count (as pools do).
 */
export function formatWorkerHashrate(w: Pick<HubStatus['workers'][number], 'hashrate' | 'estimate' | 'hashrateFrom'>): string {
  const e = w.estimate;
  if (w.hashrateFrom === 'reported') {
    // its own figure; the shares' estimate is the cross-check
    const check = e && e.shares > 0 && e.hashrate !== undefined ? `; shares: ${formatWorkerHashrate({ hashrate: e.hashrate, estimate: e })}` : '';
    return `${formatHashrate(w.hashrate)} reported${check}`;
  }
  if (!e || e.settled) return formatHashrate(w.hashrate);
  if (e.shares === 0) return 'no shares yet';
  return `~${formatHashrate(w.hashrate)} (${formatHashrate(e.low)} to ${formatHashrate(e.high)}, ${e.shares} share${e.shares === 1 ? '' : 's'})`;
}

/** The appliances table, grouped by area (areas by name, devices without an area last). */
export function renderAppliances(a: HubStatus['appliances']): string {
  const groups = new Map<string, HubStatus['appliances']['list']>();
  for (const x of [...a.list].sort((p, q) => (p.area ?? '\uffff').localeCompare(q.area ?? '\uffff') || p.name.localeCompare(q.name))) {
    const key = x.area ?? 'No area';
    groups.set(key, [...(groups.get(key) ?? []), x]);
  }
  const body = [...groups]
    .map(
      ([area, list]) =>
        `<tr class="area"><th colspan="4">${esc(area)}</th></tr>` +
        list.map((x) => `<tr><td>${esc(x.name)}</td><td>${x.role}</td><td class="st-${x.status}">${x.status}</td><td>${esc(x.reason)}${x.why ? `<br><span class="note">${esc(x.why)}</span>` : ''}</td></tr>`).join(''),
    )
    .join('');
  const ignored = a.ignored ? ` ${a.ignored} other device${a.ignored === 1 ? ' is' : 's are'} not appliances (sensors, lights, covers, inputs…).` : '';
  return `<h2 id="appliances">Appliances</h2>
<p class="note" id="appliance-counts">${a.idle} idle, ${a.busy} busy of ${a.total} appliance${a.total === 1 ? '' : 's'}.${ignored}</p>
<table><thead><tr><th>appliance</th><th>role</th><th>status</th><th>reason</th></tr></thead><tbody>${body || '<tr><td colspan="4">no appliances</td></tr>'}</tbody></table>`;
}

/** Solo mining: the node's network, height, connection and template age, and the last block sent. */
function renderNode(n: NonNullable<HubStatus['node']>): string {
  const state = n.state === 'ready' ? 'connected' : n.state;
  const last = n.lastBlock
    ? ` · last block ${n.lastBlock.height} ${n.lastBlock.accepted ? 'accepted' : `not accepted: ${esc(n.lastBlock.reason ?? '')}`}`
    : '';
  return `<p class="note" id="node">Node ${esc(n.node)}: ${esc(state)}${n.chain ? `, ${esc(n.chain)}` : ''}${n.height !== null ? `, height ${n.height}` : ''}${n.templateAgeS !== null ? `, template ${n.templateAgeS} s old` : ''}; blocks sent ${n.blocksSubmitted}, accepted ${n.blocksAccepted}${last}${n.message ? `<br>${esc(n.message)}` : ''}</p>`;
}

/** The status page: one self-refreshing HTML document with no external resources. */
export function renderStatusPage(s: HubStatus, ingressPath = '', nodeRedLink = false): string {
  const rows = s.workers
    .map(
      (w) =>
        `<tr><td>${esc(w.name)}${w.kind && w.kind !== 'miner' ? ` (${w.kind === 'agent' ? 'computer' : 'browser'})` : ''}${w.device ? `<br><span class="note">${esc(w.device)}</span>` : ''}</td><td>${esc(w.status)}</td><td>${esc(w.asked ?? '')}</td><td>${esc(w.did ?? '')}</td><td>${formatWorkerHashrate(w)}</td><td>${esc(w.kernel ?? '')}</td><td>${w.watts !== undefined ? `${Math.round(w.watts)} W${w.how ? ` ${w.how}` : ''}` : ''}</td><td>${w.accepted}</td><td>${w.rejected}</td><td>${formatDifficulty(w.bestDifficulty)}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Micro Mining</title>
<meta http-equiv="refresh" content="5">
<style>
body{font-family:system-ui,sans-serif;margin:1.5rem;max-width:60rem;color:#1c1c1c;background:#fafafa}
h1{font-size:1.4rem;margin:0 0 .2rem} .mode{display:inline-block;padding:.1rem .5rem;border-radius:.4rem;background:${s.mode === 'practice' ? '#fde68a' : '#bbf7d0'}}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(13rem,1fr));gap:.7rem;margin:1rem 0}
.card{background:#fff;border:1px solid #ddd;border-radius:.6rem;padding:.7rem}
.card b{display:block;font-size:1.3rem} .card span{color:#555;font-size:.85rem}
.reason{background:#fff;border-left:4px solid #2563eb;padding:.6rem .8rem} table{border-collapse:collapse;width:100%;background:#fff}
td,th{border:1px solid #ddd;padding:.3rem .5rem;text-align:left} .note{color:#555;font-size:.85rem}
</style></head><body data-ingress="${esc(ingressPath)}">
<h1>Micro Mining <span class="mode" id="mode">${s.mode === 'practice' ? 'practice mode: earns nothing, no pool' : s.mode === 'solo' ? esc(s.source) : `pool: ${esc(s.source)}${s.connection === 'connected' ? '' : ' (connecting)'}`}</span></h1>
${s.node ? renderNode(s.node) : ''}
<p class="reason" id="decision">${esc(s.decision || (s.mining ? 'mining' : 'not mining'))}</p>
<div class="grid">
<div class="card"><span>hashrate</span><b id="hashrate">${formatHashrate(s.mining ? s.hashrate : 0)}</b><span>hub ${formatHashrate(s.hubHashrate)}, ${s.threads} thread${s.threads === 1 ? '' : 's'} running, kernel ${esc(s.kernel)}</span><span id="threads" style="display:block">${esc(s.threadLimit ?? `up to ${s.maxThreads} threads`)}</span></div>
<div class="card"><span>odds of a block per day</span><b id="odds">${formatOdds(s.oddsPerDay)}</b><span>expected time to a block: ${formatDuration(s.expectedTimeToBlock)}</span></div>
<div class="card"><span>power</span><b id="power">${Math.round(s.powerW)} W</b><span>${esc(s.powerHow ?? 'estimated')}; ${s.energyKWh.toFixed(3)} kWh used</span></div>
<div class="card"><span>shares</span><b id="shares">${s.shares.accepted} accepted</b><span>${s.shares.rejected} rejected, ${s.shares.stale} stale</span></div>
<div class="card"><span>best share difficulty</span><b id="best">${formatDifficulty(s.bestDifficulty.session)}</b><span>all time ${formatDifficulty(s.bestDifficulty.allTime)}; blocks found ${s.blocksFound}</span></div>
<div class="card"><span>network difficulty</span><b>${formatDifficulty(s.networkDifficulty)}</b><span>policy ${esc(s.policy)}; appliances idle ${s.appliances.idle}/${s.appliances.total}</span></div>
</div>
<h2>Workers</h2>
<table><thead><tr><th>worker</th><th>status</th><th>asked</th><th>did</th><th>hashrate</th><th>kernel</th><th>power</th><th>accepted</th><th>rejected</th><th>best</th></tr></thead><tbody>${rows || '<tr><td colspan="10">no local miners connected</td></tr>'}</tbody></table>
${renderAppliances(s.appliances)}
<p class="note">Home Assistant: ${s.haConnected === null ? 'not configured' : s.haConnected ? 'connected' : 'away (reconnecting)'} · MQTT: ${s.mqttConnected === null ? 'off' : s.mqttConnected ? 'connected' : 'reconnecting'} ·
CPU mining earns almost nothing; the odds above are what they are. <a href="api/status">status JSON</a>${nodeRedLink ? ' · <a href="node-red/">Node-RED flows</a>' : ''}</p>
</body></html>`;
}
