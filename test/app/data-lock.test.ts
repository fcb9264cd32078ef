// Issue 24 item 7: one hub per data folder. The lock itself on a real file system with real pids,
// and two real `micro-mining start` processes on one data folder: the second exits 2 with one line
// naming the first one's pid, before it opens any port.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockDataDir, LOCK_FILE } from '../../src/app/lock.js';
import { InputError } from '../../src/core/index.js';

const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'mm-lock-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the lock is taken, refused to another live process with its pid, released, and taken over when stale', () => {
  const data = mkdtempSync(join(dir, 'unit-'));
  const lock = lockDataDir(data);
  assert.equal(readFileSync(join(data, LOCK_FILE), 'utf8').trim(), String(process.pid));
  // another process (this test's parent runs: a live pid that is not ours) asks for it
  const other = process.ppid;
  assert.throws(
    () => lockDataDir(data, other),
    (err: unknown) => err instanceof InputError && err.field === 'data_dir' && err.message.includes(`pid ${process.pid}`) && err.message.includes('--data-dir'),
  );
  lock.release();
  assert.equal(existsSync(join(data, LOCK_FILE)), false);
  // a lock left by a process that no longer runs (kill -9, power cut) is taken over
  const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  const deadPid = Number(dead.stdout.trim());
  assert.ok(deadPid > 0);
  writeFileSync(join(data, LOCK_FILE), `${deadPid}\n`);
  const again = lockDataDir(data);
  assert.equal(readFileSync(join(data, LOCK_FILE), 'utf8').trim(), String(process.pid));
  // garbage in the file is no pid: taken over too
  again.release();
  writeFileSync(join(data, LOCK_FILE), 'garbage');
  lockDataDir(data).release();
  assert.equal(existsSync(join(data, LOCK_FILE)), false);
});

test('a second `micro-mining start` on the same data folder exits 2 with one line naming the running hub (real CLI)', async () => {
  const data = mkdtempSync(join(dir, 'cli-'));
  const env = { PATH: process.env.PATH, HOME: dir, MM_LOG_FORMAT: 'pretty' };
  const args = [
    'bin/micro-mining.js',
    'start',
    '--data-dir',
    data,
    '--threads',
    '0',
    '--no-mqtt',
    '--no-node-red',
    '--stratum-port',
    '0',
    '--status-port',
    '0',
  ];
  const first = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    first.stdout.on('data', (d) => (out += d));
    first.stderr.on('data', (d) => (out += d));
    // wait until the first hub runs (its lock is there), bounded
    const t0 = Date.now();
    while (!/hub running/.test(out) && Date.now() - t0 < 60_000 && first.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    assert.match(out, /hub running/, `the first hub did not start: ${out.slice(-2000)}`);
    const second = spawnSync(process.execPath, args, { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
    assert.equal(second.status, 2, second.stderr);
    const lines = second.stderr
      .trim()
      .split('\n')
      .filter((l) => l.trim());
    assert.equal(lines.length, 1, `one line expected: ${second.stderr}`);
    assert.match(lines[0] ?? '', new RegExp(`a hub is already running with this data folder \\(pid ${first.pid}`));
    // it did not touch the ports (no "in use" chase)
    assert.doesNotMatch(second.stderr + second.stdout, /in use/);
  } finally {
    first.kill('SIGTERM');
    await new Promise((r) => first.once('exit', r));
  }
  // the clean stop released the lock
  assert.equal(existsSync(join(data, LOCK_FILE)), false);
});
