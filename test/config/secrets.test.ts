// Issue 10 item 6: secrets are masked by parsing, never by pattern, and no path prints one:
// check-config (text and JSON), the error of a bad setting, log lines, an internal error's stack.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, maskSecrets, maskUrl } from '../../src/app/config.js';
import { clearSecrets, scrub } from '../../src/log.js';

const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'mm-secrets-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A password with every character that trips a pattern-based mask. */
const PW = 'ss@SECRET:p/w%41x';
/** Every form it can take in text: raw, URL-encoded, as the WHATWG parser writes it, JSON. */
const FORMS = [PW, encodeURIComponent(PW), 'ss%40SECRET:p%2Fw%2541x', 'SECRET', 'ss%40SECRET'];

function assertNoSecret(text: string, label: string): void {
  for (const f of FORMS) assert.ok(!text.includes(f), `${label} shows the secret as "${f}":\n${text}`);
}

test('maskUrl parses the userinfo (last @): passwords holding @ : / % are masked whole', () => {
  assert.equal(maskUrl('stratum+tcp://user:ss@SECRET@host:3333'), 'stratum+tcp://user:***@host:3333');
  assert.equal(maskUrl('stratum+tcp://user:a:b:SECRET@host:3333'), 'stratum+tcp://user:***@host:3333');
  assert.equal(maskUrl('stratum+tcp://user:12/SECRET@host:3333'), 'stratum+tcp://user:***@host:3333');
  assert.equal(maskUrl('stratum+tcp://user:50%SECRET@host:3333'), 'stratum+tcp://user:***@host:3333');
  assert.equal(maskUrl('mqtt://u:p%40SECRET@broker:1883'), 'mqtt://u:***@broker:1883');
  assert.equal(maskUrl('stratum+tcp://user@host:3333'), 'stratum+tcp://user@host:3333');
  assert.equal(maskUrl('stratum+tcp://host:3333'), 'stratum+tcp://host:3333');
  assert.equal(maskUrl('user:SECRET@host:3333'), 'user:***@host:3333');
});

test('loadConfig registers the secrets it holds: maskSecrets and scrub() leave none in any string', () => {
  clearSecrets();
  const url = `stratum+tcp://me:${encodeURIComponent(PW)}@pool.example.com:3333`;
  const c = loadConfig({
    argv: [
      '--pool',
      url,
      '--no-practice',
      '--mqtt',
      `mqtt://u:${encodeURIComponent(PW)}@127.0.0.1:1883`,
      '--ha-url',
      'http://ha:8123',
      '--ha-token',
      `tok-${PW}`,
    ],
    env: {},
    cores: 2,
  });
  assert.equal(c.pool?.password, PW, 'the password is decoded for use');
  assertNoSecret(JSON.stringify(maskSecrets(c)), 'maskSecrets');
  // an error quoting the URL (e.g. a TypeError from a library, with its input) and its stack
  const err = new TypeError(`Invalid URL: ${url} (password ${PW})`);
  assertNoSecret(scrub(`${err.message}\n${err.stack}`), 'a scrubbed stack');
  assertNoSecret(scrub(JSON.stringify({ msg: 'connect', url, password: PW })), 'a scrubbed JSON log line');
  clearSecrets();
});

function cli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['bin/micro-mining.js', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: dir, MM_LOG_FORMAT: 'json', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

test('check-config (real CLI) shows no form of a password holding @ : / %, from flags, environment or URLs, in text or JSON', () => {
  const enc = encodeURIComponent(PW);
  const runs = [
    cli(['check-config', '--pool', `stratum+tcp://me:${enc}@pool.example.com:3333`, '--no-practice']),
    cli(['check-config', '--pool', `stratum+tcp://me:ss@SECRET:x@pool.example.com:3333`, '--no-practice']),
    cli(['check-config', '--json', '--pool', `stratum+tcp://me:${enc}@pool.example.com:3333`, '--no-practice']),
    cli(['check-config', '--pool', 'stratum+tcp://pool.example.com:3333', '--pool-user', 'me', '--pool-password', PW, '--no-practice']),
    cli(['check-config', '--json'], {
      MM_POOL: 'stratum+tcp://pool.example.com:3333',
      MM_POOL_USER: 'me',
      MM_POOL_PASSWORD: PW,
      MM_PRACTICE: 'false',
      MM_MQTT: `mqtt://u:${enc}@127.0.0.1:1883`,
    }),
    cli([
      'check-config',
      '--mqtt',
      'mqtt://127.0.0.1:1883',
      '--mqtt-username',
      'u',
      '--mqtt-password',
      PW,
      '--ha-url',
      'http://ha:8123',
      '--ha-token',
      `tok-${PW}`,
    ]),
    // a bad setting beside a secret: the error names the setting, never the secret
    cli(['check-config', '--pool', `stratum+tcp://me:${enc}@pool.example.com:99999`, '--no-practice']),
  ];
  runs.forEach((r, i) => {
    assert.ok(r.status === 0 || r.status === 2, `run ${i}: exit ${r.status}\n${r.stderr}`);
    assertNoSecret(r.stdout + r.stderr, `check-config run ${i}`);
  });
  assert.match(runs[0].stdout, /stratum\+tcp:\/\/me:\*\*\*@pool\.example\.com:3333/);
  assert.match(runs[1].stdout, /stratum\+tcp:\/\/me:\*\*\*@pool\.example\.com:3333/);
  assert.equal(runs[6].status, 2);
});

test('start (real CLI, debug logs) with a password in the pool URL: no log line shows it', async () => {
  // a loopback "pool" that accepts and closes at once: the client logs its attempts
  const server = createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const url = `stratum+tcp://me:${encodeURIComponent(PW)}@127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [
      'bin/micro-mining.js',
      'start',
      '--pool',
      url,
      '--no-practice',
      '--data-dir',
      join(dir, 'data'),
      '--threads',
      '0',
      '--no-node-red',
      '--no-mqtt',
      '--no-stratum',
      '--status-port',
      '0',
      '--log-level',
      'debug',
    ],
    { cwd: root, env: { PATH: process.env.PATH, HOME: dir, MM_LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  // wait for the client to have tried the pool (bounded), then stop it
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline && !/127\.0\.0\.1.*(closed|reconnect|retry|lost|error|connect)/i.test(out) && child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGTERM');
  await exited;
  server.close();
  assert.match(out, /127\.0\.0\.1/, `the log mentions the pool address:\n${out.slice(0, 3000)}`);
  assertNoSecret(out, 'start logs');
});

test('redactUrl (log lines) drops the whole user info, parsed, whatever the password holds', async () => {
  const { redactUrl } = await import('../../src/log.js');
  assert.equal(redactUrl('stratum+tcp://me:ss@SECRET@pool.example.com:3333'), 'stratum+tcp://pool.example.com:3333');
  assert.equal(redactUrl('stratum+tcp://me:a/b@SECRET@host:3333'), 'stratum+tcp://host:3333');
  assert.equal(redactUrl('http://u:p%40SECRET@node:8332/?x=1'), 'http://node:8332/');
  assert.equal(redactUrl('not a url u:SECRET@x'), 'x');
});
