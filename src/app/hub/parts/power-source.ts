// Adapters of the power part: one Home Assistant entity followed over the scheduling part's
// connection (subscribe_entities for that entity only), and the small JSON files the part keeps
// under the data folder (written atomically: a temporary file renamed over the old one).
import { EventEmitter } from 'node:events';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../../../log.js';
import type { TargetReading } from '../../../schedule/index.js';

/** What the follower needs of HaAppliances' connection (HaConnection). */
export interface HaConnectionLike {
  readonly conn?: { subscribeMessage<T>(cb: (msg: T) => void, msg: Record<string, unknown>): Promise<() => Promise<void>> };
  readonly state: string;
  on(event: 'ready', fn: (conn: unknown) => void): unknown;
  off(event: 'ready', fn: (conn: unknown) => void): unknown;
}

/** A compressed state of subscribe_entities: `s` state, `a` attributes. */
interface Compressed {
  s?: unknown;
  a?: Record<string, unknown>;
}
interface EntitiesMessage {
  a?: Record<string, Compressed>;
  c?: Record<string, { '+'?: Compressed; '-'?: { a?: string[] } }>;
  r?: string[];
}

/**
 * Follows one entity: `reading` is its state now (null: not seen, or removed). Emits `change` on
 * every new state. Subscribes once per HA connection (the library re-subscribes after a reconnect).
 */
export class EntityFollower extends EventEmitter<{ change: [TargetReading | null] }> {
  reading: TargetReading | null = null;
  private subscribed: unknown = null;
  private unsub: (() => Promise<void>) | null = null;
  private stopped = false;
  private readonly onReady = () => void this.subscribe();

  constructor(
    private readonly connection: HaConnectionLike,
    readonly entity: string,
    private readonly log: Logger,
  ) {
    super();
  }

  start(): void {
    this.connection.on('ready', this.onReady);
    if (this.connection.state === 'ready') void this.subscribe();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.connection.off('ready', this.onReady);
    const u = this.unsub;
    this.unsub = null;
    await u?.().catch(() => undefined);
  }

  private async subscribe(): Promise<void> {
    const conn = this.connection.conn;
    if (!conn || this.stopped || this.subscribed === conn) return;
    this.subscribed = conn;
    try {
      this.unsub = await conn.subscribeMessage<EntitiesMessage>((m) => this.message(m), { type: 'subscribe_entities', entity_ids: [this.entity] });
    } catch (err) {
      this.subscribed = null;
      this.log.warn({ err: (err as Error)?.message ?? err, entity: this.entity }, `could not follow ${this.entity}; retrying on the next connect`);
    }
  }

  private message(m: EntitiesMessage): void {
    const id = this.entity;
    let next = this.reading;
    const added = m?.a?.[id];
    if (added) next = { state: String(added.s ?? ''), attributes: { ...(added.a ?? {}) } };
    const c = m?.c?.[id];
    if (c) {
      const prev = next ?? { state: '', attributes: {} };
      const attributes = { ...(prev.attributes ?? {}), ...(c['+']?.a ?? {}) };
      for (const k of c['-']?.a ?? []) delete attributes[k];
      next = { state: c['+'] && 's' in c['+'] ? String(c['+'].s ?? '') : prev.state, attributes };
    }
    if (m?.r?.includes(id)) next = null;
    if (next === this.reading) return;
    this.reading = next;
    this.emit('change', next);
  }
}

/** Reads a small JSON file; undefined when it is absent or not JSON (logged). */
export async function readJson(path: string, log: Logger): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ err, path }, `could not read ${path}; starting without it`);
    return undefined;
  }
  try {
    return JSON.parse(text.slice(0, 1_000_000)) as unknown;
  } catch {
    log.warn({ path }, `${path} is not JSON; starting without it (it is replaced on the next change)`);
    return undefined;
  }
}

/** Writes a small JSON file atomically (a temporary file in the same folder, renamed over the old one). */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value)}\n`, { mode: 0o600 });
  await rename(tmp, path);
}
