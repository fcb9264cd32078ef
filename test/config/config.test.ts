import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { InputError } from '../../src/core/index.js';
import { FIELDS, envName, loadConfig, maskSecrets, parseFlags, type ConfigKey } from '../../src/app/config.js';

const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'mm-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(text: string, ext = 'yaml'): string {
  const p = join(dir, `settings-${n++}.${ext}`);
  writeFileSync(p, text);
  return p;
}

function throwsInput(fn: () => unknown, field: string, ...parts: (string | RegExp)[]): InputError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof InputError, `expected an InputError naming ${field}, got ${String(caught)}`);
  assert.equal(caught.field, field, caught.message);
  for (const p of parts) {
    if (typeof p === 'string') assert.ok(caught.message.includes(p), `"${caught.message}" should mention ${p}`);
    else assert.match(caught.message, p);
  }
  return caught;
}

test('precedence: flags win over environment, environment over the file, the file over defaults', () => {
  const f = file('threads: 0\npolicy: always\nstratum_port: 4000\n');
  const all = loadConfig({ argv: ['--config', f, '--threads', '2'], env: { MM_THREADS: '1', MM_POLICY: 'surplus', MM_POWER_BUDGET: '800' }, cores: 4 });
  assert.equal(all.threads, 2);
  assert.equal(all.sources.threads, '--threads 2');
  assert.equal(all.policy, 'surplus');
  assert.equal(all.sources.policy, 'MM_POLICY=surplus');
  assert.equal(all.stratum.port, 4000);
  assert.equal(all.sources.stratum_port, f);
  const envOnly = loadConfig({ argv: ['--config', f], env: { MM_THREADS: '1' }, cores: 4 });
  assert.equal(envOnly.threads, 1);
  const fileOnly = loadConfig({ argv: ['--config', f], env: {}, cores: 4 });
  assert.equal(fileOnly.threads, 0);
  assert.equal(fileOnly.policy, 'always');
  const defaults = loadConfig({ argv: [], env: {}, cores: 4 });
  assert.equal(defaults.threads, 3, 'cores - 1');
  assert.equal(defaults.policy, 'idle_only');
  assert.equal(defaults.stratum.port, 3333);
  // MM_CONFIG names the file when --config is absent
  assert.equal(loadConfig({ argv: [], env: { MM_CONFIG: f }, cores: 4 }).threads, 0);
});

test('standalone defaults: practice, embedded broker, loopback endpoint, data under ~/.local/share', () => {
  const c = loadConfig({ argv: [], env: { HOME: '/home/ann' }, cores: 2 });
  assert.equal(c.addon, false);
  assert.equal(c.practice, true);
  assert.equal(c.pool, null);
  assert.equal(c.dataDir, '/home/ann/.local/share/micro-mining');
  assert.equal(c.stratum.bind, '127.0.0.1');
  assert.equal(c.stratum.enabled, true);
  assert.equal(c.mqtt.mode, 'embedded');
  assert.equal(c.ha, null);
  assert.equal(c.nodeRed.port, 1880);
  assert.equal(c.status.port, 8099);
  assert.deepEqual(c.status.allow, []);
  assert.equal(c.logLevel, 'info');
  assert.equal(c.kernel, 'auto');
  assert.equal(c.heapMb, 0);
  assert.equal(loadConfig({ argv: [], env: { HOME: '/h', XDG_DATA_HOME: '/x' }, cores: 2 }).dataDir, '/x/micro-mining');
});

test('add-on defaults: /data, all interfaces, the Supervisor websocket with SUPERVISOR_TOKEN, ingress-only status page', () => {
  const c = loadConfig({ argv: [], env: { SUPERVISOR_TOKEN: 'sup-token' }, cores: 2 });
  assert.equal(c.addon, true);
  assert.equal(c.dataDir, '/data');
  assert.equal(c.stratum.bind, '0.0.0.0');
  assert.deepEqual(c.ha, { url: 'ws://supervisor/core/websocket', token: 'sup-token' });
  assert.ok(c.status.allow.includes('172.30.32.2'));
  assert.equal(c.heapMb, 512);
});

