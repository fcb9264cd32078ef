// Lifetime totals persisted atomically under the data folder: the file is replaced by a fully
// written, fsynced temporary file through rename(2), and the directory is fsynced, so after a
// crash or kill -9 it holds either the last or the previous totals, never a torn write.
import { mkdir, open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
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

/** The lifetime totals in `<dataDir>/totals.json`. save() calls are serialised; the newest wins. */
export class TotalsStore {
  readonly path: string;
  private chain: Promise<void> = Promise.resolve();

  constructor(readonly dataDir: string) {
    this.path = join(dataDir, TOTALS_FILE);
  }

  /**
   * Reads the totals (zeros when there is no file yet). A file that is not valid totals is moved
   * aside as `totals.json.bad-<time>` with an error logged, and zeros are returned: the start
   * goes on and the old bytes are kept for a human. Leftover temp files of a killed writer are removed.
   */
  async load(): Promise<LoadResult> {
    await mkdir(this.dataDir, { recursive: true });
    await this.removeTempFiles();
    let text: string;
    try {
      const fh = await open(this.path, 'r');
      try {
        const st = await fh.stat();
        if (st.size > MAX_FILE_BYTES) return await this.quarantine(`file of ${st.size} bytes (at most ${MAX_FILE_BYTES})`);
        text = await fh.readFile('utf8');
      } finally {
        await fh.close();
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { totals: emptyTotals() };
      throw new Error(`lifetime totals ${this.path}: ${(err as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      return this.quarantine(`not JSON: ${(err as Error).message}`);
    }
    const r = LifetimeTotalsSchema.safeParse(json);
    if (!r.success) return this.quarantine(r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
    return { totals: r.data };
  }

  /** Writes the totals atomically (after any save in progress). */
  save(totals: Omit<LifetimeTotals, 'version' | 'savedAt'> & Partial<Pick<LifetimeTotals, 'savedAt'>>): Promise<void> {
    const r = LifetimeTotalsSchema.safeParse({ ...totals, version: 1, savedAt: new Date().toISOString() });
    if (!r.success) {
      const why = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      return Promise.reject(new Error(`lifetime totals not saved, bad values (${why}); the file keeps the previous totals`));
    }
    const value = r.data;
    const next = this.chain.then(() => writeFileAtomic(this.path, `${JSON.stringify(value, null, 2)}\n`));
    this.chain = next.catch(() => {});
    return next;
  }

  /** Resolves once every save so far is on disk. */
  flush(): Promise<void> {
    return this.chain;
  }

  private async quarantine(reason: string): Promise<LoadResult> {
    const dest = `${this.path}.bad-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await rename(this.path, dest);
    log.error({ file: this.path, movedTo: dest, reason }, `lifetime totals unreadable (${reason}); kept as ${dest}, starting from zero`);
    return { totals: emptyTotals(), quarantined: dest };
  }

  private async removeTempFiles(): Promise<void> {
    const prefix = `${TOTALS_FILE}.tmp-`;
    for (const name of await readdir(this.dataDir)) {
      if (name.startsWith(prefix)) await unlink(join(this.dataDir, name)).catch(() => {});
    }
  }
}
