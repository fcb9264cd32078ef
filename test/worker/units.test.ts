// The worker's pure parts: settings (flags over MM_* over file, bad values named with the fix, exit
// code 2 from the real CLI), the battery reading from a /sys/class/power_supply layout, the yield
// check, and the extension's parsing of what a worker tells the hub.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/core/index.js';
import { MM_EXTENSION, WorkerControl, parseHello, parseReport } from '../../src/stratum/extension.js';
import type { IncomingMessage } from 'node:http';
import { sameOrigin, workerPath } from '../../src/web/index.js';
import { YieldCheck, loadWorkerConfig, onBattery, readPowerSupplies } from '../../src/worker/index.js';
import { workerProcess } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'mm-worker-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('settings: flags win over MM_* which win over the file; defaults', () => {
  const file = join(dir, 'worker.yaml');
  writeFileSync(file, 'hub: stratum+tcp://file-hub:3333\nname: from-file\nthreads: 1\nmax_load: 30\n');
  const c = loadWorkerConfig({ argv: ['--config', file, '--name', 'from-flag'], env: { MM_THREADS: '2', MM_HUB: 'stratum+tcp://env-hub:3333' }, cores: 4 });
  assert.equal(c.name, 'from-flag');
  assert.equal(c.threads, 2);
  assert.equal(c.hub, 'stratum+tcp://env-hub:3333');
  assert.equal(c.maxLoadPercent, 30);
  assert.equal(c.hashOnBattery, false);
  assert.equal(c.resumeAfterS, 10);
  const d = loadWorkerConfig({ argv: ['--hub', 'stratum+tcp://h:3333'], env: {}, cores: 4 });
  assert.equal(d.threads, 3);
  assert.equal(d.kernel, 'auto');
  assert.equal(d.nice, 19);
  assert.ok(d.name.length > 0);
  assert.equal(loadWorkerConfig({ argv: ['--hub', 'stratum+tcp://h:3333', '--battery'], env: {}, cores: 4 }).hashOnBattery, true);
});

test('settings: each bad value names its source and the fix', () => {
  const bad = (argv: string[], env: NodeJS.ProcessEnv, re: RegExp) =>
    assert.throws(
      () => loadWorkerConfig({ argv, env, cores: 4 }),
      (e: unknown) => e instanceof InputError && re.test(e.message),
    );
  bad([], {}, /--hub is required.*MM_HUB/);
  bad(['--hub', 'http://h:3333'], {}, /--hub: not a Stratum URL.*stratum\+tcp/);
  bad(['--hub', 'stratum+tcp://u:secret@h:3333'], {}, /must not carry a user or password/);
  bad(['--hub', 'stratum+tcp://h:3333', '--threads', '9'], {}, /--threads: expected a whole number from 1 to 4, got "9"/);
  bad(['--hub', 'stratum+tcp://h:3333'], { MM_THREADS: 'many' }, /MM_THREADS: expected a whole number/);
  bad(['--hub', 'stratum+tcp://h:3333'], { MM_MAX_LOAD: '0' }, /MM_MAX_LOAD: .*percentage/);
  bad(['--hub', 'stratum+tcp://h:3333', '--name', 'a b'], {}, /--name: "a b" is not a worker name/);
  bad(['--hub', 'stratum+tcp://h:3333', '--kernel', 'gpu'], {}, /--kernel: unknown kernel "gpu"; use auto, js, wasm or native/);
  bad(['--hub', 'stratum+tcp://h:3333', '--nice', '20'], {}, /--nice: expected a whole number from 0 to 19/);
  bad(['--hub', 'stratum+tcp://h:3333', '--bogus'], {}, /Unknown option '--bogus'.*micro-mining worker --help/);
  const f = join(dir, 'bad.yaml');
  writeFileSync(f, 'hub: stratum+tcp://h:3333\nthreds: 2\n');
  bad(['--config', f], {}, /unknown key "threds"/);
  bad(['--config', join(dir, 'missing.yaml')], {}, /cannot read it \(ENOENT\)/);
  writeFileSync(f, 'hub: [unclosed\n');
  bad(['--config', f], {}, /not valid YAML or JSON/);
});

test('the CLI exits 2 with the message on a bad flag, and never prints the password', async () => {
  const p = workerProcess(['--hub', 'stratum+tcp://127.0.0.1:1', '--threads', '0', '--password', 'hunter2-secret']);
  const code = await p.exit;
  assert.equal(code, 2);
  const out = p.stderr.join('\n');
  assert.match(out, /micro-mining worker: --threads: expected a whole number from 1/);
  assert.doesNotMatch(out, /hunter2-secret/);
});