test('the add-on options file maps onto the configuration', () => {
  const opts = {
    practice: false,
    pool: 'stratum+ssl://pool.example.com:4333',
    pool_user: 'bc1qexampleaddress.home',
    pool_password: 'x',
    fallback_pool: 'stratum+tcp://backup.example.com:3333',
    threads: 1,
    kernel: 'wasm',
    policy: 'surplus',
    power_sensor: 'sensor.grid_export_power',
    power_sensor_inverted: true,
    power_budget: 1200,
    power_stages: [500, 1000, 1500],
    price_sensor: 'sensor.electricity_price',
    price_ceiling: 0.3,
    quiet_hours: '22:00-07:00',
    hub_max_load: 40,
    idle_hold: 90,
    idle_power_threshold: 8,
    idle_overrides: [
      { match_type: 'area', match: 'Garage', state: 'ignore' },
      { match_type: 'entity', match: 'media_player.tv', state: 'busy' },
      { match_type: 'device', match: 'Washer', hold_seconds: 600, power_threshold_w: 3 },
    ],
    worker_mappings: [
      { worker: 'kitchen-nerdminer', mac: 'aa:bb:cc:dd:ee:ff' },
      { worker: 'bitaxe', device: 'Bitaxe Gamma' },
    ],
    stratum: true,
    stratum_port: 3334,
    stratum_password: 'minerpw',
    share_interval: 15,
    max_miners: 50,
    node_red: true,
    node_red_username: 'admin',
    node_red_password: 'longenough',
    log_level: 'debug',
    heap_mb: 384,
  };
  const f = file(JSON.stringify(opts), 'json');
  const c = loadConfig({ argv: [], env: { SUPERVISOR_TOKEN: 't' }, file: f, addon: true, cores: 2 });
  assert.equal(c.practice, false);
  assert.deepEqual(c.pool, { url: opts.pool, user: opts.pool_user, password: 'x', fallbackUrl: opts.fallback_pool });
  assert.equal(c.threads, 1);
  assert.equal(c.kernel, 'wasm');
  assert.equal(c.policy, 'surplus');
  assert.deepEqual(c.power, {
    sensor: 'sensor.grid_export_power',
    sensorInverted: true,
    budgetW: 1200,
    stagesW: [500, 1000, 1500],
    priceSensor: 'sensor.electricity_price',
    priceCeiling: 0.3,
  });
  assert.deepEqual(c.quietHours, [{ start: 22 * 60, end: 7 * 60, text: '22:00-07:00' }]);
  assert.deepEqual(c.idle.overrides, [
    { match: { area: 'Garage' }, ignore: true },
    { match: { entity: 'media_player.tv' }, force: 'busy' },
    { match: { device: 'Washer' }, holdSeconds: 600, powerThresholdW: 3 },
  ]);
  assert.deepEqual(c.idle.workers, [
    { workerId: 'kitchen-nerdminer', mac: 'aa:bb:cc:dd:ee:ff' },
    { workerId: 'bitaxe', deviceId: 'Bitaxe Gamma' },
  ]);
  assert.equal(c.idle.holdSeconds, 90);
  assert.equal(c.idle.powerThresholdW, 8);
  assert.equal(c.idle.hubMaxLoadPercent, 40);
  assert.deepEqual(c.stratum, { enabled: true, port: 3334, bind: '0.0.0.0', password: 'minerpw', shareIntervalS: 15, maxMiners: 50, maxWorkerDevices: 32 });
  assert.deepEqual(c.nodeRed, { enabled: true, port: 1880, username: 'admin', password: 'longenough', hosts: [] });
  assert.equal(c.logLevel, 'debug');
  assert.equal(c.heapMb, 384);
  assert.equal(c.dataDir, '/data');
});

