// Who may reach the Node-RED editor and its admin API (which can run code: an exec node is one
// deploy away). Standalone the editor always asks for a login: the user's own
// (--node-red-username/--node-red-password) or one made on the first start and kept in the data
// folder (mode 0600). Every listener refuses requests whose Host header is not an address of
// this hub (DNS rebinding) and gives no CORS grant to other origins. Under HA ingress the
// Supervisor's address check stays the gate (see StatusServer).
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { registerSecret } from '../log.js';

/** The file under the data folder that holds a generated editor login. */
export const LOGIN_FILE = 'node-red-login.json';
export const GENERATED_USER = 'admin';

export interface EditorLogin {
  username: string;
  password: string;
  /** `options`: the user's own; `generated`: made on a first start, kept in `file` */
  source: 'options' | 'generated';
  file: string | null;
  /** made by this call (the first start) */
  created: boolean;
}

/**
 * The editor login: the given one, or the generated one from `<dataDir>/node-red-login.json`
 * (made with mode 0600 when missing). A file that exists but cannot be read or is not a login is
 * never written over: the error names the file and the fix.
 */
export function editorLogin(dataDir: string, given?: { username: string; password: string } | null): EditorLogin {
  if (given) return { ...given, source: 'options', file: null, created: false };
  const file = join(dataDir, LOGIN_FILE);
  let text: string | null = null;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT')
      throw new Error(
        `cannot read the Node-RED editor login ${file} (${code ?? (err as Error).message}): give this user read access, or set --node-red-username and --node-red-password`,
      );
  }
  if (text !== null) {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      v = null;
    }
    const o = v as { username?: unknown; password?: unknown } | null;
    if (!o || typeof o.username !== 'string' || !o.username || typeof o.password !== 'string' || o.password.length < 8) {
      throw new Error(
        `the Node-RED editor login ${file} is not a login ({"username":…,"password":…}): delete it to have a new one made, or set --node-red-username and --node-red-password`,
      );
    }
    // owner-only, whatever a copy or an editor left
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    return { username: o.username, password: o.password, source: 'generated', file, created: false };
  }
  const login = { username: GENERATED_USER, password: randomBytes(18).toString('base64url') };
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
  const fd = openSync(tmp, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  return { ...login, source: 'generated', file, created: true };
}

/** How the start tells the user to log in (never with the password itself). */
export function loginHint(l: EditorLogin, url: string): string {
  if (l.source === 'options') return `Node-RED editor on ${url}: log in with node_red_username / node_red_password`;
  return `Node-RED editor on ${url}: log in as ${l.username} with the password in ${l.file} (made on the first start, readable by this user only; delete the file for a new one, or set --node-red-username and --node-red-password)`;
}

const LOOPBACK_NAMES = new Set(['localhost', '::1']);
export const isLoopback = (host: string) => LOOPBACK_NAMES.has(host) || host.endsWith('.localhost') || (isIP(host) === 4 && host.startsWith('127.'));
const isWildcard = (bind: string) => bind === '0.0.0.0' || bind === '::' || bind === '';

/** The host names a listener on `bind` answers to: loopback, the bind address (every interface address for 0.0.0.0/::), and the configured names. */
export function allowedHosts(bind: string, extra: readonly string[] = []): Set<string> {
  const out = new Set<string>(['localhost', '127.0.0.1', '::1']);
  if (isWildcard(bind)) {
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(a.address.replace(/%.*$/, '').toLowerCase());
  } else {
    out.add(bind.toLowerCase());
  }
  for (const h of extra) if (h.trim()) out.add(h.trim().toLowerCase().replace(/\.$/, ''));
  return out;
}

/** The host name of a Host header (`name:port`, `[v6]:port`), lower case; null when unusable. */
export function hostName(header: string | undefined): string | null {
  if (!header) return null;
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end > 1 ? h.slice(1, end) : null;
  }
  if (isIP(h) === 6) return h;
  const name = h.replace(/:\d*$/, '').replace(/\.$/, '');
  return name && !name.includes(':') ? name : null;
}

export function hostAllowed(header: string | undefined, allowed: Set<string>): boolean {
  const name = hostName(header);
  return name !== null && (allowed.has(name) || isLoopback(name));
}

export type Refusal = { status: number; text: string } | null;

/**
 * Checks one request to the editor: the Host is one of `allowed` (DNS rebinding), a browser's
 * Origin (when sent) is the page's own (no cross-origin use), and no CORS preflight is granted.
 */
export function refusal(req: IncomingMessage, allowed: Set<string>): Refusal {
  const host = req.headers.host;
  if (!hostAllowed(host, allowed)) {
    return {
      status: 403,
      text: `forbidden: this editor does not answer to the host name "${hostName(host) ?? host ?? ''}" (DNS rebinding protection); add the name with --node-red-hosts (MM_NODE_RED_HOSTS, node_red_hosts) if it is yours\n`,
    };
  }
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let same = false;
    try {
      same = new URL(origin).host === String(host).toLowerCase();
    } catch {
      same = false;
    }
    if (!same) return { status: 403, text: 'forbidden: cross-origin requests to the Node-RED editor are refused\n' };
  }
  if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
    return { status: 403, text: 'forbidden: no CORS for the Node-RED editor\n' };
  }
  return null;
}

/** Drops every Access-Control-* header a handler sets on `res` (Node-RED's admin app grants `*` on its own). */
export function withoutCors(res: ServerResponse): void {
  const set = res.setHeader.bind(res);
  res.setHeader = ((name: string, value: number | string | readonly string[]) =>
    /^access-control-/i.test(name) ? res : set(name, value)) as typeof res.setHeader;
}

/**
 * The FlowRuntime options for the editor's access from the hub's settings: the user's login, or
 * (standalone) one made on the first start; the add-on without a login is reached only through
 * HA ingress (the status port admits only the Supervisor's address).
 */
export function editorAccessOptions(o: { addon: boolean; dataDir: string; username: string | null; password: string | null; hosts: string[] }): {
  credentials?: { username: string; password: string };
  login?: EditorLogin;
  ingressOnly?: boolean;
  hosts: string[];
} {
  const given = o.username && o.password ? { username: o.username, password: o.password } : null;
  if (o.addon && !given) return { ingressOnly: true, hosts: o.hosts };
  const login = editorLogin(o.dataDir, given);
  registerSecret(login.password);
  return { credentials: { username: login.username, password: login.password }, login, hosts: o.hosts };
}
