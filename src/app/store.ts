// Lifetime totals persisted atomically under the data folder: the file is replaced by a fully
// written, fsynced temporary file through rename(2), and the directory is fsynced, so after a
// crash or kill -9 it holds either the last or the previous totals, never a torn write.
//
// Writes are few (an SD card wears out): the hub hands every change to update(), and the store
// writes the newest totals at most once per interval (default 120 s: about 3 MB a day on an SD card at a share a second), at once on request (a found
// block: saveNow) and on stop (flush). One write runs at a time and at most one newer value waits,
// so the queue is bounded by construction. A file that exists but cannot be read is never written
// over: load() throws TotalsUnreadableError and the store refuses every save until a load succeeds.
import { mkdir, open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError } from '../core/index.js';
import { logger } from '../log.js';

const log = logger('store');

const count = z.number().finite().nonnegative();

export const LifetimeTotalsSchema = z.object({
  version: z.literal(1),
  sharesAccepted: count,
  sharesRejected: count,
  sharesStale: count,
  bestDifficulty: count,
  blocksFound: count,
  energyKwh: count,
  /** ISO time of the write. */
  savedAt: z.string().max(64),
});

export type LifetimeTotals = z.infer<typeof LifetimeTotalsSchema>;

export function emptyTotals(): LifetimeTotals {
  return { version: 1, sharesAccepted: 0, sharesRejected: 0, sharesStale: 0, bestDifficulty: 0, blocksFound: 0, energyKwh: 0, savedAt: new Date(0).toISOString() };
}

/** Largest totals file read (it is a few hundred bytes). */
const MAX_FILE_BYTES = 64 * 1024;
export const TOTALS_FILE = 'totals.json';

