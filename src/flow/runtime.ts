// The embedded Node-RED runtime: user dir under the data folder, the project's nodes loaded, the
// default flow deployed on first start (later starts keep the user's edits), the editor on a port,
// never open without a login outside HA ingress (see editor-access.ts).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { logger, type Logger } from '../log.js';
import { HUB_SETTING, type HubApi } from './hub-api.js';
import { allowedHosts, isLoopback, loginHint, refusal, withoutCors, type EditorLogin } from './editor-access.js';

const require = createRequire(import.meta.url);
const NODES_DIR = fileURLToPath(new URL('../../nodes', import.meta.url));
export const DEFAULT_FLOW_FILE = join(NODES_DIR, 'examples', 'default.json');
const NODES_BUNDLE = join(NODES_DIR, 'dist', 'micro-mining.js');

export interface FlowRuntimeOptions {
  hub: HubApi;
  /** the data folder; Node-RED's user dir is <dataDir>/node-red */
  dataDir: string;
  /** editor/admin port (0 = ephemeral); default 1880 */
  port?: number;
  /** address to listen on; default 127.0.0.1, or 0.0.0.0 when the user's own credentials are set */
  bind?: string;
  /** the editor login (Node-RED adminAuth); required for the editor unless `ingressOnly` */
  credentials?: { username: string; password: string };
  /** where the login came from, for the start's hint (the password is never logged) */
  login?: EditorLogin;
  /**
   * No login: the editor listens on loopback only and is reached from outside only through the
   * status port's `node-red/` proxy, which admits the Supervisor's ingress address (the add-on).
   */
  ingressOnly?: boolean;
  /** host names besides loopback and the bind address that the editor answers to (DNS rebinding check) */
  hosts?: string[];
  /**
   * HA ingress: a second listener (no login: Home Assistant authenticates) that accepts only the
   * Supervisor's proxy (default 172.30.32.2) and loopback. The editor uses relative links, so it
   * works under the ingress path prefix.
   */
  ingress?: { port: number; bind?: string; allowFrom?: string[] };
  /** serve the editor (default true); false runs the flow only */
  editor?: boolean;
  logger?: Logger;
}

/** The key that encrypts the flow credentials: made once, kept (mode 0600) in the user dir. */
export function credentialSecret(userDir: string): string {
  const file = join(userDir, '.micro-mining-credential-secret');
  if (existsSync(file)) {
    const s = readFileSync(file, 'utf8').trim();
    if (s.length >= 32) return s;
  }
  const secret = randomBytes(32).toString('hex');
  mkdirSync(userDir, { recursive: true });
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/** Writes the default flow into the user dir unless a flow file exists (the user's edits are kept). Returns true when it wrote one. */
export function ensureFlowFile(userDir: string, flowFile = 'flows.json'): boolean {
  mkdirSync(userDir, { recursive: true });
  const target = join(userDir, flowFile);
  if (existsSync(target)) return false;
  copyFileSync(DEFAULT_FLOW_FILE, target);
  return true;
}

/**
 * Node-RED's editor login keeps a timer for the expiry of its sessions (a week) that it never
 * clears or unrefs, so a stopped runtime would hold the process open. That one timer is unref'd
 * (it still fires while the process runs for other reasons). Installed once per process.
 */
let sessionTimerPatched = false;
function unrefSessionExpiryTimer(): void {
  if (sessionTimerPatched) return;
  sessionTimerPatched = true;
  const original = globalThis.setTimeout;
  const patched = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const t = original(fn, ms, ...args);
    if (typeof fn === 'function' && fn.name === 'expireSessions') t.unref();
    return t;
  }) as unknown as typeof setTimeout;
  Object.assign(patched, original);
  globalThis.setTimeout = patched;
}

