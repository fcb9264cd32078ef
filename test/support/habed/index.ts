// The Home Assistant test bed: a real HA Core (pinned, from PyPI, in a Debian forky root for its
// Python 3.14) on a loopback port, onboarded through HA's own API, optionally with a real
// Mosquitto and HA's MQTT integration so tests can announce devices with entities.
// See README.md beside this file.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { GroupProcess, freePort, sleep, waitForPort } from './procs.js';
import { startMosquitto, type HabedMosquitto } from './mosquitto.js';
import { connectHaWs, type HaWsClient } from './wsclient.js';

export { connectHaWs, type HaWsClient } from './wsclient.js';
export { startMosquitto, type HabedMosquitto } from './mosquitto.js';
export { freePort } from './procs.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The pinned versions (versions.env beside this file). */
export function habedVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(HERE, 'versions.env'), 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=("?)(.*)\2$/.exec(line.trim());
    if (m) out[m[1]] = m[3];
  }
  return out;
}

export const HA_VERSION = habedVersions().HA_VERSION;

/**
 * Provisions the test bed if it is not cached yet (slow the first time: a Debian root and HA
 * from PyPI, about a minute or two; instant when cached) and returns the root directory.
 */
export function provisionHaTestBed(): string {
  const r = spawnSync('bash', [join(HERE, 'provision.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 30 * 60_000 });
  if (r.status !== 0) throw new Error(`test bed provisioning failed (exit ${r.status ?? r.signal}); see the lines above`);
  const root = r.stdout.trim().split('\n').pop() ?? '';
  if (!existsSync(join(root, 'opt/ha/bin/python'))) throw new Error(`provisioning printed ${root}, which holds no HA venv`);
  return root;
}

export interface HaTestBedOptions {
  /** Start Mosquitto and set up HA's MQTT integration against it (default true). */
  mqtt?: boolean;
  /** Extra configuration.yaml text appended to the generated one. */
  extraConfig?: string;
  /** Keep the instance directory (config, logs) after stop(), for debugging. */
  keep?: boolean;
  /** Milliseconds to wait for HA to start (default 120 s). */
  startTimeoutMs?: number;
}

export interface MqttEntitySpec {
  /** MQTT platform: sensor, binary_sensor, switch, vacuum, … */
  component: string;
  /** Unique within the device; becomes part of unique_id and the topics. */
  key: string;
  name?: string | null;
  deviceClass?: string;
  unit?: string;
  /** Extra discovery fields (merged last). */
  extra?: Record<string, unknown>;
}

export interface MqttDeviceSpec {
  /** Unique id of the device (identifiers[0]). */
  id: string;
  name: string;
  manufacturer?: string;
  model?: string;
  /** Device connections, e.g. [['mac', 'aa:bb:cc:dd:ee:ff']]. */
  connections?: [string, string][];
  entities: MqttEntitySpec[];
}

export interface AnnouncedDevice {
  deviceId: string;
  /** entity_id per entity key. */
  entityIds: Record<string, string>;
  /** State topic per entity key. */
  stateTopics: Record<string, string>;
}

export interface HaTestBed {
  readonly url: string;
  readonly wsUrl: string;
  readonly port: number;
  /** A long-lived access token of the owner user. */
  readonly token: string;
  /** The owner's login for HA's own frontend (username `habed`, a random password per instance). */
  readonly username: string;
  readonly password: string;
  readonly version: string;
  /** Host path of the HA config directory. */
  readonly configDir: string;
  /** Mosquitto, when started. */
  readonly mqtt?: HabedMosquitto;
  /** REST call with the token; throws on a non-2xx answer with HA's message. */
  rest<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** A new authenticated websocket client (close it yourself). */
  ws(): Promise<HaWsClient>;
  /** One websocket command on a shared client. */
  call<T = unknown>(type: string, data?: Record<string, unknown>): Promise<T>;
  /** Writes a state into HA's state machine (POST /api/states/<id>). */
  setState(entityId: string, state: string, attributes?: Record<string, unknown>): Promise<void>;
  callService(domain: string, service: string, data?: Record<string, unknown>): Promise<unknown>;
  /** Sets up HA's MQTT integration against a broker (done by start when opts.mqtt). */
  addMqttIntegration(host: string, port: number): Promise<string>;
  /** Announces a device through MQTT discovery and waits until HA registered all its entities. */
  announceDevice(spec: MqttDeviceSpec): Promise<AnnouncedDevice>;
  /** Publishes an entity's state on its state topic (retained). */
  publishState(deviceIdOrSpec: string, key: string, value: string): Promise<void>;
  /** Resolves with the entity's state once HA reports the wanted state (or any state when omitted). */
  waitState(entityId: string, state?: string, timeoutMs?: number): Promise<{ state: string; attributes: Record<string, unknown>; last_updated: string }>;
  /** Publishes anything to the test bed's broker. */
  publish(topic: string, payload: string, retain?: boolean): Promise<void>;
  /** Removes an announced device (empty discovery configs) and waits until HA dropped it. */
  removeDevice(spec: MqttDeviceSpec): Promise<void>;
  /** Creates an area (or returns the existing one's id). */
  ensureArea(name: string): Promise<string>;
  ensureLabel(name: string): Promise<string>;
  /** Updates a device registry entry (area_id, labels, name_by_user, …). */
  updateDevice(deviceId: string, changes: Record<string, unknown>): Promise<void>;
  updateEntity(entityId: string, changes: Record<string, unknown>): Promise<void>;
  /** Stops HA (whole process group) and starts it again on the same port and config. */
  restart(): Promise<void>;
  /** Stops HA and Mosquitto; leaves no process; removes the instance directory unless keep. */
  stop(): Promise<void>;
  /** The last lines of HA's output. */
  logTail(lines?: number): string;
}

const HOST = '127.0.0.1';
const CLIENT_ID = () => `http://${HOST}/`;

function configYaml(port: number, extra: string): string {
  return `# generated by the micro-mining test bed
homeassistant:
  name: Habed
  latitude: 52.52
  longitude: 13.40
  elevation: 34
  unit_system: metric
  time_zone: UTC
  currency: EUR
  country: DE
  internal_url: http://${HOST}:${port}
http:
  server_host: ${HOST}
  server_port: ${port}
logger:
  default: warning
api:
config:
input_boolean:
  habed_flag:
    name: Habed flag
input_number:
  habed_watts:
    name: Habed watts
    min: 0
    max: 5000
    step: 1
    unit_of_measurement: W
${extra}
`;
}

class Bed implements HaTestBed {
  url: string;
  wsUrl: string;
  token = '';
  readonly username = 'habed';
  readonly password = randomBytes(12).toString('hex');
  version: string;
  configDir: string;
  mqtt?: HabedMosquitto;
  private proc?: GroupProcess;
  private shared?: HaWsClient;
  private mqttClient?: MqttClient;
  private readonly topics = new Map<string, string>();

  constructor(
    readonly root: string,
    readonly port: number,
    private readonly instanceDir: string,
    private readonly opts: HaTestBedOptions,
  ) {
    this.url = `http://${HOST}:${port}`;
    this.wsUrl = `ws://${HOST}:${port}/api/websocket`;
    this.configDir = join(instanceDir, 'config');
    this.version = readFileSync(join(root, 'opt/ha/version'), 'utf8').trim();
  }

  /** Inside-the-root path of the config dir. */
  private get chrootConfigDir(): string {
    return this.configDir.slice(this.root.length);
  }

  async launch(): Promise<void> {
    // A private mount namespace: /proc is mounted for HA and vanishes with it (no leftover mounts).
    const script = 'mount -t proc proc "$0/proc" && exec chroot "$0" /opt/ha/bin/python -m homeassistant --skip-pip -c "$1"';
    const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C.UTF-8', TZ: 'UTC' };
    this.proc = new GroupProcess(
      'unshare',
      ['--mount', '--propagation', 'private', '--', 'sh', '-c', script, this.root, this.chrootConfigDir],
      join(this.instanceDir, 'ha.out'),
      env,
    );
    const timeout = this.opts.startTimeoutMs ?? 120_000;
    await waitForPort(HOST, this.port, timeout, () => this.proc?.alive ?? false).catch((err) => {
      throw new Error(`HA did not open ${HOST}:${this.port}: ${(err as Error).message}\n${this.logTail()}`);
    });
  }

  private async fetchJson(
    method: string,
    path: string,
    body: unknown,
    token: string | undefined,
    form = false,
  ): Promise<{ status: number; json: unknown; text: string }> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      if (form) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        payload = new URLSearchParams(body as Record<string, string>).toString();
      } else {
        headers['content-type'] = 'application/json';
        payload = JSON.stringify(body);
      }
    }
    const res = await fetch(this.url + path, { method, headers, body: payload, signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text };
  }

  async rest<T>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.fetchJson(method, path, body, this.token);
    if (r.status < 200 || r.status >= 300) throw new Error(`HA ${method} ${path}: ${r.status} ${r.text.slice(0, 300)}`);
    return r.json as T;
  }

  /** Waits until HA reports RUNNING (GET /api/config). */
  async waitRunning(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      if (!this.proc?.alive) throw new Error(`HA exited while starting\n${this.logTail()}`);
      try {
        const r = await this.fetchJson('GET', '/api/config', undefined, this.token);
        const state = (r.json as { state?: string } | undefined)?.state;
        if (r.status === 200 && state === 'RUNNING') return;
        last = `${r.status} ${state ?? r.text.slice(0, 100)}`;
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(250);
    }
    throw new Error(`HA not RUNNING after ${timeoutMs} ms (last: ${last})\n${this.logTail()}`);
  }

  /** Onboarding through HA's own API: user, token exchange, core config, analytics, integration; then a long-lived token. */
  async onboard(): Promise<void> {
    const deadline = Date.now() + 120_000;
    // The onboarding views answer once http and onboarding are set up.
    for (;;) {
      const r = await this.fetchJson('GET', '/api/onboarding', undefined, undefined).catch(() => undefined);
      if (r?.status === 200) break;
      if (Date.now() > deadline) throw new Error(`onboarding API never answered\n${this.logTail()}`);
      if (!this.proc?.alive) throw new Error(`HA exited before onboarding\n${this.logTail()}`);
      await sleep(250);
    }
    const user = await this.fetchJson(
      'POST',
      '/api/onboarding/users',
      { client_id: CLIENT_ID(), name: 'Habed Owner', username: this.username, password: this.password, language: 'en' },
      undefined,
    );
    if (user.status !== 200) throw new Error(`onboarding user step: ${user.status} ${user.text}`);
    const code = (user.json as { auth_code: string }).auth_code;
    const tok = await this.fetchJson('POST', '/auth/token', { grant_type: 'authorization_code', code, client_id: CLIENT_ID() }, undefined, true);
    if (tok.status !== 200) throw new Error(`token exchange: ${tok.status} ${tok.text}`);
    const access = (tok.json as { access_token: string }).access_token;
    for (const [path, body] of [
      ['/api/onboarding/core_config', undefined],
      ['/api/onboarding/analytics', undefined],
      ['/api/onboarding/integration', { client_id: CLIENT_ID(), redirect_uri: `${CLIENT_ID()}?auth_callback=1` }],
    ] as const) {
      const r = await this.fetchJson('POST', path, body ?? {}, access);
      if (r.status !== 200) throw new Error(`onboarding ${path}: ${r.status} ${r.text}`);
    }
    const ws = await connectHaWs(this.wsUrl, access);
    try {
      this.token = await ws.call<string>('auth/long_lived_access_token', { client_name: 'micro-mining test bed', lifespan: 30 });
      // HA 2026.11 takes the `http:` settings of configuration.yaml (our loopback port) as a
      // trial: unconfirmed, it reverts to port 8123 on all addresses and restarts after 5
      // minutes, and the frontend asks to confirm. The owner confirms them here.
      await ws.call('http/config/promote').catch((err: Error) => {
        if (!/no pending/i.test(err.message)) throw new Error(`confirming the HTTP settings: ${err.message}`);
      });
    } finally {
      await ws.close();
    }
    writeFileSync(join(this.instanceDir, 'token'), this.token, { mode: 0o600 });
  }

  async ws(): Promise<HaWsClient> {
    return connectHaWs(this.wsUrl, this.token);
  }

  async call<T>(type: string, data?: Record<string, unknown>): Promise<T> {
    if (!this.shared) this.shared = await this.ws();
    try {
      return await this.shared.call<T>(type, data);
    } catch (err) {
      if ((err as Error).message === 'HA websocket closed') {
        this.shared = await this.ws();
        return this.shared.call<T>(type, data);
      }
      throw err;
    }
  }

  async setState(entityId: string, state: string, attributes: Record<string, unknown> = {}): Promise<void> {
    await this.rest('POST', `/api/states/${entityId}`, { state, attributes });
  }

  callService(domain: string, service: string, data: Record<string, unknown> = {}): Promise<unknown> {
    return this.rest('POST', `/api/services/${domain}/${service}`, data);
  }

  async addMqttIntegration(host: string, port: number): Promise<string> {
    const flow = await this.rest<{ flow_id: string; type: string; step_id?: string; result?: { entry_id: string } }>(
      'POST',
      '/api/config/config_entries/flow',
      { handler: 'mqtt', show_advanced_options: false },
    );
    let step = flow;
    for (let i = 0; i < 4 && step.type !== 'create_entry'; i++) {
      if (step.type !== 'form') throw new Error(`MQTT config flow: unexpected ${JSON.stringify(step).slice(0, 300)}`);
      step = await this.rest(
        'POST',
        `/api/config/config_entries/flow/${flow.flow_id}`,
        step.step_id === 'broker' ? { broker: host, port, other_settings: { set_client_cert: false, set_ca_cert: 'off', transport: 'tcp' } } : {},
      );
    }
    if (step.type !== 'create_entry' || !step.result) throw new Error(`MQTT config flow did not create an entry: ${JSON.stringify(step).slice(0, 300)}`);
    // Wait for the integration to be connected (its entry is loaded).
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const entries = await this.call<{ entry_id: string; state: string }[]>('config_entries/get', { domain: 'mqtt' });
      if (entries.some((e) => e.entry_id === step.result!.entry_id && e.state === 'loaded')) return step.result.entry_id;
      await sleep(200);
    }
    throw new Error('MQTT integration did not load');
  }

  private async mqttc(): Promise<MqttClient> {
    if (!this.mqtt) throw new Error('this test bed was started without MQTT');
    if (!this.mqttClient) this.mqttClient = await mqtt.connectAsync(this.mqtt.url, { reconnectPeriod: 500, connectTimeout: 5_000 });
    return this.mqttClient;
  }

  async publish(topic: string, payload: string, retain = true): Promise<void> {
    const c = await this.mqttc();
    await c.publishAsync(topic, payload, { retain, qos: 1 });
  }

  private async entityRegistry(): Promise<{ entity_id: string; unique_id: string; platform: string; device_id: string | null }[]> {
    return this.call('config/entity_registry/list');
  }

  async announceDevice(spec: MqttDeviceSpec): Promise<AnnouncedDevice> {
    const device: Record<string, unknown> = { identifiers: [spec.id], name: spec.name };
    if (spec.manufacturer) device.manufacturer = spec.manufacturer;
    if (spec.model) device.model = spec.model;
    if (spec.connections) device.connections = spec.connections;
    const stateTopics: Record<string, string> = {};
    for (const e of spec.entities) {
      const stateTopic = `habed/${spec.id}/${e.key}/state`;
      stateTopics[e.key] = stateTopic;
      this.topics.set(`${spec.id}/${e.key}`, stateTopic);
      const cfg: Record<string, unknown> = { unique_id: `${spec.id}_${e.key}`, name: e.name === undefined ? e.key : e.name, state_topic: stateTopic, device };
      if (e.deviceClass) cfg.device_class = e.deviceClass;
      if (e.unit) cfg.unit_of_measurement = e.unit;
      if (e.component === 'switch') cfg.command_topic = `habed/${spec.id}/${e.key}/set`;
      Object.assign(cfg, e.extra ?? {});
      await this.publish(`homeassistant/${e.component}/${spec.id}/${e.key}/config`, JSON.stringify(cfg));
    }
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const reg = await this.entityRegistry();
      const entityIds: Record<string, string> = {};
      let deviceId = '';
      for (const e of spec.entities) {
        const hit = reg.find((r) => r.platform === 'mqtt' && r.unique_id === `${spec.id}_${e.key}`);
        if (hit) {
          entityIds[e.key] = hit.entity_id;
          deviceId = hit.device_id ?? deviceId;
        }
      }
      if (Object.keys(entityIds).length === spec.entities.length && deviceId) return { deviceId, entityIds, stateTopics };
      await sleep(100);
    }
    throw new Error(`HA did not register device ${spec.id} within 20 s`);
  }

  async publishState(deviceId: string, key: string, value: string): Promise<void> {
    const topic = this.topics.get(`${deviceId}/${key}`) ?? `habed/${deviceId}/${key}/state`;
    await this.publish(topic, value, true);
  }

  async waitState(entityId: string, state?: string, timeoutMs = 10_000): Promise<{ state: string; attributes: Record<string, unknown>; last_updated: string }> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      const r = await this.fetchJson('GET', `/api/states/${entityId}`, undefined, this.token);
      const st = r.json as { state: string; attributes: Record<string, unknown>; last_updated: string } | undefined;
      if (r.status === 200 && st && (state === undefined || st.state === state)) return st;
      last = r.status === 200 && st ? st.state : String(r.status);
      await sleep(50);
    }
    throw new Error(`${entityId} did not reach state ${state ?? '(any)'} within ${timeoutMs} ms (last: ${last})`);
  }

  async removeDevice(spec: MqttDeviceSpec): Promise<void> {
    for (const e of spec.entities) await this.publish(`homeassistant/${e.component}/${spec.id}/${e.key}/config`, '', true);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const reg = await this.entityRegistry();
      if (!reg.some((r) => r.platform === 'mqtt' && r.unique_id.startsWith(`${spec.id}_`))) return;
      await sleep(100);
    }
    throw new Error(`HA did not drop device ${spec.id} within 20 s`);
  }

  async ensureArea(name: string): Promise<string> {
    const areas = await this.call<{ area_id: string; name: string }[]>('config/area_registry/list');
    const hit = areas.find((a) => a.name === name);
    if (hit) return hit.area_id;
    const created = await this.call<{ area_id: string }>('config/area_registry/create', { name });
    return created.area_id;
  }

  async ensureLabel(name: string): Promise<string> {
    const labels = await this.call<{ label_id: string; name: string }[]>('config/label_registry/list');
    const hit = labels.find((a) => a.name === name);
    if (hit) return hit.label_id;
    const created = await this.call<{ label_id: string }>('config/label_registry/create', { name });
    return created.label_id;
  }

  async updateDevice(deviceId: string, changes: Record<string, unknown>): Promise<void> {
    await this.call('config/device_registry/update', { device_id: deviceId, ...changes });
  }

  async updateEntity(entityId: string, changes: Record<string, unknown>): Promise<void> {
    await this.call('config/entity_registry/update', { entity_id: entityId, ...changes });
  }

  private async closeClients(): Promise<void> {
    const shared = this.shared;
    this.shared = undefined;
    await shared?.close();
  }

  async restart(): Promise<void> {
    await this.closeClients();
    await this.proc?.stop();
    await this.launch();
    await this.waitRunning(this.opts.startTimeoutMs ?? 120_000);
  }

  async stop(): Promise<void> {
    await this.closeClients();
    const m = this.mqttClient;
    this.mqttClient = undefined;
    await m?.endAsync(true).catch(() => undefined);
    await this.proc?.stop();
    await this.mqtt?.stop();
    if (!this.opts.keep) rmSync(this.instanceDir, { recursive: true, force: true });
  }

  logTail(lines = 60): string {
    return this.proc?.tail(lines) ?? '';
  }
}

