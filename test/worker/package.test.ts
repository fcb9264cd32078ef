// The hub serves its own worker package: built by scripts/build-worker-package.mjs (npm pack of the
// worker's compiled files), served at GET /worker/package.tgz (its content type, nothing else of the
// file system), installed on "another computer" with `npm install -g --prefix DIR URL` (npm fetches
// the dependencies from the registry), and the installed `micro-mining worker` joins the real hub,
// which credits its shares. Prints the package's size and the install time.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hub } from '../../src/app/hub.js';
import { WORKER_PACKAGE } from '../../src/web/index.js';
import { startTestHub } from '../support/hub.js';
import { ROOT, until } from './support.js';

const prefix = mkdtempSync(join(tmpdir(), 'mm-worker-pkg-'));
let hub: Hub | null = null;
after(async () => {
  await hub?.stop();
  rmSync(prefix, { recursive: true, force: true });
});

/** A command as its own process, without blocking this one (the hub under test runs here). */
function run(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const t = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('close', (status) => {
      clearTimeout(t);
      resolve({ status, stdout, stderr });
    });
  });
}

function get(port: number, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test("npm install -g from the hub's /worker/package.tgz gives a worker whose shares the hub credits", async () => {
  // the package from the current sources
  for (const script of ['build-dist.mjs', 'build-worker-package.mjs']) {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', script)], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
    assert.equal(r.status, 0, `${script}: ${r.stderr}`);
    if (script === 'build-worker-package.mjs') console.log(`# ${r.stdout.trim()}`);
  }
  const size = statSync(WORKER_PACKAGE).size;
  console.log(`# worker package: ${(size / 1024).toFixed(0)} KiB`);

  hub = await startTestHub({ args: ['--practice-difficulty', '0.00001'] });
  const h = hub;
  const status = h.statusServer!.port;
  const res = await get(status, '/worker/package.tgz');
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-type'], 'application/gzip');
  assert.equal(res.body.length, size);
  assert.ok(res.body.equals(readFileSync(WORKER_PACKAGE)));
  // nothing else of the file system: only the files the worker page names
  for (const p of [
    '/worker/package.json',
    '/worker/../package.json',
    '/worker/%2e%2e/package.json',
    '/worker/package.tgz/..',
    '/worker/build/worker-package/micro-mining-worker.tgz',
    '/worker/..%2fpackage.json',
  ]) {
    const r = await get(status, p);
    assert.notEqual(r.status, 200, `${p} is not served`);
  }

  // "another computer": a fresh global prefix, npm fetching the dependencies from the registry
  const t0 = performance.now();
  const install = await run('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', `http://127.0.0.1:${status}/worker/package.tgz`], {
    timeoutMs: 600_000,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  assert.equal(install.status, 0, `npm install: ${install.stderr}`);
  console.log(`# npm install -g of the worker package: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const bin = join(prefix, 'bin', 'micro-mining');
  const version = await run(bin, ['--version']);
  assert.equal(version.stdout.trim(), JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  const bad = await run(bin, ['worker', '--threads', 'many'], { env: { ...process.env, MM_HUB: '' } });
  assert.equal(bad.status, 2, `a bad flag exits 2: ${bad.stderr}`);

  const port = h.server!.address().port;
  const child = spawn(
    bin,
    [
      'worker',
      '--hub',
      `stratum+tcp://127.0.0.1:${port}`,
      '--name',
      'pc2',
      '--threads',
      '1',
      '--max-load',
      '100',
      '--battery',
      '--difficulty',
      '0.00001',
      '--nice',
      '0',
    ],
    {
      env: { ...process.env, MM_TEST: '', MM_LOG_LEVEL: 'info', MM_LOG_FORMAT: 'json' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exit = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  try {
    const pc2 = await until(
      'shares of the installed worker credited by the hub',
      () => {
        const w = h.manager.stats.snapshot().find((s) => s.name === 'pc2');
        return w && w.accepted >= 3 ? w : undefined;
      },
      120_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${stderr.slice(-2000)}`);
    });
    const agent = h.obedience.control.list().find((w) => w.worker === 'pc2');
    assert.equal(agent?.kind, 'agent', "the installed worker speaks the hub's extension");
    const kernel = /"kernel":"(\w+)"/.exec(stderr)?.[1] ?? '?';
    console.log(`# installed worker pc2: ${pc2.accepted} shares credited, kernel ${kernel}`);
  } finally {
    child.kill('SIGTERM');
    await exit;
  }
});