test('options kept from an older add-on version are ignored with a warning; in a user file they are an error', () => {
  const f = file(JSON.stringify({ practice: true, max_threads_old: 3 }), 'json');
  const c = loadConfig({ argv: [], env: {}, file: f, addon: true, cores: 2 });
  assert.ok(c.warnings.some((w) => w.includes('max_threads_old')));
  throwsInput(() => loadConfig({ argv: [], env: {}, file: f, addon: false, cores: 2 }), 'max_threads_old', 'unknown setting');
  throwsInput(() => loadConfig({ argv: [], env: {}, file: file('pool_usr: me\n'), cores: 2 }), 'pool_usr', 'did you mean pool_user');
});

test('every bad value is an InputError naming the field, the flag, where it came from and a fix', () => {
  const cases: [string[], NodeJS.ProcessEnv, ConfigKey, string][] = [
    [['--threads', '5'], {}, 'threads', 'at most 2'],
    [['--threads=-1'], {}, 'threads', 'at least 0'],
    [['--threads'], {}, 'threads', 'argument missing'],
    [['--threads', 'many'], {}, 'threads', 'number'],
    [[], { MM_THREADS: '1.5' }, 'threads', 'MM_THREADS'],
    [['--policy', 'sometimes'], {}, 'policy', 'always, idle_only or surplus'],
    [['--kernel', 'gpu'], {}, 'kernel', 'auto, js, wasm or native'],
    [['--pool', 'http://pool.example.com:3333'], {}, 'pool', 'stratum+tcp://'],
    [['--pool', 'stratum+tcp://pool.example.com'], {}, 'pool', 'needs a port'],
    [['--pool', 'stratum+tcp://pool.example.com:3333'], {}, 'pool_user', 'required'],
    [['--fallback-pool', 'stratum+tcp://b.example.com:3333'], {}, 'pool', 'required'],
    [['--no-practice'], {}, 'pool', 'required when practice is off'],
    [['--stratum-port', '70000'], {}, 'stratum_port', '65535'],
    [['--stratum-bind', 'everywhere'], {}, 'stratum_bind', 'IP address'],
    [['--status-port', 'x'], {}, 'status_port', 'number'],
    [['--node-red-port', '99999'], {}, 'node_red_port', '65535'],
    [['--share-interval', '0'], {}, 'share_interval', 'at least 1'],
    [['--max-miners', '0'], {}, 'max_miners', 'at least 1'],
    [['--max-worker-devices', '0'], {}, 'max_worker_devices', 'at least 1'],
    [[], { MM_MAX_WORKER_DEVICES: 'many' }, 'max_worker_devices', 'number'],
    [['--mqtt', 'http://broker:1883'], {}, 'mqtt', 'mqtt://'],
    [['--ha-url', 'ftp://ha'], {}, 'ha_url', 'http'],
    [['--ha-url', 'http://ha.local:8123'], {}, 'ha_token', 'required'],
    [['--ha-token', 'abc'], {}, 'ha_url', 'required'],
    [['--policy', 'surplus'], {}, 'power_sensor', 'surplus policy'],
    [['--power-sensor', 'grid export'], {}, 'power_sensor', 'entity id'],
    [['--power-stages', '1000,500'], {}, 'power_stages', 'increase'],
    [['--price-ceiling', '0.3'], {}, 'price_sensor', 'required'],
    [['--quiet-hours', '25:00-07:00'], {}, 'quiet_hours', '22:00-07:00'],
    [['--hub-max-load', '0'], {}, 'hub_max_load', 'at least 1'],
    [['--idle-hold=-5'], {}, 'idle_hold', 'at least 0'],
    [['--idle-overrides', '[{"match_type":"room","match":"x"}]'], {}, 'idle_overrides', 'match_type'],
    [['--idle-overrides', 'not json'], {}, 'idle_overrides', 'list'],
    [['--worker-mappings', '[{"worker":"a"}]'], {}, 'worker_mappings', 'device, mac, ip or name'],
    [['--worker-mappings', '[{"worker":"a","mac":"zz"}]'], {}, 'worker_mappings', 'aa:bb:cc:dd:ee:ff'],
    [['--node-red-username', 'admin'], {}, 'node_red_password', 'both'],
    [['--node-red-username', 'admin', '--node-red-password', 'short'], {}, 'node_red_password', 'at least 8'],
    [['--log-level', 'loud'], {}, 'log_level', 'trace, debug'],
    [['--heap-mb', '10'], {}, 'heap_mb', 'at least 64'],
    [[], { MM_STRATUM: 'maybe' }, 'stratum', 'true or false'],
    [['--discovery-prefix', 'home/#'], {}, 'discovery_prefix', `${'wildcard'.slice(0, 0)}#`],
  ];
  for (const [argv, env, field, part] of cases) {
    const err = throwsInput(() => loadConfig({ argv, env, cores: 2 }), field, part);
    assert.ok(err.message.includes(`--${FIELDS[field].flag}`), `${err.message} names the flag`);
    assert.ok(err.message.includes(field), `${err.message} names the file key`);
  }
  // the source of a bad file value is the file
  const f = file('stratum_port: 123456\n');
  throwsInput(() => loadConfig({ argv: ['--config', f], env: {}, cores: 2 }), 'stratum_port', f);
});

