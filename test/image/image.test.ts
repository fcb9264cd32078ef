// The add-on image, built and run with podman as the Supervisor would run it: Dockerfile from a
// clean context on a local stand-in for HA's Debian base (no image registry is reachable here),
// /data with options.json, a stand-in Supervisor (the Supervisor cannot run here) that hands out
// a real Mosquitto, Docker's init, the health check, practice shares, MQTT discovery, ingress-only
// access, a clean stop on SIGTERM and lifetime totals across a second container.
//
// Prints: image size, build time, start time, RSS of the container's processes, stop time.
// Never skipped where .ci/setup.d/podman.sh provisioned podman; in CI a missing podman fails.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import YAML from 'yaml';
import { startMosquitto, freePort, type Mosquitto } from '../support/mosquitto.js';
import { TotalsStore } from '../../src/app/store.js';
import { CA_BUNDLE, MB, ULIMITS, cleanContext, makeBaseStandIn, missingPrerequisite, podman, podmanOk, removeDir, root, treeRss, until } from './podman.js';

const IMAGE = 'localhost/micro-mining-addon:test';
const TOKEN = 'stand-in-supervisor-token-5f2a';
const MQTT_USER = 'addons';
const MQTT_PASSWORD = 'mqtt-secret-9c41';
/** What slirp4netns calls the host's loopback inside the container (allow_host_loopback). */
const HOST_FROM_CONTAINER = '10.0.2.2';
/** The add-on's hostname as the Supervisor sets it (slug with dashes). */
const HOSTNAME = 'local-micro-mining';
const config = YAML.parse(readFileSync(join(root, 'config.yaml'), 'utf8')) as { options: Record<string, unknown>; timeout?: number; version: string };
const STOP_TIMEOUT_S = config.timeout ?? 10; // the Supervisor's stop timeout (config.yaml `timeout`, default 10 s)

const cleanups: (() => Promise<unknown> | unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) {
    try {
      await c();
    } catch {
      // best effort
    }
  }
});

interface Status {
  mode: string;
  shares: { accepted: number };
  bestDifficulty: { session: number; allTime: number };
  mqttConnected: boolean | null;
  threads: number;
}

/** A stand-in for the Supervisor's HTTP API (the Supervisor cannot run here): the MQTT service and Core's API proxy. */
async function standInSupervisor(broker: Mosquitto): Promise<{ port: number; requests: string[]; server: Server }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return json(401, { result: 'error', message: 'Unauthorized' });
    if (req.url === '/services/mqtt') {
      return json(200, {
        result: 'ok',
        data: {
          host: HOST_FROM_CONTAINER,
          port: broker.port,
          ssl: false,
          protocol: '3.1.1',
          username: MQTT_USER,
          password: MQTT_PASSWORD,
          addon: 'core_mosquitto',
        },
      });
    }
    if (req.url === '/core/api/') return json(200, { message: 'API running.' });
    json(404, { result: 'error', message: 'not found' });
  });
  // all addresses: the container reaches the host's loopback through slirp4netns
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));
  return { port: (server.address() as AddressInfo).port, requests, server };
}

async function statusFromInside(name: string): Promise<Status> {
  const out = await podmanOk(['exec', name, 'curl', '-fsS', '--max-time', '5', 'http://127.0.0.1:8099/api/status'], { timeoutMs: 15_000 });
  return JSON.parse(out) as Status;
}

