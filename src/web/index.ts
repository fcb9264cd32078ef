/**
 * The browser worker page on the status port: `worker` (the page), `worker/miner.js`,
 * `worker/hash-worker.js` and `worker/gpu-worker.js` (built by scripts/build-web.mjs into
 * build/web), `worker/kernel.wasm`
 * (the project's WebAssembly SIMD kernel) and `worker/ws`, Stratum over a WebSocket, handed to
 * the local endpoint as one more connection (its password and per-address limits apply).
 * Also `worker/package.tgz`: the worker package for other computers (scripts/build-worker-package.mjs,
 * `npm install -g http://HUB:8099/worker/package.tgz`, docs/workers.md); only the files named
 * here are served, nothing else of the file system.
 * Same origin only: a page elsewhere cannot make a visitor's browser mine for this hub.
 */
import { readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import type { Logger } from '../log.js';
import { renderWorkerPage } from './page.js';
import { WsStratumSocket } from './socket.js';

// the WebGPU kernel's host, shared with `micro-mining worker --gpu` (src/worker/gpu.ts)
export {
  GpuFault,
  GpuScanner,
  GpuUnavailable,
  classifyAdapter,
  estimatedGpuWatts,
  type AdapterClass,
  type AdapterSummary,
  type GpuScanResult,
  type GpuScannerOptions,
  type GpuTestFault,
} from './client/gpu.js';
export type { GpuEntry } from './client/gpu-types.js';

export const WEB_BUILD_DIR = fileURLToPath(new URL('../../build/web', import.meta.url));
export const KERNEL_WASM = fileURLToPath(new URL('../../build/wasm/kernel.wasm', import.meta.url));
/** The worker package (`npm pack` of the worker's compiled files), built at install. */
export const WORKER_PACKAGE = fileURLToPath(new URL('../../build/worker-package/micro-mining-worker.tgz', import.meta.url));
/** The largest worker package served (it is ~150 KiB; a bigger file is not what the build makes). */
export const WORKER_PACKAGE_MAX = 16 * 1024 * 1024;

export interface WorkerPageOptions {
  /** hands a connection to the local Stratum endpoint (null: the endpoint is off) */
  accept: ((socket: Socket) => void) | null;
  /** the endpoint asks for a password */
  passwordRequired: boolean;
  /** pages may hash on the GPU (WebGPU) where the browser has it (default true) */
  gpu?: boolean;
  /** the page honours its test hooks (fault injection); default: only when MM_TEST is set (the test runner) */
  testHooks?: boolean;
  /** open browser workers at most (default 64) */
  maxSockets?: number;
  /** longest WebSocket message, bytes (default 16 KiB; a Stratum line is far shorter) */
  maxMessage?: number;
  /** the worker package served at worker/package.tgz (default WORKER_PACKAGE; tests) */
  packageFile?: string;
  log: Logger;
}

const FILES: Record<string, { file: string; type: string }> = {
  'miner.js': { file: join(WEB_BUILD_DIR, 'miner.js'), type: 'text/javascript; charset=utf-8' },
  'hash-worker.js': { file: join(WEB_BUILD_DIR, 'hash-worker.js'), type: 'text/javascript; charset=utf-8' },
  'gpu-worker.js': { file: join(WEB_BUILD_DIR, 'gpu-worker.js'), type: 'text/javascript; charset=utf-8' },
  'kernel.wasm': { file: KERNEL_WASM, type: 'application/wasm' },
};

/** The part of a path after the last `/worker`: '' for the page, 'ws', 'miner.js', …; null when it is not the worker page's. */
export function workerPath(path: string): string | null {
  const i = path.lastIndexOf('/worker');
  if (i < 0) return null;
  const rest = path.slice(i + '/worker'.length);
  if (rest === '' || rest === '/') return '';
  if (!rest.startsWith('/')) return null;
  return rest.slice(1);
}

/** Same origin: the Origin header names the host the request was sent to (HA ingress forwards it as X-Forwarded-Host). */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin) return false;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  const hosts = [req.headers.host, req.headers['x-forwarded-host']].flatMap((h) => (Array.isArray(h) ? h : h ? String(h).split(',') : [])).map((h) => h.trim());
  return hosts.includes(host);
}

export class WorkerPage {
  private readonly wss: WebSocketServer;
  private readonly cache = new Map<string, Buffer>();
  private open = 0;