test('bad files and flags: unreadable, not YAML, not a mapping, unknown or contradicting flags', () => {
  throwsInput(() => loadConfig({ argv: ['--config', join(dir, 'missing.yaml')], env: {}, cores: 2 }), 'config', 'cannot read');
  throwsInput(() => loadConfig({ argv: ['--config', file('threads: [1\n')], env: {}, cores: 2 }), 'config', 'not valid YAML');
  throwsInput(() => loadConfig({ argv: ['--config', file('- a\n- b\n')], env: {}, cores: 2 }), 'config', 'mapping');
  throwsInput(() => loadConfig({ argv: ['--config', dir], env: {}, cores: 2 }), 'config', 'not a file');
  throwsInput(() => loadConfig({ argv: ['--bogus'], env: {}, cores: 2 }), '--bogus', 'Unknown option');
  throwsInput(() => loadConfig({ argv: ['--practice=yes'], env: {}, cores: 2 }), 'practice', 'does not take an argument');
  throwsInput(() => loadConfig({ argv: ['--stratum', '--no-stratum'], env: {}, cores: 2 }), 'stratum', 'contradict');
  // an empty file is an empty configuration
  assert.equal(loadConfig({ argv: ['--config', file('')], env: {}, cores: 2 }).practice, true);
});

test('switches: --no-stratum, --no-mqtt, --no-node-red, MM_NO_* and file booleans', () => {
  const c = loadConfig({ argv: ['--no-stratum', '--no-mqtt', '--no-node-red'], env: {}, cores: 2 });
  assert.equal(c.stratum.enabled, false);
  assert.equal(c.mqtt.mode, 'off');
  assert.equal(c.nodeRed.enabled, false);
  const e = loadConfig({ argv: [], env: { MM_NO_STRATUM: '1', MM_MQTT: 'off', MM_NODE_RED: 'false' }, cores: 2 });
  assert.equal(e.stratum.enabled, false);
  assert.equal(e.mqtt.mode, 'off');
  assert.equal(e.nodeRed.enabled, false);
  const f = loadConfig({ argv: ['--config', file('stratum: false\nmqtt: false\n')], env: {}, cores: 2 });
  assert.equal(f.stratum.enabled, false);
  assert.equal(f.mqtt.mode, 'off');
  // a flag overrides an environment switch
  assert.equal(loadConfig({ argv: ['--stratum'], env: { MM_NO_STRATUM: '1' }, cores: 2 }).stratum.enabled, true);
  assert.deepEqual(parseFlags(['--no-practice', '--pool', 'p']).values, { practice: false, pool: 'p' });
});