/** Checks the options; throws an error that names the option. */
export function checkRuntimeOptions(o: FlowRuntimeOptions): { bind: string } {
  if (o.port !== undefined && (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535)) throw new Error(`node-red port must be 0..65535, got ${o.port}`);
  if (o.credentials && (!o.credentials.username || o.credentials.password.length < 8)) {
    throw new Error('node-red credentials need a username and a password of at least 8 characters');
  }
  const given = o.credentials && o.login?.source !== 'generated';
  const bind = o.bind ?? (given ? '0.0.0.0' : '127.0.0.1');
  if (!o.credentials && !isLoopback(bind)) {
    throw new Error(
      `refusing to open the Node-RED editor on ${bind} without credentials: set node-red credentials, or bind to 127.0.0.1 (use HA ingress from outside)`,
    );
  }
  if (!o.credentials && o.editor !== false && !o.ingressOnly) {
    throw new Error(
      'refusing to serve the Node-RED editor without a login: give credentials (standalone: a generated login), or ingressOnly (the add-on behind HA ingress)',
    );
  }
  if (o.ingress && (!Number.isInteger(o.ingress.port) || o.ingress.port < 0 || o.ingress.port > 65535))
    throw new Error(`ingress port must be 0..65535, got ${o.ingress.port}`);
  return { bind };
}

function normalizePeer(addr: string | undefined): string {
  return (addr ?? '').replace(/^::ffff:/, '');
}

// Node-RED's numeric levels -> pino
const NR_LEVELS: Record<number, 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'> = {
  10: 'fatal',
  20: 'error',
  30: 'warn',
  40: 'info',
  50: 'debug',
  60: 'trace',
};

/**
 * Node-RED embedded in the hub. `start()` brings up the runtime with the flow; `stop()` stops
 * the flows (dispatch pauses mining) and closes the listeners. Node-RED allows one start per
 * process.
 */
export class FlowRuntime {
  private readonly log: Logger;
  private servers: Server[] = [];
  private sockets = new Set<Socket>();
  // biome-ignore lint/suspicious/noExplicitAny: Node-RED's runtime API ships no types
  private red: any = null;
  private started = false;
  readonly userDir: string;

  constructor(private readonly opts: FlowRuntimeOptions) {
    checkRuntimeOptions(opts);
    this.log = opts.logger ?? logger('flow');
    this.userDir = join(opts.dataDir, 'node-red');
  }

  /** The editor's address (after start). */
  address(): { host: string; port: number } {
    const a = this.servers[0]?.address() as AddressInfo | null;
    if (!a) throw new Error('the Node-RED runtime is not started');
    return { host: a.address, port: a.port };
  }

  /** The ingress listener's address (after start, when configured). */
  ingressAddress(): { host: string; port: number } | null {
    const a = this.servers[1]?.address() as AddressInfo | null | undefined;
    return a ? { host: a.address, port: a.port } : null;
  }

