// Issue 10 item 9: a bad pool URL in a flag, MM_POOL or the add-on options ends in exit 2 and one
// line naming the setting, the value (masked) and the fix; the add-on's option pattern in
// config.yaml refuses exactly what the program refuses (the same cases through both).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { InputError } from '../../src/core/index.js';
import { loadConfig } from '../../src/app/config.js';

const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'mm-poolurl-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const BAD = [
  'stratum+tcp://host:70000',
  'stratum+tcp://host:0',
  'stratum+tcp://host:65536',
  'stratum+tcp://host:03333',
  'stratum+tcp://ho st:3333',
  'stratum+tcp://[::1:3333',
  ':3333',
  'stratum+tcp://:3333',
  'stratum+tcp://😀:3333',
  'stratum+tcp://host',
  'stratum+tcp://host:port',
  'http://host:3333',
  'stratum+tcp://host:3333/path',
  'stratum+tcp://host:3333?x=1',
  'stratum+tcp://user:pa/ss@host:3333',
  'stratum+tcp://user:50%off@host:3333',
  'stratum+tcp://user:%FF@host:3333',
  'stratum+tcp://-host:3333',
];
const GOOD = [
  'stratum+tcp://pool.example.com:3333',
  'stratum+ssl://eu.pool-x.io:443/',
  'stratum+tcp://127.0.0.1:1',
  'stratum+tcp://h:65535',
  'stratum+tcp://[::1]:3333',
  'stratum+tcp://bc1qxyz.worker:x@pool.example.com:3333',
  'stratum+tcp://user:p%40ss%2Fw0rd@pool.example.com:3333',
  'stratum+tcp://user:ss@SECRET:x@pool.example.com:3333',
  'tcp://my_pool.lan:3333',
];

function programAccepts(url: string): boolean {
  try {
    loadConfig({ argv: ['--pool', url, '--pool-user', 'u', '--no-practice'], env: {}, cores: 2 });
    return true;
  } catch (err) {
    if (err instanceof InputError) return false;
    throw new Error(`not an InputError for ${url}: ${(err as Error).stack}`);
  }
}

function addonPattern(key: string): string {
  const doc = YAML.parse(readFileSync(join(root, 'config.yaml'), 'utf8'));
  const spec = String(doc.schema[key]);
  const m = /^match\((.*)\)\??$/.exec(spec);
  assert.ok(m, `config.yaml schema.${key} is a match(...) pattern: ${spec}`);
  return m[1];
}

test('the add-on option pattern (run by JavaScript and by Python re, as the Supervisor does) refuses exactly what the program refuses', () => {
  for (const key of ['pool', 'fallback_pool']) {
    const pattern = addonPattern(key);
    const js = new RegExp(pattern);
    const cases = [...BAD, ...GOOD];
    // Python's re: the Supervisor (Python) validates add-on options with re.match
    const py = spawnSync(
      'python3',
      ['-c', 'import re,sys,json\np=sys.argv[1]\nprint(json.dumps([bool(re.match(p,c)) for c in json.loads(sys.stdin.read())]))', pattern],
      {
        input: JSON.stringify(cases),
        encoding: 'utf8',
      },
    );
    assert.equal(py.status, 0, py.stderr);
    const pyOk: boolean[] = JSON.parse(py.stdout);
    cases.forEach((url, i) => {
      const program = programAccepts(url);
      assert.equal(program, GOOD.includes(url), `program on ${url}`);
      assert.equal(js.test(url), program, `config.yaml ${key} pattern (JS) on ${url}`);
      assert.equal(pyOk[i], program, `config.yaml ${key} pattern (Python re) on ${url}`);
    });
  }
});

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['bin/micro-mining.js', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: dir, MM_LOG_FORMAT: 'json', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('a bad pool URL from a flag, MM_POOL or the add-on options: exit 2, one line naming the setting, the value masked and the fix, no stack trace (real CLI)', () => {
  const secret = 'Hunter2SECRET';
  const cases = [
    { url: 'stratum+tcp://host:70000', says: /70000.*1-65535/ },
    { url: 'stratum+tcp://ho st:3333', says: /space/ },
    { url: 'stratum+tcp://[::1:3333', says: /\]/ },
    { url: ':3333', says: /scheme/ },
    { url: 'stratum+tcp://😀:3333', says: /host name/ },
    { url: `stratum+tcp://me:${secret}@host:70000`, says: /70000/ },
    { url: `stratum+tcp://me:${secret}/x@host:3333`, says: /percent-encoded/ },
  ];
  const options = join(dir, 'options.json');
  for (const { url, says } of cases) {
    writeFileSync(options, JSON.stringify({ pool: url, pool_user: 'me', practice: false }));
    const runs = [
      { where: '--pool', r: cli(['start', '--pool', url, '--pool-user', 'me', '--no-practice', '--data-dir', dir]) },
      { where: 'MM_POOL', r: cli(['start', '--pool-user', 'me', '--no-practice', '--data-dir', dir], { MM_POOL: url }) },
      { where: options, r: cli(['check-config', '--config', options], {}) },
      { where: options, r: cli(['check-config', '--addon', '--config', options], {}) },
    ];
    for (const { where, r } of runs) {
      const label = `${url} via ${where}`;
      assert.equal(r.status, 2, `${label}: exit code\n${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `${label}: one line, got\n${r.stderr}`);
      const line = lines[0];
      assert.match(line, /pool \/ --pool/, `${label}: names the setting: ${line}`);
      assert.ok(line.includes(where), `${label}: says where the value came from: ${line}`);
      assert.match(line, says, `${label}: says what is wrong: ${line}`);
      assert.match(line, /give a URL like stratum\+tcp:\/\/pool\.example\.com:3333/, `${label}: gives the fix: ${line}`);
      assert.doesNotMatch(line, /\n\s+at |TypeError/, `${label}: no stack trace`);
      assert.ok(!(r.stdout + r.stderr).includes(secret), `${label}: the password is not shown: ${line}`);
      assert.ok(line.includes(url.includes(secret) ? 'stratum+tcp://me:***@host:' : url), `${label}: shows the value (masked): ${line}`);
    }
  }
});

test('the add-on run entry with a bad pool URL in its options: exit 2, the setting, the masked value and the fix, no stack, no password', () => {
  const options = join(dir, 'addon-options.json');
  writeFileSync(options, JSON.stringify({ pool: 'stratum+tcp://me:Hunter2SECRET@host:70000', pool_user: 'me', practice: false }));
  const r = spawnSync(process.execPath, ['addon/run.mjs'], {
    cwd: root,
    // the Supervisor is a stand-in address nobody answers on: the options are checked first
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      MM_ADDON_OPTIONS: options,
      MM_SUPERVISOR_ATTEMPTS: '1',
      MM_SUPERVISOR_RETRY_MS: '0',
      MM_SUPERVISOR_URL: 'http://127.0.0.1:9',
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 2, r.stderr);
  const plain = r.stderr.split('\n').filter((l) => l.startsWith('micro-mining add-on:'));
  assert.equal(plain.length, 1, r.stderr);
  assert.match(
    plain[0],
    /pool \/ --pool \(from .*addon-options\.json\): "stratum\+tcp:\/\/me:\*\*\*@host:70000" has the port 70000, outside 1-65535; give a URL like/,
  );
  assert.ok(!(r.stdout + r.stderr).includes('Hunter2SECRET'));
  assert.doesNotMatch(r.stderr, /^\s+at /m);
});
