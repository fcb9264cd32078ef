// MqttEntities, the MQTT client of the entities: connects, reads back what it left retained,
// sends the sync plan of each snapshot (sync-plan.ts: HA device discovery and states, only
// changes), answers HA's birth message and reconnects, and hands command messages to the
// command router (command-router.ts).
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { logger, redactUrl, type Logger } from '../log.js';
import { CommandRouter, type CommandCounters } from './command-router.js';
import {
  buildModel,
  DEFAULT_ENTITY_OPTIONS,
  PAYLOAD_AVAILABLE,
  PAYLOAD_NOT_AVAILABLE,
  topics,
  validateEntityOptions,
  type CommandKey,
  type EntityOptions,
  type Model,
  type Topics,
} from './entities.js';
import { planSync, previousConfig } from './sync-plan.js';
import type { MinerCommand, MinerSnapshot } from './types.js';

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
  /** Topics with a command waiting, at most (default 64; one entry per topic: the last value). */
  maxPendingCommands?: number;
  /** The logger (default: the process logger, part "mqtt"). */
  logger?: Logger;
  /**
   * Wait for the broker at start instead of failing (a broker may start after the hub, e.g. the
   * Mosquitto add-on): start() resolves once connected, retrying every reconnectPeriodMs; each
   * failed attempt is handed here. Without it the first connection must succeed in connectTimeoutMs.
   */
  onConnectError?: (err: Error) => void;
}

/** Largest retained discovery payload read back at start (larger ones are not ours). */
const MAX_READBACK_BYTES = 256 * 1024;
const MAX_READBACK_TOTAL_MS = 3000;

export interface MqttEntitiesStats extends CommandCounters {
  configsPublished: number;
  configsCleared: number;
  statesPublished: number;
  birthReplays: number;
}

