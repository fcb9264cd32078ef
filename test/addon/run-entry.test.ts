// The add-on's run entry (addon/run.sh) against a stand-in for the Supervisor's HTTP API on
// loopback: the Supervisor cannot run here. The lead extends this to check the hub comes up.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addonLaunch, appPageUrl, launchScript, mqttServiceUrl, parseMqttService, shellQuote } from '../../src/app/addon.js';

const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'mm-addon-'));
const TOKEN = 'supervisor-token-abc';
const MQTT_PW = 'mqtt-pass-xyz';

interface StandIn {
  url: string;
  requests: { path: string; auth: string | undefined }[];
  server: Server;
}

/** A stand-in for the Supervisor's HTTP API: /services/mqtt and the Core API proxy. */
async function standInSupervisor(opts: { failFirst?: number; mqtt?: 'ok' | 'none'; coreDown?: boolean } = {}): Promise<StandIn> {
  const requests: StandIn['requests'] = [];
  let seen = 0;
  const server = createServer((req, res) => {
    requests.push({ path: req.url ?? '', auth: req.headers.authorization });
    seen++;
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return json(401, { result: 'error', message: 'Unauthorized' });
    if (seen <= (opts.failFirst ?? 0)) return json(502, { result: 'error', message: 'starting' });
    if (req.url === '/services/mqtt') {
      if (opts.mqtt === 'none') return json(400, { result: 'error', message: 'Service not enabled' });
      return json(200, {
        result: 'ok',
        data: { host: 'core-mosquitto', port: 1883, ssl: false, protocol: '3.1.1', username: 'addons', password: MQTT_PW, app: 'core_mosquitto' },
      });
    }
    if (req.url === '/core/api/') {
      if (opts.coreDown) return json(502, { result: 'error', message: 'Bad Gateway' });
      return json(200, { message: 'API running.' });
    }
    json(404, { result: 'error', message: 'not found' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const servers = openServers;
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}
const openServers: Server[] = [];
after(async () => {
  for (const s of openServers) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
function optionsFile(options: Record<string, unknown>): string {
  const p = join(dir, `options-${n++}.json`);
  writeFileSync(p, JSON.stringify(options));
  return p;
}

const DEFAULT_OPTIONS = {
  practice: true,
  policy: 'idle_only',
  stratum: true,
  stratum_port: 3333,
  share_interval: 10,
  idle_hold: 60,
  idle_power_threshold: 5,
  hub_max_load: 50,
  idle_overrides: [],
  worker_mappings: [],
  power_stages: [],
  kernel: 'auto',
  log_level: 'info',
  heap_mb: 384,
};

/** Runs addon/run.sh as the container would, in dry-run mode; resolves with its output. */
function runEntry(env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', [join(root, 'addon/run.sh')], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: dir,
        MM_RUN_DRY: '1',
        MM_LOG_LEVEL: 'info',
        MM_LOG_FORMAT: 'pretty',
        MM_SUPERVISOR_RETRY_MS: '50',
        MM_SUPERVISOR_ATTEMPTS: '5',
        MM_CORE_ATTEMPTS: '3',
        MM_NODE_BIN: process.execPath,
        ...env,
      },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

test('run entry with an options file and a stand-in Supervisor (the Supervisor cannot run here): command line and environment of start', async () => {
  const sup = await standInSupervisor();
  const opts = optionsFile(DEFAULT_OPTIONS);
  const r = await runEntry({ SUPERVISOR_TOKEN: TOKEN, MM_SUPERVISOR_URL: sup.url, MM_ADDON_OPTIONS: opts });
  assert.equal(r.code, 0, r.err);
  const launch = JSON.parse(r.out.trim().split('\n').pop()!) as { command: string[]; env: Record<string, string> };
  assert.deepEqual(launch.command, [process.execPath, '--max-old-space-size=384', join(root, 'bin/micro-mining.js'), 'start', '--config', opts]);
  assert.equal(launch.env.MM_ADDON, '1');
  assert.equal(launch.env.MM_MQTT, 'mqtt://core-mosquitto:1883');
  assert.equal(launch.env.MM_MQTT_USERNAME, 'addons');
  assert.equal(launch.env.MM_MQTT_PASSWORD, '***', 'masked in the dry run');
  assert.equal(launch.env.SUPERVISOR_TOKEN, '***');
  assert.ok(!r.out.includes(MQTT_PW) && !r.err.includes(MQTT_PW), 'the broker password is never printed');
  assert.ok(!r.out.includes(TOKEN) && !r.err.includes(TOKEN), 'the token is never printed');
  // it asked the Supervisor with the token
  assert.ok(sup.requests.some((q) => q.path === '/services/mqtt' && q.auth === `Bearer ${TOKEN}`));
  assert.ok(sup.requests.some((q) => q.path === '/core/api/'));
  assert.match(r.err, /MQTT broker from the Supervisor: core-mosquitto:1883/);
  assert.match(r.err, /practice mode \(earns nothing\)/);
});

test('run entry retries while the stand-in Supervisor is not up yet, with a log line per attempt', async () => {
  const sup = await standInSupervisor({ failFirst: 2 });
  const r = await runEntry({ SUPERVISOR_TOKEN: TOKEN, MM_SUPERVISOR_URL: sup.url, MM_ADDON_OPTIONS: optionsFile(DEFAULT_OPTIONS) });
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /Supervisor \(MQTT service\) is not reachable yet \(attempt 1\/5: HTTP 502\); retrying/);
  assert.match(r.err, /attempt 2\/5/);
  const launch = JSON.parse(r.out.trim().split('\n').pop()!);
  assert.equal(launch.env.MM_MQTT, 'mqtt://core-mosquitto:1883', 'the broker is found once the Supervisor answers');
});

test('run entry starts anyway when the Supervisor is unreachable and Core stays down', async () => {
  // nothing listens on this port: connection refused
  const closed = await standInSupervisor();
  const url = closed.url;
  closed.server.close();
  const r = await runEntry({ SUPERVISOR_TOKEN: TOKEN, MM_SUPERVISOR_URL: url, MM_ADDON_OPTIONS: optionsFile(DEFAULT_OPTIONS), MM_SUPERVISOR_ATTEMPTS: '2' });
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /not reachable yet \(attempt 1\/2: ECONNREFUSED\)/);
  assert.match(r.err, /embedded MQTT broker/);
  assert.match(r.err, /starting without waiting for Home Assistant Core/);
  const launch = JSON.parse(r.out.trim().split('\n').pop()!);
  assert.equal(launch.env.MM_MQTT, undefined);

  const down = await standInSupervisor({ coreDown: true });
  const c = await runEntry({ SUPERVISOR_TOKEN: TOKEN, MM_SUPERVISOR_URL: down.url, MM_ADDON_OPTIONS: optionsFile(DEFAULT_OPTIONS) });
  assert.equal(c.code, 0, c.err);
  assert.match(c.err, /Home Assistant Core is not reachable yet \(attempt 1\/3: HTTP 502\)/);
  assert.equal(down.requests.filter((q) => q.path === '/core/api/').length, 3, 'bounded attempts');
});

test('run entry without a broker add-on, and with a broker in the options, does not use the service', async () => {
  const none = await standInSupervisor({ mqtt: 'none' });
  const r = await runEntry({ SUPERVISOR_TOKEN: TOKEN, MM_SUPERVISOR_URL: none.url, MM_ADDON_OPTIONS: optionsFile(DEFAULT_OPTIONS) });
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /no MQTT service \(HTTP 400: Service not enabled\); install and start the Mosquitto broker add-on/);
  assert.equal(none.requests.filter((q) => q.path === '/services/mqtt').length, 1, 'a definitive answer is not retried');
  assert.equal(JSON.parse(r.out.trim().split('\n').pop()!).env.MM_MQTT, undefined);

  const sup = await standInSupervisor();
  const own = await runEntry({
    SUPERVISOR_TOKEN: TOKEN,
    MM_SUPERVISOR_URL: sup.url,
    MM_ADDON_OPTIONS: optionsFile({ ...DEFAULT_OPTIONS, mqtt: 'mqtt://192.168.1.5:1883' }),
  });
  assert.equal(own.code, 0, own.err);
  assert.equal(JSON.parse(own.out.trim().split('\n').pop()!).env.MM_MQTT, undefined, 'the options file names the broker itself');
});

test('run entry with invalid options exits 2 before waiting, naming the option and the fix', async () => {
  const sup = await standInSupervisor();
  const r = await runEntry({ SUPERVISOR_TOKEN: TOKEN, MM_SUPERVISOR_URL: sup.url, MM_ADDON_OPTIONS: optionsFile({ ...DEFAULT_OPTIONS, policy: 'sometimes' }) });
  assert.equal(r.code, 2);
  assert.match(r.err, /invalid options: policy \/ --policy \(from .*options-\d+\.json\): .*must be always, idle_only or surplus/);
  assert.equal(sup.requests.length, 0, 'no Supervisor calls for a configuration that cannot start');
  const bad = await runEntry({ SUPERVISOR_TOKEN: TOKEN, MM_SUPERVISOR_URL: sup.url, MM_ADDON_OPTIONS: join(dir, 'missing.json') });
  assert.equal(bad.code, 2);
  assert.match(bad.err, /cannot read it/);
});

test("addonLaunch: pure command line, heap limit 0 leaves Node's default", () => {
  const f = optionsFile({ ...DEFAULT_OPTIONS, heap_mb: 0 });
  const l = addonLaunch({
    optionsFile: f,
    env: { SUPERVISOR_TOKEN: TOKEN },
    mqtt: { host: 'core-mosquitto', port: 8883, ssl: true },
    appDir: '/opt/mm',
    nodePath: '/usr/bin/node',
    cores: 4,
  });
  assert.deepEqual(l.command, ['/usr/bin/node', '/opt/mm/bin/micro-mining.js', 'start', '--config', f]);
  assert.equal(l.env.MM_MQTT, 'mqtts://core-mosquitto:8883');
  assert.equal(l.config.mqtt.mode, 'external');
  assert.equal(l.config.ha?.url, 'ws://supervisor/core/websocket');
  assert.equal(l.config.threads, 3);
});

test('the shell lines survive any value: quotes, $( ), newlines', () => {
  const nasty = `it's "$(touch ${join(dir, 'pwned')})" \`id\` \n $HOME`;
  const script = launchScript({ command: ['/bin/echo', 'a b', nasty], env: { MM_MQTT_PASSWORD: nasty }, config: {} as never });
  const r = spawnSync('sh', ['-c', `eval "$S"; printf '%s|' "$MM_MQTT_PASSWORD" "$@"`], { env: { S: script, PATH: process.env.PATH }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `${nasty}|/bin/echo|a b|${nasty}|`);
  assert.ok(!existsSync(join(dir, 'pwned')), 'nothing was executed');
  assert.equal(shellQuote("a'b"), `'a'\\''b'`);
  assert.throws(() => shellQuote('a\0b'));
});

test('the MQTT service answer is validated (untrusted input)', () => {
  assert.deepEqual(parseMqttService({ host: 'core-mosquitto', port: 1883, ssl: false, username: 'u', password: 'p' }), {
    host: 'core-mosquitto',
    port: 1883,
    ssl: false,
    username: 'u',
    password: 'p',
  });
  assert.throws(() => parseMqttService(null), /no data/);
  assert.throws(() => parseMqttService({ host: 'a b', port: 1883 }), /host/);
  assert.throws(() => parseMqttService({ host: 'h', port: 70000 }), /port/);
  assert.throws(() => parseMqttService({ host: 'h'.repeat(300), port: 1 }), /host/);
  assert.equal(mqttServiceUrl({ host: 'fd00::1', port: 1883, ssl: false }), 'mqtt://[fd00::1]:1883');
});

test('"Visit" on the hub device opens the app\'s page in HA: the slug from the container\'s hostname', () => {
  // the Supervisor names the container after the slug with dashes; HA 2026.2+ routes /config/app/<slug>/info
  assert.equal(appPageUrl('local-micro-mining'), 'homeassistant://config/app/local_micro_mining/info');
  assert.equal(appPageUrl('a1b2c3d4-micro-mining'), 'homeassistant://config/app/a1b2c3d4_micro_mining/info');
  for (const bad of [undefined, '', 'my-laptop', 'x/../micro-mining', 'Local-Micro-Mining', `${'a'.repeat(60)}-micro-mining`])
    assert.equal(appPageUrl(bad), undefined, String(bad));
});
