// Issue 16: what a user of Home Assistant's Node-RED add-on does. The nodes package is packed
// (`npm pack`), installed into a fresh user folder of a separate Node-RED process (the repo's
// Node-RED 4, and Node-RED 3.1 from a cached install: the package says node-red >=3.0.0), which
// has an editor login (adminAuth). Through its admin API: the example flow `remote-hub` is read
// from the package's examples, its hub config node set to the test broker and the hub's bridge
// key, and deployed. It drives a hub that runs as its own process (`micro-mining start`,
// practice, --bridge-key, no embedded Node-RED) over a real Mosquitto with a login: pause,
// resume, a thread cap; the flow receives the hub's statistics and appliance list; with a wrong
// key the hub refuses the commands and nothing changes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNodes } from '../../scripts/build-nodes.mjs';
import { freePort, startMosquitto, type Mosquitto } from '../support/mosquitto.js';
import { ensureNpmTool } from './npm-tool.js';

const require = createRequire(import.meta.url);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PKG = require('../../nodes/package.json') as { name: string; version: string; 'node-red': { version: string } };
const KEY = 'palette-test-bridge-key-42';
const MQTT = { username: 'hub', password: 'mqtt-pass-1' };
const NR_LOGIN = { username: 'admin', password: 'editor-pass-1' };
const dir = mkdtempSync(join(tmpdir(), 'mm-palette-'));
let broker: Mosquitto;
let tarball = '';
let hub: ChildProcess | null = null;
let hubLog = '';
let statusPort = 0;
const procs: ChildProcess[] = [];

