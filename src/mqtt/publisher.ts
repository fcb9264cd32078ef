// The MQTT adapter: publishes the entity model as HA device discovery, keeps states current,
// answers HA's birth message, clears what it published before and no longer has, and turns
// command messages into MinerCommand events.
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { logger, redactUrl } from '../log.js';
import { parseCommand } from './commands.js';
import {
  buildModel,
  COMMAND_KEYS,
  DEFAULT_ENTITY_OPTIONS,
  PAYLOAD_AVAILABLE,
  PAYLOAD_NOT_AVAILABLE,
  PAYLOAD_OFF,
  PAYLOAD_ON,
  stateTopicsOf,
  topics,
  validateEntityOptions,
  workerSlug,
  type CommandKey,
  type DeviceDoc,
  type EntityOptions,
  type Model,
  type Topics,
} from './entities.js';
import type { MinerCommand, MinerSnapshot } from './types.js';

const log = logger('mqtt');

export interface MqttEntitiesOptions extends Partial<EntityOptions> {
  /** mqtt://host:port, mqtts://…, ws://… (credentials may be in the URL or given below). */
  url: string;
  username?: string;
  password?: string;
  clientId?: string;
  /** HA's status topic (birth/last will), default `<discoveryPrefix>/status`. */
  statusTopic?: string;
  /** Random delay before replaying configs after HA's birth message, ms (default [500, 2500]). */
  birthDelayMs?: [number, number];
  /** Quiet period that ends the read-back of our retained configs at start, ms (default 300, bounded to 3 s total). */
  readBackQuietMs?: number;
  /** First connection must succeed within this, ms (default 10 s). */
  connectTimeoutMs?: number;
  /** Reconnect interval after a lost connection, ms (default 2 s). */
  reconnectPeriodMs?: number;
  /** Called with every valid command; the lead applies it to the miner and calls update(). */
  onCommand: (command: MinerCommand) => void | Promise<void>;
  /** How long a command handler may take before the state is re-published anyway, ms (default 1 s). */
  commandTimeoutMs?: number;
}

/** Largest retained discovery payload read back at start (larger ones are not ours). */
const MAX_READBACK_BYTES = 256 * 1024;
const MAX_READBACK_TOTAL_MS = 3000;
/** The shapes of the state topics the hub publishes, below its base topic (commands end in /set: never). */
const OWN_HUB_STATE = /^hub\/[a-z0-9_]{1,64}$/;
const OWN_WORKER_STATE = /^worker\/[a-z0-9_]{1,64}\/[a-z0-9_]{1,64}$/;

export interface MqttEntitiesStats {
  configsPublished: number;
  configsCleared: number;
  statesPublished: number;
  commandsAccepted: number;
  commandsRejected: number;
  birthReplays: number;
}

export class MqttEntities {
  readonly options: EntityOptions;
  readonly topics: Topics;
  readonly statusTopic: string;
  readonly stats: MqttEntitiesStats = { configsPublished: 0, configsCleared: 0, statesPublished: 0, commandsAccepted: 0, commandsRejected: 0, birthReplays: 0 };
  private client?: MqttClient;
  private snapshot?: MinerSnapshot;
  private model?: Model;
  /** Device config topic -> JSON last published (or found retained at start). */
  private readonly configs = new Map<string, string>();
  /** State topic -> payload last published. */
  private readonly states = new Map<string, string>();
  private chain: Promise<void> = Promise.resolve();
  private birthTimer?: NodeJS.Timeout;
  private stopped = false;
  private started = false;

  constructor(private readonly opts: MqttEntitiesOptions) {
    this.options = validateEntityOptions({
      discoveryPrefix: opts.discoveryPrefix ?? DEFAULT_ENTITY_OPTIONS.discoveryPrefix,
      nodeId: opts.nodeId ?? DEFAULT_ENTITY_OPTIONS.nodeId,
      baseTopic: opts.baseTopic ?? opts.nodeId ?? DEFAULT_ENTITY_OPTIONS.baseTopic,
      hubName: opts.hubName ?? DEFAULT_ENTITY_OPTIONS.hubName,
      swVersion: opts.swVersion ?? DEFAULT_ENTITY_OPTIONS.swVersion,
      supportUrl: opts.supportUrl,
      configurationUrl: opts.configurationUrl,
    });
    this.topics = topics(this.options);
    this.statusTopic = opts.statusTopic ?? `${this.options.discoveryPrefix}/status`;
    if (/[#+]/.test(this.statusTopic)) throw new Error(`mqtt statusTopic "${this.statusTopic}": no wildcards`);
  }

  /** Connects, reads back our retained configs, publishes the snapshot's configs and states. */
  async start(initial: MinerSnapshot): Promise<void> {
    if (this.started) throw new Error('MqttEntities already started');
    this.started = true;
    this.snapshot = initial;
    const client = await this.connect();
    this.client = client;
    const retained = await this.readBack(client);
    for (const [topic, payload] of retained) this.configs.set(topic, payload);
    client.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet.retain));
    client.on('connect', () => {
      // A reconnect: the broker may have lost our retained messages (no persistence): send all again.
      log.info({ url: redactUrl(this.opts.url) }, 'reconnected to the MQTT broker');
      this.enqueue(() => this.replay(true));
    });
    await client.publishAsync(this.topics.availability, PAYLOAD_AVAILABLE, { qos: 1, retain: true });
    await this.enqueue(() => this.publishModel(initial, false));
    await client.subscribeAsync([this.statusTopic, ...COMMAND_KEYS.map((k) => this.topics.hubCommand(k)), this.topics.workerCommand('+', 'mining')], { qos: 1 });
    log.info({ url: redactUrl(this.opts.url), devices: 1 + initial.workers.length, prefix: this.options.discoveryPrefix }, 'MQTT entities published');
  }

