// A real `micro-mining start` in a child process for tests: its output collected, waited on by
// pattern (bounded), its status page read, stopped by its own pid.
import { spawn, type ChildProcess } from 'node:child_process';

export const ROOT = new URL('../..', import.meta.url).pathname;

export class HubProcess {
  readonly child: ChildProcess;
  out = '';
  readonly exited: Promise<number | null>;
  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, ['bin/micro-mining.js', 'start', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d) => (this.out += d));
    this.child.stderr!.on('data', (d) => (this.out += d));
    this.exited = new Promise((r) => this.child.once('exit', (code) => r(code)));
  }

  /** Waits until the output matches (or the process exits, or the limit passes). */
  async waitFor(re: RegExp, limitMs = 90_000): Promise<RegExpMatchArray> {
    const t0 = Date.now();
    while (Date.now() - t0 < limitMs) {
      const m = this.out.match(re);
      if (m) return m;
      if (this.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no ${re} in the hub's output (exit ${this.child.exitCode}):\n${this.out.slice(-3000)}`);
  }

  /** The status page's address, from its log line. */
  async statusUrl(): Promise<string> {
    const m = await this.waitFor(/status page on (http:\/\/127\.0\.0\.1:\d+)\//);
    return m[1];
  }

  async apiStatus(): Promise<Record<string, unknown>> {
    const res = await fetch(`${await this.statusUrl()}/api/status`);
    return (await res.json()) as Record<string, unknown>;
  }

  /** Sends a signal (SIGTERM by default) and waits for the exit code (SIGKILL after the limit). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', limitMs = 30_000): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    this.child.kill(signal);
    const t = setTimeout(() => this.child.kill('SIGKILL'), limitMs);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }
}
