// HaAppliances, the appliance service: the HA connection feeding the pure classifier. Reads the
// registries and states on every (re)connect, follows state_changed and registry updates, runs
// the hold timer, and emits appliance events synchronously on each HA event.
import { EventEmitter } from 'node:events';
import type { Connection } from 'home-assistant-js-websocket';
import { logger, type Logger } from '../log.js';
import { HaConnection, type HaConnectionOptions, type HaConnectionState } from './connection.js';
import { IdleClassifier } from './classifier.js';
import { resolveIdleRules } from './rules.js';
import { parseRegistries, parseState, parseStates } from './parse.js';
import type { Appliance, ApplianceEvent, IdleRules, IgnoredDevice, PowerBudget, WorkerMapping } from './types.js';

export interface HaAppliancesOptions extends Omit<HaConnectionOptions, 'log'> {
  /** Idle rules (validated; defaults filled in). */
  rules?: unknown;
  /** Debounce of registry re-reads after registry update events. */
  registryDebounceMs?: number;
  log?: Logger;
  /** Clock, for tests. */
  now?: () => number;
}

export interface HaAppliancesStatus {
  connection: HaConnectionState;
  haVersion: string;
  /** True while HA is away (the app keeps running and says so). */
  haAway: boolean;
  lastError?: string;
  appliances: number;
  /** Devices that are not appliances (see ignored()). */
  ignored: number;
  lastSyncAt: number | null;
}

/**
 * Appliances of a Home Assistant and their idle/busy state.
 * Events: `event` (ApplianceEvent), `appliances` (Appliance[] after each registry sync),
 * `state` (HaConnectionState).
 */
export class HaAppliances extends EventEmitter {
  readonly rules: IdleRules;
  readonly classifier: IdleClassifier;
  readonly connection: HaConnection;
  private readonly log: Logger;
  private readonly now: () => number;
  private timer?: NodeJS.Timeout;
  private regTimer?: NodeJS.Timeout;
  private unsubs: (() => Promise<void>)[] = [];
  private lastSyncAt: number | null = null;
  private syncing?: Promise<void>;
  private started = false;
  private subscribedConn?: Connection;

  constructor(private readonly opts: HaAppliancesOptions) {
    super();
    this.log = opts.log ?? logger('ha');
    this.now = opts.now ?? Date.now;
    this.rules = resolveIdleRules(opts.rules ?? {});
    this.classifier = new IdleClassifier(this.rules, { warn: (msg, fields) => this.log.warn(fields, msg) });
    this.connection = new HaConnection({ ...opts, log: this.log });
    this.connection.on('state', (s: HaConnectionState) => this.emit('state', s));
    this.connection.on('ready', (conn: Connection) => void this.onReady(conn));
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.connection.start();
  }