  /** Publishes what changed since the last snapshot (configs only when they change). */
  update(snapshot: MinerSnapshot): Promise<void> {
    this.snapshot = snapshot;
    if (!this.client || this.stopped) return Promise.resolve();
    return this.enqueue(() => this.publishModel(snapshot, false));
  }

  /** Marks the entities unavailable (retained), disconnects; no timer or socket is left. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.birthTimer);
    const client = this.client;
    if (!client) return;
    // Pending publishes finish first, unless the broker is gone (qos-1 publishes would wait for it).
    await withTimeout(this.chain, 2000, 'pending publishes').catch(() => {});
    if (client.connected) {
      try {
        await withTimeout(client.publishAsync(this.topics.availability, PAYLOAD_NOT_AVAILABLE, { qos: 1, retain: true }), 2000, 'offline publish');
      } catch (err) {
        log.warn({ err }, 'could not publish offline availability');
      }
      await withTimeout(client.endAsync(false), 2000, 'disconnect').catch(() => client.endAsync(true));
    } else {
      await client.endAsync(true);
    }
    log.info('MQTT entities stopped');
  }

  private async connect(): Promise<MqttClient> {
    const copts: IClientOptions = {
      clientId: this.opts.clientId ?? `${this.options.nodeId}_${process.pid}_${Math.random().toString(16).slice(2, 8)}`,
      clean: true,
      connectTimeout: this.opts.connectTimeoutMs ?? 10_000,
      reconnectPeriod: this.opts.reconnectPeriodMs ?? 2000,
      will: { topic: this.topics.availability, payload: Buffer.from(PAYLOAD_NOT_AVAILABLE), qos: 1, retain: true },
      ...(this.opts.username !== undefined ? { username: this.opts.username } : {}),
      ...(this.opts.password !== undefined ? { password: this.opts.password } : {}),
    };
    const client = mqtt.connect(this.opts.url, copts);
    const timeoutMs = this.opts.connectTimeoutMs ?? 10_000;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
        const done = (err?: Error) => {
          clearTimeout(timer);
          client.off('connect', onConnect);
          client.off('error', onError);
          if (err) reject(err);
          else resolve();
        };
        const onConnect = () => done();
        const onError = (err: Error) => done(err);
        client.once('connect', onConnect);
        client.once('error', onError);
      });
    } catch (err) {
      await client.endAsync(true);
      throw new Error(`MQTT broker ${redactUrl(this.opts.url)}: ${(err as Error).message}`);
    }
    client.on('error', (err) => log.warn({ error: err.message }, 'MQTT client error'));
    client.on('offline', () => log.warn('MQTT broker connection lost; reconnecting'));
    return client;
  }

  /** Our retained device configs (topic -> payload), read until the broker is quiet. */
  private async readBack(client: MqttClient): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const pattern = this.topics.deviceConfigPattern;
    const quiet = Math.max(20, this.opts.readBackQuietMs ?? 300);
    await new Promise<void>((resolve, reject) => {
      let quietTimer: NodeJS.Timeout | undefined;
      const hardTimer = setTimeout(finish, MAX_READBACK_TOTAL_MS);
      const onMessage = (topic: string, payload: Buffer, packet: { retain?: boolean }) => {
        if (!packet.retain || payload.length === 0 || payload.length > MAX_READBACK_BYTES) return;
        if (this.topics.ownObjectId(topic) === undefined) return;
        found.set(topic, payload.toString('utf8'));
        clearTimeout(quietTimer);
        quietTimer = setTimeout(finish, quiet);
      };
      function finish() {
        clearTimeout(quietTimer);
        clearTimeout(hardTimer);
        client.off('message', onMessage);
        resolve();
      }
      client.on('message', onMessage);
      client.subscribeAsync(pattern, { qos: 1 }).then(
        () => {
          clearTimeout(quietTimer);
          quietTimer = setTimeout(finish, quiet);
        },
        (err) => {
          clearTimeout(hardTimer);
          client.off('message', onMessage);
          reject(err);
        },
      );
    });
    await client.unsubscribeAsync(pattern);
    if (found.size) log.debug({ count: found.size }, 'read back retained discovery configs');
    return found;
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn);
    this.chain = next.catch((err) => log.warn({ error: (err as Error).message }, 'MQTT publish failed'));
    return this.chain;
  }

  private previous = (topic: string): Record<string, unknown> | undefined => {
    const s = this.configs.get(topic);
    if (s === undefined) return undefined;
    try {
      const v = JSON.parse(s);
      return v && typeof v === 'object' ? v : undefined;
    } catch {
      return undefined;
    }
  };

  /**
   * The state topics a config we published (or found retained under our own naming) lists, kept
   * only where they are topics this hub publishes itself: `<baseTopic>/hub/<key>` and
   * `<baseTopic>/worker/<slug>/<key>`. A retained payload is not trusted: a fake config under our
   * naming must not make the hub clear another device's topics.
   */
  private ownStateTopicsOf(configTopic: string): string[] {
    const base = `${this.options.baseTopic}/`;
    return stateTopicsOf(this.previous(configTopic)).filter((t) => {
      if (!t.startsWith(base)) return false;
      const rest = t.slice(base.length);
      return OWN_HUB_STATE.test(rest) || OWN_WORKER_STATE.test(rest);
    });
  }

  private docs(model: Model): DeviceDoc[] {
    return [model.hub, ...model.workers.values()];
  }

  /**
   * Publishes the model of a snapshot: changed (or, with force, all) configs, removal of configs
   * no longer in it, then changed (or all) states, and clears the states that are gone.
   */
  private async publishModel(s: MinerSnapshot, force: boolean): Promise<void> {
    const client = this.client;
    if (!client || this.stopped) return;
    const model = buildModel(s, this.options, this.previous);
    this.model = model;
    const wanted = new Set<string>();
    const pubs: Array<Promise<unknown>> = [];
    const clearStates = new Set<string>();
    for (const doc of this.docs(model)) {
      wanted.add(doc.topic);
      // State topics of components this device had before (e.g. read back at start) and has no more.
      for (const st of this.ownStateTopicsOf(doc.topic)) if (!doc.states.has(st)) clearStates.add(st);
      const json = JSON.stringify(doc.config);
      if (force || this.configs.get(doc.topic) !== json) {
        this.configs.set(doc.topic, json);
        this.stats.configsPublished++;
        pubs.push(client.publishAsync(doc.topic, json, { qos: 1, retain: true }));
      }
    }
    // Devices we published before (this run, or a previous one found retained) and no longer have.
    for (const topic of [...this.configs.keys()]) {
      if (wanted.has(topic)) continue;
      for (const st of this.ownStateTopicsOf(topic)) clearStates.add(st);
      this.configs.delete(topic);
      this.stats.configsCleared++;
      log.info({ topic }, 'removing the entities of a device that is gone');
      pubs.push(client.publishAsync(topic, '', { qos: 1, retain: true }));
    }
    await Promise.all(pubs);
    const states = new Map<string, string>();
    for (const doc of this.docs(model)) for (const [t, p] of doc.states) states.set(t, p);
    const spubs: Array<Promise<unknown>> = [];
    for (const [t, p] of states) {
      clearStates.delete(t);
      if (force || this.states.get(t) !== p) {
        this.states.set(t, p);
        this.stats.statesPublished++;
        spubs.push(client.publishAsync(t, p, { qos: 1, retain: true }));
      }
    }
    for (const t of this.states.keys()) if (!states.has(t)) clearStates.add(t);
    for (const t of clearStates) {
      this.states.delete(t);
      spubs.push(client.publishAsync(t, '', { qos: 1, retain: true }));
    }
    await Promise.all(spubs);
  }

  /** Every config, then every state, sent again (after HA's birth message or a reconnect). */
  private async replay(fromReconnect = false): Promise<void> {
    const client = this.client;
    if (!client || this.stopped || !this.snapshot) return;
    if (!fromReconnect) this.stats.birthReplays++;
    await client.publishAsync(this.topics.availability, PAYLOAD_AVAILABLE, { qos: 1, retain: true });
    await this.publishModel(this.snapshot, true);
  }

  private onMessage(topic: string, payload: Buffer, retained: boolean): void {
    if (this.stopped) return;
    if (topic === this.statusTopic) {
      if (payload.length <= 32 && payload.toString('utf8').trim() === 'online') this.scheduleBirthReplay();
      return;
    }
    if (this.onWorkerCommand(topic, payload, retained)) return;
    const prefix = `${this.options.baseTopic}/hub/`;
    if (!topic.startsWith(prefix) || !topic.endsWith('/set')) return;
    const key = topic.slice(prefix.length, -'/set'.length);
    if (!(COMMAND_KEYS as readonly string[]).includes(key)) return;
    if (retained) {
      // A retained command would act again on every start: never obey one.
      log.warn({ topic }, 'ignored a retained command (commands must not be retained)');
      return;
    }
    const snap = this.snapshot!;
    const parsed = parseCommand(key, payload, snap.hub.maxThreadsLimit);
    if (!parsed.ok) {
      this.stats.commandsRejected++;
      log.warn({ topic, payload: printable(payload), reason: parsed.reason }, `ignored a bad command on ${topic}: ${parsed.reason}`);
      this.enqueue(() => this.republishHubState(key as CommandKey));
      return;
    }
    this.stats.commandsAccepted++;
    log.info({ command: parsed.command }, 'command from Home Assistant');
    void this.runCommand(parsed.command, key as CommandKey);
  }

  /** A worker's Mining switch (`<base>/worker/<slug>/mining/set`); false when the topic is not one. */
  private onWorkerCommand(topic: string, payload: Buffer, retained: boolean): boolean {
    const prefix = `${this.options.baseTopic}/worker/`;
    if (!topic.startsWith(prefix) || !topic.endsWith('/mining/set')) return false;
    const slug = topic.slice(prefix.length, -'/mining/set'.length);
    const worker = this.snapshot?.workers.find((w) => workerSlug(w.id) === slug);
    if (retained || !worker) {
      log.warn({ topic }, retained ? 'ignored a retained command (commands must not be retained)' : 'ignored a command for an unknown worker');
      return true;
    }
    const text = payload.subarray(0, 16).toString('utf8').trim().toUpperCase();
    if (payload.length > 16 || (text !== PAYLOAD_ON && text !== PAYLOAD_OFF)) {
      this.stats.commandsRejected++;
      log.warn({ topic, payload: printable(payload) }, `ignored a bad command on ${topic}: expected ${PAYLOAD_ON} or ${PAYLOAD_OFF}`);
      return true;
    }
    this.stats.commandsAccepted++;
    const command: MinerCommand = { kind: 'worker_mining', worker: worker.id, on: text === PAYLOAD_ON };
    log.info({ command }, 'command from Home Assistant');
    const ms = this.opts.commandTimeoutMs ?? 1000;
    void withTimeout(Promise.resolve().then(() => this.opts.onCommand(command)), ms, 'command handler')
      .catch((err: Error) => log.warn({ error: err.message, command }, 'command handler failed; publishing the true state'))
      .then(() => this.enqueue(() => this.publishModel(this.snapshot!, false)));
    return true;
  }

  private async runCommand(command: MinerCommand, key: CommandKey): Promise<void> {
    const ms = this.opts.commandTimeoutMs ?? 1000;
    try {
      await withTimeout(Promise.resolve().then(() => this.opts.onCommand(command)), ms, 'command handler');
    } catch (err) {
      log.warn({ error: (err as Error).message, command }, 'command handler failed; publishing the true state');
    }
    // The handler normally called update() already; this confirms the entity's state either way.
    await this.enqueue(() => this.republishHubState(key));
  }

  /** Publishes the current state of one hub entity again (unconditionally), after the pending updates. */
  private async republishHubState(key: CommandKey): Promise<void> {
    const client = this.client;
    if (!client || this.stopped || !this.snapshot) return;
    await this.publishModel(this.snapshot, false);
    const t = this.topics.hubState(key);
    const p = this.model?.hub.states.get(t);
    if (p === undefined) return; // the button has no state
    this.stats.statesPublished++;
    await client.publishAsync(t, p, { qos: 1, retain: true });
  }

  private scheduleBirthReplay(): void {
    if (this.birthTimer) return; // one replay for a burst of births
    const [min, max] = this.opts.birthDelayMs ?? [500, 2500];
    const delay = Math.max(0, min + Math.random() * Math.max(0, max - min));
    log.info({ delayMs: Math.round(delay) }, 'Home Assistant came online: re-sending discovery');
    this.birthTimer = setTimeout(() => {
      this.birthTimer = undefined;
      void this.enqueue(() => this.replay());
    }, delay);
  }
}

function printable(b: Buffer): string {
  const s = b.subarray(0, 64).toString('utf8').replace(/[^\x20-\x7e]/g, '?');
  return b.length > 64 ? `${s}…(${b.length} bytes)` : s;
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