test('a pool with credentials in its URL, and practice wins over a pool with a warning', () => {
  const c = loadConfig({ argv: ['--pool', 'stratum+tcp://me.w1:pw@pool.example.com:3333', '--no-practice'], env: {}, cores: 2 });
  assert.equal(c.pool?.user, 'me.w1');
  assert.equal(c.pool?.password, 'pw');
  const p = loadConfig({ argv: ['--pool', 'stratum+tcp://pool.example.com:3333', '--pool-user', 'u', '--practice'], env: {}, cores: 2 });
  assert.equal(p.practice, true);
  assert.equal(p.pool, null);
  assert.ok(p.warnings.some((w) => w.includes('practice')));
  // a pool without --practice means pool mode
  assert.equal(loadConfig({ argv: ['--pool', 'stratum+tcp://pool.example.com:3333', '--pool-user', 'u'], env: {}, cores: 2 }).practice, false);
});

test('every setting has a flag and an environment variable named after it', () => {
  for (const key of Object.keys(FIELDS) as ConfigKey[]) {
    assert.equal(FIELDS[key].flag, key.replace(/_/g, '-'));
    assert.equal(envName(key), `MM_${key.toUpperCase()}`);
  }
  assert.equal(envName('pool_user'), 'MM_POOL_USER');
  assert.equal(envName('stratum_port'), 'MM_STRATUM_PORT');
});

const SECRETS = ['poolSecret-1', 'minerSecret-2', 'mqttSecret-3', 'haToken-4', 'noderedSecret-5', 'urlSecret-6'];

test('maskSecrets hides every password and token, including one in a URL', () => {
  const c = loadConfig({
    argv: [
      '--pool',
      'stratum+tcp://u:urlSecret-6@pool.example.com:3333',
      '--pool-password',
      SECRETS[0],
      '--stratum-password',
      SECRETS[1],
      '--mqtt',
      'mqtt://broker:1883',
      '--mqtt-password',
      SECRETS[2],
      '--ha-url',
      'http://ha:8123',
      '--ha-token',
      SECRETS[3],
      '--node-red-username',
      'a',
      '--node-red-password',
      SECRETS[4],
    ],
    env: {},
    cores: 2,
  });
  assert.equal(c.ha?.token, SECRETS[3], 'the real config keeps the secret');
  const text = JSON.stringify(maskSecrets(c));
  for (const s of SECRETS) assert.ok(!text.includes(s), `${s} is masked`);
  assert.ok(text.includes('***'));
  assert.ok(!JSON.stringify(c.sources).includes(SECRETS[0]), 'sources mask secret flags');
});

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [join(root, 'bin/micro-mining.js'), 'check-config', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: dir, ...env },
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('check-config (the real CLI in a child process) prints the effective settings with secrets masked', () => {
  const f = file(
    `pool: stratum+tcp://pool.example.com:3333\npool_user: bc1qexample.home\npool_password: ${SECRETS[0]}\npractice: false\nstratum_password: ${SECRETS[1]}\n`,
  );
  const r = cli(['--config', f, '--mqtt', 'mqtt://broker:1883', '--mqtt-password', SECRETS[2]], { MM_HA_URL: 'http://ha:8123', MM_HA_TOKEN: SECRETS[3] });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /configuration is valid/);
  assert.match(r.out, /user: bc1qexample\.home/);
  assert.match(r.out, /port: 3333/);
  for (const s of SECRETS) assert.ok(!r.out.includes(s) && !r.err.includes(s), `${s} not printed`);
  assert.match(r.out, /\*\*\*/);
  const j = cli(['--config', f, '--json']);
  assert.equal(j.code, 0, j.err);
  const parsed = JSON.parse(j.out);
  assert.equal(parsed.settings.pool.password, '***');
  assert.equal(parsed.settings.practice, false);
  assert.equal(parsed.sources.pool_user, f);
});

test('check-config exits 2 with a message naming the setting and the fix', () => {
  const r = cli(['--config', file('threads: 999\n')]);
  assert.equal(r.code, 2);
  assert.match(r.err, /threads \/ --threads/);
  assert.match(r.err, /give a whole number/);
  const e = cli([], { MM_STRATUM_PORT: 'abc' });
  assert.equal(e.code, 2);
  assert.match(e.err, /MM_STRATUM_PORT=abc/);
  const h = cli(['--help']);
  assert.equal(h.code, 0);
  assert.match(h.out, /--pool-user U/);
  assert.match(h.out, /MM_POOL_USER/);
});
