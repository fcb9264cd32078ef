// A real Bitcoin node for tests: btcd (Go) in regtest on free loopback ports, RPC without TLS.
//
//   const node = await startBtcd({ miningAddress: 'bcrt1q…' });
//   after(() => node.stop());
//   await node.ctl('generate', '3');          // btcctl, as a node owner types it
//   await node.rpc('getblockchaininfo');      // JSON-RPC over HTTP
//
// The binaries come from .ci/setup.d/btcd.sh (pinned v0.26.2) in $MM_BTCD_DIR or
// /var/cache/micro-mining/btcd; the script is run once when they are missing. stop() kills the
// btcd it started (by its own pid) and removes its data folder unless `keepData`.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './mosquitto.js';

export const BTCD_DIR = process.env.MM_BTCD_DIR || '/var/cache/micro-mining/btcd';

export interface BtcdOptions {
  miningAddress: string;
  /** reuse a data folder (a restart keeps the chain) */
  dataDir?: string;
  /** reuse ports (a restart on the same address) */
  rpcPort?: number;
  p2pPort?: number;
  user?: string;
  password?: string;
  startTimeoutMs?: number;
}

export interface Btcd {
  rpcPort: number;
  p2pPort: number;
  dataDir: string;
  user: string;
  password: string;
  /** http://user:password@127.0.0.1:PORT */
  url: string;
  pid: number;
  ctl(...args: string[]): Promise<string>;
  rpc<T = unknown>(method: string, ...params: unknown[]): Promise<T>;
  log(): string;
  /** kills btcd (SIGTERM, then SIGKILL after 10 s); removes the data folder unless keepData */
  stop(keepData?: boolean): Promise<void>;
}

/** Makes sure btcd and btcctl are there (runs the pinned setup script once); returns the folder. */
export function ensureBtcd(): string {
  if (existsSync(join(BTCD_DIR, 'btcd')) && existsSync(join(BTCD_DIR, 'btcctl'))) return BTCD_DIR;
  const script = fileURLToPath(new URL('../../.ci/setup.d/btcd.sh', import.meta.url));
  const r = spawnSync('bash', [script], { stdio: 'inherit', timeout: 15 * 60_000, env: { ...process.env, MM_BTCD_DIR: BTCD_DIR } });
  if (r.status !== 0 || !existsSync(join(BTCD_DIR, 'btcd')))
    throw new Error(`btcd is not installed in ${BTCD_DIR} and .ci/setup.d/btcd.sh failed (status ${r.status})`);
  return BTCD_DIR;
}

export async function startBtcd(opts: BtcdOptions): Promise<Btcd> {
  const dir = ensureBtcd();
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'mm-btcd-'));
  const rpcPort = opts.rpcPort ?? (await freePort());
  const p2pPort = opts.p2pPort ?? (await freePort());
  const user = opts.user ?? 'mmtest';
  const password = opts.password ?? 'mmtest-pass';
  const args = [
    '--regtest',
    '--notls',
    `--rpcuser=${user}`,
    `--rpcpass=${password}`,
    `--rpclisten=127.0.0.1:${rpcPort}`,
    `--listen=127.0.0.1:${p2pPort}`,
    `--miningaddr=${opts.miningAddress}`,
    '--configfile=/dev/null',
    `--datadir=${join(dataDir, 'data')}`,
    `--logdir=${join(dataDir, 'logs')}`,
    '--nodnsseed',
  ];
  const out: string[] = [];
  const child: ChildProcess = spawn(join(dir, 'btcd'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (b: Buffer) => out.push(b.toString()));
  child.stderr!.on('data', (b: Buffer) => out.push(b.toString()));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const url = `http://${user}:${password}@127.0.0.1:${rpcPort}`;
  const rpc = async <T>(method: string, ...params: unknown[]): Promise<T> => {
    const res = await fetch(`http://127.0.0.1:${rpcPort}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
      body: JSON.stringify({ jsonrpc: '1.0', id: 1, method, params }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await res.json()) as { result: T; error: { message: string } | null };
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result;
  };
  const ctl = (...a: string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile(
        join(dir, 'btcctl'),
        ['--regtest', '--notls', `--rpcuser=${user}`, `--rpcpass=${password}`, `--rpcserver=127.0.0.1:${rpcPort}`, '--configfile=/dev/null', ...a],
        { timeout: 60_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`btcctl ${a.join(' ')}: ${stderr || err.message}`)) : resolve(stdout.trim())),
      );
    });
  const stop = async (keepData = false): Promise<void> => {
    if (!exited && child.pid) {
      child.kill('SIGTERM');
      const t = setTimeout(() => !exited && child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(t);
    }
    if (!keepData) rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
  for (;;) {
    if (exited) throw new Error(`btcd exited at start:\n${out.join('').slice(-2000)}`);
    try {
      await rpc('getblockcount');
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`btcd did not answer RPC within ${opts.startTimeoutMs ?? 30_000} ms:\n${out.join('').slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    rpcPort,
    p2pPort,
    dataDir,
    user,
    password,
    url,
    pid: child.pid!,
    ctl,
    rpc,
    log: () => {
      const f = join(dataDir, 'logs', 'regtest', 'btcd.log');
      return out.join('') + (existsSync(f) ? readFileSync(f, 'utf8').slice(-4000) : '');
    },
    stop,
  };
}
