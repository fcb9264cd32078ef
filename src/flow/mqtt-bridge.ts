// The hub side of the MQTT bridge: a Node-RED outside the hub (e.g. the community Node-RED
// add-on, with this package installed) reaches the hub's HubApi over MQTT. Topics: MQTT_TOPICS.
// The bridge is off unless the hub has a bridge key (bridge_key): every command must carry it
// (`{"key": "…", …}`), compared in constant time; a command without it is refused with one
// rate-limited log line. What arrives is bounded and validated; values are clamped to what the
// hub has, and what is published back is what was applied.
import { createHash, timingSafeEqual } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { z } from 'zod';
import { logger, redactUrl, type Logger } from '../log.js';
import { parsePlan } from '../schedule/index.js';
import { MQTT_TOPICS, type ControlCommand, type HubApi, type HubChange, type HubSnapshot } from './hub-api.js';

const MAX_PAYLOAD = 256 * 1024;
/** at most one log line per this many ms about refused keys (with the count since the last) */
const KEY_LOG_MS = 60_000;
export const MIN_BRIDGE_KEY = 16;

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time check of a presented key (any type) against the bridge key. */
export function keyMatches(presented: unknown, key: string): boolean {
  if (typeof presented !== 'string') return false;
  return timingSafeEqual(digest(presented), digest(key));
}

const controlSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('start') }).strict(),
  z.object({ action: z.literal('stop') }).strict(),
  z.object({ action: z.literal('threads'), threads: z.number().int().min(0).max(1024).nullable() }).strict(),
  z.object({ action: z.literal('policy'), mode: z.enum(['always', 'idle_only', 'surplus']).nullable() }).strict(),
  // a worker's own Mining switch (as in HA): work allowed or not (`worker`: on the bridge `id` is
  // the request's own id, answered on control/applied)
  z
    .object({ action: z.literal('worker'), worker: z.string().min(1).max(200), on: z.boolean() })
    .strict()
    .transform((c) => ({ action: 'worker' as const, id: c.worker, on: c.on })),
]);

/** Checks a control command from the bridge; returns it, or a message naming what is wrong. */
export function parseControl(v: unknown): { ok: true; value: ControlCommand } | { ok: false; error: string } {
  const r = controlSchema.safeParse(v);
  if (r.success) return { ok: true, value: r.data };
  const i = r.error.issues[0];
  return { ok: false, error: `bad control command: ${i.path.join('.') || '(root)'}: ${i.message}` };
}

export interface MqttHubBridgeOptions {
  hub: HubApi;
  url: string;
  username?: string;
  password?: string;
  /** the shared key every command must carry (bridge_key; 16+ characters) */
  key: string;
  /** default `micro-mining` */
  baseTopic?: string;
  /** how often statistics are published, ms (default 5000) */
  statsMs?: number;
  logger?: Logger;
}

export interface MqttHubBridgeStats {
  snapshots: number;
  plansApplied: number;
  controlsApplied: number;
  rejected: number;
  /** commands refused for a missing or wrong key (also counted in rejected) */
  refusedKey: number;
}

export class MqttHubBridge {
  readonly topics: Record<keyof typeof MQTT_TOPICS, string>;
  readonly counters: MqttHubBridgeStats = { snapshots: 0, plansApplied: 0, controlsApplied: 0, rejected: 0, refusedKey: 0 };
  private keyLog = { at: 0, since: 0 };
  private client: MqttClient | null = null;
  private unsubscribe: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly log: Logger;

