// The `micro-mining` command from the sources as its own process (test/worker/run-cli.ts), with a
// clean environment: no MM_* variable of the caller, a fresh HOME.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '../..');
export const HOME = mkdtempSync(join(tmpdir(), 'mm-cli-'));

export interface Run {
  code: number | null;
  out: string;
  err: string;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'test/worker/run-cli.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME, MM_LOG_LEVEL: 'silent', ...env },
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
