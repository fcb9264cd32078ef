// Issue 10 item 7: a totals.json that exists but cannot be read is never written over; the hub
// refuses to start with the path, the error and the fix (exit 2). Only a file proven corrupt is
// moved aside (store.test.ts). The old totals.json is the file of earlier versions: the store reads it
// once to migrate it, so an unreadable one stops the start just the same (and totals.bin is not created).
//
// Tests run as root, and root ignores file modes, so "cannot be read" is provoked two ways:
// the real CLI runs as an unprivileged user (setpriv to uid/gid 65534) against a root-owned
// totals.json with mode 000 in a folder that user may write (EACCES: the case of the issue),
// and a directory stands where totals.json should be (EISDIR, as root).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TotalsStore, TotalsUnreadableError } from '../../src/app/store.js';

const root = new URL('../..', import.meta.url).pathname;
const base = mkdtempSync(join(tmpdir(), 'mm-unreadable-'));
chmodSync(base, 0o755);
after(() => rmSync(base, { recursive: true, force: true }));

const TOTALS = `${JSON.stringify({ version: 1, sharesAccepted: 4242, sharesRejected: 7, sharesStale: 3, bestDifficulty: 99.5, blocksFound: 0, energyKwh: 1.25, savedAt: '2026-11-30T10:00:00.000Z' }, null, 2)}\n`;

function hubArgs(dataDir: string): string[] {
  return ['bin/micro-mining.js', 'start', '--data-dir', dataDir, '--threads', '0', '--no-node-red', '--no-mqtt', '--no-stratum', '--status-port', '0'];
}

function checkRefusal(r: ReturnType<typeof spawnSync>, path: string, code: string): void {
  const stderr = String(r.stderr);
  assert.equal(r.status, 2, `exit code 2\n${stderr}`);
  const lines = stderr
    .trim()
    .split('\n')
    .filter((l) => l.includes('totals'));
  assert.equal(lines.length, 1, `one line about the totals:\n${stderr}`);
  assert.ok(lines[0].includes(path), `names the path: ${lines[0]}`);
  assert.ok(lines[0].includes(code), `names the error: ${lines[0]}`);
  assert.match(lines[0], /nothing was written over/);
  assert.match(lines[0], /Fix: .*--data-dir/);
  assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
}

test('the store: an unreadable totals.json (a directory in its place) throws, and no save is allowed afterwards', async () => {
  const dir = join(base, 'unit');
  mkdirSync(join(dir, 'totals.json'), { recursive: true });
  const s = new TotalsStore(dir);
  await assert.rejects(s.load(), (err: unknown) => err instanceof TotalsUnreadableError && /EISDIR/.test(err.message) && err.message.includes(s.legacyPath));
  assert.equal(s.ready, false);
  await assert.rejects(s.save({ sharesAccepted: 1, sharesRejected: 0, sharesStale: 0, bestDifficulty: 0, blocksFound: 0, energyKwh: 0 }), /never written over/);
  await s.flush();
  assert.ok(statSync(join(dir, 'totals.json')).isDirectory(), 'still the directory');
  assert.deepEqual(readdirSync(dir), ['totals.json']);
});

test('real CLI as an unprivileged user, totals.json mode 000 (EACCES): exit 2 with path, error and fix; the bytes are unchanged', () => {
  // dist/ is built (as root) first, so the unprivileged run needs to write nothing in the checkout
  const prime = spawnSync(process.execPath, ['bin/micro-mining.js', 'check-config'], { cwd: root, encoding: 'utf8', env: { ...process.env, HOME: base } });
  assert.equal(prime.status, 0, prime.stderr);
  const dir = join(base, 'eacces');
  mkdirSync(dir);
  chmodSync(dir, 0o777); // the user could replace the file: the hub must choose not to
  const file = join(dir, 'totals.json');
  writeFileSync(file, TOTALS);
  chmodSync(file, 0o000);
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...hubArgs(dir)], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: dir, MM_LOG_FORMAT: 'pretty' },
    encoding: 'utf8',
    timeout: 90_000,
  });
  checkRefusal(r, file, 'EACCES');
  chmodSync(file, 0o600);
  assert.equal(readFileSync(file, 'utf8'), TOTALS, 'the file keeps its bytes');
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.startsWith('totals.json')),
    ['totals.json'],
    'nothing moved aside, no temp file left',
  );
});

test('real CLI, a directory where totals.json should be (EISDIR): exit 2 with path, error and fix; nothing replaced', () => {
  const dir = join(base, 'eisdir');
  const file = join(dir, 'totals.json');
  mkdirSync(file, { recursive: true });
  writeFileSync(join(file, 'keep'), 'x');
  const r = spawnSync(process.execPath, hubArgs(dir), {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: dir, MM_LOG_FORMAT: 'pretty' },
    encoding: 'utf8',
    timeout: 90_000,
  });
  checkRefusal(r, file, 'EISDIR');
  assert.ok(statSync(file).isDirectory());
  assert.deepEqual(readdirSync(file), ['keep']);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.startsWith('totals.json')),
    ['totals.json'],
  );
});

test('real CLI as an unprivileged user, totals.bin (the file of this version) mode 000: exit 2 with path, error and fix; the bytes are unchanged', async () => {
  const dir = join(base, 'eacces-bin');
  mkdirSync(dir);
  chmodSync(dir, 0o777);
  // a real totals.bin, made by the store
  const s = new TotalsStore(dir);
  await s.load();
  await s.save({ sharesAccepted: 4242, sharesRejected: 7, sharesStale: 3, bestDifficulty: 99.5, blocksFound: 1, energyKwh: 1.25 });
  const file = join(dir, 'totals.bin');
  const bytes = readFileSync(file);
  chmodSync(file, 0o000);
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...hubArgs(dir)], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: dir, MM_LOG_FORMAT: 'pretty' },
    encoding: 'utf8',
    timeout: 90_000,
  });
  checkRefusal(r, file, 'EACCES');
  chmodSync(file, 0o600);
  assert.deepEqual(readFileSync(file), bytes, 'the file keeps its bytes');
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.startsWith('totals')),
    ['totals.bin'],
    'nothing moved aside',
  );
});