  constructor(private readonly opts: WorkerPageOptions) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxMessage ?? 16 * 1024, perMessageDeflate: false });
  }

  /** Serves the page and its files; false when the path is not the worker page's. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const rest = workerPath(path);
    if (rest === null || rest === 'ws') return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return true;
    }
    const security = { 'x-content-type-options': 'nosniff', 'cross-origin-resource-policy': 'same-origin' };
    if (rest === '') {
      // the page links relatively (worker/…): without the trailing slash it works under any prefix
      if (path.endsWith('/')) {
        res.writeHead(302, { location: `../${path.slice(0, -1).replace(/^.*\//, '')}` }).end();
        return true;
      }
      res
        .writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
          'content-security-policy':
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; worker-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'",
          ...security,
        })
        .end(
          renderWorkerPage({
            endpoint: this.opts.accept !== null,
            passwordRequired: this.opts.passwordRequired,
            gpu: this.opts.gpu !== false,
            testHooks: this.opts.testHooks ?? Boolean(process.env.MM_TEST),
          }),
        );
      return true;
    }
    if (rest === 'package.tgz') return this.servePackage(req, res, security);
    const f = FILES[rest];
    if (!f) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return true;
    }
    let body = this.cache.get(rest);
    if (!body) {
      try {
        body = readFileSync(f.file);
      } catch {
        res.writeHead(503, { 'content-type': 'text/plain' }).end(`${rest} is not built: run "npm run build" (build:web and build:wasm)\n`);
        return true;
      }
      this.cache.set(rest, body);
    }
    res.writeHead(200, { 'content-type': f.type, 'cache-control': 'no-cache', ...security }).end(req.method === 'HEAD' ? undefined : body);
    return true;
  }

  /**
   * The worker package: read when it changed (a rebuild replaces it atomically), never above
   * WORKER_PACKAGE_MAX; the same headers npm's registry sends for a tarball.
   */
  private servePackage(req: IncomingMessage, res: ServerResponse, security: Record<string, string>): true {
    let st: { size: number; mtimeMs: number };
    try {
      st = statSync(this.opts.packageFile ?? WORKER_PACKAGE);
    } catch {
      res
        .writeHead(503, { 'content-type': 'text/plain; charset=utf-8' })
        .end('the worker package is not built: run "npm run build:worker-package" on the hub\n');
      return true;
    }
    if (st.size > WORKER_PACKAGE_MAX) {
      this.opts.log.error({ bytes: st.size, max: WORKER_PACKAGE_MAX }, 'the worker package is larger than the hub serves; not served');
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end('the worker package is too large to serve\n');
      return true;
    }
    const key = `package.tgz@${st.mtimeMs}:${st.size}`;
    let body = this.cache.get(key);
    if (!body) {
      try {
        body = readFileSync(this.opts.packageFile ?? WORKER_PACKAGE);
      } catch {
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end('the worker package could not be read\n');
        return true;
      }
      if (body.length > WORKER_PACKAGE_MAX) {
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end('the worker package is too large to serve\n');
        return true;
      }
      for (const k of this.cache.keys()) if (k.startsWith('package.tgz@')) this.cache.delete(k);
      this.cache.set(key, body);
    }
    res
      .writeHead(200, {
        'content-type': 'application/gzip',
        'content-length': String(body.length),
        'content-disposition': 'attachment; filename="micro-mining-worker.tgz"',
        'cache-control': 'no-cache',
        'x-content-type-options': security['x-content-type-options'],
      })
      .end(req.method === 'HEAD' ? undefined : body);
    return true;
  }

  /** Takes the page's WebSocket; false when the path is not `worker/ws`. */
  upgrade(req: IncomingMessage, socket: Socket, head: Buffer, path: string): boolean {
    if (workerPath(path) !== 'ws') return false;
    const refuse = (status: string, text: string) => socket.end(`HTTP/1.1 ${status}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${text}\n`);
    if (!this.opts.accept) {
      refuse('503 Service Unavailable', 'the local Stratum endpoint is off');
      return true;
    }
    if (!sameOrigin(req)) {
      this.opts.log.warn({ origin: String(req.headers.origin ?? '').slice(0, 100) }, 'worker page websocket from another origin refused');
      refuse('403 Forbidden', 'the worker page connects from its own origin only');
      return true;
    }
    if (this.open >= (this.opts.maxSockets ?? 64)) {
      refuse('503 Service Unavailable', 'too many browser workers');
      return true;
    }
    const accept = this.opts.accept;
    const address =
      (req.headers['x-forwarded-for'] && req.socket.remoteAddress === '172.30.32.2'
        ? String(req.headers['x-forwarded-for']).split(',')[0].trim()
        : req.socket.remoteAddress) ?? '?';
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.open++;
      ws.on('close', () => this.open--);
      accept(new WsStratumSocket(ws, address) as unknown as Socket);
    });
    return true;
  }

  stop(): void {
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
  }
}
export { joinCommands, lanAddresses, renderJoinPanel, type JoinView } from './join.js';