  constructor(private readonly opts: MqttHubBridgeOptions) {
    const base = (opts.baseTopic ?? 'micro-mining').replace(/\/+$/, '') || 'micro-mining';
    if (/[+#]/.test(base)) throw new Error(`bridge base topic "${base}" must not contain + or #`);
    if (typeof opts.key !== 'string' || opts.key.length < MIN_BRIDGE_KEY)
      throw new Error(`the MQTT bridge needs a key of at least ${MIN_BRIDGE_KEY} characters (bridge_key)`);
    this.topics = Object.fromEntries(Object.entries(MQTT_TOPICS).map(([k, v]) => [k, `${base}/${v}`])) as Record<keyof typeof MQTT_TOPICS, string>;
    this.log = opts.logger ?? logger('mqtt-bridge');
  }

  async start(): Promise<void> {
    const t = this.topics;
    const client = mqtt.connect(this.opts.url, {
      username: this.opts.username || undefined,
      password: this.opts.password || undefined,
      reconnectPeriod: 2000,
      connectTimeout: 10_000,
      clientId: `mm-bridge-${Math.random().toString(16).slice(2, 10)}`,
      will: { topic: t.availability, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    this.client = client;
    client.on('error', (err) => this.log.warn({ err: err.message }, 'bridge MQTT error'));
    client.on('message', (topic, buf, packet) => void this.onMessage(topic, buf, packet.retain));
    client.on('connect', () => {
      void (async () => {
        try {
          await client.subscribeAsync([t.planSet, t.controlSet], { qos: 1 });
          await client.publishAsync(t.availability, 'online', { qos: 1, retain: true });
          await this.publishSnapshot(null);
          await this.publishStats();
        } catch (err) {
          this.log.warn({ err: (err as Error).message }, 'bridge: could not announce the hub');
        }
      })();
    });
    await new Promise<void>((resolve, reject) => {
      const timeout = setTimeout(() => reject(new Error(`MQTT bridge: no connection to ${redactUrl(this.opts.url)} within 10 s`)), 10_000);
      client.once('connect', () => {
        clearTimeout(timeout);
        resolve();
      });
    }).catch(async (err) => {
      await client.endAsync(true);
      this.client = null;
      throw err;
    });
    this.unsubscribe = this.opts.hub.subscribe((snap, change) => void this.publishSnapshot(snap, change));
    this.timer = setInterval(() => void this.publishStats(), this.opts.statsMs ?? 5000);
    this.timer.unref();
    this.log.info({ url: redactUrl(this.opts.url), base: t.availability.replace(/\/bridge\/availability$/, '') }, 'MQTT bridge for external Node-RED flows');
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const c = this.client;
    this.client = null;
    if (!c) return;
    if (c.connected) {
      await Promise.race([c.publishAsync(this.topics.availability, 'offline', { qos: 1, retain: true }), new Promise((r) => setTimeout(r, 500))]).catch(
        () => {},
      );
    }
    await c.endAsync(true);
  }

  private async publishSnapshot(snap: HubSnapshot | null, change?: HubChange): Promise<void> {
    const c = this.client;
    if (!c?.connected) return;
    try {
      const s = snap ?? (await this.opts.hub.snapshot());
      await c.publishAsync(this.topics.snapshot, JSON.stringify(s), { qos: 1, retain: true });
      this.counters.snapshots++;
      if (change) await c.publishAsync(this.topics.change, JSON.stringify(change), { qos: 1 });
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'bridge: snapshot not published');
    }
  }

  private async publishStats(): Promise<void> {
    const c = this.client;
    if (!c?.connected) return;
    try {
      await c.publishAsync(this.topics.stats, JSON.stringify(await this.opts.hub.stats()), { qos: 1, retain: true });
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'bridge: statistics not published');
    }
  }

  /** Counts a refused command; logs the first at once, then at most one line a minute with the count. */
  private refuseKey(topic: string, why: string): void {
    this.counters.rejected++;
    this.counters.refusedKey++;
    const now = Date.now();
    this.keyLog.since++;
    if (this.keyLog.at && now - this.keyLog.at < KEY_LOG_MS) return;
    const n = this.keyLog.since;
    this.keyLog = { at: now, since: 0 };
    this.log.warn(
      { topic, refused: n },
      `bridge: command with ${why} refused${n > 1 ? ` (${n} refused since the last such line)` : ''}; the sender needs the hub's bridge_key`,
    );
  }

  private async onMessage(topic: string, buf: Buffer, retained: boolean): Promise<void> {
    const reject = (why: string) => {
      this.counters.rejected++;
      this.log.warn({ topic, bytes: buf.length }, `bridge: ${why}; ignored`);
    };
    if (retained) return reject('a retained command (stale) is never obeyed');
    if (buf.length > MAX_PAYLOAD) return reject(`payload of ${buf.length} bytes is over ${MAX_PAYLOAD}`);
    let v: unknown;
    try {
      v = JSON.parse(buf.toString('utf8'));
    } catch {
      v = undefined;
    }
    // the key first: a message without it says nothing more to the hub (not even "not JSON")
    const o = v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
    if (!o || !keyMatches(o.key, this.opts.key)) return this.refuseKey(topic, o ? ('key' in o ? 'a wrong key' : 'no key') : 'no key (not a JSON object)');
    const { key: _key, id, ...body } = o;
    try {
      if (topic === this.topics.planSet) {
        const p = parsePlan('plan' in body && Object.keys(body).length === 1 ? body.plan : body);
        if (!p.ok) return reject(p.error);
        const applied = await this.opts.hub.applyPlan(p.value);
        this.counters.plansApplied++;
        await this.client?.publishAsync(this.topics.plan, JSON.stringify(applied), { qos: 1, retain: true });
      } else if (topic === this.topics.controlSet) {
        const cmd = parseControl(body);
        if (!cmd.ok) return reject(cmd.error);
        const manual = await this.opts.hub.control(cmd.value);
        this.counters.controlsApplied++;
        if (typeof id === 'string' && id.length <= 64) await this.client?.publishAsync(this.topics.controlApplied, JSON.stringify({ id, manual }), { qos: 1 });
        // the state as applied (a thread cap clamped to the hub's threads) goes out at once
        await this.publishStats();
      }
    } catch (err) {
      this.log.error({ err: (err as Error).message, topic }, 'bridge: applying failed');
    }
  }
}