export class MqttEntities {
  readonly options: EntityOptions;
  readonly topics: Topics;
  readonly statusTopic: string;
  readonly stats: MqttEntitiesStats = {
    configsPublished: 0,
    configsCleared: 0,
    statesPublished: 0,
    commandsAccepted: 0,
    commandsRejected: 0,
    commandsCoalesced: 0,
    commandsDropped: 0,
    commandQueuePeak: 0,
    birthReplays: 0,
  };
  private readonly log: Logger;
  private readonly commands: CommandRouter;
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
  /** Ends a start() still waiting for its broker (onConnectError), at stop. */
  private abortWait?: () => void;

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
    this.log = opts.logger ?? logger('mqtt');
    this.commands = new CommandRouter({
      baseTopic: this.options.baseTopic,
      snapshot: () => this.snapshot,
      onCommand: (c) => opts.onCommand(c),
      confirm: (key) => this.enqueue(() => (key ? this.republishHubState(key) : this.publishModel(this.snapshot!, false))),
      counters: this.stats,
      log: this.log,
      timeoutMs: opts.commandTimeoutMs,
      maxPending: opts.maxPendingCommands,
    });
  }

  /** Connected to the broker now (false while waiting for it or reconnecting). */
  get connected(): boolean {
    return !this.stopped && this.client?.connected === true;
  }

  /** Commands waiting (topics; each holds only its last value) and whether none runs. */
  get commandQueue(): { pending: number; idle: boolean } {
    return { pending: this.commands.pending, idle: this.commands.idle };
  }

  /** Connects, reads back our retained configs, publishes the snapshot's configs and states. */
  async start(initial: MinerSnapshot): Promise<void> {
    if (this.started) throw new Error('MqttEntities already started');
    this.started = true;
    this.snapshot = initial;
    const client = await this.connect();
    if (this.stopped) {
      await client.endAsync(true);
      throw new Error('MqttEntities stopped while starting');
    }
    this.client = client;
    const retained = await this.readBack(client);
    for (const [topic, payload] of retained) this.configs.set(topic, payload);
    client.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet.retain));
    client.on('connect', () => {
      // A reconnect: the broker may have lost our retained messages (no persistence): send all again.
      this.log.info({ url: redactUrl(this.opts.url) }, 'reconnected to the MQTT broker');
      this.enqueue(() => this.replay(true));
    });
    await client.publishAsync(this.topics.availability, PAYLOAD_AVAILABLE, { qos: 1, retain: true });
    // the latest snapshot: update() may have come while waiting for the broker
    await this.enqueue(() => this.publishModel(this.snapshot ?? initial, false));
    // every command topic of the hub's and the workers' devices (the built-in keys and those parts add)
    await client.subscribeAsync([this.statusTopic, this.topics.hubCommand('+'), this.topics.workerCommand('+', '+')], { qos: 1 });
    this.log.info({ url: redactUrl(this.opts.url), devices: 1 + initial.workers.length, prefix: this.options.discoveryPrefix }, 'MQTT entities published');
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
    this.abortWait?.();
    this.commands.stop();
    const client = this.client;
    if (!client) return;
    // Pending publishes finish first, unless the broker is gone (qos-1 publishes would wait for it).
    await withTimeout(this.chain, 2000, 'pending publishes').catch(() => {});
    if (client.connected) {
      try {
        await withTimeout(client.publishAsync(this.topics.availability, PAYLOAD_NOT_AVAILABLE, { qos: 1, retain: true }), 2000, 'offline publish');
      } catch (err) {
        this.log.warn({ err }, 'could not publish offline availability');
      }
      await withTimeout(client.endAsync(false), 2000, 'disconnect').catch(() => client.endAsync(true));
    } else {
      await client.endAsync(true);
    }
    this.log.info('MQTT entities stopped');
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
    const waitForBroker = this.opts.onConnectError;
    try {
      await new Promise<void>((resolve, reject) => {
        // waiting for the broker: no deadline, the client retries every reconnectPeriodMs
        const timer = waitForBroker ? undefined : setTimeout(() => reject(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
        const done = (err?: Error) => {
          clearTimeout(timer);
          this.abortWait = undefined;
          client.off('connect', onConnect);
          client.off('error', onError);
          if (err) reject(err);
          else resolve();
        };
        const onConnect = () => done();
        const onError = (err: Error) => (waitForBroker ? waitForBroker(err) : done(err));
        if (waitForBroker) this.abortWait = () => done(new Error('stopped before the broker answered'));
        client.once('connect', onConnect);
        client[waitForBroker ? 'on' : 'once']('error', onError);
      });
    } catch (err) {
      await client.endAsync(true);
      throw new Error(`MQTT broker ${redactUrl(this.opts.url)}: ${(err as Error).message}`);
    }
    client.on('error', (err) => this.log.warn({ error: err.message }, 'MQTT client error'));
    client.on('offline', () => this.log.warn('MQTT broker connection lost; reconnecting'));
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
    if (found.size) this.log.debug({ count: found.size }, 'read back retained discovery configs');
    return found;
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn);
    this.chain = next.catch((err) => this.log.warn({ error: (err as Error).message }, 'MQTT publish failed'));
    return this.chain;
  }

  /**
   * Publishes the model of a snapshot as its sync plan (sync-plan.ts): configs first, then
   * states, and records what the broker holds now.
   */
  private async publishModel(s: MinerSnapshot, force: boolean): Promise<void> {
    const client = this.client;
    if (!client || this.stopped) return;
    const published = { configs: this.configs, states: this.states };
    const model = buildModel(s, this.options, (topic) => previousConfig(published, topic));
    this.model = model;
    const plan = planSync(model, published, this.options.baseTopic, force);
    const retained = { qos: 1, retain: true } as const;
    const pubs: Array<Promise<unknown>> = [];
    for (const [topic, json] of plan.configs) {
      this.configs.set(topic, json);
      this.stats.configsPublished++;
      pubs.push(client.publishAsync(topic, json, retained));
    }
    for (const topic of plan.removedConfigs) {
      this.configs.delete(topic);
      this.stats.configsCleared++;
      this.log.info({ topic }, 'removing the entities of a device that is gone');
      pubs.push(client.publishAsync(topic, '', retained));
    }
    await Promise.all(pubs);
    const spubs: Array<Promise<unknown>> = [];
    for (const [topic, payload] of plan.states) {
      this.states.set(topic, payload);
      this.stats.statesPublished++;
      spubs.push(client.publishAsync(topic, payload, retained));
    }
    for (const topic of plan.clearedStates) {
      this.states.delete(topic);
      spubs.push(client.publishAsync(topic, '', retained));
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
    this.commands.message(topic, payload, retained);
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
    this.log.info({ delayMs: Math.round(delay) }, 'Home Assistant came online: re-sending discovery');
    this.birthTimer = setTimeout(() => {
      this.birthTimer = undefined;
      void this.enqueue(() => this.replay());
    }, delay);
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