/**
 * Starts a fresh HA (own config directory, free loopback port), onboards it and returns the
 * handle. Provisions the test bed first if needed. Share one per test file: HA takes a while
 * to start. Always call stop() (in an after() hook).
 */
export async function startHaTestBed(opts: HaTestBedOptions = {}): Promise<HaTestBed> {
  const root = provisionHaTestBed();
  const instanceDir = join(root, 'habed', `${process.pid}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`);
  mkdirSync(join(instanceDir, 'config'), { recursive: true });
  const port = await freePort(HOST);
  writeFileSync(join(instanceDir, 'config', 'configuration.yaml'), configYaml(port, opts.extraConfig ?? ''));
  const bed = new Bed(root, port, instanceDir, opts);
  try {
    if (opts.mqtt !== false) bed.mqtt = await startMosquitto();
    await bed.launch();
    await bed.onboard();
    await bed.waitRunning(opts.startTimeoutMs ?? 120_000);
    if (bed.mqtt) await bed.addMqttIntegration(bed.mqtt.host, bed.mqtt.port);
    return bed;
  } catch (err) {
    const tail = bed.logTail();
    await bed.stop().catch(() => undefined);
    if (tail && !(err as Error).message.includes(tail.slice(-200))) (err as Error).message += `\n--- HA output ---\n${tail}`;
    throw err;
  }
}