/**
 * Writes `data` to `path` atomically: temp file in the same directory, write, fsync, close,
 * rename over `path`, fsync the directory.
 */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const dir = join(path, '..');
  const tmp = `${path}.tmp-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(data, 'utf8');
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  // The rename itself is durable only once the directory entry is on disk.
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } catch {
    /* some filesystems refuse fsync on a directory; the rename is still atomic */
  } finally {
    await dh.close();
  }
}

export interface LoadResult {
  totals: LifetimeTotals;
  /** Where an unreadable file was moved (nothing is deleted), when that happened. */
  quarantined?: string;
}

/**
 * totals.json exists but cannot be read (permissions, a directory in its place, an I/O error):
 * nothing may be written over it, so the hub does not start. An InputError (exit 2) naming the
 * path, the error and the fix.
 */
export class TotalsUnreadableError extends InputError {
  constructor(
    readonly path: string,
    readonly code: string,
    detail: string,
  ) {
    super(
      `lifetime totals ${path} exist but cannot be read (${code}: ${detail}); nothing was written over them. ` +
        `Fix: make the file readable and writable by the user running the hub (e.g. chown/chmod it), or move it away to start from zero, or choose another folder with --data-dir`,
      'data_dir',
    );
    this.name = 'TotalsUnreadableError';
  }
}

export interface TotalsStoreOptions {
  /** Least time between two periodic writes, ms (default 60 000). */
  intervalMs?: number;
}

type Totals = Omit<LifetimeTotals, 'version' | 'savedAt'> & Partial<Pick<LifetimeTotals, 'savedAt'>>;

/** The lifetime totals in `<dataDir>/totals.json`. Writes are serialised; the newest wins. */
export class TotalsStore {
  readonly path: string;
  readonly intervalMs: number;
  /** Writes done and bytes handed to them (the file's text), for the benchmark and the logs. */
  readonly written = { writes: 0, bytes: 0 };
  /** The totals of the last write that completed (on disk), or null. */
  lastSaved: LifetimeTotals | null = null;
  private chain: Promise<void> = Promise.resolve();
  /** 'ready' only after a load that read the file or proved it absent. */
  private state: 'unknown' | 'ready' | 'unreadable' = 'unknown';
  private pending: LifetimeTotals | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastWriteAt = 0;

  constructor(
    readonly dataDir: string,
    opts: TotalsStoreOptions = {},
  ) {
    this.path = join(dataDir, TOTALS_FILE);
    this.intervalMs = Math.max(0, opts.intervalMs ?? 120_000);
  }

  /** True once load() has read the file (or found none): saves are allowed. */
  get ready(): boolean {
    return this.state === 'ready';
  }

  /**
   * Reads the totals (zeros when there is no file yet). A file proven not to be totals (not JSON,
   * wrong shape, too large) is moved aside as `totals.json.bad-<time>` with an error logged, and
   * zeros are returned: the start goes on and the old bytes are kept for a human. A file that
   * cannot be read at all throws TotalsUnreadableError and is left exactly as it is.
   * Leftover temp files of a killed writer are removed.
   */
  async load(): Promise<LoadResult> {
    this.state = 'unknown';
    await mkdir(this.dataDir, { recursive: true });
    await this.removeTempFiles();
    let text: string;
    try {
      const fh = await open(this.path, 'r');
      try {
        const st = await fh.stat();
        if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: st.isDirectory() ? 'EISDIR' : 'ENOTFILE' });
        if (st.size > MAX_FILE_BYTES) return await this.quarantine(`file of ${st.size} bytes (at most ${MAX_FILE_BYTES})`);
        text = await fh.readFile('utf8');
      } finally {
        await fh.close();
      }
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOENT') {
        this.state = 'ready';
        return { totals: emptyTotals() };
      }
      this.state = 'unreadable';
      throw new TotalsUnreadableError(this.path, e.code ?? 'error', String(e.message).replace(/^[A-Z]+: /, '').slice(0, 200));
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      return this.quarantine(`not JSON: ${(err as Error).message}`);
    }
    const r = LifetimeTotalsSchema.safeParse(json);
    if (!r.success) return this.quarantine(r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
    this.state = 'ready';
    return { totals: r.data };
  }

  /**
   * Remembers the newest totals; they are written at most once per interval (the first change
   * after a quiet interval is written at once). Bad values are refused at once (thrown).
   */
  update(totals: Totals): void {
    this.pending = this.validate(totals);
    if (this.timer) return;
    const wait = Math.max(0, this.lastWriteAt + this.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.writePending().catch(() => {});
    }, wait);
    this.timer.unref();
  }

  /** Writes these totals now (after any write in progress): a found block, a test, a stop. */
  save(totals: Totals): Promise<void> {
    let value: LifetimeTotals;
    try {
      value = this.validate(totals);
    } catch (err) {
      return Promise.reject(err);
    }
    this.pending = value;
    return this.writePending();
  }

  /** Alias of save(): the totals on disk at once. */
  saveNow(totals: Totals): Promise<void> {
    return this.save(totals);
  }

  /** Writes what update() left waiting, and resolves once every write so far is on disk. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending) await this.writePending().catch(() => {});
    await this.chain;
  }

  /** flush() and no more timers. */
  async close(): Promise<void> {
    await this.flush();
  }

  private validate(totals: Totals): LifetimeTotals {
    const r = LifetimeTotalsSchema.safeParse({ ...totals, version: 1, savedAt: new Date().toISOString() });
    if (!r.success) {
      const why = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      throw new Error(`lifetime totals not saved, bad values (${why}); the file keeps the previous totals`);
    }
    return r.data;
  }

  private writePending(): Promise<void> {
    if (this.state !== 'ready') {
      this.pending = null;
      return Promise.reject(new Error(`lifetime totals not saved: ${this.path} was not read (a file that could not be read is never written over)`));
    }
    const next = this.chain.then(async () => {
      const value = this.pending;
      if (!value) return; // an earlier write in the chain took it
      this.pending = null;
      const text = `${JSON.stringify(value, null, 2)}\n`;
      this.lastWriteAt = Date.now();
      await writeFileAtomic(this.path, text);
      this.written.writes++;
      this.written.bytes += Buffer.byteLength(text);
      this.lastSaved = value;
    });
    this.chain = next.catch((err) => log.error({ err, file: this.path }, 'could not save the lifetime totals'));
    return next;
  }

  private async quarantine(reason: string): Promise<LoadResult> {
    const dest = `${this.path}.bad-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await rename(this.path, dest);
    log.error({ file: this.path, movedTo: dest, reason }, `lifetime totals unreadable (${reason}); kept as ${dest}, starting from zero`);
    this.state = 'ready';
    return { totals: emptyTotals(), quarantined: dest };
  }

  private async removeTempFiles(): Promise<void> {
    const prefix = `${TOTALS_FILE}.tmp-`;
    for (const name of await readdir(this.dataDir)) {
      if (name.startsWith(prefix)) await unlink(join(this.dataDir, name)).catch(() => {});
    }
  }
}
