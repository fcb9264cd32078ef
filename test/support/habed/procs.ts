// Process helpers for the test bed: free loopback ports, process groups that die whole.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { openSync, closeSync, readFileSync, existsSync } from 'node:fs';

/** A loopback port that was free a moment ago (for programs that cannot take port 0). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on host:port, or rejects after timeoutMs. */
export async function waitForPort(host: string, port: number, timeoutMs: number, isAlive?: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; Date.now() < deadline; i++) {
    if (isAlive && !isAlive()) throw new Error(`process died before ${host}:${port} opened`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host, port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(Math.min(50 * (i + 1), 250));
  }
  throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A child in its own process group, output to a log file, stopped as a whole group. */
export class GroupProcess {
  readonly child: ChildProcess;
  readonly pgid: number;
  exitCode: number | null = null;
  exitSignal: string | null = null;
  private readonly exited: Promise<void>;

  constructor(
    cmd: string,
    args: string[],
    readonly logFile: string,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    const fd = openSync(logFile, 'a');
    try {
      this.child = spawn(cmd, args, { detached: true, stdio: ['ignore', fd, fd], env });
    } finally {
      closeSync(fd);
    }
    if (this.child.pid === undefined) throw new Error(`could not start ${cmd}`);
    this.pgid = this.child.pid;
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        resolve();
      });
      this.child.once('error', () => resolve());
    });
  }

  get alive(): boolean {
    return this.exitCode === null && this.exitSignal === null;
  }

  /** True while any process of the group is left. */
  groupAlive(): boolean {
    try {
      process.kill(-this.pgid, 0);
      return true;
    } catch {
      return false;
    }
  }

  /** SIGTERM to the whole group, SIGKILL after graceMs; resolves when no process of the group is left. */
  async stop(graceMs = 15_000): Promise<void> {
    const signal = (sig: NodeJS.Signals) => {
      try {
        process.kill(-this.pgid, sig);
      } catch {
        /* already gone */
      }
    };
    signal('SIGTERM');
    const deadline = Date.now() + graceMs;
    while (this.groupAlive() && Date.now() < deadline) await sleep(50);
    if (this.groupAlive()) {
      signal('SIGKILL');
      const hard = Date.now() + 5_000;
      while (this.groupAlive() && Date.now() < hard) await sleep(50);
    }
    await Promise.race([this.exited, sleep(2_000)]);
    if (this.groupAlive()) throw new Error(`process group ${this.pgid} survived SIGKILL`);
  }

  /** The last lines of the log file, for error messages. */
  tail(lines = 40): string {
    if (!existsSync(this.logFile)) return '';
    return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
  }
}
