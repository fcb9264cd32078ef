// What the AxeOS part remembers across restarts (the user's own frequency and voltage per worker,
// and whether the hub had paused the miner), kept in one small JSON file in the data folder.
// Written atomically (a temporary file, fsync, rename) and only when it changed; a file that
// exists but cannot be read or understood is never written over (the user's settings in it
// would be lost): the hub then runs without it and says so.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import type { Logger } from '../log.js';
import type { Remembered } from './types.js';

/** At most this many miners are kept (the part links at most 64 at once). */
export const REMEMBERED_MAX = 256;
/** A file larger than this is not read (it is not ours). */
export const REMEMBERED_MAX_BYTES = 256 * 1024;

/** Reads the file's text (pure): the entries that are well formed; null: not a file of ours. */
export function parseRemembered(text: string): Record<string, Remembered> | null {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return null;
  }
  if (!doc || typeof doc !== 'object' || (doc as { version?: unknown }).version !== 1) return null;
  const miners = (doc as { miners?: unknown }).miners;
  if (!miners || typeof miners !== 'object' || Array.isArray(miners)) return null;
  const out: Record<string, Remembered> = {};
  for (const [worker, v] of Object.entries(miners as Record<string, unknown>).slice(0, REMEMBERED_MAX)) {
    if (!v || typeof v !== 'object') continue;
    const { frequency, coreVoltage, pausedByHub } = v as Record<string, unknown>;
    if (typeof frequency !== 'number' || !(frequency > 0) || typeof coreVoltage !== 'number' || !(coreVoltage > 0)) continue;
    out[worker] = { frequency, coreVoltage, ...(pausedByHub === true ? { pausedByHub: true } : {}) };
  }
  return out;
}

export class RememberedFile {
  private entries: Record<string, Remembered> = {};
  private written = '';
  /** false: the file exists but could not be read: never written over */
  private writable = true;

  constructor(
    readonly path: string,
    private readonly log: Logger,
  ) {}

  /** Reads the file (a missing one is empty); returns what it holds. */
  load(): Record<string, Remembered> {
    let text: string;
    try {
      const buf = readFileSync(this.path);
      if (buf.length > REMEMBERED_MAX_BYTES) throw new Error(`larger than ${REMEMBERED_MAX_BYTES} bytes`);
      text = buf.toString('utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      this.writable = false;
      this.log.error({ path: this.path, err: (err as Error).message }, 'cannot read the AxeOS miners’ remembered settings: left as it is, not written over');
      return {};
    }
    const parsed = parseRemembered(text);
    if (!parsed) {
      this.writable = false;
      this.log.error({ path: this.path }, 'the AxeOS miners’ remembered settings are not readable JSON of this hub: left as it is, not written over');
      return {};
    }
    this.entries = parsed;
    this.written = this.text();
    return { ...parsed };
  }

  /** One worker's entry changed: writes the file if what it holds changed. */
  set(worker: string, r: Remembered): void {
    if (!(worker in this.entries) && Object.keys(this.entries).length >= REMEMBERED_MAX) return;
    this.entries[worker] = { frequency: r.frequency, coreVoltage: r.coreVoltage, ...(r.pausedByHub ? { pausedByHub: true } : {}) };
    this.save();
  }

  get(worker: string): Remembered | undefined {
    return this.entries[worker];
  }

  private text(): string {
    const sorted = Object.fromEntries(Object.entries(this.entries).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return `${JSON.stringify({ version: 1, miners: sorted }, null, 2)}\n`;
  }

  private save(): void {
    const text = this.text();
    if (text === this.written || !this.writable) return;
    const tmp = `${this.path}.${process.pid}.tmp`;
    try {
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeSync(fd, text);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.path);
      this.written = text;
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {
        /* nothing was left */
      }
      this.log.error({ path: this.path, err: (err as Error).message }, 'could not save the AxeOS miners’ remembered settings');
    }
  }
}
