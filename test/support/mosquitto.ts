// A real Mosquitto (Debian's package) on a free loopback port with a generated config, for tests.
//
//   const broker = await startMosquitto({ username: 'u', password: 'p' });
//   after(() => broker.stop());
//   mqtt.connect(broker.url, { username: 'u', password: 'p' });
//
// stop() kills the broker's process group and removes its files; no process is left behind.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface MosquittoOptions {
  /** When set (with password), anonymous clients are refused. */
  username?: string;
  password?: string;
  /** Extra lines appended to the generated mosquitto.conf. */
  extraConfig?: string[];
  /** Listen on this port (default: a free one). */
  port?: number;
  /** How long to wait for the port to accept connections (default 10 s). */
  startTimeoutMs?: number;
}

export interface Mosquitto {
  host: string;
  port: number;
  /** mqtt://127.0.0.1:PORT (credentials are not in it). */
  url: string;
  /** The broker's own log (stdout+stderr), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export function mosquittoBinary(): string | undefined {
  for (const p of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto']) if (existsSync(p)) return p;
  return undefined;
}

/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    s.setTimeout(500, () => done(false));
  });
}

function alive(proc: ChildProcess): boolean {
  return proc.exitCode === null && proc.signalCode === null;
}

async function stopProc(proc: ChildProcess, graceMs: number): Promise<void> {
  if (!alive(proc) || proc.pid === undefined) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  try {
    process.kill(-proc.pid, 'SIGTERM');
  } catch {
    /* already gone */
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)));
  const r = await Promise.race([exited, timeout]);
  clearTimeout(timer);
  if (r === 'timeout' && alive(proc)) {
    try {
      process.kill(-proc.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    await exited;
  }
}

/** Starts mosquitto on 127.0.0.1 (no persistence), optionally with a username/password. */
export async function startMosquitto(opts: MosquittoOptions = {}): Promise<Mosquitto> {
  const bin = mosquittoBinary();
  if (!bin) throw new Error('mosquitto is not installed: run `bash .ci/setup.d/mqtt.sh` as root (apt-get install mosquitto)');
  if ((opts.username === undefined) !== (opts.password === undefined)) throw new Error('startMosquitto: give both username and password, or neither');
  const dir = mkdtempSync(join(tmpdir(), 'mm-mosquitto-'));
  const host = '127.0.0.1';
  const lines: string[] = ['persistence false', 'log_dest stdout', 'log_type error', 'log_type warning', 'log_type notice'];
  // As root, mosquitto would switch to the `mosquitto` user and could not read the generated files.
  if (process.getuid?.() === 0) lines.push('user root');
  if (opts.username !== undefined) {
    const pwFile = join(dir, 'passwd');
    writeFileSync(pwFile, '', { mode: 0o600 });
    const r = spawnSync('mosquitto_passwd', ['-b', pwFile, opts.username, opts.password ?? ''], { encoding: 'utf8' });
    if (r.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`mosquitto_passwd failed: ${r.stderr || r.error?.message}`);
    }
    lines.push('allow_anonymous false', `password_file ${pwFile}`);
  } else {
    lines.push('allow_anonymous true');
  }
  lines.push(...(opts.extraConfig ?? []));
  const logPath = join(dir, 'mosquitto.log');
  const readLog = () => {
    try {
      return readFileSync(logPath, 'utf8').slice(-4000);
    } catch {
      return '';
    }
  };
  let lastErr: Error | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = opts.port ?? (await freePort(host));
    const conf = join(dir, 'mosquitto.conf');
    writeFileSync(conf, [`listener ${port} ${host}`, ...lines, ''].join('\n'));
    const fd = openSync(logPath, 'a');
    const proc = spawn(bin, ['-c', conf], { detached: true, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    proc.on('error', () => {});
    const deadline = Date.now() + (opts.startTimeoutMs ?? 10_000);
    let up = false;
    while (Date.now() < deadline && alive(proc)) {
      if (await canConnect(host, port)) {
        up = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    if (up) {
      return {
        host,
        port,
        url: `mqtt://${host}:${port}`,
        log: readLog,
        async stop() {
          await stopProc(proc, 5_000);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    lastErr = new Error(`mosquitto did not start on ${host}:${port}:\n${readLog()}`);
    await stopProc(proc, 2_000);
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastErr ?? new Error('mosquitto did not start');
}