  async start(): Promise<void> {
    if (this.started) return;
    const { bind } = checkRuntimeOptions(this.opts);
    if (!existsSync(NODES_BUNDLE)) {
      throw new Error(`the Node-RED nodes are not built (${NODES_BUNDLE} missing): run node scripts/build-nodes.mjs`);
    }
    const wrote = ensureFlowFile(this.userDir);
    this.log.info({ userDir: this.userDir }, wrote ? 'Node-RED: default flow written (first start)' : 'Node-RED: keeping the existing flow');

    const RED = require('node-red');
    const express = require('express');
    const bcrypt = require('bcryptjs');
    const app = express();
    const editor = this.opts.editor !== false;
    const log = this.log;
    const settings: Record<string, unknown> = {
      userDir: this.userDir,
      // flow credentials (e.g. an MQTT password in a config node) are encrypted with a key kept in
      // the data folder, so they survive restarts and add-on upgrades
      credentialSecret: credentialSecret(this.userDir),
      flowFile: 'flows.json',
      nodesDir: [NODES_DIR],
      httpAdminRoot: editor ? '/' : false,
      httpNodeRoot: '/endpoint',
      disableEditor: !editor,
      uiPort: this.opts.port ?? 1880,
      externalModules: { autoInstall: false, palette: { allowInstall: false }, modules: { allowInstall: false } },
      editorTheme: { projects: { enabled: false }, tours: false, header: { title: 'Micro Mining flows' } },
      telemetry: { enabled: false },
      diagnostics: { enabled: false },
      logging: {
        console: { level: 'off' },
        microMining: {
          level: 'info',
          metrics: false,
          audit: false,
          handler: () => (m: { level: number; msg: unknown; type?: string; id?: string }) => {
            const lvl = NR_LEVELS[m.level] ?? 'info';
            const text = m.msg instanceof Error ? m.msg.message : typeof m.msg === 'string' ? m.msg : JSON.stringify(m.msg);
            log[lvl]({ node: m.type, id: m.id }, `node-red: ${text}`);
          },
        },
      },
      [HUB_SETTING]: this.opts.hub,
    };
    if (this.opts.credentials) {
      unrefSessionExpiryTimer();
      settings.adminAuth = {
        type: 'credentials',
        users: [{ username: this.opts.credentials.username, password: bcrypt.hashSync(this.opts.credentials.password, 10), permissions: '*' }],
      };
    }
    // every request: Host of this hub only (DNS rebinding), no cross-origin use, no CORS grant
    const hosts = allowedHosts(bind, this.opts.hosts);
    const server = createServer((req, res) => {
      const no = refusal(req, hosts);
      if (no) {
        res.writeHead(no.status, { 'content-type': 'text/plain; charset=utf-8' }).end(no.text);
        return;
      }
      withoutCors(res);
      app(req, res);
    });
    server.prependListener('upgrade', (req: IncomingMessage, socket: Socket) => {
      const no = refusal(req, hosts);
      if (no) {
        socket.end(`HTTP/1.1 ${no.status} Forbidden\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${no.text}`);
        socket.destroy();
      }
    });
    RED.init(server, settings);
    if (editor) app.use('/', RED.httpAdmin);
    app.use('/endpoint', RED.httpNode);
    this.servers.push(server);
    this.track(server, null);
    await listen(server, this.opts.port ?? 1880, bind);
    if (this.opts.ingress) {
      const allow = new Set([...(this.opts.ingress.allowFrom ?? ['172.30.32.2']), '127.0.0.1', '::1']);
      const ing = createServer((req, res) => {
        withoutCors(res);
        app(req, res);
      });
      this.servers.push(ing);
      this.track(ing, allow);
      await listen(ing, this.opts.ingress.port, this.opts.ingress.bind ?? '0.0.0.0');
    }
    this.red = RED;
    await RED.start();
    this.started = true;
    const a = this.address();
    this.log.info({ host: a.host, port: a.port, auth: !!this.opts.credentials, ingress: this.ingressAddress()?.port ?? null }, 'Node-RED started');
    const note = exposureNote(a.host, a.port, !!this.opts.credentials);
    if (note) this.log.warn({ host: a.host, port: a.port }, note);
    if (editor && this.opts.login) {
      const url = `http://${isLoopback(a.host) || a.host === '0.0.0.0' || a.host === '::' ? '127.0.0.1' : a.host}:${a.port}/`;
      this.log.info({ file: this.opts.login.file }, loginHint(this.opts.login, url));
      if (this.opts.login.created && process.stderr.isTTY) {
        // shown once, on the terminal only (never in a log file), as Jupyter and Grafana do
        process.stderr.write(
          `\n  Node-RED editor: ${url}\n  user ${this.opts.login.username}, password ${this.opts.login.password}\n  (shown once; kept in ${this.opts.login.file})\n\n`,
        );
      }
    }
  }

  async stop(): Promise<void> {
    const RED = this.red;
    this.red = null;
    if (RED && this.started) {
      this.started = false;
      await RED.stop();
    }
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.servers = [];
  }

  private track(server: Server, allow: Set<string> | null): void {
    server.on('connection', (sock: Socket) => {
      if (allow && !allow.has(normalizePeer(sock.remoteAddress))) {
        this.log.warn({ peer: sock.remoteAddress }, 'ingress port: connection from outside the Supervisor refused');
        sock.destroy();
        return;
      }
      this.sockets.add(sock);
      sock.on('close', () => this.sockets.delete(sock));
    });
  }
}

/** The line the log gets when the editor listens beyond loopback (only possible with a login). */
export function exposureNote(host: string, port: number, auth: boolean): string | null {
  if (isLoopback(host)) return null;
  const where = host === '0.0.0.0' || host === '::' ? 'every network of this machine' : host;
  return `Node-RED editor listens on ${host}:${port} (${where}) because an editor login is set${auth ? '; it asks for that login' : ''}`;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