async function runContainer(name: string, dataDir: string, supervisorPort: number, hostPort: number): Promise<number> {
  await podman(['rm', '-f', '-t', '0', name], { timeoutMs: 60_000 });
  cleanups.push(() => podman(['rm', '-f', '-t', '0', name], { timeoutMs: 60_000 }));
  const t0 = Date.now();
  await podmanOk(
    [
      'run',
      '-d',
      '--name',
      name,
      '--hostname',
      HOSTNAME,
      // Docker's init, as the Supervisor runs an add-on whose config.yaml keeps `init` on
      '--init',
      '--runtime',
      'runc',
      ...ULIMITS,
      '--network',
      'slirp4netns:allow_host_loopback=true,port_handler=slirp4netns',
      '-p',
      `127.0.0.1:${hostPort}:8099`,
      '-v',
      `${dataDir}:/data`,
      '-e',
      `SUPERVISOR_TOKEN=${TOKEN}`,
      '-e',
      `MM_SUPERVISOR_URL=http://${HOST_FROM_CONTAINER}:${supervisorPort}`,
      '-e',
      'MM_SUPERVISOR_ATTEMPTS=8',
      '-e',
      'MM_SUPERVISOR_RETRY_MS=500',
      '-e',
      'MM_CORE_ATTEMPTS=2',
      IMAGE,
    ],
    { timeoutMs: 120_000 },
  );
  return t0;
}