async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, ms = 30_000, log = () => ''): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await Promise.resolve()
      .then(fn)
      .catch(() => undefined);
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms\n${log().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stop(c: ChildProcess | null): Promise<void> {
  if (!c || c.exitCode !== null || c.signalCode !== null || c.pid === undefined) return;
  const exited = new Promise((r) => c.once('exit', r));
  try {
    process.kill(-c.pid, 'SIGTERM');
  } catch {
    /* gone */
  }
  const t = setTimeout(() => {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, 10_000);
  await exited;
  clearTimeout(t);
}

interface HubStatusJson {
  maxThreads: number;
  threads: number;
  decision: string;
}
async function hubStatus(): Promise<HubStatusJson> {
  const r = await fetch(`http://127.0.0.1:${statusPort}/api/status`);
  return (await r.json()) as HubStatusJson;
}

before(async () => {
  await buildNodes({ quiet: true });
  const pack = spawnSync('npm', ['pack', '--pack-destination', dir, '--loglevel=error'], { cwd: join(ROOT, 'nodes'), encoding: 'utf8' });
  assert.equal(pack.status, 0, pack.stderr);
  tarball = join(dir, readdirSync(dir).find((f) => f.endsWith('.tgz'))!);
  broker = await startMosquitto(MQTT);
  statusPort = await freePort();
  const args = [
    'bin/micro-mining.js',
    'start',
    '--practice',
    '--data-dir',
    join(dir, 'hub'),
    '--no-node-red',
    '--no-stratum',
    '--threads',
    '2',
    '--kernel',
    'js',
    '--policy',
    'always',
    '--hub-max-load',
    '100',
    '--mqtt',
    broker.url,
    '--mqtt-username',
    MQTT.username,
    '--mqtt-password',
    MQTT.password,
    '--bridge-key',
    KEY,
    '--status-port',
    String(statusPort),
  ];
  hub = spawn(process.execPath, args, {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MM_TEST: '', MM_LOG_FORMAT: 'json' },
  });
  hub.stdout!.on('data', (d) => (hubLog += d));
  hub.stderr!.on('data', (d) => (hubLog += d));
  await until(
    'hub up',
    async () => (await hubStatus()).maxThreads === 2,
    60_000,
    () => hubLog,
  );
});

after(async () => {
  for (const p of procs) await stop(p);
  await stop(hub);
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('the packed tarball holds what the palette manager and the flow library need', () => {
  const list = spawnSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).stdout.split('\n');
  for (const f of [
    'package/package.json',
    'package/README.md',
    'package/dist/micro-mining.js',
    'package/dist/micro-mining.html',
    'package/examples/remote-hub.json',
    'package/examples/default.json',
  ]) {
    assert.ok(list.includes(f), `${f} in the tarball`);
  }
  assert.ok(!list.some((f) => f.startsWith('package/src/')), 'sources stay out');
});

/** A separate Node-RED (its own process) with a fresh user folder, the tarball installed, a login. */
async function startNodeRed(nrDir: string, tag: string): Promise<{ base: string; auth: Record<string, string>; log: () => string; proc: ChildProcess }> {
  const userDir = join(dir, `nr-${tag}`);
  mkdirSync(userDir, { recursive: true });
  writeFileSync(join(userDir, 'package.json'), JSON.stringify({ name: `nr-user-${tag}`, private: true, version: '0.0.0' }));
  const inst = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball], {
    cwd: userDir,
    encoding: 'utf8',
    timeout: 300_000,
  });
  assert.equal(inst.status, 0, inst.stderr);
  assert.ok(existsSync(join(userDir, 'node_modules', ...PKG.name.split('/'), 'dist', 'micro-mining.js')));
  const port = await freePort();
  const bcrypt = require('bcryptjs') as { hashSync(p: string, r: number): string };
  const settings = {
    uiHost: '127.0.0.1',
    uiPort: port,
    flowFile: 'flows.json',
    credentialSecret: 'palette-test-credential-secret',
    adminAuth: { type: 'credentials', users: [{ username: NR_LOGIN.username, password: bcrypt.hashSync(NR_LOGIN.password, 8), permissions: '*' }] },
    logging: { console: { level: 'info', metrics: false, audit: false } },
    editorTheme: { tours: false },
    telemetry: { enabled: false },
  };
  writeFileSync(join(userDir, 'settings.js'), `module.exports = ${JSON.stringify(settings, null, 2)};\n`);
  let log = '';
  const proc = spawn(process.execPath, [join(nrDir, 'red.js'), '--userDir', userDir, '--settings', join(userDir, 'settings.js')], {
    cwd: userDir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(proc);
  proc.stdout!.on('data', (d) => (log += d));
  proc.stderr!.on('data', (d) => (log += d));
  const base = `http://127.0.0.1:${port}`;
  await until(
    `Node-RED ${tag} up`,
    async () => (await fetch(`${base}/auth/login`)).status === 200,
    60_000,
    () => log,
  );
  const unauth = await fetch(`${base}/flows`);
  assert.equal(unauth.status, 401, 'the admin API needs the login');
  const tok = await fetch(`${base}/auth/token`, {
    method: 'POST',
    body: new URLSearchParams({ client_id: 'node-red-admin', grant_type: 'password', scope: '*', ...NR_LOGIN }),
  });
  assert.equal(tok.status, 200);
  const auth = { authorization: `Bearer ${((await tok.json()) as { access_token: string }).access_token}` };
  return { base, auth, log: () => log, proc };
}

type FlowNode = Record<string, unknown> & { id: string; type: string };

async function deploy(base: string, auth: Record<string, string>, flows: FlowNode[]): Promise<void> {
  const r = await fetch(`${base}/flows`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full', 'Node-RED-API-Version': 'v1' },
    body: JSON.stringify(flows),
  });
  assert.equal(r.status, 204, await r.text());
}

async function flowContext(base: string, auth: Record<string, string>, tab: string, key: string): Promise<unknown> {
  const r = await fetch(`${base}/context/flow/${tab}/${key}`, { headers: auth });
  if (r.status !== 200) return undefined;
  const v = (await r.json()) as { msg?: string; format?: string };
  if (typeof v.msg !== 'string') return undefined;
  try {
    return JSON.parse(v.msg);
  } catch {
    return v.msg;
  }
}

async function scenario(nrDir: string, tag: string): Promise<void> {
  const nrVersion = (require(join(nrDir, 'package.json')) as { version: string }).version;
  const nr = await startNodeRed(nrDir, tag);
  const { base, auth } = nr;
  try {
    // the palette shows the package with every node type
    const nodes = (await (await fetch(`${base}/nodes`, { headers: { ...auth, accept: 'application/json' } })).json()) as {
      module: string;
      types: string[];
      enabled: boolean;
      err?: string;
    }[];
    const ours = nodes.find((m) => m.module === PKG.name);
    assert.ok(ours, `${PKG.name} is in Node-RED ${nrVersion}'s palette`);
    assert.equal(ours.err, undefined, String(ours.err));
    assert.deepEqual([...ours.types].sort(), ['mm-appliances', 'mm-control', 'mm-dispatch', 'mm-hub', 'mm-policy', 'mm-schedule', 'mm-stats']);
    // the examples as the editor's Import > Examples lists and reads them
    const list = await fetch(`${base}/library/examples/flows/${PKG.name}`, { headers: auth });
    assert.equal(list.status, 200);
    assert.match(await list.text(), /remote-hub/);
    // every example imports cleanly: JSON, only node types this Node-RED has, every wire and hub reference resolves
    const known = new Set(nodes.flatMap((m) => m.types));
    const names = readdirSync(join(ROOT, 'nodes', 'examples'))
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.replace(/\.json$/, ''));
    assert.ok(names.length >= 4);
    for (const name of names) {
      const r = await fetch(`${base}/library/examples/flows/${PKG.name}/${name}`, { headers: auth });
      assert.equal(r.status, 200, name);
      const ns = (await r.json()) as FlowNode[];
      const ids = new Set(ns.map((n) => n.id));
      for (const n of ns) {
        assert.ok(n.type === 'tab' || known.has(n.type), `${name}: node type ${n.type} is known to Node-RED ${nrVersion}`);
        for (const out of (n.wires as string[][] | undefined) ?? []) for (const w of out) assert.ok(ids.has(w), `${name}: wire ${n.id} -> ${w}`);
        if (typeof n.hub === 'string') assert.equal(ns.find((x) => x.id === n.hub)?.type, 'mm-hub', `${name}: ${n.id}'s hub`);
        if (typeof n.z === 'string') assert.ok(ids.has(n.z), `${name}: ${n.id} on a tab of the file`);
      }
    }
    const ex = await fetch(`${base}/library/examples/flows/${PKG.name}/remote-hub`, { headers: auth });
    assert.equal(ex.status, 200);
    const flows = (await ex.json()) as FlowNode[];
    const tab = flows.find((n) => n.type === 'tab')!.id;
    const hubCfg = flows.find((n) => n.type === 'mm-hub')!;
    // what the user sets in the config node: the broker, its login, the hub's bridge key
    const configure = (key: string): FlowNode[] => {
      const copy = structuredClone(flows).map((n) => (n.type === 'mm-hub' ? { ...n, broker: broker.url, credentials: { ...MQTT, bridgeKey: key } } : n));
      const fast = copy.map((n) => (n.type === 'mm-stats' || n.type === 'mm-appliances' ? { ...n, interval: 1 } : n));
      // probes: what the flow receives, kept in the flow context (read back through the admin API)
      const probe = (id: string, from: string, key2: string, prop: string, y: number): FlowNode[] =>
        [
          {
            id,
            type: 'change',
            z: tab,
            name: `probe ${key2}`,
            rules: [
              { t: 'set', p: key2, pt: 'flow', to: prop, tot: 'msg' },
              { t: 'set', p: `${key2}At`, pt: 'flow', to: '', tot: 'date' },
            ],
            x: 700,
            y,
            wires: [[]],
          },
        ].map((p) => {
          const src = fast.find((n) => n.id === from)!;
          (src.wires as string[][])[0].push(id);
          return p;
        });
      return [
        ...fast,
        ...probe('probe-stats', 'mm-remote-stats', 'stats', 'payload', 500),
        ...probe('probe-app', 'mm-remote-appliances', 'appliances', 'appliances', 540),
        ...probe('probe-manual', 'mm-remote-control', 'manual', 'manual', 580),
      ];
    };
    assert.equal(hubCfg.mode, 'mqtt');
    await deploy(base, auth, configure(KEY));
    // (right after a deploy the nodes may still be starting: the button answers 404 until then)
    const inject = (id: string) =>
      until(`inject ${id}`, async () => (await fetch(`${base}/inject/${id}`, { method: 'POST', headers: auth })).status === 200, 20_000, nr.log);

    // statistics and the appliance list arrive in the flow
    const stats = await until(
      'statistics in the flow',
      async () => {
        const v = (await flowContext(base, auth, tab, 'stats')) as { hubThreads?: number } | undefined;
        return typeof v?.hubThreads === 'number' ? v : undefined;
      },
      30_000,
      nr.log,
    );
    assert.ok(stats.hubThreads! >= 0 && stats.hubThreads! <= 2, JSON.stringify(stats));
    const apps = await until(
      'appliances in the flow',
      async () => (await flowContext(base, auth, tab, 'appliances')) as { id: string }[] | undefined,
      30_000,
      nr.log,
    );
    assert.ok(Array.isArray(apps) && apps.some((a) => a.id === 'hub'), JSON.stringify(apps));

    // pause, resume, a thread cap
    await inject('mm-remote-pause');
    await until(
      'hub paused by the flow',
      async () => /switched off by hand/.test((await hubStatus()).decision),
      30_000,
      () => hubLog,
    );
    await inject('mm-remote-resume');
    await until(
      'hub resumed',
      async () => !/switched off by hand/.test((await hubStatus()).decision),
      30_000,
      () => hubLog,
    );
    await inject('mm-remote-cap1');
    await until(
      'hub capped at 1 thread',
      async () => (await hubStatus()).maxThreads === 1,
      30_000,
      () => hubLog,
    );
    let lastManual: unknown;
    await until(
      'the state as applied, back in the flow',
      async () => ((lastManual = await flowContext(base, auth, tab, 'manual')) as { maxThreads?: number } | undefined)?.maxThreads === 1,
      30_000,
      () => `${nr.log()}\nmsg.manual in the flow: ${JSON.stringify(lastManual)}`,
    );
    await inject('mm-remote-nocap');
    await until(
      'no cap',
      async () => (await hubStatus()).maxThreads === 2,
      30_000,
      () => hubLog,
    );

    // a wrong key: the hub refuses, says so once, and nothing changes
    const refusedBefore = (hubLog.match(/refused/g) ?? []).length;
    const redeployed = Date.now();
    await deploy(base, auth, configure('a-wrong-bridge-key-123456'));
    await until(
      'stats still arrive with a wrong key (reading needs no key)',
      async () => (((await flowContext(base, auth, tab, 'stats')) as { at?: number } | undefined)?.at ?? 0) > redeployed,
      30_000,
      nr.log,
    );
    const sent = Date.now();
    await inject('mm-remote-pause');
    // the control node answers once the hub has answered, or after 5 s without an answer
    await until(
      'the control node gave up waiting for the hub',
      async () => ((await flowContext(base, auth, tab, 'manualAt')) as number | undefined)! > sent,
      30_000,
      nr.log,
    );
    // the hub says so in its log, once a minute at most (a scenario a minute earlier may have had that line)
    if (refusedBefore === 0)
      await until(
        'the hub logs the refusal',
        () => (hubLog.match(/refused/g) ?? []).length > refusedBefore,
        30_000,
        () => hubLog,
      );
    assert.doesNotMatch((await hubStatus()).decision, /switched off by hand/, 'not paused by a command with a wrong key');
    assert.ok(!hubLog.includes(KEY), 'the hub never logs its key');
    console.log(
      `Node-RED ${nrVersion}: ${PKG.name}@${PKG.version} installed from the tarball, remote-hub example deployed, hub paused/resumed/capped over the bridge, wrong key refused`,
    );
  } finally {
    await stop(nr.proc);
  }
}

test("Node-RED 4 (the repository's node-red), separate process: install, import the example, drive the hub over the bridge", async () => {
  await scenario(dirname(require.resolve('node-red/package.json')), 'v4');
});

test('Node-RED 3.1 (cached install), separate process: the same', { timeout: 900_000 }, async () => {
  const nr3 = ensureNpmTool('node-red', '3.1.15');
  assert.ok(PKG['node-red'].version === '>=3.0.0');
  await scenario(nr3, 'v3');
});
