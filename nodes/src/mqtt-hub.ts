// The remote side of HubApi: a Node-RED outside the hub (e.g. the community Node-RED add-on)
// talks to the hub over MQTT (topics: MQTT_TOPICS in src/flow/hub-api.ts).
import mqtt, { type MqttClient } from 'mqtt';
import type { Plan } from '../../src/schedule/index.js';
import { MQTT_TOPICS, type ControlCommand, type HubApi, type HubChange, type HubSnapshot, type HubStats, type ManualInput } from '../../src/flow/hub-api.js';

const MAX_PAYLOAD = 1 << 20;

export interface MqttHubOptions {
  url: string;
  baseTopic: string;
  username?: string;
  password?: string;
  /** the hub's bridge key (its bridge_key option): every command carries it */
  key: string;
  onState?: (state: 'connected' | 'offline' | 'hub-online' | 'hub-offline', detail?: string) => void;
  onError?: (message: string) => void;
}

export class MqttHub implements HubApi {
  readonly name: string;
  private readonly client: MqttClient;
  private last: HubSnapshot | null = null;
  private lastStats: HubStats | null = null;
  private readonly listeners = new Set<(s: HubSnapshot, c: HubChange) => void>();
  /** control commands waiting for the hub's answer, by id */
  private readonly pending = new Map<string, (m: ManualInput) => void>();
  private readonly t: Record<keyof typeof MQTT_TOPICS, string>;

  constructor(private readonly opts: MqttHubOptions) {
    const u = new URL(opts.url);
    this.name = `${u.protocol}//${u.host}`;
    const base = opts.baseTopic.replace(/\/+$/, '') || 'micro-mining';
    this.t = Object.fromEntries(Object.entries(MQTT_TOPICS).map(([k, v]) => [k, `${base}/${v}`])) as Record<keyof typeof MQTT_TOPICS, string>;
    this.client = mqtt.connect(opts.url, {
      username: opts.username || undefined,
      password: opts.password || undefined,
      reconnectPeriod: 2000,
      connectTimeout: 5000,
      clientId: `mm-nodes-${Math.random().toString(16).slice(2, 10)}`,
    });
    this.client.on('connect', () => {
      opts.onState?.('connected');
      this.client.subscribe([this.t.snapshot, this.t.change, this.t.stats, this.t.availability, this.t.controlApplied], { qos: 1 });
    });
    this.client.on('offline', () => opts.onState?.('offline'));
    this.client.on('error', (err) => opts.onError?.(`MQTT ${this.name}: ${err.message}`));
    this.client.on('message', (topic, buf) => this.onMessage(topic, buf));
  }

  private onMessage(topic: string, buf: Buffer): void {
    if (buf.length > MAX_PAYLOAD) {
      this.opts.onError?.(`MQTT ${topic}: payload of ${buf.length} bytes ignored (limit ${MAX_PAYLOAD})`);
      return;
    }
    if (topic === this.t.availability) {
      this.opts.onState?.(buf.toString() === 'online' ? 'hub-online' : 'hub-offline');
      return;
    }
    let v: unknown;
    try {
      v = JSON.parse(buf.toString('utf8'));
    } catch {
      this.opts.onError?.(`MQTT ${topic}: not JSON, ignored`);
      return;
    }
    if (!v || typeof v !== 'object') return;
    if (topic === this.t.controlApplied) {
      const a = v as { id?: unknown; manual?: ManualInput };
      const done = typeof a.id === 'string' ? this.pending.get(a.id) : undefined;
      if (done && a.manual && typeof a.manual === 'object') done(a.manual);
      return;
    }
    if (topic === this.t.snapshot) this.last = v as HubSnapshot;
    else if (topic === this.t.stats) this.lastStats = v as HubStats;
    else if (topic === this.t.change && this.last) {
      for (const l of [...this.listeners]) l(structuredClone(this.last), v as HubChange);
    }
  }

  async snapshot(): Promise<HubSnapshot> {
    if (!this.last) throw new Error(`no state from the hub yet on ${this.t.snapshot}`);
    return structuredClone(this.last);
  }

  subscribe(listener: (snapshot: HubSnapshot, change: HubChange) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Sends the plan (with the bridge key); the hub answers with the plan as applied on `bridge/plan`. */
  async applyPlan(plan: Plan): Promise<Plan> {
    await this.client.publishAsync(this.t.planSet, JSON.stringify({ key: this.opts.key, plan }), { qos: 1 });
    return plan;
  }

  async stats(): Promise<HubStats> {
    if (!this.lastStats) throw new Error(`no statistics from the hub yet on ${this.t.stats}`);
    return structuredClone(this.lastStats);
  }

  /**
   * Sends the command (with the bridge key) and returns the manual state as the hub applied it
   * (e.g. a thread cap clamped to the hub's threads), from the hub's answer on bridge/control/applied (by id); after
   * 5 s without one (a wrong key: the hub refuses and says so in its log), the last known state.
   */
  async control(cmd: ControlCommand): Promise<ManualInput> {
    const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    const applied = new Promise<ManualInput | null>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(null);
      }, 5000);
      this.pending.set(id, (m) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(m);
      });
    });
    // on the bridge `id` is this request's id: a worker's switch names the worker as `worker`
    const body = cmd.action === 'worker' ? { action: 'worker', worker: cmd.id, on: cmd.on } : cmd;
    await this.client.publishAsync(this.t.controlSet, JSON.stringify({ key: this.opts.key, id, ...body }), { qos: 1 });
    return (await applied) ?? { ...(this.last?.manual ?? {}) };
  }

  async close(): Promise<void> {
    this.listeners.clear();
    for (const done of [...this.pending.values()]) done({ ...(this.last?.manual ?? {}) });
    await this.client.endAsync(true);
  }
}