test('the add-on image: built from a clean context, run as the Supervisor runs it, stopped cleanly, totals kept', { timeout: 60 * 60_000 }, async (t) => {
  const missing = missingPrerequisite();
  if (missing) {
    if (process.env.CI === 'true') assert.fail(`${missing} (CI=true: the image test may not be skipped)`);
    t.skip(missing);
    return;
  }
  const figures: string[] = [];

  // ---- build ------------------------------------------------------------------------------
  // MM_IMAGE_REUSE=1 (while working on the run checks) runs the image the last run built
  const reuse = process.env.MM_IMAGE_REUSE === '1' && (await podman(['image', 'exists', IMAGE])).code === 0;
  const base = reuse ? '' : makeBaseStandIn();
  const ctx = cleanContext();
  cleanups.push(() => removeDir(ctx.dir));
  assert.ok(!existsSync(join(ctx.dir, 'node_modules')) && !existsSync(join(ctx.dir, 'dist')), 'the context holds no build output of this machine');
  const buildStart = Date.now();
  if (!reuse)
    await podmanOk(
      [
        'build',
        '--format',
        'docker',
        '--network',
        'host',
        '--runtime',
        'runc',
        ...ULIMITS,
        ...(existsSync(CA_BUNDLE) ? ['--secret', `id=ca,src=${CA_BUNDLE}`] : []),
        '--build-arg',
        `BASE_IMAGE=${base}`,
        '--build-arg',
        'BUILD_ARCH=amd64',
        '--build-arg',
        `BUILD_VERSION=${config.version}`,
        '-t',
        IMAGE,
        '-f',
        'Dockerfile',
        '.',
      ],
      { cwd: ctx.dir, timeoutMs: 45 * 60_000 },
    );
  const buildS = (Date.now() - buildStart) / 1000;
  if (!reuse) {
    // Keep the build stage (its npm ci layer is the slow part) under a name, and let go of the
    // untagged layers of builds from other sources that are more than a day old: each source
    // change otherwise leaves a few hundred MB behind in podman's store.
    await podmanOk(
      [
        'build',
        '--format',
        'docker',
        '--network',
        'host',
        '--runtime',
        'runc',
        ...ULIMITS,
        ...(existsSync(CA_BUNDLE) ? ['--secret', `id=ca,src=${CA_BUNDLE}`] : []),
        '--build-arg',
        `BASE_IMAGE=${base}`,
        '--build-arg',
        'BUILD_ARCH=amd64',
        '--target',
        'build',
        '-t',
        `${IMAGE}-build`,
        '-f',
        'Dockerfile',
        '.',
      ],
      { cwd: ctx.dir, timeoutMs: 10 * 60_000 },
    );
    await podman(['image', 'prune', '-f', '--filter', 'until=24h'], { timeoutMs: 5 * 60_000 });
  }
  const inspect = JSON.parse(await podmanOk(['image', 'inspect', IMAGE]))[0] as {
    Size: number;
    Healthcheck?: { Test?: string[] };
    Config: { Entrypoint?: string[] | null; Cmd?: string[]; Labels?: Record<string, string>; Healthcheck?: { Test?: string[] } };
  };
  const sizeMB = inspect.Size / MB;
  figures.push(
    reuse ? 'build skipped (MM_IMAGE_REUSE=1)' : `build ${buildS.toFixed(0)} s (${ctx.files} files in the context)`,
    `image ${sizeMB.toFixed(0)} MB (goal <= 350 MB)`,
  );
  assert.deepEqual(inspect.Config.Entrypoint ?? [], [], "the base's s6-overlay /init is not the entrypoint");
  assert.deepEqual(inspect.Config.Cmd, ['/opt/micro-mining/addon/run.sh']);
  assert.equal(inspect.Config.Labels?.['io.hass.type'], 'app');
  assert.equal(inspect.Config.Labels?.['io.hass.version'], config.version);
  assert.equal(inspect.Config.Labels?.['io.hass.arch'], 'amd64');
  assert.match(((inspect.Healthcheck ?? inspect.Config.Healthcheck)?.Test ?? []).join(' '), /127\.0\.0\.1:8099\/health/);
  // what runs is compiled JavaScript: no TypeScript, no compiler, no tsx in the image
  const files = await podmanOk(
    [
      'run',
      '--rm',
      '--runtime',
      'runc',
      ...ULIMITS,
      '--network',
      'none',
      '--entrypoint',
      'sh',
      IMAGE,
      '-c',
      'cd /opt/micro-mining && ls dist/app/cli.js dist/hashpool/worker-entry.mjs build/wasm/kernel.wasm build/native/mm_native.node nodes/dist/micro-mining.js && ' +
        'echo "src:$(ls -d src 2>/dev/null)" && echo "tsx:$(ls -d node_modules/tsx node_modules/typescript node_modules/esbuild 2>/dev/null)" && echo "cc:$(command -v gcc g++ make python3)"',
    ],
    { timeoutMs: 120_000 },
  );
  assert.match(files, /^src:$/m, 'no TypeScript sources in the image');
  assert.match(files, /^tsx:$/m, 'no tsx, typescript or esbuild in the image');
  assert.match(files, /^cc:$/m, 'no build toolchain in the final stage');

  // ---- the Supervisor's world: a real Mosquitto, a stand-in Supervisor, /data ----------------
  const broker = await startMosquitto({ username: MQTT_USER, password: MQTT_PASSWORD });
  cleanups.push(() => broker.stop());
  const supervisor = await standInSupervisor(broker);
  const dataDir = mkdtempSync(join(tmpdir(), 'mm-image-data-'));
  cleanups.push(() => removeDir(dataDir));
  // the add-on's default options, with the hub thread allowed to mine right away
  const options = { ...config.options, policy: 'always', hub_max_load: 100, threads: 1, kernel: 'auto' };
  writeFileSync(join(dataDir, 'options.json'), JSON.stringify(options));

  // MQTT, as Home Assistant sees it
  const seen = new Map<string, string>();
  const client = mqtt.connect(broker.url, { username: MQTT_USER, password: MQTT_PASSWORD, reconnectPeriod: 500 });
  cleanups.push(() => client.endAsync(true));
  client.on('message', (topic, payload) => seen.set(topic, payload.toString()));
  await until('the test MQTT client', () => (client.connected ? true : undefined), 20_000);
  await client.subscribeAsync(['homeassistant/device/+/config', 'micro_mining/#']);

  // ---- first container ------------------------------------------------------------------------
  const name = `mm-image-test-${process.pid}`;
  const hostPort = await freePort();
  const t0 = await runContainer(name, dataDir, supervisor.port, hostPort);
  const logs = async () => (await podman(['logs', name], { timeoutMs: 30_000 })).stdout + (await podman(['logs', name], { timeoutMs: 30_000 })).stderr;
  try {
    await until(
      '/health inside the container',
      async () => {
        const r = await podman(['exec', name, 'curl', '-fsS', '--max-time', '3', 'http://127.0.0.1:8099/health'], { timeoutMs: 10_000 });
        if (r.code === 0) return true;
        const state = (await podman(['inspect', '--format', '{{.State.Status}}', name])).stdout.trim();
        if (state === 'exited') throw new Error(`the container exited:\n${(await logs()).slice(-3000)}`);
        return undefined;
      },
      240_000,
      1000,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- container log ---\n${(await logs()).slice(-4000)}`);
  }
  const startS = (Date.now() - t0) / 1000;
  figures.push(`start ${startS.toFixed(1)} s (podman run to /health answering)`);

  // the image's HEALTHCHECK, run the way podman runs it (no systemd timers here)
  const hc = await podman(['healthcheck', 'run', name], { timeoutMs: 60_000 });
  assert.equal(hc.code, 0, `podman healthcheck run: ${hc.stdout}${hc.stderr}`);
  const health = (await podman(['inspect', '--format', '{{.State.Health.Status}}', name])).stdout.trim();
  assert.equal(health, 'healthy');

  // the run entry asked the stand-in Supervisor for the broker and Core, with the token
  assert.ok(supervisor.requests.includes('/services/mqtt'), `requests: ${supervisor.requests.join(', ')}`);
  const log1 = await logs();
  assert.match(log1, /MQTT broker from the Supervisor: 10\.0\.2\.2:/);
  assert.ok(!log1.includes(TOKEN) && !log1.includes(MQTT_PASSWORD), 'no secret in the log');

  // practice shares: the accepted count goes up (practice difficulty is low: a share is certain)
  const first = await until(
    'a practice share',
    async () => {
      const s = await statusFromInside(name);
      return s.shares.accepted >= 1 ? s : undefined;
    },
    300_000,
    1000,
  );
  assert.equal(first.mode, 'practice');
  const more = await until(
    'a second practice share',
    async () => {
      const s = await statusFromInside(name);
      return s.shares.accepted > first.shares.accepted ? s : undefined;
    },
    300_000,
    1000,
  );

  // the MQTT entities on the real broker: the hub device, online, counting shares
  const device = await until(
    'the hub device config',
    () => {
      const c = seen.get('homeassistant/device/micro_mining_hub/config');
      return c
        ? (JSON.parse(c) as {
            dev?: { name?: string };
            device?: { name?: string };
            cmps?: Record<string, { unique_id?: string; state_topic?: string; p?: string }>;
            components?: Record<string, unknown>;
          })
        : undefined;
    },
    60_000,
  );
  const cmps = (device.cmps ?? device.components ?? {}) as Record<string, { unique_id?: string; state_topic?: string; p?: string }>;
  assert.ok(Object.keys(cmps).length >= 5, `components: ${Object.keys(cmps).join(', ')}`);
  const dev = (device.dev ?? device.device) as { configuration_url?: string } | undefined;
  assert.equal(dev?.configuration_url, `homeassistant://config/app/${HOSTNAME.replace(/-/g, '_')}/info`, '"Visit" opens the app\'s page');
  assert.ok(
    Object.values(cmps).every((c) => !c.p || c.unique_id),
    'every entity has a unique_id',
  );
  await until('availability online', () => (seen.get('micro_mining/availability') === 'online' ? true : undefined), 60_000);
  const sharesTopic = Object.entries(cmps).find(([k, c]) => /accepted|shares/.test(k) && c.state_topic)?.[1].state_topic;
  assert.ok(sharesTopic, 'a shares sensor');
  await until(`${sharesTopic} > 0`, () => (Number(seen.get(sharesTopic!)) > 0 ? true : undefined), 120_000);
  const st = await statusFromInside(name);
  assert.equal(st.mqttConnected, true);

  // ingress only: the status page refuses every address but the ingress proxy and loopback
  const outside = await fetch(`http://127.0.0.1:${hostPort}/health`).catch((e: Error) => e);
  assert.ok(!(outside instanceof Error), `the published port answers: ${outside instanceof Error ? outside.message : ''}`);
  assert.equal(outside.status, 403, 'a request from the host (10.0.2.2 in the container) is refused');
  const editor = await fetch(`http://127.0.0.1:${hostPort}/node-red/`);
  assert.equal(editor.status, 403, 'the Node-RED editor is not reachable from outside');
  const ownAddr = (await podmanOk(['exec', name, 'sh', '-c', "hostname -I | awk '{print $1}'"])).trim();
  assert.match(ownAddr, /^\d+\.\d+\.\d+\.\d+$/);
  const code = (
    await podmanOk(['exec', name, 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--interface', ownAddr, `http://${ownAddr}:8099/api/status`])
  ).trim();
  assert.equal(code, '403', `a request from ${ownAddr} (not the ingress proxy) is refused`);

  // RSS of every process in the container (host /proc: the container's init and its children),
  // 60 s after the start like bench:footprint (the start-up peak has passed by then)
  const settle = t0 + 60_000 - Date.now();
  if (settle > 0) await new Promise((r) => setTimeout(r, settle));
  const pid = Number((await podmanOk(['inspect', '--format', '{{.State.Pid}}', name])).trim());
  const rss = treeRss(pid);
  figures.push(
    `RSS ${(rss.bytes / MB).toFixed(0)} MB after ${((Date.now() - t0) / 1000).toFixed(0)} s (${rss.processes.map((p) => `${p.name} ${(p.rss / MB).toFixed(0)}`).join(', ')})`,
  );

  // ---- a clean stop on SIGTERM within the Supervisor's timeout --------------------------------
  const stop0 = Date.now();
  await podmanOk(['stop', '-t', String(STOP_TIMEOUT_S), name], { timeoutMs: (STOP_TIMEOUT_S + 60) * 1000 });
  const stopS = (Date.now() - stop0) / 1000;
  const exit = (await podmanOk(['inspect', '--format', '{{.State.ExitCode}}', name])).trim();
  assert.equal(exit, '0', `exit code after SIGTERM (137 would mean it was killed after ${STOP_TIMEOUT_S} s)\n${(await logs()).slice(-3000)}`);
  figures.push(`stop ${stopS.toFixed(1)} s (SIGTERM, exit ${exit}; the Supervisor kills after ${STOP_TIMEOUT_S} s)`);
  // the totals as the hub reads them (totals.bin: two checksummed slots written in place)
  const saved = (await new TotalsStore(dataDir).load()).totals;
  assert.ok(saved.sharesAccepted >= more.shares.accepted, `lifetime totals saved on stop: ${saved.sharesAccepted} >= ${more.shares.accepted}`);
  await podmanOk(['rm', name]);

  // ---- a second container on the same /data keeps the totals ---------------------------------
  const name2 = `${name}-2`;
  await runContainer(name2, dataDir, supervisor.port, await freePort());
  const again = await until("the second container's status", async () => statusFromInside(name2).catch(() => undefined), 240_000, 1000);
  assert.ok(again.bestDifficulty.allTime >= saved.bestDifficulty, `best difficulty kept: ${again.bestDifficulty.allTime} >= ${saved.bestDifficulty}`);
  await until('a share in the second container', async () => ((await statusFromInside(name2)).shares.accepted >= 1 ? true : undefined), 300_000, 1000);
  await podmanOk(['stop', '-t', String(STOP_TIMEOUT_S), name2], { timeoutMs: (STOP_TIMEOUT_S + 60) * 1000 });
  assert.equal((await podmanOk(['inspect', '--format', '{{.State.ExitCode}}', name2])).trim(), '0');
  const saved2 = (await new TotalsStore(dataDir).load()).totals;
  assert.ok(saved2.sharesAccepted > saved.sharesAccepted, `totals grow across containers: ${saved2.sharesAccepted} > ${saved.sharesAccepted}`);
  await podmanOk(['rm', name2]);

  console.log(`image figures: ${figures.join('; ')}`);
});