test('battery: read from a /sys/class/power_supply layout', () => {
  const root = join(dir, 'ps');
  const supply = (name: string, files: Record<string, string>) => {
    mkdirSync(join(root, name), { recursive: true });
    for (const [k, v] of Object.entries(files)) writeFileSync(join(root, name, k), `${v}\n`);
  };
  supply('BAT0', { type: 'Battery', status: 'Discharging' });
  supply('AC', { type: 'Mains', online: '0' });
  supply('hidpp_battery_0', { type: 'Battery', status: 'Discharging', scope: 'Device' });
  assert.equal(onBattery(readPowerSupplies(root)), true);
  writeFileSync(join(root, 'AC', 'online'), '1\n');
  assert.equal(onBattery(readPowerSupplies(root)), false);
  // a desktop: only a mouse battery
  assert.equal(onBattery([{ name: 'm', type: 'Battery', status: 'Discharging', scope: 'Device' }]), null);
  assert.deepEqual(readPowerSupplies(join(dir, 'nothing-here')), []);
});

test('yield check: busy or on battery at once, back after the quiet time', () => {
  const y = new YieldCheck({ maxLoadPercent: 50, resumeAfterS: 10, onBattery: true });
  assert.equal(y.sample(0, 10, null), null);
  assert.match(y.sample(1000, 80, null)!, /busy \(80% CPU/);
  assert.match(y.sample(2000, 5, null)!, /busy/); // not quiet for long enough
  assert.match(y.sample(11_000, 5, null)!, /busy/);
  assert.equal(y.sample(12_001, 5, null), null);
  assert.equal(y.sample(13_000, 5, true), 'on battery');
  const plugged = new YieldCheck({ maxLoadPercent: 50, resumeAfterS: 0, onBattery: false });
  assert.equal(plugged.sample(0, 0, true), null);
});

test('extension: what a worker tells is checked, never trusted', () => {
  const h = parseHello({ [`${MM_EXTENSION}.kind`]: 'browser', [`${MM_EXTENSION}.hostname`]: 'office-pc', [`${MM_EXTENSION}.mac`]: 'AA-BB-CC-DD-EE-01' });
  assert.deepEqual(h, { kind: 'browser', hostname: 'office-pc', mac: 'aa:bb:cc:dd:ee:01' });
  const junk = parseHello({ [`${MM_EXTENSION}.hostname`]: 'bad host\n', [`${MM_EXTENSION}.mac`]: '00:00:00:00:00:00', [`${MM_EXTENSION}.kind`]: 42 });
  assert.deepEqual(junk, { kind: 'agent' });
  assert.deepEqual(parseReport([{ state: 'paused', threads: 0, hashrate: 0, hashes: 12, reason: 'x\u0000' }]), {
    state: 'paused',
    threads: 0,
    hashrate: 0,
    hashes: 12,
    reason: 'x?',
  });
  assert.throws(() => parseReport([{ state: 'sleeping', threads: 0, hashrate: 0, hashes: 0 }]), /state must be one of/);
  assert.throws(() => parseReport([{ state: 'working', threads: -1, hashrate: 0, hashes: 0 }]), /threads must be a number/);
  assert.throws(() => parseReport(['x']), /expected \[\{state/);
  // a report before the extension was negotiated is refused
  const c = new WorkerControl();
  assert.throws(() => c.message(7, 'mining.mm_state', [{ state: 'working', threads: 1, hashrate: 1, hashes: 1 }]), /needs the micro-mining-control extension/);
  assert.equal(c.message(7, 'mining.something_else', []), undefined);
});

test('worker page: its paths under any prefix (HA ingress), and same origin only', () => {
  assert.equal(workerPath('/worker'), '');
  assert.equal(workerPath('/api/hassio_ingress/abc/worker'), '');
  assert.equal(workerPath('/api/hassio_ingress/abc/worker/ws'), 'ws');
  assert.equal(workerPath('/worker/miner.js'), 'miner.js');
  assert.equal(workerPath('/workers'), null);
  assert.equal(workerPath('/'), null);
  const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
  assert.equal(sameOrigin(req({ host: 'hub.local:8099', origin: 'http://hub.local:8099' })), true);
  assert.equal(sameOrigin(req({ host: 'hub.local:8099', origin: 'http://evil.example' })), false);
  assert.equal(sameOrigin(req({ host: 'hub.local:8099' })), false, 'no Origin: not a page of ours');
  assert.equal(sameOrigin(req({ host: 'hub.local:8099', origin: 'not a url' })), false);
  // behind HA ingress the proxy forwards the host the browser used
  assert.equal(sameOrigin(req({ host: '172.30.33.5:8099', 'x-forwarded-host': 'ha.example.net', origin: 'https://ha.example.net' })), true);
});
