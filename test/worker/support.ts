// Test support for workers: a hub endpoint on loopback made of the real parts (practice jobs, the
// job manager, the Stratum server with the pause extension), and a `micro-mining worker` process.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StratumServer } from '../../src/stratum/index.js';
import { WorkerControl } from '../../src/stratum/index.js';
import { JobManager, PracticeSource } from '../../src/work/index.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export async function until<T>(what: string, fn: () => T | undefined | false | null, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false && v !== null) return v as T;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface HubEndpoint {
  server: StratumServer;
  manager: JobManager;
  control: WorkerControl;
  port: number;
  stop(): Promise<void>;
}

/**
 * The hub's endpoint with practice jobs at a fixed, low difficulty: a share every ~43,000 hashes,
 * so that shares keep coming even when the worker's threads (nice 19) get little CPU on a busy machine.
 */
export async function hubEndpoint(opts: { jobIntervalS?: number; blockIntervalS?: number; password?: string } = {}): Promise<HubEndpoint> {
  const source = new PracticeSource({ difficulty: 0.00001, jobIntervalS: opts.jobIntervalS ?? 30, blockIntervalS: opts.blockIntervalS });
  const manager = new JobManager({ source });
  await manager.start();
  const control = new WorkerControl();
  const server = new StratumServer({
    backend: manager,
    port: 0,
    initialDifficulty: 0.00001,
    vardiff: { minDifficulty: 0.00001, maxDifficulty: 0.00001 },
    control,
    password: opts.password,
  });
  await server.start();
  return {
    server,
    manager,
    control,
    port: server.address().port,
    async stop() {
      await server.stop();
      await manager.stop();
    },
  };
}

export interface WorkerProcess {
  child: ChildProcess;
  stderr: string[];
  exit: Promise<number | null>;
  /** JSON log lines with this message */
  logs(msg: RegExp): Record<string, unknown>[];
  stop(): Promise<number | null>;
}

/** `micro-mining worker ARGS` as its own process (the CLI from the sources). */
export function workerProcess(args: string[], env: NodeJS.ProcessEnv = {}): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/worker/run-cli.ts'), 'worker', ...args], {
    cwd: ROOT,
    env: { ...process.env, MM_TEST: '', MM_LOG_LEVEL: 'info', MM_LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  let buf = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    buf += d;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      stderr.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  child.stdout!.resume();
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    child,
    stderr,
    exit,
    logs(msg) {
      const out: Record<string, unknown>[] = [];
      for (const l of stderr) {
        try {
          const o = JSON.parse(l) as Record<string, unknown>;
          if (typeof o.msg === 'string' && msg.test(o.msg)) out.push(o);
        } catch {
          /* not JSON */
        }
      }
      return out;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exit;
      clearTimeout(t);
      return code;
    },
  };
}