  /** Resolves when the appliance set has been read from a RUNNING HA (or rejects after timeoutMs). */
  waitSynced(timeoutMs = 30_000): Promise<void> {
    if (this.connection.state === 'ready' && this.lastSyncAt !== null && !this.syncing) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.off('appliances', ok);
        reject(
          new Error(
            `HA appliances not synced within ${timeoutMs} ms (connection ${this.connection.state}${this.connection.lastError ? `: ${this.connection.lastError}` : ''})`,
          ),
        );
      }, timeoutMs);
      const ok = () => {
        clearTimeout(t);
        resolve();
      };
      this.once('appliances', ok);
    });
  }

  appliances(): Appliance[] {
    return this.classifier.appliances();
  }

  /** Devices left out of the appliance set, each with the reason. */
  ignored(): IgnoredDevice[] {
    return this.classifier.ignored();
  }

  budget(): PowerBudget {
    return this.classifier.budget();
  }

  status(): HaAppliancesStatus {
    const s = this.connection.state;
    return {
      connection: s,
      haVersion: this.connection.haVersion,
      haAway: s !== 'ready',
      lastError: this.connection.lastError,
      appliances: this.classifier.appliances().length,
      ignored: this.classifier.ignored().length,
      lastSyncAt: this.lastSyncAt,
    };
  }

  /** CPU use of the hub by everything but the miner, %. */
  hubLoad(percent: number): void {
    this.emitAll(this.classifier.hubLoad(percent, this.now()));
  }

  setWorkers(workers: WorkerMapping[]): void {
    this.emitAll(this.classifier.setWorkers(workers, this.now()));
  }

  private emitAll(events: ApplianceEvent[]): void {
    for (const ev of events) {
      if (ev.type === 'gone') this.log.info({ appliance: ev.applianceId, name: ev.name }, 'appliance gone');
      else if (ev.type === 'idle' || ev.type === 'busy')
        this.log.debug({ appliance: ev.applianceId, name: ev.name, reason: ev.reason }, `appliance ${ev.type}`);
      this.emit('event', ev);
    }
    this.arm();
  }

  /** The hold timer: fires at the classifier's next deadline. */
  private arm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const next = this.classifier.nextDeadline();
    if (next === undefined || !this.started) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.emitAll(this.classifier.tick(this.now()));
      },
      Math.max(0, next - this.now()) + 1,
    );
  }

  private async onReady(conn: Connection): Promise<void> {
    // Subscriptions once per Connection object: the library re-subscribes after reconnects.
    if (this.subscribedConn !== conn) {
      this.unsubs = [];
      this.subscribedConn = conn;
      try {
        this.unsubs.push(await conn.subscribeEvents<{ data?: { entity_id?: unknown; new_state?: unknown } }>((ev) => this.onStateChanged(ev), 'state_changed'));
        for (const type of ['device_registry_updated', 'entity_registry_updated', 'area_registry_updated', 'label_registry_updated']) {
          this.unsubs.push(await conn.subscribeEvents(() => this.registryChanged(), type));
        }
      } catch (err) {
        this.log.warn({ err }, 'could not subscribe to HA events; retrying on the next connect');
        for (const u of this.unsubs.splice(0)) await u().catch(() => undefined);
        this.subscribedConn = undefined;
        return;
      }
    }
    await this.sync(conn);
  }

  private onStateChanged(ev: { data?: { entity_id?: unknown; new_state?: unknown } }): void {
    const id = ev?.data?.entity_id;
    if (typeof id !== 'string' || id.length > 300) {
      this.log.warn({ event: JSON.stringify(ev)?.slice(0, 200) }, 'state_changed without a valid entity_id skipped');
      return;
    }
    const raw = ev.data?.new_state;
    const state = raw === null || raw === undefined ? null : parseState(raw, this.log);
    if (state === undefined) return;
    this.emitAll(this.classifier.updateState(id, state, this.now()));
  }

  private registryChanged(): void {
    clearTimeout(this.regTimer);
    this.regTimer = setTimeout(() => {
      const conn = this.connection.conn;
      if (conn && this.connection.state === 'ready') void this.sync(conn);
    }, this.opts.registryDebounceMs ?? 250);
  }

  private async sync(conn: Connection): Promise<void> {
    if (this.syncing) await this.syncing.catch(() => undefined);
    const run = (async () => {
      const [devices, entities, areas, labels, states] = await Promise.all([
        conn.sendMessagePromise<unknown>({ type: 'config/device_registry/list' }),
        conn.sendMessagePromise<unknown>({ type: 'config/entity_registry/list' }),
        conn.sendMessagePromise<unknown>({ type: 'config/area_registry/list' }),
        conn.sendMessagePromise<unknown>({ type: 'config/label_registry/list' }).catch(() => []),
        conn.sendMessagePromise<unknown>({ type: 'get_states' }),
      ]);
      const snap = parseRegistries({ devices, entities, areas, labels }, this.log);
      const st = parseStates(states, this.log);
      const now = this.now();
      const events = [...this.classifier.setStates(st, now), ...this.classifier.setRegistries(snap, now)];
      this.lastSyncAt = now;
      this.emitAll(events);
      this.log.info({ appliances: this.classifier.appliances().length, entities: snap.entities.length }, 'HA appliances synced');
      this.emit('appliances', this.classifier.appliances());
    })();
    this.syncing = run;
    try {
      await run;
    } catch (err) {
      this.log.warn({ err: (err as Error)?.message ?? err }, 'reading HA registries failed; retrying on the next connect');
    } finally {
      if (this.syncing === run) this.syncing = undefined;
    }
  }

  async stop(): Promise<void> {
    this.started = false;
    clearTimeout(this.timer);
    clearTimeout(this.regTimer);
    this.unsubs = [];
    this.subscribedConn = undefined;
    await this.connection.stop();
  }
}
